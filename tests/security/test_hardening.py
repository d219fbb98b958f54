"""Security hardening across the product: headers, request size limits, cookie-less attachment downloads,
sessions and CSRF, login rate limit, secrets at rest with key rotation, explicit input schemas."""

import pytest
from sqlalchemy import select

from sprawa.channels.base import InboundAttachment
from sprawa.channels.models import Channel
from sprawa.platform.crypto import SecretBox
from sprawa.privacy.tasks import rotate_secrets
from tests.cases.factories import inbound
from tests.security.html_check import page_problems


def test_every_answer_carries_the_security_headers(client, agent):
    for response in (client.get("/login"), agent.client.get("/api/v1/auth/me"), client.get("/healthz")):
        csp = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-frame-options"] == "DENY"
    assert (
        client.get("/login").headers["content-security-policy"]
        != client.get("/login").headers["content-security-policy"]
    )  # a fresh nonce per answer


def test_oversized_bodies_are_refused_before_reading(client, agent, runtime):
    limit = runtime.settings.max_request_bytes
    big = b'{"text": "' + b"x" * (limit + 10) + b'"}'
    response = agent.client.post(
        "/api/v1/auth/tokens", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    def chunks():  # no Content-Length: counted while reading
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    streamed = client.post(
        "/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


def test_attachments_come_from_a_cookie_less_expiring_link(db, runtime, channel, agent, outsider, client):
    html = InboundAttachment("faktura.html", "text/html", b"<script>alert(1)</script>")
    message = inbound(db, runtime, channel, "Załącznik", attachments=[html])
    db.commit()
    [attachment] = agent.client.get(f"/api/v1/cases/{message.case_id}").json()["timeline"][0]["message"][
        "attachments"
    ]
    redirect = agent.client.get(f"/api/v1/attachments/{attachment['id']}", follow_redirects=False)
    assert redirect.status_code == 303
    link = redirect.headers["location"]
    assert link.startswith("/files/")
    client.cookies.clear()
    download = client.get(link)  # no session cookie needed, none set
    assert download.status_code == 200 and download.content == b"<script>alert(1)</script>"
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in download.headers["content-security-policy"]
    assert "set-cookie" not in download.headers
    assert client.get(link[:-4] + "abcd").status_code == 404  # forged
    assert (
        outsider.client.get(f"/api/v1/attachments/{attachment['id']}", follow_redirects=False).status_code
        == 404
    )


def test_expired_file_links_are_refused(db, runtime, channel, client, monkeypatch):
    from sprawa.cases import queries

    message = inbound(db, runtime, channel, "x", attachments=[InboundAttachment("a.txt", "text/plain", b"a")])
    db.commit()
    attachment_id = db.scalars(select(queries.Attachment.id)).one()
    db.rollback()
    old = queries.file_link(runtime.settings, attachment_id, now=0)
    assert message and client.get(old).status_code == 404


def test_cookie_writes_need_the_csrf_token_and_sessions_are_fresh(app, agent):
    from fastapi.testclient import TestClient

    no_csrf = TestClient(app)
    no_csrf.cookies = agent.client.cookies
    response = no_csrf.post("/api/v1/auth/tokens", json={"name": "x"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
    login = TestClient(app).post(
        "/api/v1/auth/login", json={"email": agent.user.email, "password": "correct-horse-42"}
    )
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    # A new login gets a new session token (no fixation): it differs from the one already in use.
    assert login.cookies["sprawa_session"] != agent.client.cookies["sprawa_session"]


def test_logins_are_rate_limited(client, agent):
    for _ in range(10):
        client.post("/api/v1/auth/login", json={"email": agent.user.email, "password": "wrong-password"})
    blocked = client.post(
        "/api/v1/auth/login", json={"email": agent.user.email, "password": "correct-horse-42"}
    )
    assert blocked.status_code == 429


def test_secrets_are_sealed_and_rotate_to_a_new_key(db, workspace):
    from tests.factories import make_channel

    old = SecretBox("old-key-0123456789")
    channel = make_channel(db, workspace, credentials_encrypted=old.seal({"token": "CANARY-SECRET"}))
    db.commit()
    assert "CANARY-SECRET" not in channel.credentials_encrypted
    new = SecretBox("new-key-9876543210", ["old-key-0123456789"])
    assert rotate_secrets(db, new) == 1
    db.commit()
    stored = db.scalars(select(Channel.credentials_encrypted)).one()
    db.rollback()
    assert SecretBox("new-key-9876543210").open(stored) == {"token": "CANARY-SECRET"}
    with pytest.raises(ValueError):
        old.open(stored)


@pytest.mark.parametrize("field", ["workspace_id", "role", "id", "password_hash", "is_admin"])
def test_unknown_fields_are_refused_not_assigned(admin, field):
    body = {"email": "nowy@example.pl", "name": "Nowy", "password": "bardzo-tajne-1", field: "x"}
    response = admin.client.post("/api/v1/users", json=body)
    assert response.status_code == 422, response.text


def test_the_html_checker_catches_what_it_must():
    assert page_problems('<img src=x onerror="alert(1)">', "n")
    assert page_problems('<a href=" javascript:alert(1)">x</a>', "n")
    assert page_problems("<script>alert(1)</script>", "n")
    assert page_problems('<div style="color:red">x</div>', "n")
    assert page_problems('<script nonce="n" src="/static/app.js"></script>', "n") == []
    assert page_problems("&lt;script&gt;alert(1)&lt;/script&gt;", "n") == []
