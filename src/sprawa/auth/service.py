"""Writes on authentication: passwords, login sessions, API tokens."""

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sprawa.auth.models import ApiToken, AuthSession, Role, User
from sprawa.auth.schemas import Principal
from sprawa.db import utcnow
from sprawa.platform.crypto import new_token, token_digest
from sprawa.platform.errors import Forbidden, InvalidInput, Unauthorized

SESSION_DAYS = 14
_hasher = PasswordHasher()
# Verifying against this keeps login timing equal for unknown e-mails.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters", code="weak_password")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def do_login(session: Session, email: str, password: str) -> tuple[User, str, AuthSession]:
    """Check the password and open a session; returns (user, cookie token, session)."""
    user = session.scalars(select(User).where(User.email == email.strip().lower())).first()
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        raise Unauthorized("wrong e-mail or password", code="bad_credentials")
    token = new_token()
    auth = AuthSession(
        user_id=user.id,
        token_hash=token_digest(token),
        csrf_token=new_token(24),
        expires_at=utcnow() + timedelta(days=SESSION_DAYS),
    )
    session.add(auth)
    session.flush()
    return user, token, auth


def do_logout(session: Session, token: str) -> None:
    session.execute(delete(AuthSession).where(AuthSession.token_hash == token_digest(token)))


def do_create_api_token(session: Session, actor: Principal, name: str, role: Role) -> str:
    """Create a token acting with ``role``; the plain token is shown once and never stored."""
    if not actor.is_admin:
        raise Forbidden("only admins create API tokens")
    if role == Role.OWNER:
        raise InvalidInput("API tokens cannot act as owner", code="invalid_role")
    token = "spr_" + new_token()
    session.add(
        ApiToken(
            workspace_id=actor.workspace_id,
            user_id=actor.user_id,
            name=name,
            role=role,
            token_hash=token_digest(token),
        )
    )
    return token
