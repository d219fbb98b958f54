"""The proactive rules: which cached orders and parcels call for a message now, each with a dedup key.

Rules only read the cache (the shop and carriers keep it fresh through webhooks, journals and refreshes).
A dedup key names one event (this parcel is late; this exception scan; this Paczkomat deadline), so an
event is told once however often the rules run. Old events are left alone: switching the rules on does not
message every customer whose parcel had a problem last month.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.commerce.base import OrderStatus, PaymentStatus
from sprawa.commerce.models import Order, Shipment, ShipmentState
from sprawa.proactive.schemas import ProactiveSettings, RuleKind

St = ShipmentState
OPEN_PARCEL = (St.CREATED, St.IN_TRANSIT, St.OUT_FOR_DELIVERY, St.READY_FOR_PICKUP, St.EXCEPTION, St.LOST)
#: Events older than this are history, not news.
MAX_EVENT_AGE = timedelta(days=3)
SCAN_WINDOW = timedelta(days=45)


@dataclass(frozen=True)
class Candidate:
    """One event worth a message: the rule, its dedup key, the order (and parcel) and facts for the text."""

    rule: RuleKind
    dedup_key: str
    order: Order
    shipment: Shipment | None = None
    facts: dict[str, Any] = field(default_factory=dict)


def aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _events(shipment: Shipment) -> list[dict[str, Any]]:
    return sorted(shipment.events or [], key=lambda e: e.get("at", ""))


def _shipment_rules(
    order: Order, s: Shipment, settings: ProactiveSettings, now: datetime
) -> Iterable[Candidate]:
    events = _events(s)
    last = events[-1] if events else None
    last_at = aware(s.last_event_at)
    recent = last_at is not None and now - last_at <= MAX_EVENT_AGE
    base = {"carrier": s.carrier, "tracking_number": s.tracking_number, "tracking_url": s.tracking_url}
    state = St(s.state)
    late = settings.rule(RuleKind.LATE)
    eta = aware(s.estimated_delivery)
    delayed_scan = last is not None and "delay" in str(last.get("code", "")) and recent
    if (
        late.enabled
        and state in (St.CREATED, St.IN_TRANSIT, St.OUT_FOR_DELIVERY)
        and (
            delayed_scan
            or (eta is not None and now - timedelta(days=5) < eta < now - timedelta(hours=late.hours))
        )
    ):
        yield Candidate(RuleKind.LATE, f"late:{s.id}", order, s, base | {"promised": eta})
        return
    silence = settings.rule(RuleKind.NO_SCAN)
    if (
        silence.enabled
        and state == St.IN_TRANSIT
        and last_at is not None
        and timedelta(hours=silence.hours) < now - last_at <= timedelta(hours=silence.hours) + MAX_EVENT_AGE
    ):
        stamp = last_at.strftime("%Y%m%d%H%M")
        yield Candidate(RuleKind.NO_SCAN, f"no_scan:{s.id}:{stamp}", order, s, base | {"last_scan": last_at})
        return
    if settings.rule(RuleKind.DELIVERY_EXCEPTION).enabled and state in (St.EXCEPTION, St.LOST) and recent:
        code = str(last.get("code", state)) if last else str(state)
        key = f"exception:{s.id}:{code}:{last_at:%Y%m%d%H%M}"
        yield Candidate(
            RuleKind.DELIVERY_EXCEPTION, key, order, s, base | {"code": code, "lost": state == St.LOST}
        )
        return
    waiting = settings.rule(RuleKind.PICKUP_WAITING)
    deadline = aware(s.pickup_deadline)
    if waiting.enabled and state == St.READY_FOR_PICKUP and deadline is not None and deadline > now:
        ready = [
            aware(datetime.fromisoformat(e["at"])) for e in events if e.get("state") == St.READY_FOR_PICKUP
        ]
        since = ready[0] if ready else last_at
        if since is not None and now - since >= timedelta(hours=waiting.hours):
            key = f"pickup:{s.id}:{deadline:%Y%m%d%H}"
            yield Candidate(
                RuleKind.PICKUP_WAITING, key, order, s, base | {"point": s.pickup_point, "deadline": deadline}
            )


def _order_rules(
    order: Order, shipments: list[Shipment], settings: ProactiveSettings, *, with_refunds: bool
) -> Iterable[Candidate]:
    if settings.rule(RuleKind.PARTIAL_SHIPMENT).enabled and len(shipments) > 1:
        moving = [s for s in shipments if s.state != St.CREATED]
        if moving and len(moving) < len(shipments):
            yield Candidate(
                RuleKind.PARTIAL_SHIPMENT,
                f"partial:{order.id}",
                order,
                moving[0],
                {"sent": len(moving), "total": len(shipments), "tracking_url": moving[0].tracking_url},
            )
    refunded = order.payment_status in (PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED)
    if with_refunds and refunded and settings.rule(RuleKind.REFUND_ISSUED).enabled:
        yield Candidate(
            RuleKind.REFUND_ISSUED,
            f"refund:{order.id}:{order.payment_status}",
            order,
            None,
            {"partial": order.payment_status == PaymentStatus.PARTIALLY_REFUNDED},
        )


def candidates(
    session: Session,
    workspace_id: str,
    settings: ProactiveSettings,
    now: datetime,
    order_ids: list[str] | None = None,
) -> list[Candidate]:
    """Events to tell customers about: in the given orders (a webhook changed them) or in every open one.

    Refunds count only when an order change was seen (``order_ids``): the cache keeps no refund time, so a
    scan would announce refunds made long ago.
    """
    stmt = select(Order).where(Order.workspace_id == workspace_id, Order.customer_id.is_not(None))
    if order_ids is not None:
        stmt = stmt.where(Order.id.in_(order_ids))
    else:
        open_parcels = select(Shipment.order_id).where(
            Shipment.workspace_id == workspace_id, Shipment.state.in_([str(s) for s in OPEN_PARCEL])
        )
        stmt = stmt.where(
            Order.id.in_(open_parcels),
            Order.placed_at >= now - SCAN_WINDOW,
            Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.RETURNED]),
        )
    orders = list(session.scalars(stmt.order_by(Order.placed_at)))
    shipments: dict[str, list[Shipment]] = {}
    if orders:
        rows = session.scalars(
            select(Shipment).where(Shipment.order_id.in_([o.id for o in orders])).order_by(Shipment.id)
        )
        for row in rows:
            shipments.setdefault(row.order_id, []).append(row)
    found: list[Candidate] = []
    for order in orders:
        for shipment in shipments.get(order.id, []):
            found.extend(_shipment_rules(order, shipment, settings, now))
        found.extend(
            _order_rules(order, shipments.get(order.id, []), settings, with_refunds=order_ids is not None)
        )
    return found
