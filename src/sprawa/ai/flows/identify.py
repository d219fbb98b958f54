"""Who the customer is (before any order data is shown) and which order they mean.

A customer is identified by a channel identity the provider vouched for (verified e-mail or phone
matching a shop account) or by the verification step: an order number together with the order's
e-mail address or delivery postcode. Until then no order detail leaves the shop.
"""

import re

from sqlalchemy import select

from sprawa.ai.flows.turn import Reply, Turn
from sprawa.cases.models import CaseOrder
from sprawa.commerce.base import OrderDetail, OrderStatus
from sprawa.commerce.models import Order
from sprawa.customers.models import Identity, IdentityKind

POSTCODE = re.compile(r"(?<!\d)(\d{2}-\d{3}|\d{5})(?!\d)")


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def identify_from_channel(turn: Turn) -> bool:
    """Use a verified e-mail/phone identity of the case's customer that a shop account also has."""
    state = turn.state
    if state.shop_customer_ref:
        return True
    rows = turn.session.execute(
        select(Identity.kind, Identity.value).where(
            Identity.customer_id == turn.customer.id,
            Identity.verified.is_(True),
            Identity.kind.in_([IdentityKind.EMAIL, IdentityKind.PHONE, IdentityKind.WHATSAPP]),
        )
    ).all()
    for kind, value in rows:
        found = (
            turn.connector.find_customers(email=value)
            if kind == IdentityKind.EMAIL
            else turn.connector.find_customers(phone=value)
        )
        if found:
            state.shop_customer_ref = found[0].external_id
            state.verified_email = (found[0].email or "").lower() or None
            state.verified_by = "channel"
            return True
    return False


def try_verify(turn: Turn) -> bool | None:
    """The verification step from this message: True verified, False tried and failed, None not tried."""
    ents = turn.u.entities
    numbers = list(ents.order_numbers)
    emails = [e.lower() for e in ents.emails]
    postcodes = POSTCODE.findall(turn.message.body_text)
    if not numbers or not (emails or postcodes):
        return None
    for number in numbers:
        order = turn.connector.get_order(number) or turn.connector.get_order(f"#{number}")
        if order is None or order.customer is None:
            continue
        owner_emails = {(order.customer.email or "").lower()}
        owner_codes = {_digits(order.shipping_address.postcode)}
        if order.customer.address:
            owner_codes.add(_digits(order.customer.address.postcode))
        by_email = bool(set(emails) & owner_emails)
        by_code = any(_digits(p) in owner_codes for p in postcodes)
        if by_email or by_code:
            state = turn.state
            state.shop_customer_ref = order.customer.external_id
            state.verified_email = (order.customer.email or "").lower() or None
            state.verified_by = "order_email" if by_email else "order_postcode"
            state.verified_orders = sorted({*(state.verified_orders or []), order.number})
            return True
    return False


def ask_verification(turn: Turn, intent: str) -> Reply:
    turn.state.awaiting = "verification"
    turn.state.intake = {**(turn.state.intake or {}), "resume_intent": intent}
    return Reply(
        turn.say("ask_verification"),
        "ask_verification",
        "order data is shown only after the customer is identified",
        "Poproszono o numer zamówienia i e-mail lub kod pocztowy (weryfikacja przed pokazaniem danych).",
        progress=False,
    )


def verified(turn: Turn) -> bool:
    return bool(turn.state.shop_customer_ref or turn.state.verified_orders)


def resolve_order(
    turn: Turn, intent: str, prefer: frozenset[OrderStatus] | None = None
) -> OrderDetail | Reply:
    """The order the customer means, inside their verified scope, or the question to ask."""
    if not verified(turn):
        identify_from_channel(turn)
    if not verified(turn) or turn.u.entities.order_numbers:
        attempt = try_verify(turn)
        if attempt is False:
            return Reply(
                turn.say("verification_failed"),
                "verification_failed",
                "order number and e-mail/postcode did not match",
                "Dane weryfikacyjne nie pasują do zamówienia — poproszono o sprawdzenie.",
                progress=False,
            )
    if not verified(turn):
        return ask_verification(turn, intent)
    numbers = list(turn.u.entities.order_numbers)
    for tracking in turn.u.entities.tracking_numbers:
        info = turn.connector.track_shipment(tracking.get("number", ""))
        if info is not None:
            numbers.append(info.order_external_id)
    for number in numbers:
        for candidate in (number,) if number.startswith("#") else (number, f"#{number}"):
            order = _lookup(turn, candidate)
            if order is not None:
                return order
    if numbers:
        # A number the customer typed that is not theirs (or does not exist): said the same way either
        # way, and never swapped silently for another order.
        shown = ", ".join(dict.fromkeys(numbers))
        return Reply(
            turn.say("order_not_theirs", number=shown),
            "order_not_found",
            "the named order is not among the verified customer's orders",
            f"Zamówienia {shown} nie ma wśród zamówień klienta — poproszono o sprawdzenie numeru.",
            progress=False,
        )
    linked = list(
        turn.session.scalars(
            select(Order.number)
            .join(CaseOrder, CaseOrder.order_id == Order.id)
            .where(CaseOrder.case_id == turn.case.id)
            .order_by(Order.placed_at.desc())
        )
    )
    for number in [*linked, *(turn.state.verified_orders or [])]:
        order = _lookup(turn, number)
        if order is not None and (prefer is None or order.status in prefer):
            return order
    if turn.state.verified_email:
        summaries = turn.connector.find_orders(email=turn.state.verified_email, limit=10)
        if prefer is not None:
            summaries = [s for s in summaries if s.status in prefer] or summaries
        if len(summaries) == 1:
            order = _lookup(turn, summaries[0].number)
            if order is not None:
                return order
        if summaries:
            listing = ", ".join(f"{s.number} ({turn.date(s.placed_at)})" for s in summaries[:4])
            turn.state.intake = {**(turn.state.intake or {}), "resume_intent": intent}
            turn.state.awaiting = "order_number"
            return Reply(
                turn.say("choose_order", orders=listing),
                "choose_order",
                "several orders could be meant",
                f"Klient ma kilka zamówień ({listing}) — zapytano, którego dotyczy sprawa.",
                progress=False,
            )
    turn.state.intake = {**(turn.state.intake or {}), "resume_intent": intent}
    turn.state.awaiting = "order_number"
    return Reply(
        turn.say("ask_order_number"),
        "ask_order_number",
        "no order identified",
        "Poproszono o numer zamówienia.",
        progress=False,
    )


def _lookup(turn: Turn, number: str) -> OrderDetail | None:
    from sprawa.ai.actions.base import ActionName

    outcome = turn.act(ActionName.LOOKUP_ORDER, {"order_number": number})
    if not outcome.ok:
        return None
    order: OrderDetail = outcome.data["order"]
    turn.facts.setdefault("orders", {})[order.number] = _order_facts(order)
    return order


def _order_facts(order: OrderDetail) -> dict[str, object]:
    return {
        "number": order.number,
        "status": str(order.status),
        "total": str(order.total),
        "currency": order.currency,
        "placed_at": order.placed_at.isoformat(),
        "delivered_at": order.delivered_at.isoformat() if order.delivered_at else None,
        "items": [line.name for line in order.items],
        "shipments": [
            {
                "carrier": s.carrier,
                "tracking_number": s.tracking_number,
                "state": str(s.state),
                "pickup_point": s.pickup_point,
            }
            for s in order.shipments
        ],
    }
