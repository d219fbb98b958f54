"""The breach alarm: a worker job flags complaints nearing their answer deadline unanswered, once per level,
raising the case's priority and telling the assigned agent and team; answered complaints stay quiet."""

from datetime import timedelta

from sqlalchemy import select

from sprawa.aftersales.models import Complaint, Remedy
from sprawa.aftersales.service import do_register_complaint
from sprawa.aftersales.tasks import ALARM_KIND, run_alarm_scan, scan_complaint_deadlines
from sprawa.auth.schemas import Principal
from sprawa.cases.models import AuthorKind, Case, Note
from sprawa.platform.jobs import Job, JobStatus
from tests.aftersales.factories import chat_case, make_order, order_items, setup_shop


def _complaint(db, runtime, workspace, channel) -> Complaint:
    setup_shop(db, workspace)
    order = make_order(db, workspace)
    case = chat_case(db, runtime, channel, "Sweter się spruł po tygodniu")
    item = order_items(db, order)[0]
    ai = Principal.system(workspace.id, AuthorKind.AI)
    complaint = do_register_complaint(
        db, ai, case, order.id, item.id, description="Sweter się spruł po tygodniu.", remedy=Remedy.REPAIR
    )
    db.commit()
    return complaint


def test_the_alarm_fires_near_the_deadline_once_per_level(db, runtime, workspace, channel, events) -> None:
    complaint = _complaint(db, runtime, workspace, channel)
    due = complaint.answer_due_by
    [job] = db.scalars(select(Job).where(Job.kind == ALARM_KIND)).all()
    assert job.run_at == due - timedelta(hours=72)  # the first scan waits for the first threshold
    db.rollback()

    assert scan_complaint_deadlines(db, workspace.id, now=due - timedelta(days=5)) == []
    raised = scan_complaint_deadlines(db, workspace.id, now=due - timedelta(hours=60))
    db.commit()
    assert [c.alarm_level for c in raised] == [1]
    case = db.get(Case, complaint.case_id)
    assert case.priority == "high" and "termin reklamacji" in case.tags
    notes = list(db.scalars(select(Note.body_text).where(Note.case_id == case.id)))
    assert any("czeka na odpowiedź" in n for n in notes)
    [alarm] = [e for e in events if e.kind == "aftersales.deadline_alarm"]
    assert alarm.data["level"] == 1 and alarm.data["team_id"] == case.team_id and alarm.to_customer is False

    assert scan_complaint_deadlines(db, workspace.id, now=due - timedelta(hours=59)) == []  # once per level
    assert [
        c.alarm_level for c in scan_complaint_deadlines(db, workspace.id, now=due - timedelta(hours=3))
    ] == [2]
    assert [
        c.alarm_level for c in scan_complaint_deadlines(db, workspace.id, now=due + timedelta(minutes=1))
    ] == [3]
    db.commit()
    assert db.get(Case, complaint.case_id).priority == "urgent"
    # Past the deadline the alarm says what the law makes of it (art. 7a): deemed accepted.
    alarms = [e.data for e in events if e.kind == "aftersales.deadline_alarm"]
    assert [(a["level"], a["deemed_accepted"]) for a in alarms] == [(1, False), (2, False), (3, True)]
    notes = list(db.scalars(select(Note.body_text).where(Note.case_id == complaint.case_id)))
    assert any(
        "reklamację uważa się za uznaną (art. 7a), czyli tak, jak klient żądał: naprawa" in n for n in notes
    )
    # While the complaint is open, the scan keeps itself scheduled.
    pending = db.scalars(select(Job).where(Job.kind == ALARM_KIND, Job.status == JobStatus.PENDING)).all()
    assert len(pending) >= 2


def test_the_worker_job_raises_the_alarm_and_answered_complaints_stay_quiet(
    db, runtime, workspace, channel
) -> None:
    complaint = _complaint(db, runtime, workspace, channel)
    complaint.answer_due_by = complaint.received_at + timedelta(hours=20)  # as if received 13 days ago
    db.commit()
    complaint_id = complaint.id
    job = db.scalars(select(Job).where(Job.kind == ALARM_KIND)).first()
    db.expunge(job)
    db.rollback()
    run_alarm_scan(runtime.factory, job)
    assert db.get(Complaint, complaint_id).alarm_level == 2

    answered = db.get(Complaint, complaint_id)
    answered.status = "answered"
    answered.alarm_level = 0
    db.commit()
    run_alarm_scan(runtime.factory, job)
    db.expire_all()
    assert db.get(Complaint, complaint_id).alarm_level == 0
