"""Login, logout and the language switch of the agent workspace."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sprawa.auth.service import SESSION_DAYS, do_login, do_logout
from sprawa.deps import SESSION_COOKIE, CurrentPrincipal, DbSession, RuntimeDep
from sprawa.platform.errors import RateLimited, Unauthorized
from sprawa.web.render import LANG_COOKIE, local_path, render
from sprawa.web.translate import LANGUAGES

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "auth/login.html", {"next": local_path(next), "error": None, "email": ""})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    runtime: RuntimeDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/app",
) -> Response:
    try:
        result = do_login(runtime.factory, email, password)
    except (Unauthorized, RateLimited) as exc:
        error = (
            "Zbyt wiele nieudanych prób. Spróbuj ponownie za kilka minut."
            if isinstance(exc, RateLimited)
            else "Nieprawidłowy e-mail lub hasło."
        )
        # The form is shown again with the reason (a 4xx page load would only add console noise).
        return render(request, "auth/login.html", {"next": local_path(next), "error": error, "email": email})
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=SESSION_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.cookie_secure,
    )
    return response


@router.post("/logout")
def logout_submit(request: Request, db: DbSession, principal: CurrentPrincipal) -> Response:
    """Called by the page's script (with the CSRF header); htmx then loads the login page."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        do_logout(db, token)
    response = Response(status_code=204, headers={"HX-Redirect": "/login"})
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> RedirectResponse:
    response = RedirectResponse(local_path(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/app")
def app_home() -> RedirectResponse:
    return RedirectResponse("/app/inbox", status_code=303)
