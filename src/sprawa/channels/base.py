"""The channel adapter interface: every provider parses inbound and sends outbound behind it."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
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
    content_id: str | None = None  # an e-mail's inline part, for the HTML body's ``cid:`` images


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
    # Threading hints, strongest first. ``trusted_thread_id`` is a Thread.id the adapter proved (a signed
    # reply token); ``thread_refs`` are provider ids of earlier messages (In-Reply-To, a quoted message),
    # honoured only when that thread belongs to the same customer; ``case_number`` likewise (subject tag).
    trusted_thread_id: str | None = None
    thread_refs: list[str] = field(default_factory=list)
    case_number: int | None = None
    # This message's own provider id for later replies to find (an e-mail's Message-ID).
    own_ref: str | None = None
    reply_address: str | None = None
    # False for robots (auto-submitted, lists, bounces): never send them an automatic answer.
    auto_reply_allowed: bool = True
    # The provider's own ids of orders the message is about (Allegro's checkout form id).
    order_refs: list[str] = field(default_factory=list)


@dataclass
class StatusUpdate:
    """A provider's report about one of our outbound messages (delivered, read, failed)."""

    provider_message_id: str
    status: str
    error: str | None = None
    at: datetime | None = None


@dataclass
class EchoMessage:
    """A message the business sent outside Sprawa (e.g. typed in Meta's own inbox): shown as an agent's."""

    provider_message_id: str
    thread_external_id: str
    text: str
    sent_at: datetime | None = None


Parsed = InboundMessage | StatusUpdate | EchoMessage


@dataclass(frozen=True)
class OutboundAttachment:
    """A file of an agent's reply; ``path`` is in the attachment store, read only when sending."""

    filename: str
    content_type: str
    path: Path

    def read(self) -> bytes:
        return self.path.read_bytes()


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
    # The customer's last message on this thread: its provider id, when it came, where to answer it.
    reply_to_ref: str | None = None
    last_inbound_at: datetime | None = None
    thread_id: str = ""
    # An automatic answer (auto-reply, notification) rather than a person's or the AI's reply.
    automatic: bool = False
    # A human agent wrote it (Meta's HUMAN_AGENT tag may carry it up to 7 days).
    human: bool = True
    attachments: list[OutboundAttachment] = field(default_factory=list)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None
    delivered: bool = False


@dataclass(frozen=True)
class Capabilities:
    html: bool = False
    attachments: bool = False
    # The adapter can send an agent's files to the customer (``OutboundMessage.attachments``).
    sends_files: bool = False
    delivery_receipts: bool = False
    live: bool = False
    # The worker polls the provider (``poll``) instead of, or besides, receiving webhooks.
    polls: bool = False
    # The provider's rules allow marketing content (suggestions); Allegro's do not.
    marketing: bool = True


class ChannelAdapter(Protocol):
    """Provider behaviour; never branch on ``channel.kind`` outside an adapter."""

    kind: ChannelKind
    capabilities: Capabilities

    def parse_inbound(self, channel: Channel, payload: str, headers: dict[str, Any]) -> Sequence[Parsed]:
        """Turn one stored raw event into customer messages (may be none: receipts, pings)."""
        ...

    def send(self, channel: Channel, credentials: dict[str, Any], message: OutboundMessage) -> SendResult:
        """Deliver one message; raise RetryLater or PermanentFailure (platform.jobs) on failure.

        ``message.message_id`` is stable across retries and must be passed as the provider's
        idempotency key wherever the provider takes one.
        """
        ...
