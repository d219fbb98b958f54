"""Agents' files in the widget: listed on the visitor's messages (history, catch-up, live) and
downloadable with the visitor token only, only from the visitor's own conversation, never a note's."""

from sqlalchemy import select

from sprawa.cases.models import Attachment, Message, Note
from tests.channels.webchat.conftest import bearer, start_session
from tests.channels.webchat.live import receive_backlog, receive_until

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _write(client, visitor, text="Proszę o fakturę", cid="m1") -> str:
    response = client.post(
        "/widget/v1/messages", json={"client_message_id": cid, "text": text}, headers=bearer(visitor)
    )
    assert response.status_code == 200, response.text
    return response.json()["case_id"]


def _reply_with(agent, case_id, *files) -> dict:
    ids = []
    for name, data in files:
        upload = agent.client.post(f"/api/v1/cases/{case_id}/attachments", files={"file": (name, data)})
        assert upload.status_code == 201, upload.text
        ids.append(upload.json()["id"])
    reply = agent.client.post(
        f"/api/v1/cases/{case_id}/replies", json={"text": "W załączniku.", "attachment_ids": ids}
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_agent_files_are_listed_in_history_and_downloadable_by_the_visitor(client, db, visitor, agent):
    case_id = _write(client, visitor)
    _reply_with(agent, case_id, ("faktura.pdf", PDF), ("paczka.png", PNG))

    history = client.get("/widget/v1/messages", headers=bearer(visitor)).json()

    reply = history["messages"][-1]
    assert (reply["author"], reply["text"]) == ("agent", "W załączniku.")
    assert [(f["filename"], f["content_type"], f["size"]) for f in reply["files"]] == [
        ("faktura.pdf", "application/pdf", len(PDF)),
        ("paczka.png", "image/png", len(PNG)),
    ]
    assert history["messages"][0]["files"] == []
    pdf = client.get(f"/widget/v1/files/{reply['files'][0]['id']}", headers=bearer(visitor))
    assert pdf.status_code == 200
    assert pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment")
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert pdf.headers["access-control-allow-origin"] == "*"
    png = client.get(f"/widget/v1/files/{reply['files'][1]['id']}", headers=bearer(visitor))
    assert (png.status_code, png.content) == (200, PNG)


def test_files_are_only_for_their_own_visitor_and_never_notes_or_unsent_uploads(
    client, db, chat, visitor, agent
):
    case_id = _write(client, visitor)
    reply = _reply_with(agent, case_id, ("faktura.pdf", PDF))
    other = start_session(client, chat, name="Ewa")
    _write(client, other, "Ja też mam pytanie", cid="o1")
    unsent = agent.client.post(f"/api/v1/cases/{case_id}/attachments", files={"file": ("x.pdf", PDF)})
    attachment = db.scalars(select(Attachment).where(Attachment.message_id == reply["id"])).one()
    note = Note(workspace_id=attachment.workspace_id, case_id=case_id, body_text="wewnętrzne")
    db.add(note)
    db.flush()
    note_file = Attachment(
        workspace_id=attachment.workspace_id,
        note_id=note.id,
        filename="notatka.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=attachment.sha256,
        storage_key=attachment.storage_key,
    )
    db.add(note_file)
    db.commit()
    note_file_id, attachment_id = note_file.id, attachment.id

    assert client.get(f"/widget/v1/files/{attachment_id}", headers=bearer(other)).status_code == 404
    assert client.get(f"/widget/v1/files/{attachment_id}").status_code == 401
    mine = client.get(f"/widget/v1/files/{unsent.json()['id']}", headers=bearer(visitor))
    assert (mine.status_code, mine.json()["error"]["code"]) == (404, "file_not_found")
    assert client.get(f"/widget/v1/files/{note_file_id}", headers=bearer(visitor)).status_code == 404
    assert client.get(f"/widget/v1/files/{attachment_id}", headers=bearer(visitor)).status_code == 200
    others = client.get("/widget/v1/messages", headers=bearer(other)).json()
    assert [f for m in others["messages"] for f in m["files"]] == []


def test_a_live_reply_carries_its_files(client, db, visitor, agent):
    case_id = _write(client, visitor)
    query = f"token={visitor['visitor_token']}&case_id={case_id}&after_seq=1"
    with client.websocket_connect(f"/widget/v1/ws?{query}") as ws:
        receive_backlog(ws)
        _reply_with(agent, case_id, ("paczka.png", PNG))
        frame, _ = receive_until(ws, lambda f: f["type"] == "message")

    assert frame["message"]["author"] == "agent"
    assert [(f["filename"], f["content_type"]) for f in frame["message"]["files"]] == [
        ("paczka.png", "image/png")
    ]
    stored = db.scalars(select(Message).where(Message.id == frame["message"]["id"])).one()
    assert stored.case_id == case_id
    db.rollback()
