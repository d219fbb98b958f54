"""The widget's extras: its config, "talk to a person", photo/PDF upload with limits, e-mail capture."""

import gzip
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sprawa.ai.models import AICaseState, AIMode
from sprawa.cases.models import Attachment, AuthorKind, Case, CaseActivity, Message
from sprawa.channels.webchat.service import when_text
from sprawa.customers.models import Identity, IdentityKind
from tests.channels.webchat.conftest import bearer
from tests.factories import assert_error, count_rows

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _send(client, visitor, text="Dzień dobry", cid="m1"):
    response = client.post(
        "/widget/v1/messages", json={"client_message_id": cid, "text": text}, headers=bearer(visitor)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_talk_to_a_person_escalates_at_once_and_says_what_happens(client, db, visitor):
    ack = _send(client, visitor)
    first = client.post(
        "/widget/v1/handoff?lang=pl", json={"client_message_id": "h1"}, headers=bearer(visitor)
    )
    again = client.post(
        "/widget/v1/handoff?lang=pl", json={"client_message_id": "h2"}, headers=bearer(visitor)
    )

    assert first.status_code == 200, first.text
    assert first.json() == {"case_id": ack["case_id"], "open_now": True, "already": False}
    assert again.json()["already"] is True
    case = db.get(Case, ack["case_id"])
    assert case.escalated is True
    system = db.scalars(select(Message).where(Message.author_kind == AuthorKind.SYSTEM)).all()
    assert [m.body_text for m in system] == [
        "Przekazaliśmy rozmowę konsultantowi — odpisze tutaj, zwykle w ciągu kilku minut."
    ]
    kinds = db.scalars(select(CaseActivity.kind).where(CaseActivity.case_id == case.id)).all()
    assert kinds.count("escalated") == 1
    state = db.scalars(select(AICaseState).where(AICaseState.case_id == case.id)).one()
    assert state.mode == AIMode.HANDED_OFF
    history = client.get("/widget/v1/messages", headers=bearer(visitor)).json()
    assert [m["author"] for m in history["messages"]] == ["customer", "system"]
    db.rollback()


def test_talk_to_a_person_before_writing_opens_the_case_with_the_request(client, db, visitor):
    response = client.post(
        "/widget/v1/handoff?lang=en", json={"client_message_id": "h1"}, headers=bearer(visitor)
    )

    assert response.status_code == 200, response.text
    texts = [m["text"] for m in client.get("/widget/v1/messages", headers=bearer(visitor)).json()["messages"]]
    assert texts[0] == "I would like to talk to a person."
    assert texts[1].startswith("We have passed your conversation to a person")
    assert db.get(Case, response.json()["case_id"]).escalated is True
    db.rollback()


def test_closed_hours_wording_names_the_next_opening():
    zone = ZoneInfo("Europe/Warsaw")
    now = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # Monday 20:00 in Warsaw
    assert when_text("pl", now, datetime(2026, 11, 24, 8, 0, tzinfo=zone)) == "jutro od 08:00"
    assert when_text("en", now, datetime(2026, 11, 26, 9, 0, tzinfo=zone)) == "on Thursday from 09:00"
    assert when_text("pl", now, None) == "najszybciej, jak to możliwe"


def test_a_photo_is_stored_with_its_real_type_and_a_retry_stores_nothing_new(client, db, visitor):
    files = {"file": ("zdjęcie paczki.jpg", PNG, "image/jpeg")}
    first = client.post(
        "/widget/v1/attachments", data={"client_message_id": "f1"}, files=files, headers=bearer(visitor)
    )
    retry = client.post(
        "/widget/v1/attachments", data={"client_message_id": "f1"}, files=files, headers=bearer(visitor)
    )

    assert first.status_code == 201, first.text
    assert retry.json()["duplicate"] is True and retry.json()["message_id"] == first.json()["message_id"]
    attachment = db.scalars(select(Attachment)).one()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "zdjęcie paczki.jpg",
        "image/png",
        len(PNG),
    )
    assert db.get(Message, first.json()["message_id"]).body_text == "📎 zdjęcie paczki.jpg"
    db.rollback()


def test_files_that_are_not_photos_or_too_large_are_refused_clearly(client, db, visitor, monkeypatch):
    html = {"file": ("x.png", b"<html><script>alert(1)</script>", "image/png")}
    refused = client.post(
        "/widget/v1/attachments", data={"client_message_id": "f1"}, files=html, headers=bearer(visitor)
    )
    monkeypatch.setattr("sprawa.channels.webchat.service.MAX_FILE_BYTES", 10)
    big = client.post(
        "/widget/v1/attachments",
        data={"client_message_id": "f2"},
        files={"file": ("a.png", PNG, "image/png")},
        headers=bearer(visitor),
    )

    assert_error(refused, 422, "file_type")
    assert_error(big, 422, "file_too_large")
    assert count_rows(db, Attachment) == 0 and count_rows(db, Message) == 0


def test_left_email_joins_the_visitor_and_shows_on_the_case(client, db, visitor):
    ack = _send(client, visitor)
    response = client.post("/widget/v1/contact", json={"email": "Ola@Example.pl"}, headers=bearer(visitor))
    bad = client.post("/widget/v1/contact", json={"email": "nie-email"}, headers=bearer(visitor))

    assert response.status_code == 204
    assert bad.status_code == 422
    case = db.get(Case, ack["case_id"])
    email = db.scalars(select(Identity).where(Identity.kind == IdentityKind.EMAIL)).one()
    assert (email.customer_id, email.value, email.verified) == (case.customer_id, "ola@example.pl", False)
    activity = db.scalars(select(CaseActivity).where(CaseActivity.kind == "contact_email")).one()
    assert activity.data == {"email": "ola@example.pl"}
    db.rollback()


def test_widget_stays_small_and_needs_no_inline_code(client):
    script = client.get("/widget/v1/widget.js")
    css = client.get("/widget/v1/widget.css")

    assert len(gzip.compress(script.content)) + len(gzip.compress(css.content)) < 50 * 1024
    assert b"innerHTML" not in script.content and b"eval(" not in script.content
