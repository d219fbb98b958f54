"""Driving the e-mail channel in tests: one poll through the real adapter."""

from sprawa.channels.models import Channel, ChannelKind
from sprawa.platform.jobs import RetryLater
from sprawa.runtime import Runtime
from tests.channels.helpers import drain

__all__ = ["drain", "poll", "poll_until_done"]


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
