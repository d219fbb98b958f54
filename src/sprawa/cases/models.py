"""Cases (one customer, one matter), their messages, notes, attachments, orders and link history."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow


class CaseStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    PENDING_INTERNAL = "pending_internal"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Direction(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    AI = "ai"
    SYSTEM = "system"


class DeliveryStatus(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class Case(Base):
    """The unit of work; its status moves only through ``cases.service.transition``."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        # The inbox reads one (workspace, status[, priority]) range per status in sort order and merges
        # them (cases.queries.list_cases), so every sort has an index ending in its key and the id.
        Index("ix_cases_inbox", "workspace_id", "status", "last_message_at", "id"),
        Index("ix_cases_waiting", "workspace_id", "status", "last_inbound_at", "id"),
        Index("ix_cases_priority", "workspace_id", "status", "priority", "last_message_at", "id"),
        Index("ix_cases_sla", "workspace_id", "status", "resolution_due_at", "id"),
        Index("ix_cases_assignee_inbox", "workspace_id", "assignee_id", "status", "last_message_at", "id"),
        Index(
            "ix_cases_subject_fts",
            text("to_tsvector('simple'::regconfig, subject)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    number: Mapped[int]
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[CaseStatus] = mapped_column(String(24), default=CaseStatus.NEW)
    priority: Mapped[Priority] = mapped_column(String(16), default=Priority.NORMAL)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    channel_id: Mapped[str | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"), index=True)
    intent: Mapped[str | None] = mapped_column(String(32))
    sentiment: Mapped[float | None]
    language: Mapped[str | None] = mapped_column(String(8))
    tags: Mapped[list[str]] = mapped_column(default=list)
    escalated: Mapped[bool] = mapped_column(default=False)
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopened_count: Mapped[int] = mapped_column(default=0)
    # Per-case message sequence: a reconnecting client resumes after the last seq it saw.
    last_seq: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_inbound_at: Mapped[datetime | None]
    merged_into_id: Mapped[str | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Message(Base):
    """One message to or from the customer on a channel; notes are a separate model."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel_id", "provider_message_id"),
        Index("ix_messages_case_seq", "case_id", "seq"),
        # Search: newest messages first when a word is common, the GIN index when it is rare (the
        # planner picks by the word's frequency). SQLite searches with LIKE.
        Index("ix_messages_recent", "workspace_id", "created_at", "id"),
        Index(
            "ix_messages_body_fts",
            text("to_tsvector('simple'::regconfig, body_text)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    # Indexed by ix_messages_recent (workspace_id, created_at, id).
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    direction: Mapped[Direction] = mapped_column(String(4))
    author_kind: Mapped[AuthorKind] = mapped_column(String(16))
    author_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    inbound_event_id: Mapped[str | None] = mapped_column(
        ForeignKey("inbound_events.id", ondelete="SET NULL"), index=True
    )
    delivery_status: Mapped[DeliveryStatus] = mapped_column(String(16))
    delivery_error: Mapped[str | None] = mapped_column(Text)
    # Why an inbound message joined this case (same thread / order / tracking number / new case).
    link_reason: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


class Note(Base):
    """An internal note on a case; never shown to the customer."""

    __tablename__ = "notes"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A file of a message or note; the bytes live in the attachment store, not in the database."""

    __tablename__ = "attachments"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    note_id: Mapped[str | None] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    # An agent's upload waiting for its reply: set while ``message_id`` is still empty.
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    # An e-mail's inline part (``Content-ID``, normalised): the HTML body's ``cid:`` images point at it.
    content_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseOrder(Base):
    """An order linked to a case, with the reason of the link."""

    __tablename__ = "case_orders"
    __table_args__ = (UniqueConstraint("case_id", "order_id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseLinkChange(Base):
    """A merge of two cases or a split of messages into a new case, recorded so it can be undone."""

    __tablename__ = "case_link_changes"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # merge | split
    source_case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    target_case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(String(200))
    by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]


class CaseActivity(Base):
    """What happened to a case (status, assignment, priority, tags, merge) for the timeline and KPIs."""

    __tablename__ = "case_activities"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    actor_kind: Mapped[AuthorKind] = mapped_column(String(16))
    actor_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseRead(Base):
    """How far one agent has read a case: the newest customer message time they have seen in it.

    The case is unread for that agent while ``Case.last_inbound_at`` is newer than ``seen_inbound_at``.
    """

    __tablename__ = "case_reads"
    __table_args__ = (UniqueConstraint("user_id", "case_id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    seen_inbound_at: Mapped[datetime | None]
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
