"""Policy checks of the action layer: the shop's typed policies decide, the shop then may still refuse."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.aftersales.actions.notify import is_sealed
from sprawa.ai.actions.base import Check, IssueCompensationArgs
from sprawa.ai.models import CompensationCode
from sprawa.commerce.base import STATUS_LABELS, OrderDetail, OrderLine, OrderStatus, PaymentMethodKind
from sprawa.workspaces.models import PolicyKind
from sprawa.workspaces.queries import typed_policy
from sprawa.workspaces.schemas import (
    CancellationPolicy,
    CompensationPolicy,
    OrderChangesPolicy,
    RefundsPolicy,
    ReturnsPolicy,
)

CHANGE_LABELS = {
    "address": ("adresu dostawy", "address"),
    "items": ("produktów", "items"),
    "payment_method": ("metody płatności", "payment method"),
}


def _status(order: OrderDetail) -> tuple[str, str]:
    return STATUS_LABELS[order.status]


def check_cancel(session: Session, workspace_id: str, order: OrderDetail, *, by_ai: bool) -> Check:
    policy = typed_policy(session, workspace_id, PolicyKind.CANCELLATION)
    assert isinstance(policy, CancellationPolicy)
    if order.status not in policy.allowed_order_states:
        pl, en = _status(order)
        return Check.denied(
            "cancel_not_allowed_in_state",
            f"Zamówienie {order.number} ma status „{pl}”, więc nie można go już anulować.",
            f"Order {order.number} is {en}, so it can no longer be cancelled.",
            status=str(order.status),
        )
    if by_ai and policy.needs_human_approval:
        return Check.approval(
            "cancel_needs_approval",
            "Anulowanie zamówienia zatwierdza u nas konsultant.",
            "A person approves order cancellations in this shop.",
        )
    return Check.allowed()


def check_change(
    session: Session, workspace_id: str, order: OrderDetail, change: str, *, by_ai: bool
) -> Check:
    policy = typed_policy(session, workspace_id, PolicyKind.ORDER_CHANGES)
    assert isinstance(policy, OrderChangesPolicy)
    what_pl, what_en = CHANGE_LABELS[change]
    if change not in policy.allowed_changes:
        return Check.denied(
            "change_not_offered",
            f"Zmiana {what_pl} po złożeniu zamówienia nie jest u nas możliwa.",
            f"This shop does not change the {what_en} of a placed order.",
        )
    if order.status not in policy.allowed_order_states:
        pl, en = _status(order)
        return Check.denied(
            "change_not_allowed_in_state",
            f"Zamówienie {order.number} ma status „{pl}”, więc zmiana {what_pl} nie jest już możliwa.",
            f"Order {order.number} is {en}, so its {what_en} can no longer be changed.",
            status=str(order.status),
        )
    if by_ai and policy.needs_human_approval:
        return Check.approval(
            "change_needs_approval",
            "Zmiany w zamówieniu zatwierdza u nas konsultant.",
            "A person approves order changes in this shop.",
        )
    return Check.allowed()


def return_deadline(session: Session, workspace_id: str, order: OrderDetail) -> tuple[int, datetime | None]:
    """The shop's return window in days and the deadline (None when the delivery date is unknown)."""
    policy = typed_policy(session, workspace_id, PolicyKind.RETURNS)
    assert isinstance(policy, ReturnsPolicy)
    delivered = order.delivered_at or max(
        (s.delivered_at for s in order.shipments if s.delivered_at), default=None
    )
    return policy.window_days, (delivered + timedelta(days=policy.window_days) if delivered else None)


def check_return(
    session: Session, workspace_id: str, order: OrderDetail, now: datetime, *, by_ai: bool, exchange: bool
) -> Check:
    """Delivered, inside the withdrawal window (art. 27: from delivery; the shop may give more)."""
    policy = typed_policy(session, workspace_id, PolicyKind.RETURNS)
    assert isinstance(policy, ReturnsPolicy)
    if order.status != OrderStatus.DELIVERED:
        pl, en = _status(order)
        return Check.denied(
            "return_not_delivered",
            f"Zamówienie {order.number} ma status „{pl}” — zwrot lub wymianę można zgłosić po doręczeniu.",
            f"Order {order.number} is {en}; a return or exchange can be requested once it is delivered.",
            status=str(order.status),
        )
    window, deadline = return_deadline(session, workspace_id, order)
    if deadline is None:
        # No delivery date from the shop: the order date is the earliest it can have arrived.
        if now > order.placed_at + timedelta(days=window):
            return Check.approval(
                "return_date_unknown",
                "Nie mamy daty doręczenia tej przesyłki, więc termin zwrotu sprawdzi konsultant.",
                "The shop has no delivery date for this order, so a person checks the return period.",
            )
    elif now > deadline:
        return Check.denied(
            "return_window_closed",
            f"Termin na zwrot ({window} dni od doręczenia) minął {deadline:%d.%m.%Y}.",
            f"The {window}-day return period ended on {deadline:%Y-%m-%d}.",
            deadline=deadline.isoformat(),
            window_days=window,
        )
    if by_ai and not policy.ai_may_start_return:
        return Check.approval(
            "return_needs_approval",
            "Zwroty zatwierdza u nas konsultant.",
            "A person approves returns in this shop.",
        )
    data: dict[str, Any] = {"deadline": deadline.isoformat() if deadline else None, "window_days": window}
    if not exchange:
        data.update(excepted_data(order.items))
    return Check.allowed(**data)


def excepted_data(items: Iterable[OrderLine]) -> dict[str, list[str]]:
    """Art. 38 items of an order, told apart: sealed goods may come back unopened, the others never."""
    excepted = [line for line in items if line.withdrawal_exception]
    found = {
        "excepted_items": [line.name for line in excepted if not is_sealed(line.withdrawal_exception)],
        "sealed_items": [line.name for line in excepted if is_sealed(line.withdrawal_exception)],
    }
    return {key: names for key, names in found.items() if names}


def check_refund_method(
    session: Session, workspace_id: str, order: OrderDetail, method_id: str | None
) -> Check:
    """Refunds go to the original method; other targets only when the shop's refund policy lists them."""
    if method_id is None:
        return Check.allowed()
    policy = typed_policy(session, workspace_id, PolicyKind.REFUNDS)
    assert isinstance(policy, RefundsPolicy)
    original = next((p.method_ref for p in order.payments if p.kind == "payment"), None)
    if method_id == original:
        return Check.allowed()
    methods = order.customer.payment_methods if order.customer else ()
    saved = next((m for m in methods if m.id == method_id), None)
    if saved is not None and saved.kind == PaymentMethodKind.GIFT_CARD and "gift_card" in policy.methods:
        return Check.allowed()
    if saved is None and method_id == "bank_transfer" and "bank_transfer" in policy.methods:
        return Check.allowed()
    return Check.denied(
        "refund_method_not_allowed",
        "Zwrot pieniędzy trafia na metodę płatności, którą opłacono zamówienie.",
        "Refunds go back to the payment method the order was paid with.",
    )


def check_compensation(
    session: Session,
    workspace_id: str,
    customer_id: str | None,
    args: IssueCompensationArgs,
    now: datetime,
) -> Check:
    """Within the kinds, amount and monthly count the shop allows; more needs a person."""
    policy = typed_policy(session, workspace_id, PolicyKind.COMPENSATION)
    assert isinstance(policy, CompensationPolicy)
    if customer_id is None:
        return Check.denied(
            "no_customer", "Nie wiemy, dla kogo jest kod.", "There is no customer to give it to."
        )
    if args.kind not in policy.kinds:
        return Check.denied(
            "compensation_kind_not_offered",
            "Sklep nie przyznaje takiej rekompensaty.",
            "The shop does not give this kind of compensation.",
        )
    limit = Decimal(policy.max_amount_pln)
    if args.amount > limit:
        return Check.approval(
            "compensation_over_limit",
            f"Rekompensatę powyżej {limit} zł przyznaje konsultant.",
            f"Compensation above PLN {limit} is for a person to grant.",
            limit=str(limit),
        )
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    given = session.scalar(
        select(func.count())
        .select_from(CompensationCode)
        .where(
            CompensationCode.workspace_id == workspace_id,
            CompensationCode.customer_id == customer_id,
            CompensationCode.created_at >= month,
        )
    )
    if (given or 0) >= policy.max_per_customer_per_month:
        return Check.approval(
            "compensation_monthly_limit",
            "W tym miesiącu klient dostał już rekompensatę; kolejną przyznaje konsultant.",
            "The customer already received compensation this month; another one is for a person.",
        )
    return Check.allowed(limit=str(limit))
