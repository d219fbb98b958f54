"""Return intake (the after-sales Return, after a yes) and complaint intake handed to a person.

A return inside the rules is approved at once after the customer's yes and the reply carries the return
number, how to send the goods back, by when, and the refund deadline. Outside the window the customer hears
the dates and is offered a complaint or a person; for anything else a person has to decide (art. 38 goods,
no delivery date, a company order, the shop's policy), the customer hears why and, after a yes, the
statement is recorded with today's date and the case goes to a person.
"""

from datetime import date, datetime, timedelta

from sprawa.aftersales.actions.notify import day_text
from sprawa.aftersales.models import Return
from sprawa.aftersales.service import return_message, send_return_instructions
from sprawa.ai.actions.base import ActionName, ActionStatus, Outcome
from sprawa.ai.flows.identify import resolve_order
from sprawa.ai.flows.orders import ask_confirmation, denied
from sprawa.ai.flows.turn import Reply, Turn
from sprawa.ai.guardrails import CARRIER_LINKS
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
        return _offer_review(turn, order, args, outcome)
    if outcome.status == ActionStatus.DENIED:
        if outcome.check.code == "return_window_closed":
            return _window_closed(turn, order, outcome)
        return denied(turn, outcome, "return")
    window = int(outcome.check.data.get("window_days") or 14)
    deadline = outcome.check.data.get("deadline")
    chosen = {str(x["line_id"]) for x in outcome.data.get("lines", [])}
    names = ", ".join(line.name for line in order.items if line.external_id in chosen) or turn.items(order)
    text = turn.say(
        "return_confirm",
        number=order.number,
        deadline=day_text(date.fromisoformat(deadline), turn.lang) if deadline else "—",
        items=names,
    )
    for key, template in (("sealed_items", "return_sealed"), ("excepted_items", "return_excepted")):
        if outcome.check.data.get(key):
            text = f"{turn.say(template, items=', '.join(outcome.check.data[key]))} {text}"
    turn.facts["return_window_days"] = window
    return ask_confirmation(
        turn,
        ActionName.START_RETURN,
        args,
        text,
        f"Zwrot z zamówienia {order.number} mieści się w terminie ({window} dni) — "
        "poproszono o potwierdzenie.",
    )


def _window_closed(turn: Turn, order: OrderDetail, outcome: Outcome) -> Reply:
    data = outcome.check.data
    window = int(data["window_days"])
    deadline = date.fromisoformat(data["deadline"])
    delivered = turn.date(datetime.fromisoformat(data["delivered_at"]))
    text = " ".join(
        [
            turn.say(
                "return_window_closed",
                number=order.number,
                delivered=delivered,
                window=window,
                deadline=day_text(deadline, turn.lang),
            ),
            turn.say("offer_person"),
        ]
    )
    return Reply(
        text,
        "return_refused_window",
        f"delivered {data['delivered_at'][:10]}, {window}-day window ended {deadline}",
        f"Zwrot poza terminem (doręczono {delivered}, termin minął {deadline:%d.%m.%Y}) — "
        "wyjaśniono terminy i zaproponowano konsultanta lub reklamację.",
    )


_REVIEW_OFFER = {
    "pl": "Mogę przekazać zgłoszenie zwrotu konsultantowi, który podejmie decyzję — zapiszemy je z "
    "dzisiejszą datą. Czy przekazać? Proszę odpisać „tak”.",
    "en": "I can pass your return request to a person who will decide — it will be recorded with today's "
    "date. Shall I pass it on? Please reply “yes”.",
    "uk": "Я можу передати заяву про повернення консультанту, який ухвалить рішення, — її буде зареєстровано "
    "сьогоднішньою датою. Передати? Будь ласка, напишіть «так».",
    "de": "Ich kann Ihren Rückgabewunsch an einen Mitarbeiter weitergeben, der entscheidet — er wird mit dem "
    "heutigen Datum erfasst. Soll ich ihn weitergeben? Bitte antworten Sie mit „ja“.",
}


def _offer_review(turn: Turn, order: OrderDetail, args: dict[str, object], outcome: Outcome) -> Reply:
    """A person has to decide: say why and, after a yes, record the statement for that person."""
    check = outcome.check
    why = (check.data.get("why") or {}).get(turn.lang) or (check.pl if turn.lang == "pl" else check.en)
    return ask_confirmation(
        turn,
        ActionName.START_RETURN,
        args,
        f"{why} {_REVIEW_OFFER[turn.lang]}",
        f"Zwrot z zamówienia {order.number} wymaga decyzji człowieka ({check.code}) — wyjaśniono powód i "
        "zapytano, czy przekazać zgłoszenie konsultantowi.",
    )


_INSTRUCTIONS_SENT = {
    "pl": "Gotowe — zwrot nr {number} z zamówienia {order} jest przyjęty. Instrukcję z etykietą kurierską, "
    "terminem odesłania ({goods_due}) i terminem zwrotu pieniędzy ({refund_due}) wysłaliśmy w osobnej "
    "wiadomości.",
    "en": "Done — return {number} for order {order} is accepted. The instructions with the courier label, "
    "the date to send the items back by ({goods_due}) and the refund deadline ({refund_due}) are in a "
    "separate message.",
    "uk": "Готово — повернення № {number} із замовлення {order} прийнято. Інструкцію з кур’єрською "
    "етикеткою, строком відправлення ({goods_due}) і строком повернення коштів ({refund_due}) ми надіслали "
    "окремим повідомленням.",
    "de": "Erledigt — die Rücksendung {number} zur Bestellung {order} ist angenommen. Die Anleitung mit dem "
    "Versandetikett, der Rücksendefrist ({goods_due}) und der Erstattungsfrist ({refund_due}) haben wir in "
    "einer eigenen Nachricht geschickt.",
}


def _unquotable_link(turn: Turn, ret: Return) -> bool:
    """The shop's courier label page is not on the AI's link allow-list (the reply would be stopped)."""
    label = (ret.method_details or {}).get("label_url") or ""
    allowed = ((turn.workspace.settings or {}).get("ai") or {}).get("allowed_links", [])
    return bool(label) and not label.startswith((*CARRIER_LINKS, *allowed))


def after_yes(turn: Turn, outcome: Outcome) -> Reply:
    """The return was recorded after the customer's yes: instructions, or a person takes it from here."""
    ret = turn.session.get(Return, outcome.data["return_id"])
    assert ret is not None
    text = return_message(turn.session, ret, turn.lang)
    if outcome.status == ActionStatus.DONE and _unquotable_link(turn, ret):
        send_return_instructions(turn.session, ret)
        text = _INSTRUCTIONS_SENT[turn.lang].format(
            number=ret.number,
            order=outcome.data["order"].number,
            goods_due=day_text(ret.goods_due_by, turn.lang),
            refund_due=day_text(ret.refund_due_by, turn.lang),
        )
    if outcome.status == ActionStatus.DONE:
        method = ret.method or "—"
        return Reply(
            text,
            "start_return_done",
            f"return {ret.number} approved by the rules; instructions ({method}) in the reply",
            f"Zarejestrowano i przyjęto zwrot {ret.number} (sposób: {method}, odesłać do "
            f"{ret.goods_due_by:%d.%m.%Y}, zwrot pieniędzy do {ret.refund_due_by:%d.%m.%Y}).",
        )
    reasons = ", ".join(ret.review_reasons or [])
    return Reply(
        None,
        "start_return_review",
        f"return {ret.number} recorded; a person decides ({reasons})",
        f"Zarejestrowano zgłoszenie zwrotu {ret.number} — czeka na decyzję konsultanta ({reasons}).",
        escalate=["approval_required"],
        facts={"lead": text},
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
