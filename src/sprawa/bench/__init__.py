"""``sprawa bench api``: seed a realistic workspace, run the real server, measure the agent API under load.

Steps: migrate the target database; seed (or reuse) the ``bench`` workspace; create an API token; start
``sprawa serve`` in a subprocess on a free loopback port; run closed-loop clients with the agent mix
(inbox 55 %, open case 25 %, reply 10 %, search 5 %, customer panel 5 %); print throughput, p50/p95/p99
per operation and a p99 bar chart; stop the server with SIGTERM (graceful shutdown is timed too).

Without ``--database-url`` the run uses a fresh SQLite file in a temporary directory, never the
installation's own database. With a URL, only the ``bench`` workspace is touched: it is reused when its
size matches, and replaced with ``--reset``. The server runs no worker: replies queue outbox jobs that stay
pending, so the figures are those of the API alone.
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sprawa.bench.load import MIXES, Pool, run_load, running_servers
from sprawa.bench.report import BenchReport
from sprawa.bench.seed import (
    SEARCH_WORDS,
    BenchDataMismatch,
    SeedInfo,
    SeedPlan,
    drop_bench_workspace,
    find_bench_workspace,
    seed_bench,
)


@dataclass
class BenchConfig:
    plan: SeedPlan
    database_url: str = ""
    clients: int = 8
    servers: int = 1
    duration: float = 30.0
    warmup: float | None = None
    mix: str = "api"
    reset: bool = False
    progress: bool = True


def run_api_bench(config: BenchConfig, out: Any = print) -> BenchReport:
    """Seed (or reuse), serve, load, report. ``out`` receives the human-readable lines."""
    from sprawa.db import make_engine
    from sprawa.platform.migrations import upgrade

    scratch: Path | None = None
    url = config.database_url
    if not url:
        scratch = Path(tempfile.mkdtemp(prefix="sprawa-bench-"))
        url = f"sqlite:///{scratch / 'bench.db'}"
    try:
        upgrade(url)
        engine = make_engine(url)
        try:
            info = _prepare(engine, config, out)
            token = _create_token(engine, info)
            pool = _pool(engine, info)
        finally:
            engine.dispose()
        warmup = config.warmup if config.warmup is not None else min(2.0, config.duration / 5)
        out(
            f"Load: {config.clients} clients on {config.servers} server process(es), "
            f"{config.duration:.0f} s (+{warmup:.1f} s warm-up), mix '{config.mix}'"
        )
        load_before = os.getloadavg()[0]
        with running_servers(url, config.servers) as servers:
            samples = run_load(
                [server.base_url for server in servers],
                token,
                pool,
                mix=MIXES[config.mix],
                clients=config.clients,
                duration=config.duration,
                warmup=warmup,
            )
        context = {
            "database": engine.dialect.name,
            "messages": info.messages,
            "cases": info.cases,
            "customers": info.customers,
            "seeded_seconds": None if info.reused else round(info.seconds, 1),
            "mix": config.mix,
            "servers": config.servers,
            "server_shutdown_seconds": max(round(s.shutdown_seconds or 0.0, 2) for s in servers),
            "server_graceful_shutdown": all(s.graceful for s in servers),
            # Figures from a busy machine are not comparable: say how busy it was.
            "cpu_cores": os.cpu_count(),
            "load_average_before": round(load_before, 2),
            "load_average_after": round(os.getloadavg()[0], 2),
        }
        report = BenchReport.build(samples, clients=config.clients, context=context)
        out("")
        out(report.render())
        out(
            f"Machine: {context['cpu_cores']} CPU cores, 1-minute load average "
            f"{context['load_average_before']} before and {context['load_average_after']} after the run."
        )
        how = "gracefully" if context["server_graceful_shutdown"] else "NOT gracefully"
        out(f"Server(s) stopped {how} on SIGTERM within {context['server_shutdown_seconds']} s.")
        return report
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _prepare(engine: Engine, config: BenchConfig, out: Any) -> SeedInfo:
    plan = config.plan
    existing = find_bench_workspace(engine)
    if existing is not None and config.reset:
        out("Removing the previous bench workspace ...")
        drop_bench_workspace(engine)
        existing = None
    if existing is not None:
        if (existing.messages, existing.cases, existing.customers) != (
            plan.messages,
            plan.cases,
            plan.customers,
        ):
            raise BenchDataMismatch(
                f"this database holds a bench workspace with {existing.messages:,} messages, "
                f"{existing.cases:,} cases and {existing.customers:,} customers; "
                "run with --reset to replace it"
            )
        out(f"Reusing the bench workspace ({existing.messages:,} messages, {existing.cases:,} cases).")
        return existing
    out(
        f"Seeding {plan.messages:,} messages in {plan.cases:,} cases for {plan.customers:,} customers "
        f"({engine.dialect.name}) ..."
    )
    info = seed_bench(engine, plan, progress=config.progress)
    out(f"Seeded in {info.seconds:.1f} s ({plan.messages / max(info.seconds, 1e-9):,.0f} messages/s).")
    return info


def _create_token(engine: Engine, info: SeedInfo) -> str:
    from sprawa.auth.models import Role
    from sprawa.auth.schemas import Principal
    from sprawa.auth.service import do_create_api_token

    admin = Principal(workspace_id=info.workspace_id, role=Role.ADMIN, user_id=info.admin_user_id)
    with Session(engine) as session, session.begin():
        return do_create_api_token(session, admin, "bench", Role.AGENT)


def _pool(engine: Engine, info: SeedInfo) -> Pool:
    from sprawa.cases.models import Case, CaseStatus
    from sprawa.customers.models import Customer

    ws = info.workspace_id
    with Session(engine) as session:
        cases = session.execute(select(Case.id, Case.status).where(Case.workspace_id == ws)).all()
        customers = list(session.scalars(select(Customer.id).where(Customer.workspace_id == ws)))
        names = session.scalars(select(Customer.name).where(Customer.workspace_id == ws).limit(20))
        surnames = [name.split()[-1] for name in names if name]
    return Pool(
        case_ids=[c.id for c in cases],
        open_case_ids=[c.id for c in cases if c.status != CaseStatus.CLOSED] or [c.id for c in cases],
        customer_ids=customers,
        agent_ids=info.agent_ids or [info.admin_user_id],
        search_terms=SEARCH_WORDS + surnames,
    )


def add_bench_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bench = sub.add_parser("bench", help="benchmarks (bench api: the agent API under load)")
    kinds = bench.add_subparsers(dest="bench", required=True)
    api = kinds.add_parser("api", help="seed a workspace, run the real server, measure the agent API")
    api.add_argument("--messages", type=int, default=100_000, help="messages to seed (default 100000)")
    api.add_argument("--cases", type=int, default=None, help="cases to seed (default messages/10)")
    api.add_argument("--customers", type=int, default=None, help="customers (default 3000, at most cases)")
    api.add_argument("--clients", type=int, default=8, help="closed-loop clients (default 8)")
    api.add_argument("--servers", type=int, default=1, help="server processes (default 1)")
    api.add_argument("--duration", type=float, default=30.0, help="measured seconds (default 30)")
    api.add_argument("--warmup", type=float, default=None, help="unmeasured seconds first (default 2)")
    api.add_argument("--database-url", default="", help="target database (default: a fresh SQLite file)")
    api.add_argument("--reset", action="store_true", help="replace an existing bench workspace")
    api.add_argument("--mix", choices=sorted(MIXES), default="api", help="request mix (default api)")
    api.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    api.set_defaults(handler=cmd_bench_api)
    from sprawa.bench.commerce import add_commerce_bench

    add_commerce_bench(kinds)
    from sprawa.bench.insights import add_insights_bench

    add_insights_bench(kinds)
    from sprawa.bench.ui import add_ui_command

    add_ui_command(kinds)
    from sprawa.ai.bench import add_bench_ai_command

    add_bench_ai_command(kinds)
    from sprawa.channels.bench import add_bench_ingest

    add_bench_ingest(kinds)


def cmd_bench_api(settings: Any, args: argparse.Namespace) -> None:
    # One line per client request would drown the report.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    cases = args.cases or max(1, args.messages // 10)
    customers = args.customers or min(3000, cases)
    config = BenchConfig(
        plan=SeedPlan(messages=args.messages, cases=cases, customers=customers),
        database_url=args.database_url,
        clients=args.clients,
        servers=args.servers,
        duration=args.duration,
        warmup=args.warmup,
        mix=args.mix,
        reset=args.reset,
    )
    try:
        report = run_api_bench(config)
    except (BenchDataMismatch, ValueError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(2)
    if args.json:
        report.write_json(args.json)
        print(f"Figures written to {args.json}")
    if report.total_errors:
        sys.exit(1)
