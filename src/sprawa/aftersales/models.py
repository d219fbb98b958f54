"""Return (withdrawal from a distance contract) and Complaint (non-conformity) records, linked to a case.

The deadlines are computed once, when the record is created, by ``aftersales.actions.deadlines`` (see
LEGAL-PL.md) and stored, so every view shows the same date; statuses move only through the transition
functions of ``aftersales.service``.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow

MONEY = Numeric(12, 2)


class ReturnStatus(StrEnum):
    REQUESTED = "requested"  # statement received, waiting for a person (or the AI inside the rules)
    APPROVED = "approved"  # accepted; the customer gets the return instructions
    AWAITING_GOODS = "awaiting_goods"  # instructions sent, parcel not here yet
    RECEIVED = "received"  # goods (or proof of sending) received: the refund can go out
    REFUNDED = "refunded"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class ReturnMethod(StrEnum):
    PACZKOMAT = "paczkomat"  # InPost return code from the shop's configuration
    COURIER = "courier"
    IN_STORE = "in_store"


class IntakeSource(StrEnum):
    AI = "ai"
    AGENT = "agent"
    SELF_SERVICE = "self_service"
    ALLEGRO = "allegro"  # the buyer started it on Allegro; mirrored from Allegro's customer returns


class Return(Base):
    """A withdrawal (zwrot) of items of one order; dates are the shop's local calendar days."""

    __tablename__ = "aftersales_returns"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        # One record per marketplace return (Allegro's id), even when two mirror runs overlap.
        UniqueConstraint("workspace_id", "marketplace_return_id"),
        Index("ix_aftersales_returns_queue", "workspace_id", "status", "withdrawal_deadline"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    status: Mapped[ReturnStatus] = mapped_column(String(16), default=ReturnStatus.REQUESTED)
    source: Mapped[IntakeSource] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    # Art. 27/28: possession of the (last part of the) order; None when the shop has no delivery date.
    delivered_at: Mapped[datetime | None]
    window_days: Mapped[int]
    withdrawal_deadline: Mapped[date | None]
    statement_received_at: Mapped[datetime]
    # Art. 34: the goods go back within 14 days of the statement.
    goods_due_by: Mapped[date]
    method: Mapped[ReturnMethod | None] = mapped_column(String(16))
    # What the customer needs for the method: Paczkomat return code, courier label URL, store address.
    method_details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    goods_received_at: Mapped[datetime | None]
    proof_of_sending_at: Mapped[datetime | None]
    # Art. 32: the items' prices plus, when the whole order comes back, its delivery up to the cheapest
    # ordinary delivery the shop offers (``ReturnsPolicy.cheapest_delivery_price``). Total = the two.
    refund_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    refund_items_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    refund_delivery_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), default="PLN")
    refund_method: Mapped[str | None] = mapped_column(String(32))
    # Art. 32: refund within 14 days of the statement (the shop may hold it until the goods/proof arrive).
    refund_due_by: Mapped[date]
    # "connector" when the shop refunded through its API, "manual" when a person has to pay it out.
    refund_via: Mapped[str | None] = mapped_column(String(16))
    refund_reference: Mapped[str | None] = mapped_column(String(100))
    refunded_at: Mapped[datetime | None]
    shop_reference: Mapped[str | None] = mapped_column(String(64))
    # The marketplace's own return id for mirrored returns (Allegro), unique per workspace; None otherwise.
    marketplace_return_id: Mapped[str | None] = mapped_column(String(64))
    auto_approved: Mapped[bool] = mapped_column(default=False)
    # Why the rules sent this return to a person (window closed, excepted goods...), for the queue.
    review_reasons: Mapped[list[str]] = mapped_column(default=list)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReturnItem(Base):
    """Units of one order line in a return, with what they cost and their art. 38 category."""

    __tablename__ = "aftersales_return_items"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    return_id: Mapped[str] = mapped_column(
        ForeignKey("aftersales_returns.id", ondelete="CASCADE"), index=True
    )
    order_item_id: Mapped[str | None] = mapped_column(
        ForeignKey("order_items.id", ondelete="SET NULL"), index=True
    )
    line_external_id: Mapped[str] = mapped_column(String(100))
    product_external_id: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    withdrawal_exception: Mapped[str | None] = mapped_column(String(32))


class ComplaintStatus(StrEnum):
    RECEIVED = "received"  # waiting for a person's decision; the 14-day clock runs and never pauses
    ANSWERED = "answered"  # decision sent to the customer
    RESOLVED = "resolved"  # follow-up done (replacement shipped, money returned, repair back)
    WITHDRAWN = "withdrawn"  # the customer took it back


class Remedy(StrEnum):
    REPAIR = "repair"
    REPLACEMENT = "replacement"
    PRICE_REDUCTION = "price_reduction"
    WITHDRAWAL = "withdrawal"


class ComplaintDecision(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Complaint(Base):
    """A complaint (reklamacja) about one order line; a person always decides it."""

    __tablename__ = "aftersales_complaints"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        Index("ix_aftersales_complaints_queue", "workspace_id", "status", "answer_due_by"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    order_item_id: Mapped[str | None] = mapped_column(
        ForeignKey("order_items.id", ondelete="SET NULL"), index=True
    )
    product_external_id: Mapped[str | None] = mapped_column(String(100), index=True)
    item_name: Mapped[str] = mapped_column(String(300))
    status: Mapped[ComplaintStatus] = mapped_column(String(16), default=ComplaintStatus.RECEIVED)
    source: Mapped[IntakeSource] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    remedy: Mapped[Remedy] = mapped_column(String(16))
    # Attachment ids (photos, videos) of the case's messages that show the problem.
    evidence: Mapped[list[str]] = mapped_column(default=list)
    delivered_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    # Art. 7a: answered within 14 days or deemed accepted. End of the 14th local day; never paused.
    answer_due_by: Mapped[datetime]
    # {"decision", "remedy", "reasons": [...], "facts": {...}}: computed from data, see actions/proposal.py.
    proposal: Mapped[dict[str, Any]] = mapped_column(default=dict)
    decision: Mapped[ComplaintDecision | None] = mapped_column(String(16))
    granted_remedy: Mapped[Remedy | None] = mapped_column(String(16))
    answer_text: Mapped[str | None] = mapped_column(Text)
    answer_message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    decided_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None]
    # Follow-up of an accepted complaint: replacement shipment, refund, repair.
    follow_up: Mapped[str | None] = mapped_column(String(24))
    follow_up_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    follow_up_reference: Mapped[str | None] = mapped_column(String(100))
    follow_up_done_at: Mapped[datetime | None]
    # 0: none, 1: warned (nearing the deadline), 2: last day. Raised by the breach alarm job.
    alarm_level: Mapped[int] = mapped_column(default=0)
    alarm_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LookupFailure(Base):
    """A failed self-service order lookup, kept briefly to slow down guessing of postcodes and e-mails."""

    __tablename__ = "aftersales_lookup_failures"
    __table_args__ = (
        Index("ix_aftersales_lookup_failures_key", "workspace_id", "order_number", "created_at"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    order_number: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
