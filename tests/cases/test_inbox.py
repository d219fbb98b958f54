"""The inbox list: rows, filters, sorts and cursor pagination."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from sprawa.cases.models import Case
from sprawa.channels.models import ChannelKind
from sprawa.platform.pagination import encode_cursor
from sprawa.workspaces.models import Team
from tests.cases.factories import case_of, inbound
from tests.factories import make_channel, make_user

T0 = datetime(2025, 5, 5, 9, 0, tzinfo=UTC)


def set_case(db, case_id: str, **values) -> None:  # type: ignore[no-untyped-def]
    db.execute(update(Case).where(Case.id == case_id).values(**values))
    db.commit()


def ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_rows_carry_customer_preview_and_waiting(db, runtime, channel, agent):
    first = inbound(db, runtime, channel, "Gdzie jest moja paczka?", thread="a")
    second = inbound(
        db,
        runtime,
        channel,
        "Chcę zwrócić buty. " * 20,
        email="jan@example.pl",
        name="Jan Kowalski",
        thread="b",
    )
    again = inbound(db, runtime, channel, "Halo?", email="jan@example.pl", thread="b")
    db.commit()
    reply = agent.client.post(
        f"/api/v1/cases/{first.case_id}/replies", json={"text": "Paczka jest w drodze."}
    )
    assert reply.status_code == 201

    response = agent.client.get("/api/v1/cases")

    body = response.json()
    assert ids(response) == [first.case_id, second.case_id]
    assert body["next_cursor"] is None
    answered, waiting = body["items"]
    assert answered["customer_name"] == "Anna Nowak"
    assert answered["customer_email"] == "anna@example.pl"
    assert answered["status"] == "open"
    assert answered["unanswered_count"] == 0
    assert answered["waiting_since"] is None
    assert answered["last_message"] == {
        "id": reply.json()["id"],
        "seq": 2,
        "direction": "out",
        "author_kind": "agent",
        "preview": "Paczka jest w drodze.",
        "created_at": reply.json()["created_at"],
    }
    assert waiting["customer_name"] == "Jan Kowalski"
    assert waiting["unanswered_count"] == 2
    assert waiting["waiting_since"] == _iso(second.created_at)
    assert waiting["last_message"]["id"] == again.id
    assert waiting["last_message"]["preview"] == "Halo?"
    assert waiting["last_seq"] == 2


def test_preview_is_cut_to_200_characters(db, runtime, channel, agent):
    text = "Dzień dobry, " + "bardzo długa wiadomość " * 30
    message = inbound(db, runtime, channel, text)
    db.commit()
    (row,) = agent.client.get("/api/v1/cases").json()["items"]
    assert row["id"] == message.case_id
    assert row["last_message"]["preview"] == text[:200]


@pytest.fixture
def world(db, runtime, workspace, channel, agent):  # type: ignore[no-untyped-def]
    """Three cases that differ in every filtered field."""
    email_channel = make_channel(db, workspace, ChannelKind.EMAIL)
    other_agent = make_user(db, workspace, "agent")
    team = Team(workspace_id=workspace.id, name="Zwroty")
    db.add(team)
    db.flush()
    a = case_of(
        db, inbound(db, runtime, channel, "Paczka nie dotarła", subject="Paczka nie dotarła", thread="a")
    )
    b = case_of(
        db,
        inbound(
            db,
            runtime,
            email_channel,
            "Proszę o fakturę VAT",
            email="jan@example.pl",
            thread="b",
            subject="Pytanie",
        ),
    )
    c = case_of(db, inbound(db, runtime, channel, "Reklamacja butów", thread="c", subject="Buty"))
    db.commit()
    set_case(
        db,
        a.id,
        status="open",
        assignee_id=agent.user.id,
        team_id=team.id,
        priority="high",
        intent="order_status",
        escalated=True,
        tags=["zwrot", "vip"],
    )
    set_case(db, b.id, status="new", priority="normal", intent="return_request")
    set_case(
        db, c.id, status="pending_customer", assignee_id=other_agent.id, priority="urgent", intent="complaint"
    )
    return {
        "cases": {"A": a.id, "B": b.id, "C": c.id},
        "refs": {
            "{me}": agent.user.id,
            "{other}": other_agent.id,
            "{team}": team.id,
            "{email_channel}": email_channel.id,
            "{anna}": a.customer_id,
            "{b_number}": str(b.number),
        },
    }


FILTER_CASES = [
    ([("status", "open")], {"A"}),
    ([("status", "open,new")], {"A", "B"}),
    ([("status", "open"), ("status", "pending_customer")], {"A", "C"}),
    ([("status", "closed")], set()),
    ([("assignee", "me")], {"A"}),
    ([("assignee", "none")], {"B"}),
    ([("assignee", "{other}")], {"C"}),
    ([("assignee_id", "{other}")], {"C"}),
    ([("team", "{team}")], {"A"}),
    ([("team", "none")], {"B", "C"}),
    ([("channel", "{email_channel}")], {"B"}),
    ([("channel_id", "{email_channel}")], {"B"}),
    ([("intent", "return_request")], {"B"}),
    ([("priority", "urgent,high")], {"A", "C"}),
    ([("priority", "normal")], {"B"}),
    ([("escalated", "true")], {"A"}),
    ([("escalated", "false")], {"B", "C"}),
    ([("tag", "ZWROT")], {"A"}),
    ([("tag", "inny")], set()),
    ([("customer_id", "{anna}")], {"A", "C"}),
    ([("q", "dotarła")], {"A"}),
    ([("q", "faktur")], {"B"}),
    ([("q", "FAKTURĘ vat")], {"B"}),
    ([("q", "#{b_number}")], {"B"}),
    ([("q", "nic-takiego")], set()),
    ([("status", "open,new"), ("assignee", "none")], {"B"}),
    ([("sort", "priority"), ("priority", "urgent")], {"C"}),
]


def test_filters(world, agent):
    # One world, many queries: each filter and combination against the same three cases.
    for params, expected in FILTER_CASES:
        resolved = []
        for key, value in params:
            for ref, real in world["refs"].items():
                value = value.replace(ref, real)
            resolved.append((key, value))
        response = agent.client.get("/api/v1/cases", params=resolved)
        assert set(ids(response)) == {world["cases"][label] for label in expected}, params


def _six(db, runtime, channel) -> list[str]:  # type: ignore[no-untyped-def]
    cases = [
        case_of(db, inbound(db, runtime, channel, f"Sprawa {n}", thread=f"t{n}", email=f"k{n}@example.pl")).id
        for n in range(6)
    ]
    db.commit()
    return cases


def test_sort_waiting_oldest_inbound_first_then_none(db, runtime, channel, agent):
    c = _six(db, runtime, channel)
    for case_id, minutes in zip(c, [30, 10, None, 20, None, 10], strict=True):
        set_case(
            db, case_id, last_inbound_at=T0 + timedelta(minutes=minutes) if minutes is not None else None
        )
    got = ids(agent.client.get("/api/v1/cases", params={"sort": "waiting"}))
    tie = sorted([c[1], c[5]])
    assert got == [*tie, c[3], c[0], *sorted([c[2], c[4]])]


def test_sort_sla_soonest_due_first_then_none(db, runtime, channel, agent):
    c = _six(db, runtime, channel)
    for case_id, hours in zip(c, [5, None, 1, 3, 2, None], strict=True):
        set_case(db, case_id, resolution_due_at=T0 + timedelta(hours=hours) if hours is not None else None)
    got = ids(agent.client.get("/api/v1/cases", params={"sort": "sla"}))
    assert got == [c[2], c[4], c[3], c[0], *sorted([c[1], c[5]])]


def test_sort_priority_then_newest(db, runtime, channel, agent):
    c = _six(db, runtime, channel)
    for n, (priority, minutes) in enumerate(
        [("normal", 1), ("urgent", 2), ("low", 3), ("normal", 4), ("high", 5), ("urgent", 6)]
    ):
        set_case(db, c[n], priority=priority, last_message_at=T0 + timedelta(minutes=minutes))
    got = ids(agent.client.get("/api/v1/cases", params={"sort": "priority"}))
    assert got == [c[5], c[1], c[4], c[3], c[0], c[2]]


def test_sort_last_message_newest_first_ties_by_id(db, runtime, channel, agent):
    c = _six(db, runtime, channel)
    for n, minutes in enumerate([3, 1, 3, 2, 0, 3]):
        set_case(db, c[n], last_message_at=T0 + timedelta(minutes=minutes))
    got = ids(agent.client.get("/api/v1/cases"))
    assert got == [*sorted([c[0], c[2], c[5]], reverse=True), c[3], c[1], c[4]]


@pytest.mark.parametrize("sort", ["last_message_at", "waiting", "priority", "sla"])
@pytest.mark.parametrize("status", [None, "new,open,pending_customer"])
def test_cursor_walk_has_no_duplicates_or_gaps_while_cases_arrive(db, runtime, channel, agent, sort, status):
    originals = []
    statuses = ["new", "open", "pending_customer"]
    for n in range(11):
        case = case_of(
            db, inbound(db, runtime, channel, f"Sprawa {n}", thread=f"t{n}", email=f"k{n}@example.pl")
        )
        originals.append(case.id)
        db.commit()
        set_case(
            db,
            case.id,
            status=statuses[n % 3],
            priority=["low", "normal", "high", "urgent"][n % 4],
            # Ties on purpose: the id decides between equal keys.
            last_message_at=T0 + timedelta(minutes=n // 3),
            last_inbound_at=None if n % 4 == 0 else T0 + timedelta(minutes=n % 5),
            resolution_due_at=None if n % 5 == 0 else T0 + timedelta(hours=n % 3),
        )
    params = {"sort": sort, **({"status": status} if status else {})}
    full = ids(agent.client.get("/api/v1/cases", params={**params, "limit": 100}))
    assert sorted(full) == sorted(originals)

    walked: list[str] = []
    cursor = None
    pages = 0
    while True:
        response = agent.client.get(
            "/api/v1/cases", params={**params, "limit": 3, **({"cursor": cursor} if cursor else {})}
        )
        page = ids(response)
        assert 0 < len(page) <= 3
        walked += page
        pages += 1
        if pages == 1:  # new cases arrive while the agent pages through
            for n in range(2):
                inbound(db, runtime, channel, f"Nowa {n}", thread=f"new{n}", email=f"nowy{n}@example.pl")
            db.commit()
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert len(walked) == len(set(walked))
    assert [i for i in walked if i in originals] == full


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


BAD_PARAMETERS = [
    {"limit": "0"},
    {"limit": "101"},
    {"limit": "x"},
    {"status": "lost"},
    {"priority": "critical"},
    {"sort": "name"},
    {"escalated": "maybe"},
    {"unknown": "1"},
    {"q": "x" * 201},
    {"tag": "t" * 41},
]


def test_bad_parameters_are_refused(agent):
    for params in BAD_PARAMETERS:
        response = agent.client.get("/api/v1/cases", params=params)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input"), params


BAD_CURSORS = [
    "!!!not-base64",
    "e30",  # {}
    encode_cursor("cases:waiting", 0, None, "01abc"),  # made for another sort
    encode_cursor("cases:last_message_at", 0, "not a time", "01abc"),
    encode_cursor("cases:last_message_at", 0, "2025-01-01T00:00:00", "01abc"),  # no offset
    encode_cursor("cases:last_message_at", "0", "2025-01-01T00:00:00+00:00", "01abc"),
    encode_cursor("customers:last_seen_at", "2025-01-01T00:00:00+00:00", "01abc"),
]


def test_bad_cursors_are_refused(agent):
    for cursor in BAD_CURSORS:
        response = agent.client.get("/api/v1/cases", params={"cursor": cursor})
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_cursor"), cursor
