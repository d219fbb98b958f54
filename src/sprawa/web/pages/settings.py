"""Admin settings: channels (the chat widget's look), business hours and holidays, teams and skills,
users and roles, policies (escalation rules, SLA, returns...), knowledge articles with a preview, and
canned replies. Pages read through the features' queries; ``static/settings.js`` writes through the
JSON API, so the API's validation and audit apply to the UI too. Policies (hours, escalation, shop
rules) are plain forms posted here and saved by the same service as the API (``do_set_policy``), with
the problems shown by the fields in Polish.
"""

import json
from typing import Annotated, Any

import nh3
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import FormData

from sprawa.auth.queries import user_page, users_out
from sprawa.cases.models import Priority
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.queries import readable_channels
from sprawa.deps import Admin, DbSession
from sprawa.knowledge.queries import access_article, article_page
from sprawa.macros.queries import VARIABLES, readable_macros
from sprawa.platform.crypto import constant_time_equal
from sprawa.platform.errors import Forbidden, InvalidInput
from sprawa.web import format as _format  # noqa: F401 (registers the template helpers)
from sprawa.web.pages.policy_forms import (
    Problem,
    default_priority,
    form_fields,
    problems,
    read_escalation,
    read_fields,
    read_hours,
)
from sprawa.web.render import CurrentPageUser, PageUser, render, request_language
from sprawa.workspaces.models import PolicyKind, Team
from sprawa.workspaces.queries import active_policies, readable_teams, teams_out, typed_policy
from sprawa.workspaces.schemas import POLICY_MODELS, EscalationReason, Weekday
from sprawa.workspaces.service import do_set_policy

router = APIRouter(include_in_schema=False)
ItemId = Annotated[str, Path(min_length=1, max_length=64)]
# Markdown as the AI and the shop's pages read it; raw HTML in an article is shown as text.
markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

SECTIONS = [
    ("channels", "Kanały"),
    ("hours", "Godziny pracy i święta"),
    ("teams", "Zespoły i umiejętności"),
    ("users", "Użytkownicy i role"),
    ("escalation", "Reguły eskalacji"),
    ("policies", "Zasady sklepu"),
    ("knowledge", "Baza wiedzy"),
    ("macros", "Gotowe odpowiedzi"),
    ("shop", "Sklep i przewoźnicy"),
    ("proactive", "Powiadomienia proaktywne"),
]
POLICY_LABELS = {
    PolicyKind.RETURNS: "Zwroty",
    PolicyKind.CANCELLATION: "Anulowanie zamówień",
    PolicyKind.ORDER_CHANGES: "Zmiany w zamówieniach",
    PolicyKind.REFUNDS: "Zwroty pieniędzy",
    PolicyKind.COMPENSATION: "Rekompensaty",
    PolicyKind.ESCALATION: "Eskalacja",
    PolicyKind.BUSINESS_HOURS: "Godziny pracy",
    PolicyKind.SLA: "Czas odpowiedzi (SLA)",
    PolicyKind.TONE: "Ton odpowiedzi",
}
WEEKDAY_LABELS = {
    Weekday.MON: "poniedziałek",
    Weekday.TUE: "wtorek",
    Weekday.WED: "środa",
    Weekday.THU: "czwartek",
    Weekday.FRI: "piątek",
    Weekday.SAT: "sobota",
    Weekday.SUN: "niedziela",
}


def _settings_page(
    request: Request,
    user: PageUser,
    section: str,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    if not user.principal.is_admin:
        return render(request, "settings/forbidden.html", {}, user=user, status_code=403)
    return render(
        request,
        f"settings/{template}.html",
        {"sections": SECTIONS, "section": section, **context},
        user=user,
        status_code=status_code,
    )


async def read_form(request: Request) -> FormData:
    return await request.form()


PostedForm = Annotated[FormData, Depends(read_form)]
# Policies with a page of their own (their forms are not generic).
SEPARATE_PAGES = {PolicyKind.BUSINESS_HOURS: "hours", PolicyKind.ESCALATION: "escalation"}


def _policy(db: DbSession, user: PageUser, kind: PolicyKind) -> dict[str, Any]:
    """The active policy as JSON (with the defaults when the shop has set none)."""
    return typed_policy(db, user.principal.workspace_id, kind).model_dump(mode="json")


@router.get("/app/settings")
def settings_home() -> RedirectResponse:
    return RedirectResponse("/app/settings/channels", status_code=303)


@router.get("/app/settings/channels", response_class=HTMLResponse)
def channels_page(request: Request, db: DbSession, user: CurrentPageUser) -> HTMLResponse:
    channels = db.scalars(readable_channels(user.principal).order_by(Channel.created_at)).all()
    return _settings_page(
        request,
        user,
        "channels",
        "channels",
        {
            "channels": channels,
            "webchat": ChannelKind.WEBCHAT,
            "json": json.dumps,
            "base_url": str(request.base_url).rstrip("/"),
        },
    )


@router.get("/app/settings/hours", response_class=HTMLResponse)
def hours_page(request: Request, db: DbSession, user: CurrentPageUser, saved: bool = False) -> HTMLResponse:
    return _hours_page(request, user, _policy(db, user, PolicyKind.BUSINESS_HOURS), {}, saved=saved)


@router.post("/app/settings/hours", response_class=HTMLResponse)
def save_hours(request: Request, db: DbSession, user: CurrentPageUser, form: PostedForm) -> Response:
    data = read_hours(form)
    errors = _save_policy(db, user, form, PolicyKind.BUSINESS_HOURS, data)
    if not errors:
        return RedirectResponse("/app/settings/hours?saved=1", status_code=303)
    return _hours_page(request, user, data, errors, status_code=422)


def _hours_page(
    request: Request,
    user: PageUser,
    hours: dict[str, Any],
    errors: dict[str, Problem],
    *,
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"hours": hours, "weekdays": WEEKDAY_LABELS, "errors": errors, "saved": saved}
    return _settings_page(request, user, "hours", "hours", context, status_code=status_code)


@router.get("/app/settings/teams", response_class=HTMLResponse)
def teams_page(request: Request, db: DbSession, user: CurrentPageUser) -> HTMLResponse:
    teams = teams_out(db, list(db.scalars(readable_teams(user.principal).order_by(Team.name))))
    users, _ = user_page(db, user.principal, None, 200)
    names = {u.id: u.name for u in users}
    return _settings_page(request, user, "teams", "teams", {"teams": teams, "names": names})


@router.get("/app/settings/users", response_class=HTMLResponse)
def users_page(request: Request, db: DbSession, user: CurrentPageUser) -> HTMLResponse:
    users, _ = user_page(db, user.principal, None, 200)
    teams = {t.id: t.name for t in db.scalars(readable_teams(user.principal))}
    return _settings_page(
        request,
        user,
        "users",
        "users",
        {"users": users_out(db, users), "teams": teams, "roles": ["owner", "admin", "agent", "viewer"]},
    )


@router.get("/app/settings/escalation", response_class=HTMLResponse)
def escalation_page(
    request: Request, db: DbSession, user: CurrentPageUser, saved: bool = False
) -> HTMLResponse:
    policy = _policy(db, user, PolicyKind.ESCALATION)
    return _escalation_page(request, db, user, policy, {}, saved=saved)


@router.post("/app/settings/escalation", response_class=HTMLResponse)
def save_escalation(request: Request, db: DbSession, user: CurrentPageUser, form: PostedForm) -> Response:
    data = read_escalation(form)
    errors = _save_policy(db, user, form, PolicyKind.ESCALATION, data)
    if not errors:
        return RedirectResponse("/app/settings/escalation?saved=1", status_code=303)
    return _escalation_page(request, db, user, data, errors, status_code=422)


def _escalation_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    policy: dict[str, Any],
    errors: dict[str, Problem],
    *,
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    from sprawa.ai.escalation import REASON_LABELS

    rules = {rule["reason"]: rule for rule in policy.get("rules", [])}
    teams = {t.id: t.name for t in db.scalars(readable_teams(user.principal).order_by(Team.name))}
    lang = 0 if request_language(request) == "pl" else 1  # REASON_LABELS carry (Polish, English)
    reasons = [
        (r.value, REASON_LABELS[r][lang] if r in REASON_LABELS else r.value, default_priority(r).value)
        for r in EscalationReason
    ]
    context = {
        "policy": policy,
        "rules": rules,
        "reasons": reasons,
        "teams": teams,
        "priorities": list(Priority),
        "errors": errors,
        "saved": saved,
    }
    return _settings_page(request, user, "escalation", "escalation", context, status_code=status_code)


@router.get("/app/settings/policies", response_class=HTMLResponse)
def policies_page(
    request: Request, db: DbSession, user: CurrentPageUser, saved: PolicyKind | None = None
) -> HTMLResponse:
    return _policies_page(request, db, user, saved=saved)


@router.post("/app/settings/policies/{kind}", response_class=HTMLResponse)
def save_policy(
    kind: PolicyKind, request: Request, db: DbSession, user: CurrentPageUser, form: PostedForm
) -> Response:
    if kind in SEPARATE_PAGES:
        return RedirectResponse(f"/app/settings/{SEPARATE_PAGES[kind]}", status_code=303)
    data = read_fields(form_fields(POLICY_MODELS[kind]), form)
    errors = _save_policy(db, user, form, kind, data)
    if not errors:
        return RedirectResponse(f"/app/settings/policies?saved={kind.value}#policy-{kind.value}", 303)
    return _policies_page(request, db, user, entered=(kind, data, errors), status_code=422)


def _policies_page(
    request: Request,
    db: DbSession,
    user: PageUser,
    *,
    saved: PolicyKind | None = None,
    entered: tuple[PolicyKind, dict[str, Any], dict[str, Problem]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    versions = {p.kind: p for p in active_policies(db, user.principal)}
    policies = []
    for kind in PolicyKind:
        values, errors = _policy(db, user, kind), {}
        if entered and entered[0] == kind:
            values, errors = entered[1], entered[2]
        fields = [] if kind in SEPARATE_PAGES else form_fields(POLICY_MODELS[kind])
        policies.append((kind, POLICY_LABELS[kind], versions.get(kind), fields, values, errors))
    context = {
        "policies": policies,
        "separate": SEPARATE_PAGES,
        "saved": saved,
        "open_kind": entered[0] if entered else saved,
    }
    return _settings_page(request, user, "policies", "policies", context, status_code=status_code)


def _save_policy(
    db: DbSession, user: PageUser, form: FormData, kind: PolicyKind, data: dict[str, Any]
) -> dict[str, Problem]:
    """Check and store a new version of the policy through the same service as the API; the problems
    in Polish by field (none when saved)."""
    if not user.principal.is_admin:
        raise Forbidden("only owners and admins may do this", code="admin_only")
    if not constant_time_equal(str(form.get("csrf_token", "")), user.csrf_token):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")
    try:
        policy = POLICY_MODELS[kind].model_validate(data)
    except ValidationError as exc:
        return problems(exc)
    try:
        do_set_policy(db, user.principal, kind, policy)
    except InvalidInput:
        return {"_": ("Wybrany zespół już nie istnieje — odśwież stronę i wybierz inny.", {})}
    return {}


@router.get("/app/settings/knowledge", response_class=HTMLResponse)
def knowledge_page(request: Request, db: DbSession, user: CurrentPageUser) -> HTMLResponse:
    articles, _ = article_page(db, user.principal, None, 200)
    return _settings_page(request, user, "knowledge", "knowledge", {"articles": articles})


@router.get("/app/settings/knowledge/{article_id}", response_class=HTMLResponse)
def article_edit_page(
    article_id: ItemId, request: Request, db: DbSession, user: CurrentPageUser
) -> HTMLResponse:
    article = None if article_id == "new" else access_article(db, user.principal, article_id)
    return _settings_page(
        request,
        user,
        "knowledge",
        "article",
        {"article": article, "preview": render_markdown(article.body) if article else ""},
    )


class PreviewIn(BaseModel):
    body: str = Field(max_length=100_000)


@router.post("/app/settings/knowledge/preview")
def article_preview(body: PreviewIn, admin: Admin) -> Response:
    """The article as it will read (Markdown to sanitised HTML), for the editor's preview."""
    return Response(render_markdown(body.body), media_type="text/html; charset=utf-8")


def render_markdown(text: str) -> Markup:
    return Markup(nh3.clean(markdown.render(text)))  # noqa: S704 (nh3 output)


@router.get("/app/settings/macros", response_class=HTMLResponse)
def macros_page(request: Request, db: DbSession, user: CurrentPageUser) -> HTMLResponse:
    macros = db.scalars(readable_macros(user.principal)).all()
    return _settings_page(request, user, "macros", "macros", {"macros": macros, "variables": VARIABLES})
