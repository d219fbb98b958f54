"""May these items of this order be withdrawn from now, without a person? (LEGAL-PL.md, art. 27–38)

Allowed only when the whole order was delivered (the last part, art. 28), the statement comes by the deadline
(the law's 14 days, the shop's longer window, or +12 months when the shop did not inform about the right,
art. 29 §1, or 14 days from the late information, §2), no item is excepted by art. 38, and the buyer is a
consumer. A company order (the shop gave a company name) follows the shop's B2B policy: with
``ReturnsPolicy.business_buyers_may_withdraw`` off only a person can tell whether a sole trader bought
outside their profession (then consumer rights apply). Anything else is not a refusal: it goes to a person
with the reason, and the customer is told why.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.aftersales.actions import deadlines
from sprawa.aftersales.actions.notify import day_text, excepted_why, fragment
from sprawa.aftersales.models import Return, ReturnItem, ReturnStatus
from sprawa.commerce.base import OrderStatus
from sprawa.commerce.models import Order, OrderItem, Product, Shipment, ShipmentState
from sprawa.platform.errors import InvalidInput

INACTIVE_RETURNS = (ReturnStatus.REJECTED, ReturnStatus.CANCELLED)


@dataclass(frozen=True)
class LineRequest:
    """Units of one order line; ``line_id`` is the cached line's id or the shop's own line id."""

    line_id: str
    quantity: int = 1


@dataclass(frozen=True)
class ResolvedLine:
    item: OrderItem
    quantity: int
    exception: str | None


@dataclass(frozen=True)
class Eligibility:
    """The rules' answer. ``allowed`` means the AI (or the self-service page) may approve on its own.

    ``code``: ``ok`` | ``window_closed`` | ``excepted`` | ``not_delivered`` | ``no_delivery_date`` |
    ``business_order``.
    """

    allowed: bool
    code: str
    delivered_at: datetime | None
    deadline: date | None
    window_days: int
    lines: tuple[ResolvedLine, ...] = ()
    excepted: tuple[str, ...] = ()
    review_reasons: tuple[str, ...] = field(default_factory=tuple)

    def explain(self, lang: str) -> str:
        """Why a person has to look, in the customer's language ('' when allowed)."""
        if self.allowed:
            return ""
        if self.code == "window_closed" and self.deadline:
            return fragment("why_window_closed", lang, deadline=day_text(self.deadline, lang))
        if self.code == "excepted":
            return excepted_why(
                [(line.item.name, line.exception) for line in self.lines if line.exception], lang
            )
        if self.code in ("not_delivered", "no_delivery_date"):
            return fragment("why_not_delivered", lang)
        if self.code == "business_order":
            return fragment("why_business", lang)
        return fragment("why_other", lang)

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "code": self.code,
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "withdrawal_deadline": self.deadline.isoformat() if self.deadline else None,
            "window_days": self.window_days,
            "excepted": list(self.excepted),
            "review_reasons": list(self.review_reasons),
            "message_pl": self.explain("pl"),
            "message_en": self.explain("en"),
        }


def delivery_parts(session: Session, order: Order) -> list[datetime | None]:
    """Delivery time of each cached parcel of the order (None while a parcel is not delivered)."""
    parts: list[datetime | None] = []
    for shipment in session.scalars(select(Shipment).where(Shipment.order_id == order.id)):
        if shipment.state != ShipmentState.DELIVERED:
            parts.append(None)
            continue
        scans = [e for e in shipment.events or [] if e.get("state") == ShipmentState.DELIVERED]
        at = datetime.fromisoformat(scans[0]["at"]) if scans else order.delivered_at
        parts.append(at)
    return parts


def resolve_lines(session: Session, order: Order, requested: Sequence[LineRequest]) -> list[ResolvedLine]:
    """The order lines asked for, checked against what is left to return; InvalidInput otherwise."""
    if not requested:
        raise InvalidInput("pick at least one item to return", code="no_items")
    if len(requested) > 100:
        raise InvalidInput("at most 100 lines per return", code="too_many_lines")
    items = list(session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)))
    by_id = {i.id: i for i in items} | {i.external_id: i for i in items}
    exceptions = dict(
        session.execute(
            select(Product.external_id, Product.withdrawal_exception).where(
                Product.workspace_id == order.workspace_id,
                Product.external_id.in_({i.product_external_id for i in items if i.product_external_id}),
            )
        ).all()
    )
    in_returns = dict(
        session.execute(
            select(ReturnItem.order_item_id, func.sum(ReturnItem.quantity))
            .join(Return, Return.id == ReturnItem.return_id)
            .where(Return.order_id == order.id, Return.status.not_in(INACTIVE_RETURNS))
            .group_by(ReturnItem.order_item_id)
        ).all()
    )
    wanted: dict[str, int] = {}
    for line in requested:
        item = by_id.get(line.line_id)
        if item is None:
            raise InvalidInput(f"order {order.number} has no line {line.line_id}", code="unknown_line")
        if line.quantity < 1:
            raise InvalidInput("a quantity must be at least 1", code="invalid_quantity")
        wanted[item.id] = wanted.get(item.id, 0) + line.quantity
    resolved = []
    for item_id, quantity in wanted.items():
        item = by_id[item_id]
        already = max(
            int((item.options or {}).get("returned_quantity", 0)), int(in_returns.get(item.id) or 0)
        )
        left = item.quantity - already
        if quantity > left:
            raise InvalidInput(
                f"only {left} of “{item.name}” can still be returned", code="quantity_exceeded"
            )
        exception = exceptions.get(item.product_external_id or "")
        resolved.append(ResolvedLine(item, quantity, exception))
    return resolved


def business_buyer(order: Order) -> str | None:
    """The company the order was placed for (the shop's company name or tax id), None for a consumer."""
    address = order.shipping_address or {}
    for key in ("tax_id", "nip", "company"):
        value = str(address.get(key) or "").strip()
        if value:
            return value
    return None


def check_eligibility(
    session: Session,
    order: Order,
    lines: Sequence[ResolvedLine],
    *,
    window_days: int,
    timezone: str,
    statement_at: datetime,
    informed: bool = True,
    info_sent_on: date | None = None,
    business_may_withdraw: bool = False,
) -> Eligibility:
    delivered_at = deadlines.possession_date(delivery_parts(session, order), order.delivered_at)
    informed, received_on = deadlines.withdrawal_information(
        deadlines.local_day(order.placed_at, timezone), informed, info_sent_on
    )
    deadline = deadlines.withdrawal_deadline(
        delivered_at, window_days, timezone, informed=informed, info_received_on=received_on
    )
    excepted = tuple(line.item.name for line in lines if line.exception)
    reasons: list[str] = []
    code = "ok"
    if order.status == OrderStatus.CANCELLED or delivered_at is None:
        code = "no_delivery_date" if order.status == OrderStatus.DELIVERED else "not_delivered"
        reasons.append(code)
    elif not deadlines.statement_in_time(statement_at, deadline, timezone):
        code = "window_closed"
        reasons.append(code)
    if excepted:
        code = "excepted" if code == "ok" else code
        reasons.append("excepted")
    if not business_may_withdraw and business_buyer(order):
        code = "business_order" if code == "ok" else code
        reasons.append("business_order")
    return Eligibility(
        allowed=not reasons,
        code=code,
        delivered_at=delivered_at,
        deadline=deadline,
        window_days=(deadline - deadlines.local_day(delivered_at, timezone)).days
        if deadline and delivered_at
        else max(window_days, deadlines.STATUTORY_WITHDRAWAL_DAYS),
        lines=tuple(lines),
        excepted=excepted,
        review_reasons=tuple(reasons),
    )
