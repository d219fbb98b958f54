"""Durable job queue in the database: jobs, outbox deliveries and timers share one table.

Workers claim due rows with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the single
writer lock makes the claim atomic). A worker killed mid-job loses only its lease: the row becomes due
again when the lease runs out, and handlers are idempotent.

Operational limits:
- ``lease_seconds`` must exceed the longest single job (e.g. the outbound HTTP timeout); the lease is
  renewed when each job of a claimed batch starts, so a batch may take longer than one lease.
- ``attempts`` counts started runs, not claims: a worker killed before it reached a claimed job does
  not use up that job's attempts. A job whose every allowed attempt started and never reported back
  (it keeps killing its worker) is given up when it is claimed again.
- A job that is given up (``dead``) keeps its ``last_error``; its kind's dead handler runs in the same
  transaction (a message is marked failed, an inbound event is quarantined).
- Kinds whose handler only writes to the database (``tx_handlers``, e.g. normalising inbound events)
  share transactions: the attempts of a claimed group are counted in the claim's commit, then the jobs
  run one after another in one transaction (a savepoint each, so a failing job is rolled back alone)
  that also records each outcome, committed every ``tx_budget_seconds`` (SQLite has one writer: a
  short budget keeps webhook answers from waiting behind a long batch). A job that was started before
  and never reported back may be what killed its worker: it runs in a transaction of its own.
"""

import email.utils
import logging
import os
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, delete, event, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from sprawa.db import Base, utcnow
from sprawa.platform.ids import new_id

log = logging.getLogger(__name__)

# A provider asking for more than a day is treated as asking for a day: the row stays visible meanwhile.
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
ERROR_MAX_CHARS = 2000


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class Job(Base):
    """A unit of background work or an outbox delivery; ``idempotency_key`` makes enqueueing idempotent."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_at"),)

    workspace_id: Mapped[str | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
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


def backoff_seconds(
    attempt: int, retry_after: float | None = None, *, base: float = 1.0, cap: float = 3600.0
) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base·2^attempt)).

    Never sooner than the provider's Retry-After (itself capped at a day). Full jitter spreads the
    retries of many rows that failed together (a provider outage) instead of sending them in waves.
    """
    ceiling = min(cap, base * 2.0 ** min(max(attempt, 0), 40))
    delay = random.uniform(0, ceiling)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER_SECONDS))
    return delay


_SECONDS = re.compile(r"^\d+(\.\d+)?$")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from an HTTP ``Retry-After`` header: delay-seconds or an HTTP-date.

    Returns None when absent or unreadable (the normal backoff applies), 0 for a date in the past.
    """
    if not value:
        return None
    value = value.strip()
    if _SECONDS.match(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates: RFC 9110 dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or utcnow())).total_seconds())


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or running under a lease that has run out (its worker died or stalled)."""
    return ((Job.status == JobStatus.PENDING) & (Job.run_at <= now)) | (
        (Job.status == JobStatus.RUNNING) & (Job.locked_until < now)
    )


def claim(session: Session, worker_id: str, limit: int, lease_seconds: int) -> list[Job]:
    """Claim up to ``limit`` due jobs for this worker; the caller commits.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets concurrent workers pass over each other's rows.
    The UPDATE repeats the due condition so that a row is never claimed twice even without it.
    """
    now = utcnow()
    query = select(Job.id).where(_due(now)).order_by(Job.run_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        return []
    claimed = list(
        session.scalars(
            update(Job)
            .where(Job.id.in_(ids), _due(now))
            .values(
                status=JobStatus.RUNNING,
                locked_by=worker_id,
                locked_until=now + timedelta(seconds=lease_seconds),
            )
            .returning(Job.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not claimed:
        return []
    return list(
        session.scalars(
            select(Job)
            .where(Job.id.in_(claimed))
            .order_by(Job.run_at, Job.id)
            .execution_options(populate_existing=True)
        )
    )


def queue_depth(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {str(status): count for status, count in rows}


Handler = Callable[[sessionmaker[Session], Job], None]
"""A job handler opens its own short transactions (no transaction is held across network calls)
and must be idempotent: a job whose worker died is run again once its lease has passed."""

DeadHandler = Callable[[Session, Job], None]

TxHandler = Callable[[Session, Job], None]
"""A handler that only writes to the database, inside the transaction (and savepoint) the worker owns;
idempotent like any handler. Several jobs share one commit."""


@dataclass
class Worker:
    """Runs due jobs through their handlers and records the outcome under the job's lease."""

    factory: sessionmaker[Session]
    handlers: dict[str, Handler]
    # Called in the transaction that gives up on a job (e.g. mark the message as failed).
    dead_handlers: dict[str, DeadHandler] = field(default_factory=dict)
    batch: int = 20
    lease_seconds: int = 60
    # Per-kind limit that overrides the row's own ``max_attempts`` (operator setting).
    max_attempts: dict[str, int] = field(default_factory=dict)
    backoff_base: float = 1.0
    backoff_cap: float = 3600.0
    tx_handlers: dict[str, TxHandler] = field(default_factory=dict)
    # How long one shared transaction may run; None: 20 ms on SQLite (its single write lock is held
    # meanwhile, and webhook answers wait behind it), 1 s on PostgreSQL (row locks only).
    tx_budget_seconds: float | None = None

    def __post_init__(self) -> None:
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"
        bind = self.factory.kw.get("bind")
        sqlite = bind is None or bind.dialect.name == "sqlite"
        if self.tx_budget_seconds is None:
            self.tx_budget_seconds = 0.02 if sqlite else 1.0
        # Between two shared transactions on SQLite the worker lets go of the write lock for a moment:
        # other processes' writers (webhook answers) get in instead of waiting for the whole batch.
        self._tx_pause = 0.004 if sqlite else 0.0

    def heartbeat(self) -> None:
        with self.factory.begin() as session:
            beat = session.get(WorkerHeartbeat, self.worker_id)
            if beat is None:
                session.add(WorkerHeartbeat(id=self.worker_id, pid=os.getpid(), host=socket.gethostname()))
            else:
                beat.seen_at = utcnow()
            # Workers that were killed never retire: forget them after a day.
            session.execute(
                delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < utcnow() - timedelta(days=1))
            )

    def retire(self) -> None:
        """A clean stop: health checks see at once that this worker is gone."""
        with self.factory.begin() as session:
            session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.id == self.worker_id))

    def run_once(self, stop: threading.Event | None = None) -> int:
        """Claim one batch and run it; returns how many jobs were claimed.

        When ``stop`` is set between two jobs, the jobs not yet started go back to the queue at once
        (another worker need not wait for the lease to run out).
        """
        together: list[Job] = []
        with self.factory.begin() as session:
            jobs = claim(session, self.worker_id, self.batch, self.lease_seconds)
            if not (stop is not None and stop.is_set()):
                together = [j for j in jobs if j.kind in self.tx_handlers and j.attempts == 0]
                if together:  # these start now: their attempt is counted with the claim
                    session.execute(
                        update(Job)
                        .where(Job.id.in_([j.id for j in together]))
                        .values(attempts=Job.attempts + 1)
                        .execution_options(synchronize_session=False)
                    )
                    for job in together:
                        job.attempts += 1
            session.expunge_all()
        self._run_together(together)
        rest = [j for j in jobs if j not in together]
        for index, job in enumerate(rest):
            if stop is not None and stop.is_set():
                self.release(rest[index:])
                break
            self.run(job)
        return len(jobs)

    def release(self, jobs: Sequence[Job]) -> None:
        """Give claimed, not yet started jobs back (their attempts were not counted)."""
        if not jobs:
            return
        with self.factory.begin() as session:
            session.execute(
                update(Job)
                .where(
                    Job.id.in_([j.id for j in jobs]),
                    Job.locked_by == self.worker_id,
                    Job.status == JobStatus.RUNNING,
                )
                .values(status=JobStatus.PENDING, locked_by=None, locked_until=None)
                .execution_options(synchronize_session=False)
            )

    def run(self, job: Job) -> None:
        if not self._start(job):
            return
        if job.kind in self.tx_handlers:
            self._run_together([job])
            return
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise PermanentFailure(f"no handler for job kind {job.kind!r}")
            handler(self.factory, job)
        except PermanentFailure as exc:
            log.warning("job failed permanently", extra={"job_id": job.id, "kind": job.kind})
            self._finish(job, error=str(exc) or type(exc).__name__, dead=True)
        except RetryLater as exc:
            log.info("job will be retried", extra={"job_id": job.id, "kind": job.kind})
            self._finish(job, error=str(exc) or type(exc).__name__, retry_after=exc.retry_after)
        except Exception as exc:  # a bug or an outage: retry with backoff, keep the error for operators
            log.exception("job failed", extra={"job_id": job.id, "kind": job.kind})
            self._finish(job, error=f"{type(exc).__name__}: {exc}")
        else:
            self._finish(job)

    def _run_together(self, jobs: list[Job]) -> None:
        """Run started jobs of ``tx_handlers`` kinds, several per transaction, each under a savepoint."""
        while jobs:
            done = 0
            try:
                with self.factory.begin() as session:
                    _hold_loaded(session)
                    ids = [j.id for j in jobs]
                    rows = session.scalars(
                        select(Job)
                        .where(Job.id.in_(ids))
                        .with_for_update()
                        .execution_options(populate_existing=True)
                    )
                    current = {row.id: row for row in rows}
                    deadline = time.monotonic() + (self.tx_budget_seconds or 0.0)
                    for job in jobs:
                        row = current.get(job.id)
                        if row is not None and self._holds(row):
                            self._run_in(session, row)
                        done += 1
                        if time.monotonic() > deadline:
                            break
            except Exception as exc:  # the shared transaction failed (a lost connection, a deadlock)
                done = done or len(jobs)
                log.exception("a shared job transaction failed", extra={"jobs": done})
                for job in jobs[:done]:  # nothing of theirs was committed: each is retried alone
                    self._finish(job, error=f"{type(exc).__name__}: {exc}")
            jobs = jobs[done:]
            if jobs and self._tx_pause:
                time.sleep(self._tx_pause)

    def _run_in(self, session: Session, job: Job) -> None:
        """One job inside the shared transaction: its writes and its outcome, or its outcome alone."""
        callbacks = list(session.info.get("on_commit", []))
        retry_after: float | None = None
        dead = False
        try:
            with session.begin_nested():
                self.tx_handlers[job.kind](session, job)
        except PermanentFailure as exc:
            error: str | None = str(exc) or type(exc).__name__
            dead = True
            log.warning("job failed permanently", extra={"job_id": job.id, "kind": job.kind})
        except RetryLater as exc:
            error, retry_after = str(exc) or type(exc).__name__, exc.retry_after
            log.info("job will be retried", extra={"job_id": job.id, "kind": job.kind})
        except Exception as exc:  # a bug or an outage: retry with backoff, keep the error for operators
            error = f"{type(exc).__name__}: {exc}"
            log.exception("job failed", extra={"job_id": job.id, "kind": job.kind})
        else:
            error = None
        if error is not None:  # what the rolled-back savepoint announced after commit never happened
            session.info["on_commit"] = callbacks
        self._record(session, job, error=error, dead=dead, retry_after=retry_after)

    def _holds(self, job: Job) -> bool:
        return job.locked_by == self.worker_id and job.status == JobStatus.RUNNING

    def limit(self, job: Job) -> int:
        return self.max_attempts.get(job.kind, job.max_attempts)

    def _start(self, job: Job) -> bool:
        """Count the attempt and renew the lease; False when the job is no longer ours to run."""
        with self.factory.begin() as session:
            current = session.get(Job, job.id, with_for_update=True, populate_existing=True)
            if current is None or current.locked_by != self.worker_id or current.status != JobStatus.RUNNING:
                return False  # the lease ran out before we got here and another worker took the job
            if current.attempts >= self.limit(current):
                # Every allowed attempt started and none reported back: the job keeps killing workers.
                previous = f" Last error: {current.last_error}" if current.last_error else ""
                self._bury(
                    session,
                    current,
                    f"gave up after {current.attempts} attempts that never finished "
                    f"(the worker died each time).{previous}",
                )
                return False
            current.attempts += 1
            current.locked_until = utcnow() + timedelta(seconds=self.lease_seconds)
            job.attempts = current.attempts
            return True

    def _finish(
        self, job: Job, *, error: str | None = None, dead: bool = False, retry_after: float | None = None
    ) -> None:
        with self.factory.begin() as session:
            current = session.get(Job, job.id, with_for_update=True, populate_existing=True)
            # The lease may have passed to another worker meanwhile: only the holder records the outcome.
            if current is None or not self._holds(current):
                log.warning("late finisher: the job's lease was taken over", extra={"job_id": job.id})
                return
            self._record(session, current, error=error, dead=dead, retry_after=retry_after)

    def _record(
        self, session: Session, job: Job, *, error: str | None, dead: bool, retry_after: float | None
    ) -> None:
        """The outcome of a job this worker holds (loaded in ``session``, locked)."""
        job.locked_until = None
        if error is None:
            job.status = JobStatus.DONE
            job.finished_at = utcnow()
            job.last_error = None
        elif dead or job.attempts >= self.limit(job):
            self._bury(session, job, error)
        else:
            job.last_error = error[:ERROR_MAX_CHARS]
            job.status = JobStatus.PENDING
            delay = backoff_seconds(job.attempts, retry_after, base=self.backoff_base, cap=self.backoff_cap)
            job.run_at = utcnow() + timedelta(seconds=delay)

    def _bury(self, session: Session, job: Job, error: str) -> None:
        """Give up on a job: dead with its error, and its kind's dead handler in the same transaction."""
        job.status = JobStatus.DEAD
        job.last_error = error[:ERROR_MAX_CHARS]
        job.locked_until = None
        job.finished_at = utcnow()
        log.error("job is dead", extra={"job_id": job.id, "kind": job.kind, "attempts": job.attempts})
        on_dead = self.dead_handlers.get(job.kind)
        if on_dead:
            on_dead(session, job)


def _hold_loaded(session: Session) -> None:
    """Keep what the session loads alive until it closes: its identity map holds objects weakly, so the
    next job of a shared transaction would load the same channel or workspace again."""
    held: list[object] = session.info.setdefault("held", [])
    event.listen(session, "loaded_as_persistent", lambda _s, obj: held.append(obj))
    event.listen(session, "pending_to_persistent", lambda _s, obj: held.append(obj))
