"""RODO in the agent workspace: data subject requests (open, export, erase, reject), retention settings with
a dry run, the audit log with filters and its integrity check; and the public consent withdrawal page.

Writes go from ``static/privacy.js`` to the JSON API (``/api/v1/privacy/...``, ``/api/v1/audit/verify``).
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from sprawa.auth.models import User
from sprawa.cases.queries import access_case
from sprawa.customers.models import Customer, IdentityKind
from sprawa.db import utcnow
from sprawa.deps import DbSession, RuntimeDep
from sprawa.privacy.actions.consents import do_withdraw_by_link, read_withdrawal_token
from sprawa.privacy.actions.requests import erasure_answer, subjects_of
from sprawa.privacy.actions.retention import dry_run
from sprawa.privacy.models import RequestStatus
from sprawa.privacy.queries import access_request, audit_page, request_page, retention_settings
from sprawa.web.format import IDENTITY_LABELS
from sprawa.web.render import CurrentPageUser, PageUser, render

router = APIRouter(include_in_schema=False)
ItemId = Annotated[str, Path(min_length=1, max_length=64)]
Filter = Annotated[str | None, Query(max_length=64)]
TokenPath = Annotated[str, Path(min_length=10, max_length=300)]

KIND_LABELS = {"access": "Dostęp do danych (eksport)", "erasure": "Usunięcie danych"}
STATUS_LABELS = {"open": "otwarte", "completed": "zakończone", "rejected": "odrzucone"}
CHANNEL_LABELS = {"email": "e-mail", "sms": "SMS", "whatsapp": "WhatsApp", "messenger": "Messenger"}
# What an audit entry is about (the log's subject_type codes stay visible for filtering).
SUBJECT_LABELS = {
    "case": "Sprawa",
    "customer": "Klient",
    "attachment": "Załącznik",
    "user": "Użytkownik",
    "team": "Zespół",
    "channel": "Kanał",
    "workspace": "Ustawienia",
    "api_token": "Token API",
    "policy": "Zasady",
}


def _admin_only(request: Request, user: PageUser) -> HTMLResponse:
    return render(
        request,
        "privacy/message.html",
        {"title": "RODO", "message": "Żądania RODO i dziennik zdarzeń widzą właściciele i administratorzy."},
        user=user,
        status_code=403,
    )


def _labels() -> dict[str, object]:
    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS, "identity_labels": IDENTITY_LABELS}


@router.get("/app/privacy", response_class=HTMLResponse)
def privacy_home(
    request: Request, db: DbSession, user: CurrentPageUser, status: Filter = "open"
) -> HTMLResponse:
    principal = user.principal
    if not principal.is_admin:
        return _admin_only(request, user)
    wanted = RequestStatus(status) if status in {s.value for s in RequestStatus} else None
    requests, _ = request_page(db, principal, None, 100, status=wanted)
    requests.sort(key=lambda r: r.due_at)
    return render(
        request,
        "privacy/home.html",
        {
            "requests": requests,
            "status": status,
            "now": utcnow(),
            "retention": retention_settings(db, principal.workspace_id),
            "preview": dry_run(db, principal.workspace_id),
            **_labels(),
        },
        user=user,
    )


@router.get("/app/privacy/new", response_class=HTMLResponse)
def new_request(
    request: Request, db: DbSession, user: CurrentPageUser, case_id: Filter = None
) -> HTMLResponse:
    """The form an agent fills when a customer asks to see or erase their data (from the case, too)."""
    case = access_case(db, user.principal, case_id) if case_id else None
    customer = db.get(Customer, case.customer_id) if case else None
    return render(
        request,
        "privacy/new.html",
        {"case": case, "customer": customer, "identity_kinds": list(IdentityKind), **_labels()},
        user=user,
    )


@router.get("/app/privacy/requests/{request_id}", response_class=HTMLResponse)
def request_page_view(
    request_id: ItemId, request: Request, db: DbSession, user: CurrentPageUser
) -> HTMLResponse:
    if not user.principal.is_admin:
        return _admin_only(request, user)
    dsr = access_request(db, user.principal, request_id)
    subjects = subjects_of(db, dsr)
    raised_by = db.get(User, dsr.raised_by_user_id) if dsr.raised_by_user_id else None
    answer = erasure_answer(dsr.result) if dsr.kind == "erasure" and dsr.status == "completed" else None
    return render(
        request,
        "privacy/request.html",
        {
            "r": dsr,
            "subjects": subjects,
            "raised_by": raised_by,
            "answer": answer,
            "now": utcnow(),
            **_labels(),
        },
        user=user,
    )


@router.get("/app/privacy/audit", response_class=HTMLResponse)
def audit_view(
    request: Request,
    db: DbSession,
    user: CurrentPageUser,
    action: Filter = None,
    subject_type: Filter = None,
    subject_id: Filter = None,
    actor_id: Filter = None,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    if not user.principal.is_admin:
        return _admin_only(request, user)
    filters = {"action": action, "subject_type": subject_type, "subject_id": subject_id, "actor_id": actor_id}
    entries, next_seq = audit_page(db, user.principal, before_seq=before_seq, limit=100, **filters)
    actors = {
        u.id: u.name for u in db.scalars(select(User).where(User.workspace_id == user.principal.workspace_id))
    }
    return render(
        request,
        "privacy/audit.html",
        {
            "entries": entries,
            "next_seq": next_seq,
            "filters": filters,
            "actors": actors,
            "subject_labels": SUBJECT_LABELS,
        },
        user=user,
    )


# --- Public: withdrawing marketing consent from the link in a message ------------------------------------


@router.get("/zgody/wypisz/{token}", response_class=HTMLResponse)
def withdraw_page(token: TokenPath, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    found = read_withdrawal_token(runtime.settings.resolved_secret_key, token)
    state = "confirm" if found else "invalid"
    channel = CHANNEL_LABELS.get(found[2], found[2]) if found else ""
    return render(
        request,
        "privacy/withdraw.html",
        {"state": state, "token": token, "channel": channel},
        status_code=200 if found else 404,
    )


@router.post("/zgody/wypisz/{token}", response_class=HTMLResponse)
def withdraw_submit(token: TokenPath, request: Request, db: DbSession, runtime: RuntimeDep) -> HTMLResponse:
    """Takes effect at once; also the target of one-click unsubscribe (RFC 8058 List-Unsubscribe-Post)."""
    found = read_withdrawal_token(runtime.settings.resolved_secret_key, token)
    customer = db.get(Customer, found[1]) if found else None
    if found is None or customer is None or customer.workspace_id != found[0]:
        return render(request, "privacy/withdraw.html", {"state": "invalid"}, status_code=404)
    do_withdraw_by_link(db, customer, found[2])
    channel = CHANNEL_LABELS.get(found[2], found[2])
    return render(request, "privacy/withdraw.html", {"state": "done", "channel": channel})
