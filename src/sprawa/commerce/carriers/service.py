"""Carrier tracking per workspace: which tracker serves a carrier, and refreshing a parcel into the cache.

``settings["carriers"]["inpost"] = {"base_url", "organization_id", "webhook_sources", "credentials"}``:
another ShipX host (the sandbox, the demo's fake; the public production API without it), the organisation
and, sealed, its API token and the webhook secret. Carriers without a tracking API keep the shop's status
and get a tracking link: ``settings["carriers"]["tracking_urls"]`` overrides the default page per carrier.
"""

import json
from typing import Any, Protocol

from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.commerce.actions.events import record_commerce_event
from sprawa.commerce.actions.freshness import record_health
from sprawa.commerce.base import ShipmentInfo
from sprawa.commerce.carriers.inpost import (
    PRODUCTION_URL,
    WEBHOOK_SOURCES,
    ShipXTracking,
    from_webhook_source,
)
from sprawa.commerce.carriers.links import TRACKING_URLS
from sprawa.commerce.errors import ConnectorError, ConnectorProblem, problem_text
from sprawa.commerce.remote import ConnectorEnv
from sprawa.commerce.schemas import (
    CarrierSettingsIn,
    CarrierSettingsOut,
    ConnectionTestOut,
    InpostSettingsOut,
)
from sprawa.commerce.service import tracking_templates
from sprawa.platform.audit import append_audit_by
from sprawa.platform.crypto import SecretBox, constant_time_equal
from sprawa.platform.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from sprawa.platform.events import Event, emit
from sprawa.workspaces.models import Workspace

#: Carriers whose public tracking page the shop may replace (no tracking API in Sprawa).
TEMPLATED = ("dpd", "dhl", "poczta_polska")


class Tracker(Protocol):
    carrier: str

    def track(self, tracking_number: str) -> ShipmentInfo | None: ...


def carrier_settings(session: Session, workspace_id: str, carrier: str) -> dict[str, Any]:
    workspace = session.get(Workspace, workspace_id)
    settings = (workspace.settings or {}) if workspace else {}
    return dict((settings.get("carriers") or {}).get(carrier) or {})


def _sealed(secrets: SecretBox, config: dict[str, Any]) -> dict[str, Any]:
    try:
        return secrets.open(str(config.get("credentials") or "")) if config.get("credentials") else {}
    except ValueError as exc:
        raise ConnectorError(ConnectorProblem.NOT_CONFIGURED, str(exc)) from exc


def inpost_tracker(session: Session, workspace_id: str, env: ConnectorEnv) -> Tracker:
    """ShipX for this workspace; ``base_url: demo`` is the demo shop's fake ShipX, answered in-process."""
    config = carrier_settings(session, workspace_id, "inpost")
    if config.get("base_url") == "demo":
        from sprawa.commerce.carriers.inpost_fake import DemoShipX

        return DemoShipX(session, workspace_id)
    token = _sealed(env.secrets, config).get("token")
    return ShipXTracking(env, str(config.get("base_url") or PRODUCTION_URL), token)


# ---------------------------------------------------------------------------------------------- settings


def carriers_out(session: Session, principal: Principal, public_url: str) -> CarrierSettingsOut:
    config = carrier_settings(session, principal.workspace_id, "inpost")
    sealed = bool(config.get("credentials"))
    flags = config.get("secrets") or {}
    custom = tracking_templates(session, principal.workspace_id)
    return CarrierSettingsOut(
        inpost=InpostSettingsOut(
            base_url=config.get("base_url"),
            organization_id=config.get("organization_id"),
            has_token=sealed and bool(flags.get("token")),
            has_webhook_secret=sealed and bool(flags.get("webhook_secret")),
            webhook_sources=list(config.get("webhook_sources") or WEBHOOK_SOURCES),
            webhook_url=f"{public_url.rstrip('/')}/api/v1/commerce/webhooks/inpost/{principal.workspace_id}",
        ),
        tracking_urls={c: custom.get(c) or TRACKING_URLS[c] for c in TEMPLATED},
        custom_tracking_urls=sorted(custom),
    )


def do_set_carrier_settings(
    session: Session, actor: Principal, body: CarrierSettingsIn, secrets: SecretBox
) -> None:
    """Save carrier tracking settings (admins); secrets are sealed, left-out ones kept, ``""`` removes."""
    if not actor.is_admin:
        raise Forbidden("only owners and admins may set up carriers", code="admin_only")
    workspace = session.get(Workspace, actor.workspace_id, with_for_update=True)
    assert workspace is not None
    carriers = dict((workspace.settings or {}).get("carriers") or {})
    if body.inpost is not None:
        old = dict(carriers.get("inpost") or {})
        inpost = {k: v for k, v in old.items() if k not in ("credentials", "secrets")}
        fields = body.inpost.model_fields_set
        for key in ("base_url", "organization_id", "webhook_sources"):
            if key in fields:
                value = getattr(body.inpost, key)
                if value in (None, "", []):
                    inpost.pop(key, None)
                else:
                    inpost[key] = value
        stored = _sealed(secrets, old)
        for key in ("token", "webhook_secret"):
            value = getattr(body.inpost, key)
            if value is not None:
                stored[key] = value
        stored = {k: v for k, v in stored.items() if v}
        if stored:
            inpost["credentials"] = secrets.seal(stored)
            inpost["secrets"] = {k: True for k in stored}  # which are set, for the page (not the values)
        carriers["inpost"] = inpost
    if body.tracking_urls:
        urls = dict(carriers.get("tracking_urls") or {})
        for carrier, template in body.tracking_urls.items():
            if template:
                urls[carrier] = template
            else:
                urls.pop(carrier, None)
        carriers["tracking_urls"] = urls
    workspace.settings = {**(workspace.settings or {}), "carriers": carriers}
    append_audit_by(session, actor, "commerce.carriers_changed", "workspace", workspace.id)
    emit(session, Event("commerce.carriers", workspace.id, {}))


def _tested(
    session: Session, workspace_id: str, source: str, kind: str, error: ConnectorError | None
) -> ConnectionTestOut:
    record_health(session, workspace_id, source, kind, error)
    if error is None:
        return ConnectionTestOut(ok=True, problem=None, message=None, detail=None)
    pl, en = problem_text(error.problem, source)
    return ConnectionTestOut(
        ok=False, problem=str(error.problem), message={"pl": pl, "en": en}, detail=error.detail
    )


def do_test_inpost(session: Session, actor: Principal, env: ConnectorEnv) -> ConnectionTestOut:
    """Ask ShipX with the saved settings: the organisation with its token when both are set, else the
    public status dictionary. The outcome is also the connection's health."""
    if not actor.is_admin:
        raise Forbidden("only owners and admins may test carriers", code="admin_only")
    config = carrier_settings(session, actor.workspace_id, "inpost")
    error = None
    try:
        tracker = inpost_tracker(session, actor.workspace_id, env.within(10.0))
        if isinstance(tracker, ShipXTracking):
            organization = config.get("organization_id")
            if organization and _sealed(env.secrets, config).get("token"):
                tracker.organization(str(organization))
            else:
                tracker.statuses()
    except ConnectorError as exc:
        error = exc
    return _tested(session, actor.workspace_id, "inpost", "shipx", error)


def do_test_shop(session: Session, actor: Principal, env: ConnectorEnv) -> ConnectionTestOut:
    """One authenticated read from the shop with the saved connection (an order that does not exist)."""
    from sprawa.commerce.service import connector_for

    if not actor.is_admin:
        raise Forbidden("only owners and admins may test the shop connection", code="admin_only")
    error, kind = None, "demo"
    try:
        connector = connector_for(session, actor.workspace_id, env.within(10.0))
        kind = connector.kind
        connector.get_order("0")
    except ConnectorError as exc:
        error = exc
        workspace = session.get(Workspace, actor.workspace_id)
        kind = str(
            (((workspace.settings or {}) if workspace else {}).get("commerce") or {}).get("kind", kind)
        )
    return _tested(session, actor.workspace_id, "shop", kind, error)


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


def do_receive_inpost_webhook(
    session: Session,
    secrets: SecretBox,
    workspace_id: str,
    body: bytes,
    source_ip: str,
    token: str | None = None,
) -> bool:
    """Store a ShipX webhook from InPost's source range (and with the workspace's webhook secret in the URL
    when one is set); the parcel is re-read before anything happens.

    ShipX does not sign its webhooks, so the body is only a hint naming a tracking number.
    """
    if session.get(Workspace, workspace_id) is None:
        raise NotFound("no such webhook")
    if not from_webhook_source(source_ip, inpost_webhook_sources(session, workspace_id)):
        raise Forbidden("webhooks are accepted only from InPost's addresses", code="bad_source")
    secret = str(
        _sealed(secrets, carrier_settings(session, workspace_id, "inpost")).get("webhook_secret") or ""
    )
    if secret and not constant_time_equal(secret, token or ""):
        raise Unauthorized("missing or wrong webhook token", code="bad_token")
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
