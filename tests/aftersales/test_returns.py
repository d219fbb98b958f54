"""Returns end to end: started in chat by the AI inside the window (approved, instructions sent), outside it
(explained, to a person), a person's decisions, bulk goods received, refunds, access."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from sprawa.aftersales.actions.eligibility import LineRequest
from sprawa.aftersales.models import Return, ReturnStatus
from sprawa.aftersales.service import do_reject_return, do_start_return
from sprawa.auth.schemas import Principal
from sprawa.cases.models import AuthorKind, Case, DeliveryStatus, Direction, Message, Note
from sprawa.commerce.base import ActionResult
from sprawa.commerce.demo.connector import DemoShop
from sprawa.commerce.demo.models import DemoReturn
from sprawa.commerce.service import CONNECTORS
from sprawa.platform.errors import Forbidden
from sprawa.platform.jobs import Job
from sprawa.workspaces.models import Policy
from tests.aftersales.factories import (
    CREAM,
    PACZKOMAT_CODE,
    SWEATER,
    chat_case,
    make_order,
    order_items,
    setup_shop,
)


def _outbox(db, case: Case) -> list[Message]:
    return list(
        db.scalars(
            select(Message)
            .where(Message.case_id == case.id, Message.direction == Direction.OUTBOUND)
            .order_by(Message.seq)
        )
    )


def _last_text(db, case_id: str) -> str:
    """The newest message to the customer; ends the read (SQLite: the API must get the write lock)."""
    text = db.scalars(
        select(Message.body_text)
        .where(Message.case_id == case_id, Message.direction == Direction.OUTBOUND)
        .order_by(Message.seq.desc())
        .limit(1)
    ).one()
    db.rollback()
    return text


def _ai(workspace) -> Principal:
    return Principal.system(workspace.id, AuthorKind.AI)


def test_a_return_started_in_chat_inside_the_window_is_approved_with_instructions(
    db, runtime, workspace, channel
) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, [SWEATER], delivered_ago=timedelta(days=4), shipping="12.99")
    case = chat_case(db, runtime, channel)
    item = order_items(db, order)[0]

    ret = do_start_return(
        db, _ai(workspace), case, order.id, [LineRequest(item.external_id)], reason="Za duży"
    )
    db.commit()

    assert ret.status == ReturnStatus.AWAITING_GOODS
    assert ret.auto_approved is True and ret.decided_by_id is None
    assert ret.method == "paczkomat" and ret.method_details == {"code": PACZKOMAT_CODE}
    assert str(ret.refund_amount) == "261.99"  # the sweater and, the whole order coming back, delivery
    assert ret.refund_due_by == ret.goods_due_by
    assert ret.shop_reference == f"ZW-{order.number}-1"
    assert db.scalar(select(func.count()).select_from(DemoReturn)) == 1
    [message] = _outbox(db, case)
    assert message.delivery_status == DeliveryStatus.QUEUED
    assert message.author_kind == AuthorKind.SYSTEM
    text = message.body_text
    assert f"zwrot nr {ret.number} z zamówienia {order.number} jest przyjęty" in text
    assert PACZKOMAT_CODE in text and "261,99 zł" in text and "BLIK" in text
    assert ret.goods_due_by.strftime("%d.%m.%Y") in text
    assert text.endswith("Zespół Leśnej Polany")
    assert db.scalar(
        select(func.count()).select_from(Job).where(Job.idempotency_key == f"deliver:{message.id}")
    )


def test_outside_the_window_it_is_explained_and_offered_to_a_person(db, runtime, workspace, channel) -> None:
    team = setup_shop(db, workspace)
    order = make_order(db, workspace, delivered_ago=timedelta(days=30))
    case = chat_case(db, runtime, channel)
    item = order_items(db, order)[0]

    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)])
    db.commit()

    assert ret.status == ReturnStatus.REQUESTED
    assert ret.review_reasons == ["window_closed"]
    assert db.scalar(select(func.count()).select_from(DemoReturn)) == 0  # nothing asked of the shop
    db.refresh(case)
    assert case.team_id == team.id and "zwrot" in case.tags
    [message] = _outbox(db, case)
    assert "Termin na odstąpienie od umowy minął" in message.body_text
    assert "sprawdzi osoba z naszego zespołu" in message.body_text
    with pytest.raises(Forbidden):
        do_reject_return(db, _ai(workspace), ret, "po terminie")


def test_excepted_goods_need_a_person_who_may_approve(db, runtime, workspace, channel, agent) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, [CREAM])
    case = chat_case(db, runtime, channel)
    item = order_items(db, order)[0]
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)])
    db.commit()
    assert (ret.status, ret.review_reasons) == (ReturnStatus.REQUESTED, ["excepted"])
    ret_id, case_id = ret.id, case.id
    assert "art. 38" in _last_text(db, case_id)

    response = agent.client.post(f"/api/v1/returns/{ret_id}/approve", json={"method": "courier"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "awaiting_goods" and body["auto_approved"] is False
    assert body["decided_by_id"] == agent.user.id
    assert "https://sklep.example/etykieta" in _last_text(db, case_id)


def test_a_person_rejects_with_a_reason_the_customer_reads(db, runtime, workspace, channel, agent) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, delivered_ago=timedelta(days=40))
    case = chat_case(db, runtime, channel)
    item = order_items(db, order)[0]
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)])
    db.commit()
    ret_id, case_id = ret.id, case.id
    db.rollback()
    response = agent.client.post(
        f"/api/v1/returns/{ret_id}/reject", json={"reason": "Zwrot zgłoszono 26 dni po terminie."}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "rejected"
    assert "Zwrot zgłoszono 26 dni po terminie." in _last_text(db, case_id)
    again = agent.client.post(f"/api/v1/returns/{ret_id}/reject", json={"reason": "x"})
    assert again.status_code == 409


def test_bulk_goods_received_then_a_manual_refund(db, runtime, workspace, channel, agent) -> None:
    setup_shop(db, workspace)
    cases, returns = [], []
    for _ in range(2):
        order = make_order(db, workspace)
        case = chat_case(db, runtime, channel)
        item = order_items(db, order)[0]
        returns.append(do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)]))
        cases.append(case)
    db.commit()
    ids, numbers, case_ids = [r.id for r in returns], [r.number for r in returns], [c.id for c in cases]
    db.rollback()

    response = agent.client.post("/api/v1/returns/goods-received", json={"return_ids": ids})
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()] == ["received", "received"]
    tasks = list(db.scalars(select(Note.body_text).where(Note.case_id == case_ids[0])))
    assert any(t.startswith(f"Zadanie: zwrot pieniędzy za {numbers[0]}") for t in tasks)
    assert "Paczka ze zwrotem nr" in _last_text(db, case_ids[0])

    # Again: nothing is awaiting goods any more, so nothing changes.
    assert agent.client.post("/api/v1/returns/goods-received", json={"return_ids": ids}).status_code == 409
    queue = agent.client.get("/api/v1/returns", params={"queue": "to_refund"}).json()
    assert sorted(row["record"]["id"] for row in queue) == sorted(ids)

    no_reference = agent.client.post(f"/api/v1/returns/{ids[0]}/refund", json={})
    assert no_reference.status_code == 422
    assert no_reference.json()["error"]["code"] == "reference_required"
    done = agent.client.post(f"/api/v1/returns/{ids[0]}/refund", json={"reference": "PRZELEW/2026/11/07"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["refund_via"]) == ("refunded", "manual")
    assert "zleciliśmy zwrot" in _last_text(db, case_ids[0])


def test_agent_intake_from_the_case_view_and_access(
    db, runtime, workspace, channel, agent, outsider, viewer
) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace)
    case = chat_case(db, runtime, channel)
    item = order_items(db, order)[0]
    db.commit()
    body = {"order_id": order.id, "lines": [{"line_id": item.id, "quantity": 1}], "reason": "Zmiana decyzji"}
    case_id = case.id
    db.rollback()

    assert outsider.client.post(f"/api/v1/cases/{case_id}/returns", json=body).status_code == 404
    assert viewer.client.post(f"/api/v1/cases/{case_id}/returns", json=body).status_code == 403
    check = agent.client.post(f"/api/v1/cases/{case_id}/returns/eligibility", json=body)
    assert check.json()["allowed"] is True
    created = agent.client.post(f"/api/v1/cases/{case_id}/returns", json=body)
    assert created.status_code == 201, created.text
    ret = created.json()
    assert (ret["status"], ret["source"], ret["decided_by_id"]) == ("awaiting_goods", "agent", agent.user.id)
    assert ret["items"][0]["quantity"] == 1

    too_many = agent.client.post(f"/api/v1/cases/{case_id}/returns", json=body)
    assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "quantity_exceeded"
    assert outsider.client.get(f"/api/v1/returns/{ret['id']}").status_code == 404
    assert outsider.client.get(f"/api/v1/cases/{case_id}/aftersales").status_code == 404
    view = agent.client.get(f"/api/v1/cases/{case_id}/aftersales").json()
    assert [r["number"] for r in view["returns"]] == [ret["number"]]
    assert db.scalar(select(func.count()).select_from(Return)) == 1


def test_a_caller_answering_itself_can_keep_the_notifications(db, runtime, workspace, channel) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace)
    case = chat_case(db, runtime, channel)
    item = order_items(db, order)[0]
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)], notify_customer=False)
    assert ret.status == ReturnStatus.AWAITING_GOODS and _outbox(db, case) == []


class RefundingShop(DemoShop):
    """The demo shop plus a refund action, as a platform whose API can pay refunds."""

    refunds: list[tuple[str, str, str | None]] = []

    def refund_return(self, number: str, *, amount, reference: str, method: str | None) -> ActionResult:
        self.refunds.append((number, str(amount), method))
        order = self.get_order(number)
        assert order is not None
        return ActionResult.done(order, "Zwrot zlecony.", "Refund sent.", refund_id=f"RF-{reference}")


def test_refund_through_a_connector_that_supports_it(
    db, runtime, workspace, channel, agent, monkeypatch
) -> None:
    monkeypatch.setitem(CONNECTORS, "refunding", lambda session, ws, *_: RefundingShop(session, ws.id))
    workspace.settings = {"commerce": {"kind": "refunding"}}
    setup_shop(db, workspace)
    order = make_order(db, workspace)
    case = chat_case(db, runtime, channel)
    item = order_items(db, order)[0]
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)])
    db.commit()
    ret_id, number = ret.id, order.number
    db.rollback()
    assert (
        agent.client.post("/api/v1/returns/goods-received", json={"return_ids": [ret_id]}).status_code == 200
    )
    assert db.scalar(select(func.count()).select_from(Note).where(Note.body_text.like("Zadanie:%"))) == 0
    db.rollback()
    done = agent.client.post(f"/api/v1/returns/{ret_id}/refund", json={})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["refund_via"], body["refund_reference"]) == (
        "refunded",
        "connector",
        f"RF-{body['number']}",
    )
    assert RefundingShop.refunds == [(number, body["refund_amount"], "blik")]


def test_without_a_configured_return_method_a_person_takes_over(db, runtime, workspace, channel) -> None:
    setup_shop(db, workspace)
    returns = db.scalars(
        select(Policy).where(Policy.workspace_id == workspace.id, Policy.kind == "returns")
    ).one()
    returns.data = {**returns.data, "paczkomat_return_code": "", "courier_label_url": ""}
    order = make_order(db, workspace)
    case = chat_case(db, runtime, channel)
    item = order_items(db, order)[0]
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)])
    assert (ret.status, ret.review_reasons) == (ReturnStatus.REQUESTED, ["no_return_method"])
    assert "nie możemy przyjąć automatycznie" in _outbox(db, case)[-1].body_text
