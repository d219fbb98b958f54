"""Workspace settings through the admin API."""

import pytest
from sqlalchemy import select

from sprawa.platform.audit import AuditEntry
from tests.factories import assert_error


def test_read_defaults(agent, workspace):
    body = agent.client.get("/api/v1/workspace").json()
    assert body == {
        "id": workspace.id,
        "slug": "sklep-a",
        "name": "Sklep testowy",
        "timezone": "Europe/Warsaw",
        "languages": ["pl", "en"],
        "default_language": "pl",
        "order_number_pattern": None,
        "link_window_minutes": 1440,
        "created_at": body["created_at"],
    }


def test_update_settings(admin, db, workspace):
    change = {
        "name": "Sklep Ani",
        "timezone": "Europe/Kyiv",
        "languages": ["pl", "uk", "pl"],
        "order_number_pattern": r"ZAM-\d{4,8}",
        "link_window_minutes": 120,
    }
    response = admin.client.patch("/api/v1/workspace", json=change)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["timezone"], body["languages"]) == ("Sklep Ani", "Europe/Kyiv", ["pl", "uk"])
    assert (body["order_number_pattern"], body["link_window_minutes"]) == (r"ZAM-\d{4,8}", 120)
    db.refresh(workspace)
    assert workspace.settings == {"order_number_pattern": r"ZAM-\d{4,8}", "link_window_minutes": 120}
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "workspace.updated")).all()
    assert entry.data["changes"]["timezone"] == {"from": "Europe/Warsaw", "to": "Europe/Kyiv"}
    db.commit()
    cleared = admin.client.patch("/api/v1/workspace", json={"order_number_pattern": None}).json()
    assert cleared["order_number_pattern"] is None
    db.refresh(workspace)
    assert workspace.settings == {"link_window_minutes": 120}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"timezone": "Europe/Atlantis"}, "invalid_input"),
        ({"timezone": "../../etc/passwd"}, "invalid_input"),
        ({"languages": ["pl", "fr"]}, "invalid_input"),
        ({"languages": []}, "invalid_input"),
        ({"order_number_pattern": "([A-Z]+)+"}, "invalid_input"),
        ({"order_number_pattern": "[unclosed"}, "invalid_input"),
        ({"order_number_pattern": ".*"}, "invalid_input"),
        ({"order_number_pattern": "X" * 201}, "invalid_input"),
        ({"link_window_minutes": 0}, "invalid_input"),
        ({"link_window_minutes": 10**9}, "invalid_input"),
        ({"name": None}, "invalid_input"),
        ({"slug": "inny"}, "invalid_input"),
        ({"languages": ["en"]}, "default_language_not_enabled"),
        ({"default_language": "de"}, "default_language_not_enabled"),
    ],
)
def test_bad_settings_are_refused(admin, db, workspace, change, code):
    assert_error(admin.client.patch("/api/v1/workspace", json=change), 422, code)
    db.refresh(workspace)
    assert (workspace.timezone, workspace.languages, workspace.settings) == (
        "Europe/Warsaw",
        ["pl", "en"],
        {},
    )


def test_languages_and_default_change_together(admin):
    body = admin.client.patch(
        "/api/v1/workspace", json={"languages": ["de"], "default_language": "de"}
    ).json()
    assert (body["languages"], body["default_language"]) == (["de"], "de")


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_only_admins_change_settings(db, workspace, app, role):
    from tests.factories import make_actor

    actor = make_actor(db, app, workspace, role)
    try:
        assert_error(actor.client.patch("/api/v1/workspace", json={"name": "Mój"}), 403, "admin_only")
    finally:
        actor.client.close()
    db.refresh(workspace)
    assert workspace.name == "Sklep testowy"


def test_each_admin_sees_and_changes_only_their_own_workspace(
    admin, outsider, db, workspace, other_workspace
):
    assert outsider.client.get("/api/v1/workspace").json()["id"] == other_workspace.id
    assert outsider.client.patch("/api/v1/workspace", json={"name": "Inny"}).status_code == 200
    db.refresh(workspace)
    assert workspace.name == "Sklep testowy"
    db.commit()
    assert admin.client.get("/api/v1/workspace").json()["name"] == "Sklep testowy"


def test_requires_login(client):
    assert_error(client.get("/api/v1/workspace"), 401, "not_authenticated")
