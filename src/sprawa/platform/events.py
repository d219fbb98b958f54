"""Live events, published after commit to an event bus; WebSockets subscribe to what they may see.

One process uses the in-memory bus. Several processes use PostgreSQL LISTEN/NOTIFY behind the same
interface: every process publishes with NOTIFY and every server relays what it hears to its sockets.
"""

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

CHANNEL = "sprawa_events"
# NOTIFY payloads are limited to 8000 bytes; events carry ids and short previews, never whole e-mails.
MAX_PAYLOAD = 7500


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
        return json.dumps(asdict(self), default=str, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str) -> "Event":
        return cls(**json.loads(raw))


class EventBus(Protocol):
    def publish(self, event: Event) -> None:
        """Thread-safe; called after the transaction that produced the event has committed."""
        ...

    def subscribe(self) -> "Subscription": ...

    def start(self, loop: asyncio.AbstractEventLoop | None) -> None: ...

    def stop(self) -> None: ...


class Subscription:
    """One socket's view of the bus: an async iterator of events."""

    def __init__(self, hub: "LocalHub") -> None:
        self._hub = hub
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self.queue.get()

    def close(self) -> None:
        self._hub.subscribers.discard(self)


class LocalHub:
    """Fan-out to the subscriptions of this process, from any thread."""

    def __init__(self) -> None:
        self.subscribers: set[Subscription] = set()
        self.loop: asyncio.AbstractEventLoop | None = None

    def subscribe(self) -> Subscription:
        sub = Subscription(self)
        self.subscribers.add(sub)
        return sub

    def deliver(self, event: Event) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        for sub in list(self.subscribers):
            loop.call_soon_threadsafe(_offer, sub, event)


def _offer(sub: Subscription, event: Event) -> None:
    try:
        sub.queue.put_nowait(event)
    except asyncio.QueueFull:
        # A stalled socket must not grow memory without bound; it resumes from seq on reconnect.
        log.warning("dropping live event for a slow subscriber")


class InMemoryBus:
    """The bus of a single process."""

    def __init__(self) -> None:
        self.hub = LocalHub()

    def start(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.hub.loop = loop

    def stop(self) -> None:
        self.hub.loop = None

    def publish(self, event: Event) -> None:
        self.hub.deliver(event)

    def subscribe(self) -> Subscription:
        return self.hub.subscribe()


class PostgresBus:
    """LISTEN/NOTIFY fan-out between processes sharing one PostgreSQL database."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn.replace("postgresql+psycopg://", "postgresql://")
        self.hub = LocalHub()
        self._lock = threading.Lock()
        self._conn: Any = None
        self._listener: threading.Thread | None = None
        self._stopping = threading.Event()

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True)

    def start(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.hub.loop = loop
        if loop is not None and self._listener is None:
            ready = threading.Event()
            self._listener = threading.Thread(
                target=self._listen, args=(ready,), daemon=True, name="pg-listen"
            )
            self._listener.start()
            ready.wait(timeout=10)

    def _listen(self, ready: threading.Event) -> None:
        while not self._stopping.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    ready.set()
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self.hub.deliver(Event.decode(note.payload))
            except Exception:
                ready.set()
                if not self._stopping.is_set():
                    log.exception("event listener lost its connection; reconnecting")
                    self._stopping.wait(1.0)

    def stop(self) -> None:
        self._stopping.set()
        self.hub.loop = None
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
                self._conn = None

    def publish(self, event: Event) -> None:
        payload = event.encode()
        if len(payload) > MAX_PAYLOAD:
            raise ValueError(f"event {event.kind} is too large for NOTIFY ({len(payload)} bytes)")
        with self._lock:
            for attempt in range(2):
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = self._connect()
                    self._conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                    return
                except Exception:
                    self._conn = None
                    if attempt:
                        log.exception("could not publish a live event")

    def subscribe(self) -> Subscription:
        return self.hub.subscribe()


def make_bus(kind: str, database_url: str) -> EventBus:
    return PostgresBus(database_url) if kind == "postgres" else InMemoryBus()


def emit(session: Any, event: Event) -> None:
    """Publish ``event`` once the session's transaction commits (the bus is wired into the session)."""
    from sprawa.db import on_commit

    bus: EventBus | None = session.info.get("bus")
    if bus is not None:
        on_commit(session, lambda: bus.publish(event))
