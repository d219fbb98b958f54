"""``sprawa bench ui``: server-side render time of the agent workspace's heaviest pages.

Seeds the bench workspace (default 10,000 cases, every one of them open: cases the seed made resolved or
closed are reopened, so the "all open" view really spans all of them), adds one case with 200 messages,
signs in as an agent and requests each page in-process through the whole ASGI stack (middleware, session,
queries, Jinja). Prints p50/p95/max per page; the target is p95 < 100 ms.

Without ``--database-url`` the run uses a fresh SQLite file in a temporary directory.
"""

import argparse
import os
import secrets
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from sprawa.bench.report import percentile
from sprawa.bench.seed import SeedPlan, analyse, drop_bench_workspace, find_bench_workspace, seed_bench

LONG_CASE_MESSAGES = 200
AGENT_EMAIL = "agent1@bench.sprawa.local"
AGENT_PASSWORD = "bench-password-1"  # noqa: S105 (the bench seed's published password)
TARGET_MS = 100.0


def _prepare(engine: Engine, cases: int, out: Any) -> tuple[str, str]:
    """Seed (replacing an earlier bench workspace), open every case, make one case 200 messages long."""
    from sprawa.cases.models import AuthorKind, Case, CaseStatus, DeliveryStatus, Direction, Message
    from sprawa.channels.models import Thread

    if find_bench_workspace(engine) is not None:
        drop_bench_workspace(engine)
    out(f"Seeding {cases} cases ...")
    info = seed_bench(engine, SeedPlan(messages=cases * 4, cases=cases, customers=min(3000, cases)))
    with engine.begin() as conn:
        conn.execute(
            update(Case)
            .where(
                Case.workspace_id == info.workspace_id,
                Case.status.in_([CaseStatus.RESOLVED, CaseStatus.CLOSED]),
            )
            .values(status=CaseStatus.OPEN, resolved_at=None, closed_at=None)
        )
        case = conn.execute(
            select(Case.id, Case.customer_id, Case.last_seq, Case.created_at)
            .where(Case.workspace_id == info.workspace_id)
            .order_by(Case.last_message_at.desc())
            .limit(1)
        ).one()
        thread = conn.execute(
            select(Thread.id, Thread.channel_id).where(Thread.case_id == case.id).limit(1)
        ).one()
        extra = LONG_CASE_MESSAGES - case.last_seq
        rows = []
        for i in range(extra):
            inbound = i % 2 == 0
            rows.append(
                {
                    "id": f"01benchlongcase{i:011d}",
                    "workspace_id": info.workspace_id,
                    "case_id": case.id,
                    "thread_id": thread.id,
                    "channel_id": thread.channel_id,
                    "customer_id": case.customer_id,
                    "seq": case.last_seq + i + 1,
                    "direction": Direction.INBOUND if inbound else Direction.OUTBOUND,
                    "author_kind": AuthorKind.CUSTOMER if inbound else AuthorKind.AGENT,
                    "body_text": f"Wiadomość {i + 1}: " + "czy paczka już wyszła z magazynu? " * (1 + i % 5),
                    "delivery_status": DeliveryStatus.RECEIVED if inbound else DeliveryStatus.SENT,
                    "created_at": case.created_at + timedelta(minutes=i + 1),
                }
            )
        if rows:
            conn.execute(insert(Message), rows)
            conn.execute(update(Case).where(Case.id == case.id).values(last_seq=case.last_seq + extra))
        open_cases = conn.execute(
            select(func.count()).select_from(Case).where(Case.workspace_id == info.workspace_id)
        ).scalar_one()
    analyse(engine)
    out(f"Open cases: {open_cases}; case {case.id} has {LONG_CASE_MESSAGES} messages.")
    return info.workspace_id, case.id


def run_ui_bench(
    cases: int, rounds: int, database_url: str, *, keep: bool = False, out: Any = print
) -> dict[str, dict[str, float]]:
    from fastapi.testclient import TestClient

    from sprawa.app import create_app
    from sprawa.auth.service import do_login
    from sprawa.config import Settings
    from sprawa.db import make_engine
    from sprawa.deps import SESSION_COOKIE
    from sprawa.platform.migrations import upgrade
    from sprawa.runtime import Runtime

    scratch = Path(tempfile.mkdtemp(prefix="sprawa-bench-ui-"))
    url = database_url or f"sqlite:///{scratch / 'bench.db'}"
    try:
        upgrade(url)
        engine = make_engine(url)
        try:
            _, long_case = _prepare(engine, cases, out)
        finally:
            engine.dispose()
        settings = Settings(
            database_url=url, data_dir=scratch, secret_key=secrets.token_urlsafe(32), _env_file=None
        )
        runtime = Runtime.build(settings)
        pages = {
            "inbox: all open, newest": "/app/inbox",
            "inbox: longest waiting": "/app/inbox?sort=waiting",
            "inbox: SLA due": "/app/inbox?sort=sla",
            "inbox: unassigned, priority": "/app/inbox?view=unassigned&sort=priority",
            "inbox: search 'paczka'": "/app/inbox?q=paczka",
            f"case: {LONG_CASE_MESSAGES} messages": f"/app/cases/{long_case}",
        }
        figures: dict[str, dict[str, float]] = {}
        try:
            token = do_login(runtime.factory, AGENT_EMAIL, AGENT_PASSWORD).token
            with TestClient(create_app(settings, runtime=runtime)) as client:
                client.cookies.set(SESSION_COOKIE, token)
                for name, path in pages.items():
                    for _ in range(3):  # warm-up: template compilation, caches
                        assert client.get(path).status_code == 200, path
                    times, cpu = [], []
                    for _ in range(rounds):
                        started, started_cpu = time.perf_counter(), time.process_time()
                        response = client.get(path)
                        times.append((time.perf_counter() - started) * 1000)
                        cpu.append((time.process_time() - started_cpu) * 1000)
                        assert response.status_code == 200, path
                    times.sort()
                    cpu.sort()
                    figures[name] = {
                        "p50_ms": round(percentile(times, 0.5), 1),
                        "p95_ms": round(percentile(times, 0.95), 1),
                        "max_ms": round(times[-1], 1),
                        "cpu_p50_ms": round(percentile(cpu, 0.5), 1),
                        "cpu_p95_ms": round(percentile(cpu, 0.95), 1),
                    }
        finally:
            runtime.close()
        load = os.getloadavg()[0]
        out("")
        out(f"Server-side render time, {rounds} requests per page ({make_engine(url).dialect.name}):")
        out(f"  {'page':<32} {'p50':>8} {'p95':>8} {'max':>8} {'CPU p50':>8} {'CPU p95':>8}")
        for name, f in figures.items():
            flag = "" if f["p95_ms"] < TARGET_MS else "  (p95 over 100 ms)"
            out(
                f"  {name:<32} {f['p50_ms']:>6.1f}ms {f['p95_ms']:>6.1f}ms {f['max_ms']:>6.1f}ms "
                f"{f['cpu_p50_ms']:>6.1f}ms {f['cpu_p95_ms']:>6.1f}ms{flag}"
            )
        # Wall time on a busy machine includes waiting for a core; CPU time is the work itself.
        out(f"{os.cpu_count()} CPU cores, 1-minute load average {load:.1f} during the run.")
        return figures
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            out(f"The seeded database stays in {scratch}")


def add_ui_command(kinds: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ui = kinds.add_parser("ui", help="server-side render time of the inbox and of a long case")
    ui.add_argument("--cases", type=int, default=10_000, help="open cases to seed (default 10000)")
    ui.add_argument("--rounds", type=int, default=50, help="measured requests per page (default 50)")
    ui.add_argument("--database-url", default="", help="target database (default: a fresh SQLite file)")
    ui.add_argument("--keep", action="store_true", help="keep the temporary SQLite database for a look")
    ui.set_defaults(handler=cmd_bench_ui)


def cmd_bench_ui(settings: Any, args: argparse.Namespace) -> None:
    run_ui_bench(args.cases, args.rounds, args.database_url, keep=args.keep)
