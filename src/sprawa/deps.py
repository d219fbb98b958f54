"""FastAPI dependencies: the request's runtime, unit of work and authenticated principal."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from sprawa.auth.queries import session_principal, token_principal
from sprawa.auth.schemas import Principal
from sprawa.commerce.remote import ConnectorEnv
from sprawa.platform.crypto import constant_time_equal
from sprawa.platform.errors import Forbidden, Unauthorized
from sprawa.runtime import Runtime

SESSION_COOKIE = "sprawa_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(request: Request, runtime: RuntimeDep) -> Iterator[Session]:
    """The request's unit of work: committed before the response is sent, rolled back on error.

    GET and HEAD handlers only read, so they get a reader that does not take SQLite's write lock.
    """
    factory = runtime.reader if request.method in ("GET", "HEAD") else runtime.factory
    with factory() as session, session.begin():
        yield session


DbSession = Annotated[Session, Depends(get_db, scope="function")]


def get_connector_env(runtime: RuntimeDep) -> ConnectorEnv:
    """Outbound HTTP and the secret box, for ``commerce.service.connector_for`` of remote shops."""
    return runtime.connector_env()


ShopEnv = Annotated[ConnectorEnv, Depends(get_connector_env)]


def get_principal(request: Request, db: DbSession) -> Principal:
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        principal = token_principal(db, authorization.removeprefix("Bearer ").strip())
        if principal is None:
            raise Unauthorized("invalid or revoked API token", code="bad_token")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    found = session_principal(db, cookie) if cookie else None
    if found is None:
        raise Unauthorized("log in first", code="not_authenticated")
    principal, auth = found
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not constant_time_equal(sent, auth.csrf_token):
            raise Forbidden("missing or wrong CSRF token", code="csrf_failed")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_writer(principal: CurrentPrincipal) -> Principal:
    if not principal.can_write:
        raise Forbidden("your role can only read", code="read_only_role")
    return principal


def get_admin(principal: CurrentPrincipal) -> Principal:
    if not principal.is_admin:
        raise Forbidden("only owners and admins may do this", code="admin_only")
    return principal


Writer = Annotated[Principal, Depends(get_writer)]
Admin = Annotated[Principal, Depends(get_admin)]
