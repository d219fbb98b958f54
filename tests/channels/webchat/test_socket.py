"""The widget's WebSocket and the agents' socket: send/ack/dedupe, backlog resume, live replies,
what never reaches a visitor, and workspace isolation of the agents' socket."""

import pytest
from sqlalchemy import func, select
from starlette.websockets import WebSocketDisconnect

from sprawa.auth.service import do_create_api_token
from sprawa.cases.models import Case, CaseStatus, Message, Note
from sprawa.cases.service import do_reply, transition
from sprawa.platform.events import Event, emit
from sprawa.platform.inbound import InboundEvent
from tests.channels.webchat.conftest import bearer, start_session
from tests.channels.webchat.live import receive, receive_backlog, receive_until
from tests.factories import make_channel


def _send(client, visitor, cid, text):
    response = client.post(
        "/widget/v1/messages", json={"client_message_id": cid, "text": text}, headers=bearer(visitor)
    )
    assert response.status_code == 200, response.text
    return response.json()


def _reply(db, actor, case_id, text):
    case = db.get(Case, case_id)
    message = do_reply(db, actor.principal, case, text)
    db.commit()
    return message


def _texts(frames):
    return [(f["message"]["seq"], f["message"]["text"]) for f in frames if f["type"] == "message"]


def _ws(client, visitor, **params):
    query = "&".join(f"{k}={v}" for k, v in {"token": visitor["visitor_token"], **params}.items())
    return client.websocket_connect(f"/widget/v1/ws?{query}")


def test_socket_send_acks_and_dedupes(client, db, visitor):
    with _ws(client, visitor) as ws:
        backlog, ready = receive_backlog(ws)
        assert backlog == [] and ready == {"type": "ready", "case_id": None, "last_seq": 0}

        ws.send_json({"type": "message", "client_message_id": "w-1", "text": "Dzień dobry"})
        ack, _ = receive_until(ws, lambda f: f["type"] == "ack")
        ws.send_json({"type": "message", "client_message_id": "w-1", "text": "Dzień dobry"})
        dup, _ = receive_until(ws, lambda f: f["type"] == "ack")
        ws.send_json({"type": "message", "client_message_id": "w-2", "text": "Mam pytanie"})
        second, _ = receive_until(ws, lambda f: f["type"] == "ack")

    message = db.scalars(select(Message).where(Message.seq == 1)).one()
    assert ack == {
        "type": "ack",
        "client_message_id": "w-1",
        "message_id": message.id,
        "case_id": message.case_id,
        "seq": 1,
        "duplicate": False,
    }
    assert dup == {**ack, "duplicate": True}
    assert (second["seq"], second["case_id"]) == (2, ack["case_id"])
    assert db.scalar(select(func.count()).select_from(Message)) == 2
    assert db.scalar(select(func.count()).select_from(InboundEvent)) == 2
    db.rollback()


def test_socket_rejects_bad_frames_without_storing(client, db, visitor):
    with _ws(client, visitor) as ws:
        receive_backlog(ws)
        ws.send_text("nie json")
        assert receive(ws)["code"] == "bad_frame"
        ws.send_json({"type": "message", "client_message_id": "x", "text": ""})
        error = receive(ws)
        assert (error["type"], error["code"], error["client_message_id"]) == ("error", "invalid_frame", "x")
        ws.send_json({"type": "ping"})
        assert receive(ws) == {"type": "pong"}
    assert db.scalar(select(func.count()).select_from(InboundEvent)) == 0
    db.rollback()


def test_forged_token_closes_the_socket(client, visitor):
    value, _, signature = visitor["visitor_token"].rpartition(".")
    altered = f"{value[:-1]}{'a' if value[-1] != 'a' else 'b'}.{signature}"
    with client.websocket_connect(f"/widget/v1/ws?token={altered}") as ws:
        assert receive(ws)["code"] == "bad_visitor_token"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 4401


def test_own_message_comes_back_live_and_agent_reply_reaches_widget(client, db, visitor, agent, runtime):
    with _ws(client, visitor) as ws:
        receive_backlog(ws)
        ws.send_json({"type": "message", "client_message_id": "w-1", "text": "Gdzie paczka?"})
        case_frame, _ = receive_until(ws, lambda f: f["type"] == "case")
        mine, skipped = receive_until(ws, lambda f: f["type"] == "message")
        case_id = case_frame["case"]["id"]

        reply = _reply(db, agent, case_id, "Paczka jest w drodze.")
        live, _ = receive_until(ws, lambda f: f["type"] == "message")
        runtime.worker().run_once()  # the outbox marks the webchat reply sent
        status, _ = receive_until(ws, lambda f: f["type"] == "status")

    assert case_frame["case"] == {"id": case_id, "number": 1, "status": "new"}
    assert mine["message"]["client_message_id"] == "w-1"
    assert mine["message"]["author"] == "customer"
    assert [f["type"] for f in skipped] == ["ack"] or skipped == []
    assert live["case_id"] == case_id
    assert live["message"]["id"] == reply.id
    assert (live["message"]["seq"], live["message"]["direction"]) == (2, "out")
    assert (live["message"]["author"], live["message"]["text"]) == ("agent", "Paczka jest w drodze.")
    assert status == {"type": "status", "message_id": reply.id, "status": "sent"}


def test_backlog_resume_after_reconnect_has_no_loss_and_no_duplicates(client, db, visitor, agent):
    case_id = _send(client, visitor, "c1", "Pierwsza")["case_id"]
    _send(client, visitor, "c2", "Druga")

    with _ws(client, visitor, case_id=case_id, after_seq=0) as ws:
        backlog, ready = receive_backlog(ws)
        assert _texts(backlog) == [(1, "Pierwsza"), (2, "Druga")]
        assert all(f["type"] == "message" for f in backlog)  # same case: no case frame
        _reply(db, agent, case_id, "Odpowiedź 1")
        live, _ = receive_until(ws, lambda f: f["type"] == "message")
        seen = live["message"]["seq"]

    # While the widget is away: another reply and another message (e.g. from a second tab).
    _reply(db, agent, case_id, "Odpowiedź 2")
    _send(client, visitor, "c3", "Trzecia")

    with _ws(client, visitor, case_id=case_id, after_seq=seen) as ws:
        backlog, ready = receive_backlog(ws)
        _reply(db, agent, case_id, "Odpowiedź 3")
        live, _ = receive_until(ws, lambda f: f["type"] == "message")

    assert seen == 3
    assert _texts(backlog) == [(4, "Odpowiedź 2"), (5, "Trzecia")]
    assert ready == {"type": "ready", "case_id": case_id, "last_seq": 5}
    assert (live["message"]["seq"], live["message"]["text"]) == (6, "Odpowiedź 3")


def test_conversation_moved_to_a_new_case_starts_from_zero_with_a_case_frame(client, db, visitor, agent):
    old_case = _send(client, visitor, "c1", "Stara sprawa")["case_id"]
    case = db.get(Case, old_case)
    transition(case, CaseStatus.CLOSED)
    db.commit()
    new_case = _send(client, visitor, "c2", "Nowa sprawa")["case_id"]

    with _ws(client, visitor, case_id=old_case, after_seq=1) as ws:
        backlog, ready = receive_backlog(ws)

    assert new_case != old_case
    assert backlog[0] == {"type": "case", "case": {"id": new_case, "number": 2, "status": "new"}}
    assert _texts(backlog[1:]) == [(1, "Nowa sprawa")]
    assert ready == {"type": "ready", "case_id": new_case, "last_seq": 1}


def test_a_live_move_to_a_new_case_is_announced(client, db, visitor):
    old_case = _send(client, visitor, "c1", "Stara sprawa")["case_id"]
    with _ws(client, visitor, case_id=old_case, after_seq=1) as ws:
        receive_backlog(ws)
        transition(db.get(Case, old_case), CaseStatus.CLOSED)
        db.commit()
        new_case = _send(client, visitor, "c2", "Nowa sprawa")["case_id"]
        frames = [receive(ws), receive(ws)]

    assert frames[0] == {"type": "case", "case": {"id": new_case, "number": 2, "status": "new"}}
    assert _texts(frames[1:]) == [(1, "Nowa sprawa")]


def test_notes_and_internal_events_never_reach_the_widget(client, db, visitor, agent, workspace):
    case_id = _send(client, visitor, "c1", "Pytanie")["case_id"]
    with _ws(client, visitor, case_id=case_id, after_seq=1) as ws:
        receive_backlog(ws)
        note = Note(
            workspace_id=workspace.id, case_id=case_id, author_user_id=agent.user.id, body_text="TAJNE"
        )
        db.add(note)
        db.flush()
        emit(db, Event("note.created", workspace.id, {"id": note.id, "body_text": "TAJNE"}, case_id=case_id))
        # Even a wrongly addressed internal event is not passed on to a visitor.
        emit(db, Event("case.updated", workspace.id, {"id": case_id}, case_id=case_id, to_customer=True))
        db.commit()
        _reply(db, agent, case_id, "Jawna odpowiedź")
        first = receive(ws)

    with _ws(client, visitor) as ws:
        backlog, _ = receive_backlog(ws)

    assert first["type"] == "message" and first["message"]["text"] == "Jawna odpowiedź"
    assert "TAJNE" not in str(backlog)
    assert _texts(backlog) == [(1, "Pytanie"), (2, "Jawna odpowiedź")]


def test_a_visitor_never_sees_another_customers_conversation(client, db, chat, agent):
    anna, piotr = start_session(client, chat, name="Anna"), start_session(client, chat, name="Piotr")
    anna_case = _send(client, anna, "1", "Anna pyta")["case_id"]
    piotr_case = _send(client, piotr, "1", "Piotr pyta")["case_id"]

    with _ws(client, anna, case_id=piotr_case, after_seq=0) as ws:  # asking for someone else's case
        backlog, _ = receive_backlog(ws)
        _reply(db, agent, piotr_case, "Do Piotra")
        _send(client, piotr, "2", "Piotr znowu")
        _reply(db, agent, anna_case, "Do Anny")
        first = receive(ws)

    assert backlog[0]["case"]["id"] == anna_case
    assert _texts(backlog[1:]) == [(1, "Anna pyta")]
    assert (first["type"], first["message"]["text"]) == ("message", "Do Anny")


def test_reply_on_another_channel_of_the_case_stays_off_the_widget(client, db, visitor, agent, workspace):
    from sprawa.channels.models import ChannelKind, Thread

    case_id = _send(client, visitor, "1", "Czat")["case_id"]
    case = db.get(Case, case_id)
    form = make_channel(db, workspace, ChannelKind.FORM, settings={"callback_url": "http://127.0.0.1:9/x"})
    email_thread = Thread(
        workspace_id=workspace.id, channel_id=form.id, customer_id=case.customer_id, external_id="mail-1"
    )
    db.add(email_thread)
    db.commit()
    with _ws(client, visitor, case_id=case_id, after_seq=1) as ws:
        receive_backlog(ws)
        do_reply(db, agent.principal, db.get(Case, case_id), "Na e-mail", thread_id=email_thread.id)
        db.commit()
        _reply(db, agent, case_id, "Na czat")
        first = receive(ws)

    assert (first["message"]["seq"], first["message"]["text"]) == (3, "Na czat")


def test_typing_indicators_travel_both_ways_without_names(client, db, visitor, agent):
    case_id = _send(client, visitor, "1", "Halo")["case_id"]
    with (
        agent.client.websocket_connect("/api/v1/ws") as agent_ws,
        _ws(client, visitor, case_id=case_id) as ws,
    ):
        assert receive(agent_ws)["type"] == "ready"
        receive_backlog(ws)
        ws.send_json({"type": "typing"})
        seen_by_agent, _ = receive_until(agent_ws, lambda f: f["type"] == "typing")
        agent_ws.send_json({"type": "typing", "case_id": case_id})
        seen_by_visitor = receive(ws)

    assert seen_by_agent == {
        "type": "typing",
        "case_id": case_id,
        "data": {"who": "customer", "user_id": None},
    }
    assert seen_by_visitor == {"type": "typing", "who": "agent"}


# The agents' socket -------------------------------------------------------------------------------


def test_agent_socket_gets_its_workspace_events_only(client, db, visitor, agent, outsider, other_workspace):
    other_chat = make_channel(db, other_workspace)
    db.commit()
    with (
        agent.client.websocket_connect("/api/v1/ws") as mine,
        outsider.client.websocket_connect("/api/v1/ws") as theirs,
    ):
        assert receive(mine) == {"type": "ready", "workspace_id": agent.principal.workspace_id}
        assert receive(theirs)["type"] == "ready"
        ack = _send(client, visitor, "1", "Wiadomość w sklepie A")
        kinds = []
        while len(kinds) < 3:
            kinds.append(receive(mine))
        stranger = start_session(client, other_chat)
        other_ack = _send(client, stranger, "1", "Wiadomość w sklepie B")
        first_of_outsider = receive(theirs)

    assert [f["type"] for f in kinds] == ["case.created", "message.created", "case.updated"]
    assert {f["case_id"] for f in kinds} == {ack["case_id"]}
    assert kinds[1]["data"]["message"]["body_text"] == "Wiadomość w sklepie A"
    # The outsider's first frame is its own workspace's event: nothing of workspace A came before it.
    assert first_of_outsider["case_id"] == other_ack["case_id"]


def test_agent_socket_sees_notes_and_status(client, db, visitor, agent, workspace, runtime):
    case_id = _send(client, visitor, "1", "Halo")["case_id"]
    with agent.client.websocket_connect("/api/v1/ws") as ws:
        receive(ws)
        emit(
            db, Event("note.created", workspace.id, {"id": "n1", "body_text": "wewnętrzna"}, case_id=case_id)
        )
        db.commit()
        note, _ = receive_until(ws, lambda f: f["type"] == "note.created")
        reply = _reply(db, agent, case_id, "Odpowiedź")
        runtime.worker().run_once()
        status, _ = receive_until(ws, lambda f: f["type"] == "message.status")

    assert note["data"]["body_text"] == "wewnętrzna"
    assert status["data"] == {"id": reply.id, "status": "sent", "error": None}


def test_agent_socket_needs_a_login(client, app, db, admin):
    with client.websocket_connect("/api/v1/ws") as ws:
        assert receive(ws)["code"] == "not_authenticated"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 4401
    with client.websocket_connect("/api/v1/ws?token=spr_wrong") as ws, pytest.raises(WebSocketDisconnect):
        receive(ws)
        receive(ws)


def test_agent_socket_with_api_token(client, db, admin, visitor):
    from sprawa.auth.models import Role

    token = do_create_api_token(db, admin.principal, "integracja", Role.AGENT)
    db.commit()
    with client.websocket_connect(f"/api/v1/ws?token={token}") as ws:
        assert receive(ws)["type"] == "ready"
        ack = _send(client, visitor, "1", "Halo")
        created, _ = receive_until(ws, lambda f: f["type"] == "message.created")
    assert created["case_id"] == ack["case_id"]


def test_agent_socket_refuses_a_cross_site_cookie_handshake(agent):
    with (
        agent.client.websocket_connect("/api/v1/ws", headers={"Origin": "https://evil.example"}) as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        assert receive(ws)["code"] == "bad_origin"
        receive(ws)
    assert closed.value.code == 4403
