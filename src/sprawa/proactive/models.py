"""Proactive notices (one per event, by dedup key) and personalised suggestions with their reason."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow


class NoticeStatus(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # opted out, no channel the customer can be reached on


class ProactiveNotice(Base):
    """One proactive message about one event; the unique dedup key makes every event send at most once."""

    __tablename__ = "proactive_notices"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedup_key"),
        Index("ix_proactive_notices_customer", "customer_id", "created_at"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    rule: Mapped[str] = mapped_column(String(32))
    dedup_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[NoticeStatus] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"))
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    # Outside a channel's free-text window: the pre-approved template and its parameters.
    template: Mapped[str | None] = mapped_column(String(64))
    template_params: Mapped[list[str]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SuggestionKind(StrEnum):
    REPLENISHMENT = "replenishment"
    CO_PURCHASE = "co_purchase"


class Suggestion(Base):
    """A product suggestion for one customer, made from the shop's own data, with why it was made."""

    __tablename__ = "suggestions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedup_key"),
        Index("ix_suggestions_customer", "customer_id", "created_at"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[SuggestionKind] = mapped_column(String(16))
    product_external_id: Mapped[str] = mapped_column(String(100))
    product_name: Mapped[str] = mapped_column(String(300))
    why_pl: Mapped[str] = mapped_column(Text)
    why_en: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    dedup_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # proposed | sent | dismissed
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
