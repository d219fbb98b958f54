"""Carrier tracking per workspace: which tracker serves a carrier, and refreshing a parcel into the cache.

``settings["carriers"]["inpost"] = {"base_url": ..., "webhook_sources": [...]}`` points InPost tracking at
another ShipX host (the sandbox, the demo's fake); without it the public production API is used. Carriers
without a tracking API keep the shop's status and get a tracking link (``links.tracking_url``).
"""

import json
from typing import Any, Protocol

from sqlalchemy.orm import Session

from sprawa.commerce.actions.events import record_commerce_event
from sprawa.commerce.actions.freshness import record_health
from sprawa.commerce.base import ShipmentInfo
from sprawa.commerce.carriers.inpost import (
    PRODUCTION_URL,
    WEBHOOK_SOURCES,
    ShipXTracking,
    from_webhook_source,
)
from sprawa.commerce.errors import ConnectorError
from sprawa.commerce.remote import ConnectorEnv
from sprawa.platform.errors import Forbidden, InvalidInput, NotFound
from sprawa.workspaces.models import Workspace


class Tracker(Protocol):
    carrier: str

    def track(self, tracking_number: str) -> ShipmentInfo | None: ...


def carrier_settings(session: Session, workspace_id: str, carrier: str) -> dict[str, Any]:
    workspace = session.get(Workspace, workspace_id)
    settings = (workspace.settings or {}) if workspace else {}
    return dict((settings.get("carriers") or {}).get(carrier) or {})


def inpost_tracker(session: Session, workspace_id: str, env: ConnectorEnv) -> Tracker:
    """ShipX for this workspace; ``base_url: demo`` is the demo shop's fake ShipX, answered in-process."""
    config = carrier_settings(session, workspace_id, "inpost")
    if config.get("base_url") == "demo":
        from sprawa.commerce.carriers.inpost_fake import DemoShipX

        return DemoShipX(session, workspace_id)
    return ShipXTracking(env, str(config.get("base_url") or PRODUCTION_URL), config.get("token"))


def inpost_webhook_sources(session: Session, workspace_id: str) -> list[str]:
    return list(carrier_settings(session, workspace_id, "inpost").get("webhook_sources") or WEBHOOK_SOURCES)


def refresh_parcel(session: Session, env: ConnectorEnv, workspace_id: str, tracking_number: str) -> list[str]:
    """Re-read one InPost parcel and update the cached shipments; ids of the orders that changed."""
    if not tracking_number:
        return []
    try:
        info = inpost_tracker(session, workspace_id, env).track(tracking_number)
    except ConnectorError as exc:
        record_health(session, workspace_id, "inpost", "shipx", exc)
        raise
    record_health(session, workspace_id, "inpost", "shipx")
    from sprawa.commerce.actions.events import update_shipments

    return update_shipments(session, workspace_id, info) if info else []


def do_receive_inpost_webhook(session: Session, workspace_id: str, body: bytes, source_ip: str) -> bool:
    """Store a ShipX webhook from InPost's source range; the parcel is re-read before anything happens.

    ShipX does not sign its webhooks, so the body is only a hint naming a tracking number.
    """
    if session.get(Workspace, workspace_id) is None:
        raise NotFound("no such webhook")
    if not from_webhook_source(source_ip, inpost_webhook_sources(session, workspace_id)):
        raise Forbidden("webhooks are accepted only from InPost's addresses", code="bad_source")
    try:
        data = json.loads(body)
        payload = data["payload"]
        number = str(payload["tracking_number"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput("this is not a ShipX webhook", code="invalid_payload") from exc
    key = f"{number}:{payload.get('status', '')}:{data.get('event_ts', '')}"
    return record_commerce_event(
        session, workspace_id, "inpost", key, str(data.get("event", "")), {"tracking_number": number}
    )
