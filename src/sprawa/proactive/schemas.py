"""Per-workspace proactive settings (``workspace.settings["proactive"]``) and the shapes of the JSON API."""

from datetime import datetime, time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sprawa.platform.errors import InvalidInput
from sprawa.workspaces.schemas import Strict, validation_details


class RuleKind(StrEnum):
    LATE = "late"  # not delivered by the promised date (or the carrier reports a delay)
    NO_SCAN = "no_scan"  # no carrier scan for N hours while in transit
    DELIVERY_EXCEPTION = "delivery_exception"  # failed delivery, wrong address, lost...
    PICKUP_WAITING = "pickup_waiting"  # waiting in a Paczkomat for N hours, deadline still ahead
    PARTIAL_SHIPMENT = "partial_shipment"  # part of the order is on its way, the rest follows
    REFUND_ISSUED = "refund_issued"


class RuleSettings(Strict):
    enabled: bool = True
    # late: grace after the promised date; no_scan: silence; pickup_waiting: time already waiting.
    hours: int = Field(24, ge=1, le=24 * 14)


def _default_rules() -> dict[RuleKind, RuleSettings]:
    hours = {RuleKind.LATE: 4, RuleKind.NO_SCAN: 48, RuleKind.PICKUP_WAITING: 24}
    return {kind: RuleSettings(hours=hours.get(kind, 24)) for kind in RuleKind}


class QuietHours(Strict):
    """No proactive message between ``start`` and ``end`` in the workspace's time zone."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    @field_validator("start", "end")
    @classmethod
    def _local(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("give a local time without a time zone (the workspace's time zone applies)")
        return value


class SuggestionSettings(Strict):
    replenishment: bool = True
    co_purchase: bool = True
    # At most this many suggestion messages per customer in 30 days (agents still see every suggestion).
    max_messages_per_30_days: int = Field(1, ge=0, le=10)


class ProactiveSettings(Strict):
    enabled: bool = False
    rules: dict[RuleKind, RuleSettings] = Field(default_factory=_default_rules)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    # Delay notices offer compensation on reply (an agent or the AI gives it within the compensation policy).
    offer_compensation: bool = False
    max_notices_per_customer_per_day: int = Field(2, ge=1, le=10)
    suggestions: SuggestionSettings = Field(default_factory=SuggestionSettings)
    # Demo only: the InPost fake makes a few parcels late while the demo runs.
    simulate_carriers: bool = False

    def rule(self, kind: RuleKind) -> RuleSettings:
        return self.rules.get(kind) or _default_rules()[kind]


def parse_settings(data: Any) -> ProactiveSettings:
    try:
        return ProactiveSettings.model_validate(data or {})
    except ValidationError as exc:
        raise InvalidInput(
            "these are not valid proactive settings", code="invalid_settings", details=validation_details(exc)
        ) from exc


class RulePreview(BaseModel):
    rule: RuleKind
    customers: int
    notices: int
    message: dict[str, str]
    samples: list[str]


class PreviewOut(BaseModel):
    """What the rules would send now (dry run): per rule, how many customers and sample messages."""

    at: datetime
    quiet_now: bool
    rules: list[RulePreview]


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    rule: str
    status: str
    reason: str | None
    customer_id: str
    order_id: str | None
    case_id: str | None
    message_id: str | None
    template: str | None
    language: str
    created_at: datetime


class SuggestionOut(BaseModel):
    """A suggestion for the agent and why it was made."""

    kind: str
    product_external_id: str
    product_name: str
    why_pl: str
    why_en: str
    due_at: datetime | None
