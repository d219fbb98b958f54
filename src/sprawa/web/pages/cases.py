"""The case view: one timeline across channels, the composer, case controls, customer and AI panels.

Writes go from ``static/case.js`` to the JSON API (replies, notes, changes, merge/split, macros); the page
re-reads itself when the agent socket reports a change of this case.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, HTMLResponse

from sprawa.ai.escalation import REASON_LABELS
from sprawa.cases.models import CaseStatus, Direction, Priority
from sprawa.cases.queries import access_attachment, access_case, case_detail
from sprawa.cases.schemas import MessageDetail, MessageEntry
from sprawa.cases.service import mark_read_after_commit
from sprawa.cases.uploads import ALLOWED_TYPES
from sprawa.customers.queries import access_customer, customer_panel
from sprawa.deps import DbSession, RuntimeDep
from sprawa.macros.queries import readable_macros
from sprawa.platform.audit import audit_read
from sprawa.platform.errors import NotFound
from sprawa.web import format as _format  # noqa: F401 (registers the template helpers)
from sprawa.web.content import message_body
from sprawa.web.queries import customer_conversations, directory
from sprawa.web.render import CurrentPageUser, render, request_language
from sprawa.workspaces.models import PolicyKind
from sprawa.workspaces.queries import typed_policy

router = APIRouter(include_in_schema=False)
ItemId = Annotated[str, Path(min_length=1, max_length=64)]
# The AI first line's endpoints the panel uses; it asks only for those this installation serves.
AI_ASSIST = {
    "assist": "/api/v1/cases/{case_id}/ai/assist",
    "draft": "/api/v1/cases/{case_id}/ai/draft",
    "flags": "/api/v1/cases/{case_id}/ai/decisions/{decision_id}/flags",
    "actions": "/api/v1/cases/{case_id}/actions/{action}",
}
PREVIEWABLE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# What the composer's file picker offers (the server checks the bytes: cases.uploads.ALLOWED_TYPES).
FILE_ACCEPT = ",".join(sorted(ALLOWED_TYPES)) + ",.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.rtf"

FLAG_KINDS = [
    ("wrong", "Błędna"),
    ("incomplete", "Niepełna"),
    ("outdated", "Nieaktualna"),
    ("tone", "Zły ton"),
]


@router.get("/app/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    case_id: ItemId, request: Request, db: DbSession, user: CurrentPageUser, runtime: RuntimeDep
) -> HTMLResponse:
    principal = user.principal
    case = access_case(db, principal, case_id)
    detail = case_detail(db, case)
    audit_read(db, principal, "case", case_id)  # who saw this customer's conversation (RODO audit)
    mark_read_after_commit(db, principal, case)
    panel = customer_panel(db, access_customer(db, principal, detail.customer.id))
    conversations = customer_conversations(db, principal, detail.customer.id)
    messages = [entry.message for entry in detail.timeline if isinstance(entry, MessageEntry)]
    last_inbound = next((m for m in reversed(messages) if m.direction == Direction.INBOUND), None)
    default_thread = (
        last_inbound.thread_id if last_inbound else (messages[-1].thread_id if messages else None)
    )
    decisions = detail.ai_decisions
    reasons = [r for d in decisions for r in d.escalation_reasons]
    return render(
        request,
        "cases/page.html",
        {
            "d": detail,
            "case": detail.case,
            "panel": panel,
            "dir": directory(db, principal),
            "conversations": conversations,
            "default_thread": default_thread,
            "bodies": {m.id: message_body(m.body_text, m.body_html, _inline_images(m)) for m in messages},
            "statuses": list(CaseStatus),
            "priorities": list(Priority),
            "macros": db.scalars(readable_macros(principal)).all(),
            "escalation_reasons": [
                _reason_label(r, request_language(request)) for r in dict.fromkeys(reasons)
            ],
            "moods": [d.frustration for d in decisions if d.frustration is not None][-8:],
            "frustrated_at": typed_policy(db, case.workspace_id, PolicyKind.ESCALATION).frustration_threshold,
            "flag_kinds": FLAG_KINDS,
            "previewable": PREVIEWABLE,
            "other_cases": [c for c in panel.cases if c.id != detail.case.id],
            "ai_assist": _served_ai_endpoints(request),
            "reason_label": lambda reason: _reason_label(reason, request_language(request)),
            "sends_files": {
                kind for kind, adapter in runtime.ingest.adapters.items() if adapter.capabilities.sends_files
            },
            "max_file_bytes": runtime.settings.attachment_max_bytes,
            "file_accept": FILE_ACCEPT,
        },
        user=user,
    )


def _inline_images(message: MessageDetail) -> dict[str, str]:
    """The message's own image attachments by content id, shown through the timeline's preview route."""
    return {
        a.content_id: f"/app/attachments/{a.id}/preview"
        for a in message.attachments
        if a.content_id and a.content_type in PREVIEWABLE
    }


def _reason_label(reason: str, lang: str) -> str:
    labels = REASON_LABELS.get(reason)
    return (labels[0] if lang == "pl" else labels[1]) if labels else reason


def _served_ai_endpoints(request: Request) -> list[str]:
    """Which AI endpoints this installation has (from the OpenAPI schema, which FastAPI caches)."""
    paths = request.app.openapi().get("paths", {})
    return [name for name, path in AI_ASSIST.items() if path in paths]


@router.get("/app/attachments/{attachment_id}/preview")
def attachment_preview(
    attachment_id: ItemId, db: DbSession, user: CurrentPageUser, runtime: RuntimeDep
) -> FileResponse:
    """An image attachment shown inline in the timeline; any other kind is only a download."""
    attachment = access_attachment(db, user.principal, attachment_id)
    if attachment.content_type not in PREVIEWABLE:
        raise NotFound("no preview for this file", code="no_preview")
    return FileResponse(
        runtime.ingest.store.path(attachment.storage_key),
        media_type=attachment.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, max-age=3600",
        },
    )
