"""CSAT and NPS surveys: scheduled after a resolution, sent on the case's channel, answered on a signed page.

- CSAT (1–5 + comment) once per case, ``csat_delay_minutes`` after it is resolved; NPS (0–10) rides along
  when the customer has not been asked within ``nps_cooldown_days``. One message carries one link.
- The message is a normal outbound message written by ``cases.service.do_reply`` (author ``system``), so it
  leaves through the outbox on the case's channel and each adapter renders it as it can (a link).
- The link holds the request id signed with the installation's key (HMAC, compared in constant time).
- A low score (CSAT ≤ 2, NPS ≤ 6) gives the matter back to a person: the case is reopened with a note,
  or, when it is already closed, a new case is opened for the customer.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case, CaseStatus, Priority
from sprawa.cases.service import do_add_note, do_reply, open_case, record_activity, transition
from sprawa.channels.base import ChannelAdapter
from sprawa.channels.models import ChannelKind
from sprawa.customers.models import Customer
from sprawa.db import utcnow
from sprawa.insights.models import SurveyKind, SurveyRequest, SurveyResponse, SurveyStatus
from sprawa.platform.crypto import sign, unsign
from sprawa.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from sprawa.platform.jobs import enqueue
from sprawa.proactive.suggestions import closing_offer
from sprawa.workspaces.models import Workspace
from sprawa.workspaces.schemas import Strict

SEND_JOB = "insights.survey_send"
SIGNING_PURPOSE = "survey"
LOW_CSAT = 2
LOW_NPS = 6
#: A case resolved longer ago than this is not surveyed any more (e.g. after an outage of the worker).
MAX_SURVEY_AGE = timedelta(days=3)


class SurveySettings(Strict):
    """The shop's survey policy (``Workspace.settings["surveys"]``)."""

    csat: bool = True
    csat_delay_minutes: int = Field(60, ge=0, le=7 * 24 * 60)
    nps: bool = True
    nps_cooldown_days: int = Field(90, ge=7, le=730)
    # Cases resolved before this moment are never surveyed (set when the policy is first saved).
    enabled_at: datetime | None = None


SURVEY_TEXT = {
    "pl": "Dziękujemy za kontakt. Będzie nam miło, jeśli ocenią Państwo naszą pomoc w tej sprawie — "
    "to zajmie kilka sekund: {link}",
    "en": "Thank you for getting in touch. Could you tell us how we did? It only takes a few seconds: {link}",
    "uk": "Дякуємо за звернення! Будь ласка, оцініть нашу допомогу — це займе кілька секунд: {link}",
    "de": "Vielen Dank für Ihre Nachricht. Wie zufrieden waren Sie mit unserer Hilfe? "
    "Es dauert nur wenige Sekunden: {link}",
}
FOLLOW_UP_NOTE = "Klient ocenił obsługę nisko ({scores}). {comment}Proszę skontaktować się z klientem."


def survey_settings(session: Session, workspace_id: str) -> SurveySettings:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("workspace not found")
    settings = SurveySettings.model_validate((workspace.settings or {}).get("surveys", {}))
    if settings.enabled_at is None:
        settings.enabled_at = workspace.created_at
    return settings


def do_update_survey_settings(session: Session, actor: Principal, changes: dict[str, Any]) -> SurveySettings:
    """Save the shop's survey policy (owners and admins)."""
    if not actor.is_admin:
        raise Forbidden("only owners and admins may change surveys", code="admin_only")
    workspace = session.get(Workspace, actor.workspace_id, with_for_update=True)
    assert workspace is not None
    current = survey_settings(session, actor.workspace_id).model_dump(mode="json")
    updated = SurveySettings.model_validate({**current, **changes})
    workspace.settings = {**(workspace.settings or {}), "surveys": updated.model_dump(mode="json")}
    return updated


# ------------------------------------------------------------------------------------------ scheduling


def schedule_surveys(session: Session, workspace_id: str, now: datetime | None = None) -> int:
    """Create the survey requests of newly resolved cases (once per case) and queue their sending."""
    now = now or utcnow()
    policy = survey_settings(session, workspace_id)
    if not (policy.csat or policy.nps):
        return 0
    assert policy.enabled_at is not None
    surveyed = exists().where(SurveyRequest.case_id == Case.id)
    cases = session.execute(
        select(Case.id, Case.customer_id, Case.channel_id, Case.language, Case.resolved_at)
        .where(
            Case.workspace_id == workspace_id,
            Case.status == CaseStatus.RESOLVED,
            Case.merged_into_id.is_(None),
            Case.resolved_at >= max(policy.enabled_at, now - MAX_SURVEY_AGE),
            Case.first_response_at.is_not(None),
            ~surveyed,
        )
        .order_by(Case.resolved_at)
        .limit(500)
    ).all()
    for case in cases:
        send_at = case.resolved_at + timedelta(minutes=policy.csat_delay_minutes)
        language = case.language if case.language in SURVEY_TEXT else "pl"
        kinds = [SurveyKind.CSAT] if policy.csat else []
        if policy.nps and not _asked_nps_recently(session, case.customer_id, now, policy.nps_cooldown_days):
            kinds.append(SurveyKind.NPS)
        for kind in kinds:
            session.add(
                SurveyRequest(
                    workspace_id=workspace_id,
                    customer_id=case.customer_id,
                    case_id=case.id,
                    channel_id=case.channel_id,
                    kind=kind,
                    language=language,
                    send_at=send_at,
                    created_at=now,
                )
            )
        if kinds:
            enqueue(
                session,
                SEND_JOB,
                {"case_id": case.id},
                workspace_id=workspace_id,
                key=f"{SEND_JOB}:{case.id}",
                run_at=send_at,
                max_attempts=5,
            )
    session.flush()
    return len(cases)


def _asked_nps_recently(session: Session, customer_id: str, now: datetime, cooldown_days: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    SurveyRequest.customer_id == customer_id,
                    SurveyRequest.kind == SurveyKind.NPS,
                    SurveyRequest.created_at > now - timedelta(days=cooldown_days),
                )
            )
        )
    )


# ------------------------------------------------------------------------------------------ sending


def survey_token(secret_key: str, request_id: str) -> str:
    return sign(secret_key, SIGNING_PURPOSE, request_id)


def request_from_token(session: Session, secret_key: str, token: str) -> SurveyRequest:
    """The survey a link points to; a forged or unknown token is simply not found."""
    request_id = unsign(secret_key, SIGNING_PURPOSE, token) if len(token) <= 200 else None
    request = session.get(SurveyRequest, request_id) if request_id else None
    if request is None:
        raise NotFound("this survey link is not valid", code="survey_not_found")
    return request


def do_send_survey(
    session: Session,
    case_id: str,
    secret_key: str,
    base_url: str,
    adapters: Mapping[ChannelKind, ChannelAdapter],
) -> SurveyRequest | None:
    """Send the scheduled survey(s) of a case as one message on its channel; idempotent. ``adapters`` say
    which channels may carry the co-purchase line (no marketing on Allegro)."""
    requests = list(
        session.scalars(
            select(SurveyRequest)
            .where(SurveyRequest.case_id == case_id, SurveyRequest.status == SurveyStatus.SCHEDULED)
            .order_by(SurveyRequest.kind)  # csat before nps: the link names the CSAT survey when there is one
            .with_for_update()
        )
    )
    if not requests:
        return None
    case = session.get(Case, case_id, with_for_update=True)
    if case is None or case.status != CaseStatus.RESOLVED:
        reason = "the case was reopened or closed before the survey was due"
        for request in requests:
            request.status, request.skip_reason = SurveyStatus.SKIPPED, reason
        return None
    primary = requests[0]
    link = f"{base_url.rstrip('/')}/ankieta/{survey_token(secret_key, primary.id)}"
    text = SURVEY_TEXT.get(primary.language, SURVEY_TEXT["pl"]).format(link=link)
    now = utcnow()
    offer = closing_offer(session, case, secret_key=secret_key, base_url=base_url, now=now, adapters=adapters)
    if offer is not None:
        text = f"{text}\n\n{offer.text}"
    message = do_reply(session, Principal.system(case.workspace_id), case, text)
    if offer is not None:
        offer.record(session, message.id, now)
    for request in requests:
        request.status, request.sent_at, request.message_id = SurveyStatus.SENT, now, message.id
    return primary


# ------------------------------------------------------------------------------------------ answers


def survey_group(session: Session, request: SurveyRequest) -> list[SurveyRequest]:
    """The requests one link answers: those of the same case sent in the same message."""
    if request.message_id is None:
        return [request]
    return list(
        session.scalars(
            select(SurveyRequest)
            .where(SurveyRequest.message_id == request.message_id)
            .order_by(SurveyRequest.kind)
        )
    )


def do_answer_survey(
    session: Session, request: SurveyRequest, scores: dict[SurveyKind, int], comment: str | None
) -> list[SurveyResponse]:
    """Store the customer's answers (once per request); a low score goes back to a person."""
    group = {r.kind: r for r in survey_group(session, request)}
    if not scores:
        raise InvalidInput("choose a score first", code="no_score")
    for kind, score in scores.items():
        if kind not in group:
            raise InvalidInput(f"this link does not ask for {kind}", code="invalid_survey")
        low, high = (1, 5) if kind == SurveyKind.CSAT else (0, 10)
        if not low <= score <= high:
            raise InvalidInput(f"{kind} is a score from {low} to {high}", code="invalid_score")
        if group[kind].status == SurveyStatus.ANSWERED:
            raise Conflict("this survey was already answered", code="already_answered")
        if group[kind].status != SurveyStatus.SENT:
            raise NotFound("this survey link is not valid", code="survey_not_found")
    now = utcnow()
    responses = []
    for kind, score in scores.items():
        req = group[kind]
        req.status, req.answered_at = SurveyStatus.ANSWERED, now
        response = SurveyResponse(
            workspace_id=req.workspace_id,
            customer_id=req.customer_id,
            case_id=req.case_id,
            channel_id=req.channel_id,
            request_id=req.id,
            kind=kind,
            score=score,
            comment=(comment or "").strip()[:2000] or None,
            created_at=now,
        )
        session.add(response)
        responses.append(response)
    session.flush()
    low = [r for r in responses if r.score <= (LOW_CSAT if r.kind == SurveyKind.CSAT else LOW_NPS)]
    if low:
        follow_up = _follow_up(session, request, low)
        for response in responses:
            response.follow_up_case_id = follow_up.id
    return responses


def _follow_up(session: Session, request: SurveyRequest, low: list[SurveyResponse]) -> Case:
    """Reopen the surveyed case for a person (high priority, with a note), or open a new one if closed."""
    system = Principal.system(request.workspace_id)
    case = session.get(Case, request.case_id, with_for_update=True) if request.case_id else None
    scores = ", ".join(f"{r.kind.upper()} {r.score}" for r in low)
    comment = f"Komentarz: „{low[0].comment}”. " if low[0].comment else ""
    if case is None or case.status == CaseStatus.CLOSED or case.merged_into_id:
        customer = session.get(Customer, request.customer_id)
        assert customer is not None
        number = f" po sprawie #{case.number}" if case is not None else ""
        case = open_case(
            session,
            customer,
            subject=f"Niska ocena obsługi{number}",
            channel_id=request.channel_id,
            language=request.language,
        )
        case.priority = Priority.HIGH
    else:
        before = case.status
        if transition(case, CaseStatus.OPEN):
            record_activity(
                session, case, system, "status", **{"from": before, "to": case.status, "reason": "low_score"}
            )
        case.priority = Priority.HIGH
    do_add_note(session, system, case, FOLLOW_UP_NOTE.format(scores=scores, comment=comment))
    return case


def answered_kinds(session: Session, request: SurveyRequest) -> dict[str, int]:
    """The scores already given through this link (to show the thank-you page again)."""
    ids = [r.id for r in survey_group(session, request)]
    rows = session.execute(
        select(SurveyResponse.kind, SurveyResponse.score).where(SurveyResponse.request_id.in_(ids))
    ).all()
    return {str(kind): score for kind, score in rows}
