"""Return intake inside the withdrawal window (with a yes) and complaint intake handed to a person."""

from datetime import datetime, timedelta

from sprawa.ai.actions.base import ActionName, ActionStatus
from sprawa.ai.actions.policy import return_deadline
from sprawa.ai.flows.identify import resolve_order
from sprawa.ai.flows.orders import approval, ask_confirmation, denied
from sprawa.ai.flows.turn import Reply, Turn
from sprawa.ai.nlu.normalize import fold
from sprawa.commerce.base import OrderDetail, OrderStatus

COMPLAINT_ANSWER_DAYS = 14  # art. 7a: no answer within 14 days means the complaint is accepted
_REMEDIES = {
    "repair": ("napraw", "repair", "ремонт", "reparatur"),
    "replacement": ("wymian", "nowy egzemplarz", "replace", "замін", "ersatz", "austausch"),
    "price_reduction": ("obniż", "obniz", "rabat", "price reduction", "знижк", "preisminderung"),
    "withdrawal": (
        "zwrot pieni",
        "odstąp",
        "odstap",
        "refund",
        "повернення коштів",
        "erstattung",
        "rücktritt",
    ),
}


def _lines_named(turn: Turn, order: OrderDetail) -> list[dict[str, object]]:
    """Order lines the message names (by a word of the product name); none named means all."""
    text = fold(turn.u.normalized)
    named = []
    for line in order.items:
        words = [w for w in fold(line.name).split() if len(w) > 3]
        if any(w[:5] in text for w in words):
            named.append(
                {"line_id": line.external_id, "quantity": max(1, line.quantity - line.returned_quantity)}
            )
    return named


def return_request(turn: Turn) -> Reply:
    order = resolve_order(turn, "return_request", frozenset({OrderStatus.DELIVERED}))
    if isinstance(order, Reply):
        return order
    args: dict[str, object] = {"order_number": order.number, "reason": "odstąpienie od umowy"}
    lines = _lines_named(turn, order)
    if lines:
        args["lines"] = lines
    outcome = turn.act(ActionName.START_RETURN, args)
    if outcome.status == ActionStatus.NEEDS_APPROVAL:
        return approval(turn, outcome, "return")
    if outcome.status == ActionStatus.DENIED:
        if outcome.check.code == "return_window_closed":
            return _window_closed(turn, order)
        return denied(turn, outcome, "return")
    window, deadline = return_deadline(turn.session, turn.workspace.id, order)
    chosen = {str(x["line_id"]) for x in outcome.data.get("lines", [])}
    names = ", ".join(line.name for line in order.items if line.external_id in chosen) or turn.items(order)
    text = turn.say(
        "return_confirm",
        number=order.number,
        deadline=turn.date(deadline) if deadline else "—",
        items=names,
    )
    excepted = outcome.check.data.get("excepted_items")
    if excepted:
        text = f"{turn.say('return_excepted', items=', '.join(excepted))} {text}"
    turn.facts["return_window_days"] = window
    return ask_confirmation(
        turn,
        ActionName.START_RETURN,
        args,
        text,
        f"Zwrot z zamówienia {order.number} mieści się w terminie ({window} dni) — "
        "poproszono o potwierdzenie.",
    )


def _window_closed(turn: Turn, order: OrderDetail) -> Reply:
    window, deadline = return_deadline(turn.session, turn.workspace.id, order)
    assert deadline is not None
    delivered = deadline - timedelta(days=window)
    text = " ".join(
        [
            turn.say(
                "return_window_closed",
                number=order.number,
                delivered=turn.date(delivered),
                window=window,
                deadline=turn.date(deadline),
            ),
            turn.say("offer_person"),
        ]
    )
    return Reply(
        text,
        "return_refused_window",
        f"delivered {delivered.date()}, {window}-day window ended {deadline.date()}",
        f"Zwrot poza terminem (doręczono {turn.date(delivered)}, termin minął {turn.date(deadline)}) — "
        "grzecznie odmówiono i zaproponowano konsultanta lub reklamację.",
    )


def complaint(turn: Turn) -> Reply:
    """Intake from what the message holds, a receipt with the legal answer date, then a person."""
    intake = dict(turn.state.intake or {})
    complaint_data = dict(intake.get("complaint") or {})
    order = (
        resolve_order(turn, "complaint")
        if (turn.u.entities.order_numbers or turn.state.shop_customer_ref)
        else None
    )
    if isinstance(order, Reply):
        order = None
    if order is not None:
        complaint_data["order_number"] = order.number
        named = _lines_named(turn, order)
        item_names = [
            line.name for line in order.items if any(n["line_id"] == line.external_id for n in named)
        ]
        if item_names:
            complaint_data["item"] = ", ".join(item_names)
    complaint_data["description"] = (
        complaint_data.get("description", "") + "\n" + turn.message.body_text
    ).strip()[:2000]
    complaint_data["photos"] = int(complaint_data.get("photos", 0)) + turn.attachments
    folded = fold(turn.u.normalized)
    for remedy, words in _REMEDIES.items():
        if any(fold(w) in folded for w in words):
            complaint_data["remedy"] = remedy
    received = datetime.fromisoformat(complaint_data.get("received_at") or turn.now.isoformat())
    complaint_data["received_at"] = received.isoformat()
    due = received + timedelta(days=COMPLAINT_ANSWER_DAYS)
    complaint_data["answer_due_by"] = due.isoformat()
    intake["complaint"] = complaint_data
    turn.state.intake = intake
    if order is not None and not turn.dry_run:
        _record_complaint(turn, order, complaint_data)
    if order is not None:
        turn.act(
            ActionName.REGISTER_COMPLAINT,
            {
                "order_number": order.number,
                "item": complaint_data.get("item", ""),
                "description": complaint_data["description"],
                "photos": min(complaint_data["photos"], 50),
                "remedy": complaint_data.get("remedy", "unknown"),
            },
        )
    missing = []
    if not complaint_data["photos"]:
        missing.append(turn.say("missing_photos"))
    if "order_number" not in complaint_data:
        missing.append(turn.say("missing_order"))
    if "remedy" not in complaint_data:
        missing.append(turn.say("missing_remedy"))
    item = f" ({complaint_data['item']})" if complaint_data.get("item") else ""
    order_part = f" ({complaint_data['order_number']})" if complaint_data.get("order_number") else ""
    photos = turn.say("photos_part", n=complaint_data["photos"]) if complaint_data["photos"] else ""
    text = turn.say("complaint_received", item=item, order=order_part, photos=photos, due=turn.date(due))
    if missing:
        text += " " + turn.say("complaint_missing", missing=turn.say("and").join(missing))
    turn.facts["complaint"] = complaint_data
    return Reply(
        text,
        "complaint_intake",
        "complaint intake; a person always decides (LEGAL-PL art. 7a deadline)",
        f"Przyjęto zgłoszenie reklamacyjne{order_part} (zdjęcia: {complaint_data['photos']}); "
        f"odpowiedź należy dać do {turn.date(due)}. Przekazano konsultantowi.",
        escalate=["complaint"],
        facts={"lead": text, "complaint": complaint_data},
    )


def _record_complaint(turn: Turn, order: OrderDetail, data: dict[str, object]) -> None:
    """The complaint record of the after-sales workflow (deadline, evidence), once the remedy is known.

    Without a named remedy the intake waits: the law lets the customer choose, so none is assumed.
    """
    from sqlalchemy import select

    from sprawa.aftersales.models import IntakeSource, Remedy
    from sprawa.aftersales.service import do_register_complaint
    from sprawa.ai.service import ai_principal
    from sprawa.commerce.models import Order, OrderItem
    from sprawa.platform.errors import AppError

    remedy = data.get("remedy")
    if remedy not in {r.value for r in Remedy} or data.get("record_number"):
        return
    cached = turn.session.scalars(
        select(Order).where(Order.workspace_id == turn.workspace.id, Order.number == order.number)
    ).first()
    named = _lines_named(turn, order)
    line_id = (
        str(named[0]["line_id"]) if named else (order.items[0].external_id if len(order.items) == 1 else None)
    )
    if cached is None or line_id is None:
        return
    item = turn.session.scalars(
        select(OrderItem.id).where(OrderItem.order_id == cached.id, OrderItem.external_id == line_id)
    ).first()
    if item is None:
        return
    try:
        # Its checks all run before it writes anything, so a refusal leaves nothing behind.
        complaint = do_register_complaint(
            turn.session,
            ai_principal(turn.workspace.id),
            turn.case,
            cached.id,
            item,
            description=str(data.get("description", "")),
            remedy=Remedy(str(remedy)),
            source=IntakeSource.AI,
            now=turn.now,
            # The AI's own reply confirms receipt and the answer deadline; a second message would repeat it.
            notify_customer=False,
        )
    except AppError as exc:
        data["record_error"] = exc.message
        return
    data["record_number"] = complaint.number
    turn.grounding.append(complaint.number)
