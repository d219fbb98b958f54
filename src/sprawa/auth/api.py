"""Login, logout, who am I, API tokens."""

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from sprawa.auth.models import Role, User
from sprawa.auth.service import SESSION_DAYS, do_create_api_token, do_login, do_logout
from sprawa.deps import SESSION_COOKIE, Admin, CurrentPrincipal, DbSession, RuntimeDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginIn(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class MeOut(BaseModel):
    user_id: str | None
    workspace_id: str
    name: str | None
    role: Role
    csrf_token: str | None = None


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.AGENT


class TokenOut(BaseModel):
    token: str


@router.post("/login")
def login(body: LoginIn, response: Response, db: DbSession, runtime: RuntimeDep) -> MeOut:
    user, token, auth = do_login(db, body.email, body.password)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.cookie_secure,
    )
    return MeOut(
        user_id=user.id,
        workspace_id=user.workspace_id,
        name=user.name,
        role=user.role,
        csrf_token=auth.csrf_token,
    )


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response, db: DbSession, principal: CurrentPrincipal) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        do_logout(db, token)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me")
def me(principal: CurrentPrincipal, db: DbSession) -> MeOut:
    user = db.get(User, principal.user_id) if principal.user_id else None
    return MeOut(
        user_id=principal.user_id,
        workspace_id=principal.workspace_id,
        name=user.name if user else principal.name,
        role=principal.role,
    )


@router.post("/tokens", status_code=201)
def create_token(body: TokenIn, db: DbSession, admin: Admin) -> TokenOut:
    return TokenOut(token=do_create_api_token(db, admin, body.name, body.role))
