"""What every HTTP shop connector shares: the API client (limits, retries, error kinds) and default refusals.

All calls go through ``SafeHttp``. A client keeps to the platform's request rate (a token bucket shared by
every client of the same account in this process; the platform's own 429 answers are the authority across
processes), retries 429 and 5xx with exponential backoff and full jitter, never sooner than
``Retry-After``, and never past its deadline: an agent view that asks for fresh data with a 2 s budget gets
an answer or a :class:`ConnectorError` within 2 s, not after the platform's limit window.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from sprawa.commerce.base import (
    ActionResult,
    ItemChange,
    RefusalCode,
    ShipmentInfo,
    ShopCustomer,
)
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.platform.crypto import SecretBox
from sprawa.platform.http import BlockedDestination, SafeHttp
from sprawa.platform.jobs import backoff_seconds, parse_retry_after

MAX_ATTEMPTS = 4
MAX_WAIT = 20.0
DEFAULT_TIMEOUT = 10.0


@dataclass
class ConnectorEnv:
    """What a remote connector needs from the process: outbound HTTP, the secret box, a clock to wait."""

    http: SafeHttp
    secrets: SecretBox
    sleep: Callable[[float], None] = time.sleep
    # Seconds a single lookup may take in total (retries included); None: the HTTP client's timeout.
    budget: float | None = None

    def within(self, budget: float | None) -> ConnectorEnv:
        return ConnectorEnv(self.http, self.secrets, self.sleep, budget)


class TokenBucket:
    """``rate`` requests per ``per`` seconds with bursts up to ``burst``; thread-safe."""

    def __init__(self, rate: float, per: float, burst: float | None = None) -> None:
        self.capacity = burst if burst is not None else rate
        self.refill = rate / per
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def delay(self) -> float:
        """Take one token; how long to wait before using it (0 when one was available)."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.refill)
            self.stamp = now
            self.tokens -= 1
            return 0.0 if self.tokens >= 0 else -self.tokens / self.refill


_BUCKETS: dict[str, TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def bucket_for(account: str, rate: float, per: float, burst: float | None = None) -> TokenBucket:
    """The process's bucket for one platform account (keyed by a digest, never the raw credential)."""
    key = hashlib.sha256(f"{account}|{rate}|{per}".encode()).hexdigest()
    with _BUCKETS_LOCK:
        if key not in _BUCKETS:
            _BUCKETS[key] = TokenBucket(rate, per, burst)
        return _BUCKETS[key]


class ApiClient:
    """Requests to one platform account with its limits; raises ConnectorError with a problem kind."""

    def __init__(
        self,
        env: ConnectorEnv,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        bucket: TokenBucket | None = None,
        reauth: Callable[[], Mapping[str, str]] | None = None,
        reauth_first: bool = False,
    ) -> None:
        self.env = env
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.auth = auth
        self.bucket = bucket
        # OAuth platforms: ``reauth`` renews the token and gives the new auth headers; it runs once on a
        # 401 (the request is then retried once) or before the first request when the token has expired.
        self.reauth = reauth
        self.reauth_due = reauth_first and reauth is not None
        self.started = time.monotonic()

    def remaining(self) -> float:
        if self.env.budget is None:
            return DEFAULT_TIMEOUT
        return self.env.budget - (time.monotonic() - self.started)

    def wait(self, seconds: float, problem: ConnectorProblem, detail: str) -> None:
        """Sleep before a retry, or give up now when the wait would pass the deadline (or is so long that
        a job should rather be retried later than hold its worker)."""
        limit = self.remaining() if self.env.budget is not None else MAX_WAIT
        if seconds >= limit:
            raise ConnectorError(problem, detail, retry_after=seconds)
        if seconds > 0:
            self.env.sleep(seconds)

    def request(self, method: str, path: str, *, repeatable: bool = True, **kwargs: Any) -> httpx.Response:
        """One call with the platform's rate limit, backoff and token renewal. ``repeatable=False`` marks a
        write that would happen twice if sent twice (a POST that creates a row): it is sent again only when
        the platform certainly did not take it (429, or no connection was made), not after a timeout, 5xx."""
        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        extra = kwargs.pop("headers", {})
        if self.reauth_due:
            self._renew()
        headers = {**self.headers, **extra}
        if self.auth:
            kwargs["auth"] = httpx.BasicAuth(*self.auth)
        renewed = False
        for attempt in range(MAX_ATTEMPTS + 1):  # one more after a token renewal
            if self.bucket is not None:
                self.wait(self.bucket.delay(), ConnectorProblem.RATE_LIMITED, "request rate limit reached")
            timeout = max(0.05, min(DEFAULT_TIMEOUT, self.remaining()))
            try:
                response = self.env.http.request(method, url, headers=headers, timeout=timeout, **kwargs)
            except BlockedDestination as exc:
                raise ConnectorError(ConnectorProblem.UNREACHABLE, str(exc)) from exc
            except httpx.HTTPError as exc:
                if attempt + 1 >= MAX_ATTEMPTS or not (repeatable or isinstance(exc, httpx.ConnectError)):
                    raise ConnectorError(ConnectorProblem.UNREACHABLE, f"{type(exc).__name__}") from exc
                self.wait(backoff_seconds(attempt, base=0.2, cap=5), ConnectorProblem.UNREACHABLE, str(exc))
                continue
            if response.status_code == 401 and self.reauth is not None and not renewed:
                self._renew()
                headers, renewed = {**self.headers, **extra}, True
                continue
            if response.status_code in (401, 403):
                raise ConnectorError(ConnectorProblem.BAD_CREDENTIALS, _error_text(response))
            if response.status_code == 429 or response.status_code >= 500:
                problem = (
                    ConnectorProblem.RATE_LIMITED
                    if response.status_code == 429
                    else ConnectorProblem.UNREACHABLE
                )
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if attempt + 1 >= MAX_ATTEMPTS or not (repeatable or response.status_code == 429):
                    raise ConnectorError(problem, _error_text(response), retry_after=retry_after)
                self.wait(
                    backoff_seconds(attempt, retry_after, base=0.2, cap=5), problem, _error_text(response)
                )
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _renew(self) -> None:
        assert self.reauth is not None
        self.reauth_due = False
        self.headers.update(self.reauth())

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of a successful answer; 404 and 204 give None; other 4xx are bad responses."""
        response = self.request(method, path, **kwargs)
        if response.status_code in (204, 404):
            return None
        if response.status_code >= 400:
            raise ConnectorError(ConnectorProblem.BAD_RESPONSE, _error_text(response))
        try:
            return response.json()
        except ValueError as exc:
            raise ConnectorError(ConnectorProblem.BAD_RESPONSE, "the answer is not JSON") from exc


def _error_text(response: httpx.Response) -> str:
    return f"HTTP {response.status_code}: {response.text[:300]}"


def credentials(env: ConnectorEnv, config: Mapping[str, Any], *names: str) -> dict[str, str]:
    """Open the sealed credentials of a connector config, or NOT_CONFIGURED naming what is missing."""
    try:
        opened = env.secrets.open(str(config.get("credentials") or ""))
    except ValueError as exc:
        raise ConnectorError(ConnectorProblem.NOT_CONFIGURED, str(exc)) from exc
    missing = [n for n in names if not opened.get(n)]
    if missing:
        raise ConnectorError(ConnectorProblem.NOT_CONFIGURED, f"missing credentials: {', '.join(missing)}")
    return {k: str(v) for k, v in opened.items()}


def money(value: Any) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else "0")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return Decimal("0.00")


class RemoteConnector:
    """Defaults for the parts of the interface most platforms do not offer through their API."""

    def unsupported(self, what_pl: str, what_en: str) -> ActionResult:
        return ActionResult.refused(
            RefusalCode.UNSUPPORTED,
            f"Tego nie da się zrobić przez połączenie ze sklepem ({what_pl}). Zajmie się tym konsultant.",
            f"This cannot be done through the shop connection ({what_en}). An agent will handle it.",
        )

    def find_customers(self, *, email: str | None = None, phone: str | None = None) -> list[ShopCustomer]:
        found: dict[str, ShopCustomer] = {}
        for summary in self.find_orders(email=email, phone=phone, limit=10):  # type: ignore[attr-defined]
            detail = self.get_order(summary.number)  # type: ignore[attr-defined]
            if detail is not None and detail.customer is not None:
                found.setdefault(detail.customer.external_id, detail.customer)
        return list(found.values())

    def change_items(
        self, number: str, changes: Sequence[ItemChange], *, payment_method_id: str | None = None
    ) -> ActionResult:
        return self.unsupported("zmiana produktów", "changing items")

    def change_payment_method(self, number: str, payment_method_id: str) -> ActionResult:
        return self.unsupported("zmiana metody płatności", "changing the payment method")

    def track_shipment(self, tracking_number: str) -> ShipmentInfo | None:
        return None
