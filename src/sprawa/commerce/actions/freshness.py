"""Order context for the agent view and the AI: the cache, refreshed on demand within a short budget.

A refresh that fails or runs out of time never blocks the answer: the cached orders come back with a
stale-data notice saying how old they are and why they could not be refreshed, and the connector's
health records the problem for the settings page.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sprawa.commerce.errors import PROBLEM_TEXT, ConnectorError, ConnectorProblem
from sprawa.commerce.models import ConnectorHealth, Order, Shipment, ShipmentState
from sprawa.commerce.remote import ConnectorEnv
from sprawa.commerce.service import connector_for, sync_customer_orders
from sprawa.customers.models import Customer
from sprawa.db import utcnow
from sprawa.platform.events import Event, emit
from sprawa.workspaces.models import Workspace

#: Cached orders older than this are shown with a notice even when nobody asked for a refresh.
STALE_AFTER = timedelta(minutes=15)
DEFAULT_REFRESH_SECONDS = 2.0
MAX_PARCELS = 5
MIN_PARCEL_SECONDS = 0.2
SHOP = "shop"


@dataclass(frozen=True)
class OrderContext:
    """The customer's cached orders (newest first) and how fresh they are."""

    orders: list[Order]
    fetched_at: datetime | None  # the oldest fetch time among the orders
    refreshed: bool
    stale: bool
    problem: ConnectorProblem | None = None
    notice_pl: str | None = None
    notice_en: str | None = None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cached_orders(session: Session, customer: Customer, limit: int = 20) -> list[Order]:
    owner = [Order.customer_id == customer.id]
    if customer.email:
        owner.append(Order.customer_email == customer.email)
    return list(
        session.scalars(
            select(Order)
            .where(Order.workspace_id == customer.workspace_id, or_(*owner))
            .order_by(Order.placed_at.desc())
            .limit(limit)
        )
    )


def order_context(
    session: Session,
    customer: Customer,
    *,
    env: ConnectorEnv | None = None,
    fresh: bool = False,
    timeout: float = DEFAULT_REFRESH_SECONDS,
) -> OrderContext:
    """The customer's orders; with ``fresh`` re-read from the shop first, within ``timeout`` seconds."""
    refreshed, problem = False, None
    started = time.monotonic()
    if fresh:
        try:
            connector = connector_for(session, customer.workspace_id, env.within(timeout) if env else None)
            sync_customer_orders(session, connector, customer.workspace_id, customer)
            record_health(session, customer.workspace_id, SHOP, connector.kind)
            refreshed = True
        except ConnectorError as exc:
            problem = exc.problem
            record_health(session, customer.workspace_id, SHOP, _kind(session, customer.workspace_id), exc)
    orders = cached_orders(session, customer)
    left = timeout - (time.monotonic() - started)
    if refreshed and env is not None and left > MIN_PARCEL_SECONDS:  # parcels share the same budget
        _refresh_parcels(session, env.within(left), customer.workspace_id, [o.id for o in orders])
    oldest = min((_aware(o.fetched_at) for o in orders), default=None)
    stale = problem is not None or (oldest is not None and utcnow() - oldest > STALE_AFTER and not refreshed)
    notice_pl = notice_en = None
    if stale and oldest is not None:
        local = oldest.strftime("%Y-%m-%d %H:%M UTC")
        why_pl, why_en = PROBLEM_TEXT[problem] if problem else ("", "")
        notice_pl = f"Dane zamówień pochodzą z {local} i mogą być nieaktualne. {why_pl}".strip()
        notice_en = f"Order data is from {local} and may be out of date. {why_en}".strip()
    return OrderContext(orders, oldest, refreshed, stale, problem, notice_pl, notice_en)


def _refresh_parcels(session: Session, env: ConnectorEnv, workspace_id: str, order_ids: list[str]) -> None:
    """Re-read InPost parcels still on their way when the workspace has InPost tracking set up.

    A carrier that does not answer leaves the shop's view of the parcel; its own health records why.
    """
    from sprawa.commerce.carriers.service import carrier_settings, refresh_parcel

    if not order_ids or not carrier_settings(session, workspace_id, "inpost"):
        return
    numbers = session.scalars(
        select(Shipment.tracking_number).where(
            Shipment.order_id.in_(order_ids),
            Shipment.carrier == "inpost",
            Shipment.tracking_number.is_not(None),
            Shipment.state.not_in([ShipmentState.DELIVERED, ShipmentState.RETURNED]),
        )
    )
    for number in list(dict.fromkeys(numbers))[:MAX_PARCELS]:
        try:
            refresh_parcel(session, env, workspace_id, str(number))
        except ConnectorError:
            return


def _kind(session: Session, workspace_id: str) -> str:
    workspace = session.get(Workspace, workspace_id)
    return str(((workspace.settings or {}).get("commerce") or {}).get("kind", "demo")) if workspace else "?"


def record_health(
    session: Session,
    workspace_id: str,
    source: str,
    kind: str,
    error: ConnectorError | None = None,
    *,
    synced_orders: int | None = None,
    cursor: str | None = None,
) -> ConnectorHealth:
    """Note the outcome of a call to a shop or carrier; an event tells open settings pages."""
    health = session.scalars(
        select(ConnectorHealth).where(
            ConnectorHealth.workspace_id == workspace_id, ConnectorHealth.source == source
        )
    ).first()
    if health is None:
        health = ConnectorHealth(workspace_id=workspace_id, source=source, kind=kind, synced_orders=0)
        session.add(health)
    was_ok = health.ok
    now = utcnow()
    health.kind = kind
    if error is None:
        health.ok, health.problem, health.detail, health.last_success_at = True, None, None, now
    else:
        health.ok, health.problem, health.detail = False, str(error.problem), error.detail[:2000]
        health.last_error_at = now
    if synced_orders is not None:
        health.last_sync_at = now
        health.synced_orders = (health.synced_orders or 0) + synced_orders
    if cursor is not None:
        health.cursor = cursor
    session.flush()
    if was_ok != health.ok:
        emit(
            session,
            Event(
                "commerce.health",
                workspace_id,
                {"source": source, "ok": health.ok, "problem": health.problem},
            ),
        )
    return health
