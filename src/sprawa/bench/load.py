"""Load generation against a real server: uvicorn in a subprocess, closed-loop HTTP clients.

Each client is a thread with its own keep-alive connection that sends the next request as soon as the last
one answered (closed loop), choosing the operation by the weights of the mix. Latency is measured in the
client from sending the request to having read the whole body, so it includes HTTP and JSON costs.
"""

import contextlib
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

REQUEST_TIMEOUT = 30.0


@dataclass
class Pool:
    """Ids and words the operations pick from (read from the seeded database)."""

    case_ids: list[str]
    open_case_ids: list[str]
    customer_ids: list[str]
    agent_ids: list[str]
    search_terms: list[str]


Request = tuple[str, str, dict[str, Any] | None]
"""(method, path with query, JSON body or None)."""


@dataclass(frozen=True)
class Operation:
    name: str
    weight: float
    build: Callable[[random.Random, Pool], Request]


def _inbox(rng: random.Random, pool: Pool) -> Request:
    # What agents actually click: the open inbox, sometimes narrowed to "mine", a priority or a status.
    params: dict[str, str] = {"status": "open", "limit": "25"}
    roll = rng.random()
    if roll < 0.25:
        params["assignee_id"] = rng.choice(pool.agent_ids)
    elif roll < 0.40:
        params["priority"] = rng.choice(("high", "urgent"))
    elif roll < 0.55:
        params["status"] = rng.choice(("new", "pending_customer"))
    return "GET", f"/api/v1/cases?{urlencode(params)}", None


def _open_case(rng: random.Random, pool: Pool) -> Request:
    return "GET", f"/api/v1/cases/{rng.choice(pool.case_ids)}", None


REPLY_TEXTS = [
    "Dzień dobry, sprawdzamy status przesyłki i wrócimy z odpowiedzią dziś po południu.",
    "Dzień dobry, zwrot został zaksięgowany, pieniądze wrócą w ciągu 3 dni roboczych.",
    "Dziękujemy za zdjęcia, reklamacja jest przyjęta — wyślemy nowy egzemplarz.",
    "Dzień dobry, faktura jest już w załączniku wiadomości e-mail.",
]


def _reply(rng: random.Random, pool: Pool) -> Request:
    return (
        "POST",
        f"/api/v1/cases/{rng.choice(pool.open_case_ids)}/replies",
        {"text": rng.choice(REPLY_TEXTS)},
    )


def _search(rng: random.Random, pool: Pool) -> Request:
    return "GET", f"/api/v1/search?{urlencode({'q': rng.choice(pool.search_terms)})}", None


def _customer(rng: random.Random, pool: Pool) -> Request:
    return "GET", f"/api/v1/customers/{rng.choice(pool.customer_ids)}", None


API_MIX = [
    Operation("inbox", 0.55, _inbox),
    Operation("open_case", 0.25, _open_case),
    Operation("reply", 0.10, _reply),
    Operation("search", 0.05, _search),
    Operation("customer", 0.05, _customer),
]
# For checking the harness itself: endpoints that exist in every build.
SMOKE_MIX = [
    Operation("healthz", 0.5, lambda rng, pool: ("GET", "/healthz", None)),
    Operation("me", 0.5, lambda rng, pool: ("GET", "/api/v1/auth/me", None)),
]
MIXES = {"api": API_MIX, "smoke": SMOKE_MIX}


@dataclass
class Samples:
    """Raw outcome of a run: latencies (seconds) of successful requests and errors, per operation."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, Counter[str]] = field(default_factory=dict)
    error_examples: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    client_cpu_seconds: float = 0.0

    def merge(self, other: "Samples") -> None:
        for name, values in other.latencies.items():
            self.latencies.setdefault(name, []).extend(values)
        for name, counter in other.errors.items():
            self.errors.setdefault(name, Counter()).update(counter)
        for name, examples in other.error_examples.items():
            mine = self.error_examples.setdefault(name, [])
            mine.extend(examples[: max(0, 3 - len(mine))])


def _client_loop(
    base_url: str,
    token: str,
    mix: list[Operation],
    pool: Pool,
    seed: int,
    record_from: float,
    stop_at: float,
    out: Samples,
) -> None:
    rng = random.Random(seed)
    names = [op.name for op in mix]
    weights = [op.weight for op in mix]
    ops = {op.name: op for op in mix}
    for name in names:
        out.latencies[name] = []
        out.errors[name] = Counter()
        out.error_examples[name] = []
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT) as client:
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                return
            name = rng.choices(names, weights)[0]
            method, path, body = ops[name].build(rng, pool)
            error: str | None = None
            detail = ""
            try:
                response = client.request(method, path, json=body)
                response.read()
                if response.status_code >= 400:
                    error = f"HTTP {response.status_code}"
                    detail = f"{method} {path.split('?')[0]} -> {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
                detail = f"{method} {path.split('?')[0]} -> {error}: {exc}"
            elapsed = time.perf_counter() - started
            if started < record_from:
                continue
            if error is None:
                out.latencies[name].append(elapsed)
            else:
                out.errors[name][error] += 1
                if len(out.error_examples[name]) < 3:
                    out.error_examples[name].append(detail)


def run_load(
    base_urls: list[str],
    token: str,
    pool: Pool,
    *,
    mix: list[Operation],
    clients: int,
    duration: float,
    warmup: float,
    seed: int = 7,
) -> Samples:
    """``clients`` closed-loop threads for ``warmup`` + ``duration`` seconds; only the latter is recorded.

    Clients are spread over ``base_urls`` round-robin (several server processes, as behind a balancer).
    """
    begin = time.perf_counter()
    record_from = begin + warmup
    stop_at = record_from + duration
    parts = [Samples() for _ in range(clients)]
    cpu_before = time.process_time()
    threads = [
        threading.Thread(
            target=_client_loop,
            args=(
                base_urls[i % len(base_urls)],
                token,
                mix,
                pool,
                seed * 1000 + i,
                record_from,
                stop_at,
                parts[i],
            ),
            name=f"bench-client-{i}",
            daemon=True,
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Samples()
    for part in parts:
        total.merge(part)
    total.seconds = max(time.perf_counter() - record_from, 1e-9)
    total.client_cpu_seconds = time.process_time() - cpu_before
    return total


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerRun:
    base_url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    shutdown_seconds: float | None = None
    exit_code: int | None = None
    # uvicorn logged a complete shutdown (after SIGTERM it re-raises the signal, so the exit code is -15).
    graceful: bool = False

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def running_servers(database_url: str, count: int = 1) -> Iterator[list[ServerRun]]:
    """``count`` independent ``sprawa serve`` processes on one database (stateless, as in production)."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(running_server(database_url)) for _ in range(count)]


@contextlib.contextmanager
def running_server(database_url: str, *, startup_timeout: float = 60.0) -> Iterator[ServerRun]:
    """``sprawa serve`` (the production entry point) on a free loopback port; SIGTERM on exit.

    The time from SIGTERM to exit is recorded: uvicorn finishes in-flight requests, then the lifespan
    stops the bus (graceful shutdown, the same path as a deployment's stop).
    """
    workdir = Path(tempfile.mkdtemp(prefix="sprawa-bench-server-"))
    port = free_port()
    env = {
        **os.environ,
        "SPRAWA_DATABASE_URL": database_url,
        "SPRAWA_HOST": "127.0.0.1",
        "SPRAWA_PORT": str(port),
        "SPRAWA_DATA_DIR": str(workdir),
        "SPRAWA_SECRET_KEY": secrets.token_urlsafe(32),
        "SPRAWA_LOG_LEVEL": "info",
    }
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log_file:
        # cwd is the scratch directory, so a developer's .env cannot change what is measured.
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "sprawa.cli", "serve"],
            cwd=workdir,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    run = ServerRun(base_url=f"http://127.0.0.1:{port}", log_path=log_path, process=process)
    try:
        _wait_ready(run, startup_timeout)
        yield run
    finally:
        _stop(run)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_ready(run: ServerRun, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=run.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if run.process.poll() is not None:
                raise RuntimeError(f"the server exited with {run.process.returncode}:\n{run.log_tail()}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"the server did not become healthy in {timeout:.0f} s:\n{run.log_tail()}")


def _stop(run: ServerRun) -> None:
    if run.process.poll() is None:
        started = time.monotonic()
        run.process.send_signal(signal.SIGTERM)
        try:
            run.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            run.process.kill()
            run.process.wait()
        run.shutdown_seconds = time.monotonic() - started
    run.exit_code = run.process.returncode
    with contextlib.suppress(OSError):
        run.graceful = "Finished server process" in run.log_path.read_text(errors="replace")
