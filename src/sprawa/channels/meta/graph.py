"""Meta's Graph API (WhatsApp Cloud API, Messenger/Instagram Send API): calls, errors, media, webhooks.

Error mapping: 429, 5xx, timeouts and Meta's throttling codes are retried (honouring Retry-After);
anything else in 4xx is permanent and the agent sees Meta's own message. Graph takes no idempotency
key, so a timeout after Meta accepted a message can, rarely, deliver it twice.
"""

import hashlib
import hmac
import json
from typing import Any

import httpx

from sprawa.platform.http import BlockedDestination, SafeHttp
from sprawa.platform.jobs import PermanentFailure, RetryLater, parse_retry_after

DEFAULT_BASE_URL = "https://graph.facebook.com/v21.0"
TIMEOUT_SECONDS = 15.0
MEDIA_MAX_BYTES = 16 * 1024 * 1024
# Throughput / pair-rate / "too many calls" codes (WhatsApp 130429, 131056, 80007; Graph 4, 17, 32, 613).
THROTTLED = frozenset({4, 17, 32, 613, 80007, 130429, 131056})


class GraphError(PermanentFailure):
    """Meta refused the call for good; ``code`` is Meta's error code."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


def signature_ok(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256: sha256=<hex>`` over the raw bytes, compared in constant time."""
    expected = "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return bool(header) and hmac.compare_digest(expected.encode(), (header or "").strip().lower().encode())


def base_url(settings: dict[str, Any]) -> str:
    return str(settings.get("api_base_url") or DEFAULT_BASE_URL).rstrip("/")


def call(
    http: SafeHttp, method: str, url: str, token: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        response = http.request(method, url, json=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except BlockedDestination as exc:
        raise PermanentFailure(f"Graph API address refused: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise RetryLater(f"Graph API timed out: {type(exc).__name__}") from exc
    except httpx.HTTPError as exc:
        raise RetryLater(f"Graph API unreachable: {type(exc).__name__}: {exc}") from exc
    try:
        data = response.json()
    except json.JSONDecodeError:
        data = {}
    if 200 <= response.status_code < 300:
        return data if isinstance(data, dict) else {}
    error = data.get("error", {}) if isinstance(data, dict) else {}
    code = error.get("code")
    text = f"Graph API {response.status_code}, code {code}: {error.get('message') or response.text[:200]}"
    if response.status_code == 429 or response.status_code >= 500 or code in THROTTLED:
        raise RetryLater(text, parse_retry_after(response.headers.get("Retry-After")))
    raise GraphError(text, code)


def download(http: SafeHttp, url: str, token: str | None = None) -> tuple[bytes, str]:
    """Fetch a media file (through the SSRF-safe client), at most MEDIA_MAX_BYTES."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = http.request("GET", url, headers=headers, timeout=TIMEOUT_SECONDS)
    except BlockedDestination as exc:
        raise PermanentFailure(f"media address refused: {exc}") from exc
    except httpx.HTTPError as exc:
        raise RetryLater(f"media download failed: {type(exc).__name__}") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryLater(f"media download answered {response.status_code}")
    if response.status_code != 200:
        raise PermanentFailure(f"media download answered {response.status_code}")
    if len(response.content) > MEDIA_MAX_BYTES:
        raise PermanentFailure("media file larger than the limit")
    return response.content, response.headers.get("Content-Type", "application/octet-stream")
