"""Writes on cases: the status machine, inbound linking, replies through the outbox."""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.cases.models import (
    Case,
    CaseActivity,
    CaseOrder,
    CaseStatus,
    DeliveryStatus,
    Direction,
    Message,
)
from sprawa.cases.schemas import CaseSummary, message_preview
from sprawa.channels.models import Thread
from sprawa.customers.models import Customer
from sprawa.db import utcnow
from sprawa.platform.errors import Conflict, Forbidden
from sprawa.platform.events import Event, emit
from sprawa.platform.jobs import enqueue
from sprawa.workspaces.models import Workspace

OPEN_STATES = frozenset(
    {CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.PENDING_CUSTOMER, CaseStatus.PENDING_INTERNAL}
)
_WORKING = OPEN_STATES - {CaseStatus.NEW}
ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset(_WORKING | {CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.OPEN: frozenset(_WORKING - {CaseStatus.OPEN} | {CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.PENDING_CUSTOMER: frozenset(
        _WORKING - {CaseStatus.PENDING_CUSTOMER} | {CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.PENDING_INTERNAL: frozenset(
        _WORKING - {CaseStatus.PENDING_INTERNAL} | {CaseStatus.RESOLVED, CaseStatus.CLOSED}
    ),
    CaseStatus.RESOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}


class InvalidTransition(Conflict):
    code = "invalid_transition"


def transition(case: Case, to: CaseStatus, *, now: datetime | None = None) -> bool:
    """The one place a case changes status; returns False when it already is in ``to``."""
    if case.status == to:
        return False
    if to not in ALLOWED[case.status]:
        raise InvalidTransition(f"a case cannot move from {case.status} to {to}")
    now = now or utcnow()
    if case.status == CaseStatus.RESOLVED and to == CaseStatus.OPEN:
        case.reopened_count += 1
        case.resolved_at = None
    if to == CaseStatus.RESOLVED:
        case.resolved_at = now
    if to == CaseStatus.CLOSED:
        case.closed_at = now
        case.resolved_at = case.resolved_at or now
    case.status = to
    return True


def next_seq(session: Session, case_id: str) -> int:
    """Atomically take the next message sequence number of a case."""
    return session.execute(
        update(Case).where(Case.id == case_id).values(last_seq=Case.last_seq + 1).returning(Case.last_seq)
    ).scalar_one()


def next_case_number(session: Session, workspace_id: str) -> int:
    return session.execute(
        update(Workspace)
        .where(Workspace.id == workspace_id)
        .values(case_counter=Workspace.case_counter + 1)
        .returning(Workspace.case_counter)
    ).scalar_one()


def sla_due(session: Session, workspace_id: str, start: datetime) -> tuple[datetime, datetime]:
    """First-response and resolution due times from the shop's SLA policy (defaults 1 h / 24 h)."""
    from sprawa.workspaces.models import PolicyKind
    from sprawa.workspaces.queries import active_policy

    sla = active_policy(session, workspace_id, PolicyKind.SLA)
    first = int(sla.get("first_response_minutes", 60))
    resolution = int(sla.get("resolution_hours", 24))
    return start + timedelta(minutes=first), start + timedelta(hours=resolution)


def open_case(
    session: Session, customer: Customer, *, subject: str, channel_id: str | None, language: str | None
) -> Case:
    now = utcnow()
    first_due, resolution_due = sla_due(session, customer.workspace_id, now)
    case = Case(
        workspace_id=customer.workspace_id,
        number=next_case_number(session, customer.workspace_id),
        customer_id=customer.id,
        subject=subject[:500],
        channel_id=channel_id,
        language=language,
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
        created_at=now,
        last_message_at=now,
    )
    session.add(case)
    session.flush()
    emit(session, Event("case.created", case.workspace_id, _case_data(case), case_id=case.id))
    return case


def find_case_for_inbound(
    session: Session, customer: Customer, thread: Thread, order_ids: list[str], window: timedelta
) -> tuple[Case | None, str]:
    """The open case this inbound message belongs to, and why; (None, reason) opens a new one."""
    now = utcnow()
    if thread.case_id:
        case = session.get(Case, thread.case_id)
        if case is not None and case.merged_into_id:
            case = session.get(Case, case.merged_into_id)
        if case is not None and case.status in OPEN_STATES:
            return case, "same conversation"
        if case is not None and case.status == CaseStatus.RESOLVED and now - case.last_message_at <= window:
            return case, "same conversation, reopened within the window"
    if order_ids:
        case = session.scalars(
            select(Case)
            .join(CaseOrder, CaseOrder.case_id == Case.id)
            .where(
                Case.customer_id == customer.id,
                Case.status.in_(OPEN_STATES),
                CaseOrder.order_id.in_(order_ids),
            )
            .order_by(Case.last_message_at.desc())
            .limit(1)
        ).first()
        if case is not None:
            return case, "same order"
    return None, "new matter"


def link_orders(session: Session, case: Case, order_ids: list[str], reason: str) -> None:
    linked = set(session.scalars(select(CaseOrder.order_id).where(CaseOrder.case_id == case.id)))
    for order_id in order_ids:
        if order_id not in linked:
            session.add(
                CaseOrder(workspace_id=case.workspace_id, case_id=case.id, order_id=order_id, reason=reason)
            )


def add_message(session: Session, case: Case, message: Message) -> Message:
    """Append a message to a case's timeline (sequence number, timestamps, live event)."""
    message.case_id = case.id
    message.workspace_id = case.workspace_id
    message.seq = next_seq(session, case.id)
    session.add(message)
    session.flush()
    session.refresh(case, ["last_seq"])
    case.last_message_at = message.created_at
    case.channel_id = message.channel_id
    emit(
        session,
        Event(
            "message.created",
            case.workspace_id,
            {"message": message_preview(message), "case": _case_data(case)},
            case_id=case.id,
            to_customer=True,
        ),
    )
    return message


def record_activity(session: Session, case: Case, actor: Principal, kind: str, **data: object) -> None:
    session.add(
        CaseActivity(
            workspace_id=case.workspace_id,
            case_id=case.id,
            actor_kind=actor.kind,
            actor_user_id=actor.user_id,
            kind=kind,
            data=data,
        )
    )


def receive_inbound(session: Session, case: Case, message: Message) -> Message:
    """Store a customer's message on a case; a waiting or resolved case comes back to the agents."""
    if case.status in (CaseStatus.PENDING_CUSTOMER, CaseStatus.RESOLVED):
        transition(case, CaseStatus.OPEN)
    case.last_inbound_at = message.created_at
    add_message(session, case, message)
    emit(session, Event("case.updated", case.workspace_id, _case_data(case), case_id=case.id))
    return message


def do_reply(
    session: Session,
    actor: Principal,
    case: Case,
    text: str,
    *,
    thread_id: str | None = None,
    html: str | None = None,
    status_after: CaseStatus | None = None,
) -> Message:
    """Answer the customer: the message and its outbox row are written in one transaction."""
    if not actor.can_write:
        raise Forbidden("your role cannot reply to customers")
    if case.workspace_id != actor.workspace_id:
        raise Forbidden("case of another workspace")
    if case.status == CaseStatus.CLOSED:
        raise InvalidTransition("this case is closed; the customer's next message opens a new one")
    thread = _reply_thread(session, case, thread_id)
    now = utcnow()
    message = Message(
        thread_id=thread.id,
        channel_id=thread.channel_id,
        customer_id=case.customer_id,
        direction=Direction.OUTBOUND,
        author_kind=actor.kind,
        author_user_id=actor.user_id,
        body_text=text,
        body_html=html,
        delivery_status=DeliveryStatus.QUEUED,
        created_at=now,
    )
    add_message(session, case, message)
    if case.first_response_at is None:
        case.first_response_at = now
    if status_after is not None:
        transition(case, status_after)
    elif case.status == CaseStatus.NEW:
        transition(case, CaseStatus.OPEN)
    enqueue(
        session,
        "outbox.deliver",
        {"message_id": message.id},
        workspace_id=case.workspace_id,
        key=f"deliver:{message.id}",
    )
    emit(session, Event("case.updated", case.workspace_id, _case_data(case), case_id=case.id))
    return message


def _reply_thread(session: Session, case: Case, thread_id: str | None) -> Thread:
    """The thread to answer on: the agent's pick, else the thread of the customer's last message."""
    if thread_id:
        thread = session.get(Thread, thread_id)
        if (
            thread is None
            or thread.customer_id != case.customer_id
            or thread.workspace_id != case.workspace_id
        ):
            raise Forbidden("this conversation does not belong to the case's customer")
        return thread
    last = session.scalars(
        select(Message.thread_id)
        .where(Message.case_id == case.id, Message.direction == Direction.INBOUND)
        .order_by(Message.seq.desc())
        .limit(1)
    ).first()
    if last is None:
        last = session.scalars(
            select(Thread.id)
            .where(Thread.case_id == case.id)
            .order_by(Thread.last_message_at.desc())
            .limit(1)
        ).first()
    if last is None:
        raise Conflict("the case has no conversation to answer on", code="no_thread")
    thread = session.get(Thread, last)
    assert thread is not None
    return thread


def _case_data(case: Case) -> dict[str, object]:
    return CaseSummary.model_validate(case).model_dump(mode="json")
