"""Writing past case histories with their real timestamps (demo seeding and the exact metric tests).

Live writes stamp rows with "now"; a history of 90 days needs every message, status change, AI decision
and survey answer at its own moment. ``History.case`` writes exactly the rows the live services write
(thread, case, messages with seq numbers, status activities, AI decisions) so the metrics read them the
same way.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sprawa.ai.models import AIDecision
from sprawa.cases.models import (
    AuthorKind,
    Case,
    CaseActivity,
    CaseStatus,
    DeliveryStatus,
    Direction,
    Message,
)
from sprawa.cases.service import next_case_number
from sprawa.channels.models import Channel, Thread
from sprawa.customers.models import Customer
from sprawa.insights.models import SurveyKind, SurveyRequest, SurveyResponse, SurveyStatus


@dataclass(frozen=True)
class Say:
    """A message: ``by`` customer (inbound), agent or ai (outbound)."""

    at: datetime
    by: AuthorKind
    text: str
    user_id: str | None = None


@dataclass(frozen=True)
class Move:
    """A status change (``to``), made by an agent, the AI, the customer (a reopen) or the system."""

    at: datetime
    to: CaseStatus
    by: AuthorKind = AuthorKind.AGENT
    user_id: str | None = None


@dataclass(frozen=True)
class Decide:
    """An AI decision; ``reasons`` non-empty means it escalated; ``found`` whether knowledge matched."""

    at: datetime
    reasons: tuple[str, ...] = ()
    found: bool = True
    intent: str | None = None


@dataclass
class _State:
    status: CaseStatus = CaseStatus.NEW
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened: int = 0
    first_response_at: datetime | None = None
    last_inbound_at: datetime | None = None
    last_message_id: str | None = None
    messages: list[Message] = field(default_factory=list)


class History:
    """Writes cases of one workspace as they happened."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id

    def customer(
        self, name: str, *, email: str | None = None, at: datetime, language: str = "pl"
    ) -> Customer:
        customer = Customer(
            workspace_id=self.workspace_id,
            name=name,
            email=email,
            language=language,
            created_at=at,
            last_seen_at=at,
        )
        self.session.add(customer)
        self.session.flush()
        return customer

    def case(
        self,
        customer: Customer,
        channel: Channel,
        steps: list[Say | Move | Decide],
        *,
        subject: str,
        intent: str | None = None,
        team_id: str | None = None,
        assignee_id: str | None = None,
        language: str = "pl",
        first_response_due: timedelta = timedelta(hours=1),
        resolution_due: timedelta = timedelta(hours=24),
    ) -> Case:
        steps = sorted(steps, key=lambda s: s.at)
        created = steps[0].at
        case = Case(
            workspace_id=self.workspace_id,
            number=next_case_number(self.session, self.workspace_id),
            customer_id=customer.id,
            subject=subject,
            channel_id=channel.id,
            intent=intent,
            team_id=team_id,
            assignee_id=assignee_id,
            language=language,
            first_response_due_at=created + first_response_due,
            resolution_due_at=created + resolution_due,
            created_at=created,
            last_message_at=created,
        )
        self.session.add(case)
        self.session.flush()
        thread = Thread(
            workspace_id=self.workspace_id,
            channel_id=channel.id,
            customer_id=customer.id,
            case_id=case.id,
            external_id=f"history-{case.id}",
            subject=subject,
            created_at=created,
            last_message_at=created,
        )
        self.session.add(thread)
        self.session.flush()
        state = _State()
        for step in steps:
            if isinstance(step, Say):
                self._say(case, thread, customer, state, step, language)
            elif isinstance(step, Move):
                self._move(case, state, step)
            else:
                self._decide(case, state, step, language)
        case.status = state.status
        case.resolved_at = state.resolved_at
        case.closed_at = state.closed_at
        case.reopened_count = state.reopened
        case.first_response_at = state.first_response_at
        case.last_inbound_at = state.last_inbound_at
        case.last_seq = len(state.messages)
        case.last_message_at = state.messages[-1].created_at if state.messages else created
        thread.last_message_at = case.last_message_at
        self.session.flush()
        return case

    def _say(
        self, case: Case, thread: Thread, customer: Customer, state: _State, step: Say, language: str
    ) -> None:
        inbound = step.by == AuthorKind.CUSTOMER
        message = Message(
            workspace_id=self.workspace_id,
            case_id=case.id,
            thread_id=thread.id,
            channel_id=thread.channel_id,
            customer_id=customer.id,
            seq=len(state.messages) + 1,
            direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
            author_kind=step.by,
            author_user_id=step.user_id,
            body_text=step.text,
            delivery_status=DeliveryStatus.RECEIVED if inbound else DeliveryStatus.DELIVERED,
            language=language,
            created_at=step.at,
            sent_at=None if inbound else step.at,
            delivered_at=None if inbound else step.at,
        )
        self.session.add(message)
        self.session.flush()
        state.messages.append(message)
        if inbound:
            state.last_inbound_at = step.at
            state.last_message_id = message.id
            if state.status in (CaseStatus.RESOLVED, CaseStatus.PENDING_CUSTOMER):
                self._move(case, state, Move(step.at, CaseStatus.OPEN, AuthorKind.CUSTOMER))
        else:
            if state.first_response_at is None:
                state.first_response_at = step.at
            if state.status == CaseStatus.NEW:
                state.status = CaseStatus.OPEN

    def _move(self, case: Case, state: _State, step: Move) -> None:
        if state.status == step.to:
            return
        before = state.status
        if before == CaseStatus.RESOLVED and step.to == CaseStatus.OPEN:
            state.reopened += 1
            state.resolved_at = None
        if step.to == CaseStatus.RESOLVED:
            state.resolved_at = step.at
        if step.to == CaseStatus.CLOSED:
            state.closed_at = step.at
            state.resolved_at = state.resolved_at or step.at
        state.status = step.to
        self.session.add(
            CaseActivity(
                workspace_id=self.workspace_id,
                case_id=case.id,
                actor_kind=step.by,
                actor_user_id=step.user_id,
                kind="status",
                data={"from": str(before), "to": str(step.to)},
                created_at=step.at,
            )
        )

    def _decide(self, case: Case, state: _State, step: Decide, language: str) -> None:
        self.session.add(
            AIDecision(
                workspace_id=self.workspace_id,
                case_id=case.id,
                message_ids=[state.last_message_id] if state.last_message_id else [],
                language=language,
                intent=step.intent or case.intent,
                passages=[{"article": "seeded"}] if step.found else [],
                chosen="escalate" if step.reasons else "answer",
                reason="escalated: " + ", ".join(step.reasons) if step.reasons else "answered from knowledge",
                escalation_reasons=list(step.reasons),
                created_at=step.at,
            )
        )

    def survey(
        self,
        case: Case,
        kind: SurveyKind,
        *,
        sent_at: datetime,
        score: int | None = None,
        answered_at: datetime | None = None,
        comment: str | None = None,
    ) -> SurveyRequest:
        """A survey sent for a case, answered with ``score`` at ``answered_at`` (or never)."""
        request = SurveyRequest(
            workspace_id=self.workspace_id,
            customer_id=case.customer_id,
            case_id=case.id,
            channel_id=case.channel_id,
            kind=kind,
            status=SurveyStatus.ANSWERED if score is not None else SurveyStatus.SENT,
            language=case.language or "pl",
            send_at=sent_at,
            sent_at=sent_at,
            answered_at=answered_at if score is not None else None,
            created_at=sent_at,
        )
        self.session.add(request)
        self.session.flush()
        if score is not None:
            self.session.add(
                SurveyResponse(
                    workspace_id=self.workspace_id,
                    customer_id=case.customer_id,
                    case_id=case.id,
                    channel_id=case.channel_id,
                    request_id=request.id,
                    kind=kind,
                    score=score,
                    comment=comment,
                    created_at=answered_at or sent_at,
                )
            )
        return request
