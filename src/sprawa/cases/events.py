"""Routing of live events to sockets: what an agent or a widget visitor may receive; the agents' socket.

:func:`may_receive` is the one place that decides who sees a live event. Agents see the events of
their own workspace that are addressed to agents. A visitor (the customer's chat widget) sees only
messages meant for the customer on its own chat conversation, the delivery status of messages it was
shown, and the agents' typing indicator — never notes, case changes or anything internal.
"""

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, WebSocket
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from sprawa.auth.queries import session_principal, token_principal
from sprawa.auth.schemas import Principal
from sprawa.cases.queries import access_case
from sprawa.db import transaction
from sprawa.platform.errors import NotFound
from sprawa.platform.events import RESYNC, CloseSocket, Event, EventBus, SocketPump

# Event kinds a visitor may ever get; everything else (notes, case.*, AI decisions...) is agents-only.
VISITOR_KINDS = frozenset({"message.created", "message.status", "typing"})
TYPING = "typing"
# Close codes (4000-4999 are for applications): the client should log in again / stop retrying.
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
TYPING_EVERY_SECONDS = 1.5
IDLE_SECONDS = 25.0


@dataclass
class VisitorView:
    """What one widget socket currently shows: its chat thread, that thread's case, the last seq sent."""

    workspace_id: str
    channel_id: str
    visitor_id: str
    customer_id: str | None = None
    thread_id: str | None = None
    case_id: str | None = None
    last_seq: int = 0
    # Messages this socket has shown, so that only their delivery status is passed on.
    shown_message_ids: set[str] = field(default_factory=set)


def may_receive(viewer: Principal | VisitorView, event: Event) -> bool:
    """Whether ``viewer`` may be told about ``event``; the only filter between the bus and a socket.

    For a visitor, a ``message.created`` that passes is a signal to re-read its conversation from the
    database (scoped by its thread), so the frames a visitor gets never come from the event itself.
    """
    if event.kind == RESYNC or not event.workspace_id or event.workspace_id != viewer.workspace_id:
        return False
    if isinstance(viewer, Principal):
        if not event.to_agents:
            return False
        # An agent's own typing indicator is not echoed back to them.
        return not (event.kind == TYPING and viewer.user_id and event.data.get("user_id") == viewer.user_id)
    return _visitor_may_receive(viewer, event)


def _visitor_may_receive(view: VisitorView, event: Event) -> bool:
    if event.kind not in VISITOR_KINDS:
        return False
    if event.kind == "message.status":
        return event.case_id == view.case_id and event.data.get("id") in view.shown_message_ids
    if not event.to_customer:
        return False
    if event.kind == TYPING:
        return (
            event.case_id is not None and event.case_id == view.case_id and event.data.get("who") == "agent"
        )
    message = event.data.get("message") or {}
    case = event.data.get("case") or {}
    thread_id = message.get("thread_id")
    if view.thread_id is not None and thread_id is not None:
        # The same thread may have moved to a new case: the visitor follows its conversation.
        return bool(thread_id == view.thread_id)
    if view.thread_id is None:
        # The visitor has not written yet, so its thread does not exist: its first message creates it.
        return (
            view.customer_id is not None
            and case.get("customer_id") == view.customer_id
            and message.get("channel_id") in (None, view.channel_id)
        )
    # A slimmed event (too large for NOTIFY) only carries ids.
    return event.case_id is not None and event.case_id == view.case_id


def agent_frame(event: Event) -> dict[str, Any]:
    """The frame an agent's socket gets for an event it may receive."""
    return {"type": event.kind, "case_id": event.case_id, "data": event.data}


def visitor_status_frame(event: Event) -> dict[str, Any]:
    """A delivery status for the widget: the provider's error text stays with the agents."""
    return {"type": "status", "message_id": event.data.get("id"), "status": event.data.get("status")}


def visitor_typing_frame(event: Event) -> dict[str, Any]:
    """The agents' typing indicator for the widget: who is typing stays internal."""
    return {"type": "typing", "who": "agent"}


def typing_event(workspace_id: str, case_id: str, *, who: str, user_id: str | None = None) -> Event:
    """An ephemeral typing indicator (not stored): agents always, the customer when an agent types."""
    return Event(
        TYPING,
        workspace_id,
        {"who": who, "user_id": user_id},
        case_id=case_id,
        to_agents=True,
        to_customer=who == "agent",
    )


# The agents' socket ------------------------------------------------------------------------------

router = APIRouter(tags=["live"])


def socket_principal(
    factory: sessionmaker[Session], cookie: str | None, token: str | None
) -> Principal | None:
    """The principal behind a socket's API token (``?token=``) or login cookie, or None."""
    with transaction(factory) as db:
        if token:
            return token_principal(db, token)
        if cookie:
            found = session_principal(db, cookie)
            return found[0] if found else None
    return None


def _may_see_case(factory: sessionmaker[Session], principal: Principal, case_id: str) -> bool:
    with transaction(factory) as db:
        try:
            access_case(db, principal, case_id)
        except NotFound:
            return False
    return True


def _same_origin(websocket: WebSocket, public_url: str) -> bool:
    """Browsers send cookies with cross-site WebSocket handshakes: a cookie login needs our own Origin."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser: it holds the cookie itself
    netloc = urlsplit(origin).netloc.lower()
    allowed = {websocket.headers.get("host", "").lower()}
    if public_url:
        allowed.add(urlsplit(public_url).netloc.lower())
    return netloc in allowed


@router.websocket("/api/v1/ws")
async def agent_socket(websocket: WebSocket, token: str | None = Query(None, max_length=200)) -> None:
    """Live events of the agent's workspace. Login cookie or ``?token=`` API token.

    Frames out: ``ready``, then ``{"type": <event kind>, "case_id", "data"}`` for ``case.created``,
    ``case.updated``, ``message.created``, ``message.status``, notes and ``typing``; ``resync`` when
    events may have been missed (re-read the inbox); ``ping`` when idle. Frames in: ``ping``,
    ``{"type": "typing", "case_id"}``.
    """
    from sprawa.deps import SESSION_COOKIE

    runtime = websocket.app.state.runtime
    cookie = websocket.cookies.get(SESSION_COOKIE)
    principal = await run_in_threadpool(socket_principal, runtime.factory, cookie, token)
    await websocket.accept()
    if principal is None:
        await websocket.send_json({"type": "error", "code": "not_authenticated", "message": "log in first"})
        await websocket.close(CLOSE_UNAUTHORIZED)
        return
    if not token and not _same_origin(websocket, runtime.settings.public_url):
        await websocket.send_json({"type": "error", "code": "bad_origin", "message": "cross-site socket"})
        await websocket.close(CLOSE_FORBIDDEN)
        return
    bus: EventBus = runtime.bus
    pump = SocketPump(websocket)
    last_typing: dict[str, float] = {}

    async def on_event(event: Event) -> None:
        if event.kind == RESYNC:
            await pump.send({"type": "resync"})
        elif may_receive(principal, event):
            await pump.send(agent_frame(event))

    async def on_frame(frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "ping":
            await pump.send({"type": "pong"})
        elif kind == "typing" and isinstance(frame.get("case_id"), str) and len(frame["case_id"]) <= 26:
            case_id = frame["case_id"]
            now = time.monotonic()
            if now - last_typing.get(case_id, 0.0) < TYPING_EVERY_SECONDS:
                return
            if len(last_typing) > 1000:  # bounded: one socket, however long it lives
                last_typing.clear()
            last_typing[case_id] = now
            if await run_in_threadpool(_may_see_case, runtime.factory, principal, case_id):
                event = typing_event(principal.workspace_id, case_id, who="agent", user_id=principal.user_id)
                await run_in_threadpool(bus.publish, event)
        else:
            await pump.send({"type": "error", "code": "unknown_frame", "message": "unknown frame type"})

    async def on_idle() -> None:
        # A socket outlives its login otherwise: logging out or revoking a token ends it here.
        if await run_in_threadpool(socket_principal, runtime.factory, cookie, token) is None:
            raise CloseSocket(CLOSE_UNAUTHORIZED, "session ended")
        await pump.send({"type": "ping"})

    with bus.subscribe() as sub:
        await pump.send({"type": "ready", "workspace_id": principal.workspace_id})
        await pump.run(sub, on_event=on_event, on_frame=on_frame, on_idle=on_idle, idle_seconds=IDLE_SECONDS)
