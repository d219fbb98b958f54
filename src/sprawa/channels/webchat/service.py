"""The web chat channel: our own widget, so the transport is our WebSocket and HTTP API.

A visitor session is a signed token carrying the channel's public key and a random visitor id; the
visitor id is a verified identity of the customer (we issued it). What the visitor types as e-mail or
phone stays an unverified claim: it is attached to the visitor's own new customer only when nobody in
the workspace has it yet, and never ties the visitor to an existing customer.

Sending stores the raw event in the inbound log first (key: visitor id + client message id, so a
retried send is a harmless duplicate), normalises it in the same transaction and acknowledges with the
message's sequence number in its case. Receiving is a re-read of the visitor's own thread after the last
sequence number the widget has seen, triggered by live events (see ``cases.events.may_receive``).
"""

import json
import re
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.ai import escalation
from sprawa.ai.models import AICaseState, AIMode
from sprawa.auth.schemas import Principal
from sprawa.cases.events import VisitorView, typing_event
from sprawa.cases.models import (
    Attachment,
    AuthorKind,
    Case,
    CaseStatus,
    DeliveryStatus,
    Direction,
    Message,
    Priority,
)
from sprawa.cases.service import _case_data, add_message, record_activity, transition
from sprawa.channels.base import Capabilities, IdentityClaim, InboundMessage, OutboundMessage, SendResult
from sprawa.channels.models import Channel, ChannelKind, Thread
from sprawa.channels.service import IngestContext, process_inbound_event
from sprawa.channels.webchat.queries import (
    message_by_provider_id,
    message_files,
    taken_identities,
    thread_case,
    thread_messages,
    visitor_customer_id,
    visitor_thread,
    webchat_channel,
)
from sprawa.channels.webchat.schemas import (
    AckOut,
    HandoffOut,
    HistoryOut,
    SessionIn,
    SessionOut,
    VisitorCase,
    VisitorFile,
    VisitorMessage,
)
from sprawa.customers.models import IdentityKind
from sprawa.customers.service import normalise_identity, resolve_customer
from sprawa.db import utcnow
from sprawa.platform.crypto import sign, unsign
from sprawa.platform.errors import Conflict, Forbidden, InvalidInput, RateLimited, Unauthorized
from sprawa.platform.events import Event, emit
from sprawa.platform.ids import new_id
from sprawa.platform.inbound import record_inbound
from sprawa.workspaces.schemas import EscalationReason

PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}
TOKEN_PURPOSE = "visitor"  # noqa: S105 (the signing purpose, not a secret)
PAGE = 100


class WebchatAdapter:
    """Inbound events are the widget's JSON; outbound needs no provider (live event + resume by seq)."""

    kind = ChannelKind.WEBCHAT
    # Agents' files reach the widget as ``files`` of the message; the visitor downloads them with its token.
    capabilities = Capabilities(attachments=True, sends_files=True, live=True)

    def parse_inbound(self, channel: Channel, payload: str, headers: dict[str, Any]) -> list[InboundMessage]:
        data = json.loads(payload)
        visitor_id = data["visitor_id"]
        # Only the visitor id we issued identifies the sender; typed contacts were handled at session start.
        claims = [IdentityClaim(IdentityKind.VISITOR, visitor_id, verified=True)]
        return [
            InboundMessage(
                # Client ids are only unique per visitor; the channel-wide message key includes the visitor.
                provider_message_id=provider_key(visitor_id, data["client_message_id"]),
                thread_external_id=visitor_id,
                identities=claims,
                text=data["text"],
                name=data.get("name"),
                language=data.get("language"),
            )
        ]

    def send(self, channel: Channel, credentials: dict[str, Any], message: OutboundMessage) -> SendResult:
        # The widget received the message live when it was committed and resumes by seq after a drop.
        return SendResult(provider_message_id=message.message_id)


def provider_key(visitor_id: str, client_message_id: str) -> str:
    return f"{visitor_id}:{client_message_id}"


# Visitor sessions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visitor:
    """An authenticated widget session: which chat and which visitor (from a signed token)."""

    public_key: str
    visitor_id: str


def issue_visitor_token(secret_key: str, public_key: str, visitor_id: str) -> str:
    return sign(secret_key, TOKEN_PURPOSE, f"{public_key}.{visitor_id}")


def check_visitor_token(secret_key: str, token: str) -> Visitor:
    """The visitor a token was issued to; a forged or altered token is refused (constant-time check)."""
    value = unsign(secret_key, TOKEN_PURPOSE, token) if 0 < len(token) <= 200 else None
    public_key, _, visitor_id = (value or "").partition(".")
    if not public_key or not visitor_id:
        raise Unauthorized("invalid visitor token; start a new chat session", code="bad_visitor_token")
    return Visitor(public_key=public_key, visitor_id=visitor_id)


def check_origin(channel: Channel, origin: str | None, own_host: str) -> None:
    """A chat limited to the shop's sites (``allowed_origins``) starts only on them (or on our own host).

    Browsers always send ``Origin`` with a cross-site POST; a client without one is not a browser page.
    """
    allowed = {o.lower().rstrip("/") for o in (channel.settings or {}).get("allowed_origins") or []}
    if not allowed or origin is None:
        return
    origin = origin.lower().rstrip("/")
    if origin not in allowed and urlsplit(origin).netloc != own_host.lower():
        raise Forbidden("this chat cannot be embedded on this site", code="origin_not_allowed")


def do_start_session(
    db: Session,
    secret_key: str,
    public_key: str,
    data: SessionIn,
    *,
    origin: str | None = None,
    host: str = "",
) -> SessionOut:
    """Open a chat session: a new visitor id, its customer, and the token that proves it."""
    channel = webchat_channel(db, public_key)
    check_origin(channel, origin, host)
    typed = [
        IdentityClaim(kind, normalise_identity(kind, value))
        for kind, value in ((IdentityKind.EMAIL, data.email), (IdentityKind.PHONE, data.phone))
        if value
    ]
    # A typed contact somebody already has is dropped: it must not even become this customer's
    # e-mail/phone field (orders are matched by it). ``resolve_customer`` never lets an unverified
    # claim join the visitor to an existing customer; this also keeps the claim off the new record.
    taken = taken_identities(db, channel.workspace_id, [(c.kind, c.value) for c in typed])
    fresh = [c for c in typed if (str(c.kind), c.value) not in taken]
    visitor_id = new_id()
    visitor = IdentityClaim(IdentityKind.VISITOR, visitor_id, verified=True)
    resolve_customer(db, channel.workspace_id, [visitor, *fresh], name=data.name, language=data.language)
    return SessionOut(
        visitor_token=issue_visitor_token(secret_key, channel.public_key, visitor_id),
        visitor_id=visitor_id,
        channel_name=channel.name,
        language=data.language,
        greeting=(channel.settings or {}).get("greeting") or None,
    )


def do_send_visitor_message(
    db: Session, ingest: IngestContext, visitor: Visitor, client_message_id: str, text: str
) -> AckOut:
    """Store a visitor's message durably (inbound log first), normalise it, return the acknowledgement.

    A repeated ``client_message_id`` stores nothing new and acknowledges the original message again.
    """
    channel = webchat_channel(db, visitor.public_key)
    key = provider_key(visitor.visitor_id, client_message_id)
    payload = {"visitor_id": visitor.visitor_id, "client_message_id": client_message_id, "text": text}
    event_id, fresh = record_inbound(
        db,
        workspace_id=channel.workspace_id,
        channel_id=channel.id,
        provider_key=key,
        payload=json.dumps(payload, ensure_ascii=False),
    )
    # The queued inbound job finds the event processed; a duplicate whose first attempt is still
    # unprocessed (a crash between store and normalise) is normalised now.
    process_inbound_event(db, ingest, event_id)
    message = message_by_provider_id(db, channel.id, key)
    if message is None:
        raise Conflict("the message could not be stored", code="message_not_stored")
    return AckOut(
        client_message_id=client_message_id,
        message_id=message.id,
        case_id=message.case_id,
        seq=message.seq,
        duplicate=not fresh,
    )


# What the widget sees --------------------------------------------------------------------------


def open_visitor_view(db: Session, visitor: Visitor, case_id: str | None, after_seq: int) -> VisitorView:
    """A socket's starting point: the client's last known case and seq (checked on the first catch-up)."""
    channel = webchat_channel(db, visitor.public_key)
    thread = visitor_thread(db, channel.id, visitor.visitor_id)
    return VisitorView(
        workspace_id=channel.workspace_id,
        channel_id=channel.id,
        visitor_id=visitor.visitor_id,
        customer_id=visitor_customer_id(db, channel.workspace_id, visitor.visitor_id),
        thread_id=thread.id if thread else None,
        case_id=case_id,
        last_seq=max(after_seq, 0) if case_id else 0,
    )


def catch_up(db: Session, view: VisitorView, *, max_messages: int | None = None) -> list[dict[str, Any]]:
    """Frames the widget has not seen: a ``case`` frame when its conversation is in another case than
    it knows (then that case from seq 0), and the messages of its thread after ``view.last_seq``."""
    thread = (
        db.get(Thread, view.thread_id)
        if view.thread_id
        else visitor_thread(db, view.channel_id, view.visitor_id)
    )
    if thread is None or thread.channel_id != view.channel_id or thread.external_id != view.visitor_id:
        return []
    view.thread_id = thread.id
    case = thread_case(db, thread)
    if case is None:
        return []
    frames: list[dict[str, Any]] = []
    if case.id != view.case_id:
        view.case_id = case.id
        view.last_seq = 0
        view.shown_message_ids.clear()
        frames.append({"type": "case", "case": case_out(case).model_dump(mode="json")})
    sent = 0
    while max_messages is None or sent < max_messages:
        limit = PAGE if max_messages is None else min(PAGE, max_messages - sent)
        batch = thread_messages(db, thread, case.id, view.last_seq, limit)
        files = message_files(db, [m.id for m in batch])
        for message in batch:
            out = message_out(message, view.visitor_id, files.get(message.id, ())).model_dump(mode="json")
            frames.append({"type": "message", "case_id": case.id, "message": out})
            view.last_seq = message.seq
            view.shown_message_ids.add(message.id)
        sent += len(batch)
        if len(batch) < limit:
            break
    return frames


def history(db: Session, visitor: Visitor, case_id: str | None, after_seq: int, limit: int) -> HistoryOut:
    """The same catch-up over HTTP, one page at a time."""
    view = open_visitor_view(db, visitor, case_id, after_seq)
    frames = catch_up(db, view, max_messages=limit + 1)
    messages = [VisitorMessage.model_validate(f["message"]) for f in frames if f["type"] == "message"]
    has_more = len(messages) > limit
    messages = messages[:limit]
    case = db.get(Case, view.case_id) if view.case_id else None
    moved = any(f["type"] == "case" for f in frames)
    # Where the next page starts: after the last message sent, else where the client stood.
    last_seq = 0 if moved or case is None else max(after_seq, 0)
    if messages:
        last_seq = messages[-1].seq
    return HistoryOut(
        case=case_out(case) if case else None, messages=messages, last_seq=last_seq, has_more=has_more
    )


def case_out(case: Case) -> VisitorCase:
    return VisitorCase(id=case.id, number=case.number, status=case.status)


def message_out(message: Message, visitor_id: str, files: Sequence[Attachment] = ()) -> VisitorMessage:
    client_id = None
    prefix = f"{visitor_id}:"
    if message.provider_message_id and message.provider_message_id.startswith(prefix):
        client_id = message.provider_message_id.removeprefix(prefix)
    return VisitorMessage(
        id=message.id,
        seq=message.seq,
        direction=message.direction,
        author=message.author_kind,
        text=message.body_text,
        created_at=message.created_at,
        status=message.delivery_status,
        client_message_id=client_id,
        files=[
            VisitorFile(id=f.id, filename=f.filename, content_type=f.content_type, size=f.size) for f in files
        ],
    )


def visitor_typing(view: VisitorView) -> Event | None:
    """The visitor's typing indicator for the agents of its case (none before the first message)."""
    if view.case_id is None:
        return None
    return typing_event(view.workspace_id, view.case_id, who="customer")


# A soft guard against floods ----------------------------------------------------------------------


class RateLimiter:
    """Sliding-window counter per key, in this process only: a guard against floods, not a quota."""

    def __init__(self, limit: int, per_seconds: float) -> None:
        self.limit = limit
        self.per_seconds = per_seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 10_000:
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.per_seconds}
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.per_seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                raise RateLimited("too many requests; slow down", code="rate_limited")
            hits.append(now)


# Hand-off to a person ------------------------------------------------------------------------------

HANDOFF_TEXT = {
    "pl": "Chcę porozmawiać z człowiekiem.",
    "en": "I would like to talk to a person.",
    "de": "Ich möchte mit einem Menschen sprechen.",
    "uk": "Я хочу поговорити з людиною.",
}
HANDOFF_OPEN = {
    "pl": "Przekazaliśmy rozmowę konsultantowi — odpisze tutaj, zwykle w ciągu kilku minut.",
    "en": "We have passed your conversation to a person — they will answer here, usually within minutes.",
    "de": "Wir haben Ihr Gespräch an einen Mitarbeiter übergeben — er antwortet hier, meist in "
    "wenigen Minuten.",
    "uk": "Ми передали розмову консультанту — він відповість тут, зазвичай за кілька хвилин.",
}
HANDOFF_CLOSED = {
    "pl": "Przekazaliśmy rozmowę konsultantowi. Teraz jesteśmy poza godzinami pracy — odpiszemy {when}. "
    "Możesz zostawić tu swój e-mail, wtedy odpowiemy także mailem.",
    "en": "We have passed your conversation to a person. We are outside opening hours now — we will answer "
    "{when}. Leave your e-mail here and we will also answer by e-mail.",
    "de": "Wir haben Ihr Gespräch an einen Mitarbeiter übergeben. Wir sind gerade außerhalb der "
    "Geschäftszeiten und antworten {when}. Hinterlassen Sie gern Ihre E-Mail-Adresse.",
    "uk": "Ми передали розмову консультанту. Зараз неробочий час — ми відповімо {when}. "
    "Можете залишити свій e-mail, і ми відповімо також листом.",
}
WHEN_UNKNOWN = {
    "pl": "najszybciej, jak to możliwe",
    "en": "as soon as we can",
    "de": "so bald wie möglich",
    "uk": "якнайшвидше",
}
WHEN_AT = {
    "pl": "{day} od {hour}",
    "en": "{day} from {hour}",
    "de": "{day} ab {hour}",
    "uk": "{day} з {hour}",
}
DAY_WORDS = {
    "pl": (
        "dziś",
        "jutro",
        ["w poniedziałek", "we wtorek", "w środę", "w czwartek", "w piątek", "w sobotę", "w niedzielę"],
    ),
    "en": (
        "today",
        "tomorrow",
        ["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday"],
    ),
    "de": (
        "heute",
        "morgen",
        [
            "am Montag",
            "am Dienstag",
            "am Mittwoch",
            "am Donnerstag",
            "am Freitag",
            "am Samstag",
            "am Sonntag",
        ],
    ),
    "uk": (
        "сьогодні",
        "завтра",
        ["у понеділок", "у вівторок", "у середу", "у четвер", "у пʼятницю", "у суботу", "у неділю"],
    ),
}


def widget_language(channel: Channel, wanted: str | None) -> str:
    """The widget's language: the shop's page language when we speak it, else the channel's own."""
    if wanted:
        short = wanted[:2].lower()
        if short in HANDOFF_TEXT:
            return short
    return str((channel.settings or {}).get("language") or "pl")


def when_text(lang: str, now: datetime, next_open: datetime | None) -> str:
    if next_open is None:
        return WHEN_UNKNOWN[lang]
    today, tomorrow, weekdays = DAY_WORDS[lang]
    days = (next_open.date() - now.astimezone(next_open.tzinfo).date()).days
    day = today if days == 0 else tomorrow if days == 1 else weekdays[next_open.weekday()]
    return WHEN_AT[lang].format(day=day, hour=next_open.strftime("%H:%M"))


def do_request_human(
    db: Session, ingest: IngestContext, visitor: Visitor, client_message_id: str, language: str | None
) -> HandoffOut:
    """The customer asked for a person: the case is escalated at once (the AI stops answering it) and
    the customer is told honestly when a person will answer (business hours). Repeating is harmless."""
    channel = webchat_channel(db, visitor.public_key)
    lang = widget_language(channel, language)
    thread = visitor_thread(db, channel.id, visitor.visitor_id)
    case = thread_case(db, thread) if thread else None
    if case is None or case.status == CaseStatus.CLOSED:
        ack = do_send_visitor_message(db, ingest, visitor, client_message_id, HANDOFF_TEXT[lang])
        case = db.get(Case, ack.case_id)
        thread = visitor_thread(db, channel.id, visitor.visitor_id)
    assert case is not None and thread is not None
    db.refresh(case, with_for_update=db.get_bind().dialect.name == "postgresql")
    now = utcnow()
    open_now, next_open = escalation.opening(db, channel.workspace_id, now)
    if case.escalated:
        return HandoffOut(case_id=case.id, open_now=open_now, already=True)
    escalate_case(db, case, EscalationReason.HUMAN_REQUEST)
    text = (
        HANDOFF_OPEN[lang] if open_now else HANDOFF_CLOSED[lang].format(when=when_text(lang, now, next_open))
    )
    add_message(
        db,
        case,
        Message(
            thread_id=thread.id,
            channel_id=channel.id,
            customer_id=case.customer_id,
            direction=Direction.OUTBOUND,
            author_kind=AuthorKind.SYSTEM,
            body_text=text,
            delivery_status=DeliveryStatus.SENT,
            language=lang,
            created_at=now,
            sent_at=now,
        ),
    )
    return HandoffOut(case_id=case.id, open_now=open_now, already=False)


def escalate_case(db: Session, case: Case, reason: EscalationReason) -> None:
    """Hand the case to people: flagged, routed and prioritised by the shop's escalation rule for the
    reason, the AI switched to assisting only; recorded and announced."""
    route = escalation.route(db, case.workspace_id, [reason], case.language or "pl")
    case.escalated = True
    if case.status == CaseStatus.RESOLVED:
        transition(case, CaseStatus.OPEN)
    escalation.reopen_if_needed(case)
    if route.team is not None and case.team_id is None:
        case.team_id = route.team.id
    if PRIORITY_RANK[route.priority] > PRIORITY_RANK[case.priority]:
        case.priority = route.priority
    state = db.scalars(select(AICaseState).where(AICaseState.case_id == case.id)).first()
    if state is None:
        state = AICaseState(workspace_id=case.workspace_id, case_id=case.id)
        db.add(state)
    state.mode = AIMode.HANDED_OFF
    state.mode_reason = str(reason)
    record_activity(db, case, Principal.system(case.workspace_id), "escalated", reason=str(reason))
    emit(db, Event("case.updated", case.workspace_id, _case_data(case), case_id=case.id))


# Files and e-mail from the visitor -----------------------------------------------------------------

MAX_FILE_BYTES = 10 * 1024 * 1024
# What the widget accepts, recognised by the file's first bytes (a name or a declared type can lie).
FILE_SIGNATURES: list[tuple[str, bytes, int]] = [
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/gif", b"GIF8", 0),
    ("image/webp", b"WEBP", 8),
    ("application/pdf", b"%PDF-", 0),
]
FILE_TYPES = [kind for kind, _, _ in FILE_SIGNATURES]


def sniff_type(data: bytes) -> str | None:
    for kind, magic, at in FILE_SIGNATURES:
        if data[at : at + len(magic)] == magic and (kind != "image/webp" or data[:4] == b"RIFF"):
            return kind
    return None


def check_visitor_file(data: bytes, max_bytes: int) -> str:
    """The file's real type, or a clear refusal (too big, empty, not a photo or PDF)."""
    if not data:
        raise InvalidInput("the file is empty", code="empty_file")
    if len(data) > max_bytes:
        raise InvalidInput(f"the file is larger than {max_bytes // (1024 * 1024)} MB", code="file_too_large")
    kind = sniff_type(data)
    if kind is None:
        raise InvalidInput("only photos (JPG, PNG, GIF, WebP) and PDF files can be sent", code="file_type")
    return kind


def do_send_visitor_file(
    db: Session,
    ingest: IngestContext,
    visitor: Visitor,
    client_message_id: str,
    filename: str,
    data: bytes,
    caption: str | None,
) -> AckOut:
    """A photo or PDF from the visitor: the bytes are stored first (content-addressed, so a retry stores
    nothing new), then the message and its attachment in one transaction; a repeated id is a no-op."""
    kind = check_visitor_file(data, min(MAX_FILE_BYTES, ingest.attachment_max_bytes))
    name = re.sub(r"[\\/\x00-\x1f]", "_", filename or "").strip()[:200] or "plik"
    key, digest = ingest.store.put(data)
    ack = do_send_visitor_message(
        db, ingest, visitor, client_message_id, (caption or "").strip() or f"📎 {name}"
    )
    if not ack.duplicate:
        db.add(
            Attachment(
                workspace_id=db.get(Case, ack.case_id).workspace_id,  # type: ignore[union-attr]
                message_id=ack.message_id,
                filename=name,
                content_type=kind,
                size=len(data),
                sha256=digest,
                storage_key=key,
            )
        )
    return ack


def do_capture_contact(db: Session, visitor: Visitor, email: str) -> None:
    """The visitor left an e-mail so the shop can answer later: attached to the visitor's own customer
    when nobody else has it (an unverified claim never joins two customers); the agents see it either way."""
    channel = webchat_channel(db, visitor.public_key)
    value = normalise_identity(IdentityKind.EMAIL, email)
    claims = [
        IdentityClaim(IdentityKind.VISITOR, visitor.visitor_id, verified=True),
        IdentityClaim(IdentityKind.EMAIL, value),
    ]
    customer = resolve_customer(db, channel.workspace_id, claims)
    thread = visitor_thread(db, channel.id, visitor.visitor_id)
    case = thread_case(db, thread) if thread else None
    if case is not None:
        record_activity(db, case, Principal.system(case.workspace_id), "contact_email", email=value)
        emit(db, Event("case.updated", case.workspace_id, _case_data(case), case_id=case.id))
    elif customer.email is None:
        customer.email = value
