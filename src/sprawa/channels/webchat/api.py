"""The chat widget's API (sessions, messages, live socket) and the demo storefront that carries it.

The widget runs on the shop's own site, so its HTTP API answers cross-origin; it authenticates with the
visitor token as a bearer token (never cookies), so any origin may call it.
"""

import pathlib
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from sprawa.ai.escalation import opening
from sprawa.cases.events import (
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHORIZED,
    IDLE_SECONDS,
    TYPING_EVERY_SECONDS,
    may_receive,
    visitor_status_frame,
    visitor_typing_frame,
)
from sprawa.channels.webchat.queries import demo_channel, visitor_attachment, webchat_channel
from sprawa.channels.webchat.schemas import (
    AckOut,
    ClientFrame,
    ContactIn,
    HandoffIn,
    HandoffOut,
    HistoryOut,
    MessageFrame,
    PingFrame,
    SendIn,
    SessionIn,
    SessionOut,
    WidgetConfig,
)
from sprawa.channels.webchat.service import (
    FILE_TYPES,
    MAX_FILE_BYTES,
    RateLimiter,
    Visitor,
    catch_up,
    check_visitor_token,
    do_capture_contact,
    do_request_human,
    do_send_visitor_file,
    do_send_visitor_message,
    do_start_session,
    history,
    open_visitor_view,
    visitor_typing,
    widget_language,
)
from sprawa.db import transaction, utcnow
from sprawa.deps import DbSession, RuntimeDep
from sprawa.platform.errors import AppError, Unauthorized
from sprawa.platform.events import RESYNC, CloseSocket, Event, SocketPump
from sprawa.runtime import Runtime

STATIC = pathlib.Path(__file__).parent / "static"
shop_templates = Jinja2Templates(directory=STATIC)
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Max-Age": "600",
}
SESSIONS_PER_MINUTE = 20
MESSAGES_PER_MINUTE = 30
T = TypeVar("T")


class WidgetRoute(APIRoute):
    """Adds the CORS headers to every widget answer, errors included (the widget must read them)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response = await handler(request)
            except (AppError, RequestValidationError) as exc:
                # The app's own error mapping, so the body is the same as everywhere else.
                kind = RequestValidationError if isinstance(exc, RequestValidationError) else AppError
                response = await request.app.exception_handlers[kind](request, exc)
            response.headers.update(CORS_HEADERS)
            return response

        return with_cors


router = APIRouter(prefix="/widget/v1", tags=["widget"], route_class=WidgetRoute)
demo_router = APIRouter(include_in_schema=False)


def _limits(request: Request | WebSocket) -> dict[str, RateLimiter]:
    state = request.app.state
    if not hasattr(state, "webchat_limits"):
        state.webchat_limits = {
            "sessions": RateLimiter(SESSIONS_PER_MINUTE, 60.0),
            "messages": RateLimiter(MESSAGES_PER_MINUTE, 60.0),
        }
    return state.webchat_limits


def get_visitor(request: Request, runtime: RuntimeDep) -> Visitor:
    authorization = request.headers.get("Authorization", "")
    if not authorization.startswith("Bearer "):
        raise Unauthorized("send the visitor token as a bearer token", code="no_visitor_token")
    return check_visitor_token(
        runtime.settings.resolved_secret_key, authorization.removeprefix("Bearer ").strip()
    )


CurrentVisitor = Annotated[Visitor, Depends(get_visitor)]


@router.options("/{path:path}", include_in_schema=False)
def preflight(path: str) -> Response:
    return Response(status_code=204)


@router.post("/{channel_public_key}/sessions", status_code=201)
def start_session(
    channel_public_key: Annotated[str, Path(max_length=26)],
    body: SessionIn,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
) -> SessionOut:
    """Start a chat: returns the visitor token the widget keeps and sends with every request."""
    _limits(request)["sessions"].check(request.client.host if request.client else "?")
    return do_start_session(
        db,
        runtime.settings.resolved_secret_key,
        channel_public_key,
        body,
        origin=request.headers.get("origin"),
        host=request.headers.get("host", ""),
    )


@router.post("/messages")
def send_message(
    body: SendIn, visitor: CurrentVisitor, request: Request, db: DbSession, runtime: RuntimeDep
) -> AckOut:
    """Send a message; repeating a ``client_message_id`` stores nothing and returns the same ack."""
    _limits(request)["messages"].check(visitor.visitor_id)
    return do_send_visitor_message(db, runtime.ingest, visitor, body.client_message_id, body.text)


@router.get("/{channel_public_key}/config")
def widget_config(
    channel_public_key: Annotated[str, Path(max_length=26)],
    db: DbSession,
    runtime: RuntimeDep,
    lang: Annotated[str | None, Query(max_length=16)] = None,
) -> WidgetConfig:
    """The widget's look and words from the channel's settings, and whether people are at work now."""
    channel = webchat_channel(db, channel_public_key)
    settings = channel.settings or {}
    open_now, next_open = opening(db, channel.workspace_id, utcnow())
    return WidgetConfig(
        channel_name=channel.name,
        language=widget_language(channel, lang),
        greeting=settings.get("greeting") or None,
        accent_color=settings.get("color") or None,
        logo_url=settings.get("logo_url") or None,
        open_now=open_now,
        next_open=next_open,
        email_capture=bool(settings.get("email_capture", True)),
        max_file_bytes=min(MAX_FILE_BYTES, runtime.settings.attachment_max_bytes),
        file_types=FILE_TYPES,
    )


@router.post("/handoff")
def request_human(
    body: HandoffIn,
    visitor: CurrentVisitor,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    lang: Annotated[str | None, Query(max_length=16)] = None,
) -> HandoffOut:
    """ "Talk to a person": escalates the visitor's case at once (its first message when there is none)."""
    _limits(request)["messages"].check(visitor.visitor_id)
    return do_request_human(db, runtime.ingest, visitor, body.client_message_id, lang)


@router.post("/attachments", status_code=201)
def send_file(
    visitor: CurrentVisitor,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    file: Annotated[UploadFile, File()],
    client_message_id: Annotated[str, Form(min_length=1, max_length=64)],
    caption: Annotated[str | None, Form(max_length=1000)] = None,
) -> AckOut:
    """A photo (JPG, PNG, GIF, WebP) or PDF up to 10 MB; the type is read from the file itself."""
    _limits(request)["messages"].check(visitor.visitor_id)
    data = file.file.read(MAX_FILE_BYTES + 1)
    return do_send_visitor_file(
        db, runtime.ingest, visitor, client_message_id, file.filename or "", data, caption
    )


@router.post("/contact", status_code=204)
def leave_contact(body: ContactIn, visitor: CurrentVisitor, request: Request, db: DbSession) -> Response:
    """The visitor's e-mail, so that the shop can also answer by e-mail later."""
    _limits(request)["messages"].check(visitor.visitor_id)
    do_capture_contact(db, visitor, body.email)
    return Response(status_code=204)


@router.get("/messages")
def list_messages(
    visitor: CurrentVisitor,
    db: DbSession,
    case_id: Annotated[str | None, Query(max_length=26)] = None,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HistoryOut:
    """The visitor's conversation after ``after_seq`` (a different current case starts from 0)."""
    return history(db, visitor, case_id, after_seq, limit)


@router.get("/files/{attachment_id}", response_class=FileResponse)
def download_file(
    attachment_id: Annotated[str, Path(min_length=1, max_length=26)],
    visitor: CurrentVisitor,
    db: DbSession,
    runtime: RuntimeDep,
):  # type: ignore[no-untyped-def]
    """A file of the visitor's own conversation (an agent's attachment or the visitor's upload).

    Read with the visitor token by the widget's script (which shows images from the bytes and saves
    other files); served as a download that a browser never runs or renders as a page.
    """
    channel = webchat_channel(db, visitor.public_key)
    attachment = visitor_attachment(db, channel, visitor.visitor_id, attachment_id)
    return FileResponse(
        runtime.ingest.store.path(attachment.storage_key),
        filename=attachment.filename,
        content_disposition_type="attachment",
        media_type=attachment.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )


def _in_transaction(runtime: Runtime, fn: Callable[..., T], *args: Any) -> T:
    with transaction(runtime.factory) as db:
        return fn(db, *args)


@router.websocket("/ws")
async def widget_socket(
    websocket: WebSocket,
    token: Annotated[str, Query(max_length=200)] = "",
    case_id: Annotated[str | None, Query(max_length=26)] = None,
    after_seq: Annotated[int, Query(ge=0)] = 0,
) -> None:
    """The widget's live connection.

    Out: a ``case`` frame when the conversation is in a case the client does not know (then that case
    from seq 0), the backlog (``message`` frames after ``after_seq``), ``ready``, then live ``message``,
    ``status`` and ``typing`` frames, ``ack``/``error`` for sends, ``ping`` when idle. In:
    ``{"type": "message", "client_message_id", "text"}``, ``{"type": "typing"}``, ``{"type": "ping"}``.
    Close codes: 4401 bad token (start a new session), 4404 chat switched off.
    """
    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    try:
        visitor = check_visitor_token(runtime.settings.resolved_secret_key, token)
        view = await run_in_threadpool(
            _in_transaction, runtime, open_visitor_view, visitor, case_id, after_seq
        )
    except AppError as exc:
        await websocket.send_json({"type": "error", "code": exc.code, "message": exc.message})
        await websocket.close(CLOSE_UNAUTHORIZED if exc.status == 401 else CLOSE_NOT_FOUND)
        return
    pump = SocketPump(websocket)
    limiter = _limits(websocket)["messages"]
    last_typing = [0.0]

    async def sync() -> None:
        for frame in await run_in_threadpool(_in_transaction, runtime, catch_up, view):
            await pump.send(frame)

    async def on_event(event: Event) -> None:
        if event.kind == RESYNC:
            await sync()
        elif not may_receive(view, event):
            return
        elif event.kind == "message.created":
            await sync()
        elif event.kind == "message.status":
            await pump.send(visitor_status_frame(event))
        else:
            await pump.send(visitor_typing_frame(event))

    async def on_frame(data: dict[str, Any]) -> None:
        try:
            frame = ClientFrame.validate_python(data)
        except ValidationError as exc:
            await pump.send(
                {
                    "type": "error",
                    "code": "invalid_frame",
                    "message": "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()),
                    "client_message_id": data.get("client_message_id"),
                }
            )
            return
        if isinstance(frame, PingFrame):
            await pump.send({"type": "pong"})
        elif isinstance(frame, MessageFrame):
            try:
                limiter.check(visitor.visitor_id)
                ack = await run_in_threadpool(
                    _in_transaction,
                    runtime,
                    do_send_visitor_message,
                    runtime.ingest,
                    visitor,
                    frame.client_message_id,
                    frame.text,
                )
            except AppError as exc:
                await pump.send(
                    {
                        "type": "error",
                        "code": exc.code,
                        "message": exc.message,
                        "client_message_id": frame.client_message_id,
                    }
                )
                if exc.status == 404:
                    raise CloseSocket(CLOSE_NOT_FOUND, "chat switched off") from exc
                return
            await pump.send({"type": "ack", **ack.model_dump(mode="json")})
        elif time.monotonic() - last_typing[0] >= TYPING_EVERY_SECONDS:
            last_typing[0] = time.monotonic()
            typing = visitor_typing(view)
            if typing is not None:
                await run_in_threadpool(runtime.bus.publish, typing)

    async def on_idle() -> None:
        await pump.send({"type": "ping"})

    # Subscribe before reading the backlog, so that nothing committed in between is missed; what
    # arrives twice is dropped by seq.
    with runtime.bus.subscribe() as sub:
        await sync()
        await pump.send({"type": "ready", "case_id": view.case_id, "last_seq": view.last_seq})
        await pump.run(sub, on_event=on_event, on_frame=on_frame, on_idle=on_idle, idle_seconds=IDLE_SECONDS)


# Static files of the widget and the demo storefront ----------------------------------------------


def _static(name: str, media_type: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> FileResponse:
    return _static("widget.js", "text/javascript; charset=utf-8")


@router.get("/widget.css", include_in_schema=False)
def widget_css() -> FileResponse:
    return _static("widget.css", "text/css; charset=utf-8")


@demo_router.get("/demo/sklep", response_class=HTMLResponse)
def demo_shop(
    request: Request, db: DbSession, channel: Annotated[str | None, Query(max_length=26)] = None
) -> HTMLResponse:
    """A demo storefront (a Polish shop) carrying the chat widget exactly as a shop would embed it:
    one script tag with the chat's public key. ``?channel=`` picks another chat."""
    found = demo_channel(db, channel)
    host = request.headers.get("host", "")
    response = shop_templates.TemplateResponse(
        request, "shop.html", {"channel_key": found.public_key if found else None}
    )
    # As strict as a careful shop's own policy: the widget needs no inline script or style.
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; connect-src 'self' ws://{host} wss://{host}; img-src 'self' data: blob:; "
        "style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return response


@demo_router.get("/demo/shop")
def demo_shop_old_address(request: Request) -> RedirectResponse:
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/demo/sklep{query}", status_code=307)


@demo_router.get("/demo/shop.css")
def demo_shop_css() -> FileResponse:
    return _static("shop.css", "text/css; charset=utf-8")
