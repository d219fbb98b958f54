"""The inbound log: every raw provider event is stored (deduplicated by its provider key) before we answer."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from sprawa.db import Base, utcnow
from sprawa.platform.ids import new_id
from sprawa.platform.jobs import enqueue


class InboundStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


class InboundEvent(Base):
    """One raw event from a provider, unique per channel by the provider's own key."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("channel_id", "provider_key"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    provider_key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[InboundStatus] = mapped_column(String(16), default=InboundStatus.RECEIVED)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


def record_inbound(
    session: Session,
    *,
    workspace_id: str,
    channel_id: str,
    provider_key: str,
    payload: str,
    headers: dict[str, Any] | None = None,
) -> tuple[str, bool]:
    """Store a raw event once and queue its processing; returns (event id, newly stored)."""
    event_id = new_id()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = session.execute(
        insert(InboundEvent)
        .values(
            id=event_id,
            workspace_id=workspace_id,
            channel_id=channel_id,
            provider_key=provider_key,
            payload=payload,
            headers=headers or {},
            status=InboundStatus.RECEIVED,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["channel_id", "provider_key"])
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        existing = session.scalar(
            select(InboundEvent.id).where(
                InboundEvent.channel_id == channel_id, InboundEvent.provider_key == provider_key
            )
        )
        assert existing is not None
        return existing, False
    enqueue(
        session,
        "inbound.process",
        {"event_id": event_id},
        workspace_id=workspace_id,
        key=f"inbound:{event_id}",
    )
    return event_id, True
