"""Allegro REST API calls: bearer auth with refresh, the device flow, 429 back-off, error mapping.

Allegro limits each Client_ID to 9,000 requests a minute and answers 429 (blocking the id for a minute);
a 429 becomes RetryLater with at least a minute unless Retry-After says otherwise.
"""

import base64
from datetime import timedelta
from typing import Any

import httpx

from sprawa.db import utcnow
from sprawa.platform.http import BlockedDestination, SafeHttp
from sprawa.platform.jobs import PermanentFailure, RetryLater, parse_retry_after

API = {"production": "https://api.allegro.pl", "sandbox": "https://api.allegro.pl.allegrosandbox.pl"}
AUTH = {"production": "https://allegro.pl", "sandbox": "https://allegro.pl.allegrosandbox.pl"}
MEDIA = "application/vnd.allegro.public.v1+json"
TIMEOUT_SECONDS = 20.0
RATE_LIMIT_PAUSE = 60.0


class TokenExpired(Exception):
    """The access token was refused (401): refresh and try once more."""


def api_base(settings: dict[str, Any]) -> str:
    return str(settings.get("api_base_url") or API[settings.get("environment", "production")]).rstrip("/")


def auth_base(settings: dict[str, Any]) -> str:
    return str(settings.get("auth_base_url") or AUTH[settings.get("environment", "production")]).rstrip("/")


def _basic(credentials: dict[str, Any]) -> str:
    pair = f"{credentials.get('client_id', '')}:{credentials.get('client_secret', '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _send(http: SafeHttp, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        return http.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
    except BlockedDestination as exc:
        raise PermanentFailure(f"Allegro address refused: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise RetryLater(f"Allegro timed out: {type(exc).__name__}") from exc
    except httpx.HTTPError as exc:
        raise RetryLater(f"Allegro unreachable: {type(exc).__name__}") from exc


def call(
    http: SafeHttp,
    settings: dict[str, Any],
    token: str,
    method: str,
    path: str,
    body: Any = None,
    params: dict[str, Any] | None = None,
) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Accept": MEDIA}
    if body is not None:
        headers["Content-Type"] = MEDIA
    response = _send(http, method, f"{api_base(settings)}{path}", json=body, params=params, headers=headers)
    if response.status_code == 401:
        raise TokenExpired(path)
    if response.status_code == 429:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        raise RetryLater("Allegro rate limit (429)", wait if wait is not None else RATE_LIMIT_PAUSE)
    if response.status_code >= 500:
        raise RetryLater(f"Allegro answered {response.status_code}")
    if response.status_code >= 400:
        raise PermanentFailure(
            f"Allegro refused {method} {path}: {response.status_code} {response.text[:300]}"
        )
    return response.json() if response.content else {}


def token_request(
    http: SafeHttp, settings: dict[str, Any], credentials: dict[str, Any], params: dict[str, str]
) -> httpx.Response:
    return _send(
        http,
        "POST",
        f"{auth_base(settings)}/auth/oauth/token",
        params=params,
        headers={"Authorization": _basic(credentials)},
    )


def refreshed(http: SafeHttp, settings: dict[str, Any], credentials: dict[str, Any]) -> dict[str, Any]:
    """New tokens from the refresh token (Allegro rotates it: the new one must be stored)."""
    if not credentials.get("refresh_token"):
        raise PermanentFailure("Allegro is not connected: connect the account in the channel settings")
    response = token_request(
        http,
        settings,
        credentials,
        {"grant_type": "refresh_token", "refresh_token": credentials["refresh_token"]},
    )
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryLater(f"Allegro token refresh answered {response.status_code}")
    if response.status_code != 200:
        raise PermanentFailure("Allegro refused the refresh token: connect the account again in the settings")
    return tokens_from(response.json())


def tokens_from(data: dict[str, Any]) -> dict[str, Any]:
    expires = utcnow() + timedelta(seconds=int(data.get("expires_in") or 43200))
    return {
        "access_token": data["access_token"],
        "refresh_token": data.get("refresh_token", ""),
        "expires_at": expires.isoformat(),
    }


def start_device_flow(
    http: SafeHttp, settings: dict[str, Any], credentials: dict[str, Any]
) -> dict[str, Any]:
    response = _send(
        http,
        "POST",
        f"{auth_base(settings)}/auth/oauth/device",
        data={"client_id": credentials.get("client_id", "")},
        headers={"Authorization": _basic(credentials)},
    )
    if response.status_code != 200:
        raise PermanentFailure(
            f"Allegro refused the device flow ({response.status_code}): check the Client ID and secret"
        )
    return dict(response.json())
