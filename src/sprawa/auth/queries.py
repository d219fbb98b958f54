"""Authentication chokepoint: from a cookie or bearer token to a Principal (or nothing)."""

from collections import defaultdict

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sprawa.auth.models import ApiToken, AuthSession, Role, TeamMember, User
from sprawa.auth.schemas import Principal, UserOut
from sprawa.cases.models import AuthorKind
from sprawa.db import utcnow
from sprawa.platform.access import fetch_one_or_not_found, select_in_workspace
from sprawa.platform.crypto import token_digest
from sprawa.workspaces.queries import keyset_page


def principal_for_user(session: Session, user: User) -> Principal:
    teams = frozenset(session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id)))
    return Principal(
        workspace_id=user.workspace_id, role=user.role, user_id=user.id, name=user.name, team_ids=teams
    )


def session_principal(session: Session, token: str) -> tuple[Principal, AuthSession] | None:
    row = session.execute(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_digest(token))
    ).first()
    if row is None:
        return None
    auth, user = row
    if auth.expires_at < utcnow() or not user.active:
        return None
    return principal_for_user(session, user), auth


def token_principal(session: Session, token: str) -> Principal | None:
    api_token = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).first()
    if api_token is None or api_token.revoked_at is not None:
        return None
    if api_token.user_id is not None:
        # A token acts for its creator: it stops working when that person is deactivated.
        active = session.scalar(select(User.active).where(User.id == api_token.user_id))
        if not active:
            return None
    return Principal(
        workspace_id=api_token.workspace_id,
        role=api_token.role,
        user_id=api_token.user_id,
        name=api_token.name,
        kind=AuthorKind.AGENT,
    )


def readable_users(principal: Principal) -> Select[tuple[User]]:
    """Users the principal may list: those of its own workspace."""
    return select_in_workspace(User, principal.workspace_id)


def access_user(session: Session, principal: Principal, user_id: str, *, for_update: bool = False) -> User:
    """A user of the principal's workspace; another workspace's id is simply not found."""
    stmt = readable_users(principal).where(User.id == user_id)
    return fetch_one_or_not_found(session, stmt, "user not found", for_update=for_update)


def readable_api_tokens(principal: Principal) -> Select[tuple[ApiToken]]:
    return select_in_workspace(ApiToken, principal.workspace_id)


def access_api_token(session: Session, principal: Principal, token_id: str) -> ApiToken:
    stmt = readable_api_tokens(principal).where(ApiToken.id == token_id)
    return fetch_one_or_not_found(session, stmt, "API token not found")


def user_page(
    session: Session,
    principal: Principal,
    cursor: str | None,
    limit: int,
    *,
    role: Role | None = None,
    active: bool | None = None,
) -> tuple[list[User], str | None]:
    stmt = readable_users(principal)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return keyset_page(session, stmt, User, cursor, limit)


def users_out(session: Session, users: list[User]) -> list[UserOut]:
    """Users with their team ids, in one query for the memberships."""
    teams: dict[str, list[str]] = defaultdict(list)
    if users:
        rows = session.execute(
            select(TeamMember.user_id, TeamMember.team_id)
            .where(TeamMember.user_id.in_([u.id for u in users]))
            .order_by(TeamMember.id)
        )
        for user_id, team_id in rows:
            teams[user_id].append(team_id)
    return [UserOut.model_validate(u).model_copy(update={"team_ids": teams[u.id]}) for u in users]


def api_token_page(
    session: Session, principal: Principal, cursor: str | None, limit: int
) -> tuple[list[ApiToken], str | None]:
    return keyset_page(session, readable_api_tokens(principal), ApiToken, cursor, limit)
