"""The AI endpoints: decision trail, flags, the AI switch, agent assist and the shared action layer."""

from sqlalchemy import select

from sprawa.ai.models import AIFlag
from sprawa.ai.service import respond
from sprawa.cases.models import Case
from sprawa.commerce.base import OrderStatus
from sprawa.commerce.demo.models import DemoOrder
from tests.ai.conftest import NOW, ai_replies
from tests.ai.shop import send


def _answered_case(db, runtime, chat, text="Gdzie jest moja paczka? Zamówienie 100101"):  # type: ignore[no-untyped-def]
    message = send(db, runtime.ingest, chat, text)
    db.commit()
    respond(db, message.id, now=NOW)
    db.commit()
    case = db.get(Case, message.case_id)
    db.commit()  # SQLite: release the write lock before the API writes
    return case


def test_decision_trail_and_flags(db, runtime, chat, agent, outsider):  # type: ignore[no-untyped-def]
    case = _answered_case(db, runtime, chat)
    body = agent.client.get(f"/api/v1/cases/{case.id}/ai").json()
    steps = [d["step"] for d in body["decisions"]]
    assert steps[0] == "understand" and steps[-1] == "reply" and "action" in steps
    reply = body["decisions"][-1]
    assert reply["summary"].startswith("Podano stan przesyłki zamówienia 100101")
    assert body["state"]["verified_by"] == "channel"
    flagged = agent.client.post(
        f"/api/v1/cases/{case.id}/ai/decisions/{reply['id']}/flags",
        json={"kind": "tone", "comment": "za sucho"},
    )
    assert flagged.status_code == 201, flagged.text
    assert agent.client.get("/api/v1/ai/quality").json() == {
        "ai_replies": 1,
        "flagged_replies": 1,
        "by_kind": {"tone": 1},
    }
    db.commit()
    understand = body["decisions"][0]["id"]
    bad = agent.client.post(
        f"/api/v1/cases/{case.id}/ai/decisions/{understand}/flags", json={"kind": "wrong"}
    )
    assert bad.status_code == 422
    assert outsider.client.get(f"/api/v1/cases/{case.id}/ai").status_code == 404
    assert db.scalar(select(AIFlag.kind)) == "tone"


def test_switching_the_ai_off_stops_replies(db, runtime, chat, agent):  # type: ignore[no-untyped-def]
    case = _answered_case(db, runtime, chat)
    assert (
        agent.client.post(f"/api/v1/cases/{case.id}/ai/mode", json={"mode": "stopped"}).json()["mode"]
        == "stopped"
    )
    db.expire_all()
    _answered_case(db, runtime, chat, "A kiedy dokładnie dotrze?")
    assert len(ai_replies(db, case.id)) == 1


def test_agent_actions_go_through_the_same_policy_checks(db, runtime, chat, agent, viewer):  # type: ignore[no-untyped-def]
    case = _answered_case(db, runtime, chat)
    url = f"/api/v1/cases/{case.id}/actions/cancel_order"
    preview = agent.client.post(url, json={"args": {"order_number": "100104"}})
    assert preview.json()["status"] == "preview"
    order = db.scalars(select(DemoOrder).where(DemoOrder.number == "100104")).one()
    assert order.status == OrderStatus.PAID
    db.commit()
    shipped = agent.client.post(url, json={"args": {"order_number": "100101"}, "confirm": True}).json()
    assert shipped["status"] == "denied" and shipped["check"]["code"] == "cancel_not_allowed_in_state"
    done = agent.client.post(url, json={"args": {"order_number": "100104"}, "confirm": True}).json()
    assert done["status"] == "done"
    db.refresh(order)
    assert order.status == OrderStatus.CANCELLED
    db.commit()
    assert viewer.client.post(url, json={"args": {"order_number": "100104"}}).status_code == 403
    wrong = agent.client.post(url, json={"args": {"order": "100104"}})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_action"


def test_compensation_within_limits_then_approval(db, runtime, chat, agent):  # type: ignore[no-untyped-def]
    case = _answered_case(db, runtime, chat)
    url = f"/api/v1/cases/{case.id}/actions/issue_compensation"
    first = agent.client.post(
        url, json={"args": {"kind": "free_shipping_code", "amount": "15"}, "confirm": True}
    )
    assert first.json()["status"] == "done" and first.json()["data"]["code"].startswith("SP-")
    over = agent.client.post(url, json={"args": {"kind": "free_shipping_code", "amount": "50"}}).json()
    assert over["check"]["verdict"] == "needs_approval"
    invented = agent.client.post(url, json={"args": {"kind": "discount_code", "amount": "10"}}).json()
    assert invented["status"] == "denied"


def test_assist_and_draft(db, runtime, chat, agent):  # type: ignore[no-untyped-def]
    case = _answered_case(db, runtime, chat, "Ile kosztuje dostawa do Paczkomatu?")
    assist = agent.client.get(f"/api/v1/cases/{case.id}/ai/assist").json()
    assert assist["articles"][0]["slug"] == "dostawa"
    assert "Sprawa #" in assist["summary"]
    draft = agent.client.post(f"/api/v1/cases/{case.id}/ai/draft").json()
    assert "13,99 zł" in draft["text"] and draft["chosen"] == "knowledge_answer"


def test_assist_summary_names_the_topic_and_order_status_in_the_ui_language(db, runtime, chat, agent):  # type: ignore[no-untyped-def]
    case = _answered_case(db, runtime, chat)
    url = f"/api/v1/cases/{case.id}/ai/assist"
    summary = agent.client.get(url).json()["summary"]
    assert "Temat (AI): status zamówienia" in summary and "Zamówienia: 100101 (wysłane)" in summary
    assert "order_status" not in summary and "(shipped)" not in summary
    agent.client.cookies.set("sprawa_lang", "en")
    summary = agent.client.get(url).json()["summary"]
    assert summary.startswith(f"Case #{case.number}: ")
    assert "Topic (AI): order status" in summary and "Orders: 100101 (shipped)" in summary
    assert "Zamówienia" not in summary and "order_status" not in summary
