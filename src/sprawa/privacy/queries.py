"""Reads of the privacy feature: access chokepoints, finding a data subject, retention settings, consents."""

import contextlib

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.customers.models import Customer, Identity, IdentityKind
from sprawa.customers.service import live_customer, normalise_identity
from sprawa.platform.access import fetch_one_or_not_found, select_in_workspace
from sprawa.platform.audit import AuditEntry
from sprawa.platform.errors import InvalidInput
from sprawa.privacy.models import ConsentRecord, DataSubjectRequest, RequestStatus, RetentionSettings
from sprawa.workspaces.queries import keyset_page


def readable_requests(principal: Principal) -> Select[tuple[DataSubjectRequest]]:
    return select_in_workspace(DataSubjectRequest, principal.workspace_id)


def access_request(
    session: Session, principal: Principal, request_id: str, *, for_update: bool = False
) -> DataSubjectRequest:
    query = readable_requests(principal).where(DataSubjectRequest.id == request_id)
    return fetch_one_or_not_found(session, query, "no such data subject request", for_update=for_update)


def request_page(
    session: Session,
    principal: Principal,
    cursor: str | None,
    limit: int,
    *,
    status: RequestStatus | None = None,
) -> tuple[list[DataSubjectRequest], str | None]:
    stmt = readable_requests(principal)
    if status is not None:
        stmt = stmt.where(DataSubjectRequest.status == status)
    return keyset_page(session, stmt, DataSubjectRequest, cursor, limit)


def normalised(kind: str, value: str) -> str:
    """``value`` in the form identities are stored in; an unknown kind is a clear error."""
    try:
        identity_kind = IdentityKind(kind)
    except ValueError as exc:
        raise InvalidInput(f"unknown identity kind {kind!r}", code="invalid_identity_kind") from exc
    return normalise_identity(identity_kind, value)


def find_subjects(session: Session, workspace_id: str, kind: str, value: str) -> list[Customer]:
    """The (live) customers holding this identity, or an e-mail/phone on the record, in one workspace.

    An e-mail or phone is also looked for under the other phone-like kinds (a WhatsApp number is a phone).
    """
    value = normalised(kind, value)
    kinds = {kind}
    if kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
        kinds = {IdentityKind.PHONE, IdentityKind.WHATSAPP}
    ids = set(
        session.scalars(
            select(Identity.customer_id).where(
                Identity.workspace_id == workspace_id, Identity.kind.in_(kinds), Identity.value == value
            )
        )
    )
    column = {IdentityKind.EMAIL: Customer.email, IdentityKind.PHONE: Customer.phone}.get(IdentityKind(kind))
    if column is not None:
        ids |= set(
            session.scalars(
                select(Customer.id).where(Customer.workspace_id == workspace_id, or_(column == value))
            )
        )
    found: dict[str, Customer] = {}
    for customer_id in sorted(ids):
        customer = live_customer(session, customer_id)
        found[customer.id] = customer
    return list(found.values())


def subject_values(session: Session, customer_ids: list[str]) -> list[str]:
    """Identity values, e-mails, phones and names of these customers: what must not survive an erasure."""
    values: set[str] = set()
    for customer in session.scalars(select(Customer).where(Customer.id.in_(customer_ids))):
        values.update(v for v in (customer.name, customer.email, customer.phone) if v)
    values.update(session.scalars(select(Identity.value).where(Identity.customer_id.in_(customer_ids))))
    return sorted(v for v in values if len(v) >= 4)


def retention_settings(session: Session, workspace_id: str) -> RetentionSettings:
    """The workspace's retention settings (the defaults until an admin saves them; not added here)."""
    found = session.scalars(
        select(RetentionSettings).where(RetentionSettings.workspace_id == workspace_id)
    ).first()
    return found or RetentionSettings(
        workspace_id=workspace_id,
        closed_case_months=24,
        raw_inbound_days=30,
        attachment_months=24,
        complaint_hold_months=36,
    )


def consent_history(session: Session, customer_id: str) -> list[ConsentRecord]:
    return list(
        session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.customer_id == customer_id)
            .order_by(ConsentRecord.created_at, ConsentRecord.id)
        )
    )


def may_send_marketing(session: Session, customer: Customer, channel: str) -> bool:
    """True only when the newest marketing consent record of the customer on ``channel`` is a grant.

    Service messages (about an order, a return, a complaint) never call this: they need no consent.
    """
    latest = session.scalars(
        select(ConsentRecord.granted)
        .where(ConsentRecord.customer_id == customer.id, ConsentRecord.channel == channel)
        .order_by(ConsentRecord.created_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    ).first()
    return bool(latest)


def audit_page(
    session: Session,
    principal: Principal,
    *,
    action: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    actor_id: str | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> tuple[list[AuditEntry], int | None]:
    """The workspace's audit entries, newest first, filtered; the cursor is the last seq shown."""
    stmt = select_in_workspace(AuditEntry, principal.workspace_id)
    if action:
        # "privacy." matches every privacy action; a full name matches exactly.
        stmt = stmt.where(
            AuditEntry.action.startswith(action) if action.endswith(".") else AuditEntry.action == action
        )
    if subject_type:
        stmt = stmt.where(AuditEntry.subject_type == subject_type)
    if subject_id:
        stmt = stmt.where(AuditEntry.subject_id == subject_id)
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    rows = list(session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit + 1)))
    next_seq = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_seq = rows[-1].seq
    return rows, next_seq


def identity_kinds() -> list[str]:
    return [k.value for k in IdentityKind]


def safe_find_subjects(session: Session, workspace_id: str, kind: str, value: str) -> list[Customer]:
    """Like :func:`find_subjects`, but a value that cannot be that kind simply finds nobody."""
    with contextlib.suppress(InvalidInput):
        return find_subjects(session, workspace_id, kind, value)
    return []
