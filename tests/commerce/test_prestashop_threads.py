"""PrestaShop customer service threads imported into the inbox: durable, in order, once, on a schedule."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from sprawa.cases.models import AuthorKind, Case, CaseOrder, Direction, Message
from sprawa.channels.models import Channel, ChannelCursor, Thread
from sprawa.commerce.models import ConnectorHealth, Order
from sprawa.commerce.prestashop.connector import PrestaShop
from sprawa.commerce.prestashop.service import HEALTH_SOURCE, THREADS_JOB, import_threads
from sprawa.customers.models import Identity
from sprawa.db import utcnow
from sprawa.platform.inbound import InboundEvent
from sprawa.platform.jobs import Job
from tests.commerce.conftest import shop_config
from tests.fakes.asgi import serve
from tests.fakes.prestashop import FakePrestaShop, message, seed, thread


def _shop_time(delta: timedelta) -> str:
    from zoneinfo import ZoneInfo

    return (utcnow().astimezone(ZoneInfo("Europe/Warsaw")) + delta).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
def fake():
    shop = FakePrestaShop()
    seed(shop)
    yesterday = _shop_time(timedelta(days=-1))
    shop.data["customer_threads"] = [
        thread(9, "anna@example.pl", customer=1, order=1, updated=yesterday),
        thread(10, "gosc@example.pl", updated=yesterday),
        thread(11, "stara@example.pl", updated=_shop_time(timedelta(days=-30))),  # before the first import
    ]
    shop.data["customer_messages"] = [
        message(1, 9, "Gdzie jest moja paczka?", yesterday),
        message(2, 9, "Już sprawdzamy.", yesterday, employee=1),
        message(3, 9, "Klientka dzwoniła też telefonicznie.", yesterday, employee=1, private=1),
        message(4, 10, "Czy macie ten kubek w kolorze zielonym?", yesterday),
        message(5, 11, "Stara sprawa", yesterday),
    ]
    with serve(shop.app) as url:
        shop.url = url
        yield shop


@pytest.fixture
def ps(runtime, fake, env):
    return PrestaShop(env, shop_config(runtime, "prestashop", fake.url, api_key=fake.key))


def _messages(db, case_id):
    return [
        (m.direction, m.author_kind, m.body_text)
        for m in db.scalars(select(Message).where(Message.case_id == case_id).order_by(Message.created_at))
    ]


def test_threads_become_cases_with_customer_and_employee_messages(db, workspace, runtime, ps):
    assert import_threads(db, runtime.ingest, ps, workspace.id) == 2
    db.commit()
    channel = db.scalars(select(Channel).where(Channel.workspace_id == workspace.id)).one()
    assert (channel.name, channel.kind) == ("PrestaShop", "form")
    assert runtime.ingest.secrets.open(channel.credentials_encrypted)["signing_secret"]  # no unsigned posts
    anna = db.scalars(select(Thread).where(Thread.external_id == "prestashop-thread-9")).one()
    assert _messages(db, anna.case_id) == [
        (Direction.INBOUND, AuthorKind.CUSTOMER, "Gdzie jest moja paczka?"),
        (Direction.OUTBOUND, AuthorKind.AGENT, "Już sprawdzamy."),  # the private staff note stays in the shop
    ]
    identities = {i.value: i.verified for i in db.scalars(select(Identity))}
    assert identities == {"anna@example.pl": True, "gosc@example.pl": False}  # only a shop login vouches
    keys = set(db.scalars(select(InboundEvent.provider_key)))
    assert keys == {"customer_message:1", "customer_message:4"}
    assert db.scalar(select(func.count()).select_from(Case)) == 2  # the 30-day-old thread is not imported


def test_reimport_is_harmless_and_new_messages_follow_the_cursor(db, workspace, runtime, ps, fake):
    import_threads(db, runtime.ingest, ps, workspace.id)
    db.commit()
    db.execute(delete(ChannelCursor))  # as if the cursor were lost: everything is read again
    assert import_threads(db, runtime.ingest, ps, workspace.id) == 0
    db.commit()
    assert db.scalar(select(func.count()).select_from(Message)) == 3
    assert db.scalar(select(func.count()).select_from(InboundEvent)) == 2
    now = _shop_time(timedelta(0))
    fake.data["customer_threads"][1]["date_upd"] = now
    fake.data["customer_messages"].append(message(6, 10, "Halo, czy ktoś odpowie?", now))
    assert import_threads(db, runtime.ingest, ps, workspace.id) == 1
    db.commit()
    cursor = db.scalars(select(ChannelCursor)).one()
    assert cursor.value == {"date_upd": now, "id": 10}
    guest = db.scalars(select(Thread).where(Thread.external_id == "prestashop-thread-10")).one()
    assert [text for _, _, text in _messages(db, guest.case_id)] == [
        "Czy macie ten kubek w kolorze zielonym?",
        "Halo, czy ktoś odpowie?",
    ]


def test_scheduled_for_prestashop_workspaces_with_the_order_linked(db, workspace, admin, runtime, fake):
    body = {"kind": "prestashop", "base_url": fake.url, "credentials": {"api_key": fake.key}}
    assert admin.client.put("/api/v1/commerce/connection", json=body).status_code == 200
    worker = runtime.worker()
    for _ in range(3):
        worker.run_once()
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Job).where(Job.kind == THREADS_JOB)) == 1
    anna = db.scalars(select(Thread).where(Thread.external_id == "prestashop-thread-9")).one()
    order = db.scalars(select(Order).where(Order.external_id == "1")).one()
    assert db.scalar(select(CaseOrder.order_id).where(CaseOrder.case_id == anna.case_id)) == order.id
    health = db.scalars(select(ConnectorHealth).where(ConnectorHealth.source == HEALTH_SOURCE)).one()
    assert health.ok and health.last_sync_at is not None
    channel_id = _config(db, workspace)["threads_channel_id"]
    db.rollback()
    # Saving the connection again keeps the same channel.
    assert admin.client.put("/api/v1/commerce/connection", json=body).status_code == 200
    assert _config(db, workspace)["threads_channel_id"] == channel_id


def test_a_wrong_key_shows_in_the_threads_health(db, workspace, admin, runtime, fake):
    body = {"kind": "prestashop", "base_url": fake.url, "credentials": {"api_key": "WRONG"}}
    assert admin.client.put("/api/v1/commerce/connection", json=body).status_code == 200
    worker = runtime.worker()
    for _ in range(3):
        worker.run_once()
    db.expire_all()
    health = db.scalars(select(ConnectorHealth).where(ConnectorHealth.source == HEALTH_SOURCE)).one()
    assert not health.ok and health.problem == "bad_credentials"
    assert db.scalar(select(func.count()).select_from(Message)) == 0


def _config(db, workspace):
    from sprawa.workspaces.models import Workspace

    db.expire_all()
    return db.get(Workspace, workspace.id).settings["commerce"]
