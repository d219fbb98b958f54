"""Allegro against the local fake: device-flow connection, token refresh, polling threads and disputes
with cursors, the buyer's order and e-mail, replies with 429 back-off, and the no-marketing rule."""

import pytest
from sqlalchemy import select, update

from sprawa.auth.queries import principal_for_user
from sprawa.cases.models import Case, CaseOrder, DeliveryStatus, Message
from sprawa.cases.service import do_reply
from sprawa.channels.allegro.fake import FakeAllegro
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.schemas import parse_settings
from sprawa.commerce.models import Order
from sprawa.customers.models import Identity, IdentityKind
from sprawa.db import utcnow
from sprawa.platform.jobs import Job
from tests.channels.helpers import drain
from tests.factories import count_rows, make_channel, make_user


@pytest.fixture
def allegro():
    with FakeAllegro() as server:
        yield server


def _channel(db, runtime, workspace, allegro) -> Channel:
    settings = {"seller_login": "LesnaPolana", "api_base_url": allegro.url, "auth_base_url": allegro.url}
    channel = make_channel(
        db,
        workspace,
        ChannelKind.ALLEGRO,
        settings=parse_settings(ChannelKind.ALLEGRO, settings, ["127.0.0.1"]),
        credentials_encrypted=runtime.ingest.secrets.seal({"client_id": "cid", "client_secret": "cs"}),
    )
    db.commit()
    return channel


def _poll(runtime, channel_id: str) -> None:
    with runtime.factory() as session:
        channel = session.get(Channel, channel_id)
        session.expunge(channel)
    runtime.ingest.adapters[ChannelKind.ALLEGRO].poll(
        runtime.factory, channel, runtime.ingest.secrets.open(channel.credentials_encrypted)
    )


def test_connect_poll_link_order_and_reply(db, runtime, workspace, admin, allegro):
    channel = _channel(db, runtime, workspace, allegro)
    started = admin.client.post(f"/api/v1/channels/{channel.id}/allegro/connect").json()
    assert started["user_code"] == "ABC-DEF" and "skojarz-aplikacje" in started["verification_uri_complete"]
    check = f"/api/v1/channels/{channel.id}/allegro/connect/check"
    assert admin.client.post(check).json() == {"status": "pending"}
    allegro.approved = True
    assert admin.client.post(check).json() == {"status": "connected"}
    db.add(
        Order(
            workspace_id=workspace.id,
            external_id="29738e61-7f6a-11e8-ac45-09db60ede9d6",
            number="100777",
            status="paid",
            payment_status="paid",
            total=10,
            placed_at=utcnow(),
        )
    )
    allegro.threads = [
        {
            "id": "T1",
            "read": False,
            "lastMessageDateTime": "2026-11-23T10:00:00.000Z",
            "interlocutor": {"login": "kupujacy_jan"},
        }
    ]
    allegro.messages["T1"] = [
        {
            "id": "M1",
            "status": "DELIVERED",
            "type": "MESSAGE_CENTER",
            "createdAt": "2026-11-23T10:00:00.000Z",
            "thread": {"id": "T1"},
            "author": {"login": "kupujacy_jan", "isInterlocutor": True},
            "text": "Kiedy wyślecie paczkę?",
            "relatesTo": {"order": {"id": "29738e61-7f6a-11e8-ac45-09db60ede9d6"}},
            "attachments": [],
        },
        {
            "id": "M0",
            "status": "DELIVERED",
            "type": "MESSAGE_CENTER",
            "createdAt": "2026-11-23T09:00:00.000Z",
            "thread": {"id": "T1"},
            "author": {"login": "LesnaPolana", "isInterlocutor": False},
            "text": "Dziękujemy",
        },
    ]
    allegro.forms["29738e61-7f6a-11e8-ac45-09db60ede9d6"] = {"buyer": {"email": "jan.k+abc@allegromail.pl"}}
    allegro.disputes = [
        {
            "id": "D1",
            "subject": {"name": "Towar uszkodzony"},
            "status": "ONGOING",
            "buyer": {"id": "1", "login": "kupujacy_jan"},
            "checkoutForm": {"id": "other"},
            "lastMessageCreationDate": "2026-11-23T11:00:00.000Z",
        }
    ]
    allegro.dispute_messages["D1"] = [
        {
            "id": "DM1",
            "text": "Przyszło pęknięte",
            "author": {"login": "kupujacy_jan", "role": "BUYER"},
            "createdAt": "2026-11-23T11:00:00.000Z",
        }
    ]
    db.commit()
    _poll(runtime, channel.id)
    _poll(runtime, channel.id)  # nothing new: the cursors hold
    drain(runtime, db)
    texts = sorted(db.scalars(select(Message.body_text)))
    assert texts == ["Kiedy wyślecie paczkę?", "Przyszło pęknięte"]
    identities = {(i.kind, i.value) for i in db.scalars(select(Identity))}
    assert identities == {
        (IdentityKind.ALLEGRO_LOGIN, "kupujacy_jan"),
        (IdentityKind.EMAIL, "jan.k+abc@allegromail.pl"),
    }
    thread_case = db.get(
        Case, db.scalars(select(Message.case_id).where(Message.body_text.like("Kiedy%"))).one()
    )
    assert count_rows(db, CaseOrder, CaseOrder.case_id == thread_case.id) == 1
    user = make_user(db, workspace, "agent")
    advert = do_reply(db, principal_for_user(db, user), thread_case, "Mamy promocję! Kod rabatowy LATO10")
    reply = do_reply(db, principal_for_user(db, user), thread_case, "Paczka wyjdzie jutro.")
    allegro.fail_next = [429]
    for _ in range(3):
        drain(runtime, db)
        db.execute(update(Job).values(run_at=utcnow()))
    drain(runtime, db)
    db.expire_all()
    assert db.get(Message, advert.id).delivery_status == DeliveryStatus.FAILED
    assert db.get(Message, advert.id).delivery_error.startswith("Regulamin Allegro nie pozwala na reklamę")
    assert db.get(Message, reply.id).delivery_status == DeliveryStatus.SENT
    assert allegro.posted == [("/messaging/threads/T1/messages", {"text": "Paczka wyjdzie jutro."})]
