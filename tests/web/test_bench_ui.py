"""``sprawa bench ui`` at a toy size: every page it measures renders, and it reports p50/p95."""

import os

import pytest

from sprawa.bench.ui import LONG_CASE_MESSAGES, run_ui_bench

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("SPRAWA_TEST_DATABASE_URL")), reason="the command seeds its own SQLite file"
)


def test_bench_ui_measures_the_inbox_and_a_long_case():
    lines: list[str] = []
    figures = run_ui_bench(40, 2, "", out=lines.append)

    assert f"case: {LONG_CASE_MESSAGES} messages" in figures
    assert all(f["p50_ms"] > 0 and f["p95_ms"] >= f["p50_ms"] for f in figures.values())
    assert any(line.startswith("Open cases: 40;") for line in lines)
