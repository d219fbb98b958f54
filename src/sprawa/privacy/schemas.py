"""Shapes of the privacy API: explicit input schemas (unknown fields are errors) and outputs."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sprawa.customers.models import IdentityKind
from sprawa.privacy.models import RequestKind, RequestStatus
from sprawa.workspaces.schemas import Strict

ConsentChannel = Literal["email", "sms", "whatsapp", "messenger", "instagram", "webchat", "allegro", "phone"]
ConsentSource = Literal["agent", "widget_checkbox", "form", "import", "conversation"]


class RequestIn(Strict):
    kind: RequestKind
    identity_kind: IdentityKind
    identity_value: str = Field(min_length=1, max_length=255)
    case_id: str | None = Field(None, min_length=1, max_length=64)
    note: str = Field("", max_length=2000)


class RejectIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class RequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: RequestKind
    status: RequestStatus
    identity_kind: str
    identity_value: str
    customer_id: str | None
    case_id: str | None
    raised_by_user_id: str | None
    note: str
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None
    result: dict[str, Any]


class SubjectOut(BaseModel):
    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    identities: int
    cases: int


class RetentionIn(Strict):
    closed_case_months: int = Field(ge=1, le=240)
    raw_inbound_days: int = Field(ge=1, le=3650)
    attachment_months: int = Field(ge=1, le=240)
    complaint_hold_months: int = Field(ge=0, le=240)


class RetentionOut(RetentionIn):
    model_config = ConfigDict(from_attributes=True, extra="ignore")


class RetentionPreview(BaseModel):
    cases: int
    messages: int
    raw_inbound_events: int
    attachments: int
    customers: int
    complaint_cases_kept: int


class ErasureOut(BaseModel):
    request: RequestOut
    deleted: dict[str, int]
    kept: list[dict[str, Any]]
    files_deleted: int
    residual: dict[str, int]
    message: str


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    created_at: datetime
    actor_kind: str
    actor_id: str | None
    action: str
    subject_type: str
    subject_id: str | None
    data: dict[str, Any]
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_before_seq: int | None


class AuditVerifyOut(BaseModel):
    intact: bool
    first_broken_seq: int | None
    entries: int


class ConsentIn(Strict):
    channel: ConsentChannel
    granted: bool
    source: ConsentSource = "agent"


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    channel: str
    purpose: str
    granted: bool
    source: str
    by_user_id: str | None
    message_id: str | None
    created_at: datetime


class ConsentsOut(BaseModel):
    current: dict[str, bool]
    history: list[ConsentOut]
