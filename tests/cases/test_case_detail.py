"""A case's view (timeline, orders, AI decisions, link history) and resuming its messages by seq."""

from datetime import UTC, datetime
from decimal import Decimal

from sprawa.ai.models import AIDecision
from sprawa.cases.models import CaseActivity
from sprawa.channels.base import InboundAttachment
from tests.cases.factories import inbound, make_order


def test_detail_shows_timeline_orders_decisions_and_links(db, runtime, workspace, channel, agent):
    order = make_order(db, workspace, "ZAM12345", tracking="620111222333444555666777")
    first = inbound(
        db,
        runtime,
        channel,
        "Gdzie jest zamówienie ZAM12345?",
        attachments=[InboundAttachment("paragon.pdf", "application/pdf", b"%PDF-1.4 test")],
    )
    decision = AIDecision(
        workspace_id=workspace.id,
        case_id=first.case_id,
        message_ids=[first.id],
        language="pl",
        intent="order_status",
        intent_scores=[{"intent": "order_status", "score": 0.93}],
        chosen="answer",
        reason="order found, shipment in transit",
        latency_ms=12,
    )
    db.add(decision)
    db.commit()
    note = agent.client.post(f"/api/v1/cases/{first.case_id}/notes", json={"text": "Klientka VIP"}).json()
    reply = agent.client.post(
        f"/api/v1/cases/{first.case_id}/replies", json={"text": "Paczka jest w drodze."}
    ).json()
    assert agent.client.patch(f"/api/v1/cases/{first.case_id}", json={"priority": "high"}).status_code == 200

    response = agent.client.get(f"/api/v1/cases/{first.case_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["case"]["id"] == first.case_id
    assert body["case"]["number"] == 1
    assert body["case"]["status"] == "open"
    assert body["case"]["priority"] == "high"
    assert body["customer"] == {
        "id": first.customer_id,
        "name": "Anna Nowak",
        "email": "anna@example.pl",
        "phone": None,
        "language": None,
        "flags": [],
        "merged_into_id": None,
    }
    timeline = body["timeline"]
    assert [e["kind"] for e in timeline] == ["message", "note", "message", "activity"]
    inbound_entry = timeline[0]["message"]
    assert inbound_entry["id"] == first.id
    assert inbound_entry["seq"] == 1
    assert inbound_entry["direction"] == "in"
    assert inbound_entry["link_reason"] == "new matter"
    assert [(a["filename"], a["content_type"], a["size"]) for a in inbound_entry["attachments"]] == [
        ("paragon.pdf", "application/pdf", 13)
    ]
    assert timeline[1]["note"]["id"] == note["id"]
    assert timeline[1]["note"]["body_text"] == "Klientka VIP"
    assert timeline[2]["message"]["id"] == reply["id"]
    assert timeline[2]["message"]["attachments"] == []
    assert timeline[3]["activity"]["kind"] == "priority"
    assert timeline[3]["activity"]["data"] == {"from": "normal", "to": "high"}
    assert timeline[3]["activity"]["actor_user_id"] == agent.user.id
    assert body["timeline_truncated"] is False
    (linked,) = body["orders"]
    assert linked["id"] == order.id
    assert linked["number"] == "ZAM12345"
    assert linked["link_reason"] == "mentioned by the customer"
    assert Decimal(linked["total"]) == Decimal("199.90")
    assert [(i["sku"], i["quantity"]) for i in linked["items"]] == [("BUT-42", 1)]
    assert [(s["carrier"], s["tracking_number"], s["state"]) for s in linked["shipments"]] == [
        ("inpost", "620111222333444555666777", "in_transit")
    ]
    (ai,) = body["ai_decisions"]
    assert (ai["id"], ai["intent"], ai["chosen"], ai["message_ids"]) == (
        decision.id,
        "order_status",
        "answer",
        [first.id],
    )
    assert body["link_changes"] == []


def test_detail_lists_link_changes_of_both_cases(db, runtime, channel, agent):
    a = inbound(db, runtime, channel, "Pierwsza", thread="a")
    b = inbound(db, runtime, channel, "Druga", thread="b")
    db.commit()
    change = agent.client.post(f"/api/v1/cases/{b.case_id}/merge", json={"into_case_id": a.case_id}).json()[
        "change"
    ]
    for case_id in (a.case_id, b.case_id):
        links = agent.client.get(f"/api/v1/cases/{case_id}").json()["link_changes"]
        assert [(c["id"], c["kind"], c["source_case_id"], c["target_case_id"]) for c in links] == [
            (change["id"], "merge", b.case_id, a.case_id)
        ]


def test_timeline_entries_are_ordered_by_time(db, runtime, workspace, channel, agent):
    message = inbound(db, runtime, channel, "Wiadomość")
    early = datetime(2020, 1, 1, tzinfo=UTC)
    db.add(
        CaseActivity(
            workspace_id=workspace.id,
            case_id=message.case_id,
            actor_kind="system",
            kind="routed",
            created_at=early,
        )
    )
    db.commit()
    timeline = agent.client.get(f"/api/v1/cases/{message.case_id}").json()["timeline"]
    assert [(e["kind"], e["at"]) for e in timeline] == [
        ("activity", "2020-01-01T00:00:00Z"),
        ("message", message.created_at.isoformat().replace("+00:00", "Z")),
    ]


def test_messages_after_seq_resume_in_order(db, runtime, channel, agent):
    messages = [inbound(db, runtime, channel, f"Wiadomość {n}") for n in range(5)]
    db.commit()
    case_id = messages[0].case_id
    assert {m.case_id for m in messages} == {case_id}

    page = agent.client.get(f"/api/v1/cases/{case_id}/messages", params={"after_seq": 1, "limit": 2}).json()
    assert [(m["seq"], m["body_text"]) for m in page["items"]] == [(2, "Wiadomość 1"), (3, "Wiadomość 2")]
    assert page["has_more"] is True
    rest = agent.client.get(f"/api/v1/cases/{case_id}/messages", params={"after_seq": 3}).json()
    assert [m["seq"] for m in rest["items"]] == [4, 5]
    assert rest["has_more"] is False
    assert agent.client.get(f"/api/v1/cases/{case_id}/messages", params={"after_seq": 5}).json() == {
        "items": [],
        "has_more": False,
    }


def test_messages_bad_parameters(db, runtime, channel, agent):
    message = inbound(db, runtime, channel, "Wiadomość")
    db.commit()
    for params in ({"after_seq": -1}, {"limit": 0}, {"limit": 501}, {"after_seq": "x"}):
        response = agent.client.get(f"/api/v1/cases/{message.case_id}/messages", params=params)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_input"


def test_unknown_case_is_not_found(agent):
    for path in ("/api/v1/cases/01unknown", "/api/v1/cases/01unknown/messages"):
        response = agent.client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_attachments_download_as_files_only_in_their_workspace(db, runtime, channel, agent, outsider):
    photo = InboundAttachment("zdjęcie <paczki>.html", "text/html", b"<script>alert(1)</script>")
    message = inbound(db, runtime, channel, "Paczka przyszła zgnieciona", attachments=[photo])
    db.commit()
    [attachment] = agent.client.get(f"/api/v1/cases/{message.case_id}").json()["timeline"][0]["message"][
        "attachments"
    ]
    response = agent.client.get(f"/api/v1/attachments/{attachment['id']}")
    assert response.status_code == 200
    assert response.content == b"<script>alert(1)</script>"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert outsider.client.get(f"/api/v1/attachments/{attachment['id']}").status_code == 404
