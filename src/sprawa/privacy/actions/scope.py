"""What belongs to one data subject: their customer records, their cases, and which cases the law keeps."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from sprawa.cases.models import Case, Message, Note
from sprawa.customers.models import Customer
from sprawa.db import Base, utcnow
from sprawa.privacy.queries import retention_settings

# Never exported or copied anywhere: secrets and their digests.
SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "credentials_encrypted", "csrf_token"})
COMPLAINT_MARKS = ("complaint", "reklamacja")


@dataclass(frozen=True)
class LegalHold:
    """A case kept despite an erasure request, because a legal obligation requires it."""

    case_id: str
    case_number: int
    reason: str
    until: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "case_number": self.case_number,
            "reason": self.reason,
            "kept_until": self.until.isoformat(),
        }


@dataclass(frozen=True)
class SubjectScope:
    customer_ids: list[str]
    case_ids: list[str]
    message_ids: list[str]
    note_ids: list[str]


def related_customer_ids(session: Session, customer: Customer) -> list[str]:
    """The customer and every record merged into it (directly or through other merges)."""
    ids = [customer.id]
    frontier = [customer.id]
    while frontier:
        merged = list(session.scalars(select(Customer.id).where(Customer.merged_into_id.in_(frontier))))
        frontier = [i for i in merged if i not in ids]
        ids += frontier
    return ids


def subject_scope(session: Session, customer: Customer) -> SubjectScope:
    customer_ids = related_customer_ids(session, customer)
    case_ids = list(session.scalars(select(Case.id).where(Case.customer_id.in_(customer_ids))))
    message_ids = list(session.scalars(select(Message.id).where(Message.case_id.in_(case_ids))))
    note_ids = list(session.scalars(select(Note.id).where(Note.case_id.in_(case_ids))))
    return SubjectScope(customer_ids, case_ids, message_ids, note_ids)


def legal_holds(
    session: Session, workspace_id: str, case_ids: list[str], now: datetime | None = None
) -> list[LegalHold]:
    """Complaint cases (reklamacja) younger than the workspace's complaint hold period.

    The shop must be able to prove how it answered a complaint while claims about it are possible, so
    these cases are kept (and reported as kept) when their customer asks for erasure or retention runs.
    """
    now = now or utcnow()
    months = retention_settings(session, workspace_id).complaint_hold_months
    holds = []
    for case in session.scalars(select(Case).where(Case.id.in_(case_ids)).order_by(Case.number)):
        marked = case.intent in COMPLAINT_MARKS or any(t in COMPLAINT_MARKS for t in case.tags or [])
        until = case.created_at + timedelta(days=round(months * 30.44))
        if marked and until > now:
            holds.append(
                LegalHold(
                    case_id=case.id,
                    case_number=case.number,
                    reason="complaint record (reklamacja) kept for the limitation period",
                    until=until,
                )
            )
    return holds


def personal_tables() -> list[Table]:
    """Tables holding rows of one customer: a ``customer_id`` column (any feature's, present or future)."""
    return [t for t in Base.metadata.sorted_tables if "customer_id" in t.c and t.name != "customers"]


def case_tables() -> list[Table]:
    """Tables holding rows of one case without naming the customer."""
    return [
        t
        for t in Base.metadata.sorted_tables
        if "case_id" in t.c and "customer_id" not in t.c and t.name != "cases"
    ]
