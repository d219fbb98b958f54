"""Data shapes of cases and messages as the API and live events show them."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

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
