"""Running the channel jobs in tests: a worker with the channel handlers only, until nothing is due."""

from functools import partial

from sqlalchemy.orm import Session

from sprawa.channels.actions.polling import POLL_JOB, poll_given_up, run_poll_job
from sprawa.channels.service import ingest_inbound_job, mark_delivery_dead, run_delivery_job
from sprawa.platform.inbound import mark_inbound_failed
from sprawa.platform.jobs import Worker
from sprawa.runtime import Runtime


def channel_worker(runtime: Runtime) -> Worker:
    """The worker with the channel jobs only: other features' jobs (AI answers...) are not run here."""
    ingest = runtime.ingest
    return Worker(
        factory=runtime.factory,
        handlers={
            "outbox.deliver": partial(run_delivery_job, ingest),
            POLL_JOB: partial(run_poll_job, ingest.secrets, ingest.adapters),
        },
        tx_handlers={"inbound.process": partial(ingest_inbound_job, ingest)},
        dead_handlers={
            "outbox.deliver": mark_delivery_dead,
            "inbound.process": mark_inbound_failed,
            POLL_JOB: poll_given_up,
        },
        backoff_base=0.0,
        backoff_cap=0.0,
    )


def drain(runtime: Runtime, db: Session | None = None, rounds: int = 50) -> None:
    """Run due jobs until none is left; ``db`` (the test's session) is committed first so that its
    open read transaction does not hold SQLite's lock while the worker writes."""
    if db is not None:
        db.commit()
    worker = channel_worker(runtime)
    for _ in range(rounds):
        if worker.run_once() == 0:
            return
    raise AssertionError("jobs kept coming")
