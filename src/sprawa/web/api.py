"""The start page: where to go in this installation (the agent workspace UI is its own feature)."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "start.html", {})


@router.get("/favicon.ico")
def favicon() -> Response:
    """No icon yet: answer "no content" rather than a 404 in every browser console."""
    return Response(status_code=204)
