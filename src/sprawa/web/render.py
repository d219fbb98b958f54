"""Rendering agent-workspace pages: the signed-in page user, the shared template context, safe redirects."""

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from sprawa.auth.queries import session_principal
from sprawa.auth.schemas import Principal
from sprawa.deps import SESSION_COOKIE, DbSession
from sprawa.web.nav import nav_for
from sprawa.web.translate import DEFAULT_LANGUAGE, LANGUAGES, translate

LANG_COOKIE = "sprawa_lang"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


class LoginRequired(Exception):
    """Raised by page dependencies; answered with a redirect to the login page (see shell.py)."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


@dataclass(frozen=True)
class PageUser:
    """The signed-in agent of a page request, with the CSRF token the page's scripts send on writes."""

    principal: Principal
    csrf_token: str


def get_page_user(request: Request, db: DbSession) -> PageUser:
    cookie = request.cookies.get(SESSION_COOKIE)
    found = session_principal(db, cookie) if cookie else None
    if found is None:
        raise LoginRequired(
            local_path(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        )
    principal, auth = found
    return PageUser(principal=principal, csrf_token=auth.csrf_token)


CurrentPageUser = Annotated[PageUser, Depends(get_page_user)]


def local_path(candidate: str | None, default: str = "/app") -> str:
    """``candidate`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    return candidate


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}"


def request_language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: PageUser | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with what every page needs: ``t()``, language, nav, CSRF token, CSP nonce."""
    lang = request_language(request)
    shared = {
        "t": partial(translate, lang=lang),
        "lang": lang,
        "languages": LANGUAGES,
        "csp_nonce": request.scope.get("csp_nonce", ""),
        "user": user,
        "principal": user.principal if user else None,
        "nav": nav_for(user.principal) if user else [],
        "current_path": request.url.path,
    }
    return templates.TemplateResponse(
        request, template, {**shared, **(context or {})}, status_code=status_code
    )
