"""Art. 32: a withdrawal refunds the items and, when the whole order comes back, its delivery up to the
cheapest ordinary delivery the shop offers; the agent sees the parts, the customer reads the amount."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sprawa.aftersales.actions.eligibility import LineRequest
from sprawa.aftersales.models import Return
from sprawa.aftersales.service import do_start_return
from sprawa.auth.schemas import Principal
from sprawa.cases.models import AuthorKind, Direction, Message, Note
from sprawa.workspaces.models import Policy, PolicyKind
from tests.aftersales.factories import SWEATER, Line, chat_case, make_order, order_items, setup_shop

HAT = Line("Czapka z alpaki", "59.00")
WAW = "Europe/Warsaw"


def _ai(workspace) -> Principal:  # type: ignore[no-untyped-def]
    return Principal.system(workspace.id, AuthorKind.AI)


def _cheapest(db, workspace, price: str | None) -> None:  # type: ignore[no-untyped-def]
    row = db.scalars(
        select(Policy).where(Policy.workspace_id == workspace.id, Policy.kind == PolicyKind.RETURNS)
    ).one()
    row.data = {**row.data, "cheapest_delivery_price": price}
    db.flush()


def _last(db, case_id: str) -> str:  # type: ignore[no-untyped-def]
    return db.scalars(
        select(Message.body_text)
        .where(Message.case_id == case_id, Message.direction == Direction.OUTBOUND)
        .order_by(Message.seq.desc())
    ).first()


def _parts(ret: Return) -> tuple[str, str, str]:
    return str(ret.refund_items_amount), str(ret.refund_delivery_amount), str(ret.refund_amount)


@pytest.mark.parametrize(
    ("cheapest", "expected"),
    [
        (None, ("249.00", "12.99", "261.99")),  # no cheaper delivery known: as paid
        ("9.99", ("249.00", "9.99", "258.99")),  # a costlier courier: up to the cheapest ordinary one
        ("15.00", ("249.00", "12.99", "261.99")),  # never more than the customer paid
        ("0", ("249.00", "0.00", "249.00")),  # the shop offers free ordinary delivery
    ],
)
def test_the_whole_order_refunds_delivery_up_to_the_cheapest_ordinary_one(
    db, runtime, workspace, channel, cheapest, expected
) -> None:
    setup_shop(db, workspace)
    _cheapest(db, workspace, cheapest)
    order = make_order(db, workspace, [SWEATER], shipping="12.99")
    case = chat_case(db, runtime, channel)
    [item] = order_items(db, order)
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)])
    assert _parts(ret) == expected


def test_the_customer_reads_the_amount_and_its_parts(db, runtime, workspace, channel) -> None:
    setup_shop(db, workspace)
    _cheapest(db, workspace, "9.99")
    order = make_order(db, workspace, [SWEATER], shipping="12.99")
    case = chat_case(db, runtime, channel)
    [item] = order_items(db, order)
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)])
    text = _last(db, case.id)
    assert "Zwrot 258,99 zł (produkty 249,00 zł + dostawa 9,99 zł) (BLIK)" in text
    # The demo shop counts the delivery as paid; Sprawa's proposal stays, and a person is told.
    note = db.scalars(
        select(Note.body_text).where(Note.case_id == case.id, Note.body_text.like("Sklep%"))
    ).one()
    assert f"Sklep wyliczył zwrot {ret.number} na 261,99 zł" in note and "258,99 zł" in note
    assert str(ret.refund_amount) == "258.99"


def test_a_partial_return_refunds_no_delivery_and_the_last_part_brings_it(
    db, runtime, workspace, channel
) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, [SWEATER, HAT], shipping="12.99")
    case = chat_case(db, runtime, channel)
    sweater, hat = order_items(db, order, SWEATER.name, HAT.name)
    first = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(sweater.id)])
    assert _parts(first) == ("249.00", "0.00", "249.00")
    assert "dostawa" not in _last(db, case.id)  # only the amount
    second = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(hat.id)])
    assert _parts(second) == ("59.00", "12.99", "71.99")


def test_one_of_two_units_is_a_partial_return(db, runtime, workspace, channel) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, [Line("Skarpety", "19.00", quantity=2)], shipping="8.99")
    case = chat_case(db, runtime, channel)
    [item] = order_items(db, order)
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id, 1)])
    assert _parts(ret) == ("19.00", "0.00", "19.00")


def test_the_agent_sees_the_parts_in_the_api_and_the_views(db, runtime, workspace, channel, agent) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, [SWEATER], delivered_ago=timedelta(days=2), shipping="12.99")
    case = chat_case(db, runtime, channel)
    [item] = order_items(db, order)
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)])
    db.commit()
    ret_id, case_id = ret.id, case.id
    db.rollback()
    body = agent.client.get(f"/api/v1/returns/{ret_id}").json()
    assert (body["refund_items_amount"], body["refund_delivery_amount"], body["refund_amount"]) == (
        "249.00",
        "12.99",
        "261.99",
    )
    assert Decimal(body["refund_amount"]) == Decimal(body["refund_items_amount"]) + Decimal(
        body["refund_delivery_amount"]
    )
    parts = "produkty 249,00 zł + dostawa 12,99 zł"
    assert parts in agent.client.get("/app/aftersales/returns?queue=awaiting_goods").text
    assert parts in agent.client.get(f"/app/aftersales/cases/{case_id}").text


def test_a_lower_refund_for_loss_of_value_comes_off_the_items(db, runtime, workspace, channel, agent) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, [SWEATER], shipping="12.99")
    case = chat_case(db, runtime, channel)
    [item] = order_items(db, order)
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)])
    db.commit()
    ret_id = ret.id
    db.rollback()
    assert (
        agent.client.post("/api/v1/returns/goods-received", json={"return_ids": [ret_id]}).status_code == 200
    )
    done = agent.client.post(
        f"/api/v1/returns/{ret_id}/refund",
        json={"amount": "212.99", "reference": "Przelew 42, ślady noszenia (art. 34)"},
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["refund_items_amount"], body["refund_delivery_amount"], body["refund_amount"]) == (
        "200.00",
        "12.99",
        "212.99",
    )


# --- Art. 32 ust. 4: the refund may wait for the goods or the proof of sending --------------------------


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=ZoneInfo(WAW))


@pytest.mark.parametrize(
    ("goods", "proof", "refunded", "status", "today", "late"),
    [
        (None, None, None, "awaiting_goods", 20, False),  # nothing came back yet: holding is lawful
        (_at(3), None, None, "received", 4, False),  # due on 4 December: the whole day counts
        (_at(3), None, None, "received", 5, True),
        (_at(3), None, _at(4, 23), "refunded", 9, False),
        (_at(3), None, _at(5, 8), "refunded", 9, True),
        (_at(10), None, _at(10), "refunded", 12, False),  # goods after the 14 days: owed that day
        (_at(10), None, None, "received", 11, True),
        (_at(12), _at(8), None, "received", 9, True),  # the proof came first: it counts
    ],
)
def test_a_refund_is_late_only_once_the_goods_or_proof_are_back(
    goods, proof, refunded, status, today, late
) -> None:  # type: ignore[no-untyped-def]
    from sprawa.aftersales.queries import refund_late

    ret = Return(
        refund_due_by=date(2026, 12, 4),
        goods_received_at=goods,
        proof_of_sending_at=proof,
        refunded_at=refunded,
        status=status,
    )
    assert refund_late(ret, WAW, date(2026, 12, today)) is late
