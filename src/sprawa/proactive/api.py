"""Proactive service over HTTP: settings, dry-run preview, sent notices, opt-out link, suggestions.

- ``GET|PUT /api/v1/proactive/settings`` — the workspace's rules (PUT: admins).
- ``GET /api/v1/proactive/preview`` — dry run: per rule, how many customers would get a message now.
- ``GET /api/v1/proactive/notices`` — the latest notices (sent and skipped, with the reason).
- ``GET|POST /api/v1/proactive/opt-out`` — the link in every notice (a page, then the opt-out); no login.
- ``GET /api/v1/customers/{id}/suggestions`` — suggestions for the agent, each with why it was made.
"""

import html
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse

from sprawa.customers.models import Customer
from sprawa.customers.queries import access_customer
from sprawa.customers.service import live_customer
from sprawa.db import utcnow
from sprawa.deps import Admin, CurrentPrincipal, DbSession, RuntimeDep
from sprawa.platform.errors import NotFound
from sprawa.proactive.notifications import in_quiet_hours
from sprawa.proactive.queries import proactive_settings, recent_notices
from sprawa.proactive.schemas import (
    NoticeOut,
    PreviewOut,
    ProactiveSettings,
    RulePreview,
    SuggestionOut,
)
from sprawa.proactive.service import do_opt_out, do_set_proactive_settings, read_opt_out_token
from sprawa.proactive.suggestions import suggest_for_customer
from sprawa.proactive.triggers import Notifier, summarise
from sprawa.workspaces.models import Workspace

router = APIRouter(prefix="/api/v1", tags=["proactive"])
OptOutToken = Annotated[str, Query(min_length=10, max_length=1000)]


@router.get("/proactive/settings")
def get_settings(db: DbSession, principal: CurrentPrincipal) -> ProactiveSettings:
    return proactive_settings(db, principal.workspace_id)


@router.put("/proactive/settings")
def put_settings(body: ProactiveSettings, db: DbSession, admin: Admin) -> ProactiveSettings:
    return do_set_proactive_settings(db, admin, body)


@router.get("/proactive/preview")
def preview(db: DbSession, principal: CurrentPrincipal, runtime: RuntimeDep) -> PreviewOut:
    """What the rules would send now ("this rule would message 37 customers today"); sends nothing."""
    now = utcnow()
    outcomes = Notifier.from_runtime(runtime).preview(db, principal.workspace_id, now)
    workspace = db.get(Workspace, principal.workspace_id)
    assert workspace is not None
    settings = proactive_settings(db, principal.workspace_id)
    rules = []
    for rule, (customers, notices, samples) in summarise(outcomes).items():
        rules.append(
            RulePreview(
                rule=rule,
                customers=customers,
                notices=notices,
                message={
                    "pl": f"Ta reguła wysłałaby teraz wiadomość do {customers} klientów.",
                    "en": f"This rule would message {customers} customers now.",
                },
                samples=samples,
            )
        )
    return PreviewOut(
        at=now, quiet_now=in_quiet_hours(settings.quiet_hours, now, workspace.timezone), rules=rules
    )


@router.get("/proactive/notices")
def notices(
    db: DbSession, principal: CurrentPrincipal, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[NoticeOut]:
    return [NoticeOut.model_validate(n) for n in recent_notices(db, principal, limit)]


@router.get("/proactive/opt-out", response_class=HTMLResponse)
def opt_out_page(token: OptOutToken, runtime: RuntimeDep) -> str:
    """The link in every notice: a page with one button (a GET never changes anything)."""
    read_opt_out_token(runtime.ingest.secrets, token)
    return (
        "<!doctype html><meta charset=utf-8><title>Powiadomienia o przesyłkach</title>"
        "<p>Czy wyłączyć automatyczne powiadomienia o zamówieniach i przesyłkach?</p>"
        '<form method=post><input type=hidden name=token value="' + html.escape(token, quote=True) + '">'
        "<button>Tak, wyłącz powiadomienia / Turn off updates</button></form>"
    )


@router.post("/proactive/opt-out", response_class=HTMLResponse)
def opt_out(
    token: Annotated[str, Form(min_length=10, max_length=1000)], db: DbSession, runtime: RuntimeDep
) -> str:
    workspace_id, customer_id = read_opt_out_token(runtime.ingest.secrets, token)
    found = db.get(Customer, customer_id)
    if found is None or found.workspace_id != workspace_id:
        raise NotFound("no such customer")
    do_opt_out(db, live_customer(db, customer_id))
    return (
        "<!doctype html><meta charset=utf-8><title>Wypisano</title>"
        "<p>Gotowe — nie będziemy już wysyłać automatycznych powiadomień o przesyłkach. "
        "Na Twoje wiadomości nadal odpowiemy.</p>"
        "<p lang=en>Done — we will not send automatic parcel updates any more. "
        "We will still answer your messages.</p>"
    )


@router.get("/customers/{customer_id}/suggestions")
def suggestions(
    customer_id: Annotated[str, Path(min_length=1, max_length=64)], db: DbSession, principal: CurrentPrincipal
) -> list[SuggestionOut]:
    """Replenishment and co-purchase suggestions for the agent, each with why it was made."""
    customer = access_customer(db, principal, customer_id)
    return [
        SuggestionOut.model_validate(p, from_attributes=True)
        for p in suggest_for_customer(db, customer, utcnow())
    ]
