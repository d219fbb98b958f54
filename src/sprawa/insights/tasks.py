"""Worker jobs of insights: the periodic sweep (facts + survey scheduling) and survey sending.

The sweep runs every ``SWEEP_SECONDS`` for every workspace and queues its own next run (one job per
time slot, so any number of workers queue it once). ``schedule_sweep`` starts the chain; the dashboard
and the demo seeding call it, so an installation that has never been looked at does no work.
"""

import logging
from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.channels.base import ChannelAdapter
from sprawa.channels.models import ChannelKind
from sprawa.config import Settings
from sprawa.db import utcnow
from sprawa.insights.actions.facts import refresh_facts
from sprawa.insights.actions.surveys import SEND_JOB, do_send_survey, schedule_surveys
from sprawa.platform.jobs import Job, enqueue
from sprawa.workspaces.models import Workspace

log = logging.getLogger(__name__)
SWEEP_JOB = "insights.sweep"
SWEEP_SECONDS = 60


def schedule_sweep(session: Session, *, delay: float = 0.0) -> None:
    """Queue the next sweep (idempotent per time slot)."""
    at = utcnow() + timedelta(seconds=delay)
    slot = int(at.timestamp()) // SWEEP_SECONDS
    enqueue(session, SWEEP_JOB, {}, key=f"{SWEEP_JOB}:{slot}", run_at=at, max_attempts=3)


def run_sweep_job(factory: sessionmaker[Session], job: Job) -> None:
    """Every workspace in its own transaction: bring the facts up to date, schedule due surveys."""
    with factory.begin() as session:
        workspace_ids = list(session.scalars(select(Workspace.id)))
    for workspace_id in workspace_ids:
        with factory.begin() as session:
            refresh_facts(session, workspace_id)
            schedule_surveys(session, workspace_id)
    with factory.begin() as session:
        schedule_sweep(session, delay=SWEEP_SECONDS)


def run_send_job(
    settings: Settings,
    adapters: Mapping[ChannelKind, ChannelAdapter],
    factory: sessionmaker[Session],
    job: Job,
) -> None:
    with factory.begin() as session:
        do_send_survey(
            session, job.payload["case_id"], settings.resolved_secret_key, public_base_url(settings), adapters
        )


def public_base_url(settings: Settings) -> str:
    return settings.public_url or f"http://{settings.host}:{settings.port}"


def job_handlers(settings: Settings, adapters: Mapping[ChannelKind, ChannelAdapter]) -> dict[str, Any]:
    return {SWEEP_JOB: run_sweep_job, SEND_JOB: partial(run_send_job, settings, adapters)}
