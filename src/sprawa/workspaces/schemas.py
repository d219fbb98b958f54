"""Shapes of workspace configuration: settings, teams, typed policies per kind, and list pages.

``Page``, ``CursorQuery`` and ``LimitQuery`` are the pagination contract of the admin lists: items come in
id order (ids sort by creation time) and the opaque ``next_cursor`` is passed back as ``cursor``.
"""

import re
import zoneinfo
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from sprawa.cases.models import Priority
from sprawa.commerce.base import OrderStatus
from sprawa.platform.errors import InvalidInput
from sprawa.platform.pagination import MAX_CURSOR_CHARS, MAX_LIMIT
from sprawa.workspaces.models import PolicyKind

# ---------------------------------------------------------------------------------------------- pages

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None = None


CursorQuery = Annotated[
    str | None, Query(min_length=1, max_length=MAX_CURSOR_CHARS, description="next_cursor of the last page")
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def validation_details(exc: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    """Pydantic errors in the same shape the app gives for invalid request bodies."""
    return [
        {
            "field": ".".join(str(p) for p in (prefix, *e.get("loc", ())) if p != ""),
            "problem": e.get("msg"),
            "type": e.get("type"),
        }
        for e in exc.errors()
    ]


# ---------------------------------------------------------------------------------------- shared types

SUPPORTED_LANGUAGES = ("pl", "en", "uk", "de", "cs", "sk")
Language = Literal["pl", "en", "uk", "de", "cs", "sk"]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=SLUG_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError("unknown time zone; use an IANA name such as Europe/Warsaw")
    return value


TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_check_timezone)]


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


# Repeated entries in a set-like list are dropped (keeping the first), not rejected.
Unique = AfterValidator(_unique)


class Strict(BaseModel):
    """Configuration input: unknown fields are errors, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid")


class Patch(Strict):
    """A partial update: a field left out stays as it is; null only where it clears a value."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_nulls(self) -> "Patch":
        sent = self.model_fields_set - self.nullable
        nulls = sorted(f for f in sent if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, with their parsed values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


# ------------------------------------------------------------------------------------- business hours


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class OpenInterval(Strict):
    """Open from ``start`` to ``end`` on one day (local time of the hours' time zone)."""

    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> "OpenInterval":
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class WeeklyHours(Strict):
    """Opening hours per weekday in one time zone; a day that is missing or empty is closed."""

    timezone: TimeZoneName = "Europe/Warsaw"
    days: dict[Weekday, Annotated[list[OpenInterval], Field(max_length=4)]] = Field(default_factory=dict)
    closed_dates: Annotated[list[date], Field(max_length=100), Unique] = Field(default_factory=list)

    @field_validator("days")
    @classmethod
    def _no_overlap(cls, days: dict[Weekday, list[OpenInterval]]) -> dict[Weekday, list[OpenInterval]]:
        for day, intervals in days.items():
            ordered = sorted(intervals, key=lambda i: i.start)
            for before, after in zip(ordered, ordered[1:], strict=False):
                if after.start < before.end:
                    raise ValueError(f"opening hours of {day} overlap")
            days[day] = ordered
        return days


# ------------------------------------------------------------------------------------------- policies


OrderStates = Annotated[list[OrderStatus], Field(max_length=len(OrderStatus)), Unique]


def _default_states() -> list[OrderStatus]:
    return [OrderStatus.NEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID]


class ReturnsPolicy(Strict):
    """Withdrawal from a distance contract; the law gives at least 14 days, a shop may give more."""

    window_days: int = Field(14, ge=14, le=365)
    return_shipping_paid_by: Literal["customer", "shop"] = "customer"
    ai_may_start_return: bool = True
    notes: str = Field("", max_length=2000)
    # How goods come back (aftersales): an InPost return code, the courier label page, the shop's addresses.
    return_methods: Annotated[
        list[Literal["paczkomat", "courier", "in_store"]], Field(min_length=1, max_length=3), Unique
    ] = Field(default_factory=lambda: ["paczkomat", "courier"])
    paczkomat_return_code: str = Field("", max_length=64)
    courier_label_url: str = Field("", max_length=500)
    return_address: str = Field("", max_length=300)
    store_address: str = Field("", max_length=300)
    # Off when the shop did not inform customers about the right of withdrawal: +12 months (art. 29).
    withdrawal_info_given: bool = True
    # The day the shop sent the missing information to customers of orders placed before it (art. 29
    # §2): their period ends 14 days after that day when it came within the 12 months; orders placed
    # from that day on count as informed.
    withdrawal_info_sent_on: date | None = None
    # The cheapest ordinary delivery the shop offers (art. 32 ust. 3): a withdrawal of the whole order
    # refunds the delivery paid up to this price; None refunds the delivery as paid.
    cheapest_delivery_price: Decimal | None = Field(None, ge=0, max_digits=8, decimal_places=2)
    # The shop's B2B policy: company orders may be withdrawn like a consumer's; off, a person decides
    # (a sole trader buying outside their profession has consumer rights).
    business_buyers_may_withdraw: bool = False


class CancellationPolicy(Strict):
    """Order states in which the customer may cancel."""

    allowed_order_states: OrderStates = Field(default_factory=_default_states)
    needs_human_approval: bool = False


class OrderChangesPolicy(Strict):
    """Which changes (address, items, payment) are allowed in which order states."""

    allowed_order_states: OrderStates = Field(default_factory=_default_states)
    allowed_changes: Annotated[
        list[Literal["address", "items", "payment_method"]], Field(max_length=3), Unique
    ] = Field(default_factory=lambda: ["address"])
    needs_human_approval: bool = False


class RefundsPolicy(Strict):
    """How money goes back; the original payment method must stay available (art. 32)."""

    methods: list[Literal["original_payment", "bank_transfer", "gift_card", "store_credit"]] = Field(
        default_factory=lambda: ["original_payment"], min_length=1, max_length=4
    )
    refund_within_days: int = Field(14, ge=1, le=14)

    @field_validator("methods")
    @classmethod
    def _original_first(cls, methods: list[str]) -> list[str]:
        if "original_payment" not in methods:
            raise ValueError("refunds to the original payment method must stay available (art. 32)")
        return _unique(methods)


class CompensationPolicy(Strict):
    """What the AI may offer on its own when the shop caused a problem; more needs a human."""

    max_amount_pln: Decimal = Field(Decimal("20"), ge=0, le=10000, max_digits=7, decimal_places=2)
    kinds: Annotated[
        list[Literal["free_shipping_code", "discount_code", "partial_refund"]], Field(max_length=3), Unique
    ] = Field(default_factory=lambda: ["free_shipping_code"])
    max_per_customer_per_month: int = Field(1, ge=0, le=10)


class EscalationReason(StrEnum):
    HUMAN_REQUEST = "human_request"
    FRUSTRATION = "frustration"
    COMPLAINT = "complaint"
    LEGAL = "legal"
    HEALTH_SAFETY = "health_safety"
    DATA_PROTECTION = "data_protection"
    VIP_CUSTOMER = "vip_customer"
    REPEAT_CONTACT = "repeat_contact"
    LOW_CONFIDENCE = "low_confidence"
    FAILED_ACTION = "failed_action"
    APPROVAL_REQUIRED = "approval_required"
    AI_TURN_LIMIT = "ai_turn_limit"


class EscalationRule(Strict):
    """Where a case goes, and how urgently, when it escalates for ``reason``."""

    reason: EscalationReason
    enabled: bool = True
    team_id: str | None = Field(None, max_length=26)
    priority: Priority = Priority.NORMAL


#: Frustration (0..1) at which the AI hands a customer to a person: the one default, also used by the NLU
#: outside a workspace (triage, eval); chosen on the training utterances (sprawa/ai/nlu/frustration.py).
FRUSTRATION_THRESHOLD = 0.5


class EscalationPolicy(Strict):
    rules: list[EscalationRule] = Field(default_factory=list, max_length=len(EscalationReason))
    frustration_threshold: float = Field(FRUSTRATION_THRESHOLD, ge=0, le=1)
    ai_turn_limit: int = Field(4, ge=1, le=20)

    @field_validator("rules")
    @classmethod
    def _one_rule_per_reason(cls, rules: list[EscalationRule]) -> list[EscalationRule]:
        reasons = [r.reason for r in rules]
        if len(reasons) != len(set(reasons)):
            raise ValueError("one rule per reason")
        return rules


class BusinessHoursPolicy(WeeklyHours):
    """The shop's opening hours (channels may override them)."""


class SlaPolicy(Strict):
    first_response_minutes: int = Field(60, ge=1, le=7 * 24 * 60)
    resolution_hours: int = Field(24, ge=1, le=30 * 24)
    business_hours_only: bool = False


class TonePolicy(Strict):
    """How replies sound: ``pan_pani`` is the formal Polish address, ``ty`` the familiar one."""

    address_form: Literal["pan_pani", "ty"] = "pan_pani"
    formality: Literal["formal", "neutral", "casual"] = "neutral"
    emoji: bool = False
    signature: str = Field("", max_length=200)
    instructions: str = Field("", max_length=2000)


POLICY_MODELS: dict[PolicyKind, type[Strict]] = {
    PolicyKind.RETURNS: ReturnsPolicy,
    PolicyKind.CANCELLATION: CancellationPolicy,
    PolicyKind.ORDER_CHANGES: OrderChangesPolicy,
    PolicyKind.REFUNDS: RefundsPolicy,
    PolicyKind.COMPENSATION: CompensationPolicy,
    PolicyKind.ESCALATION: EscalationPolicy,
    PolicyKind.BUSINESS_HOURS: BusinessHoursPolicy,
    PolicyKind.SLA: SlaPolicy,
    PolicyKind.TONE: TonePolicy,
}


def parse_policy(kind: PolicyKind, data: Any) -> Strict:
    """The typed policy of ``kind`` from request data, or InvalidInput listing every problem."""
    try:
        return POLICY_MODELS[kind].model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(
            f"this is not a valid {kind} policy", code="invalid_policy", details=validation_details(exc)
        ) from exc


class PolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: PolicyKind
    version: int
    data: dict[str, Any]
    active: bool
    created_by_id: str | None
    created_at: datetime


# ---------------------------------------------------------------------------------------------- teams

TeamName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Skills = Annotated[list[Slug], Field(max_length=20), Unique]


class TeamIn(Strict):
    name: TeamName
    skills: Skills = Field(default_factory=list)


class TeamPatch(Patch):
    name: TeamName | None = None
    skills: Skills | None = None


class TeamMemberIn(Strict):
    user_id: str = Field(min_length=1, max_length=26)


class TeamOut(BaseModel):
    id: str
    name: str
    skills: list[str]
    member_ids: list[str]
    created_at: datetime


# ----------------------------------------------------------------------------------- workspace settings

DEFAULT_LINK_WINDOW_MINUTES = 24 * 60
# Nested repetition such as (a+)+ backtracks exponentially; the pattern runs over customer text.
_NESTED_REPEAT = re.compile(r"\([^()]*(?:[+*]|\{\d*,?\d*\})[^()]*\)\s*(?:[+*]|\{\d*,?\d*\})")


def _check_order_pattern(value: str) -> str:
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    if compiled.fullmatch(""):
        raise ValueError("the pattern must not match empty text")
    if _NESTED_REPEAT.search(value):
        raise ValueError("nested repetition like (a+)+ is not allowed (it can hang on long text)")
    return value


OrderNumberPattern = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_check_order_pattern)
]


class WorkspacePatch(Patch):
    nullable = frozenset({"order_number_pattern"})

    name: Name | None = None
    timezone: TimeZoneName | None = None
    languages: Annotated[list[Language], Field(min_length=1, max_length=6), Unique] | None = None
    default_language: Language | None = None
    order_number_pattern: OrderNumberPattern | None = None
    link_window_minutes: int | None = Field(None, ge=5, le=30 * 24 * 60)


class WorkspaceOut(BaseModel):
    id: str
    slug: str
    name: str
    timezone: str
    languages: list[str]
    default_language: str
    order_number_pattern: str | None
    link_window_minutes: int
    created_at: datetime
