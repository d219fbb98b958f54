"""End-to-end: a stored customer message → the ai.respond job → a reply in the outbox (or a person)."""

from sqlalchemy import select

from sprawa.aftersales.models import Complaint
from sprawa.ai.models import AICaseState, AIDecision, AIMode
from sprawa.ai.service import respond
from sprawa.cases.models import AuthorKind, Case, Direction, Message, Note
from sprawa.commerce.base import OrderStatus
from sprawa.commerce.demo.models import DemoOrder
from sprawa.platform.jobs import Job
from tests.ai.conftest import NOW, ai_replies
from tests.ai.shop import TRACKING, send


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


def test_return_inside_the_window_is_started_after_a_yes(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    case = _turn(db, runtime, chat, "Chcę zwrócić sweter z zamówienia 100102, jest za duży.")
    first = ai_replies(db, case.id)[-1]
    assert "100102" in first and "Sweter z wełny merino" in first and "„tak”" in first
    order = db.scalars(select(DemoOrder).where(DemoOrder.number == "100102")).one()
    assert order.status == OrderStatus.DELIVERED  # nothing happens before the yes
    _turn(db, runtime, chat, "Tak, proszę")
    done = ai_replies(db, case.id)[-1]
    db.refresh(order)
    assert order.status == OrderStatus.RETURN_REQUESTED
    assert "ZW-100102-1" in done and "249,00" in done


def test_return_outside_the_window_is_refused_politely_with_a_person_offered(db, runtime, chat, shop):  # type: ignore[no-untyped-def]
    case = _turn(db, runtime, chat, "Chcę zwrócić kubek z zamówienia 100103")
    reply = ai_replies(db, case.id)[-1]
    assert "termin na zwrot (14 dni) minął" in reply
    assert "reklamację" in reply and "konsultant" in reply
    order = db.scalars(select(DemoOrder).where(DemoOrder.number == "100103")).one()
    assert order.status == OrderStatus.DELIVERED


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
