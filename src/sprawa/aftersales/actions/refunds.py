"""How much a withdrawal refunds (art. 32 ust. 1 and 3), split into the items and the delivery.

The items' prices always come back. The delivery comes back only with the withdrawal of the whole order
(the last items of an order returned in parts bring it, once), and only up to the cheapest ordinary
delivery the shop offers (``ReturnsPolicy.cheapest_delivery_price``): a customer who chose a costlier
courier gets the cheapest one's price. Without that price the delivery is refunded as paid (the shop cannot
be shown to offer a cheaper one). The delivery paid is the order's total less its goods.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.aftersales.actions.eligibility import INACTIVE_RETURNS, ResolvedLine
from sprawa.aftersales.models import Return, ReturnItem
from sprawa.commerce.models import Order, OrderItem

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class RefundProposal:
    items: Decimal
    delivery: Decimal

    @property
    def total(self) -> Decimal:
        return self.items + self.delivery


def delivery_paid(order: Order, items: Sequence[OrderItem]) -> Decimal:
    goods = sum((i.unit_price * i.quantity for i in items), ZERO)
    return max(order.total - goods, ZERO)


def propose_refund(
    session: Session, order: Order, lines: Sequence[ResolvedLine], *, cheapest_delivery: Decimal | None
) -> RefundProposal:
    """The refund of a new return of ``lines`` (not yet stored), given the order's earlier returns."""
    items_amount = sum((line.item.unit_price * line.quantity for line in lines), ZERO)
    items = list(session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)))
    earlier_rows = session.execute(
        select(ReturnItem.order_item_id, func.sum(ReturnItem.quantity))
        .join(Return, Return.id == ReturnItem.return_id)
        .where(Return.order_id == order.id, Return.status.not_in(INACTIVE_RETURNS))
        .group_by(ReturnItem.order_item_id)
    ).all()
    earlier = {item_id: int(quantity or 0) for item_id, quantity in earlier_rows}
    chosen = {line.item.id: line.quantity for line in lines}
    whole = all(
        chosen.get(i.id, 0) + max(earlier.get(i.id, 0), int((i.options or {}).get("returned_quantity", 0)))
        >= i.quantity
        for i in items
    )
    refunded_before = session.scalar(
        select(func.count())
        .select_from(Return)
        .where(
            Return.order_id == order.id,
            Return.status.not_in(INACTIVE_RETURNS),
            Return.refund_delivery_amount > 0,
        )
    )
    delivery = ZERO
    if whole and not refunded_before:
        paid = delivery_paid(order, items)
        delivery = paid if cheapest_delivery is None else min(paid, cheapest_delivery)
    return RefundProposal(items_amount.quantize(CENT), delivery.quantize(CENT))
