"""Helpers for WebSocket tests: receive a frame with a timeout (TestClient's own receive waits forever)."""

import json
from collections.abc import Callable
from typing import Any

import anyio
from starlette.testclient import WebSocketTestSession


def receive(ws: WebSocketTestSession, timeout: float = 5.0) -> dict[str, Any]:
    """The next frame; raises WebSocketDisconnect when the server closed, TimeoutError when silent."""

    async def _next() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(_next)
    ws._raise_on_close(message)
    return json.loads(message["text"])


def receive_until(
    ws: WebSocketTestSession, match: Callable[[dict[str, Any]], bool], timeout: float = 5.0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first frame that matches, and the frames that came before it."""
    skipped = []
    while True:
        frame = receive(ws, timeout)
        if match(frame):
            return frame, skipped
        skipped.append(frame)


def receive_backlog(ws: WebSocketTestSession) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Everything the widget socket sends before ``ready``, and the ``ready`` frame."""
    ready, frames = receive_until(ws, lambda f: f["type"] == "ready")
    return frames, ready
