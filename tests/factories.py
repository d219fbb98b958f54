"""Shared factories: workspaces, users with logged-in clients, channels."""

from dataclasses import dataclass
from functools import cache
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.auth.models import Role, User
from sprawa.auth.queries import principal_for_user
from sprawa.auth.schemas import Principal
from sprawa.channels.models import Channel, ChannelKind
from sprawa.platform.ids import new_id
from sprawa.workspaces.models import Workspace

PASSWORD = "correct-horse-42"


@cache
def _password_hash() -> str:
    from argon2 import PasswordHasher

    # Cheap parameters keep the suite fast; they live in the hash, so normal verification applies.
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def make_workspace(db: Session, slug: str | None = None, **kwargs: Any) -> Workspace:
    ws = Workspace(slug=slug or f"ws-{new_id()[-8:]}", name=kwargs.pop("name", "Sklep testowy"), **kwargs)
    db.add(ws)
    db.flush()
    return ws


def make_user(db: Session, workspace: Workspace, role: str = "agent", **kwargs: Any) -> User:
    user = User(
        workspace_id=workspace.id,
        email=kwargs.pop("email", f"{role}-{new_id()[-8:]}@example.pl"),
        name=kwargs.pop("name", f"Konsultant {role}"),
        role=Role(role),
        password_hash=_password_hash(),
        **kwargs,
    )
    db.add(user)
    db.flush()
    return user


def make_channel(
    db: Session, workspace: Workspace, kind: ChannelKind = ChannelKind.WEBCHAT, **kwargs: Any
) -> Channel:
    channel = Channel(workspace_id=workspace.id, kind=kind, name=kwargs.pop("name", f"{kind} test"), **kwargs)
    db.add(channel)
    db.flush()
    return channel


@dataclass
class Actor:
    """A logged-in user: ``client`` carries the session cookie and the CSRF header."""

    user: User
    principal: Principal
    client: TestClient


def make_actor(db: Session, app: Any, workspace: Workspace, role: str = "agent") -> Actor:
    user = make_user(db, workspace, role)
    principal = principal_for_user(db, user)
    db.commit()
    client = TestClient(app)
    response = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return Actor(user=user, principal=principal, client=client)


def fill_ids(value: Any, ids: dict[str, str]) -> Any:
    """``value`` (a path, or a JSON body of dicts and lists) with the ``{placeholders}`` of ``ids`` filled."""
    if isinstance(value, str):
        for key, real in ids.items():
            value = value.replace(key, real)
        return value
    if isinstance(value, list):
        return [fill_ids(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill_ids(v, ids) for k, v in value.items()}
    return value


def request_with_ids(client: TestClient, method: str, path: str, body: Any, ids: dict[str, str]) -> Any:
    """Send one request of an endpoint table, its placeholders filled in from ``ids``."""
    json = fill_ids(body, ids) if body is not None else None
    return client.request(method, fill_ids(path, ids), json=json)


def assert_error(response: Any, status: int, code: str) -> None:
    """The response is an API error with this status and machine-readable code."""
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def count_rows(db: Session, model: Any, *where: Any) -> int:
    """Count rows, then end the read transaction (on SQLite it would hold the write lock)."""
    value = db.scalar(select(func.count()).select_from(model).where(*where))
    db.commit()
    return value or 0
