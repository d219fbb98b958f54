"""The inbound log: every raw provider event is stored (deduplicated by its provider key) before we answer.

Processing happens in the ``inbound.process`` job. An event that cannot be processed (a payload the
adapter cannot read, a bug) is retried like any job and, once the job is given up, quarantined:
status ``failed`` with the error, raw payload kept, so an operator can see it and replay it.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from sprawa.db import Base, utcnow
from sprawa.platform.ids import new_id
from sprawa.platform.jobs import ERROR_MAX_CHARS, Job, enqueue


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
        # RETURNING, not rowcount: SQLAlchemy reports -1 rows for this insert on psycopg.
        .returning(InboundEvent.id)
    )
    if result.scalar() is None:
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


def mark_inbound_failed(session: Session, job: Job) -> None:
    """Dead handler of ``inbound.process``: quarantine the event with the job's last error."""
    event = session.get(InboundEvent, job.payload.get("event_id"), with_for_update=True)
    if event is not None and event.status == InboundStatus.RECEIVED:
        event.status = InboundStatus.FAILED
        event.error = (job.last_error or "processing failed")[:ERROR_MAX_CHARS]
        event.processed_at = utcnow()


def requeue_inbound(session: Session, event_id: str) -> bool:
    """Replay a quarantined event (after the cause was fixed); False when it is not quarantined."""
    event = session.get(InboundEvent, event_id, with_for_update=True)
    if event is None or event.status != InboundStatus.FAILED:
        return False
    event.status = InboundStatus.RECEIVED
    event.error = None
    event.processed_at = None
    enqueue(
        session,
        "inbound.process",
        {"event_id": event.id},
        workspace_id=event.workspace_id,
        key=f"inbound:{event.id}:replay:{new_id()}",
    )
    return True
