"""``sprawa bench ai`` (second half): knowledge retrieval and end-to-end reply latency.

End to end = from the customer's message committed in the database (as the channel stores it) to the
AI's reply committed in the outbox, measured around the worker's ``run_once`` (claim + understand +
identify + shop lookups + policy + reply + decision records). It runs on a scratch SQLite database
with the seeded demo shop (no sample cases), one new conversation per message.
"""

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sprawa.ai.bench import percentile


def _figures(samples: list[float]) -> dict[str, float]:
    return {
        "count": len(samples),
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "max_ms": max(samples),
        "mean_ms": statistics.fmean(samples),
    }


def _cpu(samples: list[float]) -> dict[str, float]:
    """CPU time of this thread: what a message costs when the machine is not shared."""
    return {"cpu_p50_ms": percentile(samples, 50), "cpu_p95_ms": percentile(samples, 95)}


MESSAGES = [
    "Dzień dobry, gdzie jest moja paczka? Zamówienie {n}",
    "Kiedy dotrze zamówienie {n}?",
    "Chcę zwrócić zamówienie {n}",
    "Ile kosztuje dostawa do Paczkomatu?",
    "Do której godziny pracuje obsługa klienta?",
    "Hi, where is my order {n}?",
    "Czy mogę anulować zamówienie {n}?",
    "Jak mogę zapłacić za zamówienie? Czy jest BLIK?",
    "Zamówienie {n} przyszło uszkodzone, składam reklamację",
    "Chcę rozmawiać z konsultantem",
]


def bench_pipeline(count: int = 200, seed: int = 7) -> dict[str, Any]:
    """Retrieval and end-to-end latency figures on a freshly seeded demo shop."""
    from sprawa.ai.retrieval import search
    from sprawa.cases.models import AuthorKind, Message
    from sprawa.channels.base import IdentityClaim, InboundMessage
    from sprawa.channels.models import Channel, ChannelKind
    from sprawa.channels.service import ingest_message
    from sprawa.commerce.demo.models import DemoCustomer, DemoOrder
    from sprawa.config import Settings
    from sprawa.customers.models import IdentityKind
    from sprawa.db import Base
    from sprawa.platform.ids import new_id
    from sprawa.runtime import Runtime
    from sprawa.seed import seed_demo

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="sprawa-bench-ai-") as tmp:
        settings = Settings(data_dir=Path(tmp), _env_file=None)  # type: ignore[call-arg]
        runtime = Runtime.build(settings)
        try:
            import sprawa.models  # noqa: F401 - the whole schema

            Base.metadata.create_all(runtime.engine)
            with runtime.factory.begin() as session:
                workspace_id = seed_demo(session, settings, runtime.ingest, with_cases=False)["workspace_id"]
            with runtime.factory.begin() as session:
                channel = session.scalars(
                    select(Channel).where(
                        Channel.workspace_id == workspace_id, Channel.kind == ChannelKind.WEBCHAT
                    )
                ).one()
                rows = session.execute(
                    select(DemoCustomer.email, DemoOrder.number)
                    .join(DemoOrder, DemoOrder.customer_id == DemoCustomer.id)
                    .where(DemoCustomer.workspace_id == workspace_id, DemoCustomer.email.is_not(None))
                ).all()
                queries = [m.format(n="") for m in MESSAGES]
                retrieval, retrieval_cpu = [], []
                for i in range(max(50, count)):
                    started, cpu = time.perf_counter(), time.thread_time()
                    search(session, workspace_id, queries[i % len(queries)], "pl")
                    retrieval.append((time.perf_counter() - started) * 1000)
                    retrieval_cpu.append((time.thread_time() - cpu) * 1000)
            worker = runtime.worker()
            end_to_end, end_to_end_cpu, answered = [], [], 0
            for i in range(count):
                email, number = rng.choice(rows)
                text = MESSAGES[i % len(MESSAGES)].format(n=number)
                with runtime.factory.begin() as session:
                    stored = ingest_message(
                        session,
                        runtime.ingest,
                        session.get(Channel, channel.id),
                        InboundMessage(
                            provider_message_id=new_id(),
                            thread_external_id=f"bench-{i}",
                            identities=[IdentityClaim(IdentityKind.EMAIL, email, verified=True)],
                            text=text,
                        ),
                    )
                    assert stored is not None
                    case_id = stored.case_id
                started, cpu = time.perf_counter(), time.thread_time()
                while worker.run_once():
                    with runtime.factory() as session:
                        if session.scalar(
                            select(Message.id).where(
                                Message.case_id == case_id, Message.author_kind == AuthorKind.AI
                            )
                        ):
                            answered += 1
                            break
                end_to_end.append((time.perf_counter() - started) * 1000)
                end_to_end_cpu.append((time.thread_time() - cpu) * 1000)
        finally:
            runtime.close()
    return {
        "retrieval": _figures(retrieval) | _cpu(retrieval_cpu),
        "end_to_end": _figures(end_to_end) | _cpu(end_to_end_cpu) | {"answered": answered},
    }


def report_pipeline(figures: dict[str, Any], count: int) -> None:
    """Measure and print the retrieval and end-to-end lines of ``sprawa bench ai`` (adds to ``figures``)."""
    import os

    measured = bench_pipeline(count)
    figures.update(measured)
    r, e = measured["retrieval"], measured["end_to_end"]
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    print(
        f"retrieval (embed query + keyword + vector over the demo articles), {r['count']} queries: "
        f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms; CPU time p50 {r['cpu_p50_ms']:.1f} ms, "
        f"p95 {r['cpu_p95_ms']:.1f} ms; {load}"
    )
    verdict = "meets" if e["p95_ms"] < 300 else "MISSES"
    print(
        f"end to end (inbound stored → AI reply in the outbox), {e['count']} new conversations "
        f"({e['answered']} answered): p50 {e['p50_ms']:.1f} ms, p95 {e['p95_ms']:.1f} ms "
        f"({verdict} the p95 < 300 ms target); CPU time p50 {e['cpu_p50_ms']:.1f} ms, "
        f"p95 {e['cpu_p95_ms']:.1f} ms; {load}"
    )
