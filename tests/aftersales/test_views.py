"""What agents and customers read: notifications in the customer's language, abuse signals (never a
rejection), queues by deadline, the report and the pages."""

from datetime import timedelta

from sqlalchemy import select

from sprawa.aftersales.actions.eligibility import LineRequest
from sprawa.aftersales.models import Remedy, Return, ReturnStatus
from sprawa.aftersales.queries import complaint_badges
from sprawa.aftersales.service import do_register_complaint, do_start_return
from sprawa.auth.schemas import Principal
from sprawa.cases.models import AuthorKind, Case, Direction, Message
from tests.aftersales.factories import chat_case, make_order, order_items, setup_shop


def _ai(workspace) -> Principal:
    return Principal.system(workspace.id, AuthorKind.AI)


def _last(db, case_id: str) -> str:
    return db.scalars(
        select(Message.body_text)
        .where(Message.case_id == case_id, Message.direction == Direction.OUTBOUND)
        .order_by(Message.seq.desc())
    ).first()


def test_notifications_speak_the_customers_language(db, runtime, workspace, channel) -> None:
    setup_shop(db, workspace)
    for lang, expected in (
        ("uk", "Ми зареєстрували рекламацію № RK-"),
        ("de", "Wir haben die Reklamation RK-"),
        ("en", "We have registered complaint RK-"),
    ):
        order = make_order(db, workspace)
        case = chat_case(db, runtime, channel)
        case.language = lang
        item = order_items(db, order)[0]
        do_register_complaint(
            db, _ai(workspace), case, order.id, item.id, description="Pęknięty zamek.", remedy=Remedy.REPAIR
        )
        assert expected in _last(db, case.id)
    order = make_order(db, workspace)
    case = chat_case(db, runtime, channel)
    case.language = "de"
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(order_items(db, order)[0].id)])
    text = _last(db, case.id)
    assert f"die Rücksendung {ret.number}" in text and "Rücksendecode ZW-LESNA-2026" in text
    assert text.endswith("Freundliche Grüße\nZespół Leśnej Polany")


def test_abuse_signals_are_shown_never_acted_on(db, runtime, workspace, channel, agent) -> None:
    setup_shop(db, workspace)
    case = None
    for ago in (3, 4, 40):
        order = make_order(db, workspace, delivered_ago=timedelta(days=ago))
        case = chat_case(db, runtime, channel)
        ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(order_items(db, order)[0].id)])
    assert ret.status == ReturnStatus.REQUESTED  # late, so a person decides; the pattern changes nothing
    item = order_items(db, order)[0]
    for _ in range(2):
        do_register_complaint(
            db, _ai(workspace), case, order.id, item.id, description="Znowu się zepsuł.", remedy=Remedy.REPAIR
        )
    db.commit()
    case_id = case.id
    db.rollback()
    view = agent.client.get(f"/api/v1/cases/{case_id}/aftersales").json()
    assert {s["code"]: s["count"] for s in view["signals"]} == {
        "many_returns": 3,
        "late_requests": 1,
        "repeated_complaints": 1,
    }
    second = view["complaints"][1]
    assert second["proposal"]["facts"]["same_item_complaints"] == 1
    assert "repeat_item" in {r["code"] for r in second["proposal"]["reasons"]}


def test_queues_report_and_pages(db, runtime, workspace, channel, agent) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace)
    case = chat_case(db, runtime, channel)
    item = order_items(db, order)[0]
    first = do_register_complaint(
        db,
        _ai(workspace),
        case,
        order.id,
        item.id,
        description="Plama na materiale.",
        remedy=Remedy.REPLACEMENT,
    )
    second = do_register_complaint(
        db, _ai(workspace), case, order.id, item.id, description="Druga plama.", remedy=Remedy.REPLACEMENT
    )
    first.answer_due_by = first.answer_due_by - timedelta(days=15)  # overdue: a breach
    do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)])
    db.commit()
    ids = (first.id, second.id, case.id)
    db.rollback()

    queue = agent.client.get("/api/v1/complaints").json()
    assert [row["record"]["id"] for row in queue] == [ids[0], ids[1]]  # nearest deadline first
    assert queue[0]["record"]["badge"]["overdue"] is True and queue[0]["case_number"] == 1
    report = agent.client.get("/api/v1/aftersales/report").json()
    assert (report["open_complaints"], report["open_returns"], report["complaint_breaches"]) == (2, 1, 1)
    assert report["reasons_by_product"][0]["count"] == 2 and report["returns_auto_approved"] == 1

    for path in (
        "/app/aftersales/returns",
        "/app/aftersales/returns?queue=awaiting_goods",
        "/app/aftersales/complaints",
        f"/app/aftersales/complaints/{ids[0]}",
        f"/app/aftersales/cases/{ids[2]}",
        "/app/aftersales/report",
    ):
        page = agent.client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
    assert "Po terminie" in agent.client.get(f"/app/aftersales/complaints/{ids[0]}").text
    assert 'id="complaint-breaches">1<' in agent.client.get("/app/aftersales/report").text
    assert db.get(Case, ids[2]).priority == "high"
    badges = complaint_badges(db, agent.principal, [ids[2], "no-such-case"])
    assert list(badges) == [ids[2]] and badges[ids[2]].overdue is True  # the nearest of the case's two
    html = agent.client.get("/app/aftersales/report").text
    assert "reklamacja: wymiana" in html and "zwrot: bez podania przyczyny" in html
    assert "replacement" not in html
    agent.client.cookies.set("sprawa_lang", "en")
    html = agent.client.get("/app/aftersales/report").text
    assert "complaint: replacement" in html and "return: no reason given" in html
    assert "reklamacja:" not in html and "zwrot:" not in html
    db.scalars(select(Return)).first().status = ReturnStatus.REFUNDED
    db.commit()
    assert '<span class="badge">refunded: 1</span>' in agent.client.get("/app/aftersales/report").text
    agent.client.cookies.set("sprawa_lang", "pl")
    html = agent.client.get("/app/aftersales/report").text
    assert '<span class="badge">pieniądze zwrócone: 1</span>' in html


def test_a_company_order_is_shown_to_the_agent_and_waits_for_a_person(
    db, runtime, workspace, channel, agent
) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace)
    order.shipping_address = {**order.shipping_address, "company": "Kowalska Design"}
    case = chat_case(db, runtime, channel)
    item = order_items(db, order)[0]
    ret = do_start_return(db, _ai(workspace), case, order.id, [LineRequest(item.id)])
    assert ret.status == ReturnStatus.REQUESTED and ret.review_reasons == ["business_order"]
    assert "bez podania przyczyny mają konsumenci" in _last(db, case.id)  # told why
    db.commit()
    case_id = case.id
    db.rollback()
    fragment = agent.client.get(f"/app/aftersales/cases/{case_id}").text
    assert "złożono na firmę (Kowalska Design)" in fragment
    assert "zamówienie na firmę — prawa konsumenta?" in agent.client.get("/app/aftersales/returns").text
