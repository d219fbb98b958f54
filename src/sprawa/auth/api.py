"""Login, logout, who am I, API tokens; the workspace's users."""

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from sprawa.auth.models import Role, User
from sprawa.auth.queries import access_user, api_token_page, session_principal, user_page, users_out
from sprawa.auth.schemas import ApiTokenOut, UserCreate, UserOut, UserPatch
from sprawa.auth.service import (
    SESSION_DAYS,
    do_create_user,
    do_issue_api_token,
    do_login,
    do_logout,
    do_revoke_api_token,
    do_update_user,
)
from sprawa.deps import SESSION_COOKIE, Admin, CurrentPrincipal, DbSession, RuntimeDep
from sprawa.platform.pagination import DEFAULT_LIMIT
from sprawa.workspaces.schemas import CursorQuery, LimitQuery, Page

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
users_router = APIRouter(prefix="/api/v1/users", tags=["users"])


class LoginIn(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class MeOut(BaseModel):
    user_id: str | None
    workspace_id: str
    name: str | None
    role: Role
    # Set for cookie sessions: send it back as X-CSRF-Token on every write.
    csrf_token: str | None = None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.AGENT


class TokenOut(BaseModel):
    """The new token: ``token`` is shown this once and cannot be read again."""

    token: str
    id: str
    name: str
    role: Role


@router.post("/login")
def login(body: LoginIn, response: Response, runtime: RuntimeDep) -> MeOut:
    result = do_login(runtime.factory, body.email, body.password)
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.cookie_secure,
    )
    user = result.user
    return MeOut(
        user_id=user.id,
        workspace_id=user.workspace_id,
        name=user.name,
        role=user.role,
        csrf_token=result.auth.csrf_token,
    )


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, db: DbSession, principal: CurrentPrincipal) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        do_logout(db, token)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me")
def me(request: Request, principal: CurrentPrincipal, db: DbSession) -> MeOut:
    user = db.get(User, principal.user_id) if principal.user_id else None
    cookie = request.cookies.get(SESSION_COOKIE)
    # Bearer tokens win over cookies in get_principal, and need no CSRF token.
    bearer = request.headers.get("Authorization", "").startswith("Bearer ")
    found = session_principal(db, cookie) if cookie and not bearer else None
    return MeOut(
        user_id=principal.user_id,
        workspace_id=principal.workspace_id,
        name=user.name if user else principal.name,
        role=principal.role,
        csrf_token=found[1].csrf_token if found else None,
    )


@router.get("/tokens")
def list_tokens(
    db: DbSession, admin: Admin, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> Page[ApiTokenOut]:
    tokens, next_cursor = api_token_page(db, admin, cursor, limit)
    return Page(items=[ApiTokenOut.model_validate(t) for t in tokens], next_cursor=next_cursor)


@router.post("/tokens", status_code=201)
def create_token(body: TokenIn, db: DbSession, admin: Admin) -> TokenOut:
    row, token = do_issue_api_token(db, admin, body.name, body.role)
    return TokenOut(token=token, id=row.id, name=row.name, role=row.role)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, db: DbSession, admin: Admin) -> None:
    do_revoke_api_token(db, admin, token_id)


# ---------------------------------------------------------------------------------------------- users


@users_router.get("")
def list_users(
    db: DbSession,
    principal: CurrentPrincipal,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    role: Role | None = None,
    active: bool | None = None,
) -> Page[UserOut]:
    users, next_cursor = user_page(db, principal, cursor, limit, role=role, active=active)
    return Page(items=users_out(db, users), next_cursor=next_cursor)


@users_router.post("", status_code=201)
def create_user(body: UserCreate, db: DbSession, admin: Admin) -> UserOut:
    return users_out(db, [do_create_user(db, admin, body)])[0]


@users_router.get("/{user_id}")
def get_user(user_id: str, db: DbSession, principal: CurrentPrincipal) -> UserOut:
    return users_out(db, [access_user(db, principal, user_id)])[0]


@users_router.patch("/{user_id}")
def update_user(user_id: str, body: UserPatch, db: DbSession, admin: Admin) -> UserOut:
    return users_out(db, [do_update_user(db, admin, user_id, body)])[0]
