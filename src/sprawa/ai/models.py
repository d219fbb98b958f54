"""The AI first line's records: decisions (DESIGN 5.6), the per-case dialogue state, agent flags,
compensation codes, and the knowledge retrieval index."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow


class AIDecision(Base):
    """What the AI saw, considered, did and why, for one step on one case."""

    __tablename__ = "ai_decisions"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # understand | reply | action | escalate | assist | skip | draft (a reply drafted for an agent)
    step: Mapped[str] = mapped_column(String(16), default="reply")
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
    # One plain-language line for the case view's decision trail (Polish; English in ``reason``).
    summary: Mapped[str] = mapped_column(Text, default="")
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
    # Drafts only: what the agent's next reply (``draft_reply_id``) did with it (``sprawa.ai.drafts``):
    # draft_used | draft_edited | draft_discarded, and how similar the sent text was (0..1).
    draft_use: Mapped[str | None] = mapped_column(String(16))
    draft_similarity: Mapped[float | None]
    draft_reply_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AIMode(StrEnum):
    ACTIVE = "active"  # the AI answers this case
    HANDED_OFF = "handed_off"  # escalated: people answer; the AI only assists
    STOPPED = "stopped"  # a person replied or switched the AI off for this case


class AICaseState(Base):
    """The AI's dialogue state on one case: who the customer is (verified), what waits for a yes."""

    __tablename__ = "ai_case_states"
    __table_args__ = (UniqueConstraint("case_id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    mode: Mapped[AIMode] = mapped_column(String(16), default=AIMode.ACTIVE)
    mode_reason: Mapped[str | None] = mapped_column(String(200))
    disclosed: Mapped[bool] = mapped_column(default=False)
    turns: Mapped[int] = mapped_column(default=0)
    # Seq of the last customer message handled, so a retried job never answers twice.
    last_seq: Mapped[int] = mapped_column(default=0)
    # AI turns in a row that moved nothing forward (no answer given, no action done).
    stalled_turns: Mapped[int] = mapped_column(default=0)
    # The shop account the customer proved to be (channel identity or order number + e-mail/postcode).
    shop_customer_ref: Mapped[str | None] = mapped_column(String(100))
    verified_email: Mapped[str | None] = mapped_column(String(254))
    verified_by: Mapped[str | None] = mapped_column(String(32))
    verified_orders: Mapped[list[str]] = mapped_column(default=list)
    # What the AI asked for last: verification | confirm | complaint_details | return_items | order_number
    awaiting: Mapped[str | None] = mapped_column(String(32))
    # A write action waiting for the customer's explicit yes: {"action", "args", "order", "asked_at"}.
    pending: Mapped[dict[str, Any]] = mapped_column(default=dict)
    intake: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_intent: Mapped[str | None] = mapped_column(String(32))
    moods: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FlagKind(StrEnum):
    WRONG = "wrong"
    INCOMPLETE = "incomplete"
    OUTDATED = "outdated"
    TONE = "tone"


class AIFlag(Base):
    """An agent's verdict that an AI reply was wrong, incomplete, outdated or off in tone."""

    __tablename__ = "ai_flags"
    __table_args__ = (UniqueConstraint("decision_id", "user_id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("ai_decisions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[FlagKind] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompensationCode(Base):
    """A discount or free-shipping code given within the shop's compensation policy."""

    __tablename__ = "compensation_codes"
    __table_args__ = (
        UniqueConstraint("workspace_id", "code"),
        Index("ix_compensation_codes_customer", "workspace_id", "customer_id", "created_at"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    code: Mapped[str] = mapped_column(String(32))
    issued_by: Mapped[str] = mapped_column(String(16))  # ai | agent
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KnowledgePassage(Base):
    """One passage of a published article with its embedding, for retrieval (rebuilt per version)."""

    __tablename__ = "knowledge_passages"
    __table_args__ = (Index("ix_knowledge_passages_ws", "workspace_id", "language"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    article_id: Mapped[str] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True
    )
    article_version: Mapped[int]
    language: Mapped[str] = mapped_column(String(8))
    position: Mapped[int]
    heading: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    # Folded, lemmatised words for keyword matching (space separated).
    terms: Mapped[str] = mapped_column(Text, default="")
    # float32 vector, L2-normalised.
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
