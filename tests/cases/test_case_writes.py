"""Replies, notes and case changes (status machine, assignment, tags) through the API."""

import itertools

import pytest
from sqlalchemy import func, select, update

from sprawa.auth.models import User
from sprawa.cases.models import Case, CaseActivity, CaseStatus, Message, Note
from sprawa.platform.jobs import Job
from sprawa.workspaces.models import Team
from tests.cases.factories import case_of, inbound, reading
from tests.factories import make_user


def count(db, model, *where) -> int:  # type: ignore[no-untyped-def]
    with reading(db):
        return db.scalar(select(func.count()).select_from(model).where(*where))


def fresh_case(db, case_id: str) -> Case:  # type: ignore[no-untyped-def]
    """The case as the API committed it, detached (its values stay readable without a transaction)."""
    with reading(db):
        case = db.get(Case, case_id)
        assert case is not None
        db.expunge(case)
        return case


@pytest.fixture
def message(db, runtime, channel):  # type: ignore[no-untyped-def]
    m = inbound(db, runtime, channel, "Gdzie jest moja paczka?")
    db.commit()
    return m


# --- Replies ---------------------------------------------------------------------------------------------


def test_reply_is_stored_queued_and_moves_a_new_case_to_open(db, message, agent, events):
    response = agent.client.post(
        f"/api/v1/cases/{message.case_id}/replies", json={"text": "Paczka jest w drodze."}
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["case_id"], body["seq"], body["direction"], body["author_kind"]) == (
        message.case_id,
        2,
        "out",
        "agent",
    )
    assert (body["body_text"], body["delivery_status"], body["author_user_id"]) == (
        "Paczka jest w drodze.",
        "queued",
        agent.user.id,
    )
    assert body["thread_id"] == message.thread_id
    case = fresh_case(db, message.case_id)
    assert case.status == CaseStatus.OPEN
    assert case.first_response_at is not None
    job = db.scalars(select(Job).where(Job.kind == "outbox.deliver")).one()
    assert job.payload == {"message_id": body["id"]}
    kinds = [(e.kind, e.to_customer) for e in events]
    assert ("message.created", True) in kinds
    assert ("case.updated", False) in kinds


def test_reply_with_status_after(db, message, agent):
    response = agent.client.post(
        f"/api/v1/cases/{message.case_id}/replies",
        json={"text": "Czekamy na zdjęcia.", "status_after": "pending_customer"},
    )
    assert response.status_code == 201
    assert fresh_case(db, message.case_id).status == CaseStatus.PENDING_CUSTOMER


def test_reply_with_refused_status_after_stores_nothing(db, message, agent):
    db.execute(update(Case).where(Case.id == message.case_id).values(status="open"))
    db.commit()
    response = agent.client.post(
        f"/api/v1/cases/{message.case_id}/replies", json={"text": "Odpowiedź", "status_after": "new"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert count(db, Message) == 1
    assert count(db, Job, Job.kind == "outbox.deliver") == 0
    assert fresh_case(db, message.case_id).status == CaseStatus.OPEN


def test_reply_on_a_thread_of_another_customer_is_refused(db, runtime, channel, message, agent):
    stranger = inbound(db, runtime, channel, "Inna sprawa", email="obcy@example.pl", thread="obcy")
    db.commit()
    response = agent.client.post(
        f"/api/v1/cases/{message.case_id}/replies",
        json={"text": "Odpowiedź", "thread_id": stranger.thread_id},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_thread"
    assert count(db, Message, Message.direction == "out") == 0


def test_reply_on_a_closed_case_is_refused(db, message, agent):
    db.execute(update(Case).where(Case.id == message.case_id).values(status="closed"))
    db.commit()
    response = agent.client.post(f"/api/v1/cases/{message.case_id}/replies", json={"text": "Odpowiedź"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert count(db, Message, Message.direction == "out") == 0


def test_reply_of_exactly_20000_characters_is_accepted(db, message, agent):
    response = agent.client.post(f"/api/v1/cases/{message.case_id}/replies", json={"text": "a" * 20000})
    assert response.status_code == 201
    assert len(response.json()["body_text"]) == 20000


BAD_REPLIES = [
    {},
    {"text": ""},
    {"text": "   \n "},
    {"text": "a" * 20001},
    {"text": 5},
    {"text": "ok", "status_after": "lost"},
    {"text": "ok", "thread_id": ""},
    {"text": "ok", "extra": 1},
]


def test_bad_replies_are_refused(db, message, agent):
    for body in BAD_REPLIES:
        response = agent.client.post(f"/api/v1/cases/{message.case_id}/replies", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input"), body
    assert count(db, Message) == 1


# --- Notes -----------------------------------------------------------------------------------------------


def test_note_is_for_agents_only(db, message, agent, events):
    response = agent.client.post(
        f"/api/v1/cases/{message.case_id}/notes", json={"text": "Sprawdzić u kuriera"}
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["case_id"], body["author_user_id"], body["body_text"]) == (
        message.case_id,
        agent.user.id,
        "Sprawdzić u kuriera",
    )
    note = db.scalars(select(Note)).one()
    assert note.id == body["id"]
    assert count(db, Message) == 1
    assert count(db, Job) == 0
    (event,) = [e for e in events if e.kind == "note.created"]
    assert (event.to_agents, event.to_customer, event.case_id) == (True, False, message.case_id)
    assert event.data["note"]["body_text"] == "Sprawdzić u kuriera"
    assert all(not e.to_customer for e in events)


def test_bad_notes_are_refused(db, message, agent):
    for body in [{}, {"text": ""}, {"text": "  "}, {"text": "a" * 20001}, {"text": "x", "y": 1}]:
        response = agent.client.post(f"/api/v1/cases/{message.case_id}/notes", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input"), body
    assert count(db, Note) == 0


# --- Changes ---------------------------------------------------------------------------------------------


def activities(db, case_id: str) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    with reading(db):
        return [
            (a.kind, a.data)
            for a in db.scalars(
                select(CaseActivity).where(CaseActivity.case_id == case_id).order_by(CaseActivity.created_at)
            )
        ]


def test_update_records_every_change_and_emits_case_updated(db, workspace, message, agent, events):
    colleague = make_user(db, workspace, "agent")
    team = Team(workspace_id=workspace.id, name="Reklamacje")
    db.add(team)
    db.commit()

    response = agent.client.patch(
        f"/api/v1/cases/{message.case_id}",
        json={
            "status": "open",
            "priority": "urgent",
            "assignee_id": colleague.id,
            "team_id": team.id,
            "tags": ["Zwrot", "  PILNE   sprawa ", "zwrot", ""],
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["priority"], body["assignee_id"], body["team_id"], body["tags"]) == (
        "open",
        "urgent",
        colleague.id,
        team.id,
        ["zwrot", "pilne sprawa"],
    )
    assert activities(db, message.case_id) == [
        ("status", {"from": "new", "to": "open"}),
        ("priority", {"from": "normal", "to": "urgent"}),
        ("assignee", {"from": None, "to": colleague.id}),
        ("team", {"from": None, "to": team.id}),
        ("tags", {"added": ["zwrot", "pilne sprawa"], "removed": []}),
    ]
    updated = [e for e in events if e.kind == "case.updated"]
    assert len(updated) == 1
    assert updated[0].data["priority"] == "urgent"
    assert updated[0].to_customer is False


def test_update_clears_assignee_and_team_with_null(db, workspace, message, agent):
    team = Team(workspace_id=workspace.id, name="Zwroty")
    db.add(team)
    db.flush()
    db.execute(
        update(Case).where(Case.id == message.case_id).values(assignee_id=agent.user.id, team_id=team.id)
    )
    db.commit()
    response = agent.client.patch(
        f"/api/v1/cases/{message.case_id}", json={"assignee_id": None, "team_id": None}
    )
    assert response.status_code == 200
    assert (response.json()["assignee_id"], response.json()["team_id"]) == (None, None)
    assert activities(db, message.case_id) == [
        ("assignee", {"from": agent.user.id, "to": None}),
        ("team", {"from": team.id, "to": None}),
    ]


def test_update_without_a_change_records_nothing(db, message, agent, events):
    response = agent.client.patch(f"/api/v1/cases/{message.case_id}", json={"priority": "normal", "tags": []})
    assert response.status_code == 200
    assert activities(db, message.case_id) == []
    assert [e for e in events if e.kind == "case.updated"] == []


def _other_workspace_user(db, other_workspace):  # type: ignore[no-untyped-def]
    return make_user(db, other_workspace, "agent").id


def _viewer(db, workspace, other_workspace):  # type: ignore[no-untyped-def]
    return make_user(db, workspace, "viewer").id


def _inactive(db, workspace, other_workspace):  # type: ignore[no-untyped-def]
    user = make_user(db, workspace, "agent")
    db.execute(update(User).where(User.id == user.id).values(active=False))
    return user.id


def _other_team(db, workspace, other_workspace):  # type: ignore[no-untyped-def]
    team = Team(workspace_id=other_workspace.id, name="Obcy")
    db.add(team)
    db.flush()
    return team.id


def test_assignee_and_team_must_belong_to_the_workspace(db, workspace, other_workspace, message, agent):
    refused = [
        ("assignee_id", _other_workspace_user(db, other_workspace), "invalid_assignee"),
        ("assignee_id", _viewer(db, workspace, other_workspace), "invalid_assignee"),
        ("assignee_id", _inactive(db, workspace, other_workspace), "invalid_assignee"),
        ("assignee_id", "01nosuchuser", "invalid_assignee"),
        ("team_id", _other_team(db, workspace, other_workspace), "invalid_team"),
        ("team_id", "01nosuchteam", "invalid_team"),
    ]
    db.commit()
    for field, value, code in refused:
        response = agent.client.patch(
            f"/api/v1/cases/{message.case_id}", json={field: value, "priority": "high"}
        )
        assert (response.status_code, response.json()["error"]["code"]) == (422, code), (field, value)
    case = fresh_case(db, message.case_id)
    assert (case.assignee_id, case.team_id, case.priority) == (None, None, "normal")
    assert activities(db, message.case_id) == []


BAD_UPDATES = [
    ({"tags": [f"t{n}" for n in range(21)]}, "invalid_tags"),
    ({"tags": ["x" * 41]}, "invalid_tags"),
    ({"tags": ["x" * 201]}, "invalid_input"),
    ({"tags": None}, "invalid_input"),
    ({"status": None}, "invalid_input"),
    ({"status": "lost"}, "invalid_input"),
    ({"priority": None}, "invalid_input"),
    ({"priority": "critical"}, "invalid_input"),
    ({"subject": "nowy"}, "invalid_input"),
]


def test_bad_updates_are_refused(db, message, agent):
    for body, code in BAD_UPDATES:
        response = agent.client.patch(f"/api/v1/cases/{message.case_id}", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (422, code), body
    case = fresh_case(db, message.case_id)
    assert (case.status, case.priority, case.tags) == ("new", "normal", [])


def test_twenty_tags_of_forty_characters_are_accepted(db, message, agent):
    tags = [f"{n:02d}" + "x" * 38 for n in range(20)]
    response = agent.client.patch(f"/api/v1/cases/{message.case_id}", json={"tags": tags})
    assert response.status_code == 200
    assert response.json()["tags"] == tags


ALLOWED = {
    "new": {"open", "pending_customer", "pending_internal", "resolved", "closed"},
    "open": {"pending_customer", "pending_internal", "resolved", "closed"},
    "pending_customer": {"open", "pending_internal", "resolved", "closed"},
    "pending_internal": {"open", "pending_customer", "resolved", "closed"},
    "resolved": {"open", "closed"},
    "closed": set(),
}


@pytest.mark.parametrize(("before", "after"), list(itertools.product(ALLOWED, ALLOWED)))
def test_status_machine(db, message, agent, before, after):
    db.execute(update(Case).where(Case.id == message.case_id).values(status=before))
    db.commit()

    response = agent.client.patch(f"/api/v1/cases/{message.case_id}", json={"status": after})

    case = fresh_case(db, message.case_id)
    if before == after:
        assert response.status_code == 200
        assert activities(db, message.case_id) == []
    elif after in ALLOWED[before]:
        assert response.status_code == 200, response.text
        assert case.status == after
        assert activities(db, message.case_id) == [("status", {"from": before, "to": after})]
        assert case.reopened_count == (1 if (before, after) == ("resolved", "open") else 0)
        assert (case.resolved_at is not None) == (after in ("resolved", "closed"))
        assert (case.closed_at is not None) == (after == "closed")
    else:
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "invalid_transition"
        assert case.status == before
        assert activities(db, message.case_id) == []


def test_status_of_a_merged_case_cannot_change(db, runtime, channel, message, agent):
    other = case_of(db, inbound(db, runtime, channel, "Druga", thread="b"))
    db.commit()
    assert (
        agent.client.post(
            f"/api/v1/cases/{other.id}/merge", json={"into_case_id": message.case_id}
        ).status_code
        == 200
    )
    response = agent.client.patch(f"/api/v1/cases/{other.id}", json={"status": "open"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "case_merged"
    assert fresh_case(db, other.id).status == CaseStatus.CLOSED
