"""The audit record of one AI step (DESIGN 5.6)."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow


class AIDecision(Base):
    """What the AI saw, considered, did and why, for one step on one case."""

    __tablename__ = "ai_decisions"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    message_ids: Mapped[list[str]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(32))
    intent_scores: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    frustration: Mapped[float | None]
    sentiment_signals: Mapped[dict[str, Any]] = mapped_column(default=dict)
    entities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    passages: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    tool_calls: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    policy_checks: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    options: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    chosen: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    escalation_reasons: Mapped[list[str]] = mapped_column(default=list)
    reply_message_id: Mapped[str | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    reply_text: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(100))
    provider: Mapped[str | None] = mapped_column(String(100))
    prompt_version: Mapped[str | None] = mapped_column(String(32))
    policy_version: Mapped[str | None] = mapped_column(String(64))
    latency_ms: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
