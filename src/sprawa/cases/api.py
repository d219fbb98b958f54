"""Cases over HTTP: the inbox, a case's view, replies, notes, changes, merge/split/undo, and search."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, UploadFile
from fastapi.responses import FileResponse, RedirectResponse

from sprawa.cases.models import Case, CaseLinkChange
from sprawa.cases.queries import (
    CaseFilters,
    access_attachment,
    access_case,
    access_link_change,
    attachment_for_link,
    case_detail,
    case_messages,
    file_link,
    list_cases,
    search,
)
from sprawa.cases.schemas import (
    CaseDetail,
    CaseListParams,
    CaseOut,
    CasePage,
    CaseUpdateIn,
    LinkChangeOut,
    LinkChangeResult,
    MergeIn,
    MessageDetail,
    MessagePage,
    NoteIn,
    NoteOut,
    ReplyIn,
    SearchOut,
    SplitIn,
    UploadOut,
)
from sprawa.cases.service import (
    do_add_note,
    do_merge_cases,
    do_reply,
    do_split_case,
    do_undo_link_change,
    do_update_case,
)
from sprawa.cases.uploads import do_upload_attachment
from sprawa.deps import CurrentPrincipal, DbSession, RuntimeDep, Writer
from sprawa.platform.audit import audit_read

router = APIRouter(prefix="/api/v1", tags=["cases"])
files_router = APIRouter(tags=["files"])

CaseId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/cases")
def get_cases(
    params: Annotated[CaseListParams, Query()], db: DbSession, principal: CurrentPrincipal
) -> CasePage:
    """The inbox: filtered, sorted, cursor-paginated (``next_cursor`` is null on the last page)."""
    filters = CaseFilters(
        status=tuple(params.status),
        assignee=params.assignee or params.assignee_id,
        team=params.team or params.team_id,
        channel=params.channel or params.channel_id,
        intent=params.intent,
        priority=tuple(params.priority),
        escalated=params.escalated,
        tag=params.tag,
        customer_id=params.customer_id,
        q=params.q,
    )
    return list_cases(db, principal, filters, sort=params.sort, cursor=params.cursor, limit=params.limit)


@router.get("/cases/{case_id}")
def get_case(case_id: CaseId, db: DbSession, principal: CurrentPrincipal) -> CaseDetail:
    case = access_case(db, principal, case_id)
    audit_read(db, principal, "case", case.id)
    return case_detail(db, case)


@router.get("/cases/{case_id}/messages")
def get_case_messages(
    case_id: CaseId,
    db: DbSession,
    principal: CurrentPrincipal,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MessagePage:
    """Messages after ``after_seq`` in order: how a reconnecting client catches up."""
    return case_messages(db, access_case(db, principal, case_id), after_seq=after_seq, limit=limit)


@router.post("/cases/{case_id}/replies", status_code=201)
def post_reply(
    case_id: CaseId, body: ReplyIn, db: DbSession, writer: Writer, runtime: RuntimeDep
) -> MessageDetail:
    case = access_case(db, writer, case_id, for_update=True)
    message = do_reply(
        db,
        writer,
        case,
        body.text,
        thread_id=body.thread_id,
        status_after=body.status_after,
        attachment_ids=body.attachment_ids,
        adapters=runtime.ingest.adapters,
    )
    return MessageDetail.model_validate(message)


@router.post("/cases/{case_id}/attachments", status_code=201)
def post_attachment(
    case_id: CaseId, file: UploadFile, db: DbSession, writer: Writer, runtime: RuntimeDep
) -> UploadOut:
    """Upload a file for the next reply (multipart field ``file``); send its id in ``attachment_ids``."""
    limit = runtime.settings.attachment_max_bytes
    case = access_case(db, writer, case_id)
    data = file.file.read(limit + 1)
    attachment = do_upload_attachment(
        db, writer, case, runtime.ingest.store, file.filename or "", data, max_bytes=limit
    )
    return UploadOut.model_validate(attachment)


@router.post("/cases/{case_id}/notes", status_code=201)
def post_note(case_id: CaseId, body: NoteIn, db: DbSession, writer: Writer) -> NoteOut:
    case = access_case(db, writer, case_id, for_update=True)
    return NoteOut.model_validate(do_add_note(db, writer, case, body.text))


@router.patch("/cases/{case_id}")
def patch_case(case_id: CaseId, body: CaseUpdateIn, db: DbSession, writer: Writer) -> CaseOut:
    case = access_case(db, writer, case_id, for_update=True)
    return CaseOut.model_validate(do_update_case(db, writer, case, body.model_dump(exclude_unset=True)))


@router.post("/cases/{case_id}/merge")
def post_merge(case_id: CaseId, body: MergeIn, db: DbSession, writer: Writer) -> LinkChangeResult:
    # Rows are locked in id order, so two opposite merges running at once cannot deadlock.
    locked = {i: access_case(db, writer, i, for_update=True) for i in sorted({case_id, body.into_case_id})}
    source, target = locked[case_id], locked[body.into_case_id]
    change = do_merge_cases(db, writer, source, target, force=body.force, reason=body.reason)
    return _link_result(change, source, target)


@router.post("/cases/{case_id}/split", status_code=201)
def post_split(case_id: CaseId, body: SplitIn, db: DbSession, writer: Writer) -> LinkChangeResult:
    case = access_case(db, writer, case_id, for_update=True)
    change = do_split_case(db, writer, case, body.message_ids, reason=body.reason)
    new = access_case(db, writer, change.target_case_id)
    return _link_result(change, case, new)


@router.post("/case-link-changes/{change_id}/undo")
def post_undo_link_change(change_id: CaseId, db: DbSession, writer: Writer) -> LinkChangeResult:
    change = do_undo_link_change(db, writer, access_link_change(db, writer, change_id, for_update=True))
    source = access_case(db, writer, change.source_case_id)
    target = access_case(db, writer, change.target_case_id)
    return _link_result(change, source, target)


@router.get("/search")
def get_search(
    q: Annotated[str, Query(min_length=1, max_length=200)],
    db: DbSession,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchOut:
    """Cases (subject, ``#number``), messages (body) and customers (name, e-mail, phone, identities)."""
    return search(db, principal, q, limit=limit)


def _link_result(change: CaseLinkChange, source: Case, target: Case) -> LinkChangeResult:
    return LinkChangeResult(
        change=LinkChangeOut.model_validate(change),
        source=CaseOut.model_validate(source),
        target=CaseOut.model_validate(target),
    )


@router.get(
    "/attachments/{attachment_id}",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: {"description": "to the file's short-lived, cookie-less download link"}},
)
def download_attachment(
    attachment_id: CaseId, db: DbSession, principal: CurrentPrincipal, runtime: RuntimeDep
) -> RedirectResponse:
    """The file as a download from a cookie-less link (see ``/files/{token}``): customer files are
    untrusted content, so they are never served where the session cookie is sent."""
    attachment = access_attachment(db, principal, attachment_id)
    audit_read(db, principal, "attachment", attachment.id)
    return RedirectResponse(file_link(runtime.settings, attachment.id), status_code=303)


@files_router.get("/files/{token}", response_class=FileResponse)
def serve_file(
    token: Annotated[str, Path(min_length=10, max_length=200)], db: DbSession, runtime: RuntimeDep
):  # type: ignore[no-untyped-def]
    """The bytes of one attachment for whoever holds a fresh signed link; reads no cookie, sets none."""
    attachment = attachment_for_link(db, runtime.settings, token)
    return FileResponse(
        runtime.ingest.store.path(attachment.storage_key),
        filename=attachment.filename,
        content_disposition_type="attachment",
        media_type="application/octet-stream",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
            "Cross-Origin-Resource-Policy": "same-site",
        },
    )
