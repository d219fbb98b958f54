"""``sprawa chaos``: the durability proof. Real processes, real faults, exact accounting.

A real ``sprawa serve`` process takes inbound messages on the form webhook: every message is posted
once, 30 % are posted again (the same id, sometimes at the same moment as the original), 20 % arrive
out of order. Real ``sprawa worker`` processes normalise them and deliver the replies while being
killed with SIGKILL at random moments and restarted. Every case gets a reply, delivered through a fake
shop endpoint that answers 429 (Retry-After in seconds or as an HTTP date), 500, times out, or applies
the reply and then times out. After the chaos a final worker runs until nothing is left, and the run
checks that:

- every acknowledged message is stored exactly once and became exactly one message,
- messages of one thread ended in one case,
- every reply reached the shop and was applied exactly once (per ``Idempotency-Key``),
- no job is left pending, running or dead.

The tests run a reduced version (``tests/e2e/test_durability.py``); ``make chaos`` the full one on SQLite
and PostgreSQL. The fake shop endpoint lives in ``tests/fakes`` (a source checkout is needed).
"""

import argparse
import contextlib
import json
import logging
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import httpx
from sqlalchemy import exists, func, select

from sprawa.platform.crypto import hmac_sha256_hex

Progress = Callable[[str], None]
REPLY_ROUTE = re.compile(r"^/api/v1/cases/\{[^}]+\}/replies$")
SIGNING_SECRET = "chaos-signing-secret"  # noqa: S105 - a throwaway scratch channel


class CallbackFake(Protocol):
    """What the run needs of the fake shop endpoint (``tests.fakes.callback.FakeCallback``)."""

    @property
    def url(self) -> str: ...

    def keys_applied(self) -> set[str]: ...

    def duplicates_applied(self) -> int: ...

    def repeats(self) -> int: ...

    def outcomes(self) -> Counter[str]: ...


@dataclass
class ChaosConfig:
    events: int = 1000
    duplicate_ratio: float = 0.3
    out_of_order_ratio: float = 0.2
    kill_every: tuple[float, float] = (1.0, 5.0)
    # The chaos phase lasts at least this many kills, however fast the work is done.
    min_kills: int = 3
    senders: int = 8
    # Posts per second (0: as fast as the server takes them). Paced posting lets the worker interleave
    # normalising with deliveries, so kills land in both.
    post_rate: float = 0.0
    # Seconds the kill phase may last after the last post (None: until everything is done); whatever
    # is left then is finished by the final worker.
    chaos_seconds: float | None = None
    callback_timeout: float = 1.0
    lease_seconds: int = 5
    worker_batch: int = 5
    backoff_base: float = 0.25
    backoff_cap: float = 4.0
    deadline_seconds: float = 900.0
    seed: int | None = None


@dataclass
class ChaosReport:
    database: str = ""
    seed: int = 0
    distinct_events: int = 0
    events_sent: int = 0
    replays: int = 0
    out_of_order: int = 0
    overtook_own_thread: int = 0
    acknowledged: int = 0
    events_stored: int = 0
    duplicates_dropped: int = 0
    messages_stored: int = 0
    worker_starts: int = 0
    kills: int = 0
    # (messages normalised, replies delivered) before the final worker started.
    done_in_chaos: tuple[int, int] = (0, 0)
    cases: int = 0
    replies: int = 0
    reply_path: str = ""
    deliveries: int = 0
    delivery_outcomes: dict[str, int] = field(default_factory=dict)
    applied: int = 0
    idempotent_repeats: int = 0
    duplicates_applied: int = 0
    lost: int = 0
    jobs_left: int = 0
    dead_jobs: int = 0
    elapsed: float = 0.0
    failures: list[str] = field(default_factory=list)
    logs: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures

    def lines(self) -> list[str]:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.delivery_outcomes.items()))
        return [
            f"Chaos run on {self.database} (seed {self.seed})",
            f"  events sent            {self.events_sent} ({self.distinct_events} distinct, "
            f"{self.replays} replayed, {self.out_of_order} out of order, "
            f"{self.overtook_own_thread} overtook their own thread)",
            f"  acknowledged (202)     {self.acknowledged}",
            f"  events stored          {self.events_stored}",
            f"  duplicates dropped     {self.duplicates_dropped}",
            f"  messages stored        {self.messages_stored}",
            f"  worker kills (SIGKILL) {self.kills} ({self.worker_starts} worker starts)",
            f"  done under the kills   {self.done_in_chaos[0]}/{self.distinct_events} messages normalised, "
            f"{self.done_in_chaos[1]}/{self.replies} replies delivered (the final worker did the rest)",
            f"  cases / replies        {self.cases} / {self.replies} (replies via {self.reply_path})",
            f"  delivery requests      {self.deliveries} ({outcomes})",
            f"  replies applied        {self.applied} "
            f"(repeats answered idempotently: {self.idempotent_repeats})",
            f"  duplicates applied     {self.duplicates_applied}",
            f"  lost                   {self.lost}",
            f"  jobs left / dead       {self.jobs_left} / {self.dead_jobs}",
            f"  elapsed                {self.elapsed:.1f} s",
            f"  process logs           {self.logs}",
            "RESULT: " + ("PASS" if self.ok else "FAIL\n  - " + "\n  - ".join(self.failures)),
        ]


# The plan -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    provider_id: str
    body: bytes
    replay: bool
    # A replay sent at the same moment as the original, racing it on another connection.
    racing: bool = False


@dataclass
class Plan:
    posts: list[Post]
    thread_of: dict[str, str]
    distinct: int
    replays: int
    out_of_order: int
    overtook: int


def plan_posts(config: ChaosConfig, rng: random.Random, run_id: str) -> Plan:
    """Distinct messages in threads, some moved earlier (out of order), some posted twice."""
    customers = [(f"klient{i}@chaos.example", f"Klient {i}") for i in range(max(1, config.events // 3))]
    threads: list[tuple[str, str, str]] = []
    natural: list[tuple[str, bytes]] = []
    thread_of: dict[str, str] = {}
    for i in range(config.events):
        if not threads or rng.random() < 0.55:
            email, name = rng.choice(customers)
            threads.append((f"{run_id}-t{len(threads)}", email, name))
            thread_id, email, name = threads[-1]
        else:
            thread_id, email, name = rng.choice(threads[-20:])
        provider_id = f"{run_id}-m{i}"
        payload = {
            "id": provider_id,
            "email": email,
            "name": name,
            "subject": f"Zamówienie {thread_id}",
            "text": f"Wiadomość {i}: gdzie jest moja paczka? Proszę o odpowiedź.",
            "thread_id": thread_id,
            "language": "pl",
        }
        natural.append((provider_id, json.dumps(payload, ensure_ascii=False).encode()))
        thread_of[provider_id] = thread_id
    order = list(range(len(natural)))
    moved = rng.sample(order, k=round(len(order) * config.out_of_order_ratio))
    for index in moved:
        position = order.index(index)
        order.pop(position)
        order.insert(max(0, position - rng.randint(1, 25)), index)
    overtook = _overtaking(order, [thread_of[natural[i][0]] for i in range(len(natural))])
    posts = [Post(natural[i][0], natural[i][1], replay=False) for i in order]
    replayed = rng.sample(range(len(natural)), k=round(len(natural) * config.duplicate_ratio))
    for index in replayed:
        provider_id, body = natural[index]
        position = next(p for p, post in enumerate(posts) if post.provider_id == provider_id)
        # Right behind the original (racing it on another connection) or a while later.
        racing = rng.random() < 0.3
        later = 1 if racing else rng.randint(2, 60)
        posts.insert(min(len(posts), position + later), Post(provider_id, body, replay=True, racing=racing))
    return Plan(posts, thread_of, len(natural), len(replayed), len(moved), overtook)


def _overtaking(order: list[int], thread_of_index: list[str]) -> int:
    """How many messages are posted before an earlier message of their own thread."""
    seen_max: dict[str, int] = {}
    count = 0
    for index in order:
        thread = thread_of_index[index]
        if seen_max.get(thread, -1) > index:
            count += 1
        seen_max[thread] = max(seen_max.get(thread, -1), index)
    return count


# Processes ----------------------------------------------------------------------------------------


class Proc:
    """One ``python -m sprawa.cli`` child process with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self._log: IO[bytes] | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> "Proc":
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "sprawa.cli", *self.args],
            env=self.env,
            cwd=self.env["SPRAWA_DATA_DIR"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs in the child."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._close_log()

    def terminate(self, timeout: float = 20.0) -> int | None:
        """SIGTERM and wait for a clean exit (SIGKILL after ``timeout``)."""
        code = None
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_log()
        return code

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class WorkerKiller(threading.Thread):
    """Starts a worker, SIGKILLs it a random while after it began working, starts the next one.

    The clock starts at the worker's first heartbeat, not at spawn: start-up (imports, connections)
    takes a second or more, and a worker killed before it claims anything would prove nothing.
    """

    def __init__(
        self,
        spawn: Callable[[int], Proc],
        working: Callable[[Proc, float], bool],
        every: tuple[float, float],
        rng: random.Random,
    ) -> None:
        super().__init__(name="worker-killer", daemon=True)
        self.spawn = spawn
        self.working = working
        self.every = every
        self.rng = rng
        self.stopping = threading.Event()
        self.starts = 0
        self.kills = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        worker: Proc | None = None
        try:
            while not self.stopping.is_set():
                spawned = time.time()
                worker = self.spawn(self.starts)
                self.starts += 1
                give_up = time.monotonic() + 120
                while not self.working(worker, spawned) and not self.stopping.is_set():
                    if not worker.alive() or time.monotonic() > give_up:
                        raise RuntimeError(f"a worker never started working:\n{worker.tail()}")
                    self.stopping.wait(0.05)
                self.stopping.wait(self.rng.uniform(*self.every))
                worker.kill()
                self.kills += 1
                worker = None
        except BaseException as exc:  # noqa: BLE001 - reported by the run, never silently lost
            self.error = exc
        finally:
            if worker is not None:
                worker.kill()
                self.kills += 1

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)


def heartbeat_seen(runtime: Any) -> Callable[[Proc, float], bool]:
    """Has this worker process written its first heartbeat (it is past start-up)?"""
    from datetime import UTC, datetime

    from sprawa.platform.jobs import WorkerHeartbeat

    def seen(worker: Proc, since: float) -> bool:
        assert worker.proc is not None
        with runtime.factory() as session:
            return (
                session.scalar(
                    select(WorkerHeartbeat.id).where(
                        WorkerHeartbeat.pid == worker.proc.pid,
                        WorkerHeartbeat.seen_at >= datetime.fromtimestamp(since - 1, UTC),
                    )
                )
                is not None
            )

    return seen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(settings: Any, port: int, config: ChaosConfig) -> dict[str, str]:
    """The environment of the server and worker processes (nothing inherited from ``SPRAWA_*``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPRAWA_")}
    env.update(
        {
            "SPRAWA_DATABASE_URL": settings.resolved_database_url,
            "SPRAWA_SECRET_KEY": settings.resolved_secret_key,
            "SPRAWA_DATA_DIR": str(Path(settings.data_dir).resolve()),
            "SPRAWA_OUTBOUND_ALLOW": json.dumps(["127.0.0.1"]),
            "SPRAWA_HOST": "127.0.0.1",
            "SPRAWA_PORT": str(port),
            "SPRAWA_LOG_LEVEL": "WARNING",
            "SPRAWA_WORKER_POLL_SECONDS": "0.1",
            "SPRAWA_WORKER_BATCH": str(config.worker_batch),
            "SPRAWA_JOB_LEASE_SECONDS": str(config.lease_seconds),
            "SPRAWA_JOB_BACKOFF_BASE_SECONDS": str(config.backoff_base),
            "SPRAWA_JOB_BACKOFF_CAP_SECONDS": str(config.backoff_cap),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def wait_for_server(server: Proc, base_url: str, timeout: float = 60.0) -> dict[str, Any]:
    """The server's OpenAPI document, once it answers."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not server.alive():
                raise RuntimeError(f"the server exited at start-up:\n{server.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                response = client.get(f"{base_url}/openapi.json")
                if response.status_code == 200:
                    return response.json()
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s:\n{server.tail()}")


# The run ------------------------------------------------------------------------------------------


@dataclass
class Fixture:
    workspace_id: str
    channel_id: str
    public_key: str
    user_id: str
    token: str


def prepare(runtime: Any, callback_url: str, config: ChaosConfig, run_id: str) -> Fixture:
    """A workspace with a signed form channel replying to the fake, and an agent with an API token."""
    from sprawa.auth.models import ApiToken, Role, User
    from sprawa.channels.models import Channel, ChannelKind
    from sprawa.platform.crypto import new_token, token_digest
    from sprawa.workspaces.models import Workspace

    token = new_token()
    with runtime.factory.begin() as session:
        workspace = Workspace(slug=f"chaos-{run_id}", name="Sklep chaos")
        session.add(workspace)
        session.flush()
        channel = Channel(
            workspace_id=workspace.id,
            kind=ChannelKind.FORM,
            name="Formularz kontaktowy",
            credentials_encrypted=runtime.ingest.secrets.seal({"signing_secret": SIGNING_SECRET}),
            settings={"callback_url": callback_url, "timeout_seconds": config.callback_timeout},
        )
        user = User(
            workspace_id=workspace.id,
            email=f"agent-{run_id}@chaos.example",
            name="Konsultant Chaos",
            role=Role.AGENT,
            password_hash="!",  # noqa: S106 - never logs in with a password
        )
        session.add_all([channel, user])
        session.flush()
        session.add(
            ApiToken(
                workspace_id=workspace.id,
                user_id=user.id,
                name="chaos",
                role=Role.AGENT,
                token_hash=token_digest(token),
            )
        )
        return Fixture(workspace.id, channel.id, channel.public_key, user.id, token)


class Replier(threading.Thread):
    """Answers every case that has no reply yet, through the API when it exists (else the service)."""

    def __init__(self, runtime: Any, fixture: Fixture, base_url: str, use_api: bool) -> None:
        super().__init__(name="replier", daemon=True)
        self.runtime = runtime
        self.fixture = fixture
        self.base_url = base_url
        self.use_api = use_api
        self.stopping = threading.Event()
        self.replies = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(
                base_url=self.base_url,
                timeout=30.0,
                headers={"Authorization": f"Bearer {self.fixture.token}"},
            ) as client:
                while not self.stopping.is_set():
                    if self.reply_once(client) == 0:
                        self.stopping.wait(0.2)
        except BaseException as exc:  # noqa: BLE001 - reported by the run
            self.error = exc

    def unanswered(self) -> list[str]:
        from sprawa.cases.models import Case, Direction, Message

        answered = exists().where(Message.case_id == Case.id, Message.direction == Direction.OUTBOUND)
        with self.runtime.factory() as session:
            return list(
                session.scalars(
                    select(Case.id)
                    .where(Case.workspace_id == self.fixture.workspace_id, ~answered)
                    .order_by(Case.created_at)
                )
            )

    def reply_once(self, client: httpx.Client) -> int:
        case_ids = self.unanswered()
        for case_id in case_ids:
            text = "Dzień dobry, paczka jest w drodze. Pozdrawiamy!"
            if self.use_api:
                response = client.post(f"/api/v1/cases/{case_id}/replies", json={"text": text})
                if response.status_code >= 300:
                    raise RuntimeError(f"reply API answered {response.status_code}: {response.text[:300]}")
            else:
                self._reply_with_service(case_id, text)
            self.replies += 1
        return len(case_ids)

    def _reply_with_service(self, case_id: str, text: str) -> None:
        from sprawa.auth.models import User
        from sprawa.auth.queries import principal_for_user
        from sprawa.cases.models import Case
        from sprawa.cases.service import do_reply

        with self.runtime.factory.begin() as session:
            user = session.get(User, self.fixture.user_id)
            case = session.get(Case, case_id)
            assert user is not None and case is not None
            do_reply(session, principal_for_user(session, user), case, text)


def post_all(
    plan: Plan, base_url: str, public_key: str, senders: int, rate: float, progress: Progress
) -> tuple[dict[str, list[tuple[str, bool]]], list[str]]:
    """Post every planned message; a post without an answer is retried, as a shop's system would."""
    acks: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    failures: list[str] = []
    lock = threading.Lock()
    done = Counter[str]()
    url = f"{base_url}/api/v1/inbound/form/{public_key}"
    step = max(1, len(plan.posts) // 10)
    local = threading.local()
    clients: list[httpx.Client] = []

    def client() -> httpx.Client:
        if not hasattr(local, "client"):  # one connection pool per sender thread
            local.client = httpx.Client(timeout=30.0)
            with lock:
                clients.append(local.client)
        return local.client

    def send(post: Post) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Sprawa-Signature": "sha256=" + hmac_sha256_hex(SIGNING_SECRET, post.body),
        }
        last = ""
        for attempt in range(30):
            try:
                response = client().post(url, content=post.body, headers=headers)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 202:
                    data = response.json()
                    with lock:
                        acks[post.provider_id].append((data["event_id"], data["duplicate"]))
                        done["sent"] += 1
                        if done["sent"] % step == 0:
                            progress(f"  posted {done['sent']}/{len(plan.posts)}")
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code < 500:
                    break
            time.sleep(min(2.0, 0.1 * (attempt + 1)))
        with lock:
            failures.append(f"post of {post.provider_id} never acknowledged: {last}")

    try:
        with ThreadPoolExecutor(max_workers=senders, thread_name_prefix="sender") as pool:
            futures = []
            start = time.monotonic()
            for index, post in enumerate(plan.posts):
                if rate > 0 and not post.racing:
                    time.sleep(max(0.0, start + index / rate - time.monotonic()))
                futures.append(pool.submit(send, post))
            for future in futures:
                future.result()
    finally:
        for http in clients:
            http.close()
    return acks, failures


def run_chaos(
    config: ChaosConfig, runtime: Any, fake: CallbackFake, progress: Progress = print
) -> ChaosReport:
    """Run the whole scenario against ``runtime``'s (migrated) database; the fake must be running."""
    from sprawa.cases.models import Case, DeliveryStatus
    from sprawa.platform.inbound import InboundEvent, InboundStatus

    started = time.monotonic()
    seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
    rng = random.Random(seed)  # noqa: S311 - fault injection, not security
    run_id = secrets.token_hex(3)
    settings = runtime.settings
    report = ChaosReport(database=runtime.engine.dialect.name, seed=seed)
    log_dir = Path(settings.data_dir) / f"chaos-{run_id}"
    log_dir.mkdir(parents=True, exist_ok=True)
    report.logs = str(log_dir)
    plan = plan_posts(config, rng, run_id)
    report.distinct_events, report.replays = plan.distinct, plan.replays
    report.out_of_order, report.overtook_own_thread = plan.out_of_order, plan.overtook
    report.events_sent = len(plan.posts)
    fixture = prepare(runtime, fake.url, config, run_id)
    port = free_port()
    env = child_env(settings, port, config)
    base_url = f"http://127.0.0.1:{port}"
    deadline = started + config.deadline_seconds
    server = Proc("server", ["serve"], env, log_dir).start()
    killer: WorkerKiller | None = None
    replier: Replier | None = None
    final: Proc | None = None
    acks: dict[str, list[tuple[str, bool]]] = {}
    try:
        openapi = wait_for_server(server, base_url)
        use_api = any(REPLY_ROUTE.match(path) for path in openapi.get("paths", {}))
        report.reply_path = "API" if use_api else "cases.service.do_reply (no reply API yet)"
        progress(
            f"Chaos on {report.database}: {plan.distinct} messages + {plan.replays} replays, "
            f"{plan.out_of_order} out of order; worker SIGKILLed every "
            f"{config.kill_every[0]:g}-{config.kill_every[1]:g} s; logs in {log_dir}"
        )
        killer = WorkerKiller(
            lambda n: Proc(f"worker-{n:04d}", ["worker"], env, log_dir).start(),
            heartbeat_seen(runtime),
            config.kill_every,
            rng,
        )
        killer.start()
        replier = Replier(runtime, fixture, base_url, use_api)
        replier.start()

        acks, send_failures = post_all(
            plan, base_url, fixture.public_key, config.senders, config.post_rate, progress
        )
        posted_at = time.monotonic()
        report.failures.extend(send_failures)

        # Chaos goes on until every message is normalised and every case answered and delivered.
        last_note = 0.0
        while True:
            _check_threads(killer, replier)
            with runtime.factory() as session:
                received = session.scalar(
                    select(func.count())
                    .select_from(InboundEvent)
                    .where(
                        InboundEvent.channel_id == fixture.channel_id,
                        InboundEvent.status == InboundStatus.RECEIVED,
                    )
                )
                cases = session.scalar(
                    select(func.count()).select_from(Case).where(Case.workspace_id == fixture.workspace_id)
                )
                sent = _count_out(
                    session, fixture.workspace_id, (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
                )
                queued = _count_out(session, fixture.workspace_id, (DeliveryStatus.QUEUED,))
            if time.monotonic() - last_note > 5:
                last_note = time.monotonic()
                progress(
                    f"  {time.monotonic() - started:5.0f} s: {received} messages to normalise, "
                    f"{cases} cases, {replier.replies} replies, {sent} delivered, {killer.kills} kills"
                )
            done = received == 0 and queued == 0 and not replier.unanswered()
            enough = config.chaos_seconds is not None and time.monotonic() - posted_at > config.chaos_seconds
            if (done or enough) and killer.kills >= config.min_kills:
                report.done_in_chaos = (config.events - int(received or 0), int(sent or 0))
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the chaos phase did not finish before the deadline")
            time.sleep(0.3)
        killer.stop()
        _check_threads(killer, replier)
        report.kills, report.worker_starts = killer.kills, killer.starts

        progress(f"  chaos over after {killer.kills} kills; a final worker runs to completion")
        final_spawned = time.time()
        final = Proc("worker-final", ["worker"], {**env, "SPRAWA_LOG_LEVEL": "INFO"}, log_dir).start()
        report.worker_starts += 1
        working = heartbeat_seen(runtime)
        while not working(final, final_spawned):  # SIGTERM before start-up would just kill it
            if not final.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the final worker never started working:\n{final.tail()}")
            time.sleep(0.05)
        # The replier keeps answering the cases the final worker still opens; once nothing is left it
        # stops, and the state is checked once more (a reply may have been committed meanwhile).
        while True:
            _check_threads(killer, replier)
            with runtime.factory() as session:
                left = _jobs_left(session, fixture.workspace_id)
                queued = _count_out(session, fixture.workspace_id, (DeliveryStatus.QUEUED,))
            if left == 0 and queued == 0 and not replier.unanswered():
                if not replier.is_alive():
                    break
                replier.stopping.set()
                replier.join(timeout=60)
                continue
            if not replier.is_alive() and replier.unanswered():
                raise RuntimeError("a case was left without a reply after the replier stopped")
            if not final.alive():
                raise RuntimeError(f"the final worker exited:\n{final.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{left} jobs still open at the deadline")
            time.sleep(0.2)
        report.replies = replier.replies
        code = final.terminate(timeout=60)
        if code != 0:
            report.failures.append(f"the final worker did not stop cleanly on SIGTERM (exit code {code})")
        final = None
    except Exception as exc:
        report.failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        if replier is not None:
            replier.stopping.set()
            replier.join(timeout=60)
        if killer is not None and killer.is_alive():
            killer.stop()
            report.kills, report.worker_starts = killer.kills, killer.starts
        if final is not None:
            final.terminate()
        server.terminate()

    _verify(report, runtime, fixture, plan, acks, fake)
    report.elapsed = time.monotonic() - started
    return report


def _check_threads(killer: WorkerKiller, replier: Replier) -> None:
    for thread in (killer, replier):
        if thread.error is not None:
            raise RuntimeError(f"{thread.name} failed: {thread.error!r}") from thread.error


def _count_out(session: Any, workspace_id: str, statuses: tuple[str, ...]) -> int:
    from sprawa.cases.models import Direction, Message

    return int(
        session.scalar(
            select(func.count())
            .select_from(Message)
            .where(
                Message.workspace_id == workspace_id,
                Message.direction == Direction.OUTBOUND,
                Message.delivery_status.in_(statuses),
            )
        )
        or 0
    )


def _jobs_left(session: Any, workspace_id: str) -> int:
    from sprawa.platform.jobs import Job, JobStatus

    return int(
        session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.workspace_id == workspace_id, Job.status.in_((JobStatus.PENDING, JobStatus.RUNNING)))
        )
        or 0
    )


def _verify(
    report: ChaosReport,
    runtime: Any,
    fixture: Fixture,
    plan: Plan,
    acks: dict[str, list[tuple[str, bool]]],
    fake: CallbackFake,
) -> None:
    """Exact accounting, from the database and the fake's own records."""
    from sprawa.cases.models import Case, DeliveryStatus, Direction, Message
    from sprawa.platform.inbound import InboundEvent, InboundStatus
    from sprawa.platform.jobs import Job, JobStatus

    fail = report.failures.append
    distinct_ids = set(plan.thread_of)
    report.acknowledged = sum(len(v) for v in acks.values())
    report.duplicates_dropped = sum(1 for v in acks.values() for _event, duplicate in v if duplicate)
    with runtime.factory() as session:
        key_of_event = dict(
            session.execute(
                select(InboundEvent.id, InboundEvent.provider_key).where(
                    InboundEvent.channel_id == fixture.channel_id
                )
            ).all()
        )
    for provider_id, answers in acks.items():
        if len({event for event, _ in answers}) != 1:
            stored_as = [(event, key_of_event.get(event)) for event, _ in answers]
            fail(f"{provider_id} was acknowledged as different events (id, stored under): {stored_as}")
        if sum(1 for _, duplicate in answers if not duplicate) != 1:
            fail(f"{provider_id} was acknowledged as new {sum(not d for _, d in answers)} times")
    with runtime.factory() as session:
        events = session.execute(
            select(InboundEvent.provider_key, InboundEvent.id, InboundEvent.status, InboundEvent.error).where(
                InboundEvent.channel_id == fixture.channel_id
            )
        ).all()
        inbound = session.execute(
            select(Message.provider_message_id, Message.inbound_event_id, Message.case_id).where(
                Message.workspace_id == fixture.workspace_id, Message.direction == Direction.INBOUND
            )
        ).all()
        outbound = session.execute(
            select(Message.id, Message.case_id, Message.delivery_status, Message.delivery_error).where(
                Message.workspace_id == fixture.workspace_id, Message.direction == Direction.OUTBOUND
            )
        ).all()
        report.cases = int(
            session.scalar(
                select(func.count()).select_from(Case).where(Case.workspace_id == fixture.workspace_id)
            )
            or 0
        )
        jobs = dict(
            session.execute(
                select(Job.status, func.count())
                .where(Job.workspace_id == fixture.workspace_id)
                .group_by(Job.status)
            ).all()
        )
    report.events_stored = len(events)
    report.messages_stored = len(inbound)
    report.jobs_left = jobs.get(JobStatus.PENDING, 0) + jobs.get(JobStatus.RUNNING, 0)
    report.dead_jobs = jobs.get(JobStatus.DEAD, 0)

    stored = Counter(key for key, *_ in events)
    event_of = {key: event_id for key, event_id, *_ in events}
    if any(n > 1 for n in stored.values()):
        fail("an inbound event is stored more than once")
    lost_events = {i for i in distinct_ids if i in acks and i not in stored}
    for provider_id in set(acks) & set(stored):
        if acks[provider_id][0][0] != event_of[provider_id]:
            fail(f"{provider_id}: acknowledged event id differs from the stored one")
    for key, _event_id, status, error in events:
        if status != InboundStatus.PROCESSED:
            fail(f"inbound event {key} is {status}: {error}")
    per_event = Counter(event_id for _, event_id, _ in inbound)
    messages_of = Counter(key for key, _, _ in inbound)
    for provider_id in distinct_ids - lost_events:
        if messages_of[provider_id] != 1 or per_event[event_of.get(provider_id)] != 1:
            fail(f"{provider_id} became {messages_of[provider_id]} messages")
            lost_events.add(provider_id)
    unknown = set(messages_of) - distinct_ids
    if unknown:
        fail(f"{len(unknown)} messages that were never posted")
    cases_of_thread: dict[str, set[str]] = defaultdict(set)
    for key, _event, case_id in inbound:
        cases_of_thread[plan.thread_of.get(key, "?")].add(case_id)
    split = [t for t, c in cases_of_thread.items() if len(c) > 1]
    if split:
        fail(f"{len(split)} threads were split over several cases")

    reply_ids = {message_id for message_id, *_ in outbound}
    replied_cases = Counter(case_id for _, case_id, _, _ in outbound)
    if set(replied_cases) != {case_id for _, _, case_id in inbound} or any(
        n != 1 for n in replied_cases.values()
    ):
        fail("not every case has exactly one reply")
    for message_id, _case, status, error in outbound:
        if status not in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED):
            fail(f"reply {message_id} is {status}: {error}")
    applied = fake.keys_applied()
    report.applied = len(applied & reply_ids)
    report.idempotent_repeats = fake.repeats()
    report.duplicates_applied = fake.duplicates_applied()
    outcomes = fake.outcomes()
    report.delivery_outcomes = dict(outcomes)
    report.deliveries = sum(outcomes.values())
    lost_replies = reply_ids - applied
    if applied - reply_ids:
        fail(f"{len(applied - reply_ids)} replies applied that Sprawa never wrote")
    if report.duplicates_applied:
        fail(f"{report.duplicates_applied} replies applied twice")
    report.lost = len(lost_events) + len(lost_replies)
    if lost_events:
        fail(f"{len(lost_events)} acknowledged messages lost")
    if lost_replies:
        fail(f"{len(lost_replies)} replies never reached the shop")
    if len(acks) != len(distinct_ids):
        fail(f"{len(distinct_ids) - len(acks)} messages were never acknowledged")
    if report.jobs_left or report.dead_jobs:
        fail(f"jobs left: {report.jobs_left} pending/running, {report.dead_jobs} dead")


# The command --------------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(url: str, keep: bool, progress: Progress) -> Iterator[tuple[str, Path]]:
    """A fresh database for the run: a SQLite file in a temporary directory, or a new PostgreSQL
    database next to the one ``url`` names (the named database itself is never touched)."""
    from sqlalchemy.engine import make_url

    from sprawa.db import make_engine

    data_dir = Path(tempfile.mkdtemp(prefix="sprawa-chaos-"))
    if not url or url.startswith("sqlite"):
        try:
            yield f"sqlite:///{data_dir / 'chaos.db'}", data_dir
        finally:
            if not keep:
                shutil.rmtree(data_dir, ignore_errors=True)
        return
    name = f"sprawa_chaos_{secrets.token_hex(4)}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        scratch = make_url(url).set(database=name).render_as_string(hide_password=False)
        yield scratch, data_dir
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            progress(f"kept database {name} and {data_dir}")
        admin.dispose()


def _fake_callback_class() -> Any:
    """``tests.fakes.callback.FakeCallback`` from the source checkout this package runs from."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "tests" / "fakes" / "callback.py").exists():
        raise SystemExit("sprawa chaos needs a source checkout (it uses the fake shop in tests/fakes)")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from tests.fakes.callback import FakeCallback

    return FakeCallback


def cmd_chaos(settings: Any, args: argparse.Namespace) -> None:
    from sprawa.config import Settings
    from sprawa.platform.migrations import upgrade
    from sprawa.runtime import Runtime

    fake_class = _fake_callback_class()
    config = ChaosConfig(
        events=args.events,
        kill_every=(args.kill_min, args.kill_max),
        post_rate=args.rate,
        seed=args.seed,
        deadline_seconds=args.deadline,
    )
    with scratch_database(args.database_url, args.keep, print) as (url, data_dir):
        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade(url)
        run_settings = Settings(
            database_url=url,
            data_dir=data_dir,
            secret_key=secrets.token_urlsafe(32),
            outbound_allow=["127.0.0.1"],
            _env_file=None,  # type: ignore[call-arg]
        )
        runtime = Runtime.build(run_settings)
        try:
            with fake_class(
                rate_limited=0.10,
                server_errors=0.10,
                timeouts=0.05,
                late=0.05,
                hang_seconds=config.callback_timeout + 0.5,
                secret=SIGNING_SECRET,
                seed=config.seed,
            ) as fake:
                report = run_chaos(config, runtime, fake, progress=lambda line: print(line, flush=True))
        finally:
            runtime.close()
    print("\n".join(report.lines()), flush=True)
    if not report.ok:
        raise SystemExit(1)


def add_chaos_command(sub: Any) -> None:
    parser = sub.add_parser(
        "chaos", help="durability proof: inbound + outbox under worker SIGKILLs and a failing provider"
    )
    parser.add_argument("--events", type=int, default=1000, help="distinct inbound messages (default 1000)")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL server to run on (a scratch database is created and dropped); default SQLite",
    )
    parser.add_argument("--kill-min", type=float, default=1.0, help="shortest worker life in seconds")
    parser.add_argument("--kill-max", type=float, default=5.0, help="longest worker life in seconds")
    parser.add_argument("--rate", type=float, default=20.0, help="posts per second (0: as fast as possible)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--deadline", type=float, default=1800.0, help="give up after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and the logs")
    parser.set_defaults(handler=cmd_chaos)
