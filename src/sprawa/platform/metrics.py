"""Operational figures: Prometheus metrics of one app, the request log line, health of DB and workers.

Each app owns its ``CollectorRegistry`` (never the process-global one), so tests and several apps in one
process do not collide. HTTP series are labelled by route template (``/api/v1/cases/{case_id}``), never by
raw path, so ids cannot explode the number of series. Queue figures are read from the database on scrape.
"""

import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sprawa.db import utcnow
from sprawa.logs import request_id_var
from sprawa.platform.ids import new_id
from sprawa.platform.inbound import InboundEvent, InboundStatus
from sprawa.platform.jobs import Job, JobStatus, WorkerHeartbeat

log = logging.getLogger("sprawa.request")

# A worker beats every 5 s (worker.HEARTBEAT_SECONDS); six missed beats mean it is gone.
WORKER_ALIVE_SECONDS = 30.0
# Scrapes and health checks must stay cheap even when a table is big or locked.
DB_STATEMENT_TIMEOUT_MS = 2000
REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_QUIET_ROUTES = frozenset({"/healthz", "/metrics"})
UNMATCHED = "<unmatched>"
# Latency buckets centred on the API target (p99 < 50 ms) with room for slow outliers.
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Job states that say something about the queue; "done" rows are history and would only cost a scan.
_QUEUE_STATES = (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.DEAD)
# Inbound events still waiting (backlog) or given up on; processed/ignored rows are history.
_INBOUND_STATES = (InboundStatus.RECEIVED, InboundStatus.FAILED)


def _bounded_session(factory: sessionmaker[Session]) -> Session:
    session = factory()
    if session.get_bind().dialect.name == "postgresql":
        # SET LOCAL lasts for this transaction only; the pooled connection is not left changed.
        session.execute(text(f"SET LOCAL statement_timeout = {DB_STATEMENT_TIMEOUT_MS}"))
    return session


@dataclass(frozen=True)
class WorkerStatus:
    last_seen_seconds: float | None
    alive: bool


def worker_status(session: Session, now: datetime | None = None) -> WorkerStatus:
    """How long ago the most recent worker beat; alive when within WORKER_ALIVE_SECONDS."""
    last = session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    if last is None:
        return WorkerStatus(last_seen_seconds=None, alive=False)
    age = max(0.0, ((now or utcnow()) - last).total_seconds())
    return WorkerStatus(last_seen_seconds=round(age, 1), alive=age <= WORKER_ALIVE_SECONDS)


@dataclass(frozen=True)
class Health:
    """``ok``: DB answers and a worker is alive. ``degraded``: DB answers, no live worker (the API still
    serves; jobs and the outbox wait). ``down``: the DB does not answer (the API cannot serve)."""

    status: str
    database: str
    worker: WorkerStatus
    error: str | None = None

    @property
    def http_status(self) -> int:
        return 503 if self.status == "down" else 200

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status,
            "database": self.database,
            "worker": {"last_seen_seconds": self.worker.last_seen_seconds, "alive": self.worker.alive},
        }
        if self.error:
            data["error"] = self.error
        return data


def check_health(factory: sessionmaker[Session]) -> Health:
    """Ask the database one trivial question and read the worker heartbeat."""
    try:
        with _bounded_session(factory) as session:
            session.execute(select(1))
            worker = worker_status(session)
    except Exception as exc:  # any failure to reach the DB is "down"; the class name is enough to act on
        log.warning("health check: database unreachable", extra={"error": type(exc).__name__})
        # The exception text may carry a host name or a DSN: only its class leaves the process.
        return Health("down", "error", WorkerStatus(None, False), error=type(exc).__name__)
    return Health("ok" if worker.alive else "degraded", "ok", worker)


class QueueCollector(Collector):
    """Queue depth, outbox failures, inbound backlog and worker liveness, read from the DB on scrape."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def collect(self) -> Iterator[Metric]:
        db_up = GaugeMetricFamily("sprawa_db_up", "1 when the database answered this scrape")
        try:
            families = self._read()
        except Exception as exc:
            log.warning("metrics: database unreachable", extra={"error": type(exc).__name__})
            db_up.add_metric([], 0)
            yield db_up
            return
        db_up.add_metric([], 1)
        yield db_up
        yield from families

    def _read(self) -> list[Metric]:
        jobs = GaugeMetricFamily(
            "sprawa_jobs", "Jobs by state (pending, running, dead) and kind", labels=["status", "kind"]
        )
        outbox_failed = GaugeMetricFamily(
            "sprawa_outbox_failed",
            "Outbound deliveries given up on (dead outbox.deliver jobs; each one marks its message failed)",
        )
        inbound = GaugeMetricFamily(
            "sprawa_inbound_events",
            "Inbound provider events waiting to be processed (received) or failed",
            labels=["status"],
        )
        workers = GaugeMetricFamily("sprawa_worker_alive", "1 when a worker beat within the last 30 s")
        last_seen = GaugeMetricFamily(
            "sprawa_worker_last_seen_seconds", "Seconds since the most recent worker heartbeat"
        )
        with _bounded_session(self.factory) as session:
            counts = {(s, k): 0 for s in _QUEUE_STATES for k in ("inbound.process", "outbox.deliver")}
            rows = session.execute(
                select(Job.status, Job.kind, func.count())
                .where(Job.status.in_(_QUEUE_STATES))
                .group_by(Job.status, Job.kind)
            )
            for status, kind, count in rows:
                counts[(JobStatus(status), kind)] = count
            for (status, kind), count in sorted(counts.items()):
                jobs.add_metric([str(status), kind], count)
            outbox_failed.add_metric([], counts.get((JobStatus.DEAD, "outbox.deliver"), 0))
            by_status = dict.fromkeys(_INBOUND_STATES, 0)
            for status, count in session.execute(
                select(InboundEvent.status, func.count())
                .where(InboundEvent.status.in_(_INBOUND_STATES))
                .group_by(InboundEvent.status)
            ):
                by_status[InboundStatus(status)] = count
            for status, count in by_status.items():
                inbound.add_metric([str(status)], count)
            worker = worker_status(session)
        workers.add_metric([], 1 if worker.alive else 0)
        if worker.last_seen_seconds is not None:
            last_seen.add_metric([], worker.last_seen_seconds)
        return [jobs, outbox_failed, inbound, workers, last_seen]


class Metrics:
    """The metric series of one app, in the app's own registry."""

    def __init__(self, factory: sessionmaker[Session] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "sprawa_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sprawa_http_request_duration_seconds",
            "Time from request start to the last body byte, by method, route template and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.websockets = Gauge(
            "sprawa_websocket_connections",
            "WebSocket connections open in this process",
            registry=self.registry,
        )
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        if factory is not None:
            self.registry.register(QueueCollector(factory))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def install_observability(app: Any, factory: sessionmaker[Session] | None) -> Metrics:
    """Give ``app`` its own metrics registry and the request middleware (``/metrics`` reads the former)."""
    metrics = Metrics(factory)
    app.state.metrics = metrics
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    return metrics


def route_template(scope: Scope, base_root_path: str = "") -> str:
    """The matched route's path template (set by the router on the shared scope), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if route is None or not isinstance(path, str):
        return _mount_template(scope)
    # Routers inside mounts extend root_path; the route's own path is relative to its mount.
    prefix = str(scope.get("root_path", ""))[len(base_root_path) :]
    if isinstance(route, Mount):
        return (prefix or path) + "/{path}"
    return prefix + path


def _mount_template(scope: Scope) -> str:
    """Mounted apps that are not routers (static files) leave no route on the scope: name the mount."""
    app = scope.get("app")
    raw = str(scope.get("path", ""))
    for candidate in getattr(app, "routes", ()):
        if isinstance(candidate, Mount) and candidate.path and raw.startswith(candidate.path + "/"):
            return candidate.path + "/{path}"
    return UNMATCHED


def _internal_error(request_id: str) -> bytes:
    return json.dumps(
        {
            "error": {
                "code": "internal_error",
                "message": "something went wrong on our side",
                "details": {"request_id": request_id},
            }
        }
    ).encode()


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _VALID_REQUEST_ID.match(candidate) else None
    return None


class ObservabilityMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware, so streaming and WebSockets pass untouched).

    Per HTTP request: takes the caller's ``X-Request-Id`` (when well-formed) or makes one, returns it,
    puts it on every log line of the request, records count and latency by route template, and writes one
    log line with method, route template, status, duration and request id. No query string, no body.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            self.metrics.websockets.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                self.metrics.websockets.dec()
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _incoming_request_id(scope) or new_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        base_root_path = str(scope.get("root_path", ""))
        status = 500
        header = (REQUEST_ID_HEADER.encode(), request_id.encode())

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *(h for h in message.get("headers", ()) if h[0].lower() != header[0]),
                    header,
                ]
            await send(message)

        started = time.perf_counter()
        response_started = False

        async def send_tracked(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send_wrapper(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception:
            # Answer here, so that the 500 carries the request id the caller can quote to support;
            # re-raised so that the server still logs the traceback.
            if not response_started:
                await send_tracked(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send_tracked({"type": "http.response.body", "body": _internal_error(request_id)})
            raise
        finally:
            duration = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "OTHER"
            route = route_template(scope, base_root_path)
            self.metrics.observe(method, route, status, duration)
            level = logging.DEBUG if route in _QUIET_ROUTES else logging.INFO
            if status >= 500:
                level = logging.ERROR
            if log.isEnabledFor(level):
                log.log(
                    level,
                    "request",
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(duration * 1000, 2),
                        "request_id": request_id,
                    },
                )
            request_id_var.reset(token)
