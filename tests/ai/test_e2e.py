"""End-to-end: a stored customer message → the ai.respond job → a reply in the outbox (or a person)."""

from sqlalchemy import select

from sprawa.aftersales.models import Complaint, IntakeSource, Return, ReturnStatus
from sprawa.ai.models import AICaseState, AIDecision, AIMode
from sprawa.ai.service import respond
from sprawa.cases.models import AuthorKind, Case, Direction, Message, Note
from sprawa.commerce.base import OrderStatus
from sprawa.commerce.demo.models import DemoOrder
from sprawa.platform.jobs import Job
from sprawa.workspaces.models import Policy, PolicyKind
from sprawa.workspaces.schemas import parse_policy
from tests.ai.conftest import NOW, ai_replies
from tests.ai.shop import TRACKING, send

PACZKOMAT_CODE = "ZWROT-LP-7781"


def _turn(db, runtime, chat, text, **kw):  # type: ignore[no-untyped-def]
    message = send(db, runtime.ingest, chat, text, **kw)
    db.commit()
    respond(db, message.id, now=NOW)
    db.commit()
    return db.get(Case, message.case_id)


def test_inbound_message_enqueues_the_ai_job_and_the_worker_answers(db, runtime, chat):  # type: ignore[no-untyped-def]
    message = send(db, runtime.ingest, chat, "Gdzie jest moja paczka z zamówienia 100101?")
    db.commit()
    job = db.scalars(select(Job).where(Job.kind == "ai.respond")).one()
    assert job.payload == {"message_id": message.id}
    db.rollback()  # SQLite: one writer at a time
    worker = runtime.worker()
    while worker.run_once():
        pass
    db.expire_all()
    [reply] = ai_replies(db, message.case_id)
    assert "100101" in reply and "InPost" in reply


def test_polish_wismo_is_answered_with_the_real_shipment_facts(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    case = _turn(db, runtime, chat, "Dzień dobry, gdzie jest moja paczka? Zamówienie 100101")
    [reply] = ai_replies(db, case.id)
    assert "automatyczny asystent" in reply  # disclosure at the first AI message
    assert "Anna" in reply
    assert "InPost" in reply and "Przyjęta w sortowni" in reply and "Sortownia Kraków" in reply
    assert "KRA01N" in reply and TRACKING in reply
    assert "https://inpost.pl/sledzenie-przesylek?number=" + TRACKING in reply
    assert "21.05.2026" in reply  # the carrier's ETA, formatted in Polish
    decision = db.scalars(
        select(AIDecision).where(AIDecision.case_id == case.id, AIDecision.step == "reply")
    ).one()
    assert decision.chosen == "wismo_answer" and decision.reply_message_id is not None
    assert any(c["action"] == "lookup_order" for c in decision.tool_calls)


def _returns_policy(db, ws, **values):  # type: ignore[no-untyped-def]
    """The shop's returns policy with an InPost return code (how goods come back) plus ``values``."""
    data = {"paczkomat_return_code": PACZKOMAT_CODE, **values}
    for row in db.scalars(
        select(Policy).where(Policy.workspace_id == ws.id, Policy.kind == PolicyKind.RETURNS)
    ):
        row.active = False
    typed = parse_policy(PolicyKind.RETURNS, data).model_dump(mode="json")
    db.add(Policy(workspace_id=ws.id, kind=PolicyKind.RETURNS, version=9, data=typed, active=True))
    db.commit()


def test_return_inside_the_window_is_approved_after_a_yes_with_instructions(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    _returns_policy(db, shop.ws)
    case = _turn(db, runtime, chat, "Chcę zwrócić sweter z zamówienia 100102, jest za duży.")
    first = ai_replies(db, case.id)[-1]
    assert "100102" in first and "Sweter z wełny merino" in first and "„tak”" in first
    assert "29.05.2026 (piątek)" in first  # delivered on 15 May + 14 days
    order = db.scalars(select(DemoOrder).where(DemoOrder.number == "100102")).one()
    assert order.status == OrderStatus.DELIVERED  # nothing happens before the yes
    assert db.scalars(select(Return)).all() == []
    _turn(db, runtime, chat, "Tak, proszę")
    done = ai_replies(db, case.id)[-1]
    db.refresh(order)
    assert order.status == OrderStatus.RETURN_REQUESTED  # registered at the shop too
    ret = db.scalars(select(Return).where(Return.case_id == case.id)).one()
    assert (ret.number, ret.status, ret.source, ret.auto_approved) == (
        "ZW-100102-1",
        ReturnStatus.AWAITING_GOODS,
        IntakeSource.AI,
        True,
    )
    assert ret.method == "paczkomat" and str(ret.withdrawal_deadline) == "2026-05-29"
    # The reply carries the number, the Paczkomat code, the goods-back date and the refund deadline.
    assert "ZW-100102-1" in done and PACZKOMAT_CODE in done and "249,00" in done
    assert done.count("03.06.2026 (środa)") == 2
    # The AI's reply is the instruction: no second message from the record.
    outbound = db.scalars(
        select(Message).where(Message.case_id == case.id, Message.direction == Direction.OUTBOUND)
    ).all()
    assert [m.author_kind for m in outbound] == [AuthorKind.AI, AuthorKind.AI]
    decision = db.scalars(
        select(AIDecision).where(AIDecision.case_id == case.id, AIDecision.chosen == "start_return_done")
    ).one()
    [call] = [c for c in decision.tool_calls if c["action"] == "start_return"]
    assert call["status"] == "done" and call["confirmed"] is True
    assert call["check"]["data"]["return_number"] == "ZW-100102-1"
    assert call["check"]["data"]["return_status"] == "awaiting_goods"
    assert "ZW-100102-1" in decision.summary and "paczkomat" in decision.summary


def test_return_outside_the_window_is_explained_with_a_person_offered(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    _returns_policy(db, shop.ws)
    case = _turn(db, runtime, chat, "Chcę zwrócić kubek z zamówienia 100103")
    reply = ai_replies(db, case.id)[-1]
    assert "termin na zwrot (14 dni) minął" in reply and "24.04.2026" in reply
    assert "reklamację" in reply and "konsultant" in reply
    order = db.scalars(select(DemoOrder).where(DemoOrder.number == "100103")).one()
    assert order.status == OrderStatus.DELIVERED
    assert db.scalars(select(Return)).all() == []
    assert case.escalated is False  # offered, not forced: the customer may prefer a complaint


def test_shop_that_did_not_inform_about_withdrawal_gives_twelve_more_months(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    _returns_policy(db, shop.ws, withdrawal_info_given=False)  # art. 29
    case = _turn(db, runtime, chat, "Chcę zwrócić kubek z zamówienia 100103")
    assert "24.04.2027" in ai_replies(db, case.id)[-1]
    _turn(db, runtime, chat, "tak")
    ret = db.scalars(select(Return).where(Return.case_id == case.id)).one()
    assert ret.status == ReturnStatus.AWAITING_GOODS and str(ret.withdrawal_deadline) == "2027-04-24"


def test_return_a_person_must_decide_is_explained_recorded_and_handed_off(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    _returns_policy(db, shop.ws, ai_may_start_return=False)
    case = _turn(db, runtime, chat, "Chcę zwrócić sweter z zamówienia 100102")
    first = ai_replies(db, case.id)[-1]
    assert "Zwroty zatwierdza u nas konsultant." in first and "„tak”" in first
    assert db.scalars(select(Return)).all() == []
    case = _turn(db, runtime, chat, "tak")
    ret = db.scalars(select(Return).where(Return.case_id == case.id)).one()
    assert ret.status == ReturnStatus.REQUESTED and ret.review_reasons == ["ai_not_allowed"]
    handoff = ai_replies(db, case.id)[-1]
    assert ret.number in handoff and "sprawdzi osoba z naszego zespołu" in handoff
    assert case.escalated is True and "zwrot" in case.tags
    decision = db.scalars(
        select(AIDecision).where(AIDecision.case_id == case.id, AIDecision.chosen == "start_return_review")
    ).one()
    assert decision.step == "escalate" and decision.escalation_reasons == ["approval_required"]
    assert ret.number in decision.summary


def test_furious_message_is_escalated_with_the_right_reason(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    case = _turn(
        db,
        runtime,
        chat,
        "To już trzeci raz piszę!!! SKANDAL, nikt mi nie odpowiada, wystawię wam negatywną opinię",
    )
    decision = db.scalars(
        select(AIDecision).where(AIDecision.case_id == case.id, AIDecision.step == "escalate")
    ).one()
    assert "frustration" in decision.escalation_reasons or "repeat_contact" in decision.escalation_reasons
    assert case.escalated is True
    reply = ai_replies(db, case.id)[-1]
    assert "przepraszam" in reply.lower()
    state = db.scalars(select(AICaseState).where(AICaseState.case_id == case.id)).one()
    assert state.mode == AIMode.HANDED_OFF
    summary = db.scalars(select(Note).where(Note.case_id == case.id)).one().body_text
    topic = next(line for line in summary.splitlines() if line.startswith("Temat: "))
    assert "_" not in topic.split("(")[0]  # the intent in words, not its code
    # The next message is for the person, not the AI.
    _turn(db, runtime, chat, "Halo?")
    assert len(ai_replies(db, case.id)) == 1


def test_complaint_with_a_photo_is_handed_to_a_person_with_a_summary(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    case = _turn(
        db,
        runtime,
        chat,
        "Sweter z zamówienia 100102 przyszedł uszkodzony, ma dziurę na rękawie. "
        "Składam reklamację, proszę o wymianę.",
        photos=1,
    )
    reply = ai_replies(db, case.id)[-1]
    assert "reklamac" in reply.lower() and "03.06.2026" in reply  # 14 days from receipt
    assert case.escalated is True
    note = db.scalars(select(Note).where(Note.case_id == case.id)).one()
    assert "Reklamacja" in note.body_text and "zdjęcia: 1" in note.body_text
    assert "replacement" in note.body_text and "100102" in note.body_text
    record = db.scalars(select(Complaint).where(Complaint.case_id == case.id)).one()
    assert record.remedy == "replacement" and record.number in note.body_text
    # The AI's reply is the only confirmation: the complaint record does not send a second one.
    outbound = db.scalars(
        select(Message).where(Message.case_id == case.id, Message.direction == Direction.OUTBOUND)
    ).all()
    assert [m.author_kind for m in outbound] == [AuthorKind.AI]


def test_english_conversation_is_answered_in_english(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    case = _turn(
        db, runtime, chat, "Hi, where is my parcel? My order number is 100101.", name="Anna Kowalska"
    )
    reply = ai_replies(db, case.id)[-1]
    assert "automated assistant" in reply and "on its way" in reply and "100101" in reply


def test_ukrainian_conversation_is_answered_in_ukrainian(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    case = _turn(
        db, runtime, chat, "Добрий день! Де зараз моя посилка із замовлення 100101?", name="Anna Kowalska"
    )
    reply = ai_replies(db, case.id)[-1]
    assert "автоматичний помічник" in reply and "100101" in reply and "KRA01N" in reply


def test_german_conversation_is_answered_in_german(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    case = _turn(db, runtime, chat, "Hallo, wo ist mein Paket? Bestellung 100101")
    reply = ai_replies(db, case.id)[-1]
    assert "automatische Assistent" in reply and "unterwegs" in reply


def test_unverified_customer_is_asked_to_verify_before_any_order_data(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    case = _turn(db, runtime, chat, "Gdzie jest zamówienie 100101?", email=None, thread="anon")
    reply = ai_replies(db, case.id)[-1]
    assert "numer zamówienia oraz adres e-mail albo kod pocztowy" in reply
    assert "KRA01N" not in reply and "InPost" not in reply
    _turn(db, runtime, chat, "100101, anna.kowalska@example.pl", email=None, thread="anon")
    assert "KRA01N" in ai_replies(db, case.id)[-1]


def test_talk_to_a_person_always_works(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    case = _turn(db, runtime, chat, "Chcę rozmawiać z człowiekiem, nie z botem")
    decision = db.scalars(
        select(AIDecision).where(AIDecision.case_id == case.id, AIDecision.step == "escalate")
    ).one()
    assert decision.escalation_reasons == ["human_request"]
    assert "konsultant" in ai_replies(db, case.id)[-1]


def test_when_answering_keeps_failing_the_case_goes_to_a_person(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    from sprawa.ai.tasks import ai_job_dead

    message = send(db, runtime.ingest, chat, "Gdzie jest moja paczka?")
    db.commit()
    job = db.scalars(select(Job).where(Job.kind == "ai.respond")).one()
    job.last_error = "ConnectError: the shop is down"
    ai_job_dead(db, job)
    db.commit()
    case = db.get(Case, message.case_id)
    assert case.escalated and ai_replies(db, case.id) == []
    decision = db.scalars(select(AIDecision).where(AIDecision.case_id == case.id)).one()
    assert decision.escalation_reasons == ["failed_action"] and "shop is down" in decision.reason


def test_ai_answers_from_a_woocommerce_shop_through_the_worker(db, runtime, workspace, nlu):  # type: ignore[no-untyped-def]
    """A remote shop: the ai.respond job reaches WooCommerce with the process's ConnectorEnv."""
    from sprawa.channels.models import ChannelKind
    from sprawa.commerce.woocommerce.fake import FakeWooCommerce, make_order
    from tests.commerce.conftest import shop_config
    from tests.factories import make_channel
    from tests.fakes.asgi import serve

    fake = FakeWooCommerce()
    fake.orders = {300: make_order(300, tracking="602677439331630337653846", status="completed")}
    with serve(fake.app) as url:
        config = shop_config(runtime, "woocommerce", url, consumer_key="ck_test", consumer_secret="cs_test")
        workspace.settings = {
            "commerce": config,
            "ai": {"enabled": True},
            "order_number_pattern": r"\b(\d{3})\b",
        }
        channel = make_channel(db, workspace, ChannelKind.WEBCHAT)
        db.commit()
        message = send(
            db, runtime.ingest, channel, "Gdzie jest moja paczka? Zamówienie 300", email="anna@example.pl"
        )
        db.commit()
        db.rollback()  # SQLite: one writer at a time
        worker = runtime.worker()
        while worker.run_once():
            pass
    db.expire_all()
    [reply] = ai_replies(db, message.case_id)
    assert "Zamówienie 300 ma status „w transporcie”" in reply
    assert "https://inpost.pl/sledzenie-przesylek?number=602677439331630337653846" in reply
    assert any(r.startswith("GET /wp-json/wc/v3/orders") for r in fake.requests)
    decision = db.scalars(
        select(AIDecision).where(AIDecision.case_id == message.case_id, AIDecision.step == "reply")
    ).one()
    assert decision.chosen == "wismo_answer"


def test_agent_assist_checks_returns_in_a_read_only_request(db, runtime, chat, shop, agent):  # type: ignore[no-untyped-def]
    _returns_policy(db, shop.ws)
    case = _turn(db, runtime, chat, "Chcę zwrócić sweter z zamówienia 100102")
    # GET runs on the read-only session: the after-sales check must not write (the order is cached).
    response = agent.client.get(f"/api/v1/cases/{case.id}/ai/assist")
    assert response.status_code == 200
    # Checked against today (the order was delivered in May 2026): the window is closed, not suggested.
    assert [a for a in response.json()["suggested_actions"] if a["action"] == "start_return"] == []
    assert db.scalars(select(Return)).all() == []


def test_a_courier_label_outside_the_ai_link_list_goes_as_the_shops_own_message(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    _returns_policy(
        db,
        shop.ws,
        paczkomat_return_code="",
        return_methods=["courier"],
        courier_label_url="https://etykiety.example/zwrot",
        return_address="Leśna Polana, ul. Leśna 1, 30-002 Kraków",
    )
    case = _turn(db, runtime, chat, "Chcę zwrócić sweter z zamówienia 100102")
    case = _turn(db, runtime, chat, "tak")
    ret = db.scalars(select(Return).where(Return.case_id == case.id)).one()
    assert ret.status == ReturnStatus.AWAITING_GOODS and ret.method == "courier"
    outbound = db.scalars(
        select(Message)
        .where(Message.case_id == case.id, Message.direction == Direction.OUTBOUND)
        .order_by(Message.seq)
    ).all()
    # The AI may only link allow-listed pages: the label comes in the shop's instructions, the AI says so.
    instructions, reply = outbound[-2], outbound[-1]
    assert (
        instructions.author_kind != AuthorKind.AI
        and "https://etykiety.example/zwrot" in instructions.body_text
    )
    assert reply.author_kind == AuthorKind.AI and ret.number in reply.body_text
    assert "osobnej wiadomości" in reply.body_text and "https://" not in reply.body_text
    assert case.escalated is False
