"""Typed, versioned shop policies through the admin API."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from sprawa.platform.audit import AuditEntry
from sprawa.workspaces.models import Policy, PolicyKind, Team
from sprawa.workspaces.queries import active_policy, typed_policy
from tests.factories import assert_error, make_actor

VALID = {
    "returns": {"window_days": 30, "return_shipping_paid_by": "shop"},
    "cancellation": {"allowed_order_states": ["new", "paid"]},
    "order_changes": {"allowed_order_states": ["new"], "allowed_changes": ["address", "items"]},
    "refunds": {"methods": ["original_payment", "gift_card"], "refund_within_days": 7},
    "compensation": {"max_amount_pln": "25.50", "kinds": ["free_shipping_code", "discount_code"]},
    "escalation": {"rules": [{"reason": "complaint", "priority": "high"}], "ai_turn_limit": 3},
    "business_hours": {
        "timezone": "Europe/Warsaw",
        "days": {"mon": [{"start": "08:00", "end": "16:00"}], "sat": [{"start": "10:00", "end": "14:00"}]},
        "closed_dates": ["2025-12-25"],
    },
    "sla": {"first_response_minutes": 30, "resolution_hours": 48},
    "tone": {"address_form": "ty", "formality": "casual", "signature": "Zespół Sklepu"},
}
INVALID = {
    "returns": ({"window_days": 13}, "window_days"),
    "cancellation": ({"allowed_order_states": ["teleported"]}, "allowed_order_states.0"),
    "order_changes": ({"allowed_changes": ["price"]}, "allowed_changes.0"),
    "refunds": ({"methods": ["gift_card"]}, "methods"),
    "compensation": ({"max_amount_pln": "-1"}, "max_amount_pln"),
    "escalation": ({"rules": [{"reason": "complaint"}, {"reason": "complaint"}]}, "rules"),
    "business_hours": ({"days": {"mon": [{"start": "17:00", "end": "09:00"}]}}, "days.mon.0"),
    "sla": ({"first_response_minutes": 0}, "first_response_minutes"),
    "tone": ({"shout": True}, "shout"),
}


def test_every_kind_has_an_example():
    assert set(VALID) == set(INVALID) == {k.value for k in PolicyKind}


@pytest.mark.parametrize("kind", list(VALID))
def test_put_creates_a_typed_version(admin, db, workspace, kind):
    response = admin.client.put(f"/api/v1/policies/{kind}", json=VALID[kind])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["kind"], body["version"], body["active"], body["created_by_id"]) == (
        kind,
        1,
        True,
        admin.user.id,
    )
    # Stored with every default filled in, so readers never guess.
    stored = active_policy(db, workspace.id, PolicyKind(kind))
    assert stored == body["data"]
    assert typed_policy(db, workspace.id, PolicyKind(kind)).model_dump(mode="json") == stored
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "policy.updated")).all()
    assert (entry.subject_id, entry.data["kind"], entry.data["version"]) == (body["id"], kind, 1)


@pytest.mark.parametrize("kind", list(INVALID))
def test_put_refuses_invalid_data(admin, db, kind):
    data, field = INVALID[kind]
    response = admin.client.put(f"/api/v1/policies/{kind}", json=data)
    assert_error(response, 422, "invalid_policy")
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]
    assert db.scalars(select(Policy)).all() == []


def test_stored_values(admin, db, workspace):
    admin.client.put("/api/v1/policies/compensation", json=VALID["compensation"])
    admin.client.put("/api/v1/policies/business_hours", json=VALID["business_hours"])
    compensation = typed_policy(db, workspace.id, PolicyKind.COMPENSATION)
    assert compensation.max_amount_pln == Decimal("25.50")
    hours = active_policy(db, workspace.id, PolicyKind.BUSINESS_HOURS)
    assert hours["days"]["mon"] == [{"start": "08:00:00", "end": "16:00:00"}]
    assert typed_policy(db, workspace.id, PolicyKind.RETURNS).window_days == 14  # default, none saved


def test_new_versions_keep_the_old_ones(admin, db, workspace):
    for days in (20, 30, 45):
        assert admin.client.put("/api/v1/policies/returns", json={"window_days": days}).status_code == 200
    assert active_policy(db, workspace.id, PolicyKind.RETURNS)["window_days"] == 45
    rows = db.scalars(select(Policy).order_by(Policy.version)).all()
    assert [(r.version, r.active, r.data["window_days"]) for r in rows] == [
        (1, False, 20),
        (2, False, 30),
        (3, True, 45),
    ]
    db.commit()
    current = admin.client.get("/api/v1/policies/returns").json()
    assert (current["version"], current["data"]["window_days"]) == (3, 45)
    page = admin.client.get("/api/v1/policies/returns/history", params={"limit": 2}).json()
    assert [p["version"] for p in page["items"]] == [3, 2]
    rest = admin.client.get("/api/v1/policies/returns/history", params={"cursor": page["next_cursor"]}).json()
    assert ([p["version"] for p in rest["items"]], rest["next_cursor"]) == ([1], None)
    audit = db.scalars(select(AuditEntry.data).where(AuditEntry.action == "policy.updated")).all()
    assert [(a["version"], a["previous_version"]) for a in audit] == [(1, None), (2, 1), (3, 2)]


def test_list_shows_the_active_version_of_each_kind(admin, agent):
    admin.client.put("/api/v1/policies/sla", json={"first_response_minutes": 10})
    admin.client.put("/api/v1/policies/sla", json={"first_response_minutes": 20})
    admin.client.put("/api/v1/policies/tone", json={})
    listed = agent.client.get("/api/v1/policies").json()
    assert sorted((p["kind"], p["version"]) for p in listed) == [("sla", 2), ("tone", 1)]


def test_missing_and_unknown_kinds(admin):
    assert_error(admin.client.get("/api/v1/policies/returns"), 404, "no_policy")
    assert_error(admin.client.get("/api/v1/policies/loyalty"), 422, "invalid_input")
    assert_error(admin.client.put("/api/v1/policies/loyalty", json={}), 422, "invalid_input")
    assert_error(admin.client.put("/api/v1/policies/returns", json=[1, 2]), 422, "invalid_input")
    assert_error(
        admin.client.get("/api/v1/policies/returns/history", params={"cursor": "x"}), 422, "invalid_cursor"
    )


def test_escalation_routes_only_to_own_teams(admin, db, workspace, other_workspace):
    own = Team(workspace_id=workspace.id, name="Reklamacje")
    foreign = Team(workspace_id=other_workspace.id, name="Obcy")
    db.add_all([own, foreign])
    db.commit()
    rule = {"reason": "complaint", "team_id": foreign.id}
    response = admin.client.put("/api/v1/policies/escalation", json={"rules": [rule]})
    assert_error(response, 422, "unknown_team")
    assert db.scalars(select(Policy)).all() == []
    db.commit()
    rule["team_id"] = own.id
    assert admin.client.put("/api/v1/policies/escalation", json={"rules": [rule]}).status_code == 200


@pytest.mark.parametrize("role", ["agent", "viewer"])
def test_only_admins_write_policies(db, workspace, app, role):
    actor = make_actor(db, app, workspace, role)
    try:
        assert_error(
            actor.client.put("/api/v1/policies/returns", json={"window_days": 30}), 403, "admin_only"
        )
        assert actor.client.get("/api/v1/policies").json() == []
    finally:
        actor.client.close()
    assert db.scalars(select(Policy)).all() == []


@pytest.mark.parametrize(
    "path", ["/api/v1/policies", "/api/v1/policies/returns", "/api/v1/policies/returns/history"]
)
def test_another_workspaces_policies_stay_invisible(admin, outsider, db, workspace, path):
    admin.client.put("/api/v1/policies/returns", json={"window_days": 30})
    response = outsider.client.get(path)
    if path.endswith("returns"):
        assert_error(response, 404, "no_policy")
    else:
        items = response.json() if path.endswith("policies") else response.json()["items"]
        assert items == []


def test_outsider_writes_only_its_own_version(admin, outsider, db, workspace, other_workspace):
    admin.client.put("/api/v1/policies/returns", json={"window_days": 30})
    assert outsider.client.put("/api/v1/policies/returns", json={"window_days": 60}).json()["version"] == 1
    assert active_policy(db, workspace.id, PolicyKind.RETURNS)["window_days"] == 30
    assert active_policy(db, other_workspace.id, PolicyKind.RETURNS)["window_days"] == 60
