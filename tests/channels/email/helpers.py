"""Driving the e-mail channel in tests: one poll through the real adapter, then the worker until idle."""

from functools import partial

from sprawa.channels.actions.polling import POLL_JOB, poll_given_up, run_poll_job
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.service import mark_delivery_dead, run_delivery_job, run_inbound_job
from sprawa.platform.inbound import mark_inbound_failed
from sprawa.platform.jobs import RetryLater, Worker
from sprawa.runtime import Runtime


def poll(runtime: Runtime, channel_id: str) -> bool:
    with runtime.factory() as session:
        channel = session.get(Channel, channel_id)
        assert channel is not None
        session.expunge(channel)
    adapter = runtime.ingest.adapters[ChannelKind.EMAIL]
    return adapter.poll(runtime.factory, channel, runtime.ingest.secrets.open(channel.credentials_encrypted))  # type: ignore[attr-defined]


def poll_until_done(runtime: Runtime, channel_id: str, tries: int = 200) -> int:
    """Poll through dropped connections; returns how many polls failed on the way."""
    failures = 0
    for _ in range(tries):
        try:
            if not poll(runtime, channel_id):
                return failures
        except RetryLater:
            failures += 1
    raise AssertionError("the mailbox was never read to the end")


def channel_worker(runtime: Runtime) -> Worker:
    """The worker with the channel jobs only: other features' jobs (AI answers...) are not run here."""
    ingest = runtime.ingest
    return Worker(
        factory=runtime.factory,
        handlers={
            "inbound.process": partial(run_inbound_job, ingest),
            "outbox.deliver": partial(run_delivery_job, ingest),
            POLL_JOB: partial(run_poll_job, ingest.secrets, ingest.adapters),
        },
        dead_handlers={
            "outbox.deliver": mark_delivery_dead,
            "inbound.process": mark_inbound_failed,
            POLL_JOB: poll_given_up,
        },
        backoff_base=0.0,
        backoff_cap=0.0,
    )


def drain(runtime: Runtime, rounds: int = 50) -> None:
    worker = channel_worker(runtime)
    for _ in range(rounds):
        if worker.run_once() == 0:
            return
    raise AssertionError("jobs kept coming")
