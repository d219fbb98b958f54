"""Writes on cases: the status machine, inbound linking, replies through the outbox."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case as case_when
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from sprawa.auth.schemas import Principal
from sprawa.cases.models import (
    AuthorKind,
    Case,
    CaseActivity,
    CaseLinkChange,
    CaseOrder,
    CaseRead,
    CaseStatus,
    DeliveryStatus,
    Direction,
    Message,
    Note,
)
from sprawa.cases.schemas import CaseSummary, message_preview
from sprawa.cases.uploads import check_channel_takes_files, pending_attachments
from sprawa.channels.models import Channel, Thread
from sprawa.customers.models import Customer
from sprawa.db import on_commit, utcnow
from sprawa.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from sprawa.platform.events import Event, emit
from sprawa.platform.ids import new_id
from sprawa.platform.jobs import enqueue
from sprawa.workspaces.models import Team, Workspace

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
        update(Case)
        .where(Case.id == case_id)
        .values(last_seq=Case.last_seq + 1)
        .returning(Case.last_seq)
        .execution_options(synchronize_session=False)  # the caller keeps what RETURNING gave
    ).scalar_one()


def next_case_number(session: Session, workspace_id: str) -> int:
    return session.execute(
        update(Workspace)
        .where(Workspace.id == workspace_id)
        .values(case_counter=Workspace.case_counter + 1)
        .returning(Workspace.case_counter)
        .execution_options(synchronize_session=False)  # nothing reads the counter from the object
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
    if not order_ids:
        return
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
    set_committed_value(case, "last_seq", message.seq)  # what the UPDATE ... RETURNING gave
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
        before = case.status
        transition(case, CaseStatus.OPEN)
        # Status history (KPIs: reopens, first resolution) records every move, not only agents' edits.
        customer = Principal.system(case.workspace_id, AuthorKind.CUSTOMER)
        record_activity(session, case, customer, "status", **{"from": before, "to": case.status})
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
    attachment_ids: Sequence[str] = (),
    adapters: Mapping[str, Any] | None = None,
) -> Message:
    """Answer the customer: the message and its outbox row are written in one transaction.

    ``attachment_ids`` are the case's unsent uploads; the thread's channel adapter (from ``adapters``)
    must declare it sends files, checked before anything is written or queued.
    """
    if not actor.can_write:
        raise Forbidden("your role cannot reply to customers")
    if case.workspace_id != actor.workspace_id:
        raise Forbidden("case of another workspace")
    if case.status == CaseStatus.CLOSED:
        raise InvalidTransition("this case is closed; the customer's next message opens a new one")
    thread = _reply_thread(session, case, thread_id)
    files = pending_attachments(session, case, attachment_ids) if attachment_ids else []
    if files:
        channel = session.get(Channel, thread.channel_id)
        adapter = (adapters or {}).get(channel.kind) if channel is not None else None
        check_channel_takes_files(adapter is not None and adapter.capabilities.sends_files)
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
    for item in files:
        item.message_id = message.id
    if case.first_response_at is None:
        case.first_response_at = now
    if status_after is not None:
        before = case.status
        if transition(case, status_after):
            record_activity(session, case, actor, "status", **{"from": before, "to": case.status})
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
            # A body field, not the resource addressed: invalid input, and no hint that the id exists.
            raise InvalidInput(
                "this conversation does not belong to the case's customer", code="invalid_thread"
            )
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


# --- Agent writes on a case (REST API) -------------------------------------------------------------------

MAX_TAGS = 20
MAX_TAG_CHARS = 40
NOTE_PREVIEW_CHARS = 2000


def check_case_writer(actor: Principal, case: Case) -> None:
    """The actor may change this case: a writing role of the case's own workspace."""
    if not actor.can_write:
        raise Forbidden("your role can only read", code="read_only_role")
    if case.workspace_id != actor.workspace_id:
        raise NotFound("no such case")


def normalise_tags(tags: Iterable[str]) -> list[str]:
    """Lower-case, single-spaced, unique tags in their given order; at most 20 of at most 40 characters."""
    result: list[str] = []
    for raw in tags:
        tag = " ".join(raw.split()).lower()
        if not tag or tag in result:
            continue
        if len(tag) > MAX_TAG_CHARS:
            raise InvalidInput(f"a tag has at most {MAX_TAG_CHARS} characters", code="invalid_tags")
        result.append(tag)
    if len(result) > MAX_TAGS:
        raise InvalidInput(f"a case has at most {MAX_TAGS} tags", code="invalid_tags")
    return result


def do_add_note(session: Session, actor: Principal, case: Case, text: str) -> Note:
    """An internal note: shown to the workspace's agents, never sent or shown to the customer."""
    check_case_writer(actor, case)
    note = Note(
        workspace_id=case.workspace_id,
        case_id=case.id,
        author_user_id=actor.user_id,
        body_text=text,
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    emit(
        session,
        Event(
            "note.created",
            case.workspace_id,
            {
                "note": {
                    "id": note.id,
                    "case_id": case.id,
                    "author_user_id": note.author_user_id,
                    "body_text": text[:NOTE_PREVIEW_CHARS],
                    "truncated": len(text) > NOTE_PREVIEW_CHARS,
                    "created_at": note.created_at.isoformat(),
                }
            },
            case_id=case.id,
            to_agents=True,
            to_customer=False,
        ),
    )
    return note


def do_update_case(session: Session, actor: Principal, case: Case, changes: Mapping[str, Any]) -> Case:
    """Change status (through ``transition``), priority, assignee, team or tags; each change is recorded.

    ``changes`` holds only the fields the client sent; ``None`` clears the assignee or the team.
    Everything is validated before anything changes.
    """
    check_case_writer(actor, case)
    unknown = set(changes) - {"status", "priority", "assignee_id", "team_id", "tags"}
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}")
    if "assignee_id" in changes and changes["assignee_id"] is not None:
        _check_assignee(session, case.workspace_id, changes["assignee_id"])
    if "team_id" in changes and changes["team_id"] is not None:
        team = session.get(Team, changes["team_id"])
        if team is None or team.workspace_id != case.workspace_id:
            raise InvalidInput("no such team in this workspace", code="invalid_team")
    tags = normalise_tags(changes["tags"]) if changes.get("tags") is not None else None
    if "status" in changes and changes["status"] is not None and case.merged_into_id:
        raise Conflict("this case was merged into another one; undo the merge first", code="case_merged")

    done: list[str] = []
    if changes.get("status") is not None:
        before = case.status
        if transition(case, CaseStatus(changes["status"])):
            record_activity(session, case, actor, "status", **{"from": before, "to": case.status})
            done.append("status")
    for field, kind in (("priority", "priority"), ("assignee_id", "assignee"), ("team_id", "team")):
        if field in changes and (field != "priority" or changes[field] is not None):
            before = getattr(case, field)
            after = changes[field]
            if before != after:
                setattr(case, field, after)
                record_activity(session, case, actor, kind, **{"from": before, "to": after})
                done.append(field)
    if tags is not None and tags != list(case.tags or []):
        before_tags = list(case.tags or [])
        case.tags = tags
        record_activity(
            session,
            case,
            actor,
            "tags",
            added=[t for t in tags if t not in before_tags],
            removed=[t for t in before_tags if t not in tags],
        )
        done.append("tags")
    if done:
        case.updated_at = utcnow()
        session.flush()
        emit(session, Event("case.updated", case.workspace_id, _case_data(case), case_id=case.id))
    return case


def _check_assignee(session: Session, workspace_id: str, user_id: str) -> None:
    from sprawa.auth.models import Role, User

    user = session.get(User, user_id)
    if user is None or user.workspace_id != workspace_id or not user.active:
        raise InvalidInput("no such active user in this workspace", code="invalid_assignee")
    if user.role == Role.VIEWER:
        raise InvalidInput("a viewer cannot be assigned cases", code="invalid_assignee")


# --- Merge, split and their undo --------------------------------------------------------------------------
# CaseLinkChange.moved records exactly what moved (with each message's former seq) and the state the
# cases had, so an undo puts every row back where it was. Counters (Case.last_seq, case numbers) never
# go back: a seq once handed out to a client is never reused.


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _refresh_times(session: Session, case: Case) -> None:
    """Recompute a case's last message / last inbound times from the messages it now holds."""
    session.flush()
    last, last_in = session.execute(
        select(
            func.max(Message.created_at),
            func.max(case_when((Message.direction == Direction.INBOUND, Message.created_at))),
        ).where(Message.case_id == case.id)
    ).one()
    if last is not None:
        case.last_message_at = _aware(last)
    case.last_inbound_at = _aware(last_in)


def _aware(value: Any) -> datetime | None:
    """Aggregates skip the column type on SQLite (naive UTC strings or datetimes come back)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _move_messages(session: Session, target: Case, messages: Sequence[Message], first_seq: int) -> None:
    """Re-home messages on ``target`` with consecutive seqs from ``first_seq`` (in their old order)."""
    for offset, message in enumerate(messages):
        message.case_id = target.id
        message.seq = first_seq + offset
    session.flush()


def _take_seqs(session: Session, case_id: str, count: int) -> int:
    """Reserve ``count`` consecutive seqs of a case atomically; returns the first."""
    last = session.execute(
        update(Case).where(Case.id == case_id).values(last_seq=Case.last_seq + count).returning(Case.last_seq)
    ).scalar_one()
    return last - count + 1


def do_merge_cases(
    session: Session,
    actor: Principal,
    source: Case,
    target: Case,
    *,
    force: bool = False,
    reason: str | None = None,
) -> CaseLinkChange:
    """Move everything of ``source`` into ``target``; ``source`` is closed and points at ``target``.

    Cases of two different customers merge only with ``force`` by an admin.
    """
    check_case_writer(actor, source)
    check_case_writer(actor, target)
    if source.id == target.id:
        raise InvalidInput("a case cannot be merged into itself", code="same_case")
    if source.merged_into_id:
        raise Conflict("this case is already merged into another one", code="already_merged")
    if target.merged_into_id or target.status == CaseStatus.CLOSED:
        raise Conflict("the target case is closed; reopen or pick another", code="target_closed")
    if source.customer_id != target.customer_id:
        if not force:
            raise Conflict(
                "the cases belong to different customers; an admin may merge them with force",
                code="different_customers",
            )
        if not actor.is_admin:
            raise Forbidden(
                "only owners and admins may merge cases of different customers", code="admin_only"
            )

    messages = list(
        session.scalars(select(Message).where(Message.case_id == source.id).order_by(Message.seq))
    )
    note_ids = list(session.scalars(select(Note.id).where(Note.case_id == source.id)))
    thread_ids = list(session.scalars(select(Thread.id).where(Thread.case_id == source.id)))
    target_orders = select(CaseOrder.order_id).where(CaseOrder.case_id == target.id)
    order_link_ids = list(
        session.scalars(
            select(CaseOrder.id).where(
                CaseOrder.case_id == source.id, CaseOrder.order_id.not_in(target_orders)
            )
        )
    )
    moved: dict[str, Any] = {
        "messages": {m.id: m.seq for m in messages},
        "notes": note_ids,
        "threads": thread_ids,
        "case_orders": order_link_ids,
        "source": {
            "status": source.status,
            "resolved_at": _iso(source.resolved_at),
            "closed_at": _iso(source.closed_at),
        },
    }
    if messages:
        _move_messages(session, target, messages, _take_seqs(session, target.id, len(messages)))
    if note_ids:
        session.execute(update(Note).where(Note.id.in_(note_ids)).values(case_id=target.id))
    if thread_ids:
        session.execute(update(Thread).where(Thread.id.in_(thread_ids)).values(case_id=target.id))
    if order_link_ids:
        session.execute(update(CaseOrder).where(CaseOrder.id.in_(order_link_ids)).values(case_id=target.id))
    transition(source, CaseStatus.CLOSED)
    source.merged_into_id = target.id
    session.refresh(target, ["last_seq"])
    _refresh_times(session, target)
    change = _record_link_change(session, actor, "merge", source, target, moved, reason)
    _emit_updated(session, source, target)
    return change


# Activity kinds of a merge or split, as seen from the source case and from the target case.
_LINK_ACTIVITIES = {"merge": ("merged_into", "merged_from"), "split": ("split_to", "split_from")}


def _record_link_change(
    session: Session,
    actor: Principal,
    kind: str,
    source: Case,
    target: Case,
    moved: dict[str, Any],
    reason: str | None,
) -> CaseLinkChange:
    """Store a merge or split (what it moved, so it can be undone) and note it in both cases' activity."""
    change = CaseLinkChange(
        workspace_id=source.workspace_id,
        kind=kind,
        source_case_id=source.id,
        target_case_id=target.id,
        moved=moved,
        reason=(reason or f"manual {kind}")[:200],
        by_user_id=actor.user_id,
    )
    session.add(change)
    session.flush()
    from_source, from_target = _LINK_ACTIVITIES[kind]
    record_activity(
        session, source, actor, from_source, case_id=target.id, number=target.number, change_id=change.id
    )
    record_activity(
        session, target, actor, from_target, case_id=source.id, number=source.number, change_id=change.id
    )
    return change


def do_split_case(
    session: Session, actor: Principal, case: Case, message_ids: Sequence[str], *, reason: str | None = None
) -> CaseLinkChange:
    """Move these messages of ``case`` into a new case of the same customer (renumbered 1..n there)."""
    check_case_writer(actor, case)
    if case.merged_into_id:
        raise Conflict("this case was merged into another one; undo the merge first", code="case_merged")
    wanted = list(dict.fromkeys(message_ids))
    messages = list(
        session.scalars(
            select(Message).where(Message.case_id == case.id, Message.id.in_(wanted)).order_by(Message.seq)
        )
    )
    if len(messages) != len(wanted):
        raise InvalidInput("some messages are not messages of this case", code="invalid_messages")
    remaining = session.scalar(
        select(func.count()).select_from(Message).where(Message.case_id == case.id, Message.id.not_in(wanted))
    )
    if not remaining:
        raise InvalidInput("a split must leave at least one message in the case", code="split_all")
    customer = session.get(Customer, case.customer_id)
    assert customer is not None
    new = open_case(
        session,
        customer,
        subject=_subject_of(messages[0].body_text) or case.subject,
        channel_id=messages[-1].channel_id,
        language=case.language,
    )
    new.priority, new.team_id, new.assignee_id = case.priority, case.team_id, case.assignee_id
    # A thread follows the split when its newest message in the case moved: the customer's next
    # message on it continues the split-off matter.
    newest_in_case = session.execute(
        select(Message.thread_id, func.max(Message.seq))
        .join(Thread, Thread.id == Message.thread_id)
        .where(Message.case_id == case.id, Thread.case_id == case.id)
        .group_by(Message.thread_id)
    ).all()
    moving = {(m.thread_id, m.seq) for m in messages}
    thread_ids = sorted(thread_id for thread_id, seq in newest_in_case if (thread_id, seq) in moving)
    moved: dict[str, Any] = {"messages": {m.id: m.seq for m in messages}, "threads": thread_ids}
    _move_messages(session, new, messages, 1)
    new.last_seq = len(messages)
    outbound = [m.created_at for m in messages if m.direction == Direction.OUTBOUND]
    new.first_response_at = min(outbound) if outbound else None
    if thread_ids:
        session.execute(update(Thread).where(Thread.id.in_(thread_ids)).values(case_id=new.id))
    _refresh_times(session, new)
    _refresh_times(session, case)
    change = _record_link_change(session, actor, "split", case, new, moved, reason)
    _emit_updated(session, case, new)
    return change


def do_undo_link_change(session: Session, actor: Principal, change: CaseLinkChange) -> CaseLinkChange:
    """Put back exactly what a merge or split moved; the newest change of the cases is undone first."""
    # Locked in id order, like merges, so that concurrent changes of the same pair cannot deadlock.
    locked = {
        i: session.get(Case, i, with_for_update=True)
        for i in sorted({change.source_case_id, change.target_case_id})
    }
    source, target = locked[change.source_case_id], locked[change.target_case_id]
    assert source is not None and target is not None
    check_case_writer(actor, source)
    if change.undone_at is not None:
        raise Conflict("this change was already undone", code="already_undone")
    newer = session.scalar(
        select(func.count())
        .select_from(CaseLinkChange)
        .where(
            CaseLinkChange.id != change.id,
            CaseLinkChange.undone_at.is_(None),
            CaseLinkChange.created_at >= change.created_at,
            or_(
                CaseLinkChange.source_case_id.in_([source.id, target.id]),
                CaseLinkChange.target_case_id.in_([source.id, target.id]),
            ),
        )
    )
    if newer:
        raise Conflict("a later merge or split of these cases must be undone first", code="undo_newer_first")
    moved = change.moved
    seqs: dict[str, int] = moved.get("messages", {})
    if change.kind == "split":
        extra_messages = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.case_id == target.id, Message.id.not_in(list(seqs)))
        )
        extra_notes = session.scalar(select(func.count()).select_from(Note).where(Note.case_id == target.id))
        if extra_messages or extra_notes:
            raise Conflict(
                "the split-off case has new messages or notes; merge it back instead", code="changed_since"
            )
    messages = list(session.scalars(select(Message).where(Message.id.in_(list(seqs)))))
    for message in messages:
        message.case_id = source.id
        message.seq = seqs[message.id]
    if moved.get("notes"):
        session.execute(update(Note).where(Note.id.in_(moved["notes"])).values(case_id=source.id))
    if moved.get("threads"):
        session.execute(update(Thread).where(Thread.id.in_(moved["threads"])).values(case_id=source.id))
    if moved.get("case_orders"):
        session.execute(
            update(CaseOrder).where(CaseOrder.id.in_(moved["case_orders"])).values(case_id=source.id)
        )
    now = utcnow()
    if change.kind == "merge":
        # Restoring the recorded state, not a move of the status machine (closed is final for it).
        state = moved["source"]
        source.status = CaseStatus(state["status"])
        source.resolved_at = _parse(state["resolved_at"])
        source.closed_at = _parse(state["closed_at"])
        source.merged_into_id = None
    else:
        # The split-off case is emptied; it stays (closed) as the record of what happened.
        transition(target, CaseStatus.CLOSED, now=now)
        target.merged_into_id = source.id
    _refresh_times(session, source)
    _refresh_times(session, target)
    change.undone_at = now
    record_activity(session, source, actor, f"{change.kind}_undone", change_id=change.id)
    record_activity(session, target, actor, f"{change.kind}_undone", change_id=change.id)
    session.flush()
    _emit_updated(session, source, target)
    return change


def _subject_of(text: str) -> str:
    first = " ".join(text.split())
    return first if len(first) <= 80 else first[:77].rstrip() + "…"


def _emit_updated(session: Session, *cases: Case) -> None:
    for case in cases:
        case.updated_at = utcnow()
        emit(session, Event("case.updated", case.workspace_id, _case_data(case), case_id=case.id))


def mark_read_after_commit(session: Session, actor: Principal, case: Case) -> None:
    """Remember that ``actor`` has seen ``case`` up to its newest customer message (the inbox's unread
    marker), in its own short write transaction once the page's read-only unit of work commits."""
    if actor.user_id is None:
        return
    values = {
        "id": new_id(),
        "workspace_id": case.workspace_id,
        "user_id": actor.user_id,
        "case_id": case.id,
        "seen_inbound_at": case.last_inbound_at,
        "read_at": utcnow(),
    }
    writer = session.get_bind().execution_options(read_only=False)
    insert = pg_insert if writer.dialect.name == "postgresql" else sqlite_insert
    upsert = insert(CaseRead).values(**values)
    upsert = upsert.on_conflict_do_update(
        index_elements=["user_id", "case_id"],
        set_={"seen_inbound_at": upsert.excluded.seen_inbound_at, "read_at": upsert.excluded.read_at},
    )

    def write() -> None:
        with Session(writer) as marks, marks.begin():
            marks.execute(upsert)

    on_commit(session, write)
