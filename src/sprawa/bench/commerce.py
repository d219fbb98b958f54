"""``sprawa bench commerce``: order-context latency for the agent view, from the cache and refreshed.

A fake WooCommerce shop (REST API v3 over real HTTP on 127.0.0.1, with a configurable network latency) holds
the orders; a fresh SQLite database holds Sprawa. For a sample of customers it times
``order_context`` three ways: from the cache, refreshed from the shop (``fresh=True``), and refreshed while
the shop answers 500 (the stale-data fallback, bounded by the timeout).
"""

import argparse
import random
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from sprawa.commerce.actions.freshness import order_context
from sprawa.commerce.remote import ConnectorEnv
from sprawa.commerce.woocommerce.fake import FakeWooCommerce, make_order
from sprawa.config import Settings
from sprawa.customers.models import Customer
from sprawa.platform.migrations import upgrade
from sprawa.runtime import Runtime
from sprawa.workspaces.models import Workspace


@contextmanager
def _serve(app: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000, "max": ordered[-1] * 1000}


def run_commerce_bench(
    *,
    customers: int = 200,
    orders_each: int = 5,
    samples: int = 100,
    latency_ms: float = 40.0,
    timeout: float = 2.0,
    out: Callable[[str], None] = print,
) -> dict[str, dict[str, float]]:
    scratch = Path(tempfile.mkdtemp(prefix="sprawa-bench-commerce-"))
    url = f"sqlite:///{scratch / 'bench.db'}"
    upgrade(url)
    settings = Settings(
        data_dir=scratch,
        database_url=url,
        secret_key="bench-only-secret",  # noqa: S106 - a throwaway database
        outbound_allow=["127.0.0.1"],
        _env_file=None,
    )
    runtime = Runtime.build(settings)
    shop = FakeWooCommerce(latency=latency_ms / 1000)
    emails = [f"klient{c}@example.pl" for c in range(customers)]
    shop.orders = {
        n: make_order(n, email=emails[(n - 1) % customers], tracking=f"6{n:023d}" if n % 2 else None)
        for n in range(1, customers * orders_each + 1)
    }
    env = ConnectorEnv(runtime.http, runtime.ingest.secrets)
    results: dict[str, list[float]] = {"cached": [], "refresh": [], "refresh, shop down": []}
    try:
        with _serve(shop.app) as base:
            with runtime.factory.begin() as session:
                creds = runtime.ingest.secrets.seal({"consumer_key": "ck_test", "consumer_secret": "cs_test"})
                ws = Workspace(
                    slug="bench-commerce",
                    name="Bench",
                    settings={"commerce": {"kind": "woocommerce", "base_url": base, "credentials": creds}},
                )
                session.add(ws)
                session.flush()
                people = [
                    Customer(workspace_id=ws.id, name=f"Klient {i}", email=e) for i, e in enumerate(emails)
                ]
                session.add_all(people)
                session.flush()
                ids = [p.id for p in people]
            picked = random.Random(7).sample(ids, min(samples, len(ids)))  # noqa: S311 - a sample, not a secret
            out(
                f"Shop: fake WooCommerce, {len(shop.orders)} orders, +{latency_ms:.0f} ms per request; "
                f"{len(picked)} customers sampled, refresh timeout {timeout:.1f} s"
            )

            def timed(label: str, customer_id: str, fresh: bool) -> Any:
                with runtime.factory.begin() as session:
                    customer = session.get(Customer, customer_id)
                    started = time.perf_counter()
                    ctx = order_context(session, customer, env=env, fresh=fresh, timeout=timeout)
                    results[label].append(time.perf_counter() - started)
                    return ctx

            for cid in picked:
                ctx = timed("refresh", cid, True)
                assert ctx.refreshed and ctx.orders, "the refresh found the customer's orders"
            for cid in picked:
                timed("cached", cid, False)
            shop.fail = [(500, {})] * (len(picked) * 10)
            for cid in picked[: max(10, len(picked) // 5)]:
                assert timed("refresh, shop down", cid, True).stale
    finally:
        runtime.close()
    figures = {label: _percentiles(values) for label, values in results.items()}
    out(f"{'order context':<22}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for label, f in figures.items():
        out(f"{label:<22}{f['p50']:>9.1f}{f['p95']:>9.1f}{f['p99']:>9.1f}{f['max']:>9.1f}")
    return figures


def add_commerce_bench(kinds: Any) -> None:
    p = kinds.add_parser("commerce", help="order-context latency for the agent view (cached and refreshed)")
    p.add_argument("--customers", type=int, default=200)
    p.add_argument("--orders-each", type=int, default=5)
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--latency-ms", type=float, default=40.0, help="added to every shop answer (default 40)")
    p.add_argument("--timeout", type=float, default=2.0, help="refresh budget in seconds (default 2)")
    p.set_defaults(handler=cmd_bench_commerce)


def cmd_bench_commerce(settings: Any, args: argparse.Namespace) -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("sprawa").setLevel(logging.WARNING)
    run_commerce_bench(
        customers=args.customers,
        orders_each=args.orders_each,
        samples=args.samples,
        latency_ms=args.latency_ms,
        timeout=args.timeout,
    )
