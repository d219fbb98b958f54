"""Worker jobs of commerce and proactive service: stored webhooks, journal polling, the proactive scan.

The journal poll re-queues itself under a key naming its time slot (one poll per workspace and slot, however
many workers run); saving a connection to a platform without webhooks (BaseLinker, Allegro, PrestaShop)
starts it. A PrestaShop workspace's poll also queues the import of its customer service threads.
"""

from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from sprawa.commerce.actions.events import (
    OrderHook,
    mark_commerce_event_failed,
    poll_shop,
    run_commerce_event_job,
)
from sprawa.commerce.remote import ConnectorEnv
from sprawa.db import utcnow
from sprawa.platform.jobs import DeadHandler, Handler, Job, enqueue
from sprawa.workspaces.models import Workspace

if TYPE_CHECKING:
    from sprawa.runtime import Runtime

POLL_JOB = "commerce.poll"
POLL_EVERY = timedelta(minutes=1)
#: Platforms without webhooks: their orders are polled (a journal where they have one).
POLLED_KINDS = frozenset({"baselinker", "allegro", "prestashop"})


def schedule_poll(session: Session, workspace_id: str, at: datetime | None = None) -> None:
    at = at or utcnow()
    slot = int(at.timestamp() // POLL_EVERY.total_seconds())
    enqueue(
        session,
        POLL_JOB,
        {"workspace_id": workspace_id},
        workspace_id=workspace_id,
        key=f"{POLL_JOB}:{workspace_id}:{slot}",
        run_at=at,
    )


def run_poll_job(env: ConnectorEnv, on_orders: OrderHook, factory: sessionmaker[Session], job: Job) -> None:
    workspace_id = job.payload["workspace_id"]
    with factory.begin() as session:
        workspace = session.get(Workspace, workspace_id)
        kind = ((workspace.settings or {}).get("commerce") or {}).get("kind") if workspace else None
        if kind not in POLLED_KINDS:
            return  # the shop connection changed: the chain stops
        poll_shop(session, env, workspace_id, on_orders)
        schedule_poll(session, workspace_id, utcnow() + POLL_EVERY)
        if kind == "prestashop":
            from sprawa.commerce.prestashop.service import schedule_thread_import

            schedule_thread_import(session, workspace_id)


def job_handlers(runtime: "Runtime") -> dict[str, Handler]:
    from sprawa.commerce.prestashop.service import THREADS_JOB, run_threads_job
    from sprawa.proactive.tasks import SCAN_JOB, run_scan_job
    from sprawa.proactive.triggers import Notifier

    env = ConnectorEnv(runtime.http, runtime.ingest.secrets)
    notifier = Notifier.from_runtime(runtime)
    return {
        "commerce.event": partial(run_commerce_event_job, env, notifier.evaluate_orders),
        POLL_JOB: partial(run_poll_job, env, notifier.evaluate_orders),
        SCAN_JOB: partial(run_scan_job, env, notifier),
        THREADS_JOB: partial(run_threads_job, runtime.ingest, env),
    }


def dead_handlers() -> dict[str, DeadHandler]:
    return {"commerce.event": mark_commerce_event_failed}
