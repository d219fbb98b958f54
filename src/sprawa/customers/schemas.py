"""Data shapes of customers as the API shows and takes them."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sprawa.cases.models import CaseStatus
from sprawa.cases.schemas import CustomerBrief, OrderOut
from sprawa.customers.models import IdentityKind


class CustomerListParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, max_length=200, description="name words, e-mail, phone or any identity value")
    cursor: str | None = Field(None, max_length=512)
    limit: int = Field(25, ge=1, le=100)


class CustomerListItem(BaseModel):
    id: str
    name: str | None
    email: str | None
    phone: str | None
    language: str | None
    flags: list[str]
    last_seen_at: datetime
    created_at: datetime
    open_cases: int


class CustomerPage(BaseModel):
    items: list[CustomerListItem]
    next_cursor: str | None


class CustomerOut(CustomerBrief):
    consents: dict[str, Any]
    created_at: datetime
    last_seen_at: datetime


class IdentityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: IdentityKind
    value: str
    verified: bool
    created_at: datetime


class CustomerCaseOut(BaseModel):
    """An earlier (or current) case of the customer with how it ended."""

    id: str
    number: int
    subject: str
    status: CaseStatus
    intent: str | None
    channel_id: str | None
    created_at: datetime
    last_message_at: datetime
    resolved_at: datetime | None
    reopened_count: int
    merged_into_id: str | None
    # open | resolved | merged
    outcome: str
    csat_score: int | None = None


class SurveyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    case_id: str | None
    kind: str
    score: int
    comment: str | None
    created_at: datetime


class CustomerMergeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    source_id: str
    target_id: str
    moved: dict[str, list[str]]
    reason: str
    by_user_id: str | None
    created_at: datetime
    undone_at: datetime | None


class CustomerPanel(BaseModel):
    """What an agent sees beside a conversation: who this is, their orders and their history."""

    customer: CustomerOut
    identities: list[IdentityOut]
    orders: list[OrderOut]
    cases: list[CustomerCaseOut]
    csat: list[SurveyOut]
    nps: list[SurveyOut]
    merges: list[CustomerMergeOut]


class CustomerFlagsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vip: bool | None = None
    watch: bool | None = None


class CustomerUpdateIn(BaseModel):
    """Only the fields sent change; ``null`` clears the name or the language."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", max_length=8)
    flags: CustomerFlagsIn | None = None

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return " ".join(value.split()) if value is not None else None


class CustomerMergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into_customer_id: str = Field(min_length=1, max_length=64)


class CustomerMergeResult(BaseModel):
    merge: CustomerMergeOut
    source: CustomerOut
    target: CustomerOut
