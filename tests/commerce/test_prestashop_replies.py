"""Replies on PrestaShop threads: into the shop's thread as an employee message (once) and to the customer
by e-mail through the workspace's e-mail channel; without one, a clear error and nothing sent."""

from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, update

from sprawa.cases.models import DeliveryStatus, Message
from sprawa.channels.email.sink import SmtpSink
from sprawa.channels.models import ChannelCursor, ChannelKind, Thread
from sprawa.channels.schemas import parse_settings
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import Order
from sprawa.commerce.prestashop.connector import PrestaShop
from sprawa.commerce.prestashop.service import NO_EMAIL_CHANNEL, import_threads
from sprawa.db import utcnow
from sprawa.platform.jobs import Job
from sprawa.workspaces.models import Workspace
from tests.commerce.conftest import shop_config
from tests.factories import make_actor, make_channel
from tests.fakes.asgi import serve
from tests.fakes.prestashop import FakePrestaShop, employee_messages, message, seed, thread

SHOP_MAIL = "sklep@lesnapolana.pl"
REPLY = "Paczka wyszła wczoraj, numer śledzenia jest w zamówieniu."


def _shop_time(delta: timedelta) -> str:
    return (utcnow().astimezone(ZoneInfo("Europe/Warsaw")) + delta).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
def fake() -> Iterator[FakePrestaShop]:
    shop = FakePrestaShop()
    seed(shop, orders=2)
    yesterday = _shop_time(timedelta(days=-1))
    shop.data["customer_threads"] = [
        thread(9, "anna@example.pl", customer=1, order=1, updated=yesterday),
        thread(10, "gosc@example.pl", updated=yesterday),
    ]
    shop.data["customer_messages"] = [
        message(1, 9, "Gdzie jest moja paczka?", yesterday),
        message(2, 9, "Już sprawdzamy.", yesterday, employee=3),
        message(3, 10, "Czy macie ten kubek w kolorze zielonym?", yesterday),
    ]
    with serve(shop.app) as url:
        shop.url = url
        yield shop


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink(keep=None) as server:
        yield server


@pytest.fixture
def connected(db, workspace, admin, runtime, fake):
    """The shop connected through the settings API and its threads imported by the worker."""
    body = {"kind": "prestashop", "base_url": fake.url, "credentials": {"api_key": fake.key}}
    assert admin.client.put("/api/v1/commerce/connection", json=body).status_code == 200
    _drain(runtime)
    db.expire_all()
    return workspace


def _email_channel(db, runtime, workspace, sink: SmtpSink) -> None:
    data = {
        "address": SHOP_MAIL,
        "display_name": "Leśna Polana",
        "imap_host": "127.0.0.1",
        "imap_port": 993,
        "smtp_host": "127.0.0.1",
        "smtp_port": sink.port,
        "smtp_security": "plain",
    }
    make_channel(
        db,
        workspace,
        ChannelKind.EMAIL,
        settings=parse_settings(ChannelKind.EMAIL, data, ["127.0.0.1"]),
        credentials_encrypted=runtime.ingest.secrets.seal({"username": SHOP_MAIL, "password": "haslo"}),
    )
    db.commit()


def _drain(runtime) -> None:
    worker = runtime.worker()
    while worker.run_once():
        pass


def _make_due(runtime) -> None:
    with runtime.factory.begin() as session:
        session.execute(update(Job).values(run_at=utcnow() - timedelta(seconds=1)))


def _reply(db, app, workspace, ps_thread: int, text: str = REPLY) -> str:
    agent = make_actor(db, app, workspace, "agent")
    case_id = db.scalar(select(Thread.case_id).where(Thread.external_id == f"prestashop-thread-{ps_thread}"))
    db.rollback()  # SQLite: a read transaction left open would hold the write lock
    response = agent.client.post(f"/api/v1/cases/{case_id}/replies", json={"text": text})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _message(runtime, message_id: str) -> Message:
    with runtime.factory() as session:
        found = session.get(Message, message_id)
        assert found is not None
        return found


def _answers(fake: FakePrestaShop, ps_thread: int, text: str = REPLY) -> list[dict]:
    return [m for m in employee_messages(fake, ps_thread) if m["message"] == text]


# ------------------------------------------------------------------------------------------- contract


def test_an_employee_message_is_posted_as_webservice_xml(runtime, env, fake):
    shop = PrestaShop(env, shop_config(runtime, "prestashop", fake.url, api_key=fake.key))
    created = shop.add_employee_message("9", "4", "Wysłane <dziś> & jutro")
    posted = fake.data["customer_messages"][-1]
    assert (created, posted["id_employee"], posted["private"]) == ("4", "4", "0")
    found = shop.customer_thread("9")
    assert found is not None
    last = found.messages[-1]
    assert (last.external_id, last.employee, last.private, last.text) == ("4", True, False, posted["message"])
    assert last.text == "Wysłane <dziś> & jutro"  # escaped on the wire, the same text in the shop
    with pytest.raises(ConnectorError) as refused:
        shop.add_employee_message("9", "4", "   ")
    assert refused.value.problem == ConnectorProblem.BAD_RESPONSE
    assert len(fake.data["customer_messages"]) == 4
    assert shop.customer_thread("404") is None


# ----------------------------------------------------------------------------------------- end to end


def test_a_reply_lands_in_the_shop_thread_and_reaches_the_customer_by_mail(
    db, app, runtime, connected, fake, sink
):
    _email_channel(db, runtime, connected, sink)
    message_id = _reply(db, app, connected, 9)
    _drain(runtime)
    [posted] = _answers(fake, 9)
    assert (posted["id_employee"], posted["private"]) == ("1", "0")
    sent = _message(runtime, message_id)
    assert (sent.delivery_status, sent.delivery_error) == (DeliveryStatus.SENT, None)
    assert sent.provider_message_id == f"customer_message:{posted['id']}"
    [mail] = sink.mails
    number = db.scalar(select(Order.number).where(Order.external_id == "1"))
    assert number
    assert mail["To"] == "anna@example.pl"
    assert mail["From"] == f"Leśna Polana <{SHOP_MAIL}>"
    assert mail["Subject"].startswith(f"Re: Zamówienie {number} [#")
    assert mail.get_content().strip() == REPLY
    # The import reads the thread again (its date_upd moved) and knows our answer: no second copy.
    db.execute(delete(ChannelCursor))
    db.commit()
    import_threads(db, runtime.ingest, _shop(runtime, db, connected), connected.id)
    db.commit()
    texts = db.scalars(select(Message.body_text).where(Message.case_id == sent.case_id)).all()
    assert texts.count(REPLY) == 1


def test_a_thread_without_an_order_is_answered_under_its_subject(db, app, runtime, connected, fake, sink):
    _email_channel(db, runtime, connected, sink)
    _reply(db, app, connected, 10, "Tak, mamy go w zieleni.")
    _drain(runtime)
    assert len(_answers(fake, 10, "Tak, mamy go w zieleni.")) == 1
    [mail] = sink.mails
    assert mail["To"] == "gosc@example.pl"
    assert mail["Subject"].startswith("Re: Czy macie ten kubek w kolorze zielonym? [#")


def test_without_an_email_channel_the_agent_sees_why_and_nothing_is_sent(db, app, runtime, connected, fake):
    message_id = _reply(db, app, connected, 9)
    _drain(runtime)
    failed = _message(runtime, message_id)
    assert failed.delivery_status == DeliveryStatus.FAILED
    assert failed.delivery_error == NO_EMAIL_CHANNEL
    assert "kanał e-mail" in NO_EMAIL_CHANNEL and "cannot e-mail customers" in NO_EMAIL_CHANNEL
    assert _answers(fake, 9) == []  # not even the shop's thread: a failed reply went nowhere


def test_a_retry_after_a_mail_failure_posts_nothing_twice(db, app, runtime, connected, fake, sink):
    _email_channel(db, runtime, connected, sink)
    sink.refuse("anna@example.pl", "451 4.7.1 Try again later")
    message_id = _reply(db, app, connected, 9)
    _drain(runtime)
    [posted] = _answers(fake, 9)
    waiting = _message(runtime, message_id)
    assert waiting.delivery_status == DeliveryStatus.QUEUED
    assert waiting.provider_message_id == f"customer_message:{posted['id']}"  # remembered before the mail
    assert sink.mails == []
    sink.handler.refuse.clear()
    _make_due(runtime)
    _drain(runtime)
    assert _answers(fake, 9) == [posted]
    assert len(sink.mails) == 1
    assert _message(runtime, message_id).delivery_status == DeliveryStatus.SENT


def test_a_post_whose_answer_was_lost_is_found_in_the_thread_not_repeated(
    db, app, runtime, connected, fake, sink
):
    _email_channel(db, runtime, connected, sink)
    # An earlier attempt's post reached the shop, but the worker died before recording its id.
    message_id = _reply(db, app, connected, 9)
    now = _shop_time(timedelta(0))
    fake.data["customer_messages"].append(message(50, 9, REPLY, now, employee=1))
    fake.data["customer_threads"][0]["date_upd"] = now
    # The thread import meanwhile meets it: our reply on its way, not an employee's answer to show.
    assert import_threads(db, runtime.ingest, _shop(runtime, db, connected), connected.id) == 0
    db.commit()
    case_id = _message(runtime, message_id).case_id
    assert db.scalars(select(Message.body_text).where(Message.case_id == case_id)).all().count(REPLY) == 1
    db.rollback()
    _drain(runtime)
    assert [m["id"] for m in _answers(fake, 9)] == [50]
    sent = _message(runtime, message_id)
    assert (sent.delivery_status, sent.provider_message_id) == (DeliveryStatus.SENT, "customer_message:50")
    assert len(sink.mails) == 1
    # A second, identical answer is a new one: the shop's copy of the first belongs to the first.
    second = _reply(db, app, connected, 9)
    _drain(runtime)
    assert [m["id"] for m in _answers(fake, 9)] == [50, 51]
    assert _message(runtime, second).provider_message_id == "customer_message:51"


def _shop(runtime, db, workspace) -> PrestaShop:
    db.expire_all()
    workspace = db.get(Workspace, workspace.id)
    return PrestaShop(runtime.connector_env(), workspace.settings["commerce"])
