"""Database engine, declarative base, column conventions and after-commit hooks."""

import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, String, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from sprawa.platform.ids import new_id

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every engine (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every model: string ids that are not guessable and sort by creation time."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
        list[dict[str, Any]]: JSON(),
    }

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def engine_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


BUSY_SECONDS = 30.0  # how long a SQLite writer waits for another one before it gives up


class _WriterQueue:
    """SQLite's writers of this process, one at a time, first come first served, handed over without
    sleeping.

    SQLite's own busy handler makes a waiting writer sleep (up to 100 ms a nap) and retry, so under
    concurrent requests the unlucky ones waited seconds for transactions of a few milliseconds.
    Connections of this process queue here instead (a request's transaction may begin and end on
    different threads, so the turn belongs to the connection); other processes still meet SQLite's
    lock. This is only about waiting: a writer that does not get its turn in time goes on to SQLite,
    which stays the judge of who writes.
    """

    WAIT_SECONDS = 10.0

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._busy = False

    def enter(self) -> bool:
        with self._mutex:
            if not self._busy:
                self._busy = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        if turn.acquire(timeout=self.WAIT_SECONDS):
            return True
        with self._mutex:
            if turn in self._waiting:  # still waiting: give up the place in the queue
                self._waiting.remove(turn)
                return False
        return True  # handed over just as the wait ran out: the turn is ours

    def leave(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()  # the next one in line; still busy
            else:
                self._busy = False


def _sqlite_connection_class(queue: _WriterQueue) -> type[sqlite3.Connection]:
    class QueuedConnection(sqlite3.Connection):
        """Leaves the writer queue once its transaction has ended (commit, rollback or close)."""

        in_queue = False

        def enter_queue(self) -> None:
            self.in_queue = queue.enter()

        def leave_queue(self) -> None:
            if self.in_queue:
                self.in_queue = False
                queue.leave()

        def begin_immediate(self) -> None:
            """BEGIN IMMEDIATE, retried every millisecond while another process writes: SQLite's
            busy handler naps up to 100 ms between tries, and a process that writes again and
            again (a worker) would slip in before every nap ends."""
            deadline = time.monotonic() + BUSY_SECONDS
            self.execute("PRAGMA busy_timeout=0")
            try:
                while True:
                    try:
                        self.execute("BEGIN IMMEDIATE")
                        return
                    except sqlite3.OperationalError as exc:
                        if "locked" not in str(exc) or time.monotonic() > deadline:
                            raise
                    time.sleep(0.001)
            finally:
                self.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self.leave_queue()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.leave_queue()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self.leave_queue()

    return QueuedConnection


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = engine_url(url)
    if url.startswith("sqlite"):
        queue = _WriterQueue()
        connect_args = {
            "check_same_thread": False,
            "timeout": BUSY_SECONDS,
            "factory": _sqlite_connection_class(queue),
        }
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy own BEGIN so that writers take the lock up front (no upgrade deadlocks).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL: every commit is on disk before it returns, so what was acknowledged survives a power
            # cut or kernel crash too (NORMAL would only survive the process being killed; it would save
            # an fsync of a few ms per commit).
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the lock up front (no deadlocking upgrades); read-only units of work
            # (``read_only_engine``) begin DEFERRED so that readers never queue behind writers (WAL).
            if conn.get_execution_options().get("read_only"):
                conn.exec_driver_sql("BEGIN DEFERRED")
                return
            dbapi_conn = conn.connection.dbapi_connection
            dbapi_conn.enter_queue()
            try:
                dbapi_conn.begin_immediate()
            except BaseException:
                dbapi_conn.leave_queue()
                raise

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, **kwargs)


def read_only_engine(engine: Engine) -> Engine:
    """The same engine, marked for units of work that only read."""
    return engine.execution_options(read_only=True)


def on_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run ``fn`` once the current transaction has committed (dropped on rollback)."""
    session.info.setdefault("on_commit", []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_on_commit(session: Session) -> None:
    callbacks = session.info.pop("on_commit", [])
    for fn in callbacks:
        fn()


@event.listens_for(Session, "after_rollback")
def _drop_on_commit(session: Session) -> None:
    session.info.pop("on_commit", None)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    with factory() as session, session.begin():
        yield session
