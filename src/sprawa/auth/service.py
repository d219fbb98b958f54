"""Writes on authentication: passwords, login sessions (with a shared rate limit), users, API tokens."""

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.auth.models import ApiToken, AuthSession, LoginAttempt, Role, User
from sprawa.auth.queries import access_api_token, access_user, readable_users
from sprawa.auth.schemas import Principal, UserCreate, UserPatch
from sprawa.db import utcnow
from sprawa.platform.audit import append_audit_by
from sprawa.platform.crypto import new_token, token_digest
from sprawa.platform.errors import Conflict, Forbidden, InvalidInput, RateLimited, Unauthorized
from sprawa.platform.events import Event, emit

SESSION_DAYS = 14
# Failed logins for one e-mail inside the window after which every login for it is refused for a while.
MAX_FAILED_LOGINS = 10
LOGIN_WINDOW = timedelta(minutes=15)
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


@dataclass(frozen=True)
class LoginResult:
    user: User
    token: str
    auth: AuthSession


def _check_login_allowed(session: Session, email: str) -> None:
    since = utcnow() - LOGIN_WINDOW
    failures = session.scalars(
        select(LoginAttempt.created_at)
        .where(LoginAttempt.email == email, LoginAttempt.created_at > since)
        .order_by(LoginAttempt.created_at)
    ).all()
    if len(failures) >= MAX_FAILED_LOGINS:
        # The oldest failure that still counts leaves the window first.
        wait = failures[-MAX_FAILED_LOGINS] + LOGIN_WINDOW - utcnow()
        raise RateLimited(
            "too many failed logins for this e-mail; try again later",
            code="too_many_attempts",
            details={"retry_after_seconds": max(1, int(wait.total_seconds()) + 1)},
        )


def do_login(factory: sessionmaker[Session], email: str, password: str) -> LoginResult:
    """Check the password and open a session, refusing after too many failures for the e-mail.

    Owns its transactions (unlike other writes) because a failed attempt must be stored although the
    request fails, and the slow password check runs outside any transaction (SQLite writers queue).
    """
    email = email.strip().lower()
    with factory.begin() as session:
        _check_login_allowed(session, email)
        user = session.scalars(select(User).where(User.email == email)).first()
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    with factory.begin() as session:
        if user is not None and ok and user.active:
            token = new_token()
            auth = AuthSession(
                user_id=user.id,
                token_hash=token_digest(token),
                csrf_token=new_token(24),
                expires_at=utcnow() + timedelta(days=SESSION_DAYS),
            )
            session.add(auth)
            session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
            return LoginResult(user=user, token=token, auth=auth)
        session.add(LoginAttempt(email=email, created_at=utcnow()))
        # Old attempts of every e-mail go too, so guessing many addresses cannot grow the table.
        session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < utcnow() - LOGIN_WINDOW))
    raise Unauthorized("wrong e-mail or password", code="bad_credentials")


def do_logout(session: Session, token: str) -> None:
    session.execute(delete(AuthSession).where(AuthSession.token_hash == token_digest(token)))


# ----------------------------------------------------------------------------------------- API tokens


def _check_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise Forbidden("only owners and admins may do this", code="admin_only")


def do_issue_api_token(session: Session, actor: Principal, name: str, role: Role) -> tuple[ApiToken, str]:
    """Create a token acting with ``role``; the plain token is shown once and never stored."""
    _check_admin(actor)
    if role == Role.OWNER:
        raise InvalidInput("API tokens cannot act as owner", code="invalid_role")
    token = "spr_" + new_token()
    row = ApiToken(
        workspace_id=actor.workspace_id,
        user_id=actor.user_id,
        name=name,
        role=role,
        token_hash=token_digest(token),
    )
    session.add(row)
    session.flush()
    append_audit_by(session, actor, "api_token.created", "api_token", row.id, name=name, role=str(role))
    return row, token


def do_create_api_token(session: Session, actor: Principal, name: str, role: Role) -> str:
    return do_issue_api_token(session, actor, name, role)[1]


def do_revoke_api_token(session: Session, actor: Principal, token_id: str) -> ApiToken:
    """Revoke a token of the workspace at once; revoking it again changes nothing."""
    _check_admin(actor)
    row = access_api_token(session, actor, token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        append_audit_by(session, actor, "api_token.revoked", "api_token", row.id, name=row.name)
    return row


# ---------------------------------------------------------------------------------------------- users


def _emit_user(session: Session, kind: str, user: User) -> None:
    data = {"id": user.id, "name": user.name, "role": str(user.role), "active": user.active}
    emit(session, Event(kind, user.workspace_id, data))


def do_create_user(session: Session, actor: Principal, body: UserCreate) -> User:
    """Add a person to the workspace; only an owner makes another owner."""
    _check_admin(actor)
    if body.role == Role.OWNER and actor.role != Role.OWNER:
        raise Forbidden("only an owner can add another owner", code="owner_only")
    # E-mails are unique across workspaces: one login finds one user.
    if session.scalars(select(User.id).where(User.email == body.email)).first() is not None:
        raise Conflict("a user with this e-mail already exists", code="email_taken")
    user = User(
        workspace_id=actor.workspace_id,
        email=body.email,
        name=body.name,
        role=body.role,
        language=body.language,
        password_hash=hash_password(body.password),
        active=True,
    )
    session.add(user)
    session.flush()
    append_audit_by(session, actor, "user.created", "user", user.id, email=user.email, role=str(user.role))
    _emit_user(session, "user.created", user)
    return user


def _check_owner_change(session: Session, actor: Principal, user: User, role: Role, active: bool) -> None:
    touches_owner = user.role == Role.OWNER or role == Role.OWNER
    if touches_owner and actor.role != Role.OWNER:
        raise Forbidden("only an owner can make, change or deactivate an owner", code="owner_only")
    if user.role == Role.OWNER and user.active and not (role == Role.OWNER and active):
        # Lock the owners, so that two admins demoting the last two owners at once cannot both succeed.
        owners = session.scalars(
            readable_users(actor)
            .where(User.role == Role.OWNER, User.active.is_(True))
            .with_for_update()
            .with_only_columns(User.id)
        ).all()
        if len(owners) <= 1:
            raise Conflict("the workspace needs at least one active owner", code="last_owner")


def do_update_user(session: Session, actor: Principal, user_id: str, patch: UserPatch) -> User:
    """Change name, language, role or active; a deactivated user is logged out everywhere."""
    _check_admin(actor)
    user = access_user(session, actor, user_id, for_update=True)
    sent = patch.changes()
    before = {"name": user.name, "role": user.role, "active": user.active, "language": user.language}
    changes = {k: {"from": before[k], "to": v} for k, v in sent.items() if before[k] != v}
    if not changes:
        return user
    _check_owner_change(session, actor, user, sent.get("role", user.role), sent.get("active", user.active))
    for key in changes:
        setattr(user, key, sent[key])
    if "active" in changes and not user.active:
        session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    session.flush()
    append_audit_by(session, actor, "user.updated", "user", user.id, changes=changes)
    _emit_user(session, "user.updated", user)
    return user
