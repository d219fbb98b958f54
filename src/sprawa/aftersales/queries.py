"""Reads of returns and complaints: the access chokepoints, queues by deadline, the case view, abuse
signals and reports. Every read starts from ``readable_returns`` / ``readable_complaints`` (workspace scope).
"""

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sprawa.aftersales.actions import deadlines
from sprawa.aftersales.models import (
    Complaint,
    ComplaintStatus,
    Return,
    ReturnItem,
    ReturnStatus,
)
from sprawa.aftersales.schemas import (
    AbuseSignal,
    AftersalesReport,
    CaseAftersales,
    ComplaintOut,
    ComplaintQueueRow,
    DeadlineBadge,
    ReasonCount,
    ReturnItemOut,
    ReturnOut,
    ReturnQueueRow,
)
from sprawa.aftersales.tasks import _REMEDIES_PL, alarm_level
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case
from sprawa.cases.queries import access_case
from sprawa.commerce.models import Order
from sprawa.customers.models import Customer
from sprawa.db import utcnow
from sprawa.platform.access import fetch_one_or_not_found, select_in_workspace
from sprawa.workspaces.models import Workspace

OPEN_RETURN = (
    ReturnStatus.REQUESTED,
    ReturnStatus.APPROVED,
    ReturnStatus.AWAITING_GOODS,
    ReturnStatus.RECEIVED,
)
QUEUE_LIMIT = 200
# Abuse signals: thresholds over the customer's last SIGNAL_DAYS.
SIGNAL_DAYS = 180
MANY_RETURNS = 3
REPORT_DAYS = 90

ReturnQueue = Literal["open", "review", "awaiting_goods", "to_refund", "closed"]
ComplaintQueue = Literal["open", "follow_up", "closed"]


# --- Access chokepoints ----------------------------------------------------------------------------------


def readable_returns(principal: Principal) -> Select[tuple[Return]]:
    return select_in_workspace(Return, principal.workspace_id)


def readable_complaints(principal: Principal) -> Select[tuple[Complaint]]:
    return select_in_workspace(Complaint, principal.workspace_id)


def access_return(
    session: Session, principal: Principal, return_id: str, *, for_update: bool = False
) -> Return:
    query = readable_returns(principal).where(Return.id == return_id)
    return fetch_one_or_not_found(session, query, "no such return", for_update=for_update)


def access_returns(session: Session, principal: Principal, return_ids: Sequence[str]) -> list[Return]:
    """Several returns for a bulk action, locked, in the order given; NotFound if any is not readable."""
    ids = list(dict.fromkeys(return_ids))
    rows = {
        r.id: r
        for r in session.scalars(
            readable_returns(principal).where(Return.id.in_(ids)).order_by(Return.id).with_for_update()
        )
    }
    return [rows[i] if i in rows else access_return(session, principal, i) for i in ids]


def access_complaint(
    session: Session, principal: Principal, complaint_id: str, *, for_update: bool = False
) -> Complaint:
    query = readable_complaints(principal).where(Complaint.id == complaint_id)
    return fetch_one_or_not_found(session, query, "no such complaint", for_update=for_update)


# --- Shapes ----------------------------------------------------------------------------------------------


def deadline_badge(due: datetime, timezone: str, now: datetime | None = None) -> DeadlineBadge:
    now = now or utcnow()
    left = due - now
    hours = int(left.total_seconds() // 3600)
    day = deadlines.local_day(due, timezone)
    level = alarm_level(due, now)
    if level == 3:
        pl, en = (
            f"Po terminie (minął {day:%d.%m.%Y}) — reklamację uważa się za uznaną (art. 7a)",
            f"Overdue (was due {day:%Y-%m-%d}) — the complaint is deemed accepted (art. 7a)",
        )
    elif hours < 48:
        pl, en = (
            f"Odpowiedź do {day:%d.%m.%Y} · zostało {hours} h",
            f"Answer by {day:%Y-%m-%d} · {hours} h left",
        )
    else:
        days = left.days
        pl, en = (
            f"Odpowiedź do {day:%d.%m.%Y} · zostało {days} dni",
            f"Answer by {day:%Y-%m-%d} · {days} days left",
        )
    return DeadlineBadge(
        due_at=due,
        due_on=day,
        hours_left=hours,
        overdue=level == 3,
        level=level,
        deemed_accepted=level == 3,
        label_pl=pl,
        label_en=en,
    )


def _timezone(session: Session, workspace_id: str) -> str:
    return session.scalar(select(Workspace.timezone).where(Workspace.id == workspace_id)) or "Europe/Warsaw"


def _order_numbers(session: Session, order_ids: set[str]) -> dict[str, str]:
    if not order_ids:
        return {}
    return dict(session.execute(select(Order.id, Order.number).where(Order.id.in_(order_ids))).all())


def returns_out(session: Session, rows: Sequence[Return]) -> list[ReturnOut]:
    items: dict[str, list[ReturnItemOut]] = {r.id: [] for r in rows}
    if rows:
        for item in session.scalars(
            select(ReturnItem).where(ReturnItem.return_id.in_(list(items))).order_by(ReturnItem.id)
        ):
            items[item.return_id].append(ReturnItemOut.model_validate(item))
    numbers = _order_numbers(session, {r.order_id for r in rows})
    return [
        ReturnOut.model_validate(r).model_copy(
            update={"items": items[r.id], "order_number": numbers.get(r.order_id, "")}
        )
        for r in rows
    ]


def complaints_out(
    session: Session, rows: Sequence[Complaint], now: datetime | None = None
) -> list[ComplaintOut]:
    numbers = _order_numbers(session, {c.order_id for c in rows})
    zones = {ws: _timezone(session, ws) for ws in {c.workspace_id for c in rows}}
    out = []
    for c in rows:
        badge = (
            deadline_badge(c.answer_due_by, zones[c.workspace_id], now)
            if c.status == ComplaintStatus.RECEIVED
            else None
        )
        out.append(
            ComplaintOut.model_validate(c).model_copy(
                update={"order_number": numbers.get(c.order_id, ""), "badge": badge}
            )
        )
    return out


# --- The case view ---------------------------------------------------------------------------------------


def abuse_signals(
    session: Session, workspace_id: str, customer_id: str, now: datetime | None = None
) -> list[AbuseSignal]:
    """Patterns for the agent to weigh (many returns, late requests, repeated complaints on one item)."""
    since = (now or utcnow()) - timedelta(days=SIGNAL_DAYS)
    returns = list(
        session.scalars(
            select(Return.review_reasons).where(
                Return.workspace_id == workspace_id,
                Return.customer_id == customer_id,
                Return.created_at >= since,
                Return.status != ReturnStatus.CANCELLED,
            )
        )
    )
    signals = []
    if len(returns) >= MANY_RETURNS:
        signals.append(
            AbuseSignal(
                code="many_returns",
                count=len(returns),
                label_pl=f"{len(returns)} zwrotów w ostatnich {SIGNAL_DAYS} dniach",
                label_en=f"{len(returns)} returns in the last {SIGNAL_DAYS} days",
            )
        )
    late = sum(1 for reasons in returns if "window_closed" in (reasons or []))
    if late:
        signals.append(
            AbuseSignal(
                code="late_requests",
                count=late,
                label_pl=f"Zgłoszenia zwrotu po terminie: {late}",
                label_en=f"Return requests after the deadline: {late}",
            )
        )
    repeated = session.scalar(
        select(func.count()).select_from(
            select(Complaint.order_item_id)
            .where(
                Complaint.workspace_id == workspace_id,
                Complaint.customer_id == customer_id,
                Complaint.order_item_id.is_not(None),
            )
            .group_by(Complaint.order_item_id)
            .having(func.count() > 1)
            .subquery()
        )
    )
    if repeated:
        signals.append(
            AbuseSignal(
                code="repeated_complaints",
                count=int(repeated),
                label_pl=f"Powtórne reklamacje tego samego produktu: {repeated}",
                label_en=f"Repeated complaints about the same item: {repeated}",
            )
        )
    return signals


def case_aftersales(session: Session, principal: Principal, case_id: str) -> CaseAftersales:
    """Returns and complaints of a case, the customer's abuse signals and the unpausable complaint badge."""
    case: Case = access_case(session, principal, case_id)
    now = utcnow()
    returns = list(
        session.scalars(
            readable_returns(principal).where(Return.case_id == case.id).order_by(Return.created_at)
        )
    )
    complaints = list(
        session.scalars(
            readable_complaints(principal).where(Complaint.case_id == case.id).order_by(Complaint.created_at)
        )
    )
    complaint_rows = complaints_out(session, complaints, now)
    badges = [c.badge for c in complaint_rows if c.badge is not None]
    return CaseAftersales(
        returns=returns_out(session, returns),
        complaints=complaint_rows,
        signals=abuse_signals(session, case.workspace_id, case.customer_id, now),
        complaint_badge=min(badges, key=lambda b: b.due_at) if badges else None,
    )


def complaint_badges(
    session: Session, principal: Principal, case_ids: Sequence[str]
) -> dict[str, DeadlineBadge]:
    """The most urgent unanswered complaint's badge per case, for case lists (inbox rows), in one query."""
    if not case_ids:
        return {}
    nearest: dict[str, datetime] = {}
    for case_id, due in session.execute(
        select(Complaint.case_id, func.min(Complaint.answer_due_by))
        .where(
            Complaint.workspace_id == principal.workspace_id,
            Complaint.case_id.in_(list(case_ids)[:500]),
            Complaint.status == ComplaintStatus.RECEIVED,
        )
        .group_by(Complaint.case_id)
    ):
        nearest[case_id] = due if due.tzinfo else due.replace(tzinfo=UTC)
    timezone = _timezone(session, principal.workspace_id)
    now = utcnow()
    return {case_id: deadline_badge(due, timezone, now) for case_id, due in nearest.items()}


# --- Queues ----------------------------------------------------------------------------------------------


def _queue_context(session: Session, case_ids: set[str]) -> dict[str, tuple[int, str | None]]:
    if not case_ids:
        return {}
    rows = session.execute(
        select(Case.id, Case.number, Customer.name)
        .join(Customer, Customer.id == Case.customer_id)
        .where(Case.id.in_(case_ids))
    )
    return {cid: (number, name) for cid, number, name in rows}


def returns_queue(
    session: Session, principal: Principal, queue: ReturnQueue = "open", *, limit: int = QUEUE_LIMIT
) -> list[ReturnQueueRow]:
    """Returns of one queue, the shop's legal deadline (refund due) first."""
    states = {
        "open": OPEN_RETURN,
        "review": (ReturnStatus.REQUESTED,),
        "awaiting_goods": (ReturnStatus.AWAITING_GOODS,),
        "to_refund": (ReturnStatus.RECEIVED,),
        "closed": (ReturnStatus.REFUNDED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED),
    }[queue]
    stmt = readable_returns(principal).where(Return.status.in_(states))
    stmt = (
        stmt.order_by(Return.refund_due_by, Return.created_at)
        if queue != "closed"
        else stmt.order_by(Return.updated_at.desc())
    )
    rows = list(session.scalars(stmt.limit(min(limit, QUEUE_LIMIT))))
    context = _queue_context(session, {r.case_id for r in rows})
    return [
        ReturnQueueRow(case_number=context[r.case_id][0], customer_name=context[r.case_id][1], record=out)
        for r, out in zip(rows, returns_out(session, rows), strict=True)
    ]


def complaints_queue(
    session: Session, principal: Principal, queue: ComplaintQueue = "open", *, limit: int = QUEUE_LIMIT
) -> list[ComplaintQueueRow]:
    """Complaints of one queue; unanswered ones by their answer deadline, the nearest first."""
    states = {
        "open": (ComplaintStatus.RECEIVED,),
        "follow_up": (ComplaintStatus.ANSWERED,),
        "closed": (ComplaintStatus.RESOLVED, ComplaintStatus.WITHDRAWN),
    }[queue]
    stmt = readable_complaints(principal).where(Complaint.status.in_(states))
    stmt = (
        stmt.order_by(Complaint.answer_due_by, Complaint.created_at)
        if queue == "open"
        else stmt.order_by(Complaint.updated_at.desc())
    )
    rows = list(session.scalars(stmt.limit(min(limit, QUEUE_LIMIT))))
    context = _queue_context(session, {c.case_id for c in rows})
    return [
        ComplaintQueueRow(case_number=context[c.case_id][0], customer_name=context[c.case_id][1], record=out)
        for c, out in zip(rows, complaints_out(session, rows), strict=True)
    ]


# --- Reports ---------------------------------------------------------------------------------------------


def refund_late(ret: Return, timezone: str, today: date) -> bool:
    """Refunded (or still unpaid) after the day it was owed; a refund held while neither the goods nor the
    proof of sending came is not late (art. 32 ust. 4)."""
    came = [deadlines.local_day(t, timezone) for t in (ret.goods_received_at, ret.proof_of_sending_at) if t]
    due = deadlines.refund_due_when_held(ret.refund_due_by, min(came) if came else None)
    if due is None:
        return False
    if ret.refunded_at is not None:
        return deadlines.local_day(ret.refunded_at, timezone) > due
    return ret.status in OPEN_RETURN and today > due


def _hours(pairs: list[tuple[datetime, datetime]]) -> float | None:
    if not pairs:
        return None
    return round(sum((end - start).total_seconds() for start, end in pairs) / len(pairs) / 3600, 1)


def report(
    session: Session, principal: Principal, *, days: int = REPORT_DAYS, now: datetime | None = None
) -> AftersalesReport:
    """Open work, deadline breaches (target: zero), handling times, outcomes and reasons by product, over
    the records of the last ``days`` plus every one still open."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    timezone = _timezone(session, principal.workspace_id)
    returns = list(
        session.scalars(
            readable_returns(principal).where((Return.created_at >= since) | Return.status.in_(OPEN_RETURN))
        )
    )
    complaints = list(
        session.scalars(
            readable_complaints(principal).where(
                (Complaint.created_at >= since) | (Complaint.status == ComplaintStatus.RECEIVED)
            )
        )
    )
    today = deadlines.local_day(now, timezone)
    refund_breaches = sum(1 for r in returns if refund_late(r, timezone, today))
    complaint_breaches = sum(
        1
        for c in complaints
        if (c.answered_at and c.answered_at > c.answer_due_by)
        or (c.status == ComplaintStatus.RECEIVED and now > c.answer_due_by)
    )
    reasons: Counter[tuple[str, str]] = Counter()
    for c in complaints:
        reasons[(c.item_name, f"reklamacja: {_REMEDIES_PL.get(str(c.remedy), c.remedy)}")] += 1
    by_id = {r.id: r for r in returns}
    for start in range(0, len(returns), 500):
        for return_id, name in session.execute(
            select(ReturnItem.return_id, ReturnItem.name).where(
                ReturnItem.return_id.in_([r.id for r in returns[start : start + 500]])
            )
        ):
            reason = by_id[return_id].reason.strip() or "bez podania przyczyny"
            reasons[(name, f"zwrot: {reason}")] += 1
    return AftersalesReport(
        open_returns=sum(1 for r in returns if r.status in OPEN_RETURN),
        open_complaints=sum(1 for c in complaints if c.status == ComplaintStatus.RECEIVED),
        returns_by_status=dict(Counter(str(r.status) for r in returns)),
        complaints_by_status=dict(Counter(str(c.status) for c in complaints)),
        complaint_breaches=complaint_breaches,
        refund_breaches=refund_breaches,
        complaint_avg_answer_hours=_hours(
            [(c.received_at, c.answered_at) for c in complaints if c.answered_at]
        ),
        return_avg_refund_hours=_hours(
            [(r.statement_received_at, r.refunded_at) for r in returns if r.refunded_at]
        ),
        complaint_outcomes=dict(Counter(str(c.decision) for c in complaints if c.decision)),
        return_outcomes=dict(Counter(str(r.status) for r in returns if r.status not in OPEN_RETURN)),
        returns_auto_approved=sum(1 for r in returns if r.auto_approved),
        reasons_by_product=[
            ReasonCount(product=p, reason=r, count=n) for (p, r), n in reasons.most_common(20)
        ],
        generated_at=now,
    )
