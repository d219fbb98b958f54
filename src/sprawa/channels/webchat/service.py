"""The web chat channel: our own widget, so the transport is our WebSocket and HTTP API."""

import json
from typing import Any

from sprawa.channels.base import Capabilities, IdentityClaim, InboundMessage, OutboundMessage, SendResult
from sprawa.channels.models import Channel, ChannelKind
from sprawa.customers.models import IdentityKind


class WebchatAdapter:
    """Inbound events are the widget's JSON; outbound needs no provider (live event + resume by seq)."""

    kind = ChannelKind.WEBCHAT
    capabilities = Capabilities(attachments=True, live=True)

    def parse_inbound(self, channel: Channel, payload: str, headers: dict[str, Any]) -> list[InboundMessage]:
        data = json.loads(payload)
        claims = [IdentityClaim(IdentityKind.VISITOR, data["visitor_id"], verified=True)]
        if data.get("email"):
            claims.append(IdentityClaim(IdentityKind.EMAIL, data["email"]))
        if data.get("phone"):
            claims.append(IdentityClaim(IdentityKind.PHONE, data["phone"]))
        return [
            InboundMessage(
                provider_message_id=data["client_message_id"],
                thread_external_id=data["visitor_id"],
                identities=claims,
                text=data["text"],
                name=data.get("name"),
                language=data.get("language"),
            )
        ]

    def send(self, channel: Channel, credentials: dict[str, Any], message: OutboundMessage) -> SendResult:
        # The widget received the message live when it was committed and resumes by seq after a drop.
        return SendResult(provider_message_id=message.message_id)
