"""A local Allegro REST API for tests and the demo: OAuth device flow and refresh (rotating), ``/me``,
Message Center threads and messages, disputes, checkout forms, replies, and scripted 429s/5xx, with
Allegro's shapes and media type. ``approved`` is the seller confirming the device code on allegro.pl."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class FakeAllegro(ThreadingHTTPServer):
    """``with FakeAllegro() as fake:`` serves on ``fake.url``; ``fake.posted`` are the accepted writes."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.approved = False
        self.access_token = "at-1"  # noqa: S105 - the fake's own made-up tokens
        self.refresh_token = "rt-1"  # noqa: S105
        self.threads: list[dict[str, Any]] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.disputes: list[dict[str, Any]] = []
        self.dispute_messages: dict[str, list[dict[str, Any]]] = {}
        self.forms: dict[str, dict[str, Any]] = {}
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.fail_next: list[int] = []  # statuses answered to the next writes (POST)
        self.fail_reads: list[int] = []  # statuses answered to the next reads (GET)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> "FakeAllegro":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: FakeAllegro

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.allegro.public.v1+json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _tokens(self) -> dict[str, Any]:
        return {
            "access_token": self.server.access_token,
            "refresh_token": self.server.refresh_token,
            "token_type": "bearer",
            "expires_in": 43199,
            "scope": "allegro:api:messaging",
        }

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if parts.path == "/auth/oauth/device":
            return self._reply(
                200,
                {
                    "device_code": "dev-123",
                    "user_code": "ABC-DEF",
                    "expires_in": 3600,
                    "interval": 5,
                    "verification_uri": "https://allegro.pl/skojarz-aplikacje",
                    "verification_uri_complete": "https://allegro.pl/skojarz-aplikacje?code=ABC-DEF",
                },
            )
        if parts.path == "/auth/oauth/token":
            if query.get("grant_type") == "refresh_token":
                if query.get("refresh_token") != self.server.refresh_token:
                    return self._reply(400, {"error": "invalid_grant"})
                self.server.access_token += "x"
                self.server.refresh_token += "x"  # Allegro rotates the refresh token
                return self._reply(200, self._tokens())
            if not self.server.approved:
                return self._reply(400, {"error": "authorization_pending"})
            return self._reply(200, self._tokens())
        if self.headers.get("Authorization") != f"Bearer {self.server.access_token}":
            return self._reply(401, {"error": "invalid_token"})
        with self.server.lock:
            if self.server.fail_next:
                return self._reply(
                    self.server.fail_next.pop(0),
                    {"errors": [{"code": "TooManyRequests"}]},
                    {"Retry-After": "1"},
                )
            self.server.posted.append((parts.path, json.loads(body or b"{}")))
        self._reply(201, {"id": f"sent-{len(self.server.posted)}", "status": "DELIVERED"})

    def do_GET(self) -> None:  # noqa: N802
        if self.headers.get("Authorization") != f"Bearer {self.server.access_token}":
            return self._reply(401, {"error": "invalid_token"})
        with self.server.lock:
            status = self.server.fail_reads.pop(0) if self.server.fail_reads else 0
        if status:
            code = "TooManyRequests" if status == 429 else "InternalServerError"
            return self._reply(status, {"errors": [{"code": code}]}, {"Retry-After": "1"})
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path.strip("/").split("/")
        if path == ["me"]:  # the connected seller (GET /me, "Me" in the OpenAPI file)
            return self._reply(
                200, {"id": "43942913", "login": "LesnaPolana", "baseMarketplace": {"id": "allegro-pl"}}
            )
        if path == ["messaging", "threads"]:
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 20))
            threads = sorted(self.server.threads, key=lambda t: t["lastMessageDateTime"], reverse=True)
            return self._reply(
                200, {"threads": threads[offset : offset + limit], "offset": offset, "limit": limit}
            )
        if len(path) == 4 and path[:2] == ["messaging", "threads"] and path[3] == "messages":
            messages = [
                m
                for m in self.server.messages.get(path[2], [])
                if not query.get("after") or m["createdAt"] > query["after"]
            ]
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 20))
            newest_first = sorted(messages, key=lambda m: m["createdAt"], reverse=True)
            return self._reply(200, {"messages": newest_first[offset : offset + limit]})
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 10))
        if path == ["sale", "disputes"]:
            return self._reply(200, {"disputes": self.server.disputes[offset : offset + limit]})
        if len(path) == 4 and path[:2] == ["sale", "disputes"]:
            found = self.server.dispute_messages.get(path[2], [])
            return self._reply(200, {"messages": found[offset : offset + limit]})
        if len(path) == 3 and path[:2] == ["order", "checkout-forms"]:
            return self._reply(200, self.server.forms.get(path[2], {"id": path[2], "buyer": {}}))
        self._reply(404, {"errors": [{"code": "NotFound"}]})
