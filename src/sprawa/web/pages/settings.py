"""Admin settings: channels (the chat widget's look), business hours and holidays, teams and skills,
users and roles, policies (escalation rules, SLA, returns...), knowledge articles with a preview, and
canned replies. Pages read through the features' queries; ``static/settings.js`` writes through the
JSON API, so the API's validation and audit apply to the UI too.
"""

import json
from typing import Annotated, Any

import nh3
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup
from pydantic import BaseModel, Field

from sprawa.auth.queries import user_page, users_out
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.queries import readable_channels
from sprawa.deps import Admin, DbSession
from sprawa.knowledge.queries import access_article, article_page
from sprawa.macros.queries import VARIABLES, readable_macros
from sprawa.web import format as _format  # noqa: F401 (registers the template helpers)
from sprawa.web.render import CurrentPageUser, PageUser, render
from sprawa.workspaces.models import PolicyKind, Team
from sprawa.workspaces.queries import active_policies, readable_teams, teams_out, typed_policy
from sprawa.workspaces.schemas import EscalationReason, Weekday

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
    request: Request, user: PageUser, section: str, template: str, context: dict[str, Any]
) -> HTMLResponse:
    if not user.principal.is_admin:
        return render(request, "settings/forbidden.html", {}, user=user, status_code=403)
    return render(
        request,
        f"settings/{template}.html",
        {"sections": SECTIONS, "section": section, **context},
        user=user,
    )


def _policy(db: DbSession, user: PageUser, kind: PolicyKind) -> dict[str, Any]:
    """The active policy as JSON (with the defaults when the shop has set none)."""
    return typed_policy(db, user.principal.workspace_id, kind).model_dump(mode="json")


def _pretty(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


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
def hours_page(request: Request, db: DbSession, user: CurrentPageUser) -> HTMLResponse:
    hours = _policy(db, user, PolicyKind.BUSINESS_HOURS)
    return _settings_page(
        request,
        user,
        "hours",
        "hours",
        {"hours": hours, "weekdays": WEEKDAY_LABELS, "policy_json": _pretty(hours)},
    )


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
def escalation_page(request: Request, db: DbSession, user: CurrentPageUser) -> HTMLResponse:
    from sprawa.ai.escalation import REASON_LABELS

    policy = _policy(db, user, PolicyKind.ESCALATION)
    rules = {rule["reason"]: rule for rule in policy.get("rules", [])}
    teams = {t.id: t.name for t in db.scalars(readable_teams(user.principal))}
    return _settings_page(
        request,
        user,
        "escalation",
        "escalation",
        {
            "policy": policy,
            "rules": rules,
            "reasons": [(r.value, REASON_LABELS.get(r, (r.value,))[0]) for r in EscalationReason],
            "teams": teams,
            "policy_json": _pretty(policy),
        },
    )


@router.get("/app/settings/policies", response_class=HTMLResponse)
def policies_page(request: Request, db: DbSession, user: CurrentPageUser) -> HTMLResponse:
    versions = {p.kind: p for p in active_policies(db, user.principal)}
    policies = [
        (
            kind,
            POLICY_LABELS[kind],
            versions.get(kind),
            json.dumps(_policy(db, user, kind), indent=2, ensure_ascii=False),
        )
        for kind in PolicyKind
    ]
    return _settings_page(request, user, "policies", "policies", {"policies": policies})


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
