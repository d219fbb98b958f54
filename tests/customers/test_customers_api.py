"""Customers over the API: list and search, the panel, edits with audit, manual merge and exact undo."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from sprawa.cases.models import Case, Message
from sprawa.channels.base import IdentityClaim
from sprawa.channels.models import Thread
from sprawa.commerce.models import Order
from sprawa.customers.models import Customer, CustomerMerge, Identity, IdentityKind
from sprawa.customers.service import resolve_customer
from sprawa.insights.models import SurveyResponse
from sprawa.platform.audit import AuditEntry, verify_chain
from sprawa.platform.pagination import encode_cursor
from tests.cases.factories import inbound, make_order, reading

T0 = datetime(2025, 5, 5, 9, 0, tzinfo=UTC)


def seen(db, customer_id: str, minutes: int) -> None:  # type: ignore[no-untyped-def]
    db.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(last_seen_at=T0 + timedelta(minutes=minutes))
    )
    db.commit()


def listed(actor, **params) -> list[str]:  # type: ignore[no-untyped-def]
    response = actor.client.get("/api/v1/customers", params=params)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


@pytest.fixture
def people(db, runtime, workspace, channel):  # type: ignore[no-untyped-def]
    anna = inbound(db, runtime, channel, "Gdzie paczka?", name="Anna Nowak", thread="a")
    resolve_customer(
        db,
        workspace.id,
        [
            IdentityClaim(IdentityKind.EMAIL, "anna@example.pl", True),
            IdentityClaim(IdentityKind.PHONE, "500100200"),
        ],
    )
    jan = inbound(db, runtime, channel, "Faktura", email="jan@example.pl", name="Jan Kowalski", thread="j")
    ewa = inbound(db, runtime, channel, "Zwrot", email="ewa@example.pl", name="Ewa Zielińska", thread="e")
    db.commit()
    db.execute(update(Case).where(Case.id == ewa.case_id).values(status="closed"))
    db.commit()
    seen(db, anna.customer_id, 30)
    seen(db, jan.customer_id, 20)
    seen(db, ewa.customer_id, 10)
    return {
        "anna": anna.customer_id,
        "jan": jan.customer_id,
        "ewa": ewa.customer_id,
        "anna_case": anna.case_id,
    }


def test_list_newest_seen_first_with_open_cases(people, agent):
    response = agent.client.get("/api/v1/customers").json()
    assert [c["id"] for c in response["items"]] == [people["anna"], people["jan"], people["ewa"]]
    assert response["next_cursor"] is None
    first = response["items"][0]
    assert first == {
        "id": people["anna"],
        "name": "Anna Nowak",
        "email": "anna@example.pl",
        "phone": "+48500100200",
        "language": None,
        "flags": [],
        "last_seen_at": "2025-05-05T09:30:00Z",
        "created_at": first["created_at"],
        "open_cases": 1,
    }
    assert [c["open_cases"] for c in response["items"]] == [1, 1, 0]


LIST_SEARCHES = [
    ("anna", ["anna"]),
    ("kowal", ["jan"]),
    ("JAN@EXAMPLE.PL", ["jan"]),
    ("ewa@", ["ewa"]),
    ("500-100-200", ["anna"]),
    ("+48 500 100 200", ["anna"]),
    ("example.pl", []),
    ("%", []),
    ("nikt", []),
]


def test_list_search(people, agent):
    for q, expected in LIST_SEARCHES:
        assert listed(agent, q=q) == [people[k] for k in expected], q


def test_list_walks_all_pages_and_leaves_merged_out(db, people, agent):
    pages, cursor = [], None
    while True:
        response = agent.client.get(
            "/api/v1/customers", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        pages.append([c["id"] for c in response.json()["items"]])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == [[people["anna"], people["jan"]], [people["ewa"]]]
    assert agent.client.post(
        f"/api/v1/customers/{people['ewa']}/merge", json={"into_customer_id": people["jan"]}
    )
    assert listed(agent) == [people["anna"], people["jan"]]


def test_list_bad_parameters(agent):
    for params in [{"limit": 0}, {"limit": 101}, {"q": "x" * 201}, {"sort": "name"}]:
        response = agent.client.get("/api/v1/customers", params=params)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input"), params
    bad_cursors = [
        "???",
        encode_cursor("cases:waiting", 0, None, "x"),
        encode_cursor("customers:last_seen_at", None, "x"),
    ]
    for cursor in bad_cursors:
        response = agent.client.get("/api/v1/customers", params={"cursor": cursor})
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_cursor"), cursor


def test_panel_shows_identities_orders_cases_and_surveys(db, workspace, people, agent):
    old = make_order(db, workspace, "ZAM10001", placed_at=T0 - timedelta(days=30))
    new = make_order(db, workspace, "ZAM10002", tracking="620999", placed_at=T0)
    make_order(db, workspace, "ZAM99999", email="jan@example.pl")
    db.add_all(
        [
            SurveyResponse(
                workspace_id=workspace.id,
                customer_id=people["anna"],
                case_id=people["anna_case"],
                kind="csat",
                score=4,
            ),
            SurveyResponse(
                workspace_id=workspace.id, customer_id=people["anna"], kind="nps", score=9, comment="Super"
            ),
            SurveyResponse(workspace_id=workspace.id, customer_id=people["jan"], kind="csat", score=1),
        ]
    )
    db.commit()

    response = agent.client.get(f"/api/v1/customers/{people['anna']}")

    assert response.status_code == 200
    body = response.json()
    assert body["customer"]["name"] == "Anna Nowak"
    assert body["customer"]["merged_into_id"] is None
    assert [(i["kind"], i["value"], i["verified"]) for i in body["identities"]] == [
        ("email", "anna@example.pl", True),
        ("phone", "+48500100200", False),
    ]
    assert [o["id"] for o in body["orders"]] == [new.id, old.id]
    assert [s["tracking_number"] for s in body["orders"][0]["shipments"]] == ["620999"]
    assert [i["name"] for i in body["orders"][0]["items"]] == ["Buty trekkingowe"]
    (case,) = body["cases"]
    assert (case["id"], case["number"], case["status"], case["outcome"], case["csat_score"]) == (
        people["anna_case"],
        1,
        "new",
        "open",
        4,
    )
    assert [(s["kind"], s["score"]) for s in body["csat"]] == [("csat", 4)]
    assert [(s["kind"], s["score"], s["comment"]) for s in body["nps"]] == [("nps", 9, "Super")]
    assert body["merges"] == []


def test_panel_outcomes(db, people, agent):
    ewa = agent.client.get(f"/api/v1/customers/{people['ewa']}").json()
    assert [(c["status"], c["outcome"]) for c in ewa["cases"]] == [("closed", "resolved")]


# --- Edits -----------------------------------------------------------------------------------------------


def audit(db, workspace_id: str) -> list[tuple[str, str | None, dict]]:  # type: ignore[no-untyped-def]
    with reading(db):
        entries = db.scalars(
            select(AuditEntry).where(AuditEntry.workspace_id == workspace_id).order_by(AuditEntry.seq)
        )
        result = [(e.action, e.subject_id, e.data) for e in entries]
        assert verify_chain(db, workspace_id) is None
        return result


def test_update_changes_fields_and_is_audited(db, workspace, people, agent, events):
    response = agent.client.patch(
        f"/api/v1/customers/{people['jan']}",
        json={"name": "  Jan   Kowalski-Nowak ", "language": "uk", "flags": {"vip": True, "watch": True}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["language"], body["flags"]) == ("Jan Kowalski-Nowak", "uk", ["vip", "watch"])
    assert agent.client.patch(f"/api/v1/customers/{people['jan']}", json={"flags": {"vip": False}}).json()[
        "flags"
    ] == ["watch"]
    assert audit(db, workspace.id) == [
        ("customer.update", people["jan"], {"fields": ["name", "language", "flags.vip", "flags.watch"]}),
        ("customer.update", people["jan"], {"fields": ["flags.vip"]}),
    ]
    assert [e.data["customer"]["id"] for e in events if e.kind == "customer.updated"] == [people["jan"]] * 2
    assert (
        agent.client.patch(f"/api/v1/customers/{people['jan']}", json={"name": None}).json()["name"] is None
    )


def test_update_without_change_is_not_audited(db, workspace, people, agent):
    response = agent.client.patch(
        f"/api/v1/customers/{people['jan']}", json={"name": "Jan Kowalski", "flags": {}}
    )
    assert response.status_code == 200
    assert audit(db, workspace.id) == []


BAD_UPDATES = [
    {"name": ""},
    {"name": "   "},
    {"name": "x" * 201},
    {"language": "polski"},
    {"language": "PL"},
    {"flags": {"blocked": True}},
    {"flags": {"vip": "tak"}},
    {"email": "inny@example.pl"},
]


def test_bad_updates_are_refused(db, workspace, people, agent):
    for body in BAD_UPDATES:
        response = agent.client.patch(f"/api/v1/customers/{people['jan']}", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input"), body
    with reading(db):
        jan = db.get(Customer, people["jan"])
        assert (jan.name, jan.language, jan.flags, jan.email) == ("Jan Kowalski", None, [], "jan@example.pl")
    assert audit(db, workspace.id) == []


# --- Merge and undo --------------------------------------------------------------------------------------


def ownership(db) -> dict:  # type: ignore[no-untyped-def]
    with reading(db):
        return {
            model.__tablename__: sorted(tuple(r) for r in db.execute(select(model.id, model.customer_id)))
            for model in (Identity, Thread, Case, Message, Order)
        } | {"merged": sorted(tuple(r) for r in db.execute(select(Customer.id, Customer.merged_into_id)))}


def test_merge_moves_everything_and_undo_restores_exactly(db, workspace, people, agent, events):
    make_order(db, workspace, "ZAM55555", email="jan@example.pl", customer_id=people["jan"])
    db.commit()
    before = ownership(db)

    response = agent.client.post(
        f"/api/v1/customers/{people['jan']}/merge", json={"into_customer_id": people["anna"]}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    merge = body["merge"]
    assert (merge["source_id"], merge["target_id"], merge["reason"], merge["by_user_id"]) == (
        people["jan"],
        people["anna"],
        "manual",
        agent.user.id,
    )
    assert {k: len(v) for k, v in merge["moved"].items()} == {
        "identities": 1,
        "threads": 1,
        "cases": 1,
        "messages": 1,
        "orders": 1,
        "survey_responses": 0,
    }
    assert body["source"]["merged_into_id"] == people["anna"]
    after = ownership(db)
    assert {
        owner
        for table in ("identities", "threads", "cases", "messages", "orders")
        for _, owner in after[table]
    } <= {
        people["anna"],
        people["ewa"],
    }
    panel = agent.client.get(f"/api/v1/customers/{people['anna']}").json()
    assert [m["id"] for m in panel["merges"]] == [merge["id"]]
    assert len(panel["cases"]) == 2
    assert audit(db, workspace.id)[0] == (
        "customer.merge",
        people["anna"],
        {
            "merge_id": merge["id"],
            "source_id": people["jan"],
            "moved": {k: len(v) for k, v in merge["moved"].items()},
        },
    )

    undo = agent.client.post(f"/api/v1/customer-merges/{merge['id']}/undo")

    assert undo.status_code == 200, undo.text
    assert undo.json()["merge"]["undone_at"] is not None
    assert undo.json()["source"]["merged_into_id"] is None
    assert ownership(db) == before
    # (Reads of the customer are audited too: "customer.read".)
    assert [a[0] for a in audit(db, workspace.id) if a[0] != "customer.read"] == [
        "customer.merge",
        "customer.unmerge",
    ]
    again = agent.client.post(f"/api/v1/customer-merges/{merge['id']}/undo")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_undone")
    assert ownership(db) == before


def test_undo_of_an_automatic_merge(db, workspace, agent):
    email = resolve_customer(db, workspace.id, [IdentityClaim(IdentityKind.EMAIL, "o@x.pl", True)])
    phone = resolve_customer(db, workspace.id, [IdentityClaim(IdentityKind.PHONE, "600700800", True)])
    db.commit()
    before = ownership(db)
    resolve_customer(
        db,
        workspace.id,
        [
            IdentityClaim(IdentityKind.EMAIL, "o@x.pl", True),
            IdentityClaim(IdentityKind.PHONE, "600700800", True),
        ],
    )
    db.commit()
    merge_id = db.scalars(select(CustomerMerge.id)).one()
    db.rollback()
    assert agent.client.post(f"/api/v1/customer-merges/{merge_id}/undo").status_code == 200
    assert ownership(db) == before
    assert {email.id, phone.id} == {c for c, _ in before["merged"]}


def test_refused_merges_change_nothing(db, workspace, people, agent):
    before = ownership(db)
    refused = [
        (people["jan"], people["jan"], 422, "same_customer"),
        (people["jan"], "01nosuch", 404, "not_found"),
        (people["jan"], "", 422, "invalid_input"),
    ]
    for source, target, status, code in refused:
        response = agent.client.post(f"/api/v1/customers/{source}/merge", json={"into_customer_id": target})
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), target
    for body in [{}, {"into_customer_id": "x", "force": True}]:
        response = agent.client.post(f"/api/v1/customers/{people['jan']}/merge", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_input"), body
    assert ownership(db) == before
    assert audit(db, workspace.id) == []


def test_merged_customers_cannot_merge_again(db, people, agent):
    assert agent.client.post(
        f"/api/v1/customers/{people['jan']}/merge", json={"into_customer_id": people["anna"]}
    )
    before = ownership(db)
    again = agent.client.post(
        f"/api/v1/customers/{people['jan']}/merge", json={"into_customer_id": people["ewa"]}
    )
    into_merged = agent.client.post(
        f"/api/v1/customers/{people['ewa']}/merge", json={"into_customer_id": people["jan"]}
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_merged")
    assert (into_merged.status_code, into_merged.json()["error"]["code"]) == (409, "target_merged")
    assert ownership(db) == before


def test_undo_goes_newest_first(db, people, agent):
    first = agent.client.post(
        f"/api/v1/customers/{people['jan']}/merge", json={"into_customer_id": people["anna"]}
    )
    second = agent.client.post(
        f"/api/v1/customers/{people['anna']}/merge", json={"into_customer_id": people["ewa"]}
    )
    before = ownership(db)
    refused = agent.client.post(f"/api/v1/customer-merges/{first.json()['merge']['id']}/undo")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "undo_newer_first")
    assert ownership(db) == before
    assert (
        agent.client.post(f"/api/v1/customer-merges/{second.json()['merge']['id']}/undo").status_code == 200
    )
    assert agent.client.post(f"/api/v1/customer-merges/{first.json()['merge']['id']}/undo").status_code == 200
