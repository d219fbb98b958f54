"""Privacy over HTTP: data subject requests, retention, consents, the audit log and its verification."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from sqlalchemy import func, select

from sprawa.cases.models import Case
from sprawa.customers.models import Identity
from sprawa.customers.queries import access_customer
from sprawa.deps import Admin, CurrentPrincipal, DbSession, RuntimeDep, Writer
from sprawa.platform.audit import AuditEntry, append_audit_by, verify_chain
from sprawa.platform.pagination import DEFAULT_LIMIT
from sprawa.privacy.actions.consents import do_set_consent
from sprawa.privacy.actions.requests import (
    NewRequest,
    do_erase,
    do_export,
    do_open_request,
    do_reject,
    erasure_answer,
)
from sprawa.privacy.actions.retention import do_update_retention, dry_run
from sprawa.privacy.models import RequestStatus
from sprawa.privacy.queries import (
    access_request,
    audit_page,
    consent_history,
    request_page,
    retention_settings,
    safe_find_subjects,
)
from sprawa.privacy.schemas import (
    AuditEntryOut,
    AuditPage,
    AuditVerifyOut,
    ConsentIn,
    ConsentOut,
    ConsentsOut,
    ErasureOut,
    RejectIn,
    RequestIn,
    RequestOut,
    RetentionIn,
    RetentionOut,
    RetentionPreview,
    SubjectOut,
)
from sprawa.workspaces.schemas import CursorQuery, LimitQuery, Page

router = APIRouter(prefix="/api/v1", tags=["privacy"])

ItemId = Annotated[str, Path(min_length=1, max_length=64)]
Filter = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.post("/privacy/requests", status_code=201)
def open_request(body: RequestIn, db: DbSession, writer: Writer) -> RequestOut:
    """Record a person's request to see (access) or erase their data; due one month after receipt."""
    new = NewRequest(body.kind, body.identity_kind, body.identity_value, body.case_id, body.note)
    return RequestOut.model_validate(do_open_request(db, writer, new))


@router.get("/privacy/requests")
def list_requests(
    db: DbSession,
    admin: Admin,
    status: RequestStatus | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Page[RequestOut]:
    rows, next_cursor = request_page(db, admin, cursor, limit, status=status)
    return Page(items=[RequestOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/privacy/requests/{request_id}")
def get_request(request_id: ItemId, db: DbSession, admin: Admin) -> RequestOut:
    return RequestOut.model_validate(access_request(db, admin, request_id))


@router.post(
    "/privacy/requests/{request_id}/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "data.json + files"}},
)
def export_request(request_id: ItemId, db: DbSession, admin: Admin, runtime: RuntimeDep) -> Response:
    """The machine-readable archive of everything held about the person (completes an access request)."""
    request = access_request(db, admin, request_id, for_update=True)
    archive, filename = do_export(db, admin, request, runtime.ingest.store)
    return Response(
        archive,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/privacy/requests/{request_id}/erase")
def erase_request(request_id: ItemId, db: DbSession, admin: Admin, runtime: RuntimeDep) -> ErasureOut:
    """Erase the person everywhere; the answer lists records kept under a legal obligation."""
    request = access_request(db, admin, request_id, for_update=True)
    result = do_erase(db, admin, request, runtime.ingest.store)
    return ErasureOut(
        request=RequestOut.model_validate(request),
        deleted=result["deleted"],
        kept=result["kept"],
        files_deleted=result["files_deleted"],
        residual=result["residual"],
        message=erasure_answer(result),
    )


@router.post("/privacy/requests/{request_id}/reject")
def reject_request(request_id: ItemId, body: RejectIn, db: DbSession, admin: Admin) -> RequestOut:
    request = access_request(db, admin, request_id, for_update=True)
    return RequestOut.model_validate(do_reject(db, admin, request, body.reason))


@router.get("/privacy/subjects")
def find_subject(
    kind: Annotated[str, Query(min_length=1, max_length=32)],
    value: Annotated[str, Query(min_length=1, max_length=255)],
    db: DbSession,
    admin: Admin,
) -> list[SubjectOut]:
    """Customers holding an identity (e-mail, phone, Allegro login, social id...) of the workspace."""
    found = safe_find_subjects(db, admin.workspace_id, kind, value)
    out = []
    for customer in found:
        identities = db.scalar(select(func.count()).where(Identity.customer_id == customer.id)) or 0
        cases = db.scalar(select(func.count()).where(Case.customer_id == customer.id)) or 0
        out.append(
            SubjectOut(
                customer_id=customer.id,
                name=customer.name,
                email=customer.email,
                phone=customer.phone,
                identities=identities,
                cases=cases,
            )
        )
    return out


@router.get("/privacy/retention")
def get_retention(db: DbSession, admin: Admin) -> RetentionOut:
    return RetentionOut.model_validate(retention_settings(db, admin.workspace_id))


@router.put("/privacy/retention")
def put_retention(body: RetentionIn, db: DbSession, admin: Admin) -> RetentionOut:
    return RetentionOut.model_validate(do_update_retention(db, admin, body.model_dump()))


@router.get("/privacy/retention/preview")
def preview_retention(db: DbSession, admin: Admin) -> RetentionPreview:
    """Dry run: how many records the next daily run would delete now."""
    return RetentionPreview(**dry_run(db, admin.workspace_id))


@router.get("/customers/{customer_id}/consents")
def get_consents(customer_id: ItemId, db: DbSession, principal: CurrentPrincipal) -> ConsentsOut:
    customer = access_customer(db, principal, customer_id)
    history = consent_history(db, customer.id)
    current = {r.channel: r.granted for r in history}
    return ConsentsOut(current=current, history=[ConsentOut.model_validate(r) for r in history])


@router.post("/customers/{customer_id}/consents", status_code=201)
def post_consent(customer_id: ItemId, body: ConsentIn, db: DbSession, writer: Writer) -> ConsentOut:
    customer = access_customer(db, writer, customer_id, for_update=True)
    record = do_set_consent(db, writer, customer, body.channel, body.granted, body.source)
    return ConsentOut.model_validate(record)


@router.get("/audit")
def list_audit(
    db: DbSession,
    admin: Admin,
    action: Filter = None,
    subject_type: Filter = None,
    subject_id: Filter = None,
    actor_id: Filter = None,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
    limit: LimitQuery = 50,
) -> AuditPage:
    """The workspace's audit trail, newest first; ``action`` ending in "." matches a prefix."""
    rows, next_seq = audit_page(
        db,
        admin,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        actor_id=actor_id,
        before_seq=before_seq,
        limit=limit,
    )
    return AuditPage(items=[AuditEntryOut.model_validate(r) for r in rows], next_before_seq=next_seq)


@router.post("/audit/verify")
def verify_audit(db: DbSession, admin: Admin) -> AuditVerifyOut:
    """Recompute the hash chain of the workspace's audit trail (the check is itself audited)."""
    broken = verify_chain(db, admin.workspace_id)
    entries = db.scalar(select(func.count()).where(AuditEntry.workspace_id == admin.workspace_id)) or 0
    append_audit_by(db, admin, "audit.verified", "workspace", admin.workspace_id, intact=broken is None)
    return AuditVerifyOut(intact=broken is None, first_broken_seq=broken, entries=entries)
