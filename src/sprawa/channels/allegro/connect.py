"""Connecting a seller's Allegro account with the OAuth device flow (no redirect URL needed).

The admin starts it from the channel settings and opens the link Allegro gives; the settings page then
asks us to check (every ``interval`` seconds) until Allegro reports the account connected or refused.
The device code and the tokens are sealed in the channel's credentials, never returned; once connected,
the seller's login (``GET /me``) is kept beside them so the settings page can say which account it is.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.channels.allegro.client import TokenExpired, call, start_device_flow, token_request, tokens_from
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.queries import access_channel
from sprawa.platform.audit import append_audit_by
from sprawa.platform.crypto import SecretBox
from sprawa.platform.errors import Forbidden, InvalidInput
from sprawa.platform.http import SafeHttp
from sprawa.platform.jobs import PermanentFailure, RetryLater

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TOKEN_FIELDS = ("access_token", "refresh_token", "expires_at", "device_code", "account_login", "account_id")


def _channel(session: Session, actor: Principal, channel_id: str) -> Channel:
    if not actor.is_admin:
        raise Forbidden("only owners and admins may do this", code="admin_only")
    channel = access_channel(session, actor, channel_id, for_update=True)
    if channel.kind != ChannelKind.ALLEGRO:
        raise InvalidInput("this is not an Allegro channel", code="not_allegro")
    return channel


def do_start_allegro_connection(
    session: Session, actor: Principal, secrets: SecretBox, http: SafeHttp, channel_id: str
) -> dict[str, Any]:
    channel = _channel(session, actor, channel_id)
    credentials = secrets.open(channel.credentials_encrypted)
    if not credentials.get("client_id") or not credentials.get("client_secret"):
        raise InvalidInput("set the Allegro Client ID and secret first", code="missing_client")
    flow = start_device_flow(http, channel.settings or {}, credentials)
    channel.credentials_encrypted = secrets.seal({**credentials, "device_code": flow["device_code"]})
    append_audit_by(session, actor, "channel.allegro_connect_started", "channel", channel.id)
    return {
        "user_code": flow.get("user_code"),
        "verification_uri_complete": flow.get("verification_uri_complete"),
        "expires_in": flow.get("expires_in"),
        "interval": flow.get("interval", 5),
    }


def do_check_allegro_connection(
    session: Session, actor: Principal, secrets: SecretBox, http: SafeHttp, channel_id: str
) -> dict[str, str]:
    """``connected``, ``pending`` (ask again after the interval), ``slow_down`` or ``denied``."""
    channel = _channel(session, actor, channel_id)
    credentials = secrets.open(channel.credentials_encrypted)
    if not credentials.get("device_code"):
        raise InvalidInput("start connecting the account first", code="no_device_flow")
    response = token_request(
        http,
        channel.settings or {},
        credentials,
        {"grant_type": DEVICE_GRANT, "device_code": credentials["device_code"]},
    )
    if response.status_code == 200:
        tokens = tokens_from(response.json())
        updated = {k: v for k, v in credentials.items() if k != "device_code"} | tokens
        updated |= _account(http, channel.settings or {}, tokens["access_token"])
        channel.credentials_encrypted = secrets.seal(updated)
        append_audit_by(session, actor, "channel.allegro_connected", "channel", channel.id)
        return {"status": "connected"}
    error = (response.json() if response.content else {}).get("error", "")
    if error in ("authorization_pending", "slow_down"):
        return {"status": "pending" if error == "authorization_pending" else "slow_down"}
    channel.credentials_encrypted = secrets.seal({k: v for k, v in credentials.items() if k != "device_code"})
    return {"status": "denied"}


def do_disconnect_allegro(session: Session, actor: Principal, secrets: SecretBox, channel_id: str) -> None:
    """Forget the account's tokens (the Client ID and secret stay); polling and replies stop until the
    account is connected again. The seller may also revoke the app on allegro.pl."""
    channel = _channel(session, actor, channel_id)
    credentials = secrets.open(channel.credentials_encrypted)
    channel.credentials_encrypted = secrets.seal(
        {k: v for k, v in credentials.items() if k not in TOKEN_FIELDS}
    )
    append_audit_by(session, actor, "channel.allegro_disconnected", "channel", channel.id)


def allegro_connection(
    session: Session, actor: Principal, secrets: SecretBox, channel_id: str
) -> dict[str, Any]:
    """What the settings page shows: connected or not, which account, until when the access token is
    valid (it is refreshed by itself), whether a connection was started and not finished."""
    channel = _channel(session, actor, channel_id)
    credentials = secrets.open(channel.credentials_encrypted)
    expires = credentials.get("expires_at")
    return {
        "channel": channel,
        "connected": bool(credentials.get("refresh_token")),  # the access token is renewed from it
        "account_login": credentials.get("account_login") or "",
        "expires_at": datetime.fromisoformat(expires) if expires else None,
        "has_client": bool(credentials.get("client_id") and credentials.get("client_secret")),
        "pending": bool(credentials.get("device_code")),
    }


def _account(http: SafeHttp, settings: dict[str, Any], token: str) -> dict[str, str]:
    """The connected seller's login and id; a failure here does not undo the connection."""
    try:
        me = call(http, settings, token, "GET", "/me")
    except (PermanentFailure, RetryLater, TokenExpired):
        return {}
    return {"account_login": str(me.get("login") or ""), "account_id": str(me.get("id") or "")}
