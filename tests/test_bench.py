"""The API benchmark: realistic seeding, and a tiny end-to-end run against the real server."""

import json
import math

import pytest
from sqlalchemy import func, select

from sprawa.bench import BenchConfig, _prepare, run_api_bench
from sprawa.bench.report import BenchReport, percentile
from sprawa.bench.seed import BenchDataMismatch, SeedPlan, find_bench_workspace, seed_bench
from sprawa.cases.models import Case, CaseStatus, Direction, Message
from sprawa.channels.models import Thread
from sprawa.customers.models import Customer, Identity
from sprawa.workspaces.models import Workspace

TINY = SeedPlan(messages=200, cases=40, customers=20, agents=3)


def test_seeding_makes_consistent_realistic_data(runtime, db):
    info = seed_bench(runtime.engine, TINY, progress=False)
    ws = info.workspace_id
    assert db.get(Workspace, ws).case_counter == 40
    assert db.scalar(select(func.count()).select_from(Message).where(Message.workspace_id == ws)) == 200
    assert db.scalar(select(func.count()).select_from(Customer).where(Customer.workspace_id == ws)) == 20
    assert db.scalar(select(func.count()).select_from(Identity).where(Identity.workspace_id == ws)) >= 20
    cases = db.scalars(select(Case).where(Case.workspace_id == ws).order_by(Case.number)).all()
    assert [c.number for c in cases] == list(range(1, 41))
    seqs: dict[str, list[int]] = {}
    for case_id, seq in db.execute(select(Message.case_id, Message.seq).order_by(Message.seq)):
        seqs.setdefault(case_id, []).append(seq)
    for case in cases:
        # Case.last_seq is the number of the case's last message, and the sequence has no holes.
        assert seqs[case.id] == list(range(1, case.last_seq + 1))
        last = db.scalars(
            select(Message).where(Message.case_id == case.id, Message.seq == case.last_seq)
        ).one()
        assert last.created_at == case.last_message_at
    assert db.scalar(select(func.count()).select_from(Thread).where(Thread.workspace_id == ws)) == 40
    # A new case has not been answered yet.
    new_ids = [c.id for c in cases if c.status == CaseStatus.NEW]
    answered = db.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.case_id.in_(new_ids), Message.direction == Direction.OUTBOUND)
    )
    assert answered == 0
    assert len({c.status for c in cases}) >= 3
    first = db.scalars(select(Message.body_text).where(Message.seq == 1).limit(10)).all()
    assert any(text.startswith(("Dzień dobry", "Witam", "Cześć", "Szanowni", "Hej")) for text in first)


def test_an_existing_bench_workspace_is_reused_or_refused(runtime):
    seed_bench(runtime.engine, TINY, progress=False)
    lines: list[str] = []
    reused = _prepare(runtime.engine, BenchConfig(plan=TINY), lines.append)
    assert reused.reused is True
    assert reused.messages == 200
    with pytest.raises(BenchDataMismatch):
        _prepare(runtime.engine, BenchConfig(plan=SeedPlan(messages=300, cases=40, customers=20)), print)
    assert find_bench_workspace(runtime.engine).messages == 200
    bigger = SeedPlan(messages=300, cases=50, customers=20, agents=3)
    replaced = _prepare(runtime.engine, BenchConfig(plan=bigger, reset=True, progress=False), lines.append)
    assert (replaced.reused, replaced.messages, replaced.cases) == (False, 300, 50)
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(Workspace)) == 1
        assert session.scalar(select(func.count()).select_from(Message)) == 300


def test_percentiles_and_chart():
    values = sorted(i / 1000 for i in range(1, 101))
    assert percentile(values, 0.5) == pytest.approx(0.0505)
    assert percentile(values, 0.99) == pytest.approx(0.09901)
    assert math.isnan(percentile([], 0.5))


def test_tiny_bench_runs_end_to_end(settings, runtime, tmp_path):
    lines: list[str] = []
    config = BenchConfig(
        plan=TINY,
        database_url=settings.resolved_database_url,
        clients=2,
        duration=2.0,
        warmup=0.5,
        progress=False,
    )
    report = run_api_bench(config, lines.append)
    _assert_clean(report, ["inbox", "open_case", "reply", "search", "customer"])
    out = tmp_path / "bench.json"
    report.write_json(out)
    data = json.loads(out.read_text())
    assert set(data["operations"]) == {"inbox", "open_case", "reply", "search", "customer"}
    assert data["messages"] == 200
    assert data["server_graceful_shutdown"] is True
    assert "p99 per operation" in "\n".join(lines)


def _assert_clean(report: BenchReport, names: list[str]) -> None:
    assert [op.name for op in report.operations] == names
    for op in report.operations:
        assert op.errors == 0, op.error_examples
        assert op.requests > 0
        assert op.p99_ms >= op.p50_ms > 0
    assert report.overall.requests == sum(op.requests for op in report.operations)
