"""A fake of the shop's reply endpoint (form / HTTP API channel callback), a real HTTP server on 127.0.0.1.

It honours ``Idempotency-Key`` the way a careful shop does: the first request with a key is applied,
a repeat is answered 200 again without applying. It can be told to fail a fraction of requests
(429 with Retry-After, 500, a timeout before applying, or a "late" answer after applying, the worst
case for an outbox) or to follow a script of outcomes (including any status code), and it records
every request.
"""

import hashlib
import hmac
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OK = "ok"
RATE_LIMITED = "429"
RATE_LIMITED_DATE = "429-date"
SERVER_ERROR = "500"
TIMEOUT = "timeout"  # hang before applying; the client gives up
LATE = "late"  # apply, then hang past the client's timeout: the sender never learns it worked
REDIRECT = "302"  # Location: redirect_to; any other digits answer that status


@dataclass
class Recorded:
    """One request as the fake saw it."""

    key: str | None
    message_id: str | None
    body: dict[str, Any] | None
    signature_ok: bool | None
    outcome: str
    applied: bool
    at: float = field(default_factory=time.monotonic)


class FakeCallback:
    """Start with ``with FakeCallback(...) as fake:``; ``fake.url`` is the callback URL."""

    def __init__(
        self,
        *,
        rate_limited: float = 0.0,
        server_errors: float = 0.0,
        timeouts: float = 0.0,
        late: float = 0.0,
        hang_seconds: float = 2.0,
        retry_after_seconds: int = 1,
        slow_seconds: float = 0.0,
        secret: str | None = None,
        redirect_to: str = "http://127.0.0.1:9/elsewhere",
        seed: int | None = None,
    ) -> None:
        self.rates = [
            (RATE_LIMITED, rate_limited / 2),
            (RATE_LIMITED_DATE, rate_limited / 2),
            (SERVER_ERROR, server_errors),
            (TIMEOUT, timeouts),
            (LATE, late),
        ]
        self.hang_seconds = hang_seconds
        self.retry_after_seconds = retry_after_seconds
        self.slow_seconds = slow_seconds
        self.secret = secret
        self.redirect_to = redirect_to
        self.rng = random.Random(seed)  # noqa: S311 - test fault injection, not security
        self.lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.applied: dict[str, dict[str, Any]] = {}
        self.applied_per_message: Counter[str] = Counter()
        self._script: list[str] = []
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> "FakeCallback":
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="fake-cb"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "FakeCallback":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start the fake first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sprawa/replies"

    # control -----------------------------------------------------------------------------------------
    def script(self, *outcomes: str) -> None:
        """Answer the next requests with these outcomes (then the configured fractions apply)."""
        with self.lock:
            self._script.extend(outcomes)

    def set_rates(self, **rates: float) -> None:
        with self.lock:
            current = dict(self.rates)
            if "rate_limited" in rates:
                current[RATE_LIMITED] = current[RATE_LIMITED_DATE] = rates["rate_limited"] / 2
            if "server_errors" in rates:
                current[SERVER_ERROR] = rates["server_errors"]
            if "timeouts" in rates:
                current[TIMEOUT] = rates["timeouts"]
            if "late" in rates:
                current[LATE] = rates["late"]
            self.rates = list(current.items())

    # observations ------------------------------------------------------------------------------------
    def outcomes(self) -> Counter[str]:
        with self.lock:
            return Counter(r.outcome for r in self.requests)

    def keys_applied(self) -> set[str]:
        with self.lock:
            return set(self.applied)

    def duplicates_applied(self) -> int:
        """Replies applied more than once: the same message under two keys, or sent without a key."""
        with self.lock:
            return sum(n - 1 for n in self.applied_per_message.values() if n > 1)

    def repeats(self) -> int:
        """Requests that repeated an already applied key (answered 200, not applied again)."""
        with self.lock:
            return sum(1 for r in self.requests if r.outcome == "repeat")

    # internals ---------------------------------------------------------------------------------------
    def _decide(self) -> str:
        with self.lock:
            if self._script:
                return self._script.pop(0)
            roll = self.rng.random()
            for outcome, rate in self.rates:
                if roll < rate:
                    return outcome
                roll -= rate
            return OK

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length)
        key = request.headers.get("Idempotency-Key")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        message_id = body.get("message_id") if isinstance(body, dict) else None
        signature_ok = None
        if self.secret is not None:
            expected = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
            signature_ok = hmac.compare_digest(expected, request.headers.get("X-Sprawa-Signature", ""))
        outcome = self._decide()
        if outcome == TIMEOUT:
            self._record(key, message_id, body, signature_ok, TIMEOUT, applied=False)
            self._stopping.wait(self.hang_seconds)
            return _answer(request, 504, {"error": "too slow"})
        if outcome in (RATE_LIMITED, RATE_LIMITED_DATE):
            self._record(key, message_id, body, signature_ok, RATE_LIMITED, applied=False)
            retry_after = str(self.retry_after_seconds)
            if outcome == RATE_LIMITED_DATE:
                when = datetime.now(UTC) + timedelta(seconds=self.retry_after_seconds + 1)
                retry_after = format_datetime(when, usegmt=True)
            return _answer(request, 429, {"error": "slow down"}, {"Retry-After": retry_after})
        if outcome == REDIRECT:
            self._record(key, message_id, body, signature_ok, REDIRECT, applied=False)
            return _answer(request, 302, {}, {"Location": self.redirect_to})
        if outcome.isdigit():  # any other status, e.g. "500", "408", "422"
            self._record(key, message_id, body, signature_ok, outcome, applied=False)
            return _answer(request, int(outcome), {"error": f"fake answered {outcome}"})
        applied = self._apply(key, message_id, body, signature_ok, late=outcome == LATE)
        if outcome == LATE:
            self._stopping.wait(self.hang_seconds)
        elif self.slow_seconds:
            self._stopping.wait(self.rng.uniform(0, self.slow_seconds))
        _answer(request, 200, {"status": "applied" if applied else "duplicate"}, {"X-Message-Id": key or ""})

    def _apply(
        self, key: str | None, message_id: str | None, body: Any, signature_ok: bool | None, *, late: bool
    ) -> bool:
        with self.lock:
            if key is not None and key in self.applied:
                self.requests.append(Recorded(key, message_id, body, signature_ok, "repeat", applied=False))
                return False
            if key is not None:
                self.applied[key] = body
            self.applied_per_message[message_id or key or "?"] += 1
            self.requests.append(Recorded(key, message_id, body, signature_ok, LATE if late else OK, True))
            return True

    def _record(
        self,
        key: str | None,
        message_id: str | None,
        body: Any,
        signature_ok: bool | None,
        outcome: str,
        *,
        applied: bool,
    ) -> None:
        with self.lock:
            self.requests.append(Recorded(key, message_id, body, signature_ok, outcome, applied))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout) closes its socket before we answer: expected here


def _answer(
    request: BaseHTTPRequestHandler, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    try:
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)
    except OSError:
        pass  # the client timed out and went away


def _handler_for(fake: FakeCallback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so no handler thread lingers on a kept-alive socket.
        def do_POST(self) -> None:  # noqa: N802
            fake._handle(self)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler
