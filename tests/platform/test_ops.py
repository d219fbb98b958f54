"""Operations: /healthz, /metrics, the request log line and request ids, logs free of personal data,
and a worker process that stops cleanly on SIGTERM."""

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import WebSocket
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from sqlalchemy import select

from sprawa.app import create_app
from sprawa.channels.models import ChannelKind
from sprawa.config import Settings
from sprawa.db import utcnow
from sprawa.logs import QUIET_LOGGERS, JsonFormatter, mask_pii, quiet_noisy_loggers
from sprawa.platform.inbound import record_inbound
from sprawa.platform.jobs import Job, JobStatus, WorkerHeartbeat, enqueue
from sprawa.runtime import Runtime
from tests.factories import make_channel

_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


class _Lines(logging.Handler):
    """Collects formatted JSON lines, as the production handler would write them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def log_lines() -> Iterator[_Lines]:
    handler = _Lines()
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in ("", *QUIET_LOGGERS)}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet_noisy_loggers()
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _broken_runtime(tmp_path: Path, url: str) -> Runtime:
    return Runtime.build(
        Settings(
            data_dir=tmp_path,
            database_url=url,
            secret_key="test-secret-key-not-for-production",
            event_bus="memory",
            _env_file=None,
        )
    )


# --- /healthz -------------------------------------------------------------------------------------------


def test_healthz_ok_when_a_worker_beat_recently(client, db):
    db.add(WorkerHeartbeat(id="host:1:abc", pid=1, host="host", seen_at=utcnow() - timedelta(seconds=3)))
    db.commit()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["worker"]["alive"] is True
    assert 3.0 <= body["worker"]["last_seen_seconds"] < 10.0
    assert set(body) == {"status", "database", "worker"}
    assert response.headers["cache-control"] == "no-store"


def test_healthz_degraded_but_200_without_a_live_worker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "worker": {"last_seen_seconds": None, "alive": False},
    }
    db.add(WorkerHeartbeat(id="host:1:old", pid=1, host="host", seen_at=utcnow() - timedelta(seconds=90)))
    db.commit()
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["worker"]["alive"] is False
    assert 90.0 <= body["worker"]["last_seen_seconds"] < 100.0


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("sqlite:////nonexistent-dir/sprawa/x.db", "OperationalError"),
        ("postgresql://postgres@127.0.0.1:1/nothing", "OperationalError"),
    ],
    ids=["sqlite-broken-path", "postgres-unreachable"],
)
def test_healthz_503_when_the_database_is_unreachable(tmp_path, url, error):
    runtime = _broken_runtime(tmp_path, url)
    try:
        with TestClient(create_app(runtime=runtime)) as client:
            response = client.get("/healthz")
            metrics = client.get("/metrics")
    finally:
        runtime.close()
    assert response.status_code == 503
    assert response.json() == {
        "status": "down",
        "database": "error",
        "worker": {"last_seen_seconds": None, "alive": False},
        "error": error,
    }
    # The scrape still answers, saying the database did not.
    assert metrics.status_code == 200
    assert "sprawa_db_up 0.0" in metrics.text
    assert "sprawa_jobs{" not in metrics.text


# --- /metrics -------------------------------------------------------------------------------------------


def _app_with_test_routes(runtime: Runtime):  # type: ignore[no-untyped-def]
    app = create_app(runtime=runtime)
    app.mount("/test/static", StaticFiles(directory=Path(__file__).parent))

    @app.get("/test/items/{item_id}")
    def item(item_id: str) -> dict:
        return {"id": item_id}

    @app.get("/test/boom")
    def boom() -> dict:
        raise RuntimeError("a bug")

    @app.websocket("/test/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(app.state.metrics.exposition().decode())
        await websocket.close()

    return app


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one series (labels in any order) in a text exposition, or None when absent."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        found_name, _, rest = series.partition("{")
        found = dict(_LABEL.findall(rest))
        if found_name == name and found == labels:
            return float(value)
    return None


def test_metrics_use_route_templates_and_status(runtime, db, workspace):
    app = _app_with_test_routes(runtime)
    with TestClient(app) as client:
        assert client.get("/test/items/secret-id-123").status_code == 200
        assert client.get("/test/items/other-id-456").status_code == 200
        assert client.get("/no/such/path/789").status_code == 404
        assert client.get("/api/v1/auth/me").status_code == 401
        assert client.get("/test/static/__init__.py").status_code == 200
        text = client.get("/metrics").text
    labels = {"method": "GET", "route": "/test/items/{item_id}", "status": "200"}
    assert _sample(text, "sprawa_http_requests_total", **labels) == 2.0
    assert _sample(text, "sprawa_http_request_duration_seconds_count", **labels) == 2.0
    assert _sample(text, "sprawa_http_request_duration_seconds_bucket", le="+Inf", **labels) == 2.0
    assert _sample(text, "sprawa_http_requests_total", method="GET", route="<unmatched>", status="404") == 1.0
    assert (
        _sample(text, "sprawa_http_requests_total", method="GET", route="/api/v1/auth/me", status="401")
        == 1.0
    )
    assert (
        _sample(text, "sprawa_http_requests_total", method="GET", route="/test/static/{path}", status="200")
        == 1.0
    )
    # No raw path, hence no id, ever becomes a label value.
    for raw in ("secret-id-123", "other-id-456", "/no/such/path"):
        assert raw not in text
    # The scrape of /metrics itself is counted only after it has been served.
    assert _sample(text, "sprawa_http_requests_total", method="GET", route="/metrics", status="200") is None


def test_metrics_report_queue_outbox_and_inbound_from_the_database(runtime, db, workspace):
    channel = make_channel(db, workspace, ChannelKind.FORM)
    record_inbound(
        db, workspace_id=workspace.id, channel_id=channel.id, provider_key="k-1", payload='{"id": "k-1"}'
    )
    enqueue(db, "outbox.deliver", {"message_id": "m1"}, workspace_id=workspace.id, key="d1")
    enqueue(db, "outbox.deliver", {"message_id": "m2"}, workspace_id=workspace.id, key="d2")
    db.flush()
    dead = db.scalars(select(Job).where(Job.idempotency_key == "d2")).one()
    dead.status = JobStatus.DEAD
    db.add(WorkerHeartbeat(id="host:2:abc", pid=2, host="host"))
    db.commit()
    with TestClient(create_app(runtime=runtime)) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _sample(text, "sprawa_db_up") == 1.0
    assert _sample(text, "sprawa_jobs", status="pending", kind="outbox.deliver") == 1.0
    assert _sample(text, "sprawa_jobs", status="dead", kind="outbox.deliver") == 1.0
    assert _sample(text, "sprawa_jobs", status="pending", kind="inbound.process") == 1.0
    assert _sample(text, "sprawa_jobs", status="running", kind="outbox.deliver") == 0.0
    assert _sample(text, "sprawa_outbox_failed") == 1.0
    assert _sample(text, "sprawa_inbound_events", status="received") == 1.0
    assert _sample(text, "sprawa_inbound_events", status="failed") == 0.0
    assert _sample(text, "sprawa_worker_alive") == 1.0
    assert _sample(text, "process_cpu_seconds_total") is not None


def test_each_app_has_its_own_registry(runtime):
    first, second = create_app(runtime=runtime), create_app(runtime=runtime)
    with TestClient(first) as a, TestClient(second) as b:
        a.get("/healthz")
        a.get("/healthz")
        assert _sample(a.get("/metrics").text, "sprawa_http_requests_total", **_HEALTHZ_OK) == 2.0
        assert _sample(b.get("/metrics").text, "sprawa_http_requests_total", **_HEALTHZ_OK) is None


_HEALTHZ_OK = {"method": "GET", "route": "/healthz", "status": "200"}


def test_websocket_connections_gauge(runtime):
    app = _app_with_test_routes(runtime)
    with TestClient(app) as client:
        with client.websocket_connect("/test/ws") as socket:
            during = socket.receive_text()
        after = client.get("/metrics").text
    assert _sample(during, "sprawa_websocket_connections") == 1.0
    assert _sample(after, "sprawa_websocket_connections") == 0.0


# --- request id and the request log line ----------------------------------------------------------------


def test_request_id_is_made_returned_and_logged(runtime, log_lines):
    app = _app_with_test_routes(runtime)
    with TestClient(app) as client:
        made = client.get("/test/items/abc?email=anna@example.pl&token=s3cret")
        given = client.get("/test/items/abc", headers={"X-Request-Id": "lb-7f3a.42"})
        forged = client.get("/test/items/abc", headers={"X-Request-Id": "bad id\twith spaces" + "x" * 80})
    made_id = made.headers["x-request-id"]
    assert len(made_id) == 26
    assert given.headers["x-request-id"] == "lb-7f3a.42"
    assert forged.headers["x-request-id"] != "bad id\twith spaces" + "x" * 80
    assert len(forged.headers["x-request-id"]) == 26
    requests = [r for r in log_lines.records() if r["logger"] == "sprawa.request"]
    assert [r["request_id"] for r in requests] == [made_id, "lb-7f3a.42", forged.headers["x-request-id"]]
    first = requests[0]
    assert {k: first[k] for k in ("level", "msg", "method", "route", "status")} == {
        "level": "INFO",
        "msg": "request",
        "method": "GET",
        "route": "/test/items/{item_id}",
        "status": 200,
    }
    assert isinstance(first["duration_ms"], float)
    # No path with ids, no query string, no body in the line.
    # The test client's own request log (httpx2) is the client's, not the server's.
    raw = "\n".join(
        line for line, r in zip(log_lines.lines, log_lines.records(), strict=True) if r["logger"] != "httpx2"
    )
    for leaked in ("?", "anna", "s3cret", "/test/items/abc"):
        assert leaked not in raw


def test_an_unhandled_error_answers_500_with_the_request_id(runtime, log_lines):
    app = _app_with_test_routes(runtime)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/test/boom", headers={"X-Request-Id": "req-500"})
        text = client.get("/metrics").text
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-500"
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "something went wrong on our side",
            "details": {"request_id": "req-500"},
        }
    }
    assert _sample(text, "sprawa_http_requests_total", method="GET", route="/test/boom", status="500") == 1.0
    line = next(r for r in log_lines.records() if r["logger"] == "sprawa.request")
    assert (line["level"], line["status"], line["request_id"]) == ("ERROR", 500, "req-500")


def test_health_probes_log_at_debug_only(runtime, log_lines):
    with TestClient(create_app(runtime=runtime)) as client:
        client.get("/healthz")
    levels = {r["level"] for r in log_lines.records() if r["logger"] == "sprawa.request"}
    assert levels == {"DEBUG"}


# --- no personal data in logs ---------------------------------------------------------------------------


def test_ingesting_a_message_with_personal_data_logs_none_of_it(runtime, db, workspace, log_lines):
    channel = make_channel(db, workspace, ChannelKind.FORM)
    db.commit()
    payload = {
        "id": "pii-1",
        "email": "Jan.Kowalski@example.pl",
        "phone": "+48 601 234 567",
        "name": "Jan Kowalski",
        "text": "Proszę dzwonić pod 601-234-567 albo pisać na jan.kowalski@example.pl",
    }
    with TestClient(create_app(runtime=runtime)) as client:
        response = client.post(f"/api/v1/inbound/form/{channel.public_key}", json=payload)
    assert response.status_code == 202, response.text
    assert runtime.worker().run_once() == 1
    logging.getLogger("sprawa.test").warning(
        "lookup for jan.kowalski@example.pl",
        extra={"who": {"email": "jan.kowalski@example.pl", "phones": ["601234567"]}},
    )
    raw = "\n".join(log_lines.lines).lower()
    assert any(r["logger"] == "sprawa.request" for r in log_lines.records())
    for leaked in ("kowalski@", "example.pl", "601 234 567", "601-234-567", "601234567", "48601234567"):
        assert leaked not in raw
    masked = log_lines.records()[-1]
    assert masked["msg"] == "lookup for [email]"
    assert masked["who"] == {"email": "[email]", "phones": ["[phone]"]}


def test_mask_pii_keeps_dates_and_small_numbers():
    assert mask_pii("on 2025-01-31 order 100234 qty 12") == "on 2025-01-31 order 100234 qty 12"
    assert mask_pii("call +48 601 234 567 or 601234567") == "call [phone] or [phone]"
    assert mask_pii("(22) 628-12-34 desk") == "[phone] desk"


def test_mask_pii_hides_secrets_in_urls():
    line = "WebSocket /api/v1/ws?token=spr_Ab-c1&after_seq=3 [accepted]"
    assert mask_pii(line) == "WebSocket /api/v1/ws?token=[secret]&after_seq=3 [accepted]"


# --- graceful stop of the worker process ----------------------------------------------------------------


def _worker_beat(runtime: Runtime) -> bool:
    # A short transaction per look: on SQLite an open one would hold the write lock the worker needs.
    with runtime.factory() as session:
        return session.scalar(select(WorkerHeartbeat.id)) is not None


def test_worker_process_stops_cleanly_on_sigterm(settings, runtime, tmp_path):
    env = {
        **os.environ,
        "SPRAWA_DATABASE_URL": settings.resolved_database_url,
        "SPRAWA_DATA_DIR": str(tmp_path),
        "SPRAWA_SECRET_KEY": "test-secret-key-not-for-production",
        "SPRAWA_WORKER_POLL_SECONDS": "0.1",
        "SPRAWA_LOG_LEVEL": "info",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "sprawa.cli", "worker"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not _worker_beat(runtime):
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "the worker never beat"
            time.sleep(0.1)
        with TestClient(create_app(runtime=runtime)) as client:
            assert client.get("/healthz").json()["status"] == "ok"
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert time.monotonic() - started < 5
    lines = [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]
    assert [line["msg"] for line in lines if line["logger"] == "sprawa.worker"] == [
        "worker started",
        "worker stopped",
    ]
