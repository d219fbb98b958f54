"""Access chokepoint of the form webhook: the channel a public key names (unauthenticated callers)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.channels.models import Channel, ChannelKind
from sprawa.platform.errors import NotFound


def form_channel_by_public_key(session: Session, public_key: str) -> Channel:
    """The active form channel behind ``public_key``; unknown, inactive or other kinds look the same."""
    channel = session.scalars(
        select(Channel).where(Channel.public_key == public_key, Channel.kind == ChannelKind.FORM)
    ).first()
    if channel is None or not channel.active:
        raise NotFound("no such channel", code="unknown_channel")
    return channel
