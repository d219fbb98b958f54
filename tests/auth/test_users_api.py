"""The workspace's users and API tokens through the admin API."""

import pytest
from sqlalchemy import select

from sprawa.auth.models import ApiToken, AuthSession, User
from sprawa.platform.audit import AuditEntry
from sprawa.platform.pagination import encode_cursor
from tests.factories import assert_error, count_rows, make_actor, make_user


def _audit(db, action: str) -> list[AuditEntry]:
    rows = list(db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)))
    db.commit()
    return rows


@pytest.fixture
def owner(db, workspace, app):
    actor = make_actor(db, app, workspace, "owner")
    yield actor
    actor.client.close()


@pytest.fixture
def viewer(db, workspace, app):
    actor = make_actor(db, app, workspace, "viewer")
    yield actor
    actor.client.close()


NEW_USER = {"email": "Nowa@Example.pl", "name": "Nowa Konsultantka", "password": "dobre-haslo-1"}


def test_admin_creates_a_user_who_can_log_in(admin, client, db):
    response = admin.client.post("/api/v1/users", json=NEW_USER)
    assert response.status_code == 201, response.text
    body = response.json()
    user = db.get(User, body["id"])
    assert body == {
        "id": user.id,
        "email": "nowa@example.pl",
        "name": "Nowa Konsultantka",
        "role": "agent",
        "language": "pl",
        "active": True,
        "created_at": body["created_at"],
        "team_ids": [],
    }
    assert user.workspace_id == admin.user.workspace_id
    assert "password" not in response.text and user.password_hash not in response.text
    [entry] = _audit(db, "user.created")
    assert (entry.actor_id, entry.subject_id, entry.data) == (
        admin.user.id,
        user.id,
        {"email": "nowa@example.pl", "role": "agent"},
    )
    login = client.post("/api/v1/auth/login", json={"email": "nowa@example.pl", "password": "dobre-haslo-1"})
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "krotkie"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"name": "  "}, "name"),
        ({"role": "boss"}, "role"),
        ({"language": "fr"}, "language"),
        ({"is_admin": True}, "is_admin"),
    ],
)
def test_create_user_rejects_bad_input(admin, db, change, field):
    response = admin.client.post("/api/v1/users", json={**NEW_USER, **change})
    assert_error(response, 422, "invalid_input")
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]
    assert count_rows(db, User, User.email == "nowa@example.pl") == 0


def test_email_is_unique(admin, outsider, db):
    assert_error(
        admin.client.post("/api/v1/users", json={**NEW_USER, "email": admin.user.email}), 409, "email_taken"
    )
    # Unique across workspaces too: one e-mail logs in to one workspace.
    taken = {**NEW_USER, "email": outsider.user.email.upper()}
    assert_error(admin.client.post("/api/v1/users", json=taken), 409, "email_taken")
    assert count_rows(db, User) == 2


def test_only_an_owner_creates_an_owner(admin, owner, db):
    assert_error(admin.client.post("/api/v1/users", json={**NEW_USER, "role": "owner"}), 403, "owner_only")
    assert count_rows(db, User, User.role == "owner") == 1
    response = owner.client.post("/api/v1/users", json={**NEW_USER, "role": "owner"})
    assert response.status_code == 201
    assert response.json()["role"] == "owner"


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_agents_and_viewers_cannot_manage_users(db, workspace, app, admin, role):
    actor = make_actor(db, app, workspace, role)
    try:
        assert_error(actor.client.post("/api/v1/users", json=NEW_USER), 403, "admin_only")
        assert_error(
            actor.client.patch(f"/api/v1/users/{admin.user.id}", json={"role": "viewer"}), 403, "admin_only"
        )
        assert actor.client.get("/api/v1/users").status_code == 200
    finally:
        actor.client.close()
    db.refresh(admin.user)
    assert admin.user.role == "admin"
    assert count_rows(db, User) == 2


def test_list_pages_by_cursor_and_filters(admin, db, workspace):
    users = [make_user(db, workspace, "agent") for _ in range(4)]
    inactive = make_user(db, workspace, "viewer", active=False)
    db.commit()
    # Ids sort by creation time (to the millisecond); pages follow id order.
    everyone = sorted([admin.user.id, *(u.id for u in users), inactive.id])
    first = admin.client.get("/api/v1/users", params={"limit": 3}).json()
    assert [u["id"] for u in first["items"]] == everyone[:3]
    second = admin.client.get("/api/v1/users", params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [u["id"] for u in second["items"]] == everyone[3:]
    assert second["next_cursor"] is None
    agents = admin.client.get("/api/v1/users", params={"role": "agent", "active": "true"}).json()
    assert [u["id"] for u in agents["items"]] == sorted(u.id for u in users)
    inactive = admin.client.get("/api/v1/users", params={"active": "false"}).json()
    assert [u["role"] for u in inactive["items"]] == ["viewer"]
    assert_error(admin.client.get("/api/v1/users", params={"limit": 101}), 422, "invalid_input")
    assert_error(admin.client.get("/api/v1/users", params={"cursor": "DROP TABLE"}), 422, "invalid_cursor")
    # A cursor of another list is refused rather than giving a wrong page.
    teams_cursor = encode_cursor("teams.id", everyone[0])
    assert_error(admin.client.get("/api/v1/users", params={"cursor": teams_cursor}), 422, "invalid_cursor")


def test_update_role_name_and_deactivate(admin, agent, db, app):
    response = admin.client.patch(
        f"/api/v1/users/{agent.user.id}", json={"role": "viewer", "name": "Ania K.", "language": "en"}
    )
    assert response.status_code == 200
    assert (response.json()["role"], response.json()["name"], response.json()["language"]) == (
        "viewer",
        "Ania K.",
        "en",
    )
    [entry] = _audit(db, "user.updated")
    assert entry.data == {
        "changes": {
            "role": {"from": "agent", "to": "viewer"},
            "name": {"from": "Konsultant agent", "to": "Ania K."},
            "language": {"from": "pl", "to": "en"},
        }
    }
    response = admin.client.patch(f"/api/v1/users/{agent.user.id}", json={"active": False})
    assert response.json()["active"] is False
    # Deactivation logs the user out everywhere.
    assert count_rows(db, AuthSession, AuthSession.user_id == agent.user.id) == 0
    assert_error(agent.client.get("/api/v1/auth/me"), 401, "not_authenticated")


def test_update_rejects_bad_input(admin, agent, db):
    url = f"/api/v1/users/{agent.user.id}"
    assert_error(admin.client.patch(url, json={"role": None}), 422, "invalid_input")
    assert_error(admin.client.patch(url, json={"email": "x@y.pl"}), 422, "invalid_input")
    assert_error(admin.client.patch(url, json={"active": "maybe"}), 422, "invalid_input")
    db.refresh(agent.user)
    assert (agent.user.role, agent.user.active) == ("agent", True)


def test_no_change_writes_no_audit(admin, agent, db):
    response = admin.client.patch(f"/api/v1/users/{agent.user.id}", json={"role": "agent"})
    assert response.status_code == 200
    assert _audit(db, "user.updated") == []


def test_the_last_owner_cannot_be_demoted_or_deactivated(owner, db, workspace, app):
    url = f"/api/v1/users/{owner.user.id}"
    assert_error(owner.client.patch(url, json={"role": "admin"}), 409, "last_owner")
    assert_error(owner.client.patch(url, json={"active": False}), 409, "last_owner")
    db.refresh(owner.user)
    assert (owner.user.role, owner.user.active) == ("owner", True)
    second = make_user(db, workspace, "owner")
    db.commit()
    assert owner.client.patch(url, json={"role": "admin"}).status_code == 200
    assert_error(owner.client.patch(f"/api/v1/users/{second.id}", json={"active": False}), 403, "owner_only")


def test_admin_cannot_touch_an_owner(admin, owner, db):
    url = f"/api/v1/users/{owner.user.id}"
    assert_error(admin.client.patch(url, json={"role": "agent"}), 403, "owner_only")
    assert_error(admin.client.patch(url, json={"active": False}), 403, "owner_only")
    assert_error(
        admin.client.patch(f"/api/v1/users/{admin.user.id}", json={"role": "owner"}), 403, "owner_only"
    )
    db.refresh(owner.user)
    assert owner.user.role == "owner"


def test_unknown_user_is_404(admin):
    assert_error(admin.client.get("/api/v1/users/00000000000000000000000000"), 404, "not_found")
    assert_error(admin.client.patch("/api/v1/users/nope", json={"name": "X"}), 404, "not_found")


# ------------------------------------------------------------------------------------------- tokens


def test_tokens_are_listed_without_their_secret_and_revoked(admin, db):
    created = admin.client.post("/api/v1/auth/tokens", json={"name": "Sklep", "role": "agent"}).json()
    listed = admin.client.get("/api/v1/auth/tokens").json()
    assert listed["next_cursor"] is None
    [item] = listed["items"]
    assert item == {
        "id": created["id"],
        "name": "Sklep",
        "role": "agent",
        "user_id": admin.user.id,
        "created_at": item["created_at"],
        "last_used_at": None,
        "revoked_at": None,
    }
    assert created["token"] not in str(listed)
    assert admin.client.delete(f"/api/v1/auth/tokens/{created['id']}").status_code == 204
    # Revoking again changes nothing.
    assert admin.client.delete(f"/api/v1/auth/tokens/{created['id']}").status_code == 204
    assert admin.client.get("/api/v1/auth/tokens").json()["items"][0]["revoked_at"] is not None
    assert [e.subject_id for e in _audit(db, "api_token.created")] == [created["id"]]
    assert [e.subject_id for e in _audit(db, "api_token.revoked")] == [created["id"]]


def test_token_input_is_checked(admin, agent, db):
    assert_error(
        admin.client.post("/api/v1/auth/tokens", json={"name": "X", "role": "owner"}), 422, "invalid_role"
    )
    assert_error(admin.client.post("/api/v1/auth/tokens", json={"name": ""}), 422, "invalid_input")
    assert_error(agent.client.get("/api/v1/auth/tokens"), 403, "admin_only")
    assert_error(admin.client.delete("/api/v1/auth/tokens/nope"), 404, "not_found")
    assert count_rows(db, ApiToken) == 0


# ------------------------------------------------------------------------------ cross-workspace denial


def _ids(db, workspace, admin):
    user = make_user(db, workspace, "agent")
    token = ApiToken(workspace_id=workspace.id, name="t", role="agent", token_hash="h" * 64)
    db.add(token)
    db.commit()
    return {"user": user.id, "token": token.id}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/users/{user}", None),
        ("patch", "/api/v1/users/{user}", {"role": "viewer"}),
        ("patch", "/api/v1/users/{user}", {"active": False}),
        ("delete", "/api/v1/auth/tokens/{token}", None),
    ],
)
def test_another_workspaces_ids_are_not_found(admin, outsider, db, workspace, method, path, body):
    ids = _ids(db, workspace, admin)
    kwargs = {"json": body} if body is not None else {}
    assert_error(getattr(outsider.client, method)(path.format(**ids), **kwargs), 404, "not_found")
    user = db.get(User, ids["user"])
    token = db.get(ApiToken, ids["token"])
    assert (user.role, user.active, token.revoked_at) == ("agent", True, None)


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/auth/tokens"])
def test_lists_show_only_the_own_workspace(admin, outsider, db, workspace, path):
    _ids(db, workspace, admin)
    items = outsider.client.get(path).json()["items"]
    assert {i.get("email", outsider.user.email) for i in items} <= {outsider.user.email}
    assert len(items) == (1 if path.endswith("users") else 0)


def test_a_deactivated_users_api_token_stops_working(admin, agent, client):
    token = admin.client.post("/api/v1/auth/tokens", json={"name": "sklep", "role": "agent"}).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200
    other = admin.client.post(
        "/api/v1/users",
        json={"email": "drugi-admin@example.pl", "name": "Drugi", "role": "admin", "password": "haslo-12345"},
    )
    assert other.status_code == 201, other.text
    admin.client.patch(f"/api/v1/users/{admin.user.id}", json={"active": False})
    assert_error(client.get("/api/v1/auth/me", headers=bearer), 401, "bad_token")
