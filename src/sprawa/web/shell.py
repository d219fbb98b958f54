"""What every web page shares at the HTTP level: static files, security headers, the login redirect."""

import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sprawa.web.render import LoginRequired, login_url

STATIC_DIR = Path(__file__).parent / "static"


class SecurityHeaders:
    """Adds a per-request CSP nonce (``scope["csp_nonce"]``) and the security headers to every HTTP answer.

    Pages may only run scripts and styles served from this origin or carrying the nonce: customer content
    rendered into a page can never execute. Only the widget's own files may be embedded by other sites.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope["csp_nonce"] = nonce

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in _headers(nonce).items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _headers(nonce: str) -> dict[str, str]:
    return {
        "content-security-policy": (
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
            "img-src 'self' data: blob:; connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "DENY",
    }


def install_web(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("HX-Request"):
            # htmx follows HX-Redirect with a full page load.
            return Response(status_code=401, headers={"HX-Redirect": login_url(exc.next_path)})
        return RedirectResponse(login_url(exc.next_path), status_code=303)
