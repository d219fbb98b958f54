"""Configured channels (credentials encrypted at rest) and the provider's conversation threads."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow
from sprawa.platform.ids import new_id


class ChannelKind(StrEnum):
    WEBCHAT = "webchat"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    ALLEGRO = "allegro"
    FORM = "form"


class Channel(Base):
    """One source of messages; provider behaviour lives in its adapter, not here."""

    __tablename__ = "channels"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ChannelKind] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    # Public handle used in webhook and widget URLs (not secret, not the primary key).
    public_key: Mapped[str] = mapped_column(String(26), unique=True, default=new_id)
    credentials_encrypted: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Thread(Base):
    """The channel's own conversation handle (e-mail thread, chat session, WhatsApp chat...)."""

    __tablename__ = "threads"
    __table_args__ = (UniqueConstraint("channel_id", "external_id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    external_id: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(500))
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageRef(Base):
    """A provider's id of a stored message (an e-mail's Message-ID...), so later replies find its thread."""

    __tablename__ = "channel_message_refs"
    __table_args__ = (Index("ix_channel_message_refs_ref", "channel_id", "ref"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(255))
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    # Where an answer to this message goes (an e-mail's Reply-To or From), when not the thread's own handle.
    reply_address: Mapped[str | None] = mapped_column(String(255))


class ChannelCursor(Base):
    """How far a poller has read (IMAP UIDVALIDITY + last UID, an Allegro timestamp...).

    Written in the same transaction as the event it was read with, so a killed poller resumes exactly.
    """

    __tablename__ = "channel_cursors"
    __table_args__ = (UniqueConstraint("channel_id", "name"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AutoReplyMark(Base):
    """The last automatic answer to one customer on one channel: at most one per window (RFC 3834)."""

    __tablename__ = "channel_auto_replies"
    __table_args__ = (UniqueConstraint("channel_id", "customer_id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
