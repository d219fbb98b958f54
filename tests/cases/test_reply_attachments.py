"""Agents' files: upload to a case, send with a reply, delivered by adapters that take files."""

import email
from dataclasses import replace
from functools import partial

import pytest
from sqlalchemy import func, select

from sprawa.cases.models import Attachment, Message
from sprawa.channels.base import OutboundMessage, SendResult
from sprawa.channels.models import ChannelKind
from sprawa.channels.service import run_delivery_job
from sprawa.platform.jobs import Job, Worker
from tests.cases.factories import inbound, reading
from tests.factories import make_channel

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def message(db, runtime, channel):  # type: ignore[no-untyped-def]
    m = inbound(db, runtime, channel, "Proszę o fakturę.")
    db.commit()
    return m


def upload(actor, case_id: str, data: bytes, name: str = "faktura.pdf"):  # type: ignore[no-untyped-def]
    return actor.client.post(f"/api/v1/cases/{case_id}/attachments", files={"file": (name, data)})


def jobs(db) -> int:  # type: ignore[no-untyped-def]
    with reading(db):
        return db.scalar(select(func.count()).select_from(Job).where(Job.kind == "outbox.deliver"))


def test_upload_detects_the_type_from_the_bytes_and_stores_an_unsent_file(db, runtime, message, agent):
    response = upload(agent, message.case_id, PDF, name="faktura.exe")

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["content_type"], body["size"], body["filename"]) == (
        "application/pdf",
        len(PDF),
        "faktura.exe",
    )
    with reading(db):
        stored = db.get(Attachment, body["id"])
        assert stored is not None
        assert (stored.case_id, stored.message_id) == (message.case_id, None)
        assert runtime.ingest.store.path(stored.storage_key).read_bytes() == PDF


def test_upload_refuses_too_big_wrong_type_and_foreign_cases(
    db, runtime, message, agent, outsider, viewer, monkeypatch
):
    monkeypatch.setattr(runtime.settings, "attachment_max_bytes", len(PDF) + 10)
    too_big = upload(agent, message.case_id, PDF + b"\x00" * 11)
    assert (too_big.status_code, too_big.json()["error"]["code"]) == (422, "attachment_too_large")
    assert "za duży" in too_big.json()["error"]["message"]

    script = upload(agent, message.case_id, b"#!/bin/sh\nrm -rf /\n", name="faktura.pdf")
    assert (script.status_code, script.json()["error"]["code"]) == (422, "attachment_type_not_allowed")

    assert upload(outsider, message.case_id, PDF).status_code == 404
    assert upload(viewer, message.case_id, PDF).status_code == 403
    with reading(db):
        assert db.scalar(select(func.count()).select_from(Attachment)) == 0


def test_reply_binds_the_uploads_and_the_delivery_job_carries_them(db, runtime, message, agent, monkeypatch):
    file_id = upload(agent, message.case_id, PNG, name="zdjecie.png").json()["id"]

    reply = agent.client.post(
        f"/api/v1/cases/{message.case_id}/replies",
        json={"text": "W załączniku zdjęcie.", "attachment_ids": [file_id]},
    )

    assert reply.status_code == 201, reply.text
    with reading(db):
        assert db.get(Attachment, file_id).message_id == reply.json()["id"]
    again = agent.client.post(
        f"/api/v1/cases/{message.case_id}/replies", json={"text": "Jeszcze raz", "attachment_ids": [file_id]}
    )
    assert (again.status_code, again.json()["error"]["code"]) == (422, "invalid_attachment")

    sent: list[OutboundMessage] = []
    adapter = runtime.ingest.adapters[ChannelKind.WEBCHAT]
    monkeypatch.setattr(adapter, "send", lambda ch, cr, m: sent.append(m) or SendResult("x", delivered=True))
    db.commit()
    Worker(
        factory=runtime.factory, handlers={"outbox.deliver": partial(run_delivery_job, runtime.ingest)}
    ).run_once()
    assert [(a.filename, a.content_type, a.read()) for a in sent[0].attachments] == [
        ("zdjecie.png", "image/png", PNG)
    ]


def test_reply_with_files_on_a_channel_without_files_is_refused_before_anything_is_queued(
    db, runtime, workspace, agent
):
    form = make_channel(db, workspace, ChannelKind.FORM)
    db.commit()
    message = inbound(db, runtime, form, "Formularz: proszę o zwrot.")
    db.commit()
    file_id = upload(agent, message.case_id, PDF).json()["id"]
    before = jobs(db)

    response = agent.client.post(
        f"/api/v1/cases/{message.case_id}/replies", json={"text": "Proszę.", "attachment_ids": [file_id]}
    )

    assert (response.status_code, response.json()["error"]["code"]) == (409, "channel_no_attachments")
    assert "Ten kanał nie przyjmuje załączników" in response.json()["error"]["message"]
    assert jobs(db) == before
    with reading(db):
        assert db.scalar(select(func.count()).select_from(Message).where(Message.direction == "out")) == 0
        assert db.get(Attachment, file_id).message_id is None


def test_reply_refuses_another_case_upload(db, runtime, channel, message, agent):
    other = inbound(db, runtime, channel, "Inna sprawa", email="jan@example.pl", thread="t-2")
    db.commit()
    file_id = upload(agent, other.case_id, PDF).json()["id"]

    response = agent.client.post(
        f"/api/v1/cases/{message.case_id}/replies", json={"text": "Proszę.", "attachment_ids": [file_id]}
    )

    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_attachment")


def test_email_reply_carries_the_file_as_a_mime_part(runtime, tmp_path):
    from sprawa.channels.base import OutboundAttachment
    from sprawa.channels.models import Channel

    path = tmp_path / "f"
    path.write_bytes(PDF)
    adapter = runtime.ingest.adapters[ChannelKind.EMAIL]
    channel = Channel(id="01CHANNEL", settings={"address": "sklep@example.pl"})
    outbound = OutboundMessage(
        message_id="01MSG",
        case_number=7,
        thread_external_id="t",
        text="Faktura w załączniku.",
        html=None,
        subject="Faktura",
        recipient={"email": "anna@example.pl"},
        author_name=None,
        thread_id="01THREAD",
        attachments=[OutboundAttachment("faktura.pdf", "application/pdf", path)],
    )

    mail, _ = adapter.compose(channel, replace(outbound), "anna@example.pl")

    parsed = email.message_from_bytes(mail.as_bytes())
    parts = [p for p in parsed.walk() if p.get_filename()]
    assert [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in parts] == [
        ("faktura.pdf", "application/pdf", PDF)
    ]
