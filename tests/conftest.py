"""Test fixtures: one migrated database per run (SQLite by default, PostgreSQL when
SPRAWA_TEST_DATABASE_URL is set), emptied after every test; an app and logged-in clients."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

import sprawa.models  # noqa: F401
from sprawa.app import create_app
from sprawa.channels.models import ChannelKind
from sprawa.config import Settings
from sprawa.db import Base, make_engine
from sprawa.platform.events import Event
from sprawa.platform.migrations import upgrade
from sprawa.runtime import Runtime
from tests.factories import Actor, make_actor, make_channel, make_workspace

TEST_URL = os.environ.get("SPRAWA_TEST_DATABASE_URL", "")


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir = tmp_path_factory.mktemp("sprawa")
    url = TEST_URL or f"sqlite:///{data_dir / 'test.db'}"
    if url.startswith("postgresql"):
        _reset_postgres(url)
    upgrade(url)
    return Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="test-secret-key-not-for-production",
        outbound_allow=["127.0.0.1", "localhost"],
        worker_poll_seconds=0.05,
        _env_file=None,
    )


@pytest.fixture(scope="session")
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.build(settings)
    yield rt
    rt.close()


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "runtime" not in request.fixturenames:
        return
    rt: Runtime = request.getfixturevalue("runtime")
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)] + ["alembic_version"]
    tables = [t for t in tables if t != "alembic_version"]
    with rt.engine.begin() as conn:
        if rt.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def db(runtime: Runtime) -> Iterator[Session]:
    with runtime.factory() as session:
        yield session


@pytest.fixture
def app(runtime: Runtime):  # type: ignore[no-untyped-def]
    return create_app(runtime=runtime)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture
def workspace(db: Session):  # type: ignore[no-untyped-def]
    ws = make_workspace(db, "sklep-a")
    db.commit()
    return ws


@pytest.fixture
def other_workspace(db: Session):  # type: ignore[no-untyped-def]
    ws = make_workspace(db, "sklep-b")
    db.commit()
    return ws


@pytest.fixture
def agent(db: Session, workspace, app) -> Actor:  # type: ignore[no-untyped-def]
    return make_actor(db, app, workspace, "agent")


@pytest.fixture
def admin(db: Session, workspace, app) -> Actor:  # type: ignore[no-untyped-def]
    return make_actor(db, app, workspace, "admin")


@pytest.fixture
def outsider(db: Session, other_workspace, app) -> Actor:  # type: ignore[no-untyped-def]
    """An admin of the other workspace: must never see anything of ``workspace``."""
    return make_actor(db, app, other_workspace, "admin")


@pytest.fixture
def channel(db: Session, workspace):  # type: ignore[no-untyped-def]
    """A web chat channel of ``workspace``, committed."""
    ch = make_channel(db, workspace, ChannelKind.WEBCHAT)
    db.commit()
    return ch


@pytest.fixture
def viewer(db: Session, workspace, app) -> Actor:  # type: ignore[no-untyped-def]
    return make_actor(db, app, workspace, "viewer")


@pytest.fixture
def events(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[Event]:
    """Every event published (after commit) while the test runs."""
    seen: list[Event] = []
    monkeypatch.setattr(runtime.bus, "publish", seen.append)
    return seen


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {'postgresql' if TEST_URL.startswith('postgresql') else 'sqlite'}"


ROOT = Path(__file__).resolve().parent.parent
