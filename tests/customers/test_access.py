"""Every customer endpoint: another workspace's ids are not found, a viewer cannot write, nothing changes."""

import pytest
from sqlalchemy import func, select

from sprawa.customers.models import Customer, CustomerMerge
from sprawa.platform.audit import AuditEntry
from tests.cases.factories import inbound, reading
from tests.factories import make_channel, request_with_ids

WRITES = [
    ("PATCH", "/api/v1/customers/{customer}", {"name": "Nowe imię", "flags": {"vip": True}}),
    ("POST", "/api/v1/customers/{customer}/merge", {"into_customer_id": "{other}"}),
    ("POST", "/api/v1/customer-merges/{merge}/undo", None),
]
READS = [("GET", "/api/v1/customers/{customer}", None)]


@pytest.fixture
def ids(db, runtime, other_workspace, channel, agent):  # type: ignore[no-untyped-def]
    anna = inbound(db, runtime, channel, "Pierwsza", name="Anna Nowak", thread="a")
    jan = inbound(db, runtime, channel, "Druga", email="jan@example.pl", name="Jan", thread="b")
    ewa = inbound(db, runtime, channel, "Trzecia", email="ewa@example.pl", name="Ewa", thread="c")
    own = inbound(db, runtime, make_channel(db, other_workspace), "Obca", email="obca@example.pl", thread="x")
    db.commit()
    merge = agent.client.post(
        f"/api/v1/customers/{ewa.customer_id}/merge", json={"into_customer_id": jan.customer_id}
    )
    assert merge.status_code == 200
    return {
        "{customer}": anna.customer_id,
        "{other}": jan.customer_id,
        "{merge}": merge.json()["merge"]["id"],
        "{own}": own.customer_id,
    }


def state(db) -> tuple:  # type: ignore[no-untyped-def]
    with reading(db):
        customers = sorted(
            tuple(r)
            for r in db.execute(select(Customer.id, Customer.name, Customer.flags, Customer.merged_into_id))
        )
        merges = sorted(tuple(r) for r in db.execute(select(CustomerMerge.id, CustomerMerge.undone_at)))
        audits = db.scalar(select(func.count()).select_from(AuditEntry))
    return customers, merges, audits


@pytest.mark.parametrize(("method", "path", "body"), WRITES + READS)
def test_other_workspace_gets_not_found(db, ids, outsider, method, path, body):
    before = state(db)
    response = request_with_ids(outsider.client, method, path, body, ids)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    assert "Anna" not in response.text
    assert state(db) == before


def test_merging_into_a_customer_of_another_workspace_is_not_found(db, ids, outsider):
    before = state(db)
    response = outsider.client.post(
        f"/api/v1/customers/{ids['{own}']}/merge", json={"into_customer_id": ids["{customer}"]}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert state(db) == before


def test_other_workspace_list_shows_nothing_of_ours(ids, outsider):
    for q in [None, "Anna", "anna@example.pl"]:
        response = outsider.client.get("/api/v1/customers", params={"q": q} if q else {})
        assert response.status_code == 200
        assert {c["id"] for c in response.json()["items"]} <= {ids["{own}"]}, q


def test_viewer_cannot_write(db, ids, viewer):
    before = state(db)
    for method, path, body in WRITES:
        response = request_with_ids(viewer.client, method, path, body, ids)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "read_only_role"), path
        assert state(db) == before


def test_viewer_can_read(ids, viewer):
    assert viewer.client.get(f"/api/v1/customers/{ids['{customer}']}").status_code == 200
    assert ids["{customer}"] in [c["id"] for c in viewer.client.get("/api/v1/customers").json()["items"]]


def test_unknown_ids_are_not_found(ids, agent):
    unknown = {**ids, "{customer}": "01unknowncustomer", "{merge}": "01unknownmerge"}
    for method, path, body in WRITES + READS:
        response = request_with_ids(agent.client, method, path, body, unknown)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found"), path


def test_anonymous_requests_are_refused(client, ids):
    for method, path, body in [*WRITES, *READS, ("GET", "/api/v1/customers", None)]:
        response = request_with_ids(client, method, path, body, ids)
        assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated"), path
