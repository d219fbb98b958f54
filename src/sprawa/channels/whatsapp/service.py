"""WhatsApp Cloud API: signed webhooks in, Graph API sends out, the 24-hour customer-service window.

A webhook POST may carry several messages and statuses; each is stored as its own inbound event keyed
by Meta's id (``msg:<wamid>``, ``status:<wamid>:<status>``), so a redelivered or overlapping batch is
stored once and a status is applied once. The answer is sent only after the commit.

Window: free text only within 24 h of the customer's last message; outside it the channel's approved
template (``reengagement_template``) is sent instead, or the agent is told why nothing can be sent.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sprawa.channels.base import (
    Capabilities,
    IdentityClaim,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    Parsed,
    SendResult,
    StatusUpdate,
)
from sprawa.channels.errors import ConnectionProblem
from sprawa.channels.meta.graph import GraphError, base_url, call, download
from sprawa.channels.models import Channel, ChannelKind
from sprawa.customers.models import IdentityKind
from sprawa.db import utcnow
from sprawa.platform.crypto import SecretBox
from sprawa.platform.http import SafeHttp
from sprawa.platform.jobs import PermanentFailure, RetryLater

WINDOW = timedelta(hours=24)
MAX_TEXT = 4096
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
_STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}
OUTSIDE_WINDOW = (
    "Minęło ponad 24 godziny od ostatniej wiadomości klienta: WhatsApp pozwala teraz wysłać tylko "
    "zatwierdzony szablon, a kanał nie ma go ustawionego. / More than 24 hours since the customer's last "
    "message: WhatsApp only allows an approved template now, and none is configured for this channel."
)


def split_items(data: Any) -> list[tuple[str, dict[str, Any]]]:
    """One (key, payload) per message or status in a webhook; anything else is acknowledged and dropped."""
    items: list[tuple[str, dict[str, Any]]] = []
    if not isinstance(data, dict):
        return items
    for entry in data.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            if (change or {}).get("field") != "messages" or not isinstance(value, dict):
                continue
            contacts = value.get("contacts") or []
            for message in value.get("messages") or []:
                if isinstance(message, dict) and message.get("id"):
                    items.append((f"msg:{message['id']}", {"contacts": contacts, "message": message}))
            for status in value.get("statuses") or []:
                if isinstance(status, dict) and status.get("id") and status.get("status"):
                    items.append((f"status:{status['id']}:{status['status']}", {"status": status}))
    return items


def _text_of(message: dict[str, Any]) -> str:
    kind = message.get("type")
    if kind == "text":
        return str((message.get("text") or {}).get("body") or "")
    if kind == "interactive":
        reply = message.get("interactive") or {}
        chosen = reply.get("button_reply") or reply.get("list_reply") or {}
        return str(chosen.get("title") or chosen.get("id") or "")
    if kind == "button":
        return str((message.get("button") or {}).get("text") or "")
    if kind in MEDIA_TYPES:
        return str((message.get(kind) or {}).get("caption") or "")
    if kind == "location":
        loc = message.get("location") or {}
        name = " ".join(str(loc.get(k)) for k in ("name", "address") if loc.get(k))
        return f"📍 {name} ({loc.get('latitude')}, {loc.get('longitude')})".strip()
    if kind == "reaction":
        return str((message.get("reaction") or {}).get("emoji") or "")
    if kind == "contacts":
        names = [c.get("name", {}).get("formatted_name", "") for c in message.get("contacts") or []]
        return "Kontakt: " + ", ".join(n for n in names if n)
    return "[Wiadomość, której WhatsApp nie przekazuje (np. ankieta). / A message WhatsApp does not pass on.]"


class WhatsappAdapter:
    kind = ChannelKind.WHATSAPP
    capabilities = Capabilities(attachments=True, delivery_receipts=True)

    def __init__(self, http: SafeHttp, secrets: SecretBox) -> None:
        self.http = http
        self.secrets = secrets

    def parse_inbound(self, channel: Channel, payload: str, headers: dict[str, Any]) -> list[Parsed]:
        item = json.loads(payload)
        if "status" in item:
            status = item["status"]
            mapped = _STATUSES.get(status.get("status", ""))
            if mapped is None:
                return []
            errors = status.get("errors") or []
            error = "; ".join(
                f"{e.get('code')} {e.get('title') or e.get('message') or ''}".strip() for e in errors
            )
            return [StatusUpdate(status["id"], mapped, error=error or None)]
        message = item["message"]
        kind = message.get("type")
        if kind == "system" or not message.get("from"):
            return []  # e.g. "user_changed_number": no customer text
        wa_id = str(message["from"])
        names = {c.get("wa_id"): (c.get("profile") or {}).get("name") for c in item.get("contacts") or []}
        attachments = []
        if kind in MEDIA_TYPES:
            attachments = self._media(channel, message.get(kind) or {}, kind)
        context = message.get("context") or {}
        return [
            InboundMessage(
                provider_message_id=str(message["id"]),
                thread_external_id=wa_id,
                # WhatsApp proves the number: it is the customer's phone, as on their orders.
                identities=[
                    IdentityClaim(IdentityKind.WHATSAPP, wa_id, verified=True),
                    IdentityClaim(IdentityKind.PHONE, wa_id, verified=True),
                ],
                text=_text_of(message) or ("[załącznik]" if attachments else ""),
                name=names.get(wa_id),
                sent_at=_timestamp(message.get("timestamp")),
                attachments=attachments,
                thread_refs=[str(context["id"])] if context.get("id") else [],
                own_ref=str(message["id"]),
            )
        ]

    def _media(self, channel: Channel, media: dict[str, Any], kind: str) -> list[InboundAttachment]:
        token = self.secrets.open(channel.credentials_encrypted).get("access_token") or ""
        if not media.get("id") or not token:
            return []
        try:
            meta = call(self.http, "GET", f"{base_url(channel.settings or {})}/{media['id']}", token)
            data, content_type = download(self.http, str(meta.get("url") or ""), token)
        except PermanentFailure:
            return []  # expired or refused media: the message is stored without the file
        name = (
            media.get("filename") or f"{kind}.{(media.get('mime_type') or content_type).split('/')[-1][:8]}"
        )
        return [InboundAttachment(name, media.get("mime_type") or content_type, data)]

    def send(self, channel: Channel, credentials: dict[str, Any], message: OutboundMessage) -> SendResult:
        settings = channel.settings or {}
        token = credentials.get("access_token")
        if not token:
            raise PermanentFailure("the WhatsApp channel has no access token")
        to = message.thread_external_id
        inside = message.last_inbound_at is not None and utcnow() - message.last_inbound_at < WINDOW
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        if inside:
            if len(message.text) > MAX_TEXT:
                raise PermanentFailure(f"WhatsApp takes at most {MAX_TEXT} characters in one message")
            body |= {"type": "text", "text": {"preview_url": False, "body": message.text}}
            if message.reply_to_ref:
                body["context"] = {"message_id": message.reply_to_ref}
        else:
            template = settings.get("reengagement_template") or {}
            if not template.get("name"):
                raise PermanentFailure(OUTSIDE_WINDOW)
            body |= {
                "type": "template",
                "template": {
                    "name": template["name"],
                    "language": {"code": template.get("language") or "pl"},
                },
            }
        url = f"{base_url(settings)}/{settings['phone_number_id']}/messages"
        try:
            data = call(self.http, "POST", url, token, body)
        except GraphError as exc:
            if exc.code == 131047:
                raise PermanentFailure(OUTSIDE_WINDOW) from exc
            raise
        messages = data.get("messages") or [{}]
        return SendResult(provider_message_id=messages[0].get("id"))

    def check_connection(self, channel: Channel, credentials: dict[str, Any]) -> None:
        settings = channel.settings or {}
        token = credentials.get("access_token")
        if not token:
            raise ConnectionProblem("Brak tokenu dostępu.", "No access token is set.")
        try:
            call(self.http, "GET", f"{base_url(settings)}/{settings['phone_number_id']}", token)
        except PermanentFailure as exc:
            raise ConnectionProblem(
                f"Meta odrzuciła token lub numer: {exc}", f"Meta refused the token or number: {exc}"
            ) from exc
        except RetryLater as exc:
            raise ConnectionProblem(
                f"Nie udało się połączyć z Graph API: {exc}", f"Could not reach the Graph API: {exc}"
            ) from exc


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None
