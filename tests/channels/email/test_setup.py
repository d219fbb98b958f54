"""Channel setup through the API: creating an e-mail channel starts its poller; "test connection"."""

from sqlalchemy import select

from sprawa.platform.jobs import Job
from tests.channels.email.conftest import SHOP, email_settings


def _create(admin, imap_port: int, smtp_port: int, password: str) -> dict:
    body = {
        "kind": "email",
        "name": "Skrzynka sklepu",
        "settings": email_settings(imap_port, smtp_port),
        "credentials": {"username": SHOP, "password": password},
    }
    response = admin.client.post("/api/v1/channels", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_test_connection_says_what_works_and_what_not(db, admin, imap, sink):
    good = _create(admin, imap.port, sink.port, "tajne-haslo")
    assert admin.client.post(f"/api/v1/channels/{good['id']}/test").json() == {
        "ok": True,
        "message_pl": "Połączenie działa.",
        "message_en": "The connection works.",
    }
    bad = _create(admin, imap.port, sink.port, "zle-haslo")
    answer = admin.client.post(f"/api/v1/channels/{bad['id']}/test").json()
    assert answer == {
        "ok": False,
        "message_pl": "Serwer IMAP odrzucił login lub hasło.",
        "message_en": "The IMAP server refused the user name or password.",
    }
    assert "tajne-haslo" not in str(good) and "password" in good["credential_keys"]
    polls = db.scalars(select(Job.payload).where(Job.kind == "channels.poll")).all()
    assert sorted(p["channel_id"] for p in polls) == sorted([good["id"], bad["id"]])


def test_test_connection_is_for_admins_only(agent, admin, imap, sink):
    channel = _create(admin, imap.port, sink.port, "tajne-haslo")
    assert agent.client.post(f"/api/v1/channels/{channel['id']}/test").status_code == 403


def test_unreachable_server_is_named(admin, sink):
    channel = _create(admin, 1, sink.port, "x")
    answer = admin.client.post(f"/api/v1/channels/{channel['id']}/test").json()
    assert answer["ok"] is False
    assert answer["message_pl"].startswith("Nie udało się połączyć z serwerem IMAP 127.0.0.1:1")
