"""Retention (RODO art. 5(1)(e)): a daily job deletes what a workspace no longer needs; a dry run counts it.

Per workspace (``RetentionSettings``): cases closed or resolved more than N months ago (complaint cases
inside their hold period excepted), raw inbound payloads after N days, attachment files after N months,
and customers left with no case who were last seen before the case cut-off.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from sprawa.cases.models import Attachment, Case, CaseStatus, Message
from sprawa.customers.models import Customer
from sprawa.db import on_commit, utcnow
from sprawa.platform.audit import append_audit, append_audit_by
from sprawa.platform.inbound import InboundEvent, InboundStatus
from sprawa.platform.jobs import enqueue
from sprawa.platform.storage import FileStore
from sprawa.privacy.actions.erasure import checkpoint_sqlite, prepare_secure_delete
from sprawa.privacy.actions.scope import legal_holds
from sprawa.privacy.models import RetentionSettings
from sprawa.privacy.queries import retention_settings

JOB_KIND = "privacy.retention"
# The daily run starts at this UTC hour (night in Poland).
RUN_HOUR_UTC = 2
_DONE_STATES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
_FINISHED_INBOUND = (InboundStatus.PROCESSED, InboundStatus.IGNORED, InboundStatus.FAILED)


def _days(months: int) -> timedelta:
    return timedelta(days=round(months * 30.44))


@dataclass(frozen=True)
class RetentionPlan:
    """What one run would delete in one workspace."""

    case_ids: list[str]
    kept_case_ids: list[str]
    inbound_cutoff: datetime
    attachment_cutoff: datetime
    customer_cutoff: datetime


def plan(session: Session, workspace_id: str, now: datetime | None = None) -> RetentionPlan:
    now = now or utcnow()
    settings = retention_settings(session, workspace_id)
    case_cutoff = now - _days(settings.closed_case_months)
    finished = func.coalesce(Case.closed_at, Case.resolved_at)
    old = list(
        session.scalars(
            select(Case.id).where(
                Case.workspace_id == workspace_id,
                Case.status.in_(_DONE_STATES),
                finished.is_not(None),
                finished < case_cutoff,
            )
        )
    )
    kept = {h.case_id for h in legal_holds(session, workspace_id, old, now)}
    return RetentionPlan(
        case_ids=[c for c in old if c not in kept],
        kept_case_ids=sorted(kept),
        inbound_cutoff=now - timedelta(days=settings.raw_inbound_days),
        attachment_cutoff=now - _days(settings.attachment_months),
        customer_cutoff=case_cutoff,
    )


def _inbound(workspace_id: str, p: RetentionPlan) -> Any:
    return and_(
        InboundEvent.workspace_id == workspace_id,
        InboundEvent.received_at < p.inbound_cutoff,
        InboundEvent.status.in_(_FINISHED_INBOUND),
    )


def _attachments(workspace_id: str, p: RetentionPlan) -> Any:
    return and_(Attachment.workspace_id == workspace_id, Attachment.created_at < p.attachment_cutoff)


def _idle_customers(workspace_id: str, p: RetentionPlan) -> Select[tuple[str]]:
    """Customers with no case left after the run, last seen before the cut-off (merged records too)."""
    remaining_case = exists().where(Case.customer_id == Customer.id, Case.id.notin_(p.case_ids))
    return select(Customer.id).where(
        Customer.workspace_id == workspace_id, Customer.last_seen_at < p.customer_cutoff, ~remaining_case
    )


def dry_run(session: Session, workspace_id: str, now: datetime | None = None) -> dict[str, int]:
    """How many records a run now would delete (and how many old complaint cases it keeps)."""
    p = plan(session, workspace_id, now)
    count = func.count()
    messages = session.scalar(select(count).select_from(Message).where(Message.case_id.in_(p.case_ids)))
    inbound = session.scalar(select(count).select_from(InboundEvent).where(_inbound(workspace_id, p)))
    files = session.scalar(select(count).select_from(Attachment).where(_attachments(workspace_id, p)))
    customers = session.scalar(select(count).select_from(_idle_customers(workspace_id, p).subquery()))
    return {
        "cases": len(p.case_ids),
        "messages": messages or 0,
        "raw_inbound_events": inbound or 0,
        "attachments": files or 0,
        "customers": customers or 0,
        "complaint_cases_kept": len(p.kept_case_ids),
    }


def run_retention(
    session: Session, store: FileStore, workspace_id: str, now: datetime | None = None
) -> dict[str, int]:
    """Delete what is past retention in one workspace (in the caller's transaction); audited with counts."""
    prepare_secure_delete(session)
    p = plan(session, workspace_id, now)
    keys = set(
        session.scalars(
            select(Attachment.storage_key).where(
                or_(
                    _attachments(workspace_id, p),
                    Attachment.message_id.in_(select(Message.id).where(Message.case_id.in_(p.case_ids))),
                )
            )
        )
    )
    idle = list(session.scalars(_idle_customers(workspace_id, p)))
    counts = {
        "attachments": session.execute(delete(Attachment).where(_attachments(workspace_id, p))).rowcount,
        "cases": session.execute(delete(Case).where(Case.id.in_(p.case_ids))).rowcount,
        "raw_inbound_events": session.execute(delete(InboundEvent).where(_inbound(workspace_id, p))).rowcount,
        "customers": session.execute(delete(Customer).where(Customer.id.in_(idle))).rowcount,
        "complaint_cases_kept": len(p.kept_case_ids),
    }
    counts = {k: max(v or 0, 0) for k, v in counts.items()}
    session.flush()
    orphans = keys - set(
        session.scalars(select(Attachment.storage_key).where(Attachment.storage_key.in_(keys)))
    )
    append_audit(
        session,
        workspace_id,
        actor_kind="system",
        actor_id=None,
        action="privacy.retention",
        subject_type="workspace",
        subject_id=workspace_id,
        data=counts,
    )

    def remove_files() -> None:
        for key in orphans:
            store.path(key).unlink(missing_ok=True)
        checkpoint_sqlite(session.get_bind())

    on_commit(session, remove_files)
    return counts


def next_run_at(now: datetime) -> datetime:
    today = now.replace(hour=RUN_HOUR_UTC, minute=0, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)


def schedule_retention(session: Session, now: datetime | None = None) -> None:
    """Make sure the next daily run is queued (idempotent: one job per day)."""
    at = next_run_at(now or utcnow())
    enqueue(session, JOB_KIND, {}, key=f"{JOB_KIND}:{at.date().isoformat()}", run_at=at, max_attempts=5)


def do_update_retention(session: Session, actor: Any, values: dict[str, int]) -> RetentionSettings:
    """Save the workspace's retention periods (an admin's policy change, audited with old and new)."""
    current = session.scalars(
        select(RetentionSettings)
        .where(RetentionSettings.workspace_id == actor.workspace_id)
        .with_for_update()
    ).first()
    if current is None:
        current = retention_settings(session, actor.workspace_id)
        session.add(current)
    changes = {
        k: {"from": getattr(current, k), "to": v} for k, v in values.items() if getattr(current, k) != v
    }
    for key, value in values.items():
        setattr(current, key, value)
    current.updated_by_id = actor.user_id
    session.flush()
    if changes:
        append_audit_by(session, actor, "retention.updated", "workspace", actor.workspace_id, changes=changes)
    return current
