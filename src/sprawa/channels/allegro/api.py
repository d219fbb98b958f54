"""Connecting an Allegro account from the channel settings (device flow), admins only."""

from typing import Any

from fastapi import APIRouter

from sprawa.channels.allegro.connect import (
    do_check_allegro_connection,
    do_disconnect_allegro,
    do_start_allegro_connection,
)
from sprawa.deps import Admin, DbSession, RuntimeDep

router = APIRouter(prefix="/api/v1/channels", tags=["channels"])


@router.post("/{channel_id}/allegro/connect")
def start_connection(channel_id: str, db: DbSession, runtime: RuntimeDep, admin: Admin) -> dict[str, Any]:
    """Start the device flow: open ``verification_uri_complete`` and confirm ``user_code`` on Allegro."""
    return do_start_allegro_connection(db, admin, runtime.ingest.secrets, runtime.http, channel_id)


@router.post("/{channel_id}/allegro/connect/check")
def check_connection(channel_id: str, db: DbSession, runtime: RuntimeDep, admin: Admin) -> dict[str, str]:
    """Ask Allegro whether the seller confirmed: connected / pending / slow_down / denied."""
    return do_check_allegro_connection(db, admin, runtime.ingest.secrets, runtime.http, channel_id)


@router.post("/{channel_id}/allegro/disconnect", status_code=204)
def disconnect(channel_id: str, db: DbSession, runtime: RuntimeDep, admin: Admin) -> None:
    """Forget the connected account's tokens; the Client ID and secret stay for connecting again."""
    do_disconnect_allegro(db, admin, runtime.ingest.secrets, channel_id)
