"""Two ``sprawa serve`` and two ``sprawa worker`` processes on one PostgreSQL database (DESIGN §4):

(a) a live event raised on one server reaches a socket held by the other (LISTEN/NOTIFY), and
(b) the outbox is shared by the workers without double delivery (one request per Idempotency-Key).
"""

import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from websockets.sync.client import ClientConnection, connect

from sprawa.auth.models import Role
from sprawa.auth.service import do_create_api_token
from sprawa.cases.models import AuthorKind, Case, DeliveryStatus, Direction, Message
from sprawa.cases.service import do_reply
from sprawa.channels.models import ChannelKind, Thread
from sprawa.customers.models import Customer
from sprawa.platform.jobs import Job, JobStatus, WorkerHeartbeat, enqueue
from tests.conftest import TEST_URL
from tests.factories import make_actor, make_channel
from tests.fakes.callback import FakeCallback

pytestmark = pytest.mark.skipif(
    not TEST_URL.startswith("postgresql"), reason="several processes share work through PostgreSQL"
)

OUTBOX_ROWS = 1000
# Generous limits: on a quiet machine the whole test takes well under a minute, but it must not flake
# on a CI runner busy with other suites.
START_TIMEOUT = 60.0
DRAIN_TIMEOUT = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Subprocesses of ``python -m sprawa.cli``; their output goes to files shown when a check fails."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.env = env
        self.procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "sprawa.cli", *args],
                env={**self.env, **env},
                cwd=self.tmp,  # no stray .env file of the developer's checkout
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.procs.append((name, proc, log))
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{log.read_text()[-3000:]}" for name, _, log in self.procs)

    def check_alive(self) -> None:
        for name, proc, _ in self.procs:
            assert proc.poll() is None, f"{name} exited with {proc.returncode}\n{self.logs()}"

    def stop(self) -> None:
        for _, proc, _ in self.procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for _, proc, _ in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _wait_for(
    what: str, check: Callable[[], bool], procs: Processes, timeout: float = START_TIMEOUT, every: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs.check_alive()
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}\n{procs.logs()}")


def _serving(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def _frames_until(
    ws: ClientConnection, match: Callable[[dict[str, Any]], bool], timeout: float = 30.0
) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if match(frame):
            return frame


@pytest.fixture
def cluster(settings, runtime, db, tmp_path) -> Iterator[tuple[Processes, int, int]]:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "SPRAWA_DATABASE_URL": settings.resolved_database_url,  # the test database, already migrated
        "SPRAWA_EVENT_BUS": "postgres",
        "SPRAWA_SECRET_KEY": settings.resolved_secret_key,
        "SPRAWA_DATA_DIR": str(tmp_path / "data"),
        "SPRAWA_OUTBOUND_ALLOW": json.dumps(["127.0.0.1"]),
        "SPRAWA_WORKER_POLL_SECONDS": "0.05",
        "SPRAWA_LOG_LEVEL": "WARNING",
        "SPRAWA_HOST": "127.0.0.1",
        # The test is about sharing work, not surviving a power cut: commits need not wait for the WAL
        # flush (visibility and locking are unchanged), which keeps 3,000 small commits fast on a busy disk.
        "PGOPTIONS": "-c synchronous_commit=off",
    }
    env.pop("SPRAWA_TEST_DATABASE_URL", None)
    procs = Processes(tmp_path, env)
    port_a, port_b = _free_port(), _free_port()
    try:
        procs.start("server-a", "serve", SPRAWA_PORT=str(port_a))
        procs.start("server-b", "serve", SPRAWA_PORT=str(port_b))
        workers = [procs.start(f"worker-{n}", "worker") for n in (1, 2)]
        _wait_for("both servers", lambda: _serving(port_a) and _serving(port_b), procs)

        def both_workers_beat() -> bool:
            pids = set(db.scalars(select(WorkerHeartbeat.pid)))
            db.rollback()
            return {w.pid for w in workers} <= pids

        _wait_for("both workers", both_workers_beat, procs)
        yield procs, port_a, port_b
    finally:
        procs.stop()


def test_two_servers_and_two_workers_share_events_and_work(cluster, db, workspace, app, runtime):  # type: ignore[no-untyped-def]
    procs, port_a, port_b = cluster
    chat = make_channel(db, workspace, ChannelKind.WEBCHAT)
    admin = make_actor(db, app, workspace, "admin")
    admin.client.close()
    token = do_create_api_token(db, admin.principal, "e2e", Role.AGENT)
    db.commit()

    # (a) A widget talks to server B; an agent listens on server A.
    with connect(f"ws://127.0.0.1:{port_a}/api/v1/ws?token={token}", proxy=None, open_timeout=30) as agent_ws:
        assert json.loads(agent_ws.recv(timeout=30))["type"] == "ready"
        with httpx.Client(base_url=f"http://127.0.0.1:{port_b}", timeout=30) as b:
            session = b.post(f"/widget/v1/{chat.public_key}/sessions", json={"name": "Ola"}).json()
            ack = b.post(
                "/widget/v1/messages",
                json={"client_message_id": "e2e-1", "text": "Wiadomość przez serwer B"},
                headers={"Authorization": f"Bearer {session['visitor_token']}"},
            ).json()
        created = _frames_until(agent_ws, lambda f: f["type"] == "message.created")
        assert created["case_id"] == ack["case_id"]
        assert created["data"]["message"]["body_text"] == "Wiadomość przez serwer B"

    # ... and the agent's reply, committed by a third process, reaches the widget's socket on server A.
    widget_url = (
        f"ws://127.0.0.1:{port_a}/widget/v1/ws?token={session['visitor_token']}"
        f"&case_id={ack['case_id']}&after_seq={ack['seq']}"
    )
    with connect(widget_url, proxy=None, open_timeout=30) as widget_ws:
        _frames_until(widget_ws, lambda f: f["type"] == "ready")
        do_reply(db, admin.principal, db.get(Case, ack["case_id"]), "Odpowiedź konsultanta")
        db.commit()
        reply = _frames_until(widget_ws, lambda f: f["type"] == "message")
    assert (reply["message"]["seq"], reply["message"]["text"]) == (2, "Odpowiedź konsultanta")

    # (b) 1,000 replies in the outbox; both workers deliver, each exactly once.
    with FakeCallback() as fake:
        form = make_channel(db, workspace, ChannelKind.FORM, settings={"callback_url": fake.url})
        customer = Customer(workspace_id=workspace.id, name="Jan", email="jan@example.pl")
        db.add(customer)
        db.flush()
        thread = Thread(
            workspace_id=workspace.id, channel_id=form.id, customer_id=customer.id, external_id="t-1"
        )
        case = Case(workspace_id=workspace.id, number=1000, customer_id=customer.id, subject="Masowa")
        db.add_all([thread, case])
        db.flush()
        messages = [
            Message(
                workspace_id=workspace.id,
                case_id=case.id,
                thread_id=thread.id,
                channel_id=form.id,
                customer_id=customer.id,
                seq=n,
                direction=Direction.OUTBOUND,
                author_kind=AuthorKind.AGENT,
                body_text=f"Odpowiedź {n}",
                delivery_status=DeliveryStatus.QUEUED,
            )
            for n in range(1, OUTBOX_ROWS + 1)
        ]
        db.add_all(messages)
        db.flush()
        for message in messages:
            enqueue(
                db,
                "outbox.deliver",
                {"message_id": message.id},
                workspace_id=workspace.id,
                key=f"deliver:{message.id}",
            )
        case.last_seq = OUTBOX_ROWS
        db.commit()
        ids = {m.id for m in messages}

        def delivered() -> bool:
            pending = db.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.kind == "outbox.deliver", Job.status != JobStatus.DONE)
            )
            db.rollback()
            return pending == 0

        _wait_for("the outbox to drain", delivered, procs, timeout=DRAIN_TIMEOUT, every=0.25)
        requests = list(fake.requests)

    per_key = Counter(r.key for r in requests)
    assert set(per_key) == ids
    assert set(per_key.values()) == {1}, [k for k, n in per_key.items() if n > 1][:5]
    assert all(r.outcome == "ok" and r.message_id == r.key for r in requests)
    worker_pids = {
        int(locked_by.split(":")[-2])
        for locked_by in db.scalars(select(Job.locked_by).where(Job.kind == "outbox.deliver"))
    }
    sent = db.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.channel_id == form.id, Message.delivery_status == DeliveryStatus.SENT)
    )
    db.rollback()
    worker_procs = {proc.pid for name, proc, _ in procs.procs if name.startswith("worker")}
    assert worker_pids == worker_procs  # both workers did some of the work
    assert sent == OUTBOX_ROWS
