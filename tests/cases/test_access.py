"""Every case endpoint: another workspace's ids are not found (never forbidden, never data), and a
viewer reads but cannot write. Refused calls change nothing."""

import pytest
from sqlalchemy import func, select

from sprawa.cases.models import Case, CaseActivity, CaseLinkChange, Message, Note
from sprawa.platform.jobs import Job
from tests.cases.factories import inbound, reading
from tests.factories import fill_ids, make_channel, request_with_ids

WRITES = [
    ("POST", "/api/v1/cases/{case}/replies", {"text": "Odpowiedź"}),
    ("POST", "/api/v1/cases/{case}/notes", {"text": "Notatka"}),
    ("PATCH", "/api/v1/cases/{case}", {"priority": "high", "status": "open"}),
    ("POST", "/api/v1/cases/{case}/merge", {"into_case_id": "{target}"}),
    ("POST", "/api/v1/cases/{case}/split", {"message_ids": ["{message}"]}),
    ("POST", "/api/v1/case-link-changes/{change}/undo", None),
]
READS = [
    ("GET", "/api/v1/cases/{case}", None),
    ("GET", "/api/v1/cases/{case}/messages", None),
]


@pytest.fixture
def ids(db, runtime, workspace, other_workspace, channel, agent):  # type: ignore[no-untyped-def]
    first = inbound(db, runtime, channel, "Pierwsza", thread="a")
    inbound(db, runtime, channel, "Druga", thread="a")
    target = inbound(db, runtime, channel, "Cel", thread="b")
    merged = inbound(db, runtime, channel, "Do scalenia", thread="c")
    foreign = inbound(
        db, runtime, make_channel(db, other_workspace), "Obca", email="obca@example.pl", thread="x"
    )
    db.commit()
    change = agent.client.post(f"/api/v1/cases/{merged.case_id}/merge", json={"into_case_id": target.case_id})
    assert change.status_code == 200
    return {
        "{case}": first.case_id,
        "{message}": first.id,
        "{target}": target.case_id,
        "{change}": change.json()["change"]["id"],
        "{thread}": first.thread_id,
        "{customer}": first.customer_id,
        "{own_case}": foreign.case_id,
    }


def state(db) -> tuple:  # type: ignore[no-untyped-def]
    with reading(db):
        counts = tuple(
            db.scalar(select(func.count()).select_from(model))
            for model in (Message, Note, CaseActivity, CaseLinkChange, Job)
        )
        cases = sorted(
            tuple(r)
            for r in db.execute(
                select(Case.id, Case.status, Case.priority, Case.merged_into_id, Case.last_seq, Case.tags)
            )
        )
        undone = sorted(tuple(r) for r in db.execute(select(CaseLinkChange.id, CaseLinkChange.undone_at)))
        seqs = sorted(tuple(r) for r in db.execute(select(Message.id, Message.case_id, Message.seq)))
    return counts, cases, undone, seqs


@pytest.mark.parametrize(("method", "path", "body"), WRITES + READS)
def test_other_workspace_gets_not_found(db, ids, outsider, method, path, body):
    before = state(db)
    response = request_with_ids(outsider.client, method, path, body, ids)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    assert "Pierwsza" not in response.text
    assert state(db) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        # The outsider's own case with an id of ours in the body.
        ("POST", "/api/v1/cases/{own_case}/merge", {"into_case_id": "{case}"}, 404, "not_found"),
        (
            "POST",
            "/api/v1/cases/{own_case}/replies",
            {"text": "x", "thread_id": "{thread}"},
            422,
            "invalid_thread",
        ),
        ("POST", "/api/v1/cases/{own_case}/split", {"message_ids": ["{message}"]}, 422, "invalid_messages"),
    ],
)
def test_ids_of_another_workspace_in_the_body_are_refused(
    db, ids, outsider, method, path, body, status, code
):
    before = state(db)
    response = request_with_ids(outsider.client, method, path, body, ids)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert state(db) == before


def test_other_workspace_lists_show_nothing_of_ours(db, ids, outsider):
    for params in [
        {},
        {"customer_id": "{customer}"},
        {"q": "Pierwsza"},
        {"status": "closed"},
        {"assignee": "none"},
    ]:
        response = outsider.client.get("/api/v1/cases", params=fill_ids(params, ids))
        assert response.status_code == 200
        listed = [item["id"] for item in response.json()["items"]]
        assert set(listed) <= {ids["{own_case}"]}, params


def test_other_workspace_search_shows_nothing_of_ours(db, ids, outsider):
    body = outsider.client.get("/api/v1/search", params={"q": "Pierwsza"}).json()
    assert body == {"cases": [], "messages": [], "customers": []}


def test_viewer_cannot_write(db, ids, viewer):
    before = state(db)
    for method, path, body in WRITES:
        response = request_with_ids(viewer.client, method, path, body, ids)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "read_only_role"), path
        assert state(db) == before


def test_viewer_can_read(ids, viewer):
    for method, path, body in READS:
        assert request_with_ids(viewer.client, method, path, body, ids).status_code == 200, path


def test_viewer_lists_and_searches(ids, viewer):
    assert ids["{case}"] in [i["id"] for i in viewer.client.get("/api/v1/cases").json()["items"]]
    assert viewer.client.get("/api/v1/search", params={"q": "Pierwsza"}).json()["messages"] != []


def test_unknown_ids_are_not_found(ids, agent):
    unknown = {**ids, "{case}": "01unknowncase", "{change}": "01unknownchange"}
    for method, path, body in WRITES + READS:
        response = request_with_ids(agent.client, method, path, body, unknown)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found"), path


def test_anonymous_requests_are_refused(client, ids):
    for method, path, body in [
        *WRITES,
        *READS,
        ("GET", "/api/v1/cases", None),
        ("GET", "/api/v1/search?q=x", None),
    ]:
        response = request_with_ids(client, method, path, body, ids)
        assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated"), path
