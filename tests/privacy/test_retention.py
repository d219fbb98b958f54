"""Retention per workspace, proven with a clock moved forward: old closed cases, raw payloads and files go;
complaint cases inside their hold period stay; the dry run counts exactly what a run deletes."""

from datetime import timedelta

from sqlalchemy import func, select

from sprawa.cases.models import Attachment, Case, CaseStatus
from sprawa.channels.base import InboundAttachment
from sprawa.customers.models import Customer
from sprawa.db import utcnow
from sprawa.platform.audit import AuditEntry
from sprawa.platform.inbound import InboundEvent, InboundStatus
from sprawa.platform.jobs import Job
from sprawa.privacy.actions.retention import JOB_KIND, dry_run, run_retention, schedule_retention
from tests.cases.factories import inbound


def _close(db, case_id, *, intent=None):
    case = db.get(Case, case_id)
    case.status = CaseStatus.CLOSED
    case.closed_at = utcnow()
    case.intent = intent


def test_a_run_in_three_years_deletes_what_is_past_retention(db, runtime, workspace, channel, admin):
    file = InboundAttachment("faktura.pdf", "application/pdf", b"%PDF retention-test")
    old = inbound(db, runtime, channel, "Stara sprawa", email="old@example.pl", attachments=[file])
    complaint = inbound(db, runtime, channel, "Reklamacja butów", email="kept@example.pl", thread="t-2")
    active = inbound(db, runtime, channel, "Nowa sprawa", email="new@example.pl", thread="t-3")
    _close(db, old.case_id)
    _close(db, complaint.case_id, intent="complaint")
    db.add(
        InboundEvent(
            workspace_id=workspace.id,
            channel_id=channel.id,
            provider_key="raw-1",
            payload="{}",
            status=InboundStatus.PROCESSED,
        )
    )
    db.commit()
    [key] = db.scalars(select(Attachment.storage_key)).all()
    db.rollback()
    assert runtime.ingest.store.path(key).exists()

    now = utcnow()
    assert dry_run(db, workspace.id, now) == {
        "cases": 0,
        "messages": 0,
        "raw_inbound_events": 0,
        "attachments": 0,
        "customers": 0,
        "complaint_cases_kept": 0,
    }
    later = now + timedelta(days=3 * 365)
    db.get(Customer, active.customer_id).last_seen_at = later  # still a customer then
    db.get(Case, active.case_id).status = CaseStatus.OPEN
    db.commit()
    preview = dry_run(db, workspace.id, later)
    assert preview == {
        "cases": 1,
        "messages": 1,
        "raw_inbound_events": 1,
        "attachments": 1,
        "customers": 1,
        "complaint_cases_kept": 1,  # 36 months (the default hold) have not quite passed
    }
    db.rollback()
    preview_soon = dry_run(db, workspace.id, now + timedelta(days=25 * 31))
    assert preview_soon["cases"] == 1 and preview_soon["complaint_cases_kept"] == 1
    db.rollback()

    counts = run_retention(db, runtime.ingest.store, workspace.id, now + timedelta(days=25 * 31))
    db.commit()
    assert counts["cases"] == 1 and counts["complaint_cases_kept"] == 1
    remaining = set(db.scalars(select(Case.id)))
    assert remaining == {complaint.case_id, active.case_id}
    assert db.scalar(select(func.count()).select_from(InboundEvent)) == 0
    db.rollback()
    assert not runtime.ingest.store.path(key).exists()
    audit = admin.client.get("/api/v1/audit", params={"action": "privacy.retention"}).json()["items"]
    assert audit[0]["data"]["cases"] == 1


def test_the_daily_run_is_queued_once_per_day(db, runtime):
    at = utcnow().replace(hour=12)
    schedule_retention(db, at)
    schedule_retention(db, at)
    db.commit()
    jobs = db.scalars(select(Job).where(Job.kind == JOB_KIND)).all()
    assert len(jobs) == 1 and jobs[0].run_at > at
    db.rollback()


def test_admin_sets_retention_and_sees_the_dry_run(admin, agent):
    body = {
        "closed_case_months": 12,
        "raw_inbound_days": 7,
        "attachment_months": 6,
        "complaint_hold_months": 36,
    }
    assert agent.client.put("/api/v1/privacy/retention", json=body).status_code == 403
    assert (
        admin.client.put("/api/v1/privacy/retention", json={**body, "raw_inbound_days": 0}).status_code == 422
    )
    saved = admin.client.put("/api/v1/privacy/retention", json=body)
    assert saved.json() == body
    assert admin.client.get("/api/v1/privacy/retention").json() == body
    assert admin.client.get("/api/v1/privacy/retention/preview").json()["cases"] == 0
    [entry] = admin.client.get("/api/v1/audit", params={"action": "retention.updated"}).json()["items"]
    assert entry["data"]["changes"]["raw_inbound_days"] == {"from": 30, "to": 7}


def test_the_daily_job_runs_every_workspace_and_queues_the_next_day(db, runtime, workspace, other_workspace):
    from sprawa.privacy.tasks import run_retention_job

    run_retention_job(runtime.ingest.store, runtime.factory, None)  # type: ignore[arg-type]
    actions = db.scalars(
        select(AuditEntry.workspace_id).where(AuditEntry.action == "privacy.retention")
    ).all()
    assert sorted(actions) == sorted([workspace.id, other_workspace.id])
    assert db.scalar(select(func.count()).select_from(Job).where(Job.kind == JOB_KIND)) == 1
    db.rollback()
