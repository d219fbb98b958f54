"""Writes on channels: turning stored inbound events into messages, delivering the outbox."""

import logging
from dataclasses import dataclass

import nh3
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.ai.tasks import enqueue_ai_respond
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Attachment, AuthorKind, Case, DeliveryStatus, Direction, Message
from sprawa.cases.service import find_case_for_inbound, link_orders, open_case, receive_inbound
from sprawa.channels.actions.auto_reply import maybe_auto_reply
from sprawa.channels.actions.polling import schedule_poll
from sprawa.channels.actions.status import apply_echo, apply_status
from sprawa.channels.actions.threads import (
    last_inbound_ref,
    orders_by_external_id,
    remember_ref,
    thread_for_inbound,
)
from sprawa.channels.base import (
    ChannelAdapter,
    EchoMessage,
    InboundMessage,
    OutboundAttachment,
    OutboundMessage,
    StatusUpdate,
)
from sprawa.channels.errors import ConnectionProblem
from sprawa.channels.models import Channel, ChannelKind, Thread
from sprawa.channels.queries import access_channel
from sprawa.channels.schemas import (
    ChannelIn,
    ChannelPatch,
    ConnectionCheckOut,
    parse_credentials,
    parse_settings,
)
from sprawa.commerce.queries import referenced_order_ids
from sprawa.customers.models import Customer
from sprawa.customers.service import resolve_customer
from sprawa.db import utcnow
from sprawa.platform.audit import append_audit_by
from sprawa.platform.crypto import SecretBox
from sprawa.platform.errors import Forbidden, NotFound
from sprawa.platform.events import Event, emit
from sprawa.platform.ids import new_id
from sprawa.platform.inbound import InboundEvent, InboundStatus, requeue_inbound
from sprawa.platform.jobs import Job, PermanentFailure
from sprawa.platform.storage import FileStore
from sprawa.privacy.actions.consents import withdraw_on_keyword
from sprawa.workspaces.queries import link_window

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestContext:
    """Process-level collaborators of ingest and delivery, built once at start-up."""

    store: FileStore
    secrets: SecretBox
    adapters: dict[ChannelKind, ChannelAdapter]
    attachment_max_bytes: int


def ingest_message(
    session: Session,
    ctx: IngestContext,
    channel: Channel,
    msg: InboundMessage,
    *,
    event_id: str | None = None,
) -> Message | None:
    """Store one normalised customer message: customer, thread, case, message. None if already stored."""
    duplicate = session.scalar(
        select(Message.id).where(
            Message.channel_id == channel.id, Message.provider_message_id == msg.provider_message_id
        )
    )
    if duplicate:
        return None
    customer = resolve_customer(
        session, channel.workspace_id, msg.identities, name=msg.name, language=msg.language
    )
    thread, hinted_case, hint_reason = thread_for_inbound(session, channel, customer, msg)
    order_ids = referenced_order_ids(session, customer, f"{msg.subject or ''} {msg.text}")
    order_ids += [
        o for o in orders_by_external_id(session, channel.workspace_id, msg.order_refs) if o not in order_ids
    ]
    window = link_window(session, channel.workspace_id)
    case, reason = find_case_for_inbound(session, customer, thread, order_ids, window)
    if case is None and hinted_case is not None:
        case, reason = hinted_case, hint_reason
    if case is None:
        case = open_case(
            session,
            customer,
            subject=msg.subject or _subject_from(msg.text),
            channel_id=channel.id,
            language=msg.language,
        )
    thread.case_id = case.id
    thread.last_message_at = utcnow()
    link_orders(session, case, order_ids, reason="mentioned by the customer")
    message = Message(
        thread_id=thread.id,
        channel_id=channel.id,
        customer_id=customer.id,
        direction=Direction.INBOUND,
        author_kind=AuthorKind.CUSTOMER,
        body_text=msg.text,
        body_html=_clean_html(msg.html) if msg.html else None,
        provider_message_id=msg.provider_message_id,
        inbound_event_id=event_id,
        delivery_status=DeliveryStatus.RECEIVED,
        link_reason=reason,
        language=msg.language,
        created_at=utcnow(),
        sent_at=msg.sent_at,
    )
    receive_inbound(session, case, message)
    withdraw_on_keyword(session, customer, str(channel.kind), message)  # "STOP": no marketing, at once
    _store_attachments(session, ctx, message, msg)
    enqueue_ai_respond(session, message)
    remember_ref(session, channel, thread, message.id, msg)
    maybe_auto_reply(session, channel, case, message, msg, message.created_at)
    return message


def _cid_images_only(element: str, attribute: str, value: str) -> str | None:
    # Inline (cid:) images stay for the case view to resolve; remote ones are trackers, never kept.
    is_cid = value.strip().lower().startswith("cid:")
    if element == "img" and attribute == "src":
        return value if is_cid else None
    return None if is_cid else value


def _clean_html(html: str) -> str:
    return nh3.clean(html, url_schemes=nh3.ALLOWED_URL_SCHEMES | {"cid"}, attribute_filter=_cid_images_only)


def _subject_from(text: str) -> str:
    first = " ".join(text.split())
    return first if len(first) <= 80 else first[:77].rstrip() + "…"


def _store_attachments(session: Session, ctx: IngestContext, message: Message, msg: InboundMessage) -> None:
    for item in msg.attachments:
        if len(item.data) > ctx.attachment_max_bytes:
            log.warning("attachment over the size limit skipped", extra={"message_id": message.id})
            continue
        key, digest = ctx.store.put(item.data)
        session.add(
            Attachment(
                workspace_id=message.workspace_id,
                message_id=message.id,
                filename=item.filename[:255] or "plik",
                content_type=item.content_type[:127] or "application/octet-stream",
                size=len(item.data),
                sha256=digest,
                storage_key=key,
                content_id=item.content_id,
            )
        )


def process_inbound_event(session: Session, ctx: IngestContext, event_id: str) -> int:
    """Normalise one stored raw event; idempotent (a processed event is skipped)."""
    event = session.get(InboundEvent, event_id, with_for_update=True)
    if event is None or event.status != InboundStatus.RECEIVED:
        return 0
    channel = session.get(Channel, event.channel_id)
    assert channel is not None
    parsed = _adapter(ctx, channel).parse_inbound(channel, event.payload, event.headers)
    stored = 0
    for item in parsed:
        if isinstance(item, StatusUpdate):
            apply_status(session, channel, item)
        elif isinstance(item, EchoMessage):
            apply_echo(session, channel, item)
        else:
            stored += ingest_message(session, ctx, channel, item, event_id=event.id) is not None
    event.status = InboundStatus.PROCESSED if parsed else InboundStatus.IGNORED
    event.processed_at = utcnow()
    return stored


def ingest_inbound_job(ctx: IngestContext, session: Session, job: Job) -> None:
    """``inbound.process`` inside the worker's transaction (the worker groups these: see ``Worker``)."""
    process_inbound_event(session, ctx, job.payload["event_id"])


def run_inbound_job(ctx: IngestContext, factory: sessionmaker[Session], job: Job) -> None:
    """``inbound.process`` in a transaction of its own."""
    with factory.begin() as session:
        ingest_inbound_job(ctx, session, job)


def run_delivery_job(ctx: IngestContext, factory: sessionmaker[Session], job: Job) -> None:
    """Deliver one outbound message; the network call happens outside any transaction."""
    with factory.begin() as session:
        message = session.get(Message, job.payload["message_id"])
        if message is None or message.delivery_status not in (DeliveryStatus.QUEUED, DeliveryStatus.FAILED):
            return
        channel = session.get(Channel, message.channel_id)
        thread = session.get(Thread, message.thread_id)
        case = session.get(Case, message.case_id)
        customer = session.get(Customer, message.customer_id)
        assert channel and thread and case and customer
        if not channel.active:
            raise PermanentFailure("the channel is switched off")
        outbound = OutboundMessage(
            message_id=message.id,
            case_number=case.number,
            thread_external_id=thread.external_id,
            text=message.body_text,
            html=message.body_html,
            subject=thread.subject or case.subject,
            recipient={k: v for k, v in {"email": customer.email, "phone": customer.phone}.items() if v},
            author_name=None,
            thread_id=thread.id,
            automatic=message.author_kind == AuthorKind.SYSTEM,
            human=message.author_kind == AuthorKind.AGENT,
            last_inbound_at=session.scalar(
                select(func.max(Message.created_at)).where(
                    Message.thread_id == thread.id, Message.direction == Direction.INBOUND
                )
            ),
        )
        outbound.attachments = [
            OutboundAttachment(a.filename, a.content_type, ctx.store.path(a.storage_key))
            for a in session.scalars(
                select(Attachment).where(Attachment.message_id == message.id).order_by(Attachment.id)
            )
        ]
        ref = last_inbound_ref(session, thread.id)
        if ref is not None:
            outbound.reply_to_ref = ref.ref
            if ref.reply_address:
                outbound.recipient["address"] = ref.reply_address
        credentials = ctx.secrets.open(channel.credentials_encrypted)
        session.expunge_all()
    result = _adapter(ctx, channel).send(channel, credentials, outbound)
    with factory.begin() as session:
        message = session.get(Message, job.payload["message_id"])
        assert message is not None
        message.provider_message_id = result.provider_message_id or message.provider_message_id
        message.delivery_status = DeliveryStatus.DELIVERED if result.delivered else DeliveryStatus.SENT
        message.sent_at = utcnow()
        message.delivery_error = None
        _emit_status(session, message)


def _adapter(ctx: IngestContext, channel: Channel) -> ChannelAdapter:
    adapter = ctx.adapters.get(channel.kind)
    if adapter is None:
        raise PermanentFailure(f"the {channel.kind} channel has no adapter installed")
    return adapter


def mark_delivery_dead(session: Session, job: Job) -> None:
    """The outbox gave up on a message: agents see it failed, with the last error."""
    message = session.get(Message, job.payload.get("message_id"))
    if message is not None:
        message.delivery_status = DeliveryStatus.FAILED
        message.delivery_error = job.last_error
        _emit_status(session, message)


def _emit_status(session: Session, message: Message) -> None:
    emit(
        session,
        Event(
            "message.status",
            message.workspace_id,
            {"id": message.id, "status": message.delivery_status, "error": message.delivery_error},
            case_id=message.case_id,
        ),
    )


# ------------------------------------------------------------------------------ channel configuration
# Credentials are sealed with the SecretBox before they reach the database and are never returned;
# the audit trail records which credential keys changed, never a value.


def _check_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise Forbidden("only owners and admins may do this", code="admin_only")


def _audit_channel(session: Session, actor: Principal, action: str, channel: Channel, **data: object) -> None:
    append_audit_by(session, actor, action, "channel", channel.id, kind=str(channel.kind), **data)


def _emit_channel(session: Session, kind: str, channel: Channel) -> None:
    data = {"id": channel.id, "kind": str(channel.kind), "name": channel.name, "active": channel.active}
    emit(session, Event(kind, channel.workspace_id, data))


def do_create_channel(
    session: Session, actor: Principal, secrets: SecretBox, body: ChannelIn, *, outbound_allow: list[str]
) -> Channel:
    """Configure a new channel; its settings are validated for its kind, its credentials sealed."""
    _check_admin(actor)
    settings = parse_settings(body.kind, body.settings, outbound_allow)
    credentials = parse_credentials(body.kind, {k: v for k, v in body.credentials.items() if v is not None})
    channel = Channel(
        workspace_id=actor.workspace_id,
        kind=body.kind,
        name=body.name,
        settings=settings,
        credentials_encrypted=secrets.seal(credentials) if credentials else "",
        active=True,
    )
    session.add(channel)
    session.flush()
    _audit_channel(
        session, actor, "channel.created", channel, name=channel.name, credential_keys=sorted(credentials)
    )
    _emit_channel(session, "channel.created", channel)
    schedule_poll(session, channel, soon=True, after=f"created:{channel.id}")
    return channel


def do_update_channel(
    session: Session,
    actor: Principal,
    secrets: SecretBox,
    channel_id: str,
    patch: ChannelPatch,
    *,
    outbound_allow: list[str],
) -> Channel:
    """Rename, replace the settings, or set/remove single credentials of a channel."""
    _check_admin(actor)
    channel = access_channel(session, actor, channel_id, for_update=True)
    sent = patch.changes()
    changes: dict[str, object] = {}
    if "name" in sent and sent["name"] != channel.name:
        changes["name"] = {"from": channel.name, "to": sent["name"]}
        channel.name = sent["name"]
    if "settings" in sent:
        settings = parse_settings(channel.kind, sent["settings"], outbound_allow)
        if settings != channel.settings:
            changes["settings"] = sorted(
                k
                for k in settings.keys() | (channel.settings or {}).keys()
                if settings.get(k) != (channel.settings or {}).get(k)
            )
            channel.settings = settings
    if sent.get("credentials"):
        try:
            current = secrets.open(channel.credentials_encrypted)
        except ValueError:
            # Sealed under an old secret key: whatever is entered now replaces what cannot be read.
            current = {}
        # Only what is sent is validated, so a key stored by an older version never blocks a change.
        given = parse_credentials(
            channel.kind, {k: v for k, v in sent["credentials"].items() if v is not None}
        )
        updated = {**current, **given}
        for key, value in sent["credentials"].items():
            if value is None:
                updated.pop(key, None)
        set_keys = sorted(k for k, v in sent["credentials"].items() if v is not None and current.get(k) != v)
        removed = sorted(k for k, v in sent["credentials"].items() if v is None and k in current)
        if set_keys or removed:
            changes["credentials_set"] = set_keys
            changes["credentials_removed"] = removed
            channel.credentials_encrypted = secrets.seal(updated) if updated else ""
    if changes:
        session.flush()
        _audit_channel(session, actor, "channel.updated", channel, changes=changes)
        _emit_channel(session, "channel.updated", channel)
    return channel


def do_set_channel_active(session: Session, actor: Principal, channel_id: str, active: bool) -> Channel:
    """Switch a channel off (nothing is received or sent on it) or on again; history stays."""
    _check_admin(actor)
    channel = access_channel(session, actor, channel_id, for_update=True)
    if channel.active != active:
        channel.active = active
        session.flush()
        _audit_channel(session, actor, "channel.activated" if active else "channel.deactivated", channel)
        _emit_channel(session, "channel.updated", channel)
        if active:
            schedule_poll(session, channel, soon=True, after=f"activated:{new_id()}")
    return channel


def check_channel_connection(
    session: Session, actor: Principal, ctx: IngestContext, channel_id: str
) -> ConnectionCheckOut:
    """Try the channel's credentials against its provider now; the answer says what failed in PL and EN."""
    _check_admin(actor)
    channel = access_channel(session, actor, channel_id)
    check = getattr(ctx.adapters.get(channel.kind), "check_connection", None)
    if check is None:
        return ConnectionCheckOut(
            ok=True,
            message_pl="Ten kanał nie łączy się z zewnętrznym dostawcą — nie ma czego sprawdzać.",
            message_en="This channel does not connect to an outside provider; there is nothing to check.",
        )
    try:
        credentials = ctx.secrets.open(channel.credentials_encrypted)
    except ValueError:
        return ConnectionCheckOut(
            ok=False,
            message_pl="Dane logowania zapisano innym kluczem — wpisz je ponownie.",
            message_en="The credentials were sealed with another secret key; enter them again.",
        )
    try:
        check(channel, credentials)
    except ConnectionProblem as exc:
        return ConnectionCheckOut(ok=False, message_pl=exc.polish, message_en=exc.english)
    return ConnectionCheckOut(ok=True, message_pl="Połączenie działa.", message_en="The connection works.")


def do_replay_quarantined(session: Session, actor: Principal, channel_id: str, event_id: str) -> bool:
    """Put a quarantined event back in the queue (after the cause was fixed); False if not quarantined."""
    _check_admin(actor)
    channel = access_channel(session, actor, channel_id)
    event = session.get(InboundEvent, event_id)
    if event is None or event.channel_id != channel.id:
        raise NotFound("no such event on this channel", code="unknown_event")
    replayed = requeue_inbound(session, event.id)
    if replayed:
        _audit_channel(session, actor, "channel.event_replayed", channel, event_id=event.id)
    return replayed
