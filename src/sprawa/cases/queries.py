"""Reads of cases: the access chokepoints, the inbox, a case's detail and messages, and search.

Every read starts from ``readable_cases`` / ``readable_messages`` (or ``access_*`` for one row), which
scope by the principal's workspace: an id of another workspace is simply not found.
"""

import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    cast,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union,
    union_all,
)
from sqlalchemy import (
    case as sql_case,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import KeyedColumnElement

from sprawa.ai.models import AIDecision
from sprawa.auth.schemas import Principal
from sprawa.cases.models import (
    Attachment,
    Case,
    CaseActivity,
    CaseLinkChange,
    CaseOrder,
    CaseRead,
    CaseStatus,
    Direction,
    Message,
    Note,
    Priority,
)
from sprawa.cases.schemas import (
    ActivityEntry,
    ActivityOut,
    AIDecisionOut,
    AttachmentOut,
    CaseDetail,
    CaseHit,
    CaseListItem,
    CaseOut,
    CasePage,
    CaseSummary,
    CustomerBrief,
    InboxSort,
    LastMessage,
    LinkChangeOut,
    MessageDetail,
    MessageEntry,
    MessageHit,
    MessagePage,
    NoteEntry,
    NoteOut,
    OrderItemOut,
    OrderOut,
    SearchOut,
    ShipmentOut,
    TimelineEntry,
)
from sprawa.commerce.models import Order, OrderItem, Shipment
from sprawa.customers.models import Customer
from sprawa.platform.access import fetch_one_or_not_found, select_in_workspace
from sprawa.platform.crypto import sign, unsign
from sprawa.platform.errors import InvalidInput, NotFound
from sprawa.platform.pagination import (
    cursor_datetime,
    cursor_int,
    cursor_str,
    decode_cursor,
    encode_cursor,
)

TIMELINE_LIMIT = 500
AI_DECISIONS_LIMIT = 200
PREVIEW_CHARS = 200
SNIPPET_CHARS = 160
MAX_QUERY_WORDS = 8


# --- Access chokepoints ----------------------------------------------------------------------------------


def readable_cases(principal: Principal) -> Select[tuple[Case]]:
    """Every case the principal may read: all of its workspace's cases (roles differ only in writes)."""
    return select_in_workspace(Case, principal.workspace_id)


def readable_messages(principal: Principal) -> Select[tuple[Message]]:
    return select_in_workspace(Message, principal.workspace_id)


def access_case(session: Session, principal: Principal, case_id: str, *, for_update: bool = False) -> Case:
    """The case if the principal may see it; NotFound otherwise (other workspaces' ids included).

    ``for_update`` locks the row (PostgreSQL) so that concurrent writes on one case are serialised.
    """
    query = readable_cases(principal).where(Case.id == case_id)
    return fetch_one_or_not_found(session, query, "no such case", for_update=for_update)


def access_attachment(session: Session, principal: Principal, attachment_id: str) -> Attachment:
    """A file of the principal's workspace; NotFound otherwise."""
    query = select_in_workspace(Attachment, principal.workspace_id).where(Attachment.id == attachment_id)
    return fetch_one_or_not_found(session, query, "no such attachment")


def access_link_change(
    session: Session, principal: Principal, change_id: str, *, for_update: bool = False
) -> CaseLinkChange:
    query = select_in_workspace(CaseLinkChange, principal.workspace_id).where(CaseLinkChange.id == change_id)
    return fetch_one_or_not_found(session, query, "no such merge or split", for_update=for_update)


# --- Text matching ---------------------------------------------------------------------------------------
# PostgreSQL: full-text search with the 'simple' configuration (no stemming, so it works for every
# language) and prefix matching of every word, served by the GIN indexes declared on the models. The
# expression must read exactly like the index expression for the planner to use the index.
# SQLite (the embedded, one-shop scale): every word as an escaped LIKE '%word%' (case-insensitive for
# ASCII letters only; a full scan, which is fine at that scale).

_TS_CONFIG = "'simple'::regconfig"
_CASE_NUMBER = re.compile(r"^#?(\d{1,9})$")


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def query_words(q: str) -> list[str]:
    """The words of a search, without characters that are operators in tsquery or LIKE syntax."""
    words = []
    for raw in q.split():
        word = re.sub(r"[^\w@.+-]", "", raw).strip(".+-@")
        if re.search(r"\w", word):
            words.append(word.lower())
    return words[:MAX_QUERY_WORDS]


def _ts_query(words: Sequence[str]) -> str:
    return " & ".join(f"{word}:*" for word in words)


def text_match(session: Session, column: Any, words: Sequence[str]) -> ColumnElement[bool]:
    """``column`` contains every word (as a word prefix on PostgreSQL, as a substring on SQLite)."""
    if is_postgres(session):
        config = literal_column(_TS_CONFIG)
        vector = func.to_tsvector(config, column)
        return vector.op("@@", is_comparison=True)(func.to_tsquery(config, _ts_query(words)))
    return and_(*(column.contains(word, autoescape=True) for word in words))


def case_number(q: str) -> int | None:
    """``#123`` or ``123`` names case number 123."""
    match = _CASE_NUMBER.match(q.strip())
    return int(match.group(1)) if match else None


def _case_text_alternatives(session: Session, principal: Principal, q: str) -> list[ColumnElement[bool]]:
    """The ways a case can match ``q`` (its number or subject; any of its messages).

    On PostgreSQL each way becomes its own branch of the inbox query, so that the planner can pick
    per branch and per word: walk the cases in order and look into each case's few messages when the
    word is common, or start from the GIN index when it is rare. An OR of the two would force one
    plan (a hash of every matching message) whatever the word.
    """
    words = query_words(q)
    number = case_number(q)
    own: list[ColumnElement[bool]] = []
    if number is not None:
        own.append(Case.number == number)
    if words:
        own.append(text_match(session, Case.subject, words))
    alternatives = [or_(*own)] if own else []
    if words:
        # The case is already scoped to the workspace, and so are its messages: a workspace condition
        # here lets SQLite (with statistics) walk every message of the workspace for each case.
        alternatives.append(
            exists(
                select(Message.id).where(
                    Message.case_id == Case.id, text_match(session, Message.body_text, words)
                )
            )
        )
    if not alternatives:
        return [false()]
    return alternatives if is_postgres(session) else [or_(*alternatives)]


# --- Inbox -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    """Narrowing of the inbox; empty tuples and None mean "any"."""

    status: tuple[CaseStatus, ...] = ()
    assignee: str | None = None  # "me", "none" or a user id
    team: str | None = None  # "none" or a team id
    channel: str | None = None
    intent: str | None = None
    priority: tuple[Priority, ...] = ()
    escalated: bool | None = None
    tag: str | None = None
    customer_id: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class _Group:
    """A slice of the sort order read from one index range: ``rank`` orders the slices."""

    rank: int
    where: ColumnElement[bool] | None
    null_key: bool = False  # the sort key is NULL in this slice; it is ordered by id alone


_PRIORITY_ORDER = (Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW)


def _sort_plan(
    sort: InboxSort, priorities: tuple[Priority, ...]
) -> tuple[KeyedColumnElement[Any], bool, list[_Group]]:
    """(sort key column, descending, slices in order) of an inbox sort."""
    if sort == InboxSort.PRIORITY:
        wanted = [p for p in _PRIORITY_ORDER if not priorities or p in priorities]
        groups = [_Group(rank, Case.priority == p) for rank, p in enumerate(_PRIORITY_ORDER) if p in wanted]
        return Case.last_message_at, True, groups
    if sort in (InboxSort.WAITING, InboxSort.SLA):
        column = Case.last_inbound_at if sort == InboxSort.WAITING else Case.resolution_due_at
        # Oldest / soonest first, cases without the timestamp last.
        return column, False, [_Group(0, column.is_not(None)), _Group(1, column.is_(None), null_key=True)]
    return Case.last_message_at, True, [_Group(0, None)]


def _filter_conditions(
    session: Session, principal: Principal, filters: CaseFilters
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.assignee == "me":
        if principal.user_id is None:
            raise InvalidInput("assignee=me needs a signed-in user", code="invalid_filter")
        where.append(Case.assignee_id == principal.user_id)
    elif filters.assignee == "none":
        where.append(Case.assignee_id.is_(None))
    elif filters.assignee:
        where.append(Case.assignee_id == filters.assignee)
    if filters.team == "none":
        where.append(Case.team_id.is_(None))
    elif filters.team:
        where.append(Case.team_id == filters.team)
    if filters.channel:
        where.append(Case.channel_id == filters.channel)
    if filters.intent:
        where.append(Case.intent == filters.intent)
    if filters.escalated is not None:
        where.append(Case.escalated.is_(filters.escalated))
    if filters.customer_id:
        where.append(Case.customer_id == filters.customer_id)
    if filters.tag:
        where.append(json_list_contains(session, Case.tags, filters.tag.strip().lower()))
    return where


def json_list_contains(session: Session, column: Any, value: str) -> ColumnElement[bool]:
    """A JSON list column holds ``value``."""
    if is_postgres(session):
        return cast(column, JSONB).contains([value])
    entries = func.json_each(column).table_valued("value")
    return exists(select(literal_column("1")).select_from(entries).where(entries.c.value == value))


def list_cases(
    session: Session,
    principal: Principal,
    filters: CaseFilters,
    *,
    sort: InboxSort = InboxSort.LAST_MESSAGE,
    cursor: str | None = None,
    limit: int = 25,
) -> CasePage:
    """One page of the inbox in a stable keyset order.

    The order is read per status (and per priority for the priority sort) from an index range that
    is already sorted, each range cut at the page size, and the ranges merged: a few short index
    scans however many cases the workspace holds, instead of sorting all matching cases.
    """
    column, descending, groups = _sort_plan(sort, filters.priority)
    kind = f"cases:{sort.value}"
    after = None
    if cursor:
        rank, value, last_id = decode_cursor(cursor, kind, 3)
        after = (cursor_int(rank), cursor_datetime(value), cursor_str(last_id))
    base = _filter_conditions(session, principal, filters)
    if filters.priority and sort != InboxSort.PRIORITY:
        base.append(Case.priority.in_(filters.priority))
    statuses = filters.status or tuple(CaseStatus)
    alternatives: list[ColumnElement[bool] | None] = [None]
    if filters.q and filters.q.strip():
        alternatives = list(_case_text_alternatives(session, principal, filters.q))
    # Within a slice the key is NULL or not throughout, so (key, id) is the index order either way.
    order = [column.desc(), Case.id.desc()] if descending else [column.asc(), Case.id.asc()]
    branches = []
    for group in groups:
        if after is not None and group.rank < after[0]:
            continue  # this slice was read to its end on earlier pages
        keyset = _keyset(column, descending, group, after) if after and group.rank == after[0] else None
        for status in dict.fromkeys(statuses):
            for alternative in alternatives:
                branch = (
                    readable_cases(principal)
                    .with_only_columns(Case.id, literal_column(str(group.rank)).label("r"), column.label("v"))
                    .where(Case.status == status, *base)
                )
                for condition in (group.where, keyset, alternative):
                    if condition is not None:
                        branch = branch.where(condition)
                branches.append(branch.order_by(*order).limit(limit + 1).subquery())
    if not branches:
        return CasePage(items=[], next_cursor=None)
    parts = [select(b.c.id, b.c.r, b.c.v) for b in branches]
    # A case matching q in its subject and in a message comes out of two branches: UNION drops the twin.
    combine = union if len(alternatives) > 1 else union_all
    merged = (parts[0] if len(parts) == 1 else combine(*parts)).subquery("inbox")
    rows = session.execute(
        select(merged.c.id, merged.c.r, merged.c.v)
        .order_by(
            merged.c.r,
            merged.c.v.desc() if descending else merged.c.v.asc(),
            merged.c.id.desc() if descending else merged.c.id.asc(),
        )
        .limit(limit + 1)
    ).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(kind, last.r, last.v, last.id)
    items = inbox_rows(session, [row.id for row in rows])
    mark_unread(session, principal, items)
    return CasePage(items=items, next_cursor=next_cursor)


def mark_unread(session: Session, principal: Principal, items: Sequence[CaseListItem]) -> None:
    """Set ``unread`` on inbox rows: a customer message newer than what the agent last saw of the case."""
    if principal.user_id is None or not items:
        return
    rows = session.execute(
        select(CaseRead.case_id, CaseRead.seen_inbound_at).where(
            CaseRead.user_id == principal.user_id, CaseRead.case_id.in_([item.id for item in items])
        )
    )
    seen = {case_id: mark for case_id, mark in rows}
    for item in items:
        mark = seen.get(item.id)
        item.unread = item.last_inbound_at is not None and (mark is None or item.last_inbound_at > mark)


def _keyset(
    column: KeyedColumnElement[Any], descending: bool, group: _Group, after: tuple[int, datetime | None, str]
) -> ColumnElement[bool]:
    """Rows of ``group`` strictly after the cursor's row, in the sort order."""
    _, value, last_id = after
    if group.null_key:
        return Case.id < last_id if descending else Case.id > last_id
    if value is None:
        raise InvalidInput("the cursor is damaged", code="invalid_cursor")
    # A row-value comparison is one index range on both engines.
    if descending:
        return tuple_(column, Case.id) < tuple_(value, last_id)
    return tuple_(column, Case.id) > tuple_(value, last_id)


def inbox_rows(session: Session, case_ids: Sequence[str]) -> list[CaseListItem]:
    """Inbox rows for these cases, in this order: three queries whatever the page size."""
    if not case_ids:
        return []
    cases = {case.id: case for case in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    # Two primary-key lookups rather than a join: the planner would hash the whole customers table.
    customers = {
        row.id: row
        for row in session.execute(
            select(Customer.id, Customer.name, Customer.email).where(
                Customer.id.in_({case.customer_id for case in cases.values()})
            )
        )
    }
    # The newest seq per case from the (case_id, seq) index, then those messages only. Case.last_seq
    # is a counter, not the newest message: after a merge or split the two can differ.
    newest = (
        select(Message.case_id, func.max(Message.seq).label("seq"))
        .where(Message.case_id.in_(case_ids))
        .group_by(Message.case_id)
        .subquery()
    )
    last_messages = {
        row.case_id: row
        for row in session.execute(
            select(
                Message.case_id,
                Message.id,
                Message.seq,
                Message.direction,
                Message.author_kind,
                func.substr(Message.body_text, 1, PREVIEW_CHARS).label("preview"),
                Message.created_at,
            ).join(newest, and_(Message.case_id == newest.c.case_id, Message.seq == newest.c.seq))
        )
    }
    reply = aliased(Message)
    last_reply_seq = (
        select(func.max(reply.seq))
        .where(reply.case_id == Message.case_id, reply.direction == Direction.OUTBOUND)
        .scalar_subquery()
    )
    waiting = {
        row.case_id: (row.count, row.since)
        for row in session.execute(
            select(Message.case_id, func.count().label("count"), func.min(Message.created_at).label("since"))
            .where(
                Message.case_id.in_(case_ids),
                Message.direction == Direction.INBOUND,
                Message.seq > func.coalesce(last_reply_seq, 0),
            )
            .group_by(Message.case_id)
        )
    }
    items = []
    for case_id in case_ids:
        case = cases.get(case_id)
        if case is None:
            continue
        customer = customers.get(case.customer_id)
        name, email = (customer.name, customer.email) if customer else (None, None)
        last = last_messages.get(case_id)
        count, since = waiting.get(case_id, (0, None))
        items.append(
            CaseListItem(
                **_summary_fields(case),
                customer_name=name,
                customer_email=email,
                reopened_count=case.reopened_count,
                last_inbound_at=case.last_inbound_at,
                unanswered_count=count,
                waiting_since=since,
                last_message=LastMessage(
                    id=last.id,
                    seq=last.seq,
                    direction=last.direction,
                    author_kind=last.author_kind,
                    preview=last.preview or "",
                    created_at=last.created_at,
                )
                if last
                else None,
            )
        )
    return items


def _summary_fields(case: Case) -> dict[str, Any]:
    return {name: getattr(case, name) for name in CaseSummary.model_fields}


# --- Detail ----------------------------------------------------------------------------------------------


def case_detail(session: Session, case: Case) -> CaseDetail:
    """Everything the case view shows, in a fixed number of queries (no lazy loading)."""
    customer = session.get(Customer, case.customer_id)
    assert customer is not None
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.case_id == case.id)
            .order_by(Message.seq.desc())
            .limit(TIMELINE_LIMIT + 1)
        )
    )
    truncated = len(messages) > TIMELINE_LIMIT
    messages = messages[:TIMELINE_LIMIT][::-1]
    notes = session.scalars(
        select(Note).where(Note.case_id == case.id).order_by(Note.created_at.desc()).limit(TIMELINE_LIMIT)
    ).all()
    activities = session.scalars(
        select(CaseActivity)
        .where(CaseActivity.case_id == case.id)
        .order_by(CaseActivity.created_at.desc())
        .limit(TIMELINE_LIMIT)
    ).all()
    timeline: list[tuple[tuple[Any, ...], TimelineEntry]] = []
    for message in message_details(session, messages):
        timeline.append(
            (
                (message.created_at, 0, message.seq, message.id),
                MessageEntry(at=message.created_at, message=message),
            )
        )
    for note in notes:
        timeline.append(
            (
                (note.created_at, 1, 0, note.id),
                NoteEntry(at=note.created_at, note=NoteOut.model_validate(note)),
            )
        )
    for activity in activities:
        timeline.append(
            (
                (activity.created_at, 2, 0, activity.id),
                ActivityEntry(at=activity.created_at, activity=ActivityOut.model_validate(activity)),
            )
        )
    timeline.sort(key=lambda pair: pair[0])
    links = session.execute(
        select(CaseOrder.order_id, CaseOrder.reason)
        .where(CaseOrder.case_id == case.id)
        .order_by(CaseOrder.created_at)
    ).all()
    orders = load_orders(session, case.workspace_id, [link.order_id for link in links])
    reasons = {link.order_id: link.reason for link in links}
    for order in orders:
        order.link_reason = reasons.get(order.id)
    decisions = session.scalars(
        select(AIDecision)
        .where(AIDecision.case_id == case.id)
        .order_by(AIDecision.created_at.desc())
        .limit(AI_DECISIONS_LIMIT)
    ).all()
    changes = session.scalars(
        select(CaseLinkChange)
        .where(or_(CaseLinkChange.source_case_id == case.id, CaseLinkChange.target_case_id == case.id))
        .order_by(CaseLinkChange.created_at)
    ).all()
    return CaseDetail(
        case=CaseOut.model_validate(case),
        customer=CustomerBrief.model_validate(customer),
        timeline=[entry for _, entry in timeline],
        timeline_truncated=truncated,
        orders=orders,
        ai_decisions=[AIDecisionOut.model_validate(d) for d in reversed(decisions)],
        link_changes=[LinkChangeOut.model_validate(c) for c in changes],
    )


def message_details(session: Session, messages: Sequence[Message]) -> list[MessageDetail]:
    """Messages with their attachments' metadata (one query for all attachments)."""
    attachments: dict[str, list[AttachmentOut]] = defaultdict(list)
    ids = [m.id for m in messages]
    for start in range(0, len(ids), 500):
        for attachment in session.scalars(
            select(Attachment)
            .where(Attachment.message_id.in_(ids[start : start + 500]))
            .order_by(Attachment.created_at, Attachment.id)
        ):
            assert attachment.message_id is not None
            attachments[attachment.message_id].append(AttachmentOut.model_validate(attachment))
    details = []
    for message in messages:
        detail = MessageDetail.model_validate(message)
        detail.attachments = attachments.get(message.id, [])
        details.append(detail)
    return details


def case_messages(session: Session, case: Case, *, after_seq: int = 0, limit: int = 100) -> MessagePage:
    """Messages after ``after_seq`` in sequence order: how a reconnecting client catches up."""
    rows = list(
        session.scalars(
            select(Message)
            .where(Message.case_id == case.id, Message.seq > after_seq)
            .order_by(Message.seq)
            .limit(limit + 1)
        )
    )
    return MessagePage(items=message_details(session, rows[:limit]), has_more=len(rows) > limit)


def load_orders(session: Session, workspace_id: str, order_ids: Iterable[str]) -> list[OrderOut]:
    """Cached orders with their items and shipments, newest first (three queries)."""
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        return []
    orders = session.scalars(
        select(Order)
        .where(Order.workspace_id == workspace_id, Order.id.in_(ids))
        .order_by(Order.placed_at.desc())
    ).all()
    items: dict[str, list[OrderItemOut]] = defaultdict(list)
    for item in session.scalars(
        select(OrderItem).where(OrderItem.order_id.in_(ids)).order_by(OrderItem.external_id, OrderItem.id)
    ):
        items[item.order_id].append(OrderItemOut.model_validate(item))
    shipments: dict[str, list[ShipmentOut]] = defaultdict(list)
    for shipment in session.scalars(
        select(Shipment).where(Shipment.order_id.in_(ids)).order_by(Shipment.fetched_at, Shipment.id)
    ):
        shipments[shipment.order_id].append(ShipmentOut.model_validate(shipment))
    result = []
    for order in orders:
        out = OrderOut.model_validate(order)
        out.items = items.get(order.id, [])
        out.shipments = shipments.get(order.id, [])
        result.append(out)
    return result


# --- Search ----------------------------------------------------------------------------------------------


def search(session: Session, principal: Principal, q: str, *, limit: int = 10) -> SearchOut:
    """Cases (number, subject), messages (body) and customers (name, identities) matching ``q``."""
    # customers.queries reads cases too (the customer panel), so it is imported here, not at the top.
    from sprawa.customers.queries import search_customers

    number = case_number(q)
    # "#123" names a case; "123" may also be part of an order number or text.
    words = [] if number is not None and q.strip().startswith("#") else query_words(q)
    return SearchOut(
        cases=_search_cases(session, principal, words, number, limit),
        messages=_search_messages(session, principal, words, limit),
        customers=search_customers(session, principal, q, limit=limit),
    )


def _search_cases(
    session: Session, principal: Principal, words: list[str], number: int | None, limit: int
) -> list[CaseHit]:
    conditions: list[ColumnElement[bool]] = []
    if number is not None:
        conditions.append(Case.number == number)
    if words:
        conditions.append(text_match(session, Case.subject, words))
    if not conditions:
        return []
    exact_first = sql_case((Case.number == number, 0), else_=1) if number is not None else literal_column("1")
    cases = session.scalars(
        readable_cases(principal)
        .where(or_(*conditions))
        .order_by(exact_first, Case.last_message_at.desc(), Case.id.desc())
        .limit(limit)
    ).all()
    names = dict(
        session.execute(  # type: ignore[arg-type]
            select(Customer.id, Customer.name).where(Customer.id.in_({c.customer_id for c in cases}))
        ).all()
    )
    return [
        CaseHit(
            id=case.id,
            number=case.number,
            subject=case.subject,
            status=case.status,
            customer_id=case.customer_id,
            customer_name=names.get(case.customer_id),
            last_message_at=case.last_message_at,
        )
        for case in cases
    ]


def _search_messages(
    session: Session, principal: Principal, words: list[str], limit: int
) -> list[MessageHit]:
    if not words:
        return []
    rows = session.execute(
        readable_messages(principal)
        .with_only_columns(Message, Case.number)
        .join(Case, Case.id == Message.case_id)
        .where(text_match(session, Message.body_text, words))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    ).all()
    return [
        MessageHit(
            id=message.id,
            case_id=message.case_id,
            case_number=number,
            seq=message.seq,
            direction=message.direction,
            author_kind=message.author_kind,
            snippet=snippet(message.body_text, words),
            created_at=message.created_at,
        )
        for message, number in rows
    ]


def snippet(text: str, words: Sequence[str]) -> str:
    """A short window of ``text`` around the first word found (the start when none is)."""
    flat = " ".join(text.split())
    lowered = flat.lower()
    positions = [p for p in (lowered.find(word) for word in words) if p >= 0]
    start = max(0, min(positions) - SNIPPET_CHARS // 3) if positions else 0
    piece = flat[start : start + SNIPPET_CHARS]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(flat) else "")


# --- Cookie-less file links ------------------------------------------------------------------------------
# Attachment bytes are served from /files/{token}: a link signed for one attachment that expires after a
# few minutes, so the bytes never come from a response that could read the session cookie (and the path
# can live on a separate origin, ``SPRAWA_FILES_URL``).

FILE_LINK_SECONDS = 300
_FILE_PURPOSE = "file-link"


def file_link(settings: Any, attachment_id: str, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + FILE_LINK_SECONDS)
    token = sign(settings.resolved_secret_key, _FILE_PURPOSE, f"{attachment_id}.{expires}")
    return f"{settings.files_url.rstrip('/')}/files/{token}"


def attachment_for_link(session: Session, settings: Any, token: str) -> Attachment:
    """The attachment a genuine, unexpired link names; NotFound for anything else (no hint why)."""
    value = unsign(settings.resolved_secret_key, _FILE_PURPOSE, token)
    attachment_id, _, expires = (value or "").partition(".")
    if not value or not expires.isdigit() or int(expires) < time.time():
        raise NotFound("no such file or the link has expired", code="file_link_invalid")
    return fetch_one_or_not_found(
        session, select(Attachment).where(Attachment.id == attachment_id), "no such file"
    )
