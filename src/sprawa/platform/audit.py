"""Append-only, hash-chained audit log of access to personal data and of every AI action."""

import hashlib
import json
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ForeignKey, String, UniqueConstraint, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from sprawa.db import Base, on_commit, utcnow


class AuditEntry(Base):
    """One audited action; ``hash`` covers the entry and the previous hash, so edits break the chain."""

    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("workspace_id", "seq"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    seq: Mapped[int]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(26))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(26))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def _digest(entry: AuditEntry) -> str:
    body = json.dumps(
        [
            entry.workspace_id,
            entry.seq,
            entry.actor_kind,
            entry.actor_id,
            entry.action,
            entry.subject_type,
            entry.subject_id,
            entry.data,
            entry.created_at.isoformat(),
            entry.prev_hash,
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def append_audit(
    session: Session,
    workspace_id: str,
    *,
    actor_kind: str,
    actor_id: str | None,
    action: str,
    subject_type: str,
    subject_id: str | None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction; (workspace, seq) is unique, so the chain cannot fork."""
    if session.get_bind().dialect.name == "postgresql":
        # Concurrent appends of one workspace queue here instead of colliding on (workspace, seq).
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"audit:{workspace_id}"})
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash)
        .where(AuditEntry.workspace_id == workspace_id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).first()
    entry = AuditEntry(
        workspace_id=workspace_id,
        seq=(last.seq + 1) if last else 1,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        data=data or {},
        created_at=utcnow().replace(microsecond=0),
        prev_hash=last.hash if last else "0" * 64,
    )
    entry.hash = _digest(entry)
    session.add(entry)
    session.flush()
    return entry


class AuditActor(Protocol):
    """Who acted, as an audit entry names it (an authenticated principal, without importing auth)."""

    @property
    def workspace_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def user_id(self) -> str | None: ...


def append_audit_by(
    session: Session, actor: AuditActor, action: str, subject_type: str, subject_id: str, /, **data: Any
) -> AuditEntry:
    """Append an entry of ``actor``'s change in its own workspace; ``data`` holds names and ids, no values."""
    return append_audit(
        session,
        actor.workspace_id,
        actor_kind=str(actor.kind),
        actor_id=actor.user_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        data=data,
    )


def verify_chain(session: Session, workspace_id: str) -> int | None:
    """The seq of the first entry whose hash does not match, or None when the chain is intact."""
    prev = "0" * 64
    for entry in session.scalars(
        select(AuditEntry).where(AuditEntry.workspace_id == workspace_id).order_by(AuditEntry.seq)
    ):
        if entry.prev_hash != prev or _digest(entry) != entry.hash:
            return entry.seq
        prev = entry.hash
    return None


def audit_after_commit(
    session: Session,
    workspace_id: str,
    *,
    actor_kind: str,
    actor_id: str | None,
    action: str,
    subject_type: str,
    subject_id: str | None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append an entry in its own short write transaction once ``session`` commits (dropped on rollback).

    For reads (a read-only unit of work cannot write) and for steps whose own transaction must not be
    flushed early (the AI's turn).
    """
    writer = session.get_bind().execution_options(read_only=False)

    def append() -> None:
        with Session(writer) as audit_session, audit_session.begin():
            append_audit(
                audit_session,
                workspace_id,
                actor_kind=actor_kind,
                actor_id=actor_id,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                data=data,
            )

    on_commit(session, append)


def audit_read(session: Session, actor: AuditActor, subject_type: str, subject_id: str) -> None:
    """Record that a person or token read a record of personal data, once the request commits."""
    if actor.user_id is None and str(actor.kind) != "agent":
        return
    audit_after_commit(
        session,
        actor.workspace_id,
        actor_kind=str(actor.kind),
        actor_id=actor.user_id,
        action=f"{subject_type}.read",
        subject_type=subject_type,
        subject_id=subject_id,
    )
