"""The periodic proactive scan: one job per workspace every few minutes, re-queued by itself.

Each run queues the next under a key naming its time slot, so however many workers or restarts there are,
one scan per slot exists. Enabling proactive service (or seeding the demo) queues the first.
"""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from sprawa.commerce.remote import ConnectorEnv
from sprawa.db import utcnow
from sprawa.platform.jobs import Job, enqueue
from sprawa.proactive.queries import proactive_settings
from sprawa.proactive.triggers import Notifier

SCAN_JOB = "proactive.scan"
SCAN_EVERY = timedelta(minutes=10)


def schedule_scan(session: Session, workspace_id: str, at: datetime | None = None) -> None:
    at = at or utcnow()
    slot = int(at.timestamp() // SCAN_EVERY.total_seconds())
    enqueue(
        session,
        SCAN_JOB,
        {"workspace_id": workspace_id},
        workspace_id=workspace_id,
        key=f"{SCAN_JOB}:{workspace_id}:{slot}",
        run_at=at,
    )


def run_scan_job(env: ConnectorEnv, notifier: Notifier, factory: sessionmaker[Session], job: Job) -> None:
    workspace_id = job.payload["workspace_id"]
    with factory.begin() as session:
        settings = proactive_settings(session, workspace_id)
        if not settings.enabled:
            return  # switched off: the chain stops until it is switched on again
        if settings.simulate_carriers:
            from sprawa.proactive.demo import simulate_carrier_events

            simulate_carrier_events(session, workspace_id)
        notifier.scan(session, workspace_id)
        notifier.remind(session, workspace_id)
        schedule_scan(session, workspace_id, utcnow() + SCAN_EVERY)
