"""``sprawa bench insights``: the dashboard's numbers on the benchmark workspace (1 M messages on PostgreSQL).

Steps: migrate; seed (or reuse) the ``bench`` workspace of ``sprawa bench api`` (same seeding); add survey
answers to a share of its resolved cases once; build the per-case facts from scratch (timed) and time the
incremental refresh after 100 cases change; then, with the real server (``sprawa serve``) on loopback, time
``GET /api/v1/insights/dashboard`` for the last 30 and 90 days, a drill-down and a CSV export.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sprawa.bench.load import running_server
from sprawa.bench.seed import BenchDataMismatch, SeedPlan, find_bench_workspace, seed_bench
from sprawa.insights.actions.facts import WATERMARK_MARGIN

SURVEY_SHARE = 0.3


def run_insights_bench(
    database_url: str, plan: SeedPlan, repeats: int, *, rebuild: bool = False, out: Any = print
) -> dict[str, Any]:
    from sprawa.db import make_engine
    from sprawa.platform.migrations import upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    figures: dict[str, Any] = {"database": engine.dialect.name}
    try:
        info = find_bench_workspace(engine)
        if info is None:
            out(f"Seeding {plan.messages:,} messages in {plan.cases:,} cases ({engine.dialect.name}) ...")
            info = seed_bench(engine, plan)
            out(f"Seeded in {info.seconds:.1f} s.")
        elif (info.messages, info.cases) != (plan.messages, plan.cases):
            raise BenchDataMismatch(
                f"this database holds a bench workspace of {info.messages:,} messages; "
                "run `sprawa bench api --reset` with the wanted size first"
            )
        else:
            out(f"Reusing the bench workspace ({info.messages:,} messages, {info.cases:,} cases).")
        figures.update(messages=info.messages, cases=info.cases)
        figures["survey_answers"] = _add_surveys(engine, info.workspace_id)
        built, facts = _build_facts(engine, info.workspace_id, rebuild)
        figures["facts_build_seconds"], figures["facts"] = built, facts
        if built is None:
            out(f"Reusing the facts of {facts:,} cases (--rebuild-facts builds them again, timed).")
        else:
            rate = facts / max(built, 1e-9)
            out(f"Facts of {facts:,} cases built from scratch in {built:.1f} s ({rate:,.0f}/s).")
        figures["incremental_refresh_seconds"] = incremental = _incremental(engine, info.workspace_id)
        out(f"Incremental refresh after 100 cases changed: {incremental * 1000:.0f} ms.")
        token = _admin_token(engine, info.workspace_id, info.admin_user_id)
        # Changes younger than the re-read margin are recomputed by every refresh (a late commit must not
        # be missed); the steady state of a dashboard is measured once they are older.
        margin = WATERMARK_MARGIN.total_seconds()
        out(f"Waiting {margin:.0f} s for those changes to pass the re-read margin ...")
        time.sleep(margin + 1)
    finally:
        engine.dispose()
    with (
        running_server(database_url) as server,
        httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client,
    ):
        today = time.gmtime()
        end = f"{today.tm_year:04d}-{today.tm_mon:02d}-{today.tm_mday:02d}"
        for label, path in _requests(end):
            times = _time(client, path, repeats)
            figures[label] = times
            out(
                f"{label:<28} first {times['first_ms']:>7.0f} ms   median {times['median_ms']:>7.0f} ms   "
                f"max {times['max_ms']:>7.0f} ms   ({repeats} requests)"
            )
    return figures


def _requests(end: str) -> list[tuple[str, str]]:
    from datetime import date

    last = date.fromisoformat(end)
    d30 = (last - timedelta(days=29)).isoformat()
    d90 = (last - timedelta(days=89)).isoformat()
    return [
        ("dashboard_30_days", f"/api/v1/insights/dashboard?from={d30}&to={end}"),
        ("dashboard_90_days", f"/api/v1/insights/dashboard?from={d90}&to={end}"),
        ("drill_down_fcr_30_days", f"/api/v1/insights/cases?from={d30}&to={end}&metric=fcr&part=den"),
        ("csv_agents_30_days", f"/api/v1/insights/export/agent.csv?from={d30}&to={end}"),
    ]


def _time(client: httpx.Client, path: str, repeats: int) -> dict[str, float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return {
        "first_ms": round(samples[0], 1),
        "median_ms": round(statistics.median(samples), 1),
        "max_ms": round(max(samples), 1),
    }


def _build_facts(engine: Engine, workspace_id: str, rebuild: bool) -> tuple[float | None, int]:
    """Build every case's facts from scratch (timed), unless an earlier run did and ``rebuild`` is off."""
    from sprawa.insights.actions.facts import refresh_facts
    from sprawa.insights.models import CaseMetrics

    if not rebuild:
        with Session(engine) as session:
            existing = session.scalar(
                select(func.count()).select_from(CaseMetrics).where(CaseMetrics.workspace_id == workspace_id)
            )
        if existing:
            return None, int(existing or 0)
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        written = refresh_facts(session, workspace_id, full=True)
    return time.perf_counter() - started, written


def _incremental(engine: Engine, workspace_id: str) -> float:
    """Touch 100 cases (as 100 replies would), then refresh: only they and their customers' cases change."""
    from sprawa.cases.models import Case
    from sprawa.db import utcnow
    from sprawa.insights.actions.facts import refresh_facts

    with Session(engine) as session, session.begin():
        ids = list(session.scalars(select(Case.id).where(Case.workspace_id == workspace_id).limit(100)))
        session.execute(update(Case).where(Case.id.in_(ids)).values(updated_at=utcnow()))
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        refresh_facts(session, workspace_id)
    return time.perf_counter() - started


def _add_surveys(engine: Engine, workspace_id: str) -> int:
    """CSAT (and some NPS) answers on a share of the resolved cases, once (idempotent by presence)."""
    from sprawa.bench.seed import _Writer
    from sprawa.cases.models import Case, CaseStatus
    from sprawa.insights.models import SurveyKind, SurveyRequest, SurveyResponse, SurveyStatus
    from sprawa.platform.ids import new_id

    with engine.connect() as conn:
        existing = conn.execute(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.workspace_id == workspace_id)
        ).scalar_one()
        if existing:
            return int(existing)
        cases = conn.execute(
            select(Case.id, Case.customer_id, Case.channel_id, Case.resolved_at).where(
                Case.workspace_id == workspace_id,
                Case.status.in_([CaseStatus.RESOLVED, CaseStatus.CLOSED]),
                Case.resolved_at.is_not(None),
            )
        ).all()
    rng = random.Random(9)
    requests, responses = [], []
    for case in cases:
        if rng.random() > SURVEY_SHARE * 2:
            continue
        request_id = new_id()
        sent = case.resolved_at + timedelta(hours=1)
        answered = rng.random() < 0.5
        requests.append(
            {
                "id": request_id,
                "workspace_id": workspace_id,
                "customer_id": case.customer_id,
                "case_id": case.id,
                "channel_id": case.channel_id,
                "kind": SurveyKind.CSAT,
                "status": SurveyStatus.ANSWERED if answered else SurveyStatus.SENT,
                "language": "pl",
                "send_at": sent,
                "sent_at": sent,
                "answered_at": sent + timedelta(minutes=30) if answered else None,
                "created_at": sent,
            }
        )
        if answered:
            responses.append(
                {
                    "id": new_id(),
                    "workspace_id": workspace_id,
                    "customer_id": case.customer_id,
                    "case_id": case.id,
                    "channel_id": case.channel_id,
                    "request_id": request_id,
                    "kind": SurveyKind.CSAT,
                    "score": rng.choices([1, 2, 3, 4, 5], [4, 4, 10, 30, 52])[0],
                    "created_at": sent + timedelta(minutes=30),
                }
            )
    with engine.begin() as conn:
        writer = _Writer(conn)
        writer.write(SurveyRequest.__table__, requests)  # type: ignore[arg-type]
        writer.write(SurveyResponse.__table__, responses)  # type: ignore[arg-type]
    return len(responses)


def _admin_token(engine: Engine, workspace_id: str, admin_user_id: str) -> str:
    from sprawa.auth.models import Role
    from sprawa.auth.schemas import Principal
    from sprawa.auth.service import do_create_api_token

    admin = Principal(workspace_id=workspace_id, role=Role.ADMIN, user_id=admin_user_id)
    with Session(engine) as session, session.begin():
        return do_create_api_token(session, admin, "bench insights", Role.ADMIN)


def add_insights_bench(kinds: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = kinds.add_parser("insights", help="time the insights dashboard on the bench workspace")
    p.add_argument("--messages", type=int, default=100_000, help="messages to seed (default 100000)")
    p.add_argument("--database-url", default="", help="target database (default: a fresh SQLite file)")
    p.add_argument("--repeats", type=int, default=10, help="requests per measured endpoint (default 10)")
    p.add_argument("--rebuild-facts", action="store_true", help="rebuild the facts of a reused workspace")
    p.set_defaults(handler=cmd_bench_insights)


def cmd_bench_insights(settings: Any, args: argparse.Namespace) -> None:
    import logging
    import shutil
    import tempfile
    from pathlib import Path

    logging.getLogger("httpx").setLevel(logging.WARNING)
    cases = max(1, args.messages // 10)
    plan = SeedPlan(messages=args.messages, cases=cases, customers=min(3000, cases))
    scratch = None
    url = args.database_url
    if not url:
        scratch = Path(tempfile.mkdtemp(prefix="sprawa-bench-insights-"))
        url = f"sqlite:///{scratch / 'bench.db'}"
    try:
        run_insights_bench(url, plan, args.repeats, rebuild=args.rebuild_facts)
    except (BenchDataMismatch, ValueError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(2)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
