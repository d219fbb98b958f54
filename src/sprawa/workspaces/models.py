"""Workspace (one shop business), teams with skills, typed and versioned shop policies."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow


class Workspace(Base):
    """One shop business (tenant); everything else belongs to exactly one workspace."""

    __tablename__ = "workspaces"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Warsaw")
    languages: Mapped[list[str]] = mapped_column(default=lambda: ["pl", "en"])
    default_language: Mapped[str] = mapped_column(String(8), default="pl")
    # Business hours, case-link window, order-number patterns: shop settings, not process settings.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    case_counter: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Team(Base):
    """A group of agents with skills (e.g. ``returns``, ``b2b``, ``en``) used for routing."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    skills: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PolicyKind(StrEnum):
    RETURNS = "returns"
    CANCELLATION = "cancellation"
    ORDER_CHANGES = "order_changes"
    REFUNDS = "refunds"
    COMPENSATION = "compensation"
    ESCALATION = "escalation"
    BUSINESS_HOURS = "business_hours"
    SLA = "sla"
    TONE = "tone"


class Policy(Base):
    """One version of one typed shop rule set; the newest active version applies."""

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "version"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PolicyKind] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(default=1)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
