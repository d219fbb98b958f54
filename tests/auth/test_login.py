"""Login, sessions, CSRF, bearer tokens and the shared login rate limit."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sprawa.app import create_app
from sprawa.auth.models import ApiToken, AuthSession, LoginAttempt
from sprawa.auth.service import MAX_FAILED_LOGINS
from sprawa.db import utcnow
from sprawa.deps import SESSION_COOKIE
from sprawa.runtime import Runtime
from sprawa.workspaces.models import Team
from tests.factories import PASSWORD, assert_error, count_rows, make_actor, make_user


def _attempts(db, email: str) -> int:
    return count_rows(db, LoginAttempt, LoginAttempt.email == email)


def _login(client, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_login_sets_a_strict_session_cookie_and_returns_the_csrf_token(db, workspace, client):
    user = make_user(db, workspace, "agent", email="ola@example.pl")
    db.commit()
    response = _login(client, "  OLA@example.pl ")
    assert response.status_code == 200
    body = response.json()
    auth = db.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).one()
    assert body == {
        "user_id": user.id,
        "workspace_id": workspace.id,
        "name": user.name,
        "role": "agent",
        "csrf_token": auth.csrf_token,
    }
    cookie = response.headers["set-cookie"]
    parts = {p.strip().split("=")[0].lower(): p.strip() for p in cookie.split(";")}
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in parts
    assert parts["samesite"].lower() == "samesite=lax"
    assert parts["path"] == "Path=/"
    assert "secure" not in parts  # cookie_secure is off in tests; on behind https


def test_me_returns_the_csrf_token_of_a_cookie_session(admin, db):
    response = admin.client.get("/api/v1/auth/me")
    auth = db.scalars(select(AuthSession).where(AuthSession.user_id == admin.user.id)).one()
    assert response.json() == {
        "user_id": admin.user.id,
        "workspace_id": admin.user.workspace_id,
        "name": admin.user.name,
        "role": "admin",
        "csrf_token": auth.csrf_token,
    }


@pytest.mark.parametrize("email", ["ola@example.pl", "nikt@example.pl"])
def test_wrong_password_and_unknown_email_give_the_same_error(db, workspace, client, email):
    make_user(db, workspace, "agent", email="ola@example.pl")
    db.commit()
    response = _login(client, email, "wrong-password")
    assert response.json() == {
        "error": {"code": "bad_credentials", "message": "wrong e-mail or password", "details": None}
    }
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert count_rows(db, AuthSession) == 0
    assert _attempts(db, email) == 1


def test_inactive_user_cannot_log_in(db, workspace, client):
    make_user(db, workspace, "agent", email="byla@example.pl", active=False)
    db.commit()
    assert_error(_login(client, "byla@example.pl"), 401, "bad_credentials")


def test_ten_failures_lock_the_email_even_for_the_right_password(db, workspace, client):
    make_user(db, workspace, "agent", email="ola@example.pl")
    db.add_all(
        LoginAttempt(email="ola@example.pl", created_at=utcnow()) for _ in range(MAX_FAILED_LOGINS - 1)
    )
    db.commit()
    assert_error(_login(client, "ola@example.pl", "still-wrong"), 401, "bad_credentials")
    assert _attempts(db, "ola@example.pl") == MAX_FAILED_LOGINS
    response = _login(client, "ola@example.pl")
    assert_error(response, 429, "too_many_attempts")
    assert 1 <= response.json()["error"]["details"]["retry_after_seconds"] <= 15 * 60 + 1
    assert count_rows(db, AuthSession) == 0
    # Another e-mail is not affected.
    make_user(db, workspace, "agent", email="ewa@example.pl")
    db.commit()
    assert _login(client, "ewa@example.pl").status_code == 200


def test_failures_older_than_the_window_do_not_count_and_success_clears_them(db, workspace, client):
    make_user(db, workspace, "agent", email="ola@example.pl")
    old = utcnow() - timedelta(minutes=16)
    db.add_all(LoginAttempt(email="ola@example.pl", created_at=old) for _ in range(MAX_FAILED_LOGINS))
    db.add_all(LoginAttempt(email="ola@example.pl", created_at=utcnow()) for _ in range(3))
    db.commit()
    assert _login(client, "ola@example.pl").status_code == 200
    assert _attempts(db, "ola@example.pl") == 0


def test_the_limit_is_shared_by_several_servers(db, workspace, settings, app):
    """Attempts live in the database: failures on one server count on another."""
    make_user(db, workspace, "agent", email="ola@example.pl")
    db.add_all(
        LoginAttempt(email="ola@example.pl", created_at=utcnow()) for _ in range(MAX_FAILED_LOGINS - 2)
    )
    db.commit()
    second = Runtime.build(settings)
    try:
        with TestClient(app) as one, TestClient(create_app(runtime=second)) as two:
            assert_error(_login(one, "ola@example.pl", "nope-nope"), 401, "bad_credentials")
            assert_error(_login(two, "ola@example.pl", "nope-nope"), 401, "bad_credentials")
            assert_error(_login(one, "ola@example.pl"), 429, "too_many_attempts")
            assert_error(_login(two, "ola@example.pl"), 429, "too_many_attempts")
    finally:
        second.close()


def test_cookie_writes_need_the_csrf_header(db, workspace, client):
    user = make_user(db, workspace, "admin", email="szef@example.pl")
    db.commit()
    csrf = _login(client, user.email).json()["csrf_token"]
    assert_error(client.post("/api/v1/teams", json={"name": "Zwroty"}), 403, "csrf_failed")
    response = client.post("/api/v1/teams", json={"name": "Zwroty"}, headers={"X-CSRF-Token": "x" + csrf})
    assert_error(response, 403, "csrf_failed")
    assert count_rows(db, Team) == 0
    response = client.post("/api/v1/teams", json={"name": "Zwroty"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201
    # Reads need no CSRF header.
    assert client.get("/api/v1/teams").status_code == 200


def test_bearer_tokens_need_no_csrf_and_stop_working_once_revoked(admin, app, db):
    created = admin.client.post("/api/v1/auth/tokens", json={"name": "ERP", "role": "admin"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("spr_")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as bot:
        assert bot.post("/api/v1/teams", json={"name": "B2B"}).status_code == 201
        me = bot.get("/api/v1/auth/me").json()
        assert me["csrf_token"] is None
        assert me["role"] == "admin"
        assert admin.client.delete(f"/api/v1/auth/tokens/{created.json()['id']}").status_code == 204
        assert_error(bot.get("/api/v1/teams"), 401, "bad_token")
        assert_error(bot.post("/api/v1/teams", json={"name": "Inny"}), 401, "bad_token")
    db.expire_all()
    assert db.scalars(select(Team.name)).all() == ["B2B"]
    assert db.get(ApiToken, created.json()["id"]).revoked_at is not None


def test_viewer_cannot_write(db, workspace, app):
    viewer = make_actor(db, app, workspace, "viewer")
    try:
        assert viewer.client.get("/api/v1/teams").status_code == 200
        assert_error(viewer.client.post("/api/v1/teams", json={"name": "X"}), 403, "admin_only")
        assert_error(viewer.client.post("/api/v1/auth/tokens", json={"name": "X"}), 403, "admin_only")
        assert count_rows(db, Team) == 0
        assert count_rows(db, ApiToken) == 0
    finally:
        viewer.client.close()


def test_logout_invalidates_the_session(agent, app, db):
    cookie = agent.client.cookies[SESSION_COOKIE]
    assert agent.client.post("/api/v1/auth/logout").status_code == 204
    assert count_rows(db, AuthSession) == 0
    assert_error(agent.client.get("/api/v1/auth/me"), 401, "not_authenticated")
    with TestClient(app, cookies={SESSION_COOKIE: cookie}) as replay:
        assert_error(replay.get("/api/v1/auth/me"), 401, "not_authenticated")


def test_logout_needs_csrf(agent, db):
    response = agent.client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "wrong"})
    assert_error(response, 403, "csrf_failed")
    assert agent.client.get("/api/v1/auth/me").status_code == 200
