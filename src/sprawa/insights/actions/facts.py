"""Per-case metric facts (``CaseMetrics``), kept up to date incrementally.

``refresh_facts`` recomputes the facts of the cases changed since the workspace's watermark (every case
write bumps ``Case.updated_at``) and of the earlier cases of the same customers, whose repeat-contact
judgement a new case can change. It is run by the worker (``insights.refresh``) and before every dashboard
read, so numbers are exact at read time while a read only recomputes what changed. Definitions are in
``docs/metrics.md``; every rule below names the definition it implements.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from sprawa.ai.actions.base import WRITE_ACTIONS
from sprawa.ai.drafts import DRAFT, EDITED, USED, judge_drafts
from sprawa.ai.models import AIDecision
from sprawa.cases.models import AuthorKind, Case, CaseActivity, CaseOrder, CaseStatus, Direction, Message
from sprawa.db import utcnow
from sprawa.insights.models import CaseMetrics, InsightsState
from sprawa.workspaces.models import PolicyKind, Workspace
from sprawa.workspaces.queries import active_policy
from sprawa.workspaces.schemas import BusinessHoursPolicy

#: The window in which a reopen or another contact on the same matter undoes a "resolution".
REPEAT_WINDOW = timedelta(days=7)
#: Changes committed by transactions that began before the last refresh are re-read (idempotent).
WATERMARK_MARGIN = timedelta(seconds=60)
CHUNK = 1000
#: A refresh that rewrote this many fact rows refreshes the table's planner statistics too (PostgreSQL).
ANALYZE_AFTER = 5000
_RESOLVING = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
#: Escalation reasons for which a person is required whatever they then do: the customer asked, the law
#: (complaints, legal steps, health and safety, personal data) or the shop's own rule (approval, VIP).
#: An escalation for any other reason can be unnecessary (docs/metrics.md).
PERSON_REQUIRED = frozenset(
    {
        "human_request",
        "complaint",
        "legal",
        "health_safety",
        "data_protection",
        "approval_required",
        "vip_customer",
    }
)


# --------------------------------------------------------------------------------------- business hours


class BusinessCalendar:
    """Open intervals of a shop's week (in its time zone, holidays closed) as UTC time.

    Without a business-hours policy the shop is treated as always open (business time = calendar time).
    """

    def __init__(self, policy: BusinessHoursPolicy | None) -> None:
        self.policy = policy
        self.zone = ZoneInfo(policy.timezone) if policy else UTC
        self.closed = frozenset(policy.closed_dates) if policy else frozenset()
        self._day = lru_cache(maxsize=4096)(self._open_on)

    @classmethod
    def for_workspace(cls, session: Session, workspace_id: str) -> "BusinessCalendar":
        data = active_policy(session, workspace_id, PolicyKind.BUSINESS_HOURS)
        return cls(BusinessHoursPolicy.model_validate(data) if data else None)

    def _open_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        if self.policy is None or day in self.closed:
            return ()
        weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
        intervals = self.policy.days.get(weekday, [])  # type: ignore[call-overload]
        return tuple(
            (
                datetime.combine(day, i.start, self.zone).astimezone(UTC),
                datetime.combine(day, i.end, self.zone).astimezone(UTC),
            )
            for i in intervals
        )

    def seconds(self, start: datetime, end: datetime) -> float:
        """Open seconds between two instants (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        if self.policy is None:
            return (end - start).total_seconds()
        total = 0.0
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            for open_at, close_at in self._day(day):
                lo, hi = max(open_at, start), min(close_at, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total


# ----------------------------------------------------------------------------------------------- facts


@dataclass
class _CaseInput:
    """What one case's facts are computed from."""

    case: Any
    messages: list[Any] = field(default_factory=list)
    status_changes: list[tuple[datetime, str, str]] = field(default_factory=list)
    decisions: list[list[str]] = field(default_factory=list)
    order_ids: set[str] = field(default_factory=set)
    escalated_at: datetime | None = None
    # Outcomes of the AI drafts agents answered after, and the agent replies that sent a draft as it was.
    drafts: list[str] = field(default_factory=list)
    draft_replies: set[str] = field(default_factory=set)
    # When an agent's write action was done on the case (through the action layer: cancel, refund, …).
    actions: list[datetime] = field(default_factory=list)


@dataclass(frozen=True)
class _Later:
    id: str
    created_at: datetime
    intent: str | None
    merged_into_id: str | None
    order_ids: frozenset[str]


def refresh_facts(session: Session, workspace_id: str, *, full: bool = False) -> int:
    """Recompute the facts of every case changed since the last refresh; returns how many were written."""
    started = utcnow()
    state = session.scalar(
        select(InsightsState).where(InsightsState.workspace_id == workspace_id).with_for_update()
    )
    if state is None:
        state = InsightsState(workspace_id=workspace_id, facts_through=None)
        session.add(state)
        session.flush()
    since = None if full or state.facts_through is None else state.facts_through - WATERMARK_MARGIN
    changed = select(Case.id, Case.customer_id, Case.created_at).where(Case.workspace_id == workspace_id)
    if since is not None:
        changed = changed.where(Case.updated_at > since)
    rows = session.execute(changed).all()
    ids = {r.id for r in rows}
    if rows and since is not None:
        ids |= _earlier_cases_of_customers(session, rows)
    written = recompute_cases(session, workspace_id, sorted(ids))
    state.facts_through = started
    if written >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # The dashboard's plans depend on the table's statistics; after a bulk (re)build they describe
        # a table that no longer exists until autovacuum gets round to it (or never, where it is off).
        session.execute(text("ANALYZE case_metrics"))
    return written


def _earlier_cases_of_customers(session: Session, rows: Sequence[Any]) -> set[str]:
    """Cases first resolved in the 7 days before a changed case of the same customer was opened.

    A new case may be a repeat contact of exactly those (docs/metrics.md), so their judgement may change.
    """
    opened: dict[str, list[datetime]] = defaultdict(list)
    for r in rows:
        opened[r.customer_id].append(r.created_at)
    customers = sorted(opened)
    earliest = min(r.created_at for r in rows) - REPEAT_WINDOW
    found: set[str] = set()
    for start in range(0, len(customers), CHUNK):
        candidates = session.execute(
            select(CaseMetrics.case_id, CaseMetrics.customer_id, CaseMetrics.first_resolved_at).where(
                CaseMetrics.customer_id.in_(customers[start : start + CHUNK]),
                CaseMetrics.first_resolved_at >= earliest,
            )
        )
        for case_id, customer_id, resolved in candidates:
            if any(resolved <= t <= resolved + REPEAT_WINDOW for t in opened[customer_id]):
                found.add(case_id)
    return found


def recompute_cases(session: Session, workspace_id: str, case_ids: Sequence[str]) -> int:
    """Rewrite the fact rows of these cases (merged-away cases get none: they live on in their target)."""
    if not case_ids:
        return 0
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    zone = ZoneInfo(workspace.timezone)
    calendar = BusinessCalendar.for_workspace(session, workspace_id)
    now = utcnow()
    written = 0
    for start in range(0, len(case_ids), CHUNK):
        chunk = list(case_ids[start : start + CHUNK])
        judge_drafts(session, chunk)
        inputs = [i for i in _load_inputs(session, chunk).values() if i.case.merged_into_id is None]
        resolved = {i.case.id: _first_resolution(i) for i in inputs}
        later = _later_cases(session, [i.case for i in inputs if resolved[i.case.id]], resolved)
        facts = [
            _facts(item, resolved[item.case.id], later.get(item.case.customer_id, []), calendar, zone, now)
            for item in inputs
        ]
        session.execute(delete(CaseMetrics).where(CaseMetrics.case_id.in_(chunk)))
        if facts:
            session.execute(insert(CaseMetrics), facts)
        written += len(facts)
    return written


def _load_inputs(session: Session, case_ids: list[str]) -> dict[str, _CaseInput]:
    cases = session.execute(
        select(
            Case.id,
            Case.workspace_id,
            Case.number,
            Case.customer_id,
            Case.status,
            Case.channel_id,
            Case.team_id,
            Case.assignee_id,
            Case.intent,
            Case.created_at,
            Case.first_response_due_at,
            Case.resolution_due_at,
            Case.resolved_at,
            Case.closed_at,
            Case.reopened_count,
            Case.merged_into_id,
        ).where(Case.id.in_(case_ids))
    ).all()
    inputs = {c.id: _CaseInput(case=c) for c in cases}
    messages = session.execute(
        select(
            Message.id,
            Message.case_id,
            Message.direction,
            Message.author_kind,
            Message.author_user_id,
            Message.created_at,
        )
        .where(Message.case_id.in_(case_ids))
        .order_by(Message.case_id, Message.created_at, Message.seq)
    )
    for m in messages:
        inputs[m.case_id].messages.append(m)
    activities = session.execute(
        select(CaseActivity.case_id, CaseActivity.kind, CaseActivity.data, CaseActivity.created_at)
        .where(CaseActivity.case_id.in_(case_ids), CaseActivity.kind.in_(("status", "action")))
        .order_by(CaseActivity.created_at)
    )
    for a in activities:
        if a.kind == "action":
            if a.data.get("status") == "done" and a.data.get("action") in WRITE_ACTIONS:
                inputs[a.case_id].actions.append(a.created_at)
            continue
        inputs[a.case_id].status_changes.append(
            (a.created_at, str(a.data.get("from")), str(a.data.get("to")))
        )
    decisions = session.execute(
        select(
            AIDecision.case_id,
            AIDecision.step,
            AIDecision.escalation_reasons,
            AIDecision.created_at,
            AIDecision.draft_use,
            AIDecision.draft_reply_id,
        )
        .where(AIDecision.case_id.in_(case_ids))
        .order_by(AIDecision.created_at)
    )
    for d in decisions:
        item = inputs[d.case_id]
        if d.step == DRAFT:  # written for an agent: the AI did not handle the case by drafting
            if d.draft_use:
                item.drafts.append(d.draft_use)
                if d.draft_use == USED and d.draft_reply_id:
                    item.draft_replies.add(d.draft_reply_id)
            continue
        item.decisions.append(list(d.escalation_reasons or []))
        if d.escalation_reasons and item.escalated_at is None:
            item.escalated_at = d.created_at
    for case_id, order_id in session.execute(
        select(CaseOrder.case_id, CaseOrder.order_id).where(CaseOrder.case_id.in_(case_ids))
    ):
        inputs[case_id].order_ids.add(order_id)
    return inputs


def _later_cases(
    session: Session, cases: list[Any], resolved: dict[str, datetime | None]
) -> dict[str, list[_Later]]:
    """Cases of these customers opened within 7 days after one of these cases' first resolution."""
    if not cases:
        return {}
    customers = sorted({c.customer_id for c in cases})
    times = [t for t in resolved.values() if t is not None]
    rows = session.execute(
        select(Case.id, Case.customer_id, Case.created_at, Case.intent, Case.merged_into_id).where(
            Case.customer_id.in_(customers),
            Case.created_at > min(times),
            Case.created_at <= max(times) + REPEAT_WINDOW,
        )
    ).all()
    orders: dict[str, set[str]] = defaultdict(set)
    ids = [r.id for r in rows]
    for start in range(0, len(ids), CHUNK):
        for case_id, order_id in session.execute(
            select(CaseOrder.case_id, CaseOrder.order_id).where(
                CaseOrder.case_id.in_(ids[start : start + CHUNK])
            )
        ):
            orders[case_id].add(order_id)
    by_customer: dict[str, list[_Later]] = defaultdict(list)
    for r in rows:
        by_customer[r.customer_id].append(
            _Later(r.id, r.created_at, r.intent, r.merged_into_id, frozenset(orders.get(r.id, ())))
        )
    return by_customer


def _first_resolution(item: _CaseInput) -> datetime | None:
    """The first move into resolved (or straight into closed), from the status history.

    Cases written without a status history (imports, the benchmark's data) fall back to the
    resolution time stored on the case.
    """
    case = item.case
    times = [at for at, before, to in item.status_changes if to in _RESOLVING and before not in _RESOLVING]
    if case.resolved_at is not None:
        times.append(case.resolved_at)
    elif case.status == CaseStatus.CLOSED and case.closed_at is not None:
        times.append(case.closed_at)
    return min(times) if times else None


def _same_matter(case: Any, orders: set[str], other: _Later) -> bool:
    """Another case is about the same matter unless we can tell it is not (docs/metrics.md, FCR).

    Merged into this case, or sharing a linked order, or with the same intent, or when either intent is
    unknown (we cannot tell them apart, so the contact counts against the resolution).
    """
    if other.merged_into_id == case.id or orders & other.order_ids:
        return True
    return case.intent is None or other.intent is None or case.intent == other.intent


def _facts(
    item: _CaseInput,
    first_resolved: datetime | None,
    later: list[_Later],
    calendar: BusinessCalendar,
    zone: ZoneInfo,
    now: datetime,
) -> dict[str, Any]:
    case = item.case
    messages = item.messages
    start = min([case.created_at, *(m.created_at for m in messages[:1])])
    replies = [
        m
        for m in messages
        if m.direction == Direction.OUTBOUND and m.author_kind in (AuthorKind.AGENT, AuthorKind.AI)
    ]
    first = replies[0] if replies else None
    resolved_at = case.resolved_at if case.status in _RESOLVING else None
    if resolved_at is None and case.status == CaseStatus.CLOSED:
        resolved_at = case.closed_at
    came_back = False
    repeat_case_id = None
    if first_resolved is not None:
        window_end = first_resolved + REPEAT_WINDOW
        came_back = any(
            m.direction == Direction.INBOUND and first_resolved < m.created_at <= window_end for m in messages
        ) or any(
            before in _RESOLVING and to not in _RESOLVING and first_resolved < at <= window_end
            for at, before, to in item.status_changes
        )
        repeats = sorted(
            (o for o in later if o.id != case.id and first_resolved < o.created_at <= window_end),
            key=lambda o: o.created_at,
        )
        repeat_case_id = next((o.id for o in repeats if _same_matter(case, item.order_ids, o)), None)
    first_agent = next((m.author_user_id for m in replies if m.author_kind == AuthorKind.AGENT), None)
    reasons: list[str] = []
    for decision_reasons in item.decisions:
        reasons.extend(r for r in decision_reasons if r not in reasons)
    settled = (
        first_resolved is not None and case.reopened_count == 0 and not came_back and repeat_case_id is None
    )
    replies_before = sum(1 for m in replies if m.created_at <= first_resolved) if first_resolved else 0
    agent_messages = sum(1 for m in replies if m.author_kind == AuthorKind.AGENT)
    ai_messages = sum(1 for m in replies if m.author_kind == AuthorKind.AI)
    local = start.astimezone(zone)
    settled_by_person = _resolved_after(item, item.escalated_at) if item.escalated_at else None
    unnecessary = (
        item.escalated_at is not None
        and settled_by_person is not None
        and not PERSON_REQUIRED & set(reasons)
        and _nothing_beyond_the_draft(item, item.escalated_at, settled_by_person)
    )
    return {
        "id": case.id,
        "workspace_id": case.workspace_id,
        "case_id": case.id,
        "customer_id": case.customer_id,
        "number": case.number,
        "status": str(case.status),
        "channel_id": case.channel_id,
        "team_id": case.team_id,
        "agent_id": case.assignee_id or first_agent,
        "intent": case.intent,
        "created_at": start,
        "created_hour": local.hour,
        "created_date": local.date().isoformat(),
        "first_response_at": first.created_at if first else None,
        "first_response_by": str(first.author_kind) if first else None,
        "frt_seconds": (first.created_at - start).total_seconds() if first else None,
        "frt_business_seconds": calendar.seconds(start, first.created_at) if first else None,
        "first_resolved_at": first_resolved,
        "resolved_at": resolved_at,
        "resolution_seconds": (resolved_at - start).total_seconds() if resolved_at else None,
        "resolution_business_seconds": calendar.seconds(start, resolved_at) if resolved_at else None,
        "replies_before_resolution": replies_before,
        "agent_messages": agent_messages,
        "ai_messages": ai_messages,
        "reopen_count": case.reopened_count,
        "came_back": came_back,
        "repeat_case_id": repeat_case_id,
        "ai_handled": bool(item.decisions) or any(m.author_kind == AuthorKind.AI for m in replies),
        "escalation_reasons": reasons,
        "escalated": bool(reasons),
        "drafts": len(item.drafts),
        "drafts_used": item.drafts.count(USED),
        "drafts_edited": item.drafts.count(EDITED),
        "unnecessary_escalation": unnecessary,
        "fcr": settled and replies_before == 1,
        "ai_resolved": settled and agent_messages == 0 and ai_messages > 0,
        "first_response_due_at": case.first_response_due_at,
        "resolution_due_at": case.resolution_due_at,
        "computed_at": now,
    }


def _resolved_after(item: _CaseInput, since: datetime) -> datetime | None:
    """The first move into resolved (or closed) after ``since`` (the AI's hand-off)."""
    times = [
        at
        for at, before, to in item.status_changes
        if to in _RESOLVING and before not in _RESOLVING and at >= since
    ]
    if not item.status_changes and item.case.resolved_at is not None and item.case.resolved_at >= since:
        times.append(item.case.resolved_at)
    return min(times) if times else None


def _nothing_beyond_the_draft(item: _CaseInput, escalated: datetime, resolved: datetime) -> bool:
    """Between the AI's hand-off and the resolution after it: no action done on the case, and every
    agent reply (there may be none) was an AI draft sent as it was."""
    if any(escalated <= at <= resolved for at in item.actions):
        return False
    return all(
        m.id in item.draft_replies
        for m in item.messages
        if m.direction == Direction.OUTBOUND
        and m.author_kind == AuthorKind.AGENT
        and escalated <= m.created_at <= resolved
    )


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local calendar day begins."""
    return datetime.combine(day, time(0), zone).astimezone(UTC)
