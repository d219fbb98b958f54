"""Data subject requests: opened by an agent (often from the case where the person asked), answered by an
admin with an export or an erasure, each step audited, all within one month (RODO art. 12(3))."""

import calendar
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.cases.queries import access_case
from sprawa.customers.models import Customer
from sprawa.customers.service import live_customer
from sprawa.db import utcnow
from sprawa.platform.audit import append_audit_by
from sprawa.platform.errors import Conflict, Forbidden
from sprawa.platform.events import Event, emit
from sprawa.platform.storage import FileStore
from sprawa.privacy.actions.erasure import erase_customer
from sprawa.privacy.actions.export import build_archive
from sprawa.privacy.models import DataSubjectRequest, RequestKind, RequestStatus
from sprawa.privacy.queries import find_subjects, normalised


def one_month_after(moment: datetime) -> datetime:
    """The same day of the next month (the last day when the next month is shorter), same time."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _check_admin(actor: Principal) -> None:
    if not actor.is_admin:
        raise Forbidden("only owners and admins answer data requests", code="admin_only")


def _check_open(request: DataSubjectRequest) -> None:
    if request.status != RequestStatus.OPEN:
        raise Conflict("this request is already closed", code="request_closed")


@dataclass(frozen=True)
class NewRequest:
    kind: RequestKind
    identity_kind: str
    identity_value: str
    case_id: str | None = None
    note: str = ""


def do_open_request(session: Session, actor: Principal, new: NewRequest) -> DataSubjectRequest:
    """Record a request; from a case the person is that case's customer, whatever identity is named."""
    if not actor.can_write:
        raise Forbidden("your role can only read", code="read_only_role")
    value = normalised(new.identity_kind, new.identity_value)
    customer_id = None
    if new.case_id:
        customer_id = live_customer(session, access_case(session, actor, new.case_id).customer_id).id
    else:
        found = find_subjects(session, actor.workspace_id, new.identity_kind, value)
        customer_id = found[0].id if len(found) == 1 else None
    now = utcnow()
    request = DataSubjectRequest(
        workspace_id=actor.workspace_id,
        kind=new.kind,
        status=RequestStatus.OPEN,
        identity_kind=new.identity_kind,
        identity_value=value,
        customer_id=customer_id,
        case_id=new.case_id,
        raised_by_user_id=actor.user_id,
        note=new.note,
        received_at=now,
        due_at=one_month_after(now),
        result={},
    )
    session.add(request)
    session.flush()
    append_audit_by(
        session, actor, "privacy.request_opened", "data_subject_request", request.id, kind=str(new.kind)
    )
    _emit(session, request)
    return request


def subjects_of(session: Session, request: DataSubjectRequest) -> list[Customer]:
    """Every customer record the request is about: the linked one and all holding the named identity."""
    found: dict[str, Customer] = {}
    if request.customer_id:
        customer = live_customer(session, request.customer_id)
        found[customer.id] = customer
    if request.status == RequestStatus.OPEN:
        for customer in find_subjects(
            session, request.workspace_id, request.identity_kind, request.identity_value
        ):
            found[customer.id] = customer
    return list(found.values())


def do_export(
    session: Session, actor: Principal, request: DataSubjectRequest, store: FileStore
) -> tuple[bytes, str]:
    """The archive answering the request (ZIP: data.json + files); an access request is then completed."""
    _check_admin(actor)
    subjects = subjects_of(session, request)
    if not subjects:
        raise Conflict("no data is held about this person", code="no_data")
    customer = subjects[0]
    archive, document = build_archive(session, store, customer)
    counts = {name: len(rows) for name, rows in document["tables"].items()}
    append_audit_by(
        session, actor, "privacy.export", "customer", customer.id, request_id=request.id, counts=counts
    )
    if request.kind == RequestKind.ACCESS and request.status == RequestStatus.OPEN:
        request.status = RequestStatus.COMPLETED
        request.completed_at = utcnow()
        request.customer_id = customer.id
        request.result = {"exported": counts, "files": len(document["files"])}
        _emit(session, request)
    return archive, f"dane-osobowe-{request.id}.zip"


def do_erase(
    session: Session, actor: Principal, request: DataSubjectRequest, store: FileStore
) -> dict[str, Any]:
    """Carry out an erasure request for every record of the person; the answer lists what the law keeps."""
    _check_admin(actor)
    _check_open(request)
    if request.kind != RequestKind.ERASURE:
        raise Conflict("this is not an erasure request", code="wrong_kind")
    results = [erase_customer(session, store, c).as_dict() for c in subjects_of(session, request)]
    merged: dict[str, Any] = {"deleted": {}, "kept": [], "files_deleted": 0, "residual": {}}
    for result in results:
        for table, count in result["deleted"].items():
            merged["deleted"][table] = merged["deleted"].get(table, 0) + count
        merged["kept"] += result["kept"]
        merged["files_deleted"] += result["files_deleted"]
        for table, count in result["residual"].items():
            merged["residual"][table] = merged["residual"].get(table, 0) + count
    merged["customers_found"] = len(results)
    _finish_erasure(session, request, merged)
    append_audit_by(
        session,
        actor,
        "privacy.erasure",
        "data_subject_request",
        request.id,
        deleted=merged["deleted"],
        kept_cases=[k["case_id"] for k in merged["kept"]],
    )
    _emit(session, request)
    return merged


def _finish_erasure(session: Session, request: DataSubjectRequest, result: dict[str, Any]) -> None:
    """Close the request, keeping only a digest of the identity it named."""
    digest = "sha256:" + hashlib.sha256(request.identity_value.encode()).hexdigest()
    request.status = RequestStatus.COMPLETED
    request.completed_at = utcnow()
    request.result = result
    request.identity_value = digest
    request.note = ""
    session.flush()


def do_reject(
    session: Session, actor: Principal, request: DataSubjectRequest, reason: str
) -> DataSubjectRequest:
    """Close a request without acting (e.g. the identity could not be verified), with the reason."""
    _check_admin(actor)
    _check_open(request)
    request.status = RequestStatus.REJECTED
    request.completed_at = utcnow()
    request.result = {"reason": reason}
    append_audit_by(session, actor, "privacy.request_rejected", "data_subject_request", request.id)
    _emit(session, request)
    return request


def _emit(session: Session, request: DataSubjectRequest) -> None:
    data = {"id": request.id, "kind": str(request.kind), "status": str(request.status)}
    emit(session, Event("privacy.request_updated", request.workspace_id, data))


def erasure_answer(result: dict[str, Any]) -> str:
    """What to tell the person (Polish, then English): done, and what the law makes the shop keep."""
    kept = result.get("kept", [])
    if not kept:
        return (
            "Usunęliśmy wszystkie Pani/Pana dane osobowe przechowywane w naszym systemie obsługi klienta.\n"
            "We have erased all your personal data held in our customer service system."
        )
    numbers = ", ".join(f"#{k['case_number']}" for k in kept)
    until = max(k["kept_until"][:10] for k in kept)
    return (
        "Usunęliśmy Pani/Pana dane osobowe z naszego systemu obsługi klienta. Zachowaliśmy jedynie "
        f"dokumentację reklamacji ({numbers}), bo wymaga tego od nas prawo — do {until}; potem zostanie "
        "usunięta.\n"
        "We have erased your personal data from our customer service system. We kept only the records of "
        f"your complaint ({numbers}), as the law requires, until {until}; they will be deleted then."
    )
