"""Erasure (RODO art. 17): delete a person's data everywhere Sprawa keeps it, except what the law keeps.

Generic over the schema: rows in any table with a ``customer_id`` go (database cascades take the rows that
hang off them: messages, notes, attachments, AI decisions, embeddings stored per message or case), so a
feature that adds personal data with a ``customer_id`` is covered without a change here. Then:

- raw inbound payloads of the deleted messages and any raw payload naming the person are deleted;
- cached shop orders of the person are deleted (the shop keeps its own records: invoices are its duty);
- attachment files no longer referenced leave the file store after commit;
- the text search indexes are expressions over the rows (PostgreSQL GIN, SQLite LIKE), so they follow the
  rows; PostgreSQL's dead index entries and tuples are vacuumed by a job, SQLite zero-fills freed space
  (``secure_delete``) and its write-ahead log is checkpointed and truncated;
- logs never held the data: every log line is masked (``sprawa.logs``) and code logs ids only.

Complaint cases inside their hold period stay, under an anonymised customer record, and the answer says so.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, Text, cast, delete, func, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON

from sprawa.cases.models import Attachment, CaseOrder, Message
from sprawa.commerce.models import Order
from sprawa.customers.models import Customer, Identity
from sprawa.db import Base, on_commit
from sprawa.platform.inbound import InboundEvent
from sprawa.platform.storage import FileStore
from sprawa.privacy.actions.scope import LegalHold, legal_holds, personal_tables, subject_scope
from sprawa.privacy.queries import subject_values

# Rows that document the request itself are anonymised by the request's own service, never deleted here.
_KEEP_TABLES = frozenset({"data_subject_requests"})


@dataclass
class ErasureResult:
    deleted: dict[str, int] = field(default_factory=dict)
    kept: list[LegalHold] = field(default_factory=list)
    anonymised_customer_ids: list[str] = field(default_factory=list)
    files_deleted: int = 0
    residual: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deleted": {k: v for k, v in sorted(self.deleted.items()) if v},
            "kept": [h.as_dict() for h in self.kept],
            "anonymised_customer_ids": self.anonymised_customer_ids,
            "files_deleted": self.files_deleted,
            "residual": self.residual,
        }


def _count(result: ErasureResult, table: str, rowcount: int | None) -> None:
    result.deleted[table] = result.deleted.get(table, 0) + max(rowcount or 0, 0)


def prepare_secure_delete(session: Session) -> None:
    """On SQLite, freed space of this connection is zero-filled, so deleted text leaves the file."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))


def erase_customer(session: Session, store: FileStore, customer: Customer) -> ErasureResult:
    """Erase ``customer`` (and the records merged into it) in the caller's transaction."""
    prepare_secure_delete(session)
    result = ErasureResult()
    workspace_id = customer.workspace_id
    scope = subject_scope(session, customer)
    values = subject_values(session, scope.customer_ids)
    holds = legal_holds(session, workspace_id, scope.case_ids)
    held = [h.case_id for h in holds]
    result.kept = holds

    kept_messages = (
        set(session.scalars(select(Message.id).where(Message.case_id.in_(held)))) if held else set()
    )
    gone_messages = [m for m in scope.message_ids if m not in kept_messages]
    # Raw payloads are matched by identifiers only: a name alone may be someone else's.
    identifiers = [v for v in values if "@" in v or any(ch.isdigit() for ch in v)]
    inbound_ids = _inbound_ids(session, workspace_id, gone_messages, identifiers)
    keys = _storage_keys(session, scope.message_ids, scope.note_ids)
    kept_orders = set(session.scalars(select(CaseOrder.order_id).where(CaseOrder.case_id.in_(held))))

    for table in reversed(personal_tables()):
        if table.name in _KEEP_TABLES:
            continue
        condition = table.c.customer_id.in_(scope.customer_ids)
        if held and "case_id" in table.c:
            condition &= or_(table.c.case_id.is_(None), table.c.case_id.notin_(held))
        if held and table.name == "cases":
            condition &= table.c.id.notin_(held)
        if table.name == Order.__tablename__ and kept_orders:
            condition &= table.c.id.notin_(kept_orders)
        _count(result, table.name, session.execute(delete(table).where(condition)).rowcount)

    emails = [v for v in values if "@" in v]
    if emails:
        guest = delete(Order).where(Order.workspace_id == workspace_id, Order.customer_email.in_(emails))
        if kept_orders:
            guest = guest.where(Order.id.notin_(kept_orders))
        _count(result, "orders", session.execute(guest).rowcount)
    if inbound_ids:
        stmt = delete(InboundEvent).where(InboundEvent.id.in_(inbound_ids))
        _count(result, "inbound_events", session.execute(stmt).rowcount)

    owners = set(session.scalars(select(Message.customer_id).where(Message.id.in_(kept_messages))))
    for customer_id in scope.customer_ids:
        if customer_id in owners or (held and customer_id == customer.id):
            _anonymise(session, customer_id)
            result.anonymised_customer_ids.append(customer_id)
        else:
            stmt = delete(Customer).where(Customer.id == customer_id)
            _count(result, "customers", session.execute(stmt).rowcount)
    session.flush()
    session.expire_all()
    # Files are shared by content hash: only those no remaining attachment refers to are deleted.
    orphans = _unreferenced(session, keys)
    result.files_deleted = len(orphans)
    result.residual = residual_hits(session, workspace_id, values, exclude_case_ids=held)
    on_commit(session, lambda: _after_commit(session, store, orphans))
    return result


def _anonymise(session: Session, customer_id: str) -> None:
    session.execute(delete(Identity).where(Identity.customer_id == customer_id))
    session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(name=None, email=None, phone=None, consents={}, flags=["erased"])
    )


def _inbound_ids(session: Session, workspace_id: str, message_ids: list[str], values: list[str]) -> list[str]:
    ids = set(
        session.scalars(
            select(Message.inbound_event_id).where(
                Message.id.in_(message_ids), Message.inbound_event_id.is_not(None)
            )
        )
    )
    if values:
        naming = or_(*[InboundEvent.payload.contains(v, autoescape=True) for v in values])
        ids |= set(
            session.scalars(select(InboundEvent.id).where(InboundEvent.workspace_id == workspace_id, naming))
        )
    return [i for i in ids if i]


def _storage_keys(session: Session, message_ids: list[str], note_ids: list[str]) -> set[str]:
    stmt = select(Attachment.storage_key).where(
        or_(Attachment.message_id.in_(message_ids), Attachment.note_id.in_(note_ids))
    )
    return set(session.scalars(stmt))


def _unreferenced(session: Session, keys: set[str]) -> set[str]:
    return keys - set(session.scalars(select(Attachment.storage_key).where(Attachment.storage_key.in_(keys))))


def _after_commit(session: Session, store: FileStore, keys: set[str]) -> None:
    """Delete the files (still unreferenced after commit), then make SQLite drop its old page images."""
    bind = session.get_bind()
    with bind.connect() as conn:
        referenced = set(
            conn.execute(select(Attachment.storage_key).where(Attachment.storage_key.in_(keys))).scalars()
        )
        conn.rollback()
    for key in keys - referenced:
        store.path(key).unlink(missing_ok=True)
    checkpoint_sqlite(bind)


def checkpoint_sqlite(bind: Any) -> None:
    """Copy the write-ahead log into the database file and truncate it (its frames hold old rows)."""
    if bind.dialect.name != "sqlite":
        return
    raw = bind.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


def text_columns(table: Any) -> list[Any]:
    return [c for c in table.c if isinstance(c.type, String | Text | JSON) and c.name not in ("id",)]


def residual_hits(
    session: Session, workspace_id: str, values: list[str], *, exclude_case_ids: list[str] = ()
) -> dict[str, int]:
    """Rows of the workspace that still contain one of ``values`` (outside the cases kept on purpose)."""
    hits: dict[str, int] = {}
    if not values:
        return hits
    # JSON columns hold non-ASCII text \u-escaped.
    variants = sorted(set(values) | {json.dumps(v)[1:-1] for v in values})
    for table in Base.metadata.sorted_tables:
        if "workspace_id" not in table.c or table.name in _KEEP_TABLES:
            continue
        columns = text_columns(table)
        if not columns:
            continue
        matches = [cast(c, Text).contains(v, autoescape=True) for c in columns for v in variants]
        stmt = (
            select(func.count()).select_from(table).where(table.c.workspace_id == workspace_id, or_(*matches))
        )
        if exclude_case_ids:
            if "case_id" in table.c:
                stmt = stmt.where(or_(table.c.case_id.is_(None), table.c.case_id.notin_(exclude_case_ids)))
            if table.name == "cases":
                stmt = stmt.where(table.c.id.notin_(exclude_case_ids))
        count = session.scalar(stmt) or 0
        if count:
            hits[table.name] = count
    return hits
