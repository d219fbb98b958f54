"""Configured channels: every member reads them, admins create, change and switch them off."""

from fastapi import APIRouter

from sprawa.channels.models import ChannelKind
from sprawa.channels.queries import access_channel, channel_out, channel_page, quarantined_events
from sprawa.channels.schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    ConnectionCheckOut,
    QuarantinedEventOut,
)
from sprawa.channels.service import (
    check_channel_connection,
    do_create_channel,
    do_replay_quarantined,
    do_set_channel_active,
    do_update_channel,
)
from sprawa.deps import Admin, CurrentPrincipal, DbSession, RuntimeDep
from sprawa.platform.pagination import DEFAULT_LIMIT
from sprawa.workspaces.schemas import CursorQuery, LimitQuery, Page

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


@router.get("")
def list_channels(
    db: DbSession,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    kind: ChannelKind | None = None,
    active: bool | None = None,
) -> Page[ChannelOut]:
    channels, next_cursor = channel_page(db, principal, cursor, limit, kind=kind, active=active)
    secrets = runtime.ingest.secrets
    return Page(items=[channel_out(secrets, c) for c in channels], next_cursor=next_cursor)


@router.post("", status_code=201)
def create_channel(body: ChannelIn, db: DbSession, runtime: RuntimeDep, admin: Admin) -> ChannelOut:
    channel = do_create_channel(
        db, admin, runtime.ingest.secrets, body, outbound_allow=runtime.settings.outbound_allow
    )
    return channel_out(runtime.ingest.secrets, channel)


@router.get("/{channel_id}")
def get_channel(
    channel_id: str, db: DbSession, runtime: RuntimeDep, principal: CurrentPrincipal
) -> ChannelOut:
    return channel_out(runtime.ingest.secrets, access_channel(db, principal, channel_id))


@router.patch("/{channel_id}")
def update_channel(
    channel_id: str, body: ChannelPatch, db: DbSession, runtime: RuntimeDep, admin: Admin
) -> ChannelOut:
    channel = do_update_channel(
        db, admin, runtime.ingest.secrets, channel_id, body, outbound_allow=runtime.settings.outbound_allow
    )
    return channel_out(runtime.ingest.secrets, channel)


@router.post("/{channel_id}/deactivate")
def deactivate_channel(channel_id: str, db: DbSession, runtime: RuntimeDep, admin: Admin) -> ChannelOut:
    return channel_out(runtime.ingest.secrets, do_set_channel_active(db, admin, channel_id, False))


@router.post("/{channel_id}/activate")
def activate_channel(channel_id: str, db: DbSession, runtime: RuntimeDep, admin: Admin) -> ChannelOut:
    return channel_out(runtime.ingest.secrets, do_set_channel_active(db, admin, channel_id, True))


@router.post("/{channel_id}/test")
def test_channel_connection(
    channel_id: str, db: DbSession, runtime: RuntimeDep, admin: Admin
) -> ConnectionCheckOut:
    """Log in to the provider with the stored credentials (IMAP + SMTP, Graph API...) and say how it went."""
    return check_channel_connection(db, admin, runtime.ingest, channel_id)


@router.get("/{channel_id}/quarantine")
def list_quarantined(
    channel_id: str, db: DbSession, admin: Admin, limit: LimitQuery = DEFAULT_LIMIT
) -> list[QuarantinedEventOut]:
    """Messages the channel could not take in (e.g. malformed mail), newest first, with the reason."""
    return [
        QuarantinedEventOut(
            id=e.id,
            provider_key=e.provider_key,
            error=e.error,
            received_at=e.received_at,
            processed_at=e.processed_at,
            size=len(e.payload),
        )
        for e in quarantined_events(db, admin, channel_id, limit)
    ]


@router.post("/{channel_id}/quarantine/{event_id}/replay")
def replay_quarantined(channel_id: str, event_id: str, db: DbSession, admin: Admin) -> dict[str, bool]:
    """Try a quarantined message again (once its cause is fixed)."""
    return {"replayed": do_replay_quarantined(db, admin, channel_id, event_id)}
