"""Messenger and Instagram messaging (Meta Send API): webhooks with echoes and postbacks, replies
inside Meta's windows.

Window rules: ``messaging_type: RESPONSE`` within 24 h of the customer's last message; a human agent's
reply up to 7 days with the ``HUMAN_AGENT`` tag; beyond that (or an automatic message after 24 h)
nothing may be sent and the agent is told so. Our own sends carry ``metadata: sprawa:<id>``, so their
echoes are recognised; any other echo is a reply typed in Meta's inbox and shows as an agent message.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sprawa.channels.base import (
    Capabilities,
    EchoMessage,
    IdentityClaim,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    Parsed,
    SendResult,
    StatusUpdate,
)
from sprawa.channels.errors import ConnectionProblem
from sprawa.channels.meta.graph import base_url, call, download
from sprawa.channels.models import Channel, ChannelKind
from sprawa.customers.models import IdentityKind
from sprawa.db import utcnow
from sprawa.platform.http import SafeHttp
from sprawa.platform.jobs import PermanentFailure, RetryLater

KINDS = (ChannelKind.MESSENGER, ChannelKind.INSTAGRAM)
RESPONSE_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
METADATA_PREFIX = "sprawa:"
MAX_ATTACHMENTS = 10
CLOSED_WINDOW = (
    "Minęło ponad {days} od ostatniej wiadomości klienta: Meta nie pozwala już odpowiedzieć na tym kanale. "
    "Odpowiedz innym kanałem. / More than {days_en} since the customer's last message: Meta no longer allows "
    "a reply on this channel. Answer on another channel."
)


def _postback_id(event: dict[str, Any]) -> str:
    sender = (event.get("sender") or {}).get("id")
    return str(event["postback"].get("mid") or f"{sender}:{event.get('timestamp')}")


def event_key(event: dict[str, Any]) -> str | None:
    sender = (event.get("sender") or {}).get("id")
    if "message" in event:
        return f"mid:{event['message'].get('mid')}" if event["message"].get("mid") else None
    if "postback" in event:
        return f"postback:{_postback_id(event)}"
    if "delivery" in event:
        return f"delivery:{sender}:{event['delivery'].get('watermark')}"
    return None  # reads, reactions, referrals...: acknowledged, not stored


def split_events(data: Any) -> list[tuple[str, dict[str, Any]]]:
    items: list[tuple[str, dict[str, Any]]] = []
    if not isinstance(data, dict):
        return items
    for entry in data.get("entry") or []:
        for event in (entry or {}).get("messaging") or []:
            if isinstance(event, dict) and (key := event_key(event)):
                items.append((key, event))
    return items


def _ms(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


class MetaPageAdapter:
    """One adapter for a Facebook page's Messenger and an Instagram professional account."""

    capabilities = Capabilities(attachments=True, delivery_receipts=True)

    def __init__(self, kind: ChannelKind, http: SafeHttp) -> None:
        self.kind = kind
        self.http = http
        self.identity = (
            IdentityKind.MESSENGER_PSID if kind == ChannelKind.MESSENGER else IdentityKind.INSTAGRAM_ID
        )

    def parse_inbound(self, channel: Channel, payload: str, headers: dict[str, Any]) -> list[Parsed]:
        event = json.loads(payload)
        sender = str((event.get("sender") or {}).get("id") or "")
        recipient = str((event.get("recipient") or {}).get("id") or "")
        if "delivery" in event:
            return [StatusUpdate(str(mid), "delivered") for mid in event["delivery"].get("mids") or []]
        if "postback" in event:
            postback = event["postback"]
            return [
                InboundMessage(
                    provider_message_id=str(
                        postback.get("mid") or f"postback:{sender}:{event.get('timestamp')}"
                    ),
                    thread_external_id=sender,
                    identities=[IdentityClaim(self.identity, sender, verified=True)],
                    text=str(postback.get("title") or postback.get("payload") or ""),
                    sent_at=_ms(event.get("timestamp")),
                )
            ]
        message = event.get("message") or {}
        if message.get("is_echo"):
            if str(message.get("metadata") or "").startswith(METADATA_PREFIX):
                return []  # our own send coming back
            return [
                EchoMessage(
                    str(message["mid"]),
                    recipient,
                    str(message.get("text") or ""),
                    _ms(event.get("timestamp")),
                )
            ]
        attachments, links = self._attachments(message.get("attachments") or [])
        text = str(message.get("text") or (message.get("quick_reply") or {}).get("payload") or "")
        reply_to = (message.get("reply_to") or {}).get("mid")
        return [
            InboundMessage(
                provider_message_id=str(message["mid"]),
                thread_external_id=sender,
                identities=[IdentityClaim(self.identity, sender, verified=True)],
                text="\n".join(p for p in [text, *links] if p) or ("[załącznik]" if attachments else ""),
                sent_at=_ms(event.get("timestamp")),
                attachments=attachments,
                thread_refs=[str(reply_to)] if reply_to else [],
                own_ref=str(message["mid"]),
            )
        ]

    def _attachments(self, items: list[Any]) -> tuple[list[InboundAttachment], list[str]]:
        """Files are fetched now (Meta's URLs expire); what cannot be fetched stays a link."""
        files: list[InboundAttachment] = []
        links: list[str] = []
        for item in items[:MAX_ATTACHMENTS]:
            url = str(((item or {}).get("payload") or {}).get("url") or "")
            kind = str((item or {}).get("type") or "file")
            if not url:
                continue
            if kind not in ("image", "video", "audio", "file"):
                links.append(url)
                continue
            try:
                data, content_type = download(self.http, url)
            except PermanentFailure:
                links.append(url)
                continue
            files.append(InboundAttachment(f"{kind}.{content_type.split('/')[-1][:8]}", content_type, data))
        return files, links

    def send(self, channel: Channel, credentials: dict[str, Any], message: OutboundMessage) -> SendResult:
        settings = channel.settings or {}
        token = credentials.get("page_access_token")
        if not token:
            raise PermanentFailure("the channel has no page access token")
        since = utcnow() - message.last_inbound_at if message.last_inbound_at else None
        body: dict[str, Any] = {
            "recipient": {"id": message.thread_external_id},
            "message": {"text": message.text, "metadata": f"{METADATA_PREFIX}{message.message_id}"},
        }
        if since is not None and since < RESPONSE_WINDOW:
            body["messaging_type"] = "RESPONSE"
        elif since is not None and since < HUMAN_AGENT_WINDOW and message.human:
            body |= {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
        elif message.human:
            raise PermanentFailure(CLOSED_WINDOW.format(days="7 dni", days_en="7 days"))
        else:
            raise PermanentFailure(CLOSED_WINDOW.format(days="24 godziny", days_en="24 hours"))
        account = settings.get("page_id") or settings.get("instagram_account_id")
        data = call(self.http, "POST", f"{base_url(settings)}/{account}/messages", token, body)
        return SendResult(provider_message_id=data.get("message_id"))

    def check_connection(self, channel: Channel, credentials: dict[str, Any]) -> None:
        settings = channel.settings or {}
        token = credentials.get("page_access_token")
        if not token:
            raise ConnectionProblem("Brak tokenu strony.", "No page access token is set.")
        account = settings.get("page_id") or settings.get("instagram_account_id")
        try:
            call(self.http, "GET", f"{base_url(settings)}/{account}", token)
        except PermanentFailure as exc:
            raise ConnectionProblem(f"Meta odrzuciła token: {exc}", f"Meta refused the token: {exc}") from exc
        except RetryLater as exc:
            raise ConnectionProblem(
                f"Nie udało się połączyć z Graph API: {exc}", f"Could not reach the Graph API: {exc}"
            ) from exc
