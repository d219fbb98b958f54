"""The one routing rule between the event bus and the sockets (``cases.events.may_receive``)."""

import pytest

from sprawa.auth.models import Role
from sprawa.auth.schemas import Principal
from sprawa.cases.events import VisitorView, may_receive, typing_event
from sprawa.platform.events import Event, resync_event

WS, OTHER_WS = "ws-a", "ws-b"
AGENT = Principal(workspace_id=WS, role=Role.AGENT, user_id="u1")
VIEWER = Principal(workspace_id=WS, role=Role.VIEWER, user_id="u2")
OUTSIDER = Principal(workspace_id=OTHER_WS, role=Role.OWNER, user_id="u3")


def _view(**kwargs: object) -> VisitorView:
    base: dict[str, object] = {
        "workspace_id": WS,
        "channel_id": "chat",
        "visitor_id": "v1",
        "customer_id": "cust",
        "thread_id": "t1",
        "case_id": "c1",
    }
    return VisitorView(**{**base, **kwargs})  # type: ignore[arg-type]


def _message(thread_id: str = "t1", case_id: str = "c1", ws: str = WS, **kwargs: object) -> Event:
    data = {
        "message": {"id": "m1", "thread_id": thread_id, "channel_id": "chat"},
        "case": {"id": case_id, "customer_id": "cust"},
    }
    return Event("message.created", ws, data, case_id=case_id, **{"to_customer": True, **kwargs})  # type: ignore[arg-type]


AGENT_EVENTS = [
    Event("case.created", WS, {"id": "c1"}, case_id="c1"),
    Event("case.updated", WS, {"id": "c1"}, case_id="c1"),
    _message(),
    Event("message.status", WS, {"id": "m1", "status": "sent", "error": None}, case_id="c1"),
    Event("note.created", WS, {"id": "n1", "body_text": "wewnętrzna"}, case_id="c1"),
    typing_event(WS, "c1", who="customer"),
]


@pytest.mark.parametrize("event", AGENT_EVENTS, ids=lambda e: e.kind)
def test_agents_get_their_workspace_events_and_nothing_of_another(event: Event) -> None:
    assert may_receive(AGENT, event) is True
    assert may_receive(VIEWER, event) is True
    assert may_receive(OUTSIDER, event) is False


def test_agents_do_not_get_customer_only_events_or_their_own_typing() -> None:
    customer_only = Event("message.created", WS, {}, case_id="c1", to_agents=False, to_customer=True)
    assert may_receive(AGENT, customer_only) is False
    assert may_receive(AGENT, typing_event(WS, "c1", who="agent", user_id="u1")) is False
    assert may_receive(VIEWER, typing_event(WS, "c1", who="agent", user_id="u1")) is True
    assert may_receive(AGENT, resync_event()) is False
    assert may_receive(AGENT, Event("case.updated", "", {})) is False


def test_a_visitor_gets_customer_messages_of_its_own_thread() -> None:
    view = _view()
    assert may_receive(view, _message()) is True
    # Its thread moved on to a new case: the visitor follows (the socket re-reads and says so).
    assert may_receive(view, _message(case_id="c2")) is True
    assert may_receive(view, _message(thread_id="t-email")) is False  # same case, another channel
    assert may_receive(view, _message(thread_id="t2", case_id="c9")) is False  # another customer
    assert may_receive(view, _message(ws=OTHER_WS)) is False
    assert may_receive(view, _message(to_customer=False)) is False


def test_a_visitor_before_its_first_message_matches_by_customer_and_channel() -> None:
    view = _view(thread_id=None, case_id=None)
    assert may_receive(view, _message(thread_id="t-new", case_id="c-new")) is True
    stranger = _message(thread_id="t-x", case_id="c-x")
    stranger.data["case"]["customer_id"] = "someone-else"
    assert may_receive(view, stranger) is False
    assert may_receive(_view(thread_id=None, case_id=None, customer_id=None), _message()) is False


@pytest.mark.parametrize(
    "event",
    [
        Event("note.created", WS, {"id": "n1"}, case_id="c1"),
        Event("note.created", WS, {"id": "n1"}, case_id="c1", to_customer=True),  # wrongly addressed
        Event("case.created", WS, {"id": "c1"}, case_id="c1", to_customer=True),
        Event("case.updated", WS, {"id": "c1"}, case_id="c1", to_customer=True),
        Event("ai.decision", WS, {"id": "d1"}, case_id="c1", to_customer=True),
        typing_event(WS, "c1", who="customer"),  # its own typing, meant for agents
        Event("typing", WS, {"who": "agent"}, case_id="c1"),  # not addressed to the customer
        resync_event(),
    ],
    ids=lambda e: f"{e.kind}:{e.to_customer}",
)
def test_a_visitor_never_gets_notes_or_agent_only_events(event: Event) -> None:
    assert may_receive(_view(), event) is False


def test_a_visitor_gets_status_of_shown_messages_and_agent_typing_of_its_case() -> None:
    view = _view()
    status = Event("message.status", WS, {"id": "m1", "status": "sent", "error": "x"}, case_id="c1")
    assert may_receive(view, status) is False  # not shown to this socket
    view.shown_message_ids.add("m1")
    assert may_receive(view, status) is True
    assert may_receive(view, Event("message.status", WS, {"id": "m1"}, case_id="c9")) is False
    assert may_receive(view, typing_event(WS, "c1", who="agent", user_id="u1")) is True
    assert may_receive(view, typing_event(WS, "c2", who="agent", user_id="u1")) is False
    assert may_receive(_view(case_id=None), typing_event(WS, "c1", who="agent")) is False


def test_a_slimmed_event_matches_a_visitor_by_case_only() -> None:
    slim = _message().slim()
    assert slim.data == {"slim": True, "message": {"id": "m1"}, "case": {"id": "c1"}}
    assert may_receive(_view(), slim) is True
    assert may_receive(_view(case_id="c2"), slim) is False
