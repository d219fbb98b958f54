"""Shapes of the insights API: the period and filters asked for, the numbers given back."""

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from sprawa.workspaces.schemas import Patch, Strict

MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30
Id = Annotated[str, Field(min_length=1, max_length=26, pattern=r"^[0-9A-Za-z]+$")]


class Period(Strict):
    """Local calendar days ``start``..``end`` (both included) in the workspace's time zone."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.end < self.start:
            raise ValueError("the period ends before it starts")
        if self.days > MAX_PERIOD_DAYS:
            raise ValueError(f"a period is at most {MAX_PERIOD_DAYS} days")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        return Period(start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


class Filters(Strict):
    """Narrow every number to one channel, team, agent (user id) and/or intent."""

    channel_id: Id | None = None
    team_id: Id | None = None
    agent_id: Id | None = None
    intent: Annotated[str, Field(min_length=1, max_length=32)] | None = None

    def query(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class MetricOut(BaseModel):
    """One number: ``value`` (a ratio 0..1, seconds, a count or a score), what it counts, the trend."""

    key: str
    label: str
    unit: Literal["ratio", "seconds", "count", "score", "money"]
    value: float | None
    numerator: int | None = None
    denominator: int | None = None
    previous: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class TableOut(BaseModel):
    """A breakdown table: column keys, their labels, and rows of values (``key`` names the group)."""

    key: str
    title: str
    columns: list[str]
    labels: list[str]
    rows: list[dict[str, Any]]


class SeriesOut(BaseModel):
    key: str
    title: str
    unit: str
    points: list[tuple[str, float | None]]
    previous: list[tuple[str, float | None]] = Field(default_factory=list)


class DashboardOut(BaseModel):
    period: Period
    previous_period: Period
    filters: Filters
    timezone: str
    computed_at: str
    metrics: list[MetricOut]
    tables: list[TableOut]
    series: list[SeriesOut]
    notes: list[str]


class DrillCase(BaseModel):
    id: str
    number: int
    subject: str
    status: str
    created_at: str
    channel: str | None


class DrillOut(BaseModel):
    metric: str
    part: str
    total: int
    cases: list[DrillCase]


class SurveySettingsPatch(Patch):
    """A change of the shop's survey policy; fields left out stay as they are."""

    csat: bool | None = None
    csat_delay_minutes: int | None = Field(None, ge=0, le=7 * 24 * 60)
    nps: bool | None = None
    nps_cooldown_days: int | None = Field(None, ge=7, le=730)
