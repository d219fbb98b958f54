"""``sprawa bench ai``: latency of the AI first line per message on this CPU.

``bench_triage`` measures ``NLU.understand`` (language, normalisation, embedding, intent, frustration,
entities) over realistic messages (the held-out utterances, cycled), after a warm-up. Targets: p95 <
50 ms per message. Other AI stages (retrieval, end-to-end) add their own functions here and their lines
to ``cmd_bench_ai``.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def bench_triage(nlu: Any, messages: list[str], count: int = 500, warmup: int = 20) -> dict[str, float]:
    """Per-message ``understand()`` latency in ms: p50, p95, p99, mean, max over ``count`` calls."""
    if not messages:
        raise ValueError("bench_triage needs at least one message")
    for i in range(warmup):
        nlu.understand(messages[i % len(messages)])
    samples, cpu = [], []
    for i in range(count):
        started, cpu_started = time.perf_counter(), time.thread_time()
        nlu.understand(messages[i % len(messages)])
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
    return {
        "count": count,
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "p99_ms": percentile(samples, 99),
        "mean_ms": statistics.fmean(samples),
        "max_ms": max(samples),
        # CPU time of this thread: what a message costs when the machine is not shared.
        "cpu_p50_ms": percentile(cpu, 50),
        "cpu_p95_ms": percentile(cpu, 95),
    }


def cmd_bench_ai(settings: Any, args: argparse.Namespace) -> None:
    from sprawa.ai.nlu import get_nlu
    from sprawa.ai.nlu.dataset import TEST_FILE, load_examples

    started = time.perf_counter()
    nlu = get_nlu(settings.nlu_cache_dir)
    print(f"Models loaded in {time.perf_counter() - started:.2f} s")
    messages = [e.text for e in load_examples(TEST_FILE)]
    figures = {"triage": bench_triage(nlu, messages, count=args.count)}
    t = figures["triage"]
    verdict = "meets" if t["p95_ms"] < 50 else "MISSES"
    print(
        f"triage (understand) per message, {t['count']} calls: p50 {t['p50_ms']:.1f} ms, "
        f"p95 {t['p95_ms']:.1f} ms, p99 {t['p99_ms']:.1f} ms, max {t['max_ms']:.1f} ms "
        f"({verdict} the p95 < 50 ms target); CPU time p50 {t['cpu_p50_ms']:.1f} ms, "
        f"p95 {t['cpu_p95_ms']:.1f} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    from sprawa.ai.bench_pipeline import report_pipeline

    report_pipeline(figures, min(args.count, 200))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
        print(f"Figures written to {args.json}")
    if t["p95_ms"] >= 50 and args.strict:
        sys.exit(1)


def add_bench_ai_command(kinds: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = kinds.add_parser("ai", help="AI first line latency per message (triage)")
    p.add_argument("--count", type=int, default=500, help="measured messages (default 500)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    p.set_defaults(handler=cmd_bench_ai)
