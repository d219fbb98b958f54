"""The form / HTTP API channel: the shop's contact form or own system posts messages and takes replies.

Inbound: ``POST /api/v1/inbound/form/{public_key}`` with a JSON body, signed with the channel's
``signing_secret`` (``X-Sprawa-Signature: sha256=<hex HMAC-SHA256 of the raw body>``) when one is set.
The raw body is stored in the inbound log and committed before the 202; the worker normalises it.

Outbound: a signed JSON POST to the channel's ``callback_url`` carrying ``Idempotency-Key: <message id>``,
the same key on every retry, so a shop endpoint that honours it applies each reply once even when a
worker died after sending and before recording the delivery.
"""

import json
from typing import Any

import httpx
from pydantic import ValidationError
from sqlalchemy.orm import Session

from sprawa.channels.base import Capabilities, IdentityClaim, InboundMessage, OutboundMessage, SendResult
from sprawa.channels.form.queries import form_channel_by_public_key
from sprawa.channels.form.schemas import FormMessageIn
from sprawa.channels.models import Channel, ChannelKind
from sprawa.customers.models import IdentityKind
from sprawa.platform.crypto import SecretBox, constant_time_equal, hmac_sha256_hex
from sprawa.platform.errors import InvalidInput, Unauthorized
from sprawa.platform.http import BlockedDestination, SafeHttp
from sprawa.platform.inbound import record_inbound
from sprawa.platform.jobs import PermanentFailure, RetryLater, parse_retry_after

SIGNATURE_HEADER = "X-Sprawa-Signature"
DEFAULT_TIMEOUT_SECONDS = 10.0
# Statuses worth another try: the request timed out, we were rate limited, the shop had an outage.
RETRYABLE = frozenset({408, 425, 429})
ERROR_BODY_CHARS = 300


def signature_for(secret: str, body: bytes) -> str:
    return "sha256=" + hmac_sha256_hex(secret, body)


def check_signature(secret: str, body: bytes, sent: str | None) -> None:
    """Constant-time check of ``X-Sprawa-Signature`` over the raw body."""
    if not sent or not constant_time_equal(signature_for(secret, body), sent.strip().lower()):
        raise Unauthorized("missing or wrong X-Sprawa-Signature", code="bad_signature")


def parse_form_message(body: bytes | str) -> FormMessageIn:
    """Validate a webhook body; InvalidInput lists every field problem."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("the body is not UTF-8 JSON", code="invalid_json") from exc
    try:
        return FormMessageIn.model_validate_json(body)
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "problem": e.get("msg"),
                "type": e.get("type"),
            }
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise InvalidInput("the message is missing fields or has invalid ones", details=details) from exc


def do_receive_form_message(
    session: Session, secrets: SecretBox, public_key: str, body: bytes, signature: str | None
) -> tuple[str, bool]:
    """Check, validate and durably record one posted message; returns (event id, duplicate).

    Nothing is normalised here: the ``inbound.process`` job does that after the commit, so the answer
    is fast and a message is never acknowledged without being stored.
    """
    channel = form_channel_by_public_key(session, public_key)
    secret = secrets.open(channel.credentials_encrypted).get("signing_secret")
    if secret:
        check_signature(secret, body, signature)
    message = parse_form_message(body)
    event_id, created = record_inbound(
        session,
        workspace_id=channel.workspace_id,
        channel_id=channel.id,
        provider_key=message.id,
        payload=body.decode(),
        headers={"signature_verified": bool(secret)},
    )
    return event_id, not created


class FormAdapter:
    """Inbound: signed JSON posts. Outbound: signed JSON to the callback URL, with an idempotency key."""

    kind = ChannelKind.FORM
    capabilities = Capabilities()

    def __init__(self, http: SafeHttp) -> None:
        self.http = http

    def parse_inbound(self, channel: Channel, payload: str, headers: dict[str, Any]) -> list[InboundMessage]:
        try:
            data = parse_form_message(payload)
        except InvalidInput as exc:
            # Stored but unreadable (e.g. recorded before a rule got stricter): retrying cannot help.
            fields = ", ".join(str(d["field"]) or "body" for d in exc.details or [])
            raise PermanentFailure(f"unreadable form payload ({fields})") from exc
        # Only a signed post can vouch for the e-mail; a public form could claim anyone's address.
        verified = data.verified and bool(headers.get("signature_verified"))
        claims = [IdentityClaim(IdentityKind.EMAIL, data.email, verified=verified)]
        if data.phone:
            claims.append(IdentityClaim(IdentityKind.PHONE, data.phone))
        return [
            InboundMessage(
                provider_message_id=data.id,
                thread_external_id=data.thread_id or data.id,
                identities=claims,
                text=data.text,
                subject=data.subject,
                name=data.name,
                language=data.language,
            )
        ]

    def send(self, channel: Channel, credentials: dict[str, Any], message: OutboundMessage) -> SendResult:
        url = channel.settings.get("callback_url")
        if not url:
            raise PermanentFailure("the form channel has no callback URL for replies")
        body = json.dumps(
            {
                "message_id": message.message_id,
                "case_number": message.case_number,
                "thread_id": message.thread_external_id,
                "to": message.recipient,
                "subject": message.subject,
                "text": message.text,
            },
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.message_id}
        if credentials.get("signing_secret"):
            headers[SIGNATURE_HEADER] = signature_for(credentials["signing_secret"], body)
        try:
            response = self.http.request(
                "POST", url, content=body, headers=headers, timeout=_timeout(channel)
            )
        except (BlockedDestination, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise PermanentFailure(f"callback URL refused: {exc}") from exc
        except httpx.TimeoutException as exc:
            # The shop may have applied the reply before timing out: the retry carries the same key.
            raise RetryLater(f"callback timed out: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise RetryLater(f"callback unreachable: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return SendResult(provider_message_id=response.headers.get("X-Message-Id") or message.message_id)
        detail = _error_detail(response)
        if status in RETRYABLE or status >= 500:
            raise RetryLater(
                f"callback answered {status}{detail}", parse_retry_after(response.headers.get("Retry-After"))
            )
        if 300 <= status < 400:
            where = response.headers.get("Location", "?")
            raise PermanentFailure(f"callback redirected ({status}) to {where}; redirects are not followed")
        raise PermanentFailure(f"callback refused the message: {status}{detail}")


def _timeout(channel: Channel) -> float:
    try:
        value = float(channel.settings.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS))
    except (TypeError, ValueError):
        value = DEFAULT_TIMEOUT_SECONDS
    return min(max(value, 0.5), 30.0)


def _error_detail(response: httpx.Response) -> str:
    text = " ".join(response.text.split())[:ERROR_BODY_CHARS]
    return f": {text}" if text else ""
