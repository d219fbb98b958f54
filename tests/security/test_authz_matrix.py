"""The authorisation matrix, generated from ``app.openapi()`` at test time (so endpoints added by any
feature are covered) and the WebSocket channels.

Principals: anonymous, widget visitors A and B, agents of teams X and Y, admins of workspaces 1 and 2, a
scoped API token (agent role). Objects: own, other team, other workspace, each seeded with canaries.
Pass: 0 unexpected 2xx (an id of another workspace, an agent endpoint without a login, an admin endpoint
for an agent), 0 canary bytes of a foreign scope in any response or live event, 0 server errors.

Policy encoded here: inside a workspace the inbox is shared, so an agent of team Y may read team X's case
(DESIGN: roles differ in writes, teams route work); workspaces and visitors are hard boundaries.
"""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sprawa.auth.models import User
from sprawa.auth.queries import principal_for_user
from sprawa.cases.events import VisitorView, agent_frame, may_receive
from sprawa.cases.models import Case
from sprawa.channels.models import Thread
from tests.security.openapi_requests import BodyMaker, fill_path, id_params, operations
from tests.security.world import NOTE1, VA, VB, W1X, W2, World, seed

PUBLIC = {
    ("POST", "/api/v1/auth/login"),
    ("GET", "/healthz"),
    ("POST", "/widget/v1/{channel_public_key}/sessions"),
}
# Ending one's own session in the middle of the matrix would only test the next requests less.
SKIP_FOR_STAFF = {("POST", "/api/v1/auth/logout")}
PRINCIPALS = [
    "anonymous",
    "visitor_a",
    "visitor_b",
    "agent_team_x",
    "agent_team_y",
    "admin_ws1",
    "admin_ws2",
    "api_token_ws1",
]


def _public(method: str, path: str) -> bool:
    """Endpoints anyone may call: login, health, signed provider webhooks, the widget's channel entry."""
    return (
        (method, path) in PUBLIC
        or path.startswith(("/api/v1/inbound/", "/api/v1/commerce/webhooks/"))
        or path.startswith("/widget/v1/{channel_public_key}/")
    )


@pytest.fixture
def world(db, runtime, app, client) -> World:
    return seed(db, runtime, app, client)


@pytest.mark.parametrize("who", PRINCIPALS)
def test_matrix(world: World, app, who: str):
    principal = world.principals[who]
    openapi = app.openapi()
    # Objects a principal must never reach: those of the other workspace (or, for the anonymous and
    # visitors, of workspace 1 as well).
    target = 1 if principal.workspace == 2 else 2
    if principal.name.startswith("visitor"):
        other = "b" if principal.name.endswith("a") else "a"
        ids = {**world.ids[1], "case_id": world.events_case_ids[other]}
    else:
        ids = world.ids[target]
    maker = BodyMaker(openapi, ids)
    unexpected, leaks, errors, checked = [], [], [], 0
    client: TestClient = principal.client
    for op in operations(openapi):
        if principal.workspace and (op.method, op.path) in SKIP_FOR_STAFF:
            continue
        path = fill_path(op, ids, maker)
        params = {name: ("CANARY" if name == "q" else maker.make(schema, name)) for name, schema in op.query}
        body = maker.make(op.body) if op.body else None
        response = client.request(op.method, path, params=params, json=body, headers=principal.headers)
        checked += 1
        status = response.status_code
        if status >= 500:
            errors.append(f"{op.method} {path} -> {status}")
        for canary in principal.foreign:
            if canary in response.text:
                leaks.append(f"{op.method} {path} -> {status} leaks {canary}")
        if _public(op.method, op.path) or status >= 300:
            continue
        widget = op.path.startswith("/widget/")
        if not principal.workspace:
            allowed = widget and principal.name.startswith("visitor")
        else:
            allowed = not widget and not id_params(op)
        if not allowed:
            unexpected.append(f"{op.method} {path} -> {status}")
    assert checked >= 50
    assert unexpected == []
    assert leaks == []
    assert errors == []


def test_the_matrix_is_not_vacuous(world: World):
    """The same principals do reach their own objects, and team Y reads team X's case (shared inbox)."""
    p = world.principals
    case_a = world.events_case_ids["a"]
    for who in ("agent_team_x", "agent_team_y", "admin_ws1", "api_token_ws1"):
        response = p[who].client.get(f"/api/v1/cases/{case_a}", headers=p[who].headers)
        assert response.status_code == 200, (who, response.text)
        assert W1X in response.text and NOTE1 in response.text
    own = p["visitor_a"].client.get("/widget/v1/messages", headers=p["visitor_a"].headers)
    assert own.status_code == 200 and VA in own.text and NOTE1 not in own.text
    assert W2 in p["admin_ws2"].client.get(f"/api/v1/cases/{world.ids[2]['case_id']}").text


def test_live_events_never_reach_a_foreign_scope(world: World, db, events, client):
    """Every event of workspace 1's activity, through the one filter the sockets use."""
    p = world.principals
    case_a, case_b = world.events_case_ids["a"], world.events_case_ids["b"]
    agent = p["agent_team_x"].client
    assert agent.post(f"/api/v1/cases/{case_a}/replies", json={"text": f"Odpowiedź {W1X}"}).status_code == 201
    assert agent.post(f"/api/v1/cases/{case_a}/notes", json={"text": f"Nowa {NOTE1}"}).status_code == 201
    sent = client.post(
        "/widget/v1/messages",
        json={"client_message_id": "b-2", "text": f"Znowu {VB}"},
        headers=p["visitor_b"].headers,
    )
    assert sent.status_code == 200
    assert events
    admin2 = db.scalars(select(User).where(User.workspace_id != db.get(Case, case_a).workspace_id)).first()
    admin2_principal = principal_for_user(db, admin2)
    thread_a = db.scalars(select(Thread).where(Thread.case_id == case_a)).one()
    view_a = VisitorView(
        workspace_id=thread_a.workspace_id,
        channel_id=thread_a.channel_id,
        visitor_id="a",
        customer_id=thread_a.customer_id,
        thread_id=thread_a.id,
        case_id=case_a,
    )
    db.rollback()
    for event in events:
        assert not may_receive(admin2_principal, event), event.kind
        if may_receive(view_a, event):
            assert event.case_id == case_a and event.kind != "note.created", event.kind
            assert VB not in str(agent_frame(event)) and NOTE1 not in str(agent_frame(event))
    # What a visitor's socket re-reads after a signal: its own conversation only.
    history = client.get("/widget/v1/messages", headers=p["visitor_a"].headers)
    assert VB not in history.text and NOTE1 not in history.text and case_b not in history.text


def test_sockets_refuse_the_anonymous_and_foreign_tokens(app, world: World):
    from starlette.websockets import WebSocketDisconnect

    with TestClient(app) as anonymous, anonymous.websocket_connect("/api/v1/ws") as ws:
        assert ws.receive_json()["code"] == "not_authenticated"
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()
    with (
        TestClient(app) as visitor,
        visitor.websocket_connect(f"/api/v1/ws?token={world.visitor_tokens['a']}") as ws,
    ):  # a visitor token is no API token
        assert ws.receive_json()["code"] == "not_authenticated"
