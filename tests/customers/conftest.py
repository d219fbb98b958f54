"""Fixtures of the customers tests: a channel, a viewer, and the live events published after commit."""

import pytest

from sprawa.channels.models import ChannelKind
from sprawa.platform.events import Event
from tests.factories import Actor, make_actor, make_channel


@pytest.fixture
def channel(db, workspace):  # type: ignore[no-untyped-def]
    ch = make_channel(db, workspace, ChannelKind.WEBCHAT)
    db.commit()
    return ch


@pytest.fixture
def viewer(db, workspace, app) -> Actor:  # type: ignore[no-untyped-def]
    return make_actor(db, app, workspace, "viewer")


@pytest.fixture
def events(runtime, monkeypatch) -> list[Event]:  # type: ignore[no-untyped-def]
    """Every event published (after commit) while the test runs."""
    seen: list[Event] = []
    monkeypatch.setattr(runtime.bus, "publish", seen.append)
    return seen
