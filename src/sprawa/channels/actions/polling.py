"""Pollers (IMAP, Allegro) run as self-rescheduling ``channels.poll`` jobs, one chain per channel.

The next run's idempotency key is the channel and the time slot it is due in, so two chains started
by accident (a restart, a re-activated channel) fall into the same key after one round and merge.
A poll that keeps failing is retried by the queue; once given up, the dead handler schedules the
next slot, so a provider outage never ends polling for good.
"""

import math
from datetime import timedelta
from typing import Any, Protocol, cast

from sqlalchemy.orm import Session, sessionmaker

from sprawa.channels.base import ChannelAdapter
from sprawa.channels.models import Channel, ChannelKind
from sprawa.db import utcnow
from sprawa.platform.crypto import SecretBox
from sprawa.platform.jobs import Job, enqueue

POLL_JOB = "channels.poll"
DEFAULT_POLL_SECONDS = 60


class PollingAdapter(Protocol):
    def poll(self, factory: sessionmaker[Session], channel: Channel, credentials: dict[str, Any]) -> bool:
        """Read what is new, committing each stored event with the cursor; True when more is waiting."""
        ...


def poll_interval(channel: Channel) -> int:
    return int((channel.settings or {}).get("poll_seconds") or DEFAULT_POLL_SECONDS)


def schedule_poll(session: Session, channel: Channel, *, soon: bool = False, after: str = "") -> None:
    """Queue the channel's next poll: in the next slot, or at once (``soon``) keyed by the job ``after``
    which it follows (a re-run of that job queues the same follower, not a second one)."""
    interval = poll_interval(channel)
    now = utcnow().timestamp()
    slot = math.floor(now / interval) + 1
    key = f"poll:{channel.id}:after:{after}" if soon else f"poll:{channel.id}:{slot}"
    enqueue(
        session,
        POLL_JOB,
        {"channel_id": channel.id},
        workspace_id=channel.workspace_id,
        key=key,
        run_at=utcnow() if soon else utcnow() + timedelta(seconds=slot * interval - now),
        max_attempts=5,
    )


def run_poll_job(
    secrets: SecretBox,
    adapters: dict[ChannelKind, ChannelAdapter],
    factory: sessionmaker[Session],
    job: Job,
) -> None:
    with factory() as session:
        channel = session.get(Channel, job.payload.get("channel_id"))
        if channel is None or not channel.active:
            return  # switched off: the chain ends; activating the channel starts a new one
        session.expunge(channel)
    adapter = adapters.get(channel.kind)
    if adapter is None or not adapter.capabilities.polls:
        return
    more = cast(PollingAdapter, adapter).poll(factory, channel, secrets.open(channel.credentials_encrypted))
    with factory.begin() as session:
        schedule_poll(session, channel, soon=more, after=job.id)


def poll_given_up(session: Session, job: Job) -> None:
    channel = session.get(Channel, job.payload.get("channel_id"))
    if channel is not None and channel.active:
        schedule_poll(session, channel)
