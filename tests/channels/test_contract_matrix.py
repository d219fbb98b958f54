"""Contract matrix, channels: the cells the per-adapter tests left open (docs/contract-tests.md).

Against the local fakes only: missing/malformed webhook signatures, refused credentials mapped to the
provider's own error, outbound through 429 / 5xx / real client timeouts delivered once, Allegro's
paging of threads and of messages inside a thread, dispute replies, and SMTP's temporary refusals.
"""

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from sprawa.auth.queries import principal_for_user
from sprawa.cases.models import Case, DeliveryStatus, Message
from sprawa.cases.service import do_reply
from sprawa.channels.allegro.fake import FakeAllegro
from sprawa.channels.meta import graph as graph_client
from sprawa.channels.meta.fake import FakeGraph, page_message, signature, wa_status, wa_text
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.schemas import parse_settings
from sprawa.db import utcnow
from sprawa.platform.inbound import InboundEvent
from sprawa.platform.jobs import Job, PermanentFailure, RetryLater
from tests.channels.email.conftest import email_channel as email_channel  # noqa: F401 - fixture
from tests.channels.email.conftest import imap as imap  # noqa: F401 - fixture
from tests.channels.email.conftest import mail
from tests.channels.email.conftest import mailbox as mailbox  # noqa: F401 - fixture
from tests.channels.email.conftest import sink as sink  # noqa: F401 - fixture
from tests.channels.email.helpers import poll as poll_mail
from tests.channels.helpers import channel_worker, drain
from tests.factories import count_rows, make_channel, make_user

TOKEN = "EAAG-matrix-token"
SECRET = "matrix-app-secret"
PHONE_ID = "106540352242922"


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(TOKEN, hang_seconds=0.6) as server:
        yield server


def _meta_channel(db, runtime, workspace, graph, kind: ChannelKind, token: str = TOKEN) -> Channel:  # type: ignore[no-untyped-def]
    ids: dict[str, Any] = {
        ChannelKind.WHATSAPP: {"phone_number_id": PHONE_ID},
        ChannelKind.MESSENGER: {"page_id": "PAGE1"},
        ChannelKind.INSTAGRAM: {"instagram_account_id": "IG1"},
    }[kind]
    secrets = (
        {"access_token": token, "app_secret": SECRET, "verify_token": "v"}
        if kind == ChannelKind.WHATSAPP
        else {"page_access_token": token, "app_secret": SECRET, "verify_token": "v"}
    )
    channel = make_channel(
        db,
        workspace,
        kind,
        settings=parse_settings(kind, {**ids, "api_base_url": graph.base_url}, ["127.0.0.1"]),
        credentials_encrypted=runtime.ingest.secrets.seal(secrets),
    )
    db.commit()
    return channel


def _url(channel: Channel) -> str:
    path = "whatsapp" if channel.kind == ChannelKind.WHATSAPP else "meta"
    return f"/api/v1/inbound/{path}/{channel.public_key}"


def _post(client, db, channel: Channel, payload: dict[str, Any], headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    url = _url(channel)  # read before the commit: an expired object would reload and hold SQLite's lock
    db.commit()
    body = json.dumps(payload).encode()
    if headers is None:
        headers = {"X-Hub-Signature-256": signature(SECRET, body)}
    return client.post(url, content=body, headers={"Content-Type": "application/json", **headers})


def _settle(db, runtime, rounds: int = 6) -> None:
    """Run the outbox until nothing is left, making retries that wait for Retry-After due at once."""
    for _ in range(rounds):
        drain(runtime, db)
        db.expire_all()
        db.execute(update(Job).values(run_at=utcnow()))
        db.commit()
    drain(runtime, db)
    db.expire_all()


def _agent_reply(db, workspace, text: str) -> Message:  # type: ignore[no-untyped-def]
    case = db.scalars(select(Case)).one()
    reply = do_reply(db, principal_for_user(db, make_user(db, workspace, "agent")), case, text)
    db.commit()
    return reply


# ----------------------------------------------------------------------- Meta webhooks: signatures


@pytest.mark.parametrize("kind", [ChannelKind.WHATSAPP, ChannelKind.MESSENGER, ChannelKind.INSTAGRAM])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": ""},
        {"X-Hub-Signature-256": "sha256="},
        {"X-Hub-Signature-256": "sha1=0123456789abcdef0123456789abcdef01234567"},
        {"X-Hub-Signature": "sha1=0123456789abcdef0123456789abcdef01234567"},
    ],
    ids=["missing", "empty", "no-digest", "sha1-in-256", "only-legacy-sha1"],
)
def test_meta_webhooks_without_a_valid_signature_are_refused_and_store_nothing(
    client, db, runtime, workspace, graph, kind, headers
):
    channel = _meta_channel(db, runtime, workspace, graph, kind)
    payload = (
        wa_text(PHONE_ID, "48500100200", "Halo")
        if kind == ChannelKind.WHATSAPP
        else page_message("PAGE1" if kind == ChannelKind.MESSENGER else "IG1", "PSID1", "Halo")
    )
    assert _post(client, db, channel, payload, headers).status_code == 401
    assert count_rows(db, InboundEvent) == 0
    assert _post(client, db, channel, payload).status_code == 200  # the same bytes, signed: accepted
    assert count_rows(db, InboundEvent) == 1


def test_an_uppercase_hex_signature_of_the_raw_bytes_is_accepted(client, db, runtime, workspace, graph):
    """Meta sends lower-case hex; a proxy that upper-cases the header must not turn good deliveries away."""
    channel = _meta_channel(db, runtime, workspace, graph, ChannelKind.WHATSAPP)
    body = json.dumps(wa_text(PHONE_ID, "48500100200", "Halo")).encode()
    upper = "sha256=" + signature(SECRET, body).removeprefix("sha256=").upper()
    db.commit()
    response = client.post(_url(channel), content=body, headers={"X-Hub-Signature-256": upper})
    assert response.status_code == 200 and count_rows(db, InboundEvent) == 1


# ----------------------------------------------------------------------- Meta outbound: faults, auth


def _customer_wrote(client, db, runtime, graph, channel: Channel) -> None:  # type: ignore[no-untyped-def]
    if channel.kind == ChannelKind.WHATSAPP:
        payload, recipient = wa_text(PHONE_ID, "48500100200", "Gdzie paczka?", name="Kasia"), "48500100200"
    else:
        account = "PAGE1" if channel.kind == ChannelKind.MESSENGER else "IG1"
        obj = "page" if channel.kind == ChannelKind.MESSENGER else "instagram"
        payload, recipient = page_message(account, "PSID1", "Gdzie paczka?", obj=obj), "PSID1"
    graph.customer_wrote(recipient)
    assert _post(client, db, channel, payload).status_code == 200
    drain(runtime, db)


@pytest.mark.parametrize("kind", [ChannelKind.WHATSAPP, ChannelKind.MESSENGER, ChannelKind.INSTAGRAM])
def test_outbound_through_429_5xx_and_a_client_timeout_is_delivered_once(
    client, db, runtime, workspace, graph, kind, monkeypatch
):
    monkeypatch.setattr(graph_client, "TIMEOUT_SECONDS", 0.3)  # the fake hangs 0.6 s: a real read timeout
    channel = _meta_channel(db, runtime, workspace, graph, kind)
    _customer_wrote(client, db, runtime, graph, channel)
    reply = _agent_reply(db, workspace, "Jest w drodze!")
    graph.fail_next = ["429", "timeout", "500"]
    _settle(db, runtime)
    sent = db.get(Message, reply.id)
    assert sent.delivery_status == DeliveryStatus.SENT, sent.delivery_error
    assert graph.attempts == 4 and graph.fail_next == []
    assert graph.sent_ids() == [sent.provider_message_id]  # delivered once, and that id is the one stored
    if kind != ChannelKind.WHATSAPP:
        assert graph.sent[0]["recipient"] == {"id": "PSID1"}
        assert graph.sent[0]["messaging_type"] == "RESPONSE"


def test_a_send_api_429_waits_for_retry_after(client, db, runtime, workspace, graph):
    channel = _meta_channel(db, runtime, workspace, graph, ChannelKind.MESSENGER)
    _customer_wrote(client, db, runtime, graph, channel)
    reply = _agent_reply(db, workspace, "Chwileczkę")
    graph.fail_next = ["429"]  # Graph code 613 with Retry-After: 1
    before = utcnow()
    drain(runtime, db)
    job = db.scalars(select(Job).where(Job.kind == "outbox.deliver")).one()
    assert job.run_at >= before + timedelta(seconds=1)
    assert "613" in (job.last_error or "")
    assert db.get(Message, reply.id).delivery_status != DeliveryStatus.SENT


@pytest.mark.parametrize("kind", [ChannelKind.WHATSAPP, ChannelKind.MESSENGER])
def test_a_refused_access_token_fails_the_reply_with_metas_error_and_no_retries(
    client, db, runtime, workspace, graph, kind
):
    channel = _meta_channel(db, runtime, workspace, graph, kind, token="EAAG-revoked")
    _customer_wrote(client, db, runtime, graph, channel)
    reply = _agent_reply(db, workspace, "Dzień dobry")
    drain(runtime, db)
    db.expire_all()
    failed = db.get(Message, reply.id)
    assert failed.delivery_status == DeliveryStatus.FAILED
    assert "code 190" in failed.delivery_error and "Invalid OAuth access token" in failed.delivery_error
    job = db.scalars(select(Job).where(Job.kind == "outbox.deliver")).one()
    assert job.attempts == 1
    assert graph.sent == []


def test_a_failed_status_with_a_meta_error_marks_the_reply_failed(client, db, runtime, workspace, graph):
    channel = _meta_channel(db, runtime, workspace, graph, ChannelKind.WHATSAPP)
    _customer_wrote(client, db, runtime, graph, channel)
    reply = _agent_reply(db, workspace, "Odpowiedź")
    drain(runtime, db)
    db.expire_all()
    wamid = db.get(Message, reply.id).provider_message_id
    assert wamid
    _post(client, db, channel, wa_status(PHONE_ID, wamid, "failed", "48500100200", error_code=131047))
    drain(runtime, db)
    db.expire_all()
    failed = db.get(Message, reply.id)
    assert failed.delivery_status == DeliveryStatus.FAILED
    assert "131047" in failed.delivery_error and "Re-engagement" in failed.delivery_error


# ----------------------------------------------------------------------- Allegro Message Center, disputes


@pytest.fixture
def allegro() -> Iterator[FakeAllegro]:
    with FakeAllegro() as server:
        yield server


def _allegro_channel(db, runtime, workspace, allegro) -> Channel:  # type: ignore[no-untyped-def]
    settings = {"seller_login": "LesnaPolana", "api_base_url": allegro.url, "auth_base_url": allegro.url}
    expires = (utcnow() + timedelta(hours=10)).isoformat()
    channel = make_channel(
        db,
        workspace,
        ChannelKind.ALLEGRO,
        settings=parse_settings(ChannelKind.ALLEGRO, settings, ["127.0.0.1"]),
        credentials_encrypted=runtime.ingest.secrets.seal(
            {
                "client_id": "cid",
                "client_secret": "cs",
                "access_token": allegro.access_token,
                "refresh_token": allegro.refresh_token,
                "expires_at": expires,
            }
        ),
    )
    db.commit()
    return channel


def _poll_allegro(runtime, channel_id: str) -> None:  # type: ignore[no-untyped-def]
    with runtime.factory() as session:
        channel = session.get(Channel, channel_id)
        session.expunge(channel)
    runtime.ingest.adapters[ChannelKind.ALLEGRO].poll(
        runtime.factory, channel, runtime.ingest.secrets.open(channel.credentials_encrypted)
    )


def _allegro_message(thread: str, n: int, minute: int) -> dict[str, Any]:
    return {
        "id": f"{thread}-M{n}",
        "status": "DELIVERED",
        "type": "MESSAGE_CENTER",
        "createdAt": f"2026-11-23T10:{minute:02d}:00.000Z",
        "thread": {"id": thread},
        "author": {"login": f"buyer_{thread}", "isInterlocutor": True},
        "text": f"{thread} wiadomość {n}",
        "attachments": [],
    }


def test_allegro_threads_page_by_offset_and_every_buyer_message_is_stored(db, runtime, workspace, allegro):
    """25 changed threads (Allegro lists at most 20 a page) and 26 new messages in one thread (at most 20
    a page): every message is stored once, and the next poll finds nothing new."""
    channel = _allegro_channel(db, runtime, workspace, allegro)
    allegro.threads = [
        {
            "id": f"T{i}",
            "read": False,
            "lastMessageDateTime": f"2026-11-23T10:{i:02d}:00.000Z",
            "interlocutor": {"login": f"buyer_T{i}"},
        }
        for i in range(1, 26)
    ]
    for i in range(1, 26):
        allegro.messages[f"T{i}"] = [_allegro_message(f"T{i}", 1, i)]
    allegro.threads[-1]["lastMessageDateTime"] = "2026-11-23T10:59:00.000Z"
    allegro.messages["T25"] = [_allegro_message("T25", n, 30 + n) for n in range(1, 27)]
    _poll_allegro(runtime, channel.id)
    _poll_allegro(runtime, channel.id)
    keys = db.scalars(select(InboundEvent.provider_key)).all()
    assert len(keys) == len(set(keys)) == 24 + 26
    drain(runtime, db)
    assert count_rows(db, Message) == 50


def test_allegro_disputes_and_their_messages_page_past_100(db, runtime, workspace, allegro):
    channel = _allegro_channel(db, runtime, workspace, allegro)
    allegro.disputes = [
        {
            "id": f"D{i}",
            "subject": {"name": "Reklamacja"},
            "status": "ONGOING",
            "buyer": {"id": str(i), "login": f"buyer_{i}"},
            "checkoutForm": {"id": f"cf-{i}"},
            "lastMessageCreationDate": f"2026-11-23T11:{i % 60:02d}:00.000Z",
        }
        for i in range(1, 106)
    ]
    for i in range(1, 106):
        count = 130 if i == 105 else 1
        allegro.dispute_messages[f"D{i}"] = [
            {
                "id": f"D{i}-M{n}",
                "text": f"Wiadomość {n}",
                "author": {"login": f"buyer_{i}", "role": "BUYER"},
                "createdAt": "2026-11-23T11:00:00.000Z",
            }
            for n in range(count)
        ]
    _poll_allegro(runtime, channel.id)
    _poll_allegro(runtime, channel.id)
    keys = db.scalars(select(InboundEvent.provider_key)).all()
    assert len(keys) == len(set(keys)) == 104 + 130


def test_allegro_poll_hit_by_429_or_5xx_moves_no_cursor_and_the_next_poll_loses_nothing(
    db, runtime, workspace, allegro
):
    channel = _allegro_channel(db, runtime, workspace, allegro)
    allegro.threads = [
        {
            "id": f"T{i}",
            "read": False,
            "lastMessageDateTime": f"2026-11-23T10:0{i}:00.000Z",
            "interlocutor": {"login": f"buyer_T{i}"},
        }
        for i in (1, 2)
    ]
    for i in (1, 2):
        allegro.messages[f"T{i}"] = [_allegro_message(f"T{i}", 1, i)]
    allegro.fail_reads = [429]  # the thread list itself
    with pytest.raises(RetryLater) as limited:
        _poll_allegro(runtime, channel.id)
    assert limited.value.retry_after == 1  # Allegro's Retry-After, not a tight loop
    allegro.fail_reads = [0, 0, 503]  # threads, T2's messages, then T1's messages fail
    with pytest.raises(RetryLater):
        _poll_allegro(runtime, channel.id)
    _poll_allegro(runtime, channel.id)
    _poll_allegro(runtime, channel.id)
    assert sorted(db.scalars(select(InboundEvent.provider_key))) == ["msg:T1-M1", "msg:T2-M1"]


def test_allegro_dispute_reply_goes_to_the_dispute_and_a_5xx_is_retried_once(db, runtime, workspace, allegro):
    channel = _allegro_channel(db, runtime, workspace, allegro)
    allegro.disputes = [
        {
            "id": "D7",
            "subject": {"name": "Towar niezgodny z opisem"},
            "status": "ONGOING",
            "messagesStatus": "BUYER_REPLIED",
            "buyer": {"id": "9", "login": "kupujaca_ola"},
            "checkoutForm": {"id": "cf-1", "createdAt": "2026-11-20T10:00:00.000Z"},
            "lastMessageCreationDate": "2026-11-23T11:00:00.000Z",
        }
    ]
    allegro.dispute_messages["D7"] = [
        {
            "id": "DM7",
            "text": "Kolor inny niż na zdjęciu",
            "author": {"login": "kupujaca_ola", "role": "BUYER"},
            "createdAt": "2026-11-23T11:00:00.000Z",
        },
        {
            "id": "DM8",
            "text": "Prosimy o zdjęcie",
            "author": {"login": "LesnaPolana", "role": "SELLER"},
            "createdAt": "2026-11-23T11:05:00.000Z",
        },
    ]
    _poll_allegro(runtime, channel.id)
    drain(runtime, db)
    assert db.scalars(select(Message.body_text)).all() == ["Kolor inny niż na zdjęciu"]
    reply = _agent_reply(db, workspace, "Wymienimy towar, prosimy odesłać paczkę.")
    allegro.fail_next = [503, 500]
    _settle(db, runtime)
    sent = db.get(Message, reply.id)
    assert sent.delivery_status == DeliveryStatus.SENT, sent.delivery_error
    assert allegro.posted == [
        (
            "/sale/disputes/D7/messages",
            {"text": "Wymienimy towar, prosimy odesłać paczkę.", "type": "REGULAR"},
        )
    ]


def test_allegro_refused_refresh_token_is_a_clear_error(db, runtime, workspace, allegro):
    channel = _allegro_channel(db, runtime, workspace, allegro)
    stale = runtime.ingest.secrets.open(channel.credentials_encrypted) | {
        "expires_at": utcnow().isoformat(),
        "refresh_token": "rt-revoked",
    }
    channel.credentials_encrypted = runtime.ingest.secrets.seal(stale)
    db.commit()
    with pytest.raises(PermanentFailure, match="connect the account again"):
        _poll_allegro(runtime, channel.id)


# ----------------------------------------------------------------------- e-mail: SMTP temporary refusal


def test_a_temporary_smtp_refusal_is_retried_and_the_mail_arrives_once(
    db, runtime, workspace, email_channel, mailbox, sink
):
    mailbox.append(mail("ola@example.pl", "Czy jest rozmiar 40?"))
    channel_id = email_channel.id
    db.commit()
    poll_mail(runtime, channel_id)
    drain(runtime, db)
    sink.refuse("ola@example.pl", "451 4.3.0 Mailbox temporarily unavailable")
    reply = _agent_reply(db, workspace, "Tak, jest.")
    assert channel_worker(runtime).run_once() == 1  # one attempt only: drain would spend them all at once
    db.expire_all()
    waiting = db.get(Message, reply.id)
    assert waiting.delivery_status not in (DeliveryStatus.SENT, DeliveryStatus.FAILED)
    assert "451" in (db.scalars(select(Job.last_error).where(Job.kind == "outbox.deliver")).one() or "")
    assert sink.mails == []
    sink.handler.refuse.clear()
    _settle(db, runtime)
    assert db.get(Message, reply.id).delivery_status == DeliveryStatus.SENT
    assert [m["To"] for m in sink.mails] == ["ola@example.pl"]
