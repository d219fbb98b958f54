"""Reads of the order cache used outside commerce (case linking, customer panel)."""

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.commerce.models import ConnectorHealth, Order, Shipment
from sprawa.commerce.schemas import ShopConnectionOut
from sprawa.customers.models import Customer
from sprawa.platform.crypto import SecretBox
from sprawa.platform.errors import NotFound
from sprawa.workspaces.models import Workspace

_TOKEN = re.compile(r"[A-Za-z0-9]{5,40}")


def referenced_order_ids(session: Session, customer: Customer, text: str) -> list[str]:
    """Orders of this customer whose number or tracking number appears in ``text``.

    Only the customer's own orders count, so a typed number can never tie a message to someone else.
    """
    found = list(dict.fromkeys(m.group(0).upper() for m in _TOKEN.finditer(text)))[:50]
    # Some shops print their numbers with a "#" (e.g. #W2611340); customers often leave it out.
    tokens = found + [f"#{token}" for token in found]
    if not tokens:
        return []
    owner = [Order.customer_id == customer.id]
    if customer.email:
        owner.append(Order.customer_email == customer.email)
    by_number = select(Order.id).where(
        Order.workspace_id == customer.workspace_id, Order.number.in_(tokens), or_(*owner)
    )
    by_tracking = (
        select(Order.id)
        .join(Shipment, Shipment.order_id == Order.id)
        .where(Order.workspace_id == customer.workspace_id, Shipment.tracking_number.in_(tokens), or_(*owner))
    )
    return list(dict.fromkeys(session.scalars(by_number.union(by_tracking))))


def webhook_secret(session: Session, secrets: SecretBox, workspace_id: str, kind: str) -> str:
    """The webhook secret of the workspace's ``kind`` shop connection; NotFound when it has none.

    A workspace that does not use this platform answers like an unknown URL, so the endpoint reveals nothing.
    """
    workspace = session.get(Workspace, workspace_id)
    config = ((workspace.settings or {}).get("commerce") or {}) if workspace else {}
    if config.get("kind") != kind:
        raise NotFound("no such webhook")
    try:
        secret = secrets.open(str(config.get("credentials") or "")).get("webhook_secret")
    except ValueError as exc:
        raise NotFound("no such webhook") from exc
    if not secret:
        raise NotFound("no such webhook")
    return str(secret)


def shipments_by_order(session: Session, order_ids: list[str]) -> dict[str, list[Shipment]]:
    found: dict[str, list[Shipment]] = {}
    if order_ids:
        for row in session.scalars(select(Shipment).where(Shipment.order_id.in_(order_ids))):
            found.setdefault(row.order_id, []).append(row)
    return found


def connector_health(session: Session, principal: Principal) -> list[ConnectorHealth]:
    """The principal's workspace connections (shop first, then carriers)."""
    rows = session.scalars(
        select(ConnectorHealth).where(ConnectorHealth.workspace_id == principal.workspace_id)
    )
    return sorted(rows, key=lambda h: (h.source != "shop", h.source))


def connection_out(session: Session, principal: Principal, public_url: str) -> ShopConnectionOut:
    workspace = session.get(Workspace, principal.workspace_id)
    config = ((workspace.settings or {}).get("commerce") or {}) if workspace else {}
    kind = str(config.get("kind", "demo"))
    hook = kind in ("woocommerce", "shopify")
    return ShopConnectionOut(
        kind=kind,
        base_url=config.get("base_url"),
        has_credentials=bool(config.get("credentials")),
        webhook_url=f"{public_url.rstrip('/')}/api/v1/commerce/webhooks/{kind}/{principal.workspace_id}"
        if hook
        else None,
    )
