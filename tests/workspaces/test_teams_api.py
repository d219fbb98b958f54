"""Teams with skills and members through the admin API."""

import pytest
from sqlalchemy import select

from sprawa.auth.models import TeamMember
from sprawa.platform.audit import AuditEntry
from sprawa.workspaces.models import Team
from tests.factories import assert_error, count_rows, make_actor, make_user


def _team(db, workspace, name: str = "Zwroty", skills: list[str] | None = None) -> Team:
    team = Team(workspace_id=workspace.id, name=name, skills=skills or ["returns"])
    db.add(team)
    db.commit()
    return team


def test_create_get_update_delete(admin, db):
    response = admin.client.post(
        "/api/v1/teams", json={"name": " Zwroty ", "skills": ["returns", "en", "returns"]}
    )
    assert response.status_code == 201, response.text
    team = response.json()
    assert team == {
        "id": team["id"],
        "name": "Zwroty",
        "skills": ["returns", "en"],
        "member_ids": [],
        "created_at": team["created_at"],
    }
    assert admin.client.get(f"/api/v1/teams/{team['id']}").json() == team
    updated = admin.client.patch(f"/api/v1/teams/{team['id']}", json={"skills": ["b2b"]}).json()
    assert (updated["name"], updated["skills"]) == ("Zwroty", ["b2b"])
    assert admin.client.delete(f"/api/v1/teams/{team['id']}").status_code == 204
    assert_error(admin.client.get(f"/api/v1/teams/{team['id']}"), 404, "not_found")
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["team.created", "team.updated", "team.deleted"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"name": "A", "skills": ["Returns"]},
        {"name": "A", "skills": ["z wrotami"]},
        {"name": "A", "skills": [f"s{i}" for i in range(21)]},
        {"name": "A", "colour": "red"},
    ],
)
def test_bad_team_input(admin, db, body):
    assert_error(admin.client.post("/api/v1/teams", json=body), 422, "invalid_input")
    assert count_rows(db, Team) == 0


def test_team_names_are_unique_in_a_workspace(admin, outsider, db, workspace):
    team = _team(db, workspace)
    assert_error(admin.client.post("/api/v1/teams", json={"name": "zwroty"}), 409, "team_name_taken")
    other = _team(db, workspace, "B2B")
    assert_error(
        admin.client.patch(f"/api/v1/teams/{other.id}", json={"name": "Zwroty"}), 409, "team_name_taken"
    )
    # Another workspace may use the same name.
    assert outsider.client.post("/api/v1/teams", json={"name": "Zwroty"}).status_code == 201
    assert admin.client.patch(f"/api/v1/teams/{team.id}", json={"name": "Zwroty"}).status_code == 200
    assert_error(admin.client.patch(f"/api/v1/teams/{team.id}", json={"name": None}), 422, "invalid_input")


def test_members_of_the_same_workspace_only(admin, agent, outsider, db, workspace):
    team = _team(db, workspace)
    url = f"/api/v1/teams/{team.id}/members"
    response = admin.client.post(url, json={"user_id": agent.user.id})
    assert response.json()["member_ids"] == [agent.user.id]
    # Adding again changes nothing.
    assert admin.client.post(url, json={"user_id": agent.user.id}).json()["member_ids"] == [agent.user.id]
    assert admin.client.get(f"/api/v1/users/{agent.user.id}").json()["team_ids"] == [team.id]
    assert_error(admin.client.post(url, json={"user_id": outsider.user.id}), 404, "not_found")
    assert count_rows(db, TeamMember) == 1
    assert admin.client.delete(f"{url}/{agent.user.id}").status_code == 204
    assert_error(admin.client.delete(f"{url}/{agent.user.id}"), 404, "not_found")
    assert count_rows(db, TeamMember) == 0
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["team.member_added", "team.member_removed"]


def test_list_pages(admin, db, workspace):
    teams = [_team(db, workspace, f"Zespół {i}") for i in range(3)]
    member = make_user(db, workspace)
    db.add(TeamMember(team_id=teams[0].id, user_id=member.id))
    db.commit()
    ids = sorted(t.id for t in teams)
    first = admin.client.get("/api/v1/teams", params={"limit": 2}).json()
    assert [t["id"] for t in first["items"]] == ids[:2]
    second = admin.client.get("/api/v1/teams", params={"cursor": first["next_cursor"]}).json()
    assert ([t["id"] for t in second["items"]], second["next_cursor"]) == (ids[2:], None)
    by_id = {t["id"]: t for t in first["items"] + second["items"]}
    assert by_id[teams[0].id]["member_ids"] == [member.id]


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_only_admins_write_teams(db, workspace, app, role):
    team = _team(db, workspace)
    actor = make_actor(db, app, workspace, role)
    try:
        assert actor.client.get("/api/v1/teams").json()["items"][0]["id"] == team.id
        assert_error(actor.client.post("/api/v1/teams", json={"name": "Nowy"}), 403, "admin_only")
        assert_error(actor.client.patch(f"/api/v1/teams/{team.id}", json={"name": "Nowy"}), 403, "admin_only")
        assert_error(actor.client.delete(f"/api/v1/teams/{team.id}"), 403, "admin_only")
        url = f"/api/v1/teams/{team.id}/members"
        assert_error(actor.client.post(url, json={"user_id": actor.user.id}), 403, "admin_only")
    finally:
        actor.client.close()
    db.refresh(team)
    assert team.name == "Zwroty"
    assert count_rows(db, TeamMember) == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/teams/{team}", None),
        ("patch", "/api/v1/teams/{team}", {"name": "Przejęty"}),
        ("delete", "/api/v1/teams/{team}", None),
        ("post", "/api/v1/teams/{team}/members", {"user_id": "{own_user}"}),
        ("delete", "/api/v1/teams/{team}/members/{member}", None),
    ],
)
def test_another_workspaces_teams_are_not_found(outsider, db, workspace, method, path, body):
    team = _team(db, workspace)
    member = make_user(db, workspace)
    db.add(TeamMember(team_id=team.id, user_id=member.id))
    db.commit()
    ids = {"team": team.id, "member": member.id, "own_user": outsider.user.id}
    kwargs = {"json": {k: v.format(**ids) for k, v in body.items()}} if body else {}
    assert_error(getattr(outsider.client, method)(path.format(**ids), **kwargs), 404, "not_found")
    db.refresh(team)
    assert team.name == "Zwroty"
    assert db.scalars(select(TeamMember.user_id)).all() == [member.id]


def test_lists_show_only_the_own_workspace(outsider, db, workspace):
    _team(db, workspace)
    assert outsider.client.get("/api/v1/teams").json() == {"items": [], "next_cursor": None}


def test_changes_are_announced_after_commit_only(admin, runtime, monkeypatch, workspace):
    published = []
    monkeypatch.setattr(runtime.bus, "publish", published.append)
    team = admin.client.post("/api/v1/teams", json={"name": "Zwroty"}).json()
    assert_error(admin.client.post("/api/v1/teams", json={"name": "Zwroty"}), 409, "team_name_taken")
    assert [(e.kind, e.workspace_id, e.data) for e in published] == [
        ("team.created", workspace.id, {"id": team["id"], "name": "Zwroty"})
    ]
