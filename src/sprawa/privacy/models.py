"""Data subject requests (RODO art. 15/17/20), retention settings per workspace, marketing consents."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow


class RequestKind(StrEnum):
    ACCESS = "access"  # art. 15 + 20: a machine-readable export
    ERASURE = "erasure"  # art. 17


class RequestStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    REJECTED = "rejected"


class DataSubjectRequest(Base):
    """A person's request to see or erase their data, tracked against its one-month deadline (art. 12(3)).

    Once an erasure is done, ``identity_value`` is replaced by its SHA-256, so the record of the request
    survives (accountability) without the personal data it was about.
    """

    __tablename__ = "data_subject_requests"
    __table_args__ = (Index("ix_dsr_workspace_status", "workspace_id", "status", "due_at"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[RequestKind] = mapped_column(String(16))
    status: Mapped[RequestStatus] = mapped_column(String(16), default=RequestStatus.OPEN)
    identity_kind: Mapped[str] = mapped_column(String(32))
    identity_value: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    raised_by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    # What was done: counts, records kept under a legal obligation, the reason of a rejection.
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RetentionSettings(Base):
    """How long a workspace keeps personal data; a daily job deletes what is older."""

    __tablename__ = "retention_settings"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), unique=True)
    closed_case_months: Mapped[int] = mapped_column(default=24)
    raw_inbound_days: Mapped[int] = mapped_column(default=30)
    attachment_months: Mapped[int] = mapped_column(default=24)
    # Complaint cases are kept this long after they were opened (the shop's answer must stay provable).
    complaint_hold_months: Mapped[int] = mapped_column(default=36)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ConsentRecord(Base):
    """One grant or withdrawal of marketing consent on one channel, with its source; the newest counts.

    Service messages about an order never look at consents; only marketing does.
    """

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consents_customer", "customer_id", "channel", "created_at"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(32), default="marketing")
    granted: Mapped[bool]
    # widget_checkbox | agent | form | link | keyword | import
    source: Mapped[str] = mapped_column(String(32))
    by_user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
