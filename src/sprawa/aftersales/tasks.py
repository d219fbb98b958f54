"""Worker jobs of after-sales: the complaint breach alarm and the Allegro customer returns mirror.

The breach alarm flags complaints nearing their answer deadline unanswered.

One ``aftersales.alarm_scan`` job per workspace re-schedules itself while complaints are open: at the next
alarm threshold of any of them, and at least every ``RESCAN`` as a safety net (a policy or clock change, a
worker that was down). Each complaint raises each level once: 1 when ``WARN_BEFORE`` is left, 2 on the last
``CRITICAL_BEFORE``, 3 when the deadline has passed (art. 7a: the complaint is then deemed accepted). An
alarm raises the case's priority, tags it, notes it, and sends an event naming the assignee and team.
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.aftersales.models import Complaint, ComplaintStatus
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case, CaseStatus, Priority
from sprawa.cases.service import do_add_note, do_update_case, record_activity
from sprawa.commerce.remote import ConnectorEnv
from sprawa.db import utcnow
from sprawa.platform.events import Event, emit
from sprawa.platform.jobs import Handler, Job, JobStatus, enqueue

log = logging.getLogger(__name__)
ALARM_KIND = "aftersales.alarm_scan"
WARN_BEFORE = timedelta(hours=72)
CRITICAL_BEFORE = timedelta(hours=24)
RESCAN = timedelta(hours=1)
ALARM_TAG = "termin reklamacji"
_LEVEL_PRIORITY = {1: Priority.HIGH, 2: Priority.URGENT, 3: Priority.URGENT}
_NOTES = {
    1: "Reklamacja {number} czeka na odpowiedź — termin mija {due}. Zostały mniej niż 3 dni.",
    2: "Ostatni dzień na odpowiedź w reklamacji {number} (termin {due}).",
    3: "Termin odpowiedzi w reklamacji {number} minął ({due}). Bez odpowiedzi w terminie reklamację uważa "
    "się za uznaną (art. 7a), czyli tak, jak klient żądał: {remedy} — odpowiedz klientowi od razu.",
}
_REMEDIES_PL = {
    "repair": "naprawa",
    "replacement": "wymiana",
    "price_reduction": "obniżenie ceny",
    "withdrawal": "odstąpienie od umowy (zwrot pieniędzy)",
}


def schedule_alarm_scan(session: Session, workspace_id: str, due: datetime | None = None) -> None:
    """Make sure a scan runs at the first alarm threshold of ``due`` (or now); idempotent per second."""
    now = utcnow()
    at = max(now, due - WARN_BEFORE) if due is not None else now
    enqueue(
        session,
        ALARM_KIND,
        {"workspace_id": workspace_id},
        workspace_id=workspace_id,
        key=f"{ALARM_KIND}:{workspace_id}:{at:%Y%m%dT%H%M%S}",
        run_at=at,
    )


def alarm_level(due: datetime, now: datetime) -> int:
    left = due - now
    if left < timedelta(0):
        return 3
    if left <= CRITICAL_BEFORE:
        return 2
    if left <= WARN_BEFORE:
        return 1
    return 0


def scan_complaint_deadlines(
    session: Session, workspace_id: str, now: datetime | None = None
) -> list[Complaint]:
    """Raise the alarms that are due; schedule the next scan while complaints are open. Returns the raised."""
    now = now or utcnow()
    open_complaints = list(
        session.scalars(
            select(Complaint)
            .where(Complaint.workspace_id == workspace_id, Complaint.status == ComplaintStatus.RECEIVED)
            .order_by(Complaint.answer_due_by)
        )
    )
    raised = []
    system = Principal.system(workspace_id)
    for complaint in open_complaints:
        level = alarm_level(complaint.answer_due_by, now)
        if level <= complaint.alarm_level:
            continue
        complaint.alarm_level = level
        complaint.alarm_at = now
        raised.append(complaint)
        case = session.get(Case, complaint.case_id)
        assert case is not None
        due = complaint.answer_due_by.isoformat()
        if case.status != CaseStatus.CLOSED:
            changes: dict[str, object] = {}
            if case.priority not in (Priority.URGENT, _LEVEL_PRIORITY[level]):
                changes["priority"] = _LEVEL_PRIORITY[level]
            if ALARM_TAG not in (case.tags or []):
                changes["tags"] = [*(case.tags or []), ALARM_TAG]
            if changes:
                do_update_case(session, system, case, changes)
            text = _NOTES[level].format(
                number=complaint.number, due=due[:16], remedy=_REMEDIES_PL.get(str(complaint.remedy), "")
            )
            do_add_note(session, system, case, text)
        record_activity(
            session, case, system, "complaint_deadline_alarm", number=complaint.number, level=level
        )
        emit(
            session,
            Event(
                "aftersales.deadline_alarm",
                workspace_id,
                {
                    "complaint_id": complaint.id,
                    "number": complaint.number,
                    "answer_due_by": due,
                    "level": level,
                    # Art. 7a: past the deadline unanswered, the complaint is deemed accepted.
                    "deemed_accepted": level == 3,
                    "assignee_id": case.assignee_id,
                    "team_id": case.team_id,
                },
                case_id=case.id,
            ),
        )
    thresholds = [
        t
        for c in open_complaints
        for t in (c.answer_due_by - WARN_BEFORE, c.answer_due_by - CRITICAL_BEFORE, c.answer_due_by)
        if t > now
    ]
    if open_complaints:
        # Never the current second: the running job holds that key, and the chain must not stop.
        at = max(min([*thresholds, now + RESCAN]), now + timedelta(seconds=1))
        enqueue(
            session,
            ALARM_KIND,
            {"workspace_id": workspace_id},
            workspace_id=workspace_id,
            key=f"{ALARM_KIND}:{workspace_id}:{at:%Y%m%dT%H%M%S}",
            run_at=at,
        )
    return raised


def run_alarm_scan(factory: sessionmaker[Session], job: Job) -> None:
    """Worker handler of ``aftersales.alarm_scan`` (idempotent: each level is raised once)."""
    with factory.begin() as session:
        scan_complaint_deadlines(session, job.payload["workspace_id"])


# ------------------------------------------------------------------------------ Allegro returns mirror

MIRROR_KIND = "aftersales.allegro_returns"
MIRROR_EVERY = timedelta(minutes=15)
PENDING_STATES = (JobStatus.PENDING, JobStatus.RUNNING)


def schedule_allegro_returns(session: Session, at: datetime | None = None) -> None:
    """Queue the next mirror run (one for all Allegro workspaces); idempotent per minute."""
    at = at or utcnow()
    enqueue(session, MIRROR_KIND, {}, key=f"{MIRROR_KIND}:{at:%Y%m%dT%H%M}", run_at=at)


def ensure_allegro_returns_scheduled(factory: sessionmaker[Session]) -> None:
    """Called when a worker starts: start the mirror chain unless a run is already queued (one chain)."""
    with factory.begin() as session:
        queued = session.scalar(
            select(Job.id).where(Job.kind == MIRROR_KIND, Job.status.in_(PENDING_STATES)).limit(1)
        )
        if queued is None:
            schedule_allegro_returns(session)


def run_allegro_returns(env: ConnectorEnv, factory: sessionmaker[Session], job: Job) -> None:
    """Mirror each Allegro workspace's customer returns, each in its own transaction, then re-schedule.

    A shop that cannot be reached is logged and tried again next run; the others go on.
    """
    from sprawa.aftersales.actions.allegro import mirror_allegro_returns
    from sprawa.commerce.allegro.connector import AllegroOrders
    from sprawa.commerce.service import connector_for
    from sprawa.platform.errors import AppError
    from sprawa.workspaces.models import Workspace

    with factory() as session:
        workspaces = [
            ws.id
            for ws in session.scalars(select(Workspace))
            if ((ws.settings or {}).get("commerce") or {}).get("kind") == "allegro"
        ]
    for workspace_id in workspaces:
        try:
            with factory.begin() as session:
                connector = connector_for(session, workspace_id, env)
                assert isinstance(connector, AllegroOrders)
                mirror_allegro_returns(session, connector, workspace_id)
        except AppError as exc:
            log.warning(
                "allegro returns mirror failed", extra={"workspace_id": workspace_id, "error": str(exc)}
            )
    with factory.begin() as session:
        schedule_allegro_returns(session, utcnow() + MIRROR_EVERY)


def job_handlers(env: ConnectorEnv) -> dict[str, Handler]:
    """The worker's after-sales jobs; ``env`` reaches remote shops (the Allegro returns mirror)."""
    return {ALARM_KIND: run_alarm_scan, MIRROR_KIND: partial(run_allegro_returns, env)}
