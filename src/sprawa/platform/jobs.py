"""Durable job queue in the database: jobs, outbox deliveries and timers share one table.

Workers claim due rows with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the single
writer lock makes the claim atomic). A worker killed mid-job loses only its lease: the row becomes due
again when the lease runs out, and handlers are idempotent.
"""

import logging
import os
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from sprawa.db import Base, utcnow
from sprawa.platform.ids import new_id

log = logging.getLogger(__name__)


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class Job(Base):
    """A unit of background work or an outbox delivery; ``idempotency_key`` makes enqueueing idempotent."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_at"),)

    workspace_id: Mapped[str | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, default=new_id)
    status: Mapped[JobStatus] = mapped_column(String(16), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=10)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class WorkerHeartbeat(Base):
    """Last sign of life of a worker process (``/healthz`` reads it)."""

    __tablename__ = "worker_heartbeats"

    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    pid: Mapped[int]
    host: Mapped[str] = mapped_column(String(255))


class RetryLater(Exception):
    """Transient failure: try again, no sooner than ``retry_after`` seconds when given."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """The job can never succeed (bad address, rejected content): stop retrying."""


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    workspace_id: str | None = None,
    key: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 10,
) -> None:
    """Add a job in the caller's transaction; a second enqueue with the same key is a no-op."""
    values = {
        "id": new_id(),
        "workspace_id": workspace_id,
        "kind": kind,
        "payload": payload,
        "idempotency_key": key or new_id(),
        "status": JobStatus.PENDING,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_at": run_at or utcnow(),
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(Job).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"]))


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, capped at one hour, never sooner than Retry-After."""
    delay = random.uniform(0, min(3600.0, 2.0 ** min(attempt, 12)))
    return max(delay, retry_after or 0.0)


def claim(session: Session, worker_id: str, limit: int, lease_seconds: int) -> list[Job]:
    """Claim up to ``limit`` due jobs for this worker; the caller commits."""
    now = utcnow()
    due = (Job.status == JobStatus.PENDING) & (Job.run_at <= now) | (Job.status == JobStatus.RUNNING) & (
        Job.locked_until < now
    )
    query = select(Job.id).where(due).order_by(Job.run_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    session.execute(
        update(Job)
        .where(Job.id.in_(ids))
        .values(
            status=JobStatus.RUNNING,
            locked_by=worker_id,
            locked_until=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
        )
    )
    return list(session.scalars(select(Job).where(Job.id.in_(ids)).execution_options(populate_existing=True)))


def queue_depth(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {str(status): count for status, count in rows}


Handler = Callable[[sessionmaker[Session], Job], None]
"""A job handler opens its own short transactions (no transaction is held across network calls)
and must be idempotent: a job whose worker died is run again once its lease has passed."""


@dataclass
class Worker:
    """Runs due jobs through their handlers and records the outcome under the job's lease."""

    factory: sessionmaker[Session]
    handlers: dict[str, Handler]
    # Called in the transaction that gives up on a job (e.g. mark the message as failed).
    dead_handlers: dict[str, Callable[[Session, Job], None]] = field(default_factory=dict)
    batch: int = 20
    lease_seconds: int = 60

    def __post_init__(self) -> None:
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"

    def heartbeat(self) -> None:
        with self.factory.begin() as session:
            beat = session.get(WorkerHeartbeat, self.worker_id)
            if beat is None:
                session.add(WorkerHeartbeat(id=self.worker_id, pid=os.getpid(), host=socket.gethostname()))
            else:
                beat.seen_at = utcnow()

    def run_once(self) -> int:
        """Claim one batch and run it; returns how many jobs were claimed."""
        with self.factory.begin() as session:
            jobs = claim(session, self.worker_id, self.batch, self.lease_seconds)
            session.expunge_all()
        for job in jobs:
            self.run(job)
        return len(jobs)

    def run(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise PermanentFailure(f"no handler for job kind {job.kind!r}")
            handler(self.factory, job)
        except PermanentFailure as exc:
            self._finish(job, error=str(exc), dead=True)
        except RetryLater as exc:
            self._finish(job, error=str(exc), retry_after=exc.retry_after)
        except Exception as exc:  # a bug or an outage: retry with backoff, keep the error for operators
            log.exception("job failed", extra={"job_id": job.id, "kind": job.kind})
            self._finish(job, error=f"{type(exc).__name__}: {exc}")
        else:
            self._finish(job)

    def _finish(
        self, job: Job, *, error: str | None = None, dead: bool = False, retry_after: float | None = None
    ) -> None:
        with self.factory.begin() as session:
            current = session.get(Job, job.id, with_for_update=True)
            # The lease may have passed to another worker meanwhile: only the holder records the outcome.
            if current is None or current.locked_by != self.worker_id or current.status != JobStatus.RUNNING:
                return
            current.locked_until = None
            current.last_error = error[:2000] if error else None
            if error is None:
                current.status = JobStatus.DONE
                current.finished_at = utcnow()
            elif dead or current.attempts >= current.max_attempts:
                current.status = JobStatus.DEAD
                current.finished_at = utcnow()
                on_dead = self.dead_handlers.get(current.kind)
                if on_dead:
                    on_dead(session, current)
            else:
                current.status = JobStatus.PENDING
                current.run_at = utcnow() + timedelta(seconds=backoff_seconds(current.attempts, retry_after))
