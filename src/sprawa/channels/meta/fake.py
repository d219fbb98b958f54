"""A local Graph API (WhatsApp Cloud API + Messenger/Instagram Send API) and Meta-shaped webhooks.

Serves on 127.0.0.1 for tests, the webhook replay and the demo, with Meta's wire format: bearer auth
(error 190), ``/<phone_number_id>/messages`` returning wamids and refusing free text outside the 24-hour
window (131047) or over 4,096 characters, ``/<page_id>/messages`` with Messenger's RESPONSE/HUMAN_AGENT
window rules, media lookup and download (``/media/<id>`` with the token as WhatsApp's, ``/cdn/<id>`` public
as Messenger's attachment URLs). Scripted faults (``fail_next``): "429", "500", "timeout",
"accept_then_timeout". The webhook builders produce payloads shaped like Meta's reference examples and
``signature`` signs them as Meta does (HMAC-SHA256 of the raw bytes with the app secret).
"""

import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sprawa.platform.ids import new_id

WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0004850180849a8c210000000049454e44ae426082"
)


def signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _ts(at: datetime | None) -> int:
    return int((at or datetime.now(UTC)).timestamp())


def wa_text(
    phone_number_id: str,
    wa_id: str,
    text: str,
    *,
    name: str = "",
    wamid: str = "",
    at: datetime | None = None,
) -> dict[str, Any]:
    message = {
        "from": wa_id,
        "id": wamid or f"wamid.{new_id()}",
        "timestamp": str(_ts(at)),
        "type": "text",
        "text": {"body": text},
    }
    return _wa_envelope(
        phone_number_id, {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]}
    )


def wa_image(phone_number_id: str, wa_id: str, media_id: str, caption: str = "") -> dict[str, Any]:
    image = {
        "caption": caption,
        "mime_type": "image/png",
        "sha256": hashlib.sha256(PNG_1PX).hexdigest(),
        "id": media_id,
    }
    message = {
        "from": wa_id,
        "id": f"wamid.{new_id()}",
        "timestamp": str(_ts(None)),
        "type": "image",
        "image": image,
    }
    return _wa_envelope(
        phone_number_id, {"contacts": [{"profile": {"name": ""}, "wa_id": wa_id}], "messages": [message]}
    )


def wa_status(
    phone_number_id: str, wamid: str, status: str, recipient: str, error_code: int | None = None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(_ts(None)),
        "recipient_id": recipient,
    }
    if error_code is not None:
        item["errors"] = [
            {"code": error_code, "title": "Re-engagement message", "error_data": {"details": "window closed"}}
        ]
    return _wa_envelope(phone_number_id, {"statuses": [item]})


def _wa_envelope(phone_number_id: str, value: dict[str, Any]) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "48120000000", "phone_number_id": phone_number_id},
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }


def page_message(
    page_id: str,
    psid: str,
    text: str,
    *,
    mid: str = "",
    obj: str = "page",
    echo: bool = False,
    metadata: str = "",
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": mid or f"m_{new_id()}", "text": text}
    if attachments:
        message["attachments"] = attachments
    sender, recipient = (page_id, psid) if echo else (psid, page_id)
    if echo:
        message |= {"is_echo": True, "app_id": 263902037430900}
        if metadata:
            message["metadata"] = metadata
    event = {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": _ts(None) * 1000,
        "message": message,
    }
    return {"object": obj, "entry": [{"id": page_id, "time": _ts(None) * 1000, "messaging": [event]}]}


def page_postback(page_id: str, psid: str, title: str, payload: str) -> dict[str, Any]:
    event = {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": _ts(None) * 1000,
        "postback": {"mid": f"m_{new_id()}", "title": title, "payload": payload},
    }
    return {"object": "page", "entry": [{"id": page_id, "time": _ts(None) * 1000, "messaging": [event]}]}


class FakeGraph(ThreadingHTTPServer):
    """``with FakeGraph(token) as graph:`` serves on ``graph.base_url``; ``graph.sent`` are accepted sends."""

    daemon_threads = True

    def __init__(self, access_token: str, *, hang_seconds: float = 2.0) -> None:
        super().__init__(("127.0.0.1", 0), _GraphHandler)
        self.access_token = access_token
        self.hang_seconds = hang_seconds
        self.sent: list[dict[str, Any]] = []
        self.attempts = 0
        self.fail_next: list[str] = []
        self.last_inbound: dict[str, datetime] = {}
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v21.0"

    def customer_wrote(self, recipient: str, at: datetime | None = None) -> None:
        """What Meta knows and we mirror: the customer's last message opens the window."""
        with self.lock:
            self.last_inbound[recipient.lstrip("+")] = at or datetime.now(UTC)

    def last_inbound_at(self, recipient: str) -> datetime | None:
        """When the customer last wrote (Meta's own record; the demo reads it from the database)."""
        with self.lock:
            return self.last_inbound.get(recipient.lstrip("+"))

    def sent_ids(self) -> list[str]:
        with self.lock:
            return [s["id"] for s in self.sent]

    def __enter__(self) -> "FakeGraph":
        threading.Thread(target=self.serve_forever, name="fake-graph", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _GraphHandler(BaseHTTPRequestHandler):
    server: FakeGraph

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(
        self, status: int, data: dict[str, Any] | bytes, headers: dict[str, str] | None = None
    ) -> None:
        body = data if isinstance(data, bytes) else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(data, bytes) else "image/png")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: int, message: str, subcode: int | None = None) -> None:
        error: dict[str, Any] = {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "Afake",
        }
        if subcode:
            error["error_subcode"] = subcode
        self._reply(status, {"error": error})

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {self.server.access_token}":
            self._error(401, 190, "Invalid OAuth access token.")
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802
        parts = self.path.strip("/").split("/")
        if parts[0] == "cdn":  # Messenger/Instagram attachment URLs: public, no token
            return self._reply(200, PNG_1PX)
        if not self._authorised():
            return
        if parts[0] == "media" and len(parts) == 2:
            self._reply(200, PNG_1PX)
        elif len(parts) == 2:
            host = f"http://127.0.0.1:{self.server.server_address[1]}"
            self._reply(
                200,
                {
                    "id": parts[1],
                    "url": f"{host}/media/{parts[1]}",
                    "mime_type": "image/png",
                    "file_size": len(PNG_1PX),
                },
            )
        else:
            self._error(404, 803, "Unknown path")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self._authorised():
            return
        with self.server.lock:
            self.server.attempts += 1
            fault = self.server.fail_next.pop(0) if self.server.fail_next else ""
        if fault == "429":
            return (
                self._error(429, 130429, "Rate limit hit")
                if "messaging_product" in body
                else self._reply(
                    429,
                    {"error": {"code": 613, "message": "Calls to this api have exceeded the rate limit."}},
                    {"Retry-After": "1"},
                )
            )
        if fault == "500":
            return self._error(500, 1, "An unknown error occurred")
        if fault == "timeout":
            time.sleep(self.server.hang_seconds)
            return self._error(503, 2, "Service temporarily unavailable")
        if "messaging_product" in body:
            self._whatsapp(body, fault)
        else:
            self._page(body, fault)

    def _accept(self, record: dict[str, Any], fault: str, answer: dict[str, Any]) -> None:
        with self.server.lock:
            self.server.sent.append(record)
        if fault == "accept_then_timeout":
            time.sleep(self.server.hang_seconds)
        self._reply(200, answer)

    def _whatsapp(self, body: dict[str, Any], fault: str) -> None:
        to = str(body.get("to", "")).lstrip("+")
        if body.get("type") == "text":
            text = (body.get("text") or {}).get("body", "")
            if len(text) > 4096:
                return self._error(400, 100, "Param text['body'] must be at most 4096 characters long.")
            last = self.server.last_inbound_at(to)
            if last is None or datetime.now(UTC) - last > WINDOW:
                return self._error(
                    400,
                    131047,
                    "Re-engagement message: more than 24 hours have passed since the recipient last replied.",
                )
        elif body.get("type") != "template":
            return self._error(400, 100, f"Unsupported message type {body.get('type')!r} in this fake")
        wamid = f"wamid.{new_id()}"
        self._accept(
            {"id": wamid, "to": to, **body},
            fault,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body.get("to"), "wa_id": to}],
                "messages": [{"id": wamid}],
            },
        )

    def _page(self, body: dict[str, Any], fault: str) -> None:
        psid = str((body.get("recipient") or {}).get("id", ""))
        last = self.server.last_inbound_at(psid)
        age = datetime.now(UTC) - last if last else None
        kind = body.get("messaging_type")
        allowed = age is not None and (
            (kind == "RESPONSE" and age <= WINDOW)
            or (kind == "MESSAGE_TAG" and body.get("tag") == "HUMAN_AGENT" and age <= HUMAN_AGENT_WINDOW)
        )
        if not allowed:
            return self._error(400, 10, "This message is sent outside of allowed window.", 2018278)
        mid = f"m_{new_id()}"
        self._accept({"id": mid, "to": psid, **body}, fault, {"recipient_id": psid, "message_id": mid})
