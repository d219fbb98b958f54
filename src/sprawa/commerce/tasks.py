"""Worker jobs of commerce and proactive service: stored webhooks, the periodic proactive scan."""

from functools import partial
from typing import TYPE_CHECKING

from sprawa.commerce.actions.events import mark_commerce_event_failed, run_commerce_event_job
from sprawa.commerce.remote import ConnectorEnv
from sprawa.platform.jobs import DeadHandler, Handler

if TYPE_CHECKING:
    from sprawa.runtime import Runtime


def job_handlers(runtime: "Runtime") -> dict[str, Handler]:
    from sprawa.proactive.tasks import SCAN_JOB, run_scan_job
    from sprawa.proactive.triggers import Notifier

    env = ConnectorEnv(runtime.http, runtime.ingest.secrets)
    notifier = Notifier.from_runtime(runtime)
    return {
        "commerce.event": partial(run_commerce_event_job, env, notifier.evaluate_orders),
        SCAN_JOB: partial(run_scan_job, env, notifier),
    }


def dead_handlers() -> dict[str, DeadHandler]:
    return {"commerce.event": mark_commerce_event_failed}
