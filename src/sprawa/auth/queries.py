"""Authentication chokepoint: from a cookie or bearer token to a Principal (or nothing)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.auth.models import ApiToken, AuthSession, TeamMember, User
from sprawa.auth.schemas import Principal
from sprawa.cases.models import AuthorKind
from sprawa.db import utcnow
from sprawa.platform.crypto import token_digest


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
    return Principal(
        workspace_id=api_token.workspace_id,
        role=api_token.role,
        user_id=api_token.user_id,
        name=api_token.name,
        kind=AuthorKind.AGENT,
    )
