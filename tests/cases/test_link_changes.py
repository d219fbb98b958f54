"""How messages join cases (linking) and how agents correct it: merge, split and their exact undo."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from sprawa.cases.models import Case, CaseActivity, CaseLinkChange, CaseOrder, CaseStatus, Message, Note
from sprawa.channels.models import Thread
from sprawa.db import utcnow
from sprawa.workspaces.schemas import DEFAULT_LINK_WINDOW_MINUTES
from tests.cases.factories import case_of, inbound, make_order, reading


def snapshot(db) -> dict:  # type: ignore[no-untyped-def]
    """Where every linkable row is and the cases' link state, from the committed database."""
    with reading(db):
        return {
            "messages": sorted(
                tuple(r) for r in db.execute(select(Message.id, Message.case_id, Message.seq))
            ),
            "notes": sorted(tuple(r) for r in db.execute(select(Note.id, Note.case_id))),
            "threads": sorted(tuple(r) for r in db.execute(select(Thread.id, Thread.case_id))),
            "case_orders": sorted(tuple(r) for r in db.execute(select(CaseOrder.id, CaseOrder.case_id))),
            "cases": sorted(
                tuple(r)
                for r in db.execute(
                    select(
                        Case.id,
                        Case.status,
                        Case.merged_into_id,
                        Case.resolved_at,
                        Case.closed_at,
                        Case.last_message_at,
                        Case.last_inbound_at,
                        Case.customer_id,
                    )
                )
            ),
        }


def n_changes(db) -> int:  # type: ignore[no-untyped-def]
    with reading(db):
        return db.scalar(select(func.count()).select_from(CaseLinkChange))


@pytest.fixture
def two_cases(db, runtime, workspace, channel, agent):  # type: ignore[no-untyped-def]
    """Case A (a message, a reply, a note) and B of the same customer (two messages, a note, an order)."""
    make_order(db, workspace, "ZAM11111")
    make_order(db, workspace, "ZAM22222")
    a1 = inbound(db, runtime, channel, "Pytanie o ZAM11111", thread="a")
    b1 = inbound(db, runtime, channel, "Inna sprawa: ZAM22222", thread="b")
    b2 = inbound(db, runtime, channel, "Jeszcze jedno", thread="b")
    db.commit()
    assert a1.case_id != b1.case_id == b2.case_id
    reply = agent.client.post(f"/api/v1/cases/{a1.case_id}/replies", json={"text": "Sprawdzamy."}).json()
    note_a = agent.client.post(f"/api/v1/cases/{a1.case_id}/notes", json={"text": "A"}).json()
    note_b = agent.client.post(f"/api/v1/cases/{b1.case_id}/notes", json={"text": "B"}).json()
    return {"a1": a1, "b1": b1, "b2": b2, "reply": reply, "note_a": note_a, "note_b": note_b}


def test_merge_moves_everything_and_undo_restores_exactly(db, two_cases, agent, events):
    a, b = two_cases["a1"].case_id, two_cases["b1"].case_id
    before = snapshot(db)

    response = agent.client.post(
        f"/api/v1/cases/{b}/merge", json={"into_case_id": a, "reason": "ta sama sprawa"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    change = body["change"]
    with reading(db):
        link_b = db.scalars(select(CaseOrder.id).where(CaseOrder.case_id == a)).all()
    assert change["kind"] == "merge"
    assert (change["source_case_id"], change["target_case_id"], change["reason"]) == (b, a, "ta sama sprawa")
    assert change["moved"]["messages"] == {two_cases["b1"].id: 1, two_cases["b2"].id: 2}
    assert change["moved"]["notes"] == [two_cases["note_b"]["id"]]
    assert change["moved"]["threads"] == [two_cases["b1"].thread_id]
    assert len(change["moved"]["case_orders"]) == 1 and change["moved"]["case_orders"][0] in link_b
    assert (body["source"]["status"], body["source"]["merged_into_id"]) == ("closed", a)
    assert body["target"]["last_seq"] == 4
    after = snapshot(db)
    moved_messages = {m for m in after["messages"] if m[1] == a}
    assert moved_messages == {
        (two_cases["a1"].id, a, 1),
        (two_cases["reply"]["id"], a, 2),
        (two_cases["b1"].id, a, 3),
        (two_cases["b2"].id, a, 4),
    }
    assert {n[1] for n in after["notes"]} == {a}
    assert {t[1] for t in after["threads"]} == {a}
    assert {(k, d["case_id"]) for k, d in _activities(db, b, a)} == {("merged_into", a), ("merged_from", b)}
    timeline = agent.client.get(f"/api/v1/cases/{a}").json()["timeline"]
    # The timeline is by time: B's messages were written before the reply on A.
    assert [e["message"]["seq"] for e in timeline if e["kind"] == "message"] == [1, 3, 4, 2]
    assert {e.case_id for e in events if e.kind == "case.updated"} >= {a, b}

    undo = agent.client.post(f"/api/v1/case-link-changes/{change['id']}/undo")

    assert undo.status_code == 200, undo.text
    assert undo.json()["change"]["undone_at"] is not None
    assert snapshot(db) == before
    again = agent.client.post(f"/api/v1/case-link-changes/{change['id']}/undo")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_undone"
    assert snapshot(db) == before


def _activities(db, *case_ids):  # type: ignore[no-untyped-def]
    with reading(db):
        return [
            (a.kind, a.data)
            for a in db.scalars(select(CaseActivity).where(CaseActivity.case_id.in_(case_ids)))
            if a.kind.startswith("merged")
        ]


def test_message_on_a_merged_case_thread_joins_the_target(db, runtime, channel, two_cases, agent):
    a, b = two_cases["a1"].case_id, two_cases["b1"].case_id
    assert agent.client.post(f"/api/v1/cases/{b}/merge", json={"into_case_id": a}).status_code == 200
    later = inbound(db, runtime, channel, "Czy są nowości?", thread="b")
    db.commit()
    assert (later.case_id, later.link_reason) == (a, "same conversation")


def _closed_target(db, two_cases, other_workspace, admin):  # type: ignore[no-untyped-def]
    db.execute(update(Case).where(Case.id == two_cases["a1"].case_id).values(status="closed"))
    db.commit()
    return two_cases["b1"].case_id, {"into_case_id": two_cases["a1"].case_id}


def _itself(db, two_cases, other_workspace, admin):  # type: ignore[no-untyped-def]
    return two_cases["b1"].case_id, {"into_case_id": two_cases["b1"].case_id}


def _unknown(db, two_cases, other_workspace, admin):  # type: ignore[no-untyped-def]
    return two_cases["b1"].case_id, {"into_case_id": "01nosuchcase"}


def _missing(db, two_cases, other_workspace, admin):  # type: ignore[no-untyped-def]
    return two_cases["b1"].case_id, {}


def _extra(db, two_cases, other_workspace, admin):  # type: ignore[no-untyped-def]
    return two_cases["b1"].case_id, {"into_case_id": two_cases["a1"].case_id, "move_notes": False}


@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (_itself, 422, "same_case"),
        (_closed_target, 409, "target_closed"),
        (_unknown, 404, "not_found"),
        (_missing, 422, "invalid_input"),
        (_extra, 422, "invalid_input"),
    ],
)
def test_refused_merges_move_nothing(db, two_cases, other_workspace, agent, admin, make, status, code):
    source, body = make(db, two_cases, other_workspace, admin)
    before = snapshot(db)
    response = agent.client.post(f"/api/v1/cases/{source}/merge", json=body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert snapshot(db) == before
    assert n_changes(db) == 0


def test_merging_an_already_merged_case_is_refused(db, runtime, channel, two_cases, agent):
    c = inbound(db, runtime, channel, "Trzecia", thread="c")
    db.commit()
    a, b = two_cases["a1"].case_id, two_cases["b1"].case_id
    assert agent.client.post(f"/api/v1/cases/{b}/merge", json={"into_case_id": a}).status_code == 200
    before = snapshot(db)
    response = agent.client.post(f"/api/v1/cases/{b}/merge", json={"into_case_id": c.case_id})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_merged"
    assert snapshot(db) == before


def test_cases_of_different_customers_merge_only_by_force_of_an_admin(db, runtime, channel, agent, admin):
    anna = inbound(db, runtime, channel, "Anna pisze", thread="a")
    jan = inbound(db, runtime, channel, "Jan pisze", email="jan@example.pl", thread="j")
    db.commit()
    before = snapshot(db)
    plain = agent.client.post(f"/api/v1/cases/{jan.case_id}/merge", json={"into_case_id": anna.case_id})
    assert (plain.status_code, plain.json()["error"]["code"]) == (409, "different_customers")
    forced = agent.client.post(
        f"/api/v1/cases/{jan.case_id}/merge", json={"into_case_id": anna.case_id, "force": True}
    )
    assert (forced.status_code, forced.json()["error"]["code"]) == (403, "admin_only")
    assert snapshot(db) == before

    done = admin.client.post(
        f"/api/v1/cases/{jan.case_id}/merge", json={"into_case_id": anna.case_id, "force": True}
    )

    assert done.status_code == 200
    with reading(db):
        moved = db.get(Message, jan.id)
        assert (moved.case_id, moved.customer_id) == (anna.case_id, jan.customer_id)
    undo = admin.client.post(f"/api/v1/case-link-changes/{done.json()['change']['id']}/undo")
    assert undo.status_code == 200
    assert snapshot(db) == before


def _two_threads(db, runtime, workspace, channel, agent):  # type: ignore[no-untyped-def]
    """One case: a1 (thread a), b1 (thread b, joined by the same order), a reply (on b), a2 (thread a)."""
    make_order(db, workspace, "ZAM12345")
    a1 = inbound(db, runtime, channel, "Pytanie o ZAM12345", thread="a")
    b1 = inbound(db, runtime, channel, "Zwrot butów z ZAM12345 proszę", thread="b")
    db.commit()
    reply = agent.client.post(f"/api/v1/cases/{a1.case_id}/replies", json={"text": "Zwrot przyjęty."}).json()
    a2 = inbound(db, runtime, channel, "Dziękuję", thread="a")
    db.commit()
    assert (b1.case_id, a2.case_id, b1.link_reason) == (a1.case_id, a1.case_id, "same order")
    assert (reply["thread_id"], reply["seq"], a2.seq) == (b1.thread_id, 3, 4)
    return a1, b1, reply, a2


def test_split_moves_messages_to_a_new_case_and_undo_restores(db, runtime, workspace, channel, agent, events):
    a1, b1, reply, a2 = _two_threads(db, runtime, workspace, channel, agent)
    case_id = a1.case_id
    before = snapshot(db)

    response = agent.client.post(
        f"/api/v1/cases/{case_id}/split",
        json={"message_ids": [reply["id"], b1.id, b1.id], "reason": "osobny zwrot"},
    )

    assert response.status_code == 201, response.text
    body = response.json()
    new_id = body["target"]["id"]
    assert body["change"]["kind"] == "split"
    assert body["change"]["reason"] == "osobny zwrot"
    assert body["change"]["moved"] == {"messages": {b1.id: 2, reply["id"]: 3}, "threads": [b1.thread_id]}
    assert body["target"]["subject"] == "Zwrot butów z ZAM12345 proszę"
    assert (body["target"]["status"], body["target"]["last_seq"], body["target"]["customer_id"]) == (
        "new",
        2,
        a1.customer_id,
    )
    assert body["target"]["first_response_at"] == reply["created_at"]
    after = snapshot(db)
    assert {m for m in after["messages"] if m[1] == new_id} == {(b1.id, new_id, 1), (reply["id"], new_id, 2)}
    assert {m for m in after["messages"] if m[1] == case_id} == {(a1.id, case_id, 1), (a2.id, case_id, 4)}
    assert dict(after["threads"]) == {a1.thread_id: case_id, b1.thread_id: new_id}
    assert ("case.created", new_id) in [(e.kind, e.case_id) for e in events]

    undo = agent.client.post(f"/api/v1/case-link-changes/{body['change']['id']}/undo")

    assert undo.status_code == 200, undo.text
    restored = snapshot(db)
    split_off = next(c for c in restored["cases"] if c[0] == new_id)
    assert (split_off[1], split_off[2]) == ("closed", case_id)
    assert {k: v for k, v in restored.items() if k != "cases"} == {
        k: v for k, v in before.items() if k != "cases"
    }
    assert [c for c in restored["cases"] if c[0] != new_id] == before["cases"]


def test_next_message_on_a_split_off_thread_joins_the_new_case(db, runtime, workspace, channel, agent):
    a1, b1, reply, a2 = _two_threads(db, runtime, workspace, channel, agent)
    change = agent.client.post(
        f"/api/v1/cases/{a1.case_id}/split", json={"message_ids": [b1.id, reply["id"]]}
    )
    new_id = change.json()["target"]["id"]
    follow = inbound(db, runtime, channel, "Kiedy zwrot pieniędzy?", thread="b")
    db.commit()
    assert (follow.case_id, follow.seq, follow.link_reason) == (new_id, 3, "same conversation")


def test_refused_splits_move_nothing(db, runtime, channel, agent):
    m1 = inbound(db, runtime, channel, "Jeden", thread="a")
    m2 = inbound(db, runtime, channel, "Dwa", thread="a")
    other = inbound(db, runtime, channel, "Obcy", email="obcy@example.pl", thread="o")
    db.commit()
    before = snapshot(db)
    refused = [
        ([m1.id, other.id], 422, "invalid_messages"),
        (["01nosuch"], 422, "invalid_messages"),
        ([m1.id, m2.id], 422, "split_all"),
        ([], 422, "invalid_input"),
    ]
    for message_ids, status, code in refused:
        response = agent.client.post(f"/api/v1/cases/{m1.case_id}/split", json={"message_ids": message_ids})
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), message_ids
    assert snapshot(db) == before
    assert n_changes(db) == 0


def test_undo_goes_newest_first(db, runtime, channel, two_cases, agent):
    a, b = two_cases["a1"].case_id, two_cases["b1"].case_id
    merge = agent.client.post(f"/api/v1/cases/{b}/merge", json={"into_case_id": a}).json()["change"]
    split = agent.client.post(f"/api/v1/cases/{a}/split", json={"message_ids": [two_cases["b2"].id]}).json()[
        "change"
    ]
    before = snapshot(db)

    refused = agent.client.post(f"/api/v1/case-link-changes/{merge['id']}/undo")

    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "undo_newer_first")
    assert snapshot(db) == before
    assert agent.client.post(f"/api/v1/case-link-changes/{split['id']}/undo").status_code == 200
    assert agent.client.post(f"/api/v1/case-link-changes/{merge['id']}/undo").status_code == 200


def test_split_case_with_new_activity_cannot_be_undone(db, runtime, channel, agent):
    m1 = inbound(db, runtime, channel, "Jeden", thread="a")
    m2 = inbound(db, runtime, channel, "Dwa", thread="a")
    db.commit()
    change = agent.client.post(f"/api/v1/cases/{m1.case_id}/split", json={"message_ids": [m2.id]}).json()
    new_id = change["target"]["id"]
    assert agent.client.post(f"/api/v1/cases/{new_id}/notes", json={"text": "nowe"}).status_code == 201
    before = snapshot(db)
    response = agent.client.post(f"/api/v1/case-link-changes/{change['change']['id']}/undo")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "changed_since")
    assert snapshot(db) == before


def test_unknown_link_change_is_not_found(agent):
    response = agent.client.post("/api/v1/case-link-changes/01nosuch/undo")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


# --- Linking of inbound messages -------------------------------------------------------------------------


def test_message_naming_an_order_of_an_open_case_joins_it(db, runtime, workspace, channel):
    make_order(db, workspace, "ZAM12345", tracking="620111222333444555666777")
    first = inbound(db, runtime, channel, "Gdzie jest ZAM12345?", thread="mail-1")
    by_number = inbound(db, runtime, channel, "Piszę znowu w sprawie zam12345", thread="mail-2")
    by_tracking = inbound(db, runtime, channel, "Paczka 620111222333444555666777 stoi", thread="mail-3")
    db.commit()
    assert by_number.case_id == by_tracking.case_id == first.case_id
    assert (first.link_reason, by_number.link_reason, by_tracking.link_reason) == (
        "new matter",
        "same order",
        "same order",
    )
    assert case_of(db, first).last_seq == 3


def test_someone_elses_order_number_opens_a_new_case(db, runtime, workspace, channel):
    make_order(db, workspace, "ZAM12345")
    first = inbound(db, runtime, channel, "Gdzie jest ZAM12345?", thread="mail-1")
    other = inbound(db, runtime, channel, "Mam ZAM12345", email="obcy@example.pl", thread="mail-2")
    db.commit()
    assert other.case_id != first.case_id
    assert other.link_reason == "new matter"
    assert (
        db.scalar(select(func.count()).select_from(CaseOrder).where(CaseOrder.case_id == other.case_id)) == 0
    )


def test_message_on_the_same_thread_joins_the_open_case(db, runtime, channel):
    first = inbound(db, runtime, channel, "Dzień dobry", thread="chat-1")
    second = inbound(db, runtime, channel, "Jest tam ktoś?", thread="chat-1")
    db.commit()
    assert second.case_id == first.case_id
    assert second.link_reason == "same conversation"
    assert (first.seq, second.seq) == (1, 2)


def test_resolved_case_reopens_within_the_window(db, runtime, channel):
    first = inbound(db, runtime, channel, "Dzień dobry", thread="chat-1")
    db.execute(update(Case).where(Case.id == first.case_id).values(status="resolved", resolved_at=utcnow()))
    db.commit()
    again = inbound(db, runtime, channel, "Jednak jeszcze pytanie", thread="chat-1")
    db.commit()
    case = case_of(db, again)
    db.refresh(case)
    assert again.case_id == first.case_id
    assert again.link_reason == "same conversation, reopened within the window"
    assert (case.status, case.reopened_count, case.resolved_at) == (CaseStatus.OPEN, 1, None)


def test_resolved_case_outside_the_window_gives_a_new_case(db, runtime, channel):
    first = inbound(db, runtime, channel, "Dzień dobry", thread="chat-1")
    long_ago = utcnow() - timedelta(minutes=DEFAULT_LINK_WINDOW_MINUTES) - timedelta(minutes=1)
    db.execute(
        update(Case).where(Case.id == first.case_id).values(status="resolved", last_message_at=long_ago)
    )
    db.commit()
    again = inbound(db, runtime, channel, "Nowe pytanie", thread="chat-1")
    db.commit()
    assert again.case_id != first.case_id
    assert again.link_reason == "new matter"
    old = case_of(db, first)
    db.refresh(old)
    assert (old.status, old.reopened_count) == (CaseStatus.RESOLVED, 0)


def test_closed_case_gives_a_new_case(db, runtime, channel):
    first = inbound(db, runtime, channel, "Dzień dobry", thread="chat-1")
    db.execute(update(Case).where(Case.id == first.case_id).values(status="closed"))
    db.commit()
    again = inbound(db, runtime, channel, "Kolejna sprawa", thread="chat-1")
    db.commit()
    assert again.case_id != first.case_id
    assert again.link_reason == "new matter"
    assert db.get(Thread, again.thread_id).case_id == again.case_id
