"""Data subject requests: raised by an agent (also from a case), answered by an admin with a complete
export archive or an erasure, tracked against the one-month deadline, audited, scoped to the workspace."""

import io
import json
import zipfile
from datetime import UTC, datetime

from sqlalchemy import select

from sprawa.channels.base import InboundAttachment
from sprawa.platform.audit import AuditEntry
from sprawa.privacy.actions.requests import one_month_after
from tests.cases.factories import inbound
from tests.factories import assert_error


def _open(actor, **body):
    body = {"kind": "access", "identity_kind": "email", "identity_value": "anna@example.pl", **body}
    return actor.client.post("/api/v1/privacy/requests", json=body)


def test_one_month_deadline_handles_short_months():
    assert one_month_after(datetime(2026, 1, 31, 9, tzinfo=UTC)) == datetime(2026, 2, 28, 9, tzinfo=UTC)
    assert one_month_after(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 15, tzinfo=UTC)


def test_agent_raises_a_request_from_a_case_and_the_admin_exports_everything(
    db, runtime, channel, agent, admin
):
    photo = InboundAttachment("paragon.pdf", "application/pdf", b"%PDF paragon")
    message = inbound(db, runtime, channel, "Proszę o kopię moich danych", attachments=[photo])
    db.commit()
    agent.client.post(
        f"/api/v1/cases/{message.case_id}/notes", json={"text": "Prośba RODO"}
    ).raise_for_status()

    opened = _open(agent, identity_kind="phone", identity_value="+48 600 000 000", case_id=message.case_id)
    assert opened.status_code == 201, opened.text
    request = opened.json()
    assert request["customer_id"] == message.customer_id  # the case's customer, whatever identity was named
    assert request["status"] == "open"
    received = datetime.fromisoformat(request["received_at"])
    assert datetime.fromisoformat(request["due_at"]) == one_month_after(received)

    assert_error(agent.client.post(f"/api/v1/privacy/requests/{request['id']}/export"), 403, "admin_only")
    admin.client.get(f"/api/v1/customers/{message.customer_id}").raise_for_status()
    response = admin.client.post(f"/api/v1/privacy/requests/{request['id']}/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    tables = data["tables"]
    assert [c["id"] for c in tables["customers"]] == [message.customer_id]
    assert {m["body_text"] for m in tables["messages"]} == {"Proszę o kopię moich danych"}
    assert [n["body_text"] for n in tables["notes"]] == ["Prośba RODO"]
    assert {i["value"] for i in tables["identities"]} == {"anna@example.pl"}
    [file] = data["files"]
    assert archive.read(file["path"]) == b"%PDF paragon"
    assert all("password_hash" not in row for rows in tables.values() for row in rows)
    assert [e["action"] for e in data["audit_entries"]] == ["customer.read"]  # who saw the record

    done = admin.client.get(f"/api/v1/privacy/requests/{request['id']}").json()
    assert done["status"] == "completed" and done["result"]["files"] == 1
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    db.rollback()
    assert "privacy.request_opened" in actions and "privacy.export" in actions


def test_requests_are_scoped_and_validated(db, runtime, channel, agent, admin, outsider, viewer):
    message = inbound(db, runtime, channel, "Usuńcie moje dane")
    db.commit()
    assert_error(_open(viewer), 403, "read_only_role")
    assert_error(_open(agent, identity_kind="phone", identity_value="abc"), 422, "invalid_phone")
    assert _open(agent, identity_kind="fax").status_code == 422
    assert _open(agent, extra="x").status_code == 422  # explicit schema: unknown fields are errors
    assert_error(_open(outsider, case_id=message.case_id), 404, "not_found")
    request = _open(agent, kind="erasure").json()
    for path in ("", "/export", "/erase"):
        method = "get" if not path else "post"
        response = getattr(outsider.client, method)(f"/api/v1/privacy/requests/{request['id']}{path}")
        assert response.status_code == 404
    assert outsider.client.get("/api/v1/privacy/requests").json()["items"] == []
    assert [r["id"] for r in admin.client.get("/api/v1/privacy/requests").json()["items"]] == [request["id"]]


def test_a_person_we_hold_nothing_about_and_a_rejection(agent, admin):
    request = _open(agent, identity_value="nikt@example.pl").json()
    assert request["customer_id"] is None
    assert_error(admin.client.post(f"/api/v1/privacy/requests/{request['id']}/export"), 409, "no_data")
    rejected = admin.client.post(
        f"/api/v1/privacy/requests/{request['id']}/reject", json={"reason": "Nie potwierdzono tożsamości"}
    )
    assert rejected.json()["status"] == "rejected"
    assert_error(admin.client.post(f"/api/v1/privacy/requests/{request['id']}/erase"), 409, "request_closed")


def test_find_a_subject_by_any_identity(db, runtime, channel, admin, agent):
    message = inbound(db, runtime, channel, "Dzień dobry", email="Ola@Example.PL", name="Ola Kot")
    db.commit()
    found = admin.client.get("/api/v1/privacy/subjects", params={"kind": "email", "value": "ola@example.pl "})
    assert [s["customer_id"] for s in found.json()] == [message.customer_id]
    assert found.json()[0]["cases"] == 1
    nobody = admin.client.get("/api/v1/privacy/subjects", params={"kind": "phone", "value": "not a phone"})
    assert nobody.json() == []
    assert (
        agent.client.get("/api/v1/privacy/subjects", params={"kind": "email", "value": "x@y.pl"}).status_code
        == 403
    )
