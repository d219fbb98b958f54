"""The event bus: in-memory fan-out across loops and threads, PostgreSQL LISTEN/NOTIFY between processes."""

import asyncio
import threading

import pytest
from sqlalchemy import text

from sprawa.platform import events
from sprawa.platform.events import RESYNC, Event, InMemoryBus, PostgresBus


def _event(n: int = 1, **kwargs: object) -> Event:
    return Event("message.created", "ws", {"n": n}, case_id="c1", **kwargs)  # type: ignore[arg-type]


def test_in_memory_bus_reaches_subscribers_on_their_own_loops_from_any_thread() -> None:
    bus = InMemoryBus()
    got: dict[str, list[int]] = {}
    ready = threading.Barrier(3)

    def consumer(name: str) -> None:
        async def run() -> None:
            with bus.subscribe() as sub:
                ready.wait()
                got[name] = [(await sub.get(timeout=5)).data["n"] for _ in range(3)]  # type: ignore[union-attr]

        asyncio.run(run())

    threads = [threading.Thread(target=consumer, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    ready.wait()
    for n in (1, 2, 3):
        bus.publish(_event(n))
    for t in threads:
        t.join(timeout=10)
    assert got == {"a": [1, 2, 3], "b": [1, 2, 3]}
    assert bus.hub.subscribers == set()


def test_a_slow_subscriber_drops_events_then_is_told_to_resync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "QUEUE_SIZE", 2)
    bus = InMemoryBus()

    async def run() -> list[str]:
        with bus.subscribe() as sub:
            for n in range(5):
                bus.publish(_event(n))
            await asyncio.sleep(0.05)
            out = []
            for _ in range(3):
                event = await sub.get(timeout=1)
                assert event is not None
                out.append(f"{event.kind}:{event.data.get('n')}")
            assert await sub.get(timeout=0.05) is None
            return out

    assert asyncio.run(run()) == ["message.created:0", "message.created:1", f"{RESYNC}:None"]


def test_publishing_never_raises_into_the_commit() -> None:
    bus = PostgresBus("postgresql://nobody@127.0.0.1:1/nothing")
    bus.publish(_event())  # unreachable database: logged, not raised
    bus.stop()


def test_oversized_events_travel_slim() -> None:
    event = Event(
        "message.created", "ws", {"message": {"id": "m1", "body_text": "x" * 9000}, "case_id": "c1"}
    )
    assert len(event.encode()) > events.MAX_PAYLOAD
    assert event.slim().data == {"slim": True, "message": {"id": "m1"}, "case_id": "c1"}
    assert Event.decode(event.slim().encode()) == event.slim()
    assert Event.decode('{"kind":"x","workspace_id":"w","data":{},"future_field":1}').kind == "x"


# PostgreSQL: two bus instances stand for two processes sharing the database.


@pytest.fixture
def pg_url(settings):  # type: ignore[no-untyped-def]
    if not settings.is_postgres:
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")
    return settings.resolved_database_url


async def _next(sub: events.Subscription, kind: str = "message.created", timeout: float = 5.0) -> Event:
    while True:
        event = await sub.get(timeout=timeout)
        assert event is not None, f"no {kind} event within {timeout} s"
        if event.kind == kind:
            return event


def test_postgres_bus_carries_events_between_processes(pg_url: str) -> None:
    a, b = PostgresBus(pg_url), PostgresBus(pg_url)

    async def run() -> tuple[Event, Event, Event]:
        with b.subscribe() as sub:
            a.publish(_event(1))
            first = await _next(sub)
            big = Event("message.created", "ws", {"message": {"id": "m2", "body_text": "ż" * 5000}})
            a.publish(big)
            slim = await _next(sub)
        b.stop()  # stop and start again (each test app's lifespan does this)
        with b.subscribe() as sub:
            a.publish(_event(3))
            again = await _next(sub)
            assert await sub.get(timeout=0.3) is None  # exactly once, no stale listener relaying
        return first, slim, again

    try:
        first, slim, again = asyncio.run(run())
    finally:
        a.stop()
        b.stop()
    assert first == _event(1)
    assert slim.data == {"slim": True, "message": {"id": "m2"}}
    assert again.data == {"n": 3}


def test_postgres_listener_reconnects_and_asks_sockets_to_resync(pg_url: str, runtime) -> None:  # type: ignore[no-untyped-def]
    bus = PostgresBus(pg_url)
    bus.RECONNECT_SECONDS = 0.1

    async def run() -> tuple[Event, Event]:
        with bus.subscribe() as sub:
            with runtime.engine.begin() as conn:  # the database drops the listener's connection
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE query LIKE 'LISTEN sprawa_events%' AND pid <> pg_backend_pid()"
                        " AND datname = current_database()"
                    )
                )
            resync = await _next(sub, RESYNC)
            bus.publish(_event(7))
            after = await _next(sub)
        return resync, after

    try:
        resync, after = asyncio.run(run())
    finally:
        bus.stop()
    assert resync.kind == RESYNC
    assert after.data == {"n": 7}
