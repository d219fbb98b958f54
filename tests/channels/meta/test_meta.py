"""Messenger and Instagram: recorded payloads, echoes from Meta's inbox, postbacks, delivery receipts,
attachments, and the RESPONSE / HUMAN_AGENT / closed windows against the fake Send API."""

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from sprawa.auth.queries import principal_for_user
from sprawa.cases.models import Attachment, AuthorKind, Case, DeliveryStatus, Direction, Message
from sprawa.cases.service import do_reply
from sprawa.channels.meta.fake import FakeGraph, page_message, page_postback, signature
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.schemas import parse_settings
from sprawa.customers.models import Identity, IdentityKind
from sprawa.db import utcnow
from tests.channels.helpers import drain
from tests.factories import count_rows, make_channel, make_user

TOKEN = "page-token"
SECRET = "meta-app-secret"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(TOKEN) as server:
        yield server


def _channel(db, runtime, workspace, graph, kind: ChannelKind) -> Channel:  # type: ignore[no-untyped-def]
    ids = {"page_id": "PAGE1"} if kind == ChannelKind.MESSENGER else {"instagram_account_id": "IG1"}
    channel = make_channel(
        db,
        workspace,
        kind,
        settings=parse_settings(kind, {**ids, "api_base_url": graph.base_url}, ["127.0.0.1"]),
        credentials_encrypted=runtime.ingest.secrets.seal(
            {"page_access_token": TOKEN, "app_secret": SECRET, "verify_token": "v"}
        ),
    )
    db.commit()
    return channel


@pytest.fixture
def page(db, runtime, workspace, graph) -> Channel:  # type: ignore[no-untyped-def]
    return _channel(db, runtime, workspace, graph, ChannelKind.MESSENGER)


def post(client, db, channel: Channel, payload: dict[str, Any], secret: str = SECRET):  # type: ignore[no-untyped-def]
    url = f"/api/v1/inbound/meta/{channel.public_key}"
    db.commit()
    body = json.dumps(payload).encode()
    return client.post(url, content=body, headers={"X-Hub-Signature-256": signature(secret, body)})


def test_recorded_messenger_and_instagram_messages(client, db, runtime, workspace, graph, page):
    instagram = _channel(db, runtime, workspace, graph, ChannelKind.INSTAGRAM)
    assert post(client, db, page, fixture("messenger_text.json")).json() == {"stored": 1}
    assert post(client, db, page, fixture("messenger_text.json")).json() == {"stored": 0}
    assert post(client, db, instagram, fixture("instagram_text.json")).json() == {"stored": 1}
    assert post(client, db, page, fixture("messenger_text.json"), secret="nope").status_code == 401
    drain(runtime, db)
    assert sorted(db.scalars(select(Message.body_text))) == ["Czy macie rozmiar M?", "hello, world!"]
    kinds = sorted((i.kind, i.value, i.verified) for i in db.scalars(select(Identity)))
    assert kinds == [
        (IdentityKind.INSTAGRAM_ID, "IGSID1", True),
        (IdentityKind.MESSENGER_PSID, "PSID1", True),
    ]


def test_postback_and_an_echo_typed_in_metas_inbox(client, db, runtime, page):
    post(client, db, page, fixture("messenger_text.json"))
    post(client, db, page, fixture("messenger_postback.json"))
    post(client, db, page, fixture("messenger_echo_inbox.json"))
    post(client, db, page, page_message("PAGE1", "PSID1", "nasza", echo=True, metadata="sprawa:01abc"))
    drain(runtime, db)
    rows = [
        (m.direction, m.author_kind, m.body_text) for m in db.scalars(select(Message).order_by(Message.seq))
    ]
    assert rows == [
        (Direction.INBOUND, AuthorKind.CUSTOMER, "hello, world!"),
        (Direction.INBOUND, AuthorKind.CUSTOMER, "Status zamówienia"),
        (Direction.OUTBOUND, AuthorKind.AGENT, "Odpisuję z Meta Business Suite"),
    ]
    assert count_rows(db, Case) == 1


def test_attachments_are_fetched_now_because_metas_urls_expire(client, db, runtime, page, graph):
    host = f"http://127.0.0.1:{graph.server_address[1]}"
    files = [
        {"type": "image", "payload": {"url": f"{host}/cdn/42.png"}},
        {"type": "file", "payload": {"url": f"{host}/missing/1"}},
        {"type": "fallback", "payload": {"url": "https://example.com/link"}},
    ]
    post(client, db, page, page_message("PAGE1", "PSID9", "zdjęcie", attachments=files))
    drain(runtime, db)
    assert db.scalars(select(Attachment.content_type)).all() == ["image/png"]
    assert (
        db.scalars(select(Message.body_text)).one() == f"zdjęcie\n{host}/missing/1\nhttps://example.com/link"
    )


def _reply_after(
    client, db, runtime, workspace, page, graph, age: timedelta, *, human: bool = True
) -> Message:
    post(client, db, page, fixture("messenger_text.json"))
    drain(runtime, db)
    graph.customer_wrote("PSID1", utcnow() - age)
    db.execute(update(Message).values(created_at=utcnow() - age))
    case = db.scalars(select(Case)).one()
    reply = do_reply(db, principal_for_user(db, make_user(db, workspace, "agent")), case, "Dzień dobry!")
    if not human:
        reply.author_kind = AuthorKind.AI
    drain(runtime, db)
    db.expire_all()
    return db.get(Message, reply.id)


def test_reply_within_24_hours_is_a_response(client, db, runtime, workspace, page, graph):
    sent = _reply_after(client, db, runtime, workspace, page, graph, timedelta(hours=2))
    assert sent.delivery_status == DeliveryStatus.SENT
    assert graph.sent[0]["messaging_type"] == "RESPONSE"
    assert graph.sent[0]["message"]["metadata"] == f"sprawa:{sent.id}"
    post(
        client,
        db,
        page,
        {
            "object": "page",
            "entry": [
                {
                    "id": "PAGE1",
                    "messaging": [
                        {
                            "sender": {"id": "PSID1"},
                            "recipient": {"id": "PAGE1"},
                            "timestamp": 1,
                            "delivery": {"mids": [sent.provider_message_id], "watermark": 1},
                        }
                    ],
                }
            ],
        },
    )
    drain(runtime, db)
    db.expire_all()
    assert db.get(Message, sent.id).delivery_status == DeliveryStatus.DELIVERED


def test_human_reply_after_a_day_carries_the_human_agent_tag(client, db, runtime, workspace, page, graph):
    sent = _reply_after(client, db, runtime, workspace, page, graph, timedelta(days=3))
    assert sent.delivery_status == DeliveryStatus.SENT
    assert (graph.sent[0]["messaging_type"], graph.sent[0]["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")


def test_automatic_reply_after_a_day_is_refused_clearly(client, db, runtime, workspace, page, graph):
    sent = _reply_after(client, db, runtime, workspace, page, graph, timedelta(days=2), human=False)
    assert sent.delivery_status == DeliveryStatus.FAILED
    assert sent.delivery_error.startswith("Minęło ponad 24 godziny")


def test_after_seven_days_nothing_can_be_sent(client, db, runtime, workspace, page, graph):
    sent = _reply_after(client, db, runtime, workspace, page, graph, timedelta(days=8))
    assert sent.delivery_status == DeliveryStatus.FAILED
    assert sent.delivery_error.startswith("Minęło ponad 7 dni")
    assert graph.sent == []


def test_postback_builder_matches_the_recorded_shape():
    built = page_postback("PAGE1", "PSID1", "Status zamówienia", "ORDER_STATUS")
    recorded = fixture("messenger_postback.json")
    assert built.keys() == recorded.keys()
    assert built["entry"][0]["messaging"][0].keys() == recorded["entry"][0]["messaging"][0].keys()
