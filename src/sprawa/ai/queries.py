"""Reads of the AI first line for the case view and the quality report, scoped through ``access_case``."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.ai.actions.base import ActionName, ActionStatus
from sprawa.ai.actions.layer import ActionContext, run_action
from sprawa.ai.escalation import REASON_LABELS, escalation_policy
from sprawa.ai.models import AICaseState, AIDecision, AIFlag
from sprawa.ai.nlu import case_mood_trend
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case, CaseOrder, Direction, Message
from sprawa.commerce.models import Order
from sprawa.commerce.remote import ConnectorEnv
from sprawa.commerce.service import connector_for
from sprawa.workspaces.models import PolicyKind
from sprawa.workspaces.queries import typed_policy
from sprawa.workspaces.schemas import CompensationPolicy


def decision_trail(session: Session, case: Case, *, limit: int = 200) -> list[dict[str, Any]]:
    """Every AI step on the case, oldest first, in plain language, with the agents' flags."""
    decisions = list(
        session.scalars(
            select(AIDecision)
            .where(AIDecision.case_id == case.id)
            .order_by(AIDecision.created_at, AIDecision.id)
            .limit(limit)
        )
    )
    flags: dict[str, list[str]] = {}
    for decision_id, kind in session.execute(
        select(AIFlag.decision_id, AIFlag.kind).where(AIFlag.case_id == case.id)
    ):
        flags.setdefault(decision_id, []).append(str(kind))
    return [
        {
            "id": d.id,
            "at": d.created_at.isoformat(),
            "step": d.step,
            "summary": d.summary,
            "intent": d.intent,
            "intent_scores": d.intent_scores,
            "frustration": d.frustration,
            "chosen": d.chosen,
            "reason": d.reason,
            "escalation_reasons": [
                {"code": r, "label": REASON_LABELS.get(r, (r, r))[0]} for r in d.escalation_reasons
            ],
            "tool_calls": d.tool_calls,
            "passages": [{k: p.get(k) for k in ("slug", "title", "score", "heading")} for p in d.passages],
            "reply_text": d.reply_text,
            "reply_message_id": d.reply_message_id,
            "latency_ms": d.latency_ms,
            "flags": flags.get(d.id, []),
        }
        for d in decisions
    ]


def ai_state(session: Session, case: Case) -> dict[str, Any]:
    state = session.scalars(select(AICaseState).where(AICaseState.case_id == case.id)).first()
    if state is None:
        return {"mode": "active", "turns": 0, "verified_by": None, "pending": None, "intake": {}, "mood": []}
    return {
        "mode": str(state.mode),
        "mode_reason": state.mode_reason,
        "turns": state.turns,
        "stalled_turns": state.stalled_turns,
        "disclosed": state.disclosed,
        "verified_by": state.verified_by,
        "pending": state.pending or None,
        "awaiting": state.awaiting,
        "intake": state.intake or {},
        "mood": state.moods or [],
    }


def flag_counts(session: Session, principal: Principal) -> dict[str, Any]:
    """AI quality for the report: flags by kind against all AI replies of the workspace."""
    replies = session.scalar(
        select(func.count())
        .select_from(AIDecision)
        .where(AIDecision.workspace_id == principal.workspace_id, AIDecision.reply_message_id.is_not(None))
    )
    by_kind = dict(
        session.execute(
            select(AIFlag.kind, func.count())
            .where(AIFlag.workspace_id == principal.workspace_id)
            .group_by(AIFlag.kind)
        ).all()
    )
    flagged = session.scalar(
        select(func.count(func.distinct(AIFlag.decision_id))).where(
            AIFlag.workspace_id == principal.workspace_id
        )
    )
    return {
        "ai_replies": replies or 0,
        "flagged_replies": flagged or 0,
        "by_kind": {str(k): v for k, v in by_kind.items()},
    }


def assist(session: Session, case: Case, env: ConnectorEnv | None = None, lang: str = "pl") -> dict[str, Any]:
    """For the agent: summary, mood trend, facts, suggested actions (with their policy verdicts), articles."""
    from sprawa.ai.retrieval import search

    state = ai_state(session, case)
    scores = [float(m["frustration"]) for m in state["mood"]]
    last = session.scalars(
        select(Message)
        .where(Message.case_id == case.id, Message.direction == Direction.INBOUND)
        .order_by(Message.seq.desc())
        .limit(1)
    ).first()
    orders = list(
        session.scalars(
            select(Order)
            .join(CaseOrder, CaseOrder.order_id == Order.id)
            .where(CaseOrder.case_id == case.id)
            .order_by(Order.placed_at.desc())
        )
    )
    trail = decision_trail(session, case)
    escalations = [e for d in trail for e in d["escalation_reasons"]]
    articles = (
        [
            p.as_dict()
            for p in search(
                session, case.workspace_id, last.body_text[:1000], case.language or "pl", refresh=False
            )
        ]
        if last
        else []
    )
    return {
        "summary": _summary(case, state, trail, orders, lang),
        "intent": case.intent,
        "language": case.language,
        "mood": {
            "current": case.sentiment,
            "trend": case_mood_trend(scores) if scores else None,
            "scores": scores,
        },
        "escalation_reasons": list({e["code"]: e for e in escalations}.values()),
        "facts": {
            "orders": [
                {
                    "number": o.number,
                    "status": o.status,
                    "total": str(o.total),
                    "currency": o.currency,
                    "placed_at": o.placed_at.isoformat(),
                    "delivered_at": o.delivered_at.isoformat() if o.delivered_at else None,
                }
                for o in orders
            ],
            "complaint": (state["intake"] or {}).get("complaint"),
            "pending_action": state["pending"],
            "verified_by": state["verified_by"],
        },
        "suggested_actions": suggested_actions(session, case, orders, env),
        "articles": articles,
    }


#: The summary's lines (Polish, English); intents and order statuses use the workspace's labels.
_SUMMARY_TEXT = {
    "case": ("Sprawa #{number}: {subject}", "Case #{number}: {subject}"),
    "intent": ("Temat (AI): {intent}", "Topic (AI): {intent}"),
    "orders": ("Zamówienia: {orders}", "Orders: {orders}"),
    "handed_off": ("AI: przekazała sprawę człowiekowi", "AI: handed the case to a person"),
    "stopped": ("AI: nie odpowiada w tej sprawie", "AI: not answering in this case"),
}


def _summary(
    case: Case, state: dict[str, Any], trail: list[dict[str, Any]], orders: list[Order], lang: str = "pl"
) -> str:
    from sprawa.web.format import INTENT_LABELS, ORDER_STATUS_LABELS
    from sprawa.web.translate import translate

    english = lang == "en"

    def text(key: str, **values: object) -> str:
        return _SUMMARY_TEXT[key][english].format(**values)

    def label(labels: dict[str, str], code: str) -> str:
        return translate(labels.get(code, code), "en" if english else "pl")

    lines = [text("case", number=case.number, subject=case.subject)]
    if case.intent:
        lines.append(text("intent", intent=label(INTENT_LABELS, case.intent)))
    lines += [d["summary"] for d in trail if d["step"] in ("reply", "escalate") and d["summary"]][-5:]
    if orders:
        listed = ", ".join(f"{o.number} ({label(ORDER_STATUS_LABELS, o.status)})" for o in orders[:5])
        lines.append(text("orders", orders=listed))
    if state["mode"] in ("handed_off", "stopped"):
        lines.append(text(str(state["mode"])))
    return "\n".join(lines)


def suggested_actions(
    session: Session, case: Case, orders: list[Order], env: ConnectorEnv | None = None
) -> list[dict[str, Any]]:
    """Actions worth offering, each previewed through the action layer (verdict and reason shown)."""
    ctx = ActionContext(
        session=session,
        workspace_id=case.workspace_id,
        connector=connector_for(session, case.workspace_id, env),
        by_ai=False,
        scope=None,
        customer_id=case.customer_id,
        case_id=case.id,
    )
    wanted: list[tuple[ActionName, dict[str, Any]]] = []
    for order in orders[:3]:
        if order.status == "delivered":
            wanted.append((ActionName.START_RETURN, {"order_number": order.number}))
        if order.status in ("new", "awaiting_payment", "paid", "packed"):
            wanted.append(
                (ActionName.CANCEL_ORDER, {"order_number": order.number, "reason": "na prośbę klienta"})
            )
    compensation = typed_policy(session, case.workspace_id, PolicyKind.COMPENSATION)
    assert isinstance(compensation, CompensationPolicy)
    threshold = escalation_policy(session, case.workspace_id).frustration_threshold
    if compensation.kinds and (case.escalated or (case.sentiment or 0) >= threshold):
        wanted.append(
            (
                ActionName.ISSUE_COMPENSATION,
                {"kind": compensation.kinds[0], "amount": str(compensation.max_amount_pln)},
            )
        )
    out = []
    for name, args in wanted:
        outcome = run_action(ctx, name, args)
        if outcome.status == ActionStatus.DENIED:
            continue
        out.append(
            {
                "action": str(name),
                "args": args,
                "verdict": outcome.check.verdict,
                "reason": outcome.check.pl or None,
            }
        )
    return out
