"""The form / HTTP API channel: the shop's contact form or own system posts messages and takes replies."""

import json
from typing import Any

import httpx

from sprawa.channels.base import Capabilities, IdentityClaim, InboundMessage, OutboundMessage, SendResult
from sprawa.channels.models import Channel, ChannelKind
from sprawa.customers.models import IdentityKind
from sprawa.platform.crypto import hmac_sha256_hex
from sprawa.platform.http import BlockedDestination, SafeHttp
from sprawa.platform.jobs import PermanentFailure, RetryLater


class FormAdapter:
    """Inbound: signed JSON posts. Outbound: signed JSON to the callback URL, with an idempotency key."""

    kind = ChannelKind.FORM
    capabilities = Capabilities()

    def __init__(self, http: SafeHttp) -> None:
        self.http = http

    def parse_inbound(self, channel: Channel, payload: str, headers: dict[str, Any]) -> list[InboundMessage]:
        data = json.loads(payload)
        claims = [IdentityClaim(IdentityKind.EMAIL, data["email"], verified=bool(data.get("verified")))]
        if data.get("phone"):
            claims.append(IdentityClaim(IdentityKind.PHONE, data["phone"]))
        return [
            InboundMessage(
                provider_message_id=data["id"],
                thread_external_id=data.get("thread_id") or data["id"],
                identities=claims,
                text=data["text"],
                subject=data.get("subject"),
                name=data.get("name"),
                language=data.get("language"),
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
            headers["X-Sprawa-Signature"] = "sha256=" + hmac_sha256_hex(credentials["signing_secret"], body)
        try:
            response = self.http.request("POST", url, content=body, headers=headers)
        except BlockedDestination as exc:
            raise PermanentFailure(str(exc)) from exc
        except httpx.HTTPError as exc:
            raise RetryLater(f"callback unreachable: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryLater(f"callback answered {response.status_code}", _retry_after(response))
        if response.status_code >= 400:
            raise PermanentFailure(f"callback refused the message: {response.status_code}")
        return SendResult(provider_message_id=response.headers.get("X-Message-Id") or message.message_id)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
