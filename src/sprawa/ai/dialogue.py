"""The decision of one turn: escalate at once, finish a pending yes/no, resume a question, or run a flow."""

import re

from sprawa.ai import escalation
from sprawa.ai.actions.base import ActionName, ActionStatus
from sprawa.ai.flows import knowledge, orders, returns
from sprawa.ai.flows.turn import Reply, Turn
from sprawa.ai.nlu import REASON_CODES
from sprawa.ai.nlu.frustration import frustrated
from sprawa.ai.nlu.normalize import fold

_YES = re.compile(
    r"^\W*(tak|tak+|potwierdzam|zgadza si[eę]|ok(ej|ay)?|dobrze|poprosz[eę]|yes|yep|yeah|sure|confirm(ed)?|"
    r"go ahead|так|підтверджую|ja|jawohl|bestätige)\b",
    re.IGNORECASE,
)
_NO = re.compile(r"^\W*(nie|no|nope|cancel|ні|нет|nein|rezygnuj[eę])\b", re.IGNORECASE)
_THANKS = re.compile(r"\b(dzi[eę]kuj|dzieki|dzięki|thank|thx|дякую|danke)", re.IGNORECASE)
_HELLO = re.compile(
    r"^\W*(dzie[nń] dobry|cze[sś][cć]|witam|hej|hello|hi|добрий день|привіт|hallo|guten tag)\b", re.I
)
KNOWLEDGE_INTENTS = frozenset({"product_question", "shipping_info", "payment_issue", "invoice", "store_info"})
#: Intents that replace an unanswered yes/no question when the customer clearly moves on.
CONFIDENT = 0.6


def yes_no(text: str) -> bool | None:
    if _YES.search(text):
        return True
    if _NO.search(text):
        return False
    return None


def escalation_reasons(turn: Turn) -> list[str]:
    policy = escalation.escalation_policy(turn.session, turn.workspace.id)
    # The NLU flags frustration at the default threshold; the workspace's own threshold decides here.
    scores = [float(m["frustration"]) for m in turn.state.moods or []]
    upset = frustrated(turn.u.frustration, scores, policy.frustration_threshold)
    reasons = [
        code
        for code in REASON_CODES
        if (code == "frustration" and upset) or (code != "frustration" and code in turn.u.escalation_reasons)
    ]
    reasons += escalation.customer_reasons(turn.session, turn.customer, turn.case, turn.u.intent)
    return escalation.enabled(policy, reasons)


def decide(turn: Turn) -> Reply:
    reasons = escalation_reasons(turn)
    if turn.dry_run:
        # A draft for the person who has the case: answer the matter instead of handing it over again
        # (a complaint still runs its intake, which is what the person needs to answer it).
        reasons = [r for r in reasons if r == "complaint"]
    if "complaint" in reasons:
        reply = returns.complaint(turn)
        reply.escalate = list(dict.fromkeys([*reasons, *reply.escalate]))
        if "frustration" in reasons:
            reply.facts["lead"] = f"{turn.say('handoff_sorry')} {reply.facts['lead']}"
        return reply
    if reasons:
        return _handoff_reply(turn, reasons)
    state = turn.state
    if state.awaiting == "confirm" and state.pending:
        answer = yes_no(turn.message.body_text)
        if answer is True:
            return _execute_pending(turn)
        if answer is False:
            state.pending, state.awaiting = {}, None
            return Reply(
                turn.say("declined"),
                "declined",
                "the customer said no",
                "Klient nie potwierdził — nic nie zmieniono.",
            )
        if turn.u.intent in ("other", "unknown") or turn.u.intent_confidence < CONFIDENT:
            return Reply(
                turn.say("confirm_again"),
                "confirm_again",
                "no clear yes or no",
                "Ponowiono prośbę o potwierdzenie.",
                progress=False,
            )
        state.pending, state.awaiting = {}, None
    if state.awaiting == "new_address":
        return orders.new_address(turn)
    resume = (state.intake or {}).get("resume_intent")
    if state.awaiting in ("verification", "order_number") and resume:
        has_data = turn.u.entities.order_numbers or turn.u.entities.emails or turn.u.entities.tracking_numbers
        if (
            has_data
            and turn.u.intent in ("other", "unknown", resume)
            or has_data
            and turn.u.intent_confidence < CONFIDENT
        ):
            state.awaiting = None
            return _flow(turn, resume)
    state.awaiting = None
    return _flow(turn, turn.u.intent)


def _flow(turn: Turn, intent: str) -> Reply:
    if intent == "order_status":
        return orders.wismo(turn)
    if intent == "refund_status":
        return orders.refund_status(turn)
    if intent == "cancel_order":
        return orders.cancel(turn)
    if intent == "change_order":
        return orders.change_order(turn)
    if intent == "return_request":
        return returns.return_request(turn)
    if intent == "complaint":
        return returns.complaint(turn)
    if intent in KNOWLEDGE_INTENTS:
        return knowledge.knowledge_answer(turn)
    if intent == "human_request":
        return _handoff_reply(turn, ["human_request"])
    return _small_talk(turn)


def _small_talk(turn: Turn) -> Reply:
    text = turn.message.body_text
    if turn.u.intent == "other" and _THANKS.search(text):
        return Reply(
            turn.say("thanks"), "thanks", "thanks or praise", "Klient podziękował — odpowiedziano uprzejmie."
        )
    if turn.u.intent == "other" and _HELLO.search(text) and len(fold(text)) < 40:
        return Reply(
            turn.say("how_can_i_help"),
            "greeting",
            "a greeting",
            "Powitanie — zapytano, w czym pomóc.",
            progress=False,
        )
    if turn.u.intent == "unknown" and turn.state.stalled_turns >= 1:
        return _handoff_reply(turn, ["low_confidence"])
    return Reply(
        turn.say("clarify"),
        "clarify",
        f"intent {turn.u.intent} ({turn.u.intent_confidence:.2f}): nothing the AI may act on",
        "Nie było jasne, o co chodzi — zadano pytanie doprecyzowujące.",
        progress=False,
    )


def _handoff_reply(turn: Turn, reasons: list[str]) -> Reply:
    if "human_request" in reasons and len(reasons) == 1:
        lead = turn.say("handoff_human")
    elif {"frustration", "repeat_contact"} & set(reasons):
        lead = turn.say("handoff_sorry")
    elif {"legal", "health_safety", "data_protection"} & set(reasons):
        lead = turn.say("handoff_serious")
    elif "low_confidence" in reasons:
        lead = turn.say("handoff_unknown")
    else:
        lead = turn.say("handoff_human")
    labels = ", ".join(escalation.REASON_LABELS[r][0] for r in reasons)
    return Reply(
        None,
        "hand_off",
        f"escalate: {', '.join(reasons)}",
        f"Przekazano konsultantowi: {labels}.",
        escalate=reasons,
        facts={"lead": lead},
    )


def _execute_pending(turn: Turn) -> Reply:
    state = turn.state
    pending = dict(state.pending)
    state.pending, state.awaiting = {}, None
    action = ActionName(pending["action"])
    args = {k: v for k, v in pending["args"].items() if k != "shown"}
    outcome = turn.act(action, args, confirmed=True)
    number = args.get("order_number", "")
    if action == ActionName.START_RETURN and "return_id" in outcome.data:
        return returns.after_yes(turn, outcome)  # the after-sales Return was recorded
    if outcome.status == ActionStatus.DONE:
        if action == ActionName.CANCEL_ORDER:
            order = outcome.data.get("order")
            refund = outcome.data.get("refund_amount")
            line = ""
            if refund and float(refund) > 0 and order is not None:
                line = turn.say("refund_line", amount=turn.money(refund, order.currency))
            text = turn.say("cancel_done", number=number, refund=line)
        elif action == ActionName.CHANGE_ADDRESS:
            text = turn.say("address_done", number=number, address=pending["args"].get("shown", ""))
        elif action == ActionName.CHANGE_ITEMS:
            text = turn.say("items_done", number=number, item=pending["args"].get("shown", ""))
        elif action == ActionName.START_RETURN:
            order = outcome.data.get("order")
            currency = order.currency if order is not None else "PLN"
            text = turn.say(
                "return_done",
                return_number=outcome.data.get("return_number", "—"),
                number=number,
                amount=turn.money(outcome.data.get("refund_amount", "0"), currency),
            )
        else:
            text = outcome.pl if turn.lang == "pl" else outcome.en
        return Reply(
            text,
            f"{action}_done",
            f"{action} done after the customer's yes",
            f"Wykonano: {action} ({number}) po potwierdzeniu klienta.",
        )
    if outcome.status == ActionStatus.NEEDS_APPROVAL:
        return orders.approval(turn, outcome, str(action))
    reason = outcome.pl if turn.lang == "pl" else outcome.en
    return Reply(
        None,
        f"{action}_failed",
        f"the shop refused {action}: {outcome.check.code}",
        f"Sklep odmówił wykonania ({action}): {outcome.check.pl}. Przekazano konsultantowi.",
        escalate=["failed_action"],
        facts={"lead": turn.say("handoff_failed", reason=reason.rstrip("."))},
    )
