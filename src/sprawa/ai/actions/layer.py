"""``run_action``: parse typed arguments, scope to the customer, check policy, ask for a yes, then act.

The AI and agents call the same function. The AI works inside a :class:`Scope` (the customer it has
verified); an order outside it is reported exactly like an order that does not exist, so a typed number
never reveals another customer's data. A person's own action counts as the approval a check may ask for.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from sprawa.ai.actions import policy
from sprawa.ai.actions.base import (
    ARGS,
    WRITE_ACTIONS,
    ActionName,
    ActionStatus,
    Args,
    CancelArgs,
    ChangeAddressArgs,
    ChangeItemsArgs,
    ChangePaymentArgs,
    Check,
    HandOffArgs,
    IssueCompensationArgs,
    LookupCustomerArgs,
    LookupProductArgs,
    LookupShipmentArgs,
    OrderArgs,
    Outcome,
    RegisterComplaintArgs,
    StartExchangeArgs,
    StartReturnArgs,
    Verdict,
)
from sprawa.ai.actions.returns import shop_check, start_case_return
from sprawa.ai.models import CompensationCode
from sprawa.auth.schemas import Principal
from sprawa.commerce.base import (
    ActionResult,
    Address,
    CommerceConnector,
    ItemChange,
    OrderDetail,
    ReturnLine,
)
from sprawa.commerce.service import refresh_order
from sprawa.db import utcnow
from sprawa.platform.errors import InvalidInput
from sprawa.workspaces.schemas import validation_details


@dataclass(frozen=True)
class Scope:
    """Whose data the AI may touch: the verified shop account and orders proven by number + e-mail."""

    emails: frozenset[str] = frozenset()
    shop_customer_ref: str | None = None
    order_numbers: frozenset[str] = frozenset()

    def covers(self, order: OrderDetail) -> bool:
        customer = order.customer
        if order.number in self.order_numbers:
            return True
        if customer is None:
            return False
        if self.shop_customer_ref and customer.external_id == self.shop_customer_ref:
            return True
        return bool(customer.email and customer.email.lower() in self.emails)


@dataclass
class ActionContext:
    """Who acts, for whom, and with which shop; ``scope`` None means an agent (whole workspace)."""

    session: Session
    workspace_id: str
    connector: CommerceConnector
    by_ai: bool
    scope: Scope | None
    customer_id: str | None = None
    case_id: str | None = None
    confirmed: bool = False
    # The person acting (agents); None: the AI, or the system for agent-less previews.
    actor: Principal | None = None
    now: Callable[[], datetime] = utcnow
    calls: list[dict[str, Any]] = field(default_factory=list)


def parse_args(name: ActionName, raw: dict[str, Any]) -> Args:
    try:
        return ARGS[name].model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(
            f"invalid arguments for {name}", code="invalid_action", details=validation_details(exc)
        ) from exc


def run_action(ctx: ActionContext, name: ActionName, raw: dict[str, Any]) -> Outcome:
    """Run one action through the policy layer; every call is appended to ``ctx.calls`` for the audit."""
    args = parse_args(name, raw)
    outcome = _HANDLERS[name](ctx, args)
    ctx.calls.append(
        {
            "action": str(name),
            "arguments": args.model_dump(mode="json"),
            "confirmed": ctx.confirmed,
            "status": str(outcome.status),
            "check": outcome.check.as_dict(),
        }
    )
    return outcome


# ----------------------------------------------------------------------------------------------- reads


def _not_found(name: ActionName, number: str) -> Outcome:
    return Outcome(
        name,
        ActionStatus.DENIED,
        Check.denied(
            "order_not_found",
            f"Nie znaleźliśmy zamówienia {number} wśród zamówień na Pani/Pana dane.",
            f"We could not find order {number} among your orders.",
        ),
    )


def _order(ctx: ActionContext, name: ActionName, number: str) -> OrderDetail | Outcome:
    order = ctx.connector.get_order(number.strip())
    if order is None or (ctx.scope is not None and not ctx.scope.covers(order)):
        return _not_found(name, number)
    return order


def _lookup_customer(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, LookupCustomerArgs)
    name = ActionName.LOOKUP_CUSTOMER
    found = ctx.connector.find_customers(email=args.email, phone=args.phone)
    if ctx.scope is not None:
        found = [c for c in found if c.external_id == ctx.scope.shop_customer_ref]
    if not found:
        return Outcome(
            name,
            ActionStatus.DENIED,
            Check.denied("customer_not_found", "Nie znaleźliśmy konta.", "No account found."),
        )
    c = found[0]
    data = {"external_id": c.external_id, "name": c.name, "email": c.email, "phone": c.phone}
    return Outcome(name, ActionStatus.DONE, Check.allowed(), data)


def _lookup_order(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, OrderArgs)
    order = _order(ctx, ActionName.LOOKUP_ORDER, args.order_number)
    if isinstance(order, Outcome):
        return order
    return Outcome(ActionName.LOOKUP_ORDER, ActionStatus.DONE, Check.allowed(), {"order": order})


def _lookup_product(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, LookupProductArgs)
    name = ActionName.LOOKUP_PRODUCT
    if args.product_id:
        product = ctx.connector.get_product(args.product_id)
        products = [product] if product else []
    else:
        summaries = ctx.connector.search_products(args.query, limit=3) if args.query else []
        products = [p for s in summaries if (p := ctx.connector.get_product(s.external_id))]
    if not products:
        return Outcome(
            name,
            ActionStatus.DENIED,
            Check.denied("product_not_found", "Nie znaleźliśmy takiego produktu.", "No such product found."),
        )
    return Outcome(name, ActionStatus.DONE, Check.allowed(), {"products": products})


def _lookup_shipment(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, LookupShipmentArgs)
    name = ActionName.LOOKUP_SHIPMENT
    number = args.order_number
    if args.tracking_number and not number:
        info = ctx.connector.track_shipment(args.tracking_number)
        if info is None:
            return Outcome(
                name,
                ActionStatus.DENIED,
                Check.denied(
                    "shipment_not_found",
                    "Nie znaleźliśmy przesyłki o tym numerze.",
                    "No parcel with this tracking number.",
                ),
            )
        number = info.order_external_id
    if not number:
        raise InvalidInput("give a tracking number or an order number", code="invalid_action")
    order = _order(ctx, name, number)
    if isinstance(order, Outcome):
        return order
    shipments = list(order.shipments)
    if args.tracking_number:
        wanted = args.tracking_number.replace(" ", "").upper()
        shipments = [s for s in shipments if (s.tracking_number or "").upper() == wanted] or shipments
    return Outcome(name, ActionStatus.DONE, Check.allowed(), {"order": order, "shipments": shipments})


# ---------------------------------------------------------------------------------------------- writes


def _gate(ctx: ActionContext, name: ActionName, check: Check, preview: dict[str, Any]) -> Outcome | None:
    """Stop before acting: denied, waiting for a person, or waiting for the customer's yes."""
    if check.verdict == Verdict.DENIED:
        return Outcome(name, ActionStatus.DENIED, check, preview, check.pl, check.en)
    if check.verdict == Verdict.NEEDS_APPROVAL and ctx.by_ai:
        return Outcome(name, ActionStatus.NEEDS_APPROVAL, check, preview, check.pl, check.en)
    if name in WRITE_ACTIONS and not ctx.confirmed:
        return Outcome(name, ActionStatus.PREVIEW, check, preview)
    return None


def _result(ctx: ActionContext, name: ActionName, check: Check, result: ActionResult) -> Outcome:
    if not result.ok:
        refused = Check.denied(f"shop_{result.code}", result.message_pl, result.message_en, **result.data)
        return Outcome(
            name, ActionStatus.DENIED, refused, dict(result.data), result.message_pl, result.message_en
        )
    data: dict[str, Any] = dict(result.data)
    if result.order is not None:
        data["order"] = result.order
        refresh_order(ctx.session, ctx.connector, ctx.workspace_id, result.order.number)
    return Outcome(name, ActionStatus.DONE, check, data, result.message_pl, result.message_en)


def _cancel(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, CancelArgs)
    name = ActionName.CANCEL_ORDER
    order = _order(ctx, name, args.order_number)
    if isinstance(order, Outcome):
        return order
    check = policy.check_cancel(ctx.session, ctx.workspace_id, order, by_ai=ctx.by_ai)
    preview = {"order": order, "reason": args.reason}
    stop = _gate(ctx, name, check, preview)
    return stop or _result(ctx, name, check, ctx.connector.cancel_order(order.number, reason=args.reason))


def _change_address(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, ChangeAddressArgs)
    name = ActionName.CHANGE_ADDRESS
    order = _order(ctx, name, args.order_number)
    if isinstance(order, Outcome):
        return order
    check = policy.check_change(ctx.session, ctx.workspace_id, order, "address", by_ai=ctx.by_ai)
    address = Address(
        name=args.name or order.shipping_address.name,
        street=args.street,
        postcode=args.postcode,
        city=args.city,
        country=args.country,
        line2=args.line2,
        region=args.region,
        phone=order.shipping_address.phone,
    )
    preview = {"order": order, "address": address.as_dict(), "pickup_point": args.pickup_point}
    stop = _gate(ctx, name, check, preview)
    if stop:
        return stop
    result = ctx.connector.change_shipping_address(order.number, address, pickup_point=args.pickup_point)
    return _result(ctx, name, check, result)


def _change_items(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, ChangeItemsArgs)
    name = ActionName.CHANGE_ITEMS
    order = _order(ctx, name, args.order_number)
    if isinstance(order, Outcome):
        return order
    check = policy.check_change(ctx.session, ctx.workspace_id, order, "items", by_ai=ctx.by_ai)
    changes = [ItemChange(c.line_id, c.new_variant_id, c.new_quantity) for c in args.changes]
    preview = {"order": order, "changes": [c.model_dump() for c in args.changes]}
    stop = _gate(ctx, name, check, preview)
    if stop:
        return stop
    result = ctx.connector.change_items(order.number, changes, payment_method_id=args.payment_method_id)
    return _result(ctx, name, check, result)


def _change_payment(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, ChangePaymentArgs)
    name = ActionName.CHANGE_PAYMENT
    order = _order(ctx, name, args.order_number)
    if isinstance(order, Outcome):
        return order
    check = policy.check_change(ctx.session, ctx.workspace_id, order, "payment_method", by_ai=ctx.by_ai)
    stop = _gate(ctx, name, check, {"order": order, "payment_method_id": args.payment_method_id})
    if stop:
        return stop
    return _result(
        ctx, name, check, ctx.connector.change_payment_method(order.number, args.payment_method_id)
    )


def _returnable_lines(order: OrderDetail, *, all_items: bool = False) -> list[ReturnLine]:
    """What is left to return; art. 38 goods only with ``all_items`` when nothing else is left (a person
    then decides on them)."""
    left = [line for line in order.items if line.quantity > line.returned_quantity]
    eligible = [line for line in left if not line.withdrawal_exception]
    chosen = eligible or (left if all_items else [])
    return [ReturnLine(line.external_id, line.quantity - line.returned_quantity) for line in chosen]


def _start_return(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, StartReturnArgs)
    name = ActionName.START_RETURN
    order = _order(ctx, name, args.order_number)
    if isinstance(order, Outcome):
        return order
    if ctx.case_id is not None:
        # On a case the after-sales Return is the record (deadlines, queue, notifications).
        check = shop_check(ctx, order, args)
        if check.verdict == Verdict.DENIED:
            return Outcome(name, ActionStatus.DENIED, check, {"order": order}, check.pl, check.en)
        chosen = [ReturnLine(a.line_id, a.quantity) for a in args.lines]
        return start_case_return(ctx, order, args, chosen or _returnable_lines(order, all_items=True), check)
    check = policy.check_return(
        ctx.session, ctx.workspace_id, order, ctx.now(), by_ai=ctx.by_ai, exchange=False
    )
    if check.verdict == Verdict.ALLOWED:
        check = _combine(
            check, policy.check_refund_method(ctx.session, ctx.workspace_id, order, args.refund_method_id)
        )
    lines = [ReturnLine(a.line_id, a.quantity) for a in args.lines] or _returnable_lines(order)
    preview = {
        "order": order,
        "lines": [{"line_id": r.line_id, "quantity": r.quantity} for r in lines],
        **check.data,
    }
    stop = _gate(ctx, name, check, preview)
    if stop:
        return stop
    result = ctx.connector.start_return(
        order.number, lines, reason=args.reason, refund_method_id=args.refund_method_id
    )
    return _result(ctx, name, check, result)


def _start_exchange(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, StartExchangeArgs)
    name = ActionName.START_EXCHANGE
    order = _order(ctx, name, args.order_number)
    if isinstance(order, Outcome):
        return order
    check = policy.check_return(
        ctx.session, ctx.workspace_id, order, ctx.now(), by_ai=ctx.by_ai, exchange=True
    )
    lines = [ReturnLine(a.line_id, a.quantity, a.exchange_variant_id or "") for a in args.lines]
    preview = {"order": order, "lines": [a.model_dump() for a in args.lines]}
    stop = _gate(ctx, name, check, preview)
    if stop:
        return stop
    result = ctx.connector.start_return(order.number, lines, refund_method_id=args.payment_method_id)
    return _result(ctx, name, check, result)


def _combine(first: Check, second: Check) -> Check:
    return first if second.verdict == Verdict.ALLOWED else second


def _register_complaint(ctx: ActionContext, args: Args) -> Outcome:
    """Complaint intake only: the decision on a reklamacja is always a person's (LEGAL-PL)."""
    assert isinstance(args, RegisterComplaintArgs)
    name = ActionName.REGISTER_COMPLAINT
    order = _order(ctx, name, args.order_number)
    if isinstance(order, Outcome):
        return order
    check = Check.approval(
        "complaint_decided_by_person",
        "O reklamacji zawsze decyduje konsultant.",
        "A person always decides on a complaint.",
    )
    data = {"order": order, **args.model_dump(exclude={"order_number"})}
    return Outcome(name, ActionStatus.NEEDS_APPROVAL, check, data)


def _issue_compensation(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, IssueCompensationArgs)
    name = ActionName.ISSUE_COMPENSATION
    now = ctx.now()
    check = policy.check_compensation(ctx.session, ctx.workspace_id, ctx.customer_id, args, now)
    preview = {"kind": args.kind, "amount": str(args.amount)}
    stop = _gate(ctx, name, check, preview)
    if stop:
        return stop
    assert ctx.customer_id is not None
    code = "SP-" + secrets.token_hex(4).upper()
    ctx.session.add(
        CompensationCode(
            workspace_id=ctx.workspace_id,
            customer_id=ctx.customer_id,
            case_id=ctx.case_id,
            kind=args.kind,
            amount=Decimal(args.amount),
            code=code,
            issued_by="ai" if ctx.by_ai else "agent",
            created_at=now,
        )
    )
    ctx.session.flush()
    return Outcome(name, ActionStatus.DONE, check, preview | {"code": code})


def _hand_off(ctx: ActionContext, args: Args) -> Outcome:
    assert isinstance(args, HandOffArgs)
    return Outcome(ActionName.HAND_OFF, ActionStatus.DONE, Check.allowed(), args.model_dump())


_HANDLERS: dict[ActionName, Callable[[ActionContext, Args], Outcome]] = {
    ActionName.LOOKUP_CUSTOMER: _lookup_customer,
    ActionName.LOOKUP_ORDER: _lookup_order,
    ActionName.LOOKUP_PRODUCT: _lookup_product,
    ActionName.LOOKUP_SHIPMENT: _lookup_shipment,
    ActionName.CANCEL_ORDER: _cancel,
    ActionName.CHANGE_ADDRESS: _change_address,
    ActionName.CHANGE_ITEMS: _change_items,
    ActionName.CHANGE_PAYMENT: _change_payment,
    ActionName.START_RETURN: _start_return,
    ActionName.START_EXCHANGE: _start_exchange,
    ActionName.REGISTER_COMPLAINT: _register_complaint,
    ActionName.ISSUE_COMPENSATION: _issue_compensation,
    ActionName.HAND_OFF: _hand_off,
}
