"""WISMO, refund status, cancellation and address change (with the customer's explicit yes)."""

import re

from sprawa.ai.actions.base import ActionName, ActionStatus, Outcome
from sprawa.ai.flows.identify import resolve_order
from sprawa.ai.flows.turn import Reply, Turn
from sprawa.ai.responder.templates import CARRIERS, STATES
from sprawa.commerce.base import UNSHIPPED_STATES, OrderDetail, ShipmentInfo
from sprawa.commerce.models import ShipmentState

S = ShipmentState


def _carrier(turn: Turn, shipment: ShipmentInfo) -> str:
    return CARRIERS.get(shipment.carrier, shipment.carrier if shipment.carrier != "other" else "—")


def wismo(turn: Turn) -> Reply:
    order = resolve_order(turn, "order_status")
    if isinstance(order, Reply):
        return order
    shipments = [s for s in order.shipments if s.state != S.RETURNED] or list(order.shipments)
    if not shipments:
        status = turn.status(order)
        key = "wismo_not_shipped" if order.status in UNSHIPPED_STATES else "wismo_status"
        return Reply(
            turn.say(key, number=order.number, status=status),
            "wismo_status",
            f"order {order.number} has no parcel yet (status {order.status})",
            f"Podano status zamówienia {order.number}: „{status}” (jeszcze bez przesyłki).",
        )
    parts = [_shipment_text(turn, order, s) for s in shipments[:3]]
    return Reply(
        "\n\n".join(parts),
        "wismo_answer",
        f"shipment facts of order {order.number} from the carrier data",
        f"Podano stan przesyłki zamówienia {order.number} "
        f"({', '.join(STATES[str(s.state)]['pl'] for s in shipments[:3])}).",
    )


def _shipment_text(turn: Turn, order: OrderDetail, s: ShipmentInfo) -> str:
    carrier = _carrier(turn, s)
    last = s.events[-1] if s.events else None
    event = last.description + (f" ({last.location})" if last and last.location else "") if last else ""
    when = turn.when(last.at) if last else ""
    lines: list[str] = []
    if s.state == S.DELIVERED:
        lines.append(
            turn.say(
                "wismo_delivered",
                carrier=carrier,
                number=order.number,
                when=turn.when(s.delivered_at or last.at) if (s.delivered_at or last) else "",
            )
        )
    elif s.state in (S.EXCEPTION, S.LOST, S.RETURNED) and last:
        lines.append(turn.say("wismo_problem", carrier=carrier, number=order.number, event=event, when=when))
    elif s.state == S.READY_FOR_PICKUP and s.pickup_point:
        deadline = turn.say("pickup_deadline", date=turn.when(s.pickup_deadline)) if s.pickup_deadline else ""
        lines.append(turn.say("wismo_pickup", point=s.pickup_point, deadline=deadline))
    else:
        state = STATES[str(s.state)][turn.lang]
        if last:
            lines.append(
                turn.say(
                    "wismo_moving", number=order.number, carrier=carrier, state=state, event=event, when=when
                )
            )
        else:
            lines.append(turn.say("wismo_status", number=order.number, status=state))
        if s.pickup_point and s.service == "paczkomat":
            lines.append(turn.say("wismo_point", point=s.pickup_point))
        if s.estimated_delivery:
            lines.append(turn.say("wismo_eta", eta=turn.date(s.estimated_delivery)))
    if s.tracking_number and s.tracking_url:
        lines.append(turn.say("tracking", tracking=s.tracking_number, url=s.tracking_url))
    elif s.tracking_number:
        lines.append(turn.say("tracking_number", tracking=s.tracking_number))
    return " ".join(lines)


def refund_status(turn: Turn) -> Reply:
    order = resolve_order(turn, "refund_status")
    if isinstance(order, Reply):
        return order
    refunds = [p for p in order.payments if p.kind == "refund" and p.status != "failed"]
    if not refunds:
        return Reply(
            turn.say("no_refund", number=order.number, status=turn.status(order)),
            "refund_none",
            f"order {order.number} has no refund entry",
            f"Zamówienie {order.number} nie ma jeszcze zwrotu pieniędzy — poinformowano klienta.",
        )
    texts = []
    for p in refunds[-2:]:
        status = turn.say("refund_completed" if p.status == "completed" else "refund_pending")
        texts.append(
            turn.say(
                "refund_status",
                number=order.number,
                amount=turn.money(p.amount, order.currency),
                status=status,
                when=turn.date(p.created_at),
            )
        )
    return Reply(
        " ".join(texts),
        "refund_status",
        f"refund entries of order {order.number}",
        f"Podano stan zwrotu pieniędzy w zamówieniu {order.number}.",
    )


# --------------------------------------------------------------------------------- writes with a yes


def ask_confirmation(
    turn: Turn, action: ActionName, args: dict[str, object], text: str, summary: str
) -> Reply:
    turn.state.pending = {"action": str(action), "args": args, "asked_at": turn.now.isoformat()}
    turn.state.awaiting = "confirm"
    return Reply(text, f"confirm_{action}", f"{action} is allowed; waiting for the customer's yes", summary)


def denied(turn: Turn, outcome: Outcome, what: str) -> Reply:
    reason = outcome.pl if turn.lang == "pl" else outcome.en
    text = f"{reason} {turn.say('offer_person')}"
    return Reply(
        text,
        f"{what}_denied",
        f"{what} refused: {outcome.check.code}",
        f"Odmowa ({what}): {outcome.check.pl or outcome.check.code}. Zaproponowano konsultanta.",
        progress=True,
    )


def approval(turn: Turn, outcome: Outcome, what: str) -> Reply:
    reason = outcome.check.pl if turn.lang == "pl" else outcome.check.en
    return Reply(
        None,
        f"{what}_needs_approval",
        f"{what} needs a person: {outcome.check.code}",
        f"{what}: polityka wymaga decyzji człowieka ({outcome.check.pl}).",
        escalate=["approval_required"],
        facts={"lead": turn.say("handoff_approval", reason=reason)},
    )


def cancel(turn: Turn) -> Reply:
    order = resolve_order(turn, "cancel_order", frozenset(UNSHIPPED_STATES))
    if isinstance(order, Reply):
        return order
    args = {"order_number": order.number, "reason": "na prośbę klienta"}
    outcome = turn.act(ActionName.CANCEL_ORDER, args)
    if outcome.status == ActionStatus.DENIED:
        return denied(turn, outcome, "cancel")
    if outcome.status == ActionStatus.NEEDS_APPROVAL:
        return approval(turn, outcome, "cancel")
    return ask_confirmation(
        turn,
        ActionName.CANCEL_ORDER,
        args,
        turn.say("cancel_confirm", number=order.number, items=turn.items(order)),
        f"Anulowanie zamówienia {order.number} jest dozwolone — poproszono klienta o potwierdzenie.",
    )


_ADDRESS = re.compile(
    r"(?P<street>[^,\n]*?\d+[a-zA-Z]?(?:\s*/\s*\d+)?)\s*,?\s*(?P<postcode>\d{2}-\d{3})\s+(?P<city>[^\d,\n.]+)"
)


_VARIANT_WORDS = re.compile(
    r"rozmiar|kolor|wariant|size|colou?r|variant|розмір|колір|größe|farbe", re.IGNORECASE
)


def change_order(turn: Turn) -> Reply:
    order = resolve_order(turn, "change_order", frozenset(UNSHIPPED_STATES))
    if isinstance(order, Reply):
        return order
    if _VARIANT_WORDS.search(turn.message.body_text):
        return _change_variant(turn, order)
    preview = turn.act(
        ActionName.CHANGE_ADDRESS,
        {"order_number": order.number, "street": "-", "postcode": "00-000", "city": "-"},
    )
    if preview.status == ActionStatus.DENIED:
        return denied(turn, preview, "change")
    if preview.status == ActionStatus.NEEDS_APPROVAL:
        return approval(turn, preview, "change")
    turn.state.awaiting = "new_address"
    turn.state.intake = {**(turn.state.intake or {}), "order_number": order.number}
    return Reply(
        turn.say("ask_new_address", number=order.number),
        "ask_new_address",
        "address change allowed in this state; asking for the new address",
        f"Zmiana adresu zamówienia {order.number} jest możliwa — poproszono o nowy adres.",
    )


def new_address(turn: Turn) -> Reply:
    number = (turn.state.intake or {}).get("order_number")
    text = turn.message.body_text
    points = turn.u.entities.paczkomat_codes
    match = _ADDRESS.search(text)
    if not number or (match is None and not points):
        turn.state.awaiting = "new_address" if number else None
        return Reply(
            turn.say("address_unreadable"),
            "address_unreadable",
            "could not read an address",
            "Nie udało się odczytać adresu — poproszono o zapis w jednej linii.",
            progress=False,
        )
    order_outcome = turn.act(ActionName.LOOKUP_ORDER, {"order_number": number})
    if not order_outcome.ok:
        return denied(turn, order_outcome, "change")
    order: OrderDetail = order_outcome.data["order"]
    if match:
        args = {
            "order_number": number,
            "street": match.group("street").strip(" ,"),
            "postcode": match.group("postcode"),
            "city": match.group("city").strip(" ,"),
        }
        shown = f"{args['street']}, {args['postcode']} {args['city']}"
    else:
        current = order.shipping_address
        args = {
            "order_number": number,
            "street": current.street,
            "postcode": current.postcode,
            "city": current.city,
            "pickup_point": points[0],
        }
        shown = f"Paczkomat {points[0]}"
    outcome = turn.act(ActionName.CHANGE_ADDRESS, args)
    if outcome.status == ActionStatus.DENIED:
        return denied(turn, outcome, "change")
    args["shown"] = shown
    return ask_confirmation(
        turn,
        ActionName.CHANGE_ADDRESS,
        args,
        turn.say("address_confirm", number=number, address=shown),
        f"Nowy adres zamówienia {number}: {shown} — poproszono o potwierdzenie.",
    )


def _change_variant(turn: Turn, order: OrderDetail) -> Reply:
    """Another size or colour of a product in an unshipped order: the variant named in the message."""
    text = turn.message.body_text
    for line in order.items:
        if not line.product_external_id:
            continue
        product = turn.act(ActionName.LOOKUP_PRODUCT, {"product_id": line.product_external_id})
        if not product.ok:
            continue
        detail = product.data["products"][0]
        named = [
            v
            for v in detail.variants
            if v.external_id != line.variant_external_id
            and any(
                re.search(rf"(?<!\w){re.escape(str(value))}(?!\w)", text, re.IGNORECASE)
                for value in v.options.values()
            )
        ]
        if len(named) != 1:
            continue
        variant = named[0]
        args = {
            "order_number": order.number,
            "changes": [{"line_id": line.external_id, "new_variant_id": variant.external_id}],
        }
        outcome = turn.act(ActionName.CHANGE_ITEMS, args)
        if outcome.status == ActionStatus.DENIED:
            return denied(turn, outcome, "change")
        if outcome.status == ActionStatus.NEEDS_APPROVAL:
            return approval(turn, outcome, "change")
        options = ", ".join(str(v) for v in variant.options.values())
        shown = f"{line.name}: {options}"
        args["shown"] = shown
        return ask_confirmation(
            turn,
            ActionName.CHANGE_ITEMS,
            args,
            turn.say(
                "variant_confirm",
                number=order.number,
                item=shown,
                price=turn.money(variant.price, order.currency),
            ),
            f"Zmiana wariantu w zamówieniu {order.number} na {shown} jest możliwa — "
            "poproszono o potwierdzenie.",
        )
    return Reply(
        turn.say("variant_unclear", number=order.number),
        "variant_unclear",
        "no single variant named in the message",
        f"Nie rozpoznano, na jaki wariant zmienić produkt w zamówieniu {order.number} — zapytano klienta.",
        progress=False,
    )
