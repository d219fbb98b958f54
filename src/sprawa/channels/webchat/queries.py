"""Reads of the web chat: its channel by public key, a visitor's thread, case and messages.

A visitor reaches data only through its own thread (channel + visitor id): never by case or customer
ids it could send us, so it cannot read another customer's conversation or the case's other channels.
"""

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.cases.models import Attachment, Case, Message
from sprawa.channels.models import Channel, ChannelKind, Thread
from sprawa.customers.models import Customer, Identity, IdentityKind
from sprawa.platform.errors import NotFound

# Cases merged into another are followed; a chain longer than this is a bug, not data.
MAX_MERGE_HOPS = 10


def webchat_channel(db: Session, public_key: str) -> Channel:
    """The active web chat channel with this public key, else NotFound (also for other kinds)."""
    channel = db.scalars(select(Channel).where(Channel.public_key == public_key)).first()
    if channel is None or channel.kind != ChannelKind.WEBCHAT or not channel.active:
        raise NotFound("no active chat with this key", code="chat_not_found")
    return channel


def demo_channel(db: Session, public_key: str | None) -> Channel | None:
    """The chat the demo shop page talks to: the one asked for, else the oldest active web chat."""
    query = select(Channel).where(Channel.kind == ChannelKind.WEBCHAT, Channel.active.is_(True))
    if public_key:
        query = query.where(Channel.public_key == public_key)
    return db.scalars(query.order_by(Channel.created_at, Channel.id).limit(1)).first()


def visitor_customer_id(db: Session, workspace_id: str, visitor_id: str) -> str | None:
    """The customer behind a visitor id (following merges), None when erased."""
    customer_id = db.scalar(
        select(Identity.customer_id).where(
            Identity.workspace_id == workspace_id,
            Identity.kind == IdentityKind.VISITOR,
            Identity.value == visitor_id,
        )
    )
    for _ in range(MAX_MERGE_HOPS):
        if customer_id is None:
            return None
        merged_into = db.scalar(select(Customer.merged_into_id).where(Customer.id == customer_id))
        if merged_into is None:
            return customer_id
        customer_id = merged_into
    return customer_id


def visitor_thread(db: Session, channel_id: str, visitor_id: str) -> Thread | None:
    return db.scalars(
        select(Thread).where(Thread.channel_id == channel_id, Thread.external_id == visitor_id)
    ).first()


def thread_case(db: Session, thread: Thread) -> Case | None:
    """The case the thread's conversation lives in now (a merged case leads to its survivor)."""
    case = db.get(Case, thread.case_id) if thread.case_id else None
    for _ in range(MAX_MERGE_HOPS):
        if case is None or case.merged_into_id is None:
            break
        case = db.get(Case, case.merged_into_id)
    if case is not None and case.workspace_id != thread.workspace_id:
        return None
    return case


def thread_messages(db: Session, thread: Thread, case_id: str, after_seq: int, limit: int) -> list[Message]:
    """Messages of ``case_id`` on this thread after ``after_seq``, oldest first (notes are not messages)."""
    return list(
        db.scalars(
            select(Message)
            .where(Message.case_id == case_id, Message.thread_id == thread.id, Message.seq > after_seq)
            .order_by(Message.seq)
            .limit(limit)
        )
    )


def message_files(db: Session, message_ids: Sequence[str]) -> dict[str, list[Attachment]]:
    """The files of these messages (one query), oldest first."""
    found: dict[str, list[Attachment]] = defaultdict(list)
    if message_ids:
        for attachment in db.scalars(
            select(Attachment)
            .where(Attachment.message_id.in_(message_ids))
            .order_by(Attachment.created_at, Attachment.id)
        ):
            found[attachment.message_id or ""].append(attachment)
    return found


def visitor_attachment(db: Session, channel: Channel, visitor_id: str, attachment_id: str) -> Attachment:
    """A file of a message on the visitor's own thread of this chat; NotFound for anything else
    (another visitor's file, an internal note's file, an unsent upload), with no hint which."""
    attachment = db.scalars(
        select(Attachment)
        .join(Message, Message.id == Attachment.message_id)
        .join(Thread, Thread.id == Message.thread_id)
        .where(
            Attachment.id == attachment_id,
            Attachment.workspace_id == channel.workspace_id,
            Attachment.note_id.is_(None),
            Thread.channel_id == channel.id,
            Thread.external_id == visitor_id,
        )
    ).first()
    if attachment is None:
        raise NotFound("no such file in this conversation", code="file_not_found")
    return attachment


def message_by_provider_id(db: Session, channel_id: str, provider_message_id: str) -> Message | None:
    return db.scalars(
        select(Message).where(
            Message.channel_id == channel_id, Message.provider_message_id == provider_message_id
        )
    ).first()


def taken_identities(
    db: Session, workspace_id: str, claims: list[tuple[IdentityKind, str]]
) -> set[tuple[str, str]]:
    """Which of these (kind, normalised value) pairs already belong to someone in the workspace."""
    if not claims:
        return set()
    rows = db.execute(
        select(Identity.kind, Identity.value).where(
            Identity.workspace_id == workspace_id, Identity.value.in_([value for _, value in claims])
        )
    )
    return {(str(kind), value) for kind, value in rows}
