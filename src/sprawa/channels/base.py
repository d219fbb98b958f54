"""The channel adapter interface: every provider parses inbound and sends outbound behind it."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sprawa.channels.models import Channel, ChannelKind
from sprawa.customers.models import IdentityKind


@dataclass(frozen=True)
class IdentityClaim:
    """An identity the provider vouches for (``verified``) or the customer merely typed."""

    kind: IdentityKind
    value: str
    verified: bool = False


@dataclass
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class InboundMessage:
    """One customer message, normalised from any provider's payload."""

    provider_message_id: str
    thread_external_id: str
    identities: list[IdentityClaim]
    text: str
    html: str | None = None
    subject: str | None = None
    name: str | None = None
    language: str | None = None
    sent_at: datetime | None = None
    attachments: list[InboundAttachment] = field(default_factory=list)


@dataclass
class OutboundMessage:
    """What an adapter needs to deliver one reply."""

    message_id: str
    case_number: int
    thread_external_id: str
    text: str
    html: str | None
    subject: str | None
    recipient: dict[str, str]
    author_name: str | None


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None
    delivered: bool = False


@dataclass(frozen=True)
class Capabilities:
    html: bool = False
    attachments: bool = False
    delivery_receipts: bool = False
    live: bool = False


class ChannelAdapter(Protocol):
    """Provider behaviour; never branch on ``channel.kind`` outside an adapter."""

    kind: ChannelKind
    capabilities: Capabilities

    def parse_inbound(self, channel: Channel, payload: str, headers: dict[str, Any]) -> list[InboundMessage]:
        """Turn one stored raw event into customer messages (may be none: receipts, pings)."""
        ...

    def send(self, channel: Channel, credentials: dict[str, Any], message: OutboundMessage) -> SendResult:
        """Deliver one message; raise RetryLater or PermanentFailure (platform.jobs) on failure.

        ``message.message_id`` is stable across retries and must be passed as the provider's
        idempotency key wherever the provider takes one.
        """
        ...
