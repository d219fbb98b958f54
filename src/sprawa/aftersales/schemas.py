"""Shapes of the after-sales API: inputs (strict, bounded) and what the case view, queues and reports read."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sprawa.aftersales.models import (
    ComplaintDecision,
    ComplaintStatus,
    IntakeSource,
    Remedy,
    ReturnMethod,
    ReturnStatus,
)
from sprawa.workspaces.schemas import Strict

Id = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(max_length=5000)]
Money = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]


class LineIn(Strict):
    line_id: Id
    quantity: int = Field(1, ge=1, le=999)


class ReturnStartIn(Strict):
    order_id: Id
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    reason: Text = ""
    method: ReturnMethod | None = None


class ReturnApproveIn(Strict):
    method: ReturnMethod | None = None


class ReturnRejectIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class GoodsReceivedIn(Strict):
    """Bulk: every return must be awaiting goods, or nothing changes."""

    return_ids: list[Id] = Field(min_length=1, max_length=100)
    proof_only: bool = False


class RefundIn(Strict):
    reference: Annotated[str, StringConstraints(max_length=100)] = ""
    amount: Money | None = None


class ComplaintIn(Strict):
    order_id: Id
    line_id: Id
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=5000)]
    remedy: Remedy
    # Attachment ids of the case's messages; omitted: every photo/video the customer sent on the case.
    evidence: list[Id] | None = Field(None, max_length=50)


class ComplaintDecisionIn(Strict):
    decision: ComplaintDecision
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]
    granted_remedy: Remedy | None = None
    follow_up: Literal["replacement", "refund", "repair"] | None = None
    follow_up_amount: Money | None = None


class FollowUpIn(Strict):
    reference: Annotated[str, StringConstraints(max_length=100)] = ""


# ------------------------------------------------------------------------------------------------ out


class ReturnItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    order_item_id: str | None
    line_external_id: str
    product_external_id: str | None
    name: str
    quantity: int
    unit_price: Decimal
    withdrawal_exception: str | None


class ReturnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    number: str
    case_id: str
    order_id: str
    customer_id: str
    status: ReturnStatus
    source: IntakeSource
    reason: str
    delivered_at: datetime | None
    window_days: int
    withdrawal_deadline: date | None
    statement_received_at: datetime
    goods_due_by: date
    method: ReturnMethod | None
    method_details: dict[str, Any]
    goods_received_at: datetime | None
    proof_of_sending_at: datetime | None
    refund_amount: Decimal
    # Art. 32: what the refund is made of (delivery only when the whole order comes back).
    refund_items_amount: Decimal
    refund_delivery_amount: Decimal
    currency: str
    refund_method: str | None
    refund_due_by: date
    refund_via: str | None
    refund_reference: str | None
    refunded_at: datetime | None
    shop_reference: str | None
    marketplace_return_id: str | None
    auto_approved: bool
    review_reasons: list[str]
    rejection_reason: str | None
    decided_by_id: str | None
    decided_at: datetime | None
    created_at: datetime
    items: list[ReturnItemOut] = Field(default_factory=list)
    order_number: str = ""


class DeadlineBadge(BaseModel):
    """The complaint's answer deadline as every view shows it; it cannot be paused."""

    due_at: datetime
    due_on: date
    hours_left: int
    overdue: bool
    level: int  # 0 calm, 1 < 3 days, 2 last day, 3 overdue
    # Art. 7a: unanswered past the deadline, the complaint is deemed accepted as the customer asked.
    deemed_accepted: bool = False
    label_pl: str
    label_en: str


class ComplaintOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    number: str
    case_id: str
    order_id: str
    customer_id: str
    order_item_id: str | None
    product_external_id: str | None
    item_name: str
    status: ComplaintStatus
    source: IntakeSource
    description: str
    remedy: Remedy
    evidence: list[str]
    delivered_at: datetime | None
    received_at: datetime
    answer_due_by: datetime
    proposal: dict[str, Any]
    decision: ComplaintDecision | None
    granted_remedy: Remedy | None
    answer_text: str | None
    answer_message_id: str | None
    decided_by_id: str | None
    answered_at: datetime | None
    follow_up: str | None
    follow_up_amount: Decimal | None
    follow_up_reference: str | None
    follow_up_done_at: datetime | None
    alarm_level: int
    created_at: datetime
    order_number: str = ""
    badge: DeadlineBadge | None = None


class AbuseSignal(BaseModel):
    """A pattern an agent should see; never a reason to reject on its own."""

    code: Literal["many_returns", "late_requests", "repeated_complaints"]
    count: int
    label_pl: str
    label_en: str


class CaseAftersales(BaseModel):
    """What the case view and the customer panel show about returns and complaints."""

    returns: list[ReturnOut]
    complaints: list[ComplaintOut]
    signals: list[AbuseSignal]
    # The most urgent unanswered complaint's badge, for the case header and inbox rows.
    complaint_badge: DeadlineBadge | None


class QueueRow(BaseModel):
    case_number: int
    customer_name: str | None


class ReturnQueueRow(QueueRow):
    record: ReturnOut


class ComplaintQueueRow(QueueRow):
    record: ComplaintOut


class ReasonCount(BaseModel):
    product: str
    reason: str
    count: int


class AftersalesReport(BaseModel):
    open_returns: int
    open_complaints: int
    returns_by_status: dict[str, int]
    complaints_by_status: dict[str, int]
    complaint_breaches: int
    refund_breaches: int
    complaint_avg_answer_hours: float | None
    return_avg_refund_hours: float | None
    complaint_outcomes: dict[str, int]
    return_outcomes: dict[str, int]
    # Approved by the rules without a person (inside the window, eligible items).
    returns_auto_approved: int
    reasons_by_product: list[ReasonCount]
    generated_at: datetime
