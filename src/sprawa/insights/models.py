"""Insights: survey requests and responses, and the per-case metric facts the dashboard aggregates."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow


class SurveyKind(StrEnum):
    CSAT = "csat"
    NPS = "nps"


class SurveyStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its send time (the configured delay after resolution)
    SENT = "sent"
    ANSWERED = "answered"
    SKIPPED = "skipped"  # not sent: the case was reopened, or the channel cannot reach the customer


class SurveyRequest(Base):
    """One survey asked of one customer: CSAT once per case, NPS at most once per cooldown."""

    __tablename__ = "survey_requests"
    __table_args__ = (
        UniqueConstraint("case_id", "kind"),
        Index("ix_survey_requests_sent", "workspace_id", "sent_at"),
        Index("ix_survey_requests_customer", "customer_id", "kind", "created_at"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    channel_id: Mapped[str | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"))
    kind: Mapped[SurveyKind] = mapped_column(String(8))
    status: Mapped[SurveyStatus] = mapped_column(String(16), default=SurveyStatus.SCHEDULED)
    language: Mapped[str] = mapped_column(String(8), default="pl")
    # The message that carried the survey link (sent through the case's channel via the outbox).
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    send_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    skip_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyResponse(Base):
    """One customer's answer: CSAT 1-5 or NPS 0-10, with an optional comment."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'csat' AND score BETWEEN 1 AND 5) OR (kind = 'nps' AND score BETWEEN 0 AND 10)",
            name="score_range",
        ),
        Index("ix_survey_responses_period", "workspace_id", "kind", "created_at"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    channel_id: Mapped[str | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"))
    request_id: Mapped[str | None] = mapped_column(
        ForeignKey("survey_requests.id", ondelete="SET NULL"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    # The case opened (or reopened) for a person because the score was low.
    follow_up_case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseMetrics(Base):
    """Period-independent facts of one case, derived from its messages and status history.

    Maintained incrementally (``insights.service.refresh_facts``: cases changed since the last refresh,
    and the earlier cases of the same customers whose repeat-contact window they fall in). The dashboard
    aggregates these rows with one indexed range read instead of scanning messages. Time-dependent
    judgements (is the 7-day window over, is an unanswered case past its due time) are made at read time.
    """

    __tablename__ = "case_metrics"
    __table_args__ = (
        Index("ix_case_metrics_period", "workspace_id", "created_at"),
        Index("ix_case_metrics_customer", "customer_id", "first_resolved_at"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[str] = mapped_column(String(26))
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(24))
    channel_id: Mapped[str | None] = mapped_column(String(26))
    team_id: Mapped[str | None] = mapped_column(String(26))
    agent_id: Mapped[str | None] = mapped_column(String(26))
    intent: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    created_hour: Mapped[int]  # hour of day in the workspace's time zone
    created_date: Mapped[str] = mapped_column(String(10))  # local day, YYYY-MM-DD
    first_response_at: Mapped[datetime | None]
    first_response_by: Mapped[str | None] = mapped_column(String(8))  # agent | ai
    frt_seconds: Mapped[float | None]
    frt_business_seconds: Mapped[float | None]
    first_resolved_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]  # the latest resolution; None while the case is open again
    resolution_seconds: Mapped[float | None]
    resolution_business_seconds: Mapped[float | None]
    replies_before_resolution: Mapped[int] = mapped_column(default=0)
    agent_messages: Mapped[int] = mapped_column(default=0)
    ai_messages: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    came_back: Mapped[bool] = mapped_column(default=False)  # the customer wrote again within 7 days
    repeat_case_id: Mapped[str | None] = mapped_column(String(26))
    ai_handled: Mapped[bool] = mapped_column(default=False)
    escalated: Mapped[bool] = mapped_column(default=False)
    # Resolved on exactly one reply / with no human message, never reopened, no repeat contact: the
    # 7-day window that makes them count (docs/metrics.md) is checked at read time.
    fcr: Mapped[bool] = mapped_column(default=False)
    ai_resolved: Mapped[bool] = mapped_column(default=False)
    escalation_reasons: Mapped[list[str]] = mapped_column(default=list)
    # AI drafts an agent answered after (judged), and how many of them were sent as they were / edited.
    drafts: Mapped[int] = mapped_column(default=0)
    drafts_used: Mapped[int] = mapped_column(default=0)
    drafts_edited: Mapped[int] = mapped_column(default=0)
    # Escalated by the AI for a reason a person was not required for, then resolved with nothing a
    # customer saw beyond the AI's own draft (docs/metrics.md).
    unnecessary_escalation: Mapped[bool] = mapped_column(default=False)
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class InsightsState(Base):
    """Per workspace: up to when case changes are reflected in ``case_metrics``."""

    __tablename__ = "insights_states"
    __table_args__ = (UniqueConstraint("workspace_id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    facts_through: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
