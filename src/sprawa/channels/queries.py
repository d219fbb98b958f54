"""Reads of configured channels, scoped to the principal's workspace (the one access chokepoint)."""

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.schemas import ChannelOut
from sprawa.platform.access import fetch_one_or_not_found, select_in_workspace
from sprawa.platform.crypto import SecretBox
from sprawa.platform.errors import NotFound
from sprawa.platform.inbound import InboundEvent, InboundStatus
from sprawa.workspaces.queries import keyset_page


def readable_channels(principal: Principal) -> Select[tuple[Channel]]:
    return select_in_workspace(Channel, principal.workspace_id)


def access_channel(
    session: Session, principal: Principal, channel_id: str, *, for_update: bool = False
) -> Channel:
    """A channel of the principal's workspace; another workspace's id is simply not found."""
    stmt = readable_channels(principal).where(Channel.id == channel_id)
    return fetch_one_or_not_found(session, stmt, "channel not found", for_update=for_update)


def channel_page(
    session: Session,
    principal: Principal,
    cursor: str | None,
    limit: int,
    *,
    kind: ChannelKind | None = None,
    active: bool | None = None,
) -> tuple[list[Channel], str | None]:
    stmt = readable_channels(principal)
    if kind is not None:
        stmt = stmt.where(Channel.kind == kind)
    if active is not None:
        stmt = stmt.where(Channel.active.is_(active))
    return keyset_page(session, stmt, Channel, cursor, limit)


def credential_keys(secrets: SecretBox, channel: Channel) -> list[str]:
    """Names of the credentials set on a channel (the values never leave the service layer)."""
    try:
        return sorted(secrets.open(channel.credentials_encrypted))
    except ValueError:
        # Sealed under another secret key: present but unreadable until re-entered.
        return []


def channel_out(secrets: SecretBox, channel: Channel) -> ChannelOut:
    return ChannelOut(
        id=channel.id,
        kind=channel.kind,
        name=channel.name,
        public_key=channel.public_key,
        active=channel.active,
        settings=dict(channel.settings or {}),
        has_credentials=bool(channel.credentials_encrypted),
        credential_keys=credential_keys(secrets, channel),
        created_at=channel.created_at,
    )


def channel_by_public_key(session: Session, public_key: str, *kinds: ChannelKind) -> Channel:
    """The active channel of one of ``kinds`` behind a webhook's public key (unauthenticated callers);
    unknown, inactive or other kinds look the same."""
    channel = session.scalars(
        select(Channel).where(Channel.public_key == public_key, Channel.kind.in_(kinds))
    ).first()
    if channel is None or not channel.active:
        raise NotFound("no such channel", code="unknown_channel")
    return channel


def quarantined_events(
    session: Session, principal: Principal, channel_id: str, limit: int
) -> list[InboundEvent]:
    """Raw events of a channel that could not be processed (poison mail, bad payloads), newest first."""
    channel = access_channel(session, principal, channel_id)
    return list(
        session.scalars(
            select(InboundEvent)
            .where(InboundEvent.channel_id == channel.id, InboundEvent.status == InboundStatus.FAILED)
            .order_by(InboundEvent.received_at.desc())
            .limit(limit)
        )
    )
