"""Data shapes of cases and messages as the API and live events show them."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sprawa.cases.models import AuthorKind, CaseStatus, DeliveryStatus, Direction, Priority

PREVIEW_CHARS = 2000


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    case_id: str
    thread_id: str
    channel_id: str
    seq: int
    direction: Direction
    author_kind: AuthorKind
    author_user_id: str | None
    body_text: str
    body_html: str | None
    delivery_status: DeliveryStatus
    link_reason: str | None
    created_at: datetime
    sent_at: datetime | None


class CaseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    number: int
    customer_id: str
    subject: str
    status: CaseStatus
    priority: Priority
    assignee_id: str | None
    team_id: str | None
    channel_id: str | None
    intent: str | None
    sentiment: float | None
    language: str | None
    tags: list[str]
    escalated: bool
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    last_seq: int
    last_message_at: datetime
    created_at: datetime


def message_preview(message: object) -> dict[str, object]:
    """A message for a live event: whole up to PREVIEW_CHARS, otherwise cut and marked truncated."""
    data = MessageOut.model_validate(message).model_dump(mode="json")
    text = data["body_text"]
    data["truncated"] = len(text) > PREVIEW_CHARS or bool(data["body_html"])
    data["body_text"] = text[:PREVIEW_CHARS]
    data["body_html"] = None
    return data


# --- Inbox ---------------------------------------------------------------------------------------------


class InboxSort(StrEnum):
    LAST_MESSAGE = "last_message_at"
    WAITING = "waiting"
    PRIORITY = "priority"
    SLA = "sla"


def _split_commas(value: object) -> object:
    """``?status=new,open`` and ``?status=new&status=open`` mean the same."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        return [part.strip() for item in value for part in str(item).split(",") if part.strip()]
    return value


class CaseListParams(BaseModel):
    """Query parameters of the inbox list; unknown parameters are refused rather than ignored."""

    model_config = ConfigDict(extra="forbid")

    status: list[CaseStatus] = Field(default_factory=list, max_length=len(CaseStatus))
    assignee: str | None = Field(None, max_length=64, description="`me`, `none` or a user id")
    assignee_id: str | None = Field(None, max_length=64, description="alias of `assignee`")
    team: str | None = Field(None, max_length=64, description="`none` or a team id")
    team_id: str | None = Field(None, max_length=64, description="alias of `team`")
    channel: str | None = Field(None, max_length=64, description="a channel id")
    channel_id: str | None = Field(None, max_length=64, description="alias of `channel`")
    intent: str | None = Field(None, max_length=32)
    priority: list[Priority] = Field(default_factory=list, max_length=len(Priority))
    escalated: bool | None = None
    tag: str | None = Field(None, max_length=40)
    customer_id: str | None = Field(None, max_length=64)
    q: str | None = Field(None, max_length=200, description="words of the subject or of any message")
    sort: InboxSort = InboxSort.LAST_MESSAGE
    cursor: str | None = Field(None, max_length=512)
    limit: int = Field(25, ge=1, le=100)

    _commas = field_validator("status", "priority", mode="before")(_split_commas)


class LastMessage(BaseModel):
    """The newest message of a case, cut to a preview for the inbox row."""

    id: str
    seq: int
    direction: Direction
    author_kind: AuthorKind
    preview: str
    created_at: datetime


class CaseListItem(CaseSummary):
    """One inbox row: the case, its customer's name and what the agent needs to triage it."""

    customer_name: str | None
    customer_email: str | None
    reopened_count: int
    last_inbound_at: datetime | None
    # Inbound messages since the last reply (agent or AI), and when the first of them arrived.
    unanswered_count: int = 0
    waiting_since: datetime | None = None
    last_message: LastMessage | None = None
    # The customer wrote after the asking user last opened the case (a token without a user: false).
    unread: bool = False


class CasePage(BaseModel):
    items: list[CaseListItem]
    next_cursor: str | None


# --- Detail --------------------------------------------------------------------------------------------


class CaseOut(CaseSummary):
    """A case with all its clocks and link state."""

    reopened_count: int
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    last_inbound_at: datetime | None
    merged_into_id: str | None
    updated_at: datetime


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    content_id: str | None = None
    created_at: datetime


class MessageDetail(MessageOut):
    """A message with its attachments' metadata (the bytes are served as downloads elsewhere)."""

    customer_id: str
    delivery_error: str | None
    language: str | None
    delivered_at: datetime | None
    attachments: list[AttachmentOut] = Field(default_factory=list)


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    case_id: str
    author_user_id: str | None
    body_text: str
    created_at: datetime


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    actor_kind: AuthorKind
    actor_user_id: str | None
    kind: str
    data: dict[str, Any]
    created_at: datetime


class MessageEntry(BaseModel):
    kind: Literal["message"] = "message"
    at: datetime
    message: MessageDetail


class NoteEntry(BaseModel):
    kind: Literal["note"] = "note"
    at: datetime
    note: NoteOut


class ActivityEntry(BaseModel):
    kind: Literal["activity"] = "activity"
    at: datetime
    activity: ActivityOut


TimelineEntry = Annotated[MessageEntry | NoteEntry | ActivityEntry, Field(discriminator="kind")]


class CustomerBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str | None
    email: str | None
    phone: str | None
    language: str | None
    flags: list[str]
    merged_into_id: str | None


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    external_id: str
    sku: str | None
    name: str
    quantity: int
    unit_price: Decimal
    options: dict[str, Any]


class ShipmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    carrier: str
    tracking_number: str | None
    tracking_url: str | None
    state: str
    pickup_point: str | None
    pickup_deadline: datetime | None
    estimated_delivery: datetime | None
    events: list[dict[str, Any]]
    last_event_at: datetime | None
    fetched_at: datetime


class OrderOut(BaseModel):
    """An order from the shop cache (``fetched_at`` says how fresh it is), with items and parcels."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    external_id: str
    number: str
    status: str
    payment_status: str
    payment_method: str | None
    total: Decimal
    currency: str
    shipping_address: dict[str, Any]
    placed_at: datetime
    delivered_at: datetime | None
    source: str
    fetched_at: datetime
    link_reason: str | None = None
    items: list[OrderItemOut] = Field(default_factory=list)
    shipments: list[ShipmentOut] = Field(default_factory=list)


class AIDecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    message_ids: list[str]
    language: str | None
    intent: str | None
    intent_scores: list[dict[str, Any]]
    frustration: float | None
    sentiment_signals: dict[str, Any]
    entities: dict[str, Any]
    passages: list[dict[str, Any]]
    tool_calls: list[dict[str, Any]]
    policy_checks: list[dict[str, Any]]
    options: list[dict[str, Any]]
    chosen: str | None
    reason: str | None
    escalation_reasons: list[str]
    reply_message_id: str | None
    reply_text: str | None
    model: str | None
    provider: str | None
    prompt_version: str | None
    policy_version: str | None
    latency_ms: int | None
    created_at: datetime


class LinkChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    source_case_id: str
    target_case_id: str
    moved: dict[str, Any]
    reason: str
    by_user_id: str | None
    created_at: datetime
    undone_at: datetime | None


class CaseDetail(BaseModel):
    case: CaseOut
    customer: CustomerBrief
    timeline: list[TimelineEntry]
    # True when only the newest TIMELINE_LIMIT messages are in the timeline (page the rest by seq).
    timeline_truncated: bool
    orders: list[OrderOut]
    ai_decisions: list[AIDecisionOut]
    link_changes: list[LinkChangeOut]


class MessagePage(BaseModel):
    items: list[MessageDetail]
    has_more: bool


# --- Writes --------------------------------------------------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20000)
    thread_id: str | None = Field(None, min_length=1, max_length=64)
    status_after: CaseStatus | None = None
    attachment_ids: list[str] = Field(default_factory=list, max_length=10)

    _text = field_validator("text")(_not_blank)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=20000)

    _text = field_validator("text")(_not_blank)


class CaseUpdateIn(BaseModel):
    """Only the fields sent change; ``null`` clears the assignee or the team."""

    model_config = ConfigDict(extra="forbid")

    status: CaseStatus | None = None
    priority: Priority | None = None
    assignee_id: str | None = Field(None, min_length=1, max_length=64)
    team_id: str | None = Field(None, min_length=1, max_length=64)
    # Bounded here; normalised and limited (20 tags of 40 characters) by the service.
    tags: list[Annotated[str, Field(max_length=200)]] | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _no_null_for_required(self) -> "CaseUpdateIn":
        for name in ("status", "priority", "tags"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into_case_id: str = Field(min_length=1, max_length=64)
    # Merging cases of two different customers needs an admin and this flag.
    force: bool = False
    reason: str | None = Field(None, max_length=200)


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=500
    )
    reason: str | None = Field(None, max_length=200)


class LinkChangeResult(BaseModel):
    change: LinkChangeOut
    source: CaseOut
    target: CaseOut


# --- Search --------------------------------------------------------------------------------------------


class CaseHit(BaseModel):
    id: str
    number: int
    subject: str
    status: CaseStatus
    customer_id: str
    customer_name: str | None
    last_message_at: datetime


class MessageHit(BaseModel):
    id: str
    case_id: str
    case_number: int
    seq: int
    direction: Direction
    author_kind: AuthorKind
    snippet: str
    created_at: datetime


class CustomerHit(BaseModel):
    id: str
    name: str | None
    email: str | None
    phone: str | None


class SearchOut(BaseModel):
    cases: list[CaseHit]
    messages: list[MessageHit]
    customers: list[CustomerHit]


class UploadOut(BaseModel):
    """An agent's file uploaded to a case, waiting to be sent with a reply."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    filename: str
    content_type: str
    size: int
