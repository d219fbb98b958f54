"""Live events, published after commit to an event bus; WebSockets subscribe to what they may see.

One process uses the in-memory bus. Several processes use PostgreSQL LISTEN/NOTIFY behind the same
interface: every process publishes with NOTIFY and every server relays what it hears to its sockets.

Live events are a hint, never the record: a socket that may have missed something (a slow consumer, a
listener that lost its connection) receives a ``bus.resync`` event and re-reads the database, and
clients resume by per-case sequence numbers. So the bus may drop; it must never block or fail a commit.
"""

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

CHANNEL = "sprawa_events"
# NOTIFY payloads are limited to 8000 bytes; events carry ids and short previews, never whole e-mails.
MAX_PAYLOAD = 7500
# A subscriber that falls this far behind loses live events and is told to re-read (``RESYNC``).
QUEUE_SIZE = 1000
# Not a domain event: "you may have missed events, re-read the database". Never sent to a client as is.
RESYNC = "bus.resync"
_FIELDS = frozenset({"kind", "workspace_id", "data", "case_id", "to_agents", "to_customer", "origin"})


@dataclass(frozen=True)
class Event:
    """A typed event with explicit recipients: agents of the workspace and/or the case's customer."""

    kind: str
    workspace_id: str
    data: dict[str, Any]
    case_id: str | None = None
    to_agents: bool = True
    to_customer: bool = False
    origin: str = field(default="")

    def encode(self) -> str:
        return json.dumps(asdict(self), default=str, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def decode(cls, raw: str) -> "Event":
        data = json.loads(raw)
        return cls(**{k: v for k, v in data.items() if k in _FIELDS})

    def slim(self) -> "Event":
        """The event without its data (ids kept) for when it is too large to travel whole.

        Receivers see ``data["slim"]`` and re-read what they need from the database.
        """
        kept: dict[str, Any] = {"slim": True}
        for key, value in self.data.items():
            if key == "id" or key.endswith("_id"):
                kept[key] = value
            elif isinstance(value, dict) and "id" in value:
                kept[key] = {"id": value["id"]}
        return Event(
            self.kind, self.workspace_id, kept, self.case_id, self.to_agents, self.to_customer, self.origin
        )


def resync_event() -> Event:
    return Event(RESYNC, "", {}, to_agents=False)


class EventBus(Protocol):
    def publish(self, event: Event) -> None:
        """Thread-safe and never raises; called after the transaction that produced the event committed."""
        ...

    def subscribe(self) -> "Subscription":
        """A subscription bound to the running event loop (call it from async code)."""
        ...

    def start(self, loop: asyncio.AbstractEventLoop | None) -> None: ...

    def stop(self) -> None: ...


class Subscription:
    """One socket's view of the bus: the events of this process, in publication order, on its own loop."""

    def __init__(self, hub: "LocalHub", loop: asyncio.AbstractEventLoop) -> None:
        self._hub = hub
        self.loop = loop
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._overflowed = False

    def _offer(self, event: Event) -> None:
        """Runs on the subscription's loop."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # A stalled socket must not grow memory without bound; it re-reads once it catches up.
            if not self._overflowed:
                log.warning("dropping live events for a slow subscriber")
            self._overflowed = True

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or None when ``timeout`` seconds pass without one."""
        if self._overflowed and self.queue.empty():
            self._overflowed = False
            return resync_event()
        try:
            if timeout is None:
                return await self.queue.get()
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            event = await self.get()
            if event is not None:
                yield event

    def close(self) -> None:
        self._hub.discard(self)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalHub:
    """Fan-out to the subscriptions of this process, from any thread, each on its own event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[Subscription] = set()

    @property
    def subscribers(self) -> set[Subscription]:
        with self._lock:
            return set(self._subscribers)

    def subscribe(self) -> Subscription:
        sub = Subscription(self, asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(sub)
        return sub

    def discard(self, sub: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def deliver(self, event: Event) -> None:
        for sub in self.subscribers:
            try:
                sub.loop.call_soon_threadsafe(sub._offer, event)
            except RuntimeError:  # its loop has closed: the socket is gone
                self.discard(sub)


class InMemoryBus:
    """The bus of a single process."""

    def __init__(self) -> None:
        self.hub = LocalHub()

    def start(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Nothing to start: subscriptions carry their own loops."""

    def stop(self) -> None:
        """Nothing to stop."""

    def publish(self, event: Event) -> None:
        try:
            self.hub.deliver(event)
        except Exception:
            log.exception("could not publish a live event")

    def subscribe(self) -> Subscription:
        return self.hub.subscribe()


class PostgresBus:
    """LISTEN/NOTIFY fan-out between processes sharing one PostgreSQL database.

    A listener thread holds one connection with ``LISTEN``; publishing uses a second, autocommit
    connection. After the listener reconnects, local subscribers get ``bus.resync`` because the events
    sent while it was away are lost (NOTIFY is not queued for absent listeners).
    """

    LISTEN_POLL_SECONDS = 0.5
    # How often the idle listener proves its connection is alive (a silently dead TCP peer).
    LISTEN_CHECK_SECONDS = 30.0
    RECONNECT_SECONDS = 1.0

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn.replace("postgresql+psycopg://", "postgresql://")
        self.hub = LocalHub()
        self._publish_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._conn: Any = None
        self._listener: threading.Thread | None = None
        self._stopping = threading.Event()
        self._ready = threading.Event()

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)

    @property
    def listening(self) -> bool:
        return self._listener is not None and self._ready.is_set()

    def start(self, loop: asyncio.AbstractEventLoop | None = None, *, wait: float = 10.0) -> None:
        """Start the listener thread (idempotent) and wait until it listens."""
        with self._state_lock:
            if self._listener is None or not self._listener.is_alive():
                self._stopping = threading.Event()
                self._ready = threading.Event()
                self._listener = threading.Thread(
                    target=self._listen, args=(self._stopping, self._ready), daemon=True, name="pg-listen"
                )
                self._listener.start()
            ready = self._ready
        if not ready.wait(timeout=wait):
            log.warning("event listener is not listening yet; live events may be late")

    def _listen(self, stopping: threading.Event, ready: threading.Event) -> None:
        connected_before = False
        while not stopping.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    ready.set()
                    if connected_before:
                        # Events NOTIFYed while we were away are gone: every socket re-reads.
                        self.hub.deliver(resync_event())
                    connected_before = True
                    last_check = time.monotonic()
                    while not stopping.is_set():
                        for note in conn.notifies(timeout=self.LISTEN_POLL_SECONDS):
                            if stopping.is_set():
                                break  # a listener started after this one relays from now on
                            self._relay(note.payload)
                        if time.monotonic() - last_check > self.LISTEN_CHECK_SECONDS:
                            conn.execute("SELECT 1")
                            last_check = time.monotonic()
            except Exception:
                ready.clear()
                if not stopping.is_set():
                    log.exception("event listener lost its connection; reconnecting")
                    stopping.wait(self.RECONNECT_SECONDS)

    def _relay(self, payload: str) -> None:
        try:
            event = Event.decode(payload)
        except (ValueError, TypeError):
            log.warning("ignoring a malformed live event")
            return
        self.hub.deliver(event)

    def stop(self) -> None:
        """Stop listening (the thread ends within a poll interval and relays nothing more)."""
        with self._state_lock:
            self._stopping.set()
            self._listener = None
        with self._publish_lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None

    def publish(self, event: Event) -> None:
        payload = event.encode()
        if len(payload.encode()) > MAX_PAYLOAD:
            payload = event.slim().encode()
        with self._publish_lock:
            for attempt in range(2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = self._connect()
                    self._conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                    return
                except Exception:
                    with contextlib.suppress(Exception):
                        if self._conn is not None:
                            self._conn.close()
                    self._conn = None
                    if attempt:
                        # Never raise into the commit hook: sockets catch up on reconnect by seq.
                        log.exception("could not publish a live event", extra={"kind": event.kind})

    def subscribe(self) -> Subscription:
        sub = self.hub.subscribe()
        if not self.listening:
            self.start(wait=2.0)
        return sub


def make_bus(kind: str, database_url: str) -> EventBus:
    return PostgresBus(database_url) if kind == "postgres" else InMemoryBus()


def emit(session: Any, event: Event) -> None:
    """Publish ``event`` once the session's transaction commits (the bus is wired into the session)."""
    from sprawa.db import on_commit

    bus: EventBus | None = session.info.get("bus")
    if bus is not None:
        on_commit(session, lambda: bus.publish(event))


class CloseSocket(Exception):
    """Raised by a socket handler to end the connection with ``code`` (e.g. 4401 when auth lapsed)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class SocketPump:
    """Runs one WebSocket: bus events and client frames concurrently, one send at a time.

    ``on_event`` sees every bus event of this process (it filters), ``on_frame`` every JSON object
    the client sends (invalid JSON is answered with an error frame), ``on_idle`` runs when nothing
    happened for ``idle_seconds`` (keep-alive, re-checking the login). Returns when the client leaves
    or a handler raises :class:`CloseSocket`.
    """

    def __init__(self, websocket: Any) -> None:
        self.websocket = websocket
        self._send_lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_json(frame)

    async def run(
        self,
        sub: Subscription,
        *,
        on_event: Any,
        on_frame: Any,
        on_idle: Any = None,
        idle_seconds: float = 25.0,
    ) -> None:
        from starlette.websockets import WebSocketDisconnect

        close: list[CloseSocket] = []

        async def events() -> None:
            while True:
                event = await sub.get(timeout=idle_seconds)
                if event is None:
                    if on_idle is not None:
                        await on_idle()
                else:
                    await on_event(event)

        async def frames() -> None:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                try:
                    data = json.loads(message.get("text") or message.get("bytes") or b"")
                except ValueError:
                    data = None
                if not isinstance(data, dict):
                    await self.send({"type": "error", "code": "bad_frame", "message": "send JSON objects"})
                    continue
                await on_frame(data)

        async def guarded(fn: Any, done: asyncio.Event) -> None:
            try:
                await fn()
            except CloseSocket as exc:
                close.append(exc)
            except (WebSocketDisconnect, OSError):
                pass  # the client went away mid-send
            except RuntimeError as exc:  # a send after the socket closed
                if "close" not in str(exc) and "disconnect" not in str(exc).lower():
                    raise
            finally:
                done.set()

        done = asyncio.Event()
        tasks = [asyncio.ensure_future(guarded(events, done)), asyncio.ensure_future(guarded(frames, done))]
        try:
            await done.wait()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if close:
            with contextlib.suppress(Exception):
                await self.websocket.close(close[0].code, close[0].reason)
