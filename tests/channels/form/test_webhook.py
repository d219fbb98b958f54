"""The form / HTTP API webhook: signed, validated, durable before the 202, normalised by the worker."""

import json

import pytest
from sqlalchemy import func, select

from sprawa.cases.models import Case, Message
from sprawa.channels.form.schemas import MAX_BODY_BYTES
from sprawa.channels.form.service import signature_for
from sprawa.channels.models import ChannelKind
from sprawa.customers.models import Identity
from sprawa.platform.inbound import InboundEvent, InboundStatus
from sprawa.platform.jobs import Job, JobStatus
from tests.factories import make_channel

SECRET = "whsec-form-test"
MESSAGE = {
    "id": "form-1",
    "email": "Anna.Kowalska@example.pl",
    "name": "Anna Kowalska",
    "phone": "+48 500 100 200",
    "subject": "Zwrot butów",
    "text": "Dzień dobry, chcę zwrócić buty z zamówienia.",
    "thread_id": "kontakt-77",
    "language": "pl",
}


@pytest.fixture
def open_channel(db, workspace):
    channel = make_channel(db, workspace, ChannelKind.FORM, name="Formularz")
    db.commit()
    return channel


@pytest.fixture
def signed_channel(db, runtime, workspace):
    channel = make_channel(
        db,
        workspace,
        ChannelKind.FORM,
        name="System sklepu",
        credentials_encrypted=runtime.ingest.secrets.seal({"signing_secret": SECRET}),
    )
    db.commit()
    return channel


def _url(channel) -> str:
    return f"/api/v1/inbound/form/{channel.public_key}"


def _body(**changes) -> bytes:
    return json.dumps({**MESSAGE, **changes}, ensure_ascii=False).encode()


def _stored(runtime) -> tuple[int, int]:
    with runtime.factory() as session:
        return (
            session.scalar(select(func.count()).select_from(InboundEvent)),
            session.scalar(select(func.count()).select_from(Job)),
        )


def test_a_message_is_stored_before_it_is_acknowledged(client, runtime, open_channel):
    body = _body()
    response = client.post(_url(open_channel), content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 202
    event_id = response.json()["event_id"]
    assert response.json() == {"event_id": event_id, "duplicate": False}
    with runtime.factory() as session:
        event = session.get(InboundEvent, event_id)
        job = session.scalars(select(Job)).one()
    assert (event.channel_id, event.provider_key, event.status) == (open_channel.id, "form-1", "received")
    assert event.payload == body.decode()  # the raw body, byte for byte
    assert event.headers == {"signature_verified": False}
    assert (job.kind, job.payload, job.status) == (
        "inbound.process",
        {"event_id": event_id},
        JobStatus.PENDING,
    )
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0  # normalised later


def test_a_repeated_id_is_acknowledged_as_a_duplicate_and_stored_once(client, runtime, open_channel):
    first = client.post(_url(open_channel), content=_body())
    again = client.post(_url(open_channel), content=_body(text="Ta sama wiadomość wysłana ponownie."))
    assert first.status_code == again.status_code == 202
    assert again.json() == {"event_id": first.json()["event_id"], "duplicate": True}
    assert _stored(runtime) == (1, 1)


def test_the_worker_turns_the_event_into_a_case(client, runtime, open_channel):
    client.post(_url(open_channel), content=_body())
    client.post(_url(open_channel), content=_body(id="form-2", text="I jeszcze jedno pytanie."))
    assert runtime.worker().run_once() == 2
    with runtime.factory() as session:
        case = session.scalars(select(Case)).one()
        messages = session.execute(
            select(Message.provider_message_id, Message.body_text).order_by(Message.seq)
        ).all()
        identities = session.execute(select(Identity.kind, Identity.value, Identity.verified)).all()
        statuses = set(session.scalars(select(InboundEvent.status)))
    assert case.subject == "Zwrot butów"
    assert messages == [
        ("form-1", MESSAGE["text"]),
        ("form-2", "I jeszcze jedno pytanie."),
    ]
    assert sorted(identities) == [
        ("email", "anna.kowalska@example.pl", False),
        ("phone", "+48500100200", False),
    ]
    assert statuses == {InboundStatus.PROCESSED}


def test_signed_channel_accepts_a_correct_signature(client, runtime, signed_channel):
    body = _body(verified=True)
    response = client.post(
        _url(signed_channel), content=body, headers={"X-Sprawa-Signature": signature_for(SECRET, body)}
    )
    assert response.status_code == 202
    runtime.worker().run_once()
    with runtime.factory() as session:
        event = session.scalars(select(InboundEvent)).one()
        email = session.scalars(select(Identity).where(Identity.kind == "email")).one()
    assert event.headers == {"signature_verified": True}
    assert email.verified is True  # a signed post may vouch for the address


def test_unsigned_channel_cannot_vouch_for_an_address(client, runtime, open_channel):
    client.post(_url(open_channel), content=_body(verified=True))
    runtime.worker().run_once()
    with runtime.factory() as session:
        email = session.scalars(select(Identity).where(Identity.kind == "email")).one()
    assert email.verified is False


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=" + "0" * 64,
        "sha1=deadbeef",
        signature_for("another-secret", _body()),
        signature_for(SECRET, _body()).removeprefix("sha256="),
        signature_for(SECRET, json.dumps(MESSAGE).encode()),  # same data, other bytes
    ],
)
def test_signed_channel_refuses_a_missing_or_wrong_signature(client, runtime, signed_channel, signature):
    headers = {} if signature is None else {"X-Sprawa-Signature": signature}
    response = client.post(_url(signed_channel), content=_body(), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert _stored(runtime) == (0, 0)


def test_signature_is_checked_before_the_body_is_looked_at(client, runtime, signed_channel):
    response = client.post(_url(signed_channel), content=b"{not json")
    assert response.status_code == 401
    assert _stored(runtime) == (0, 0)


def test_invalid_fields_are_refused_with_details_and_nothing_is_stored(client, runtime, open_channel):
    body = json.dumps({"id": "", "email": "nie-email", "text": "   ", "phone": "12", "language": "polski"})
    response = client.post(_url(open_channel), content=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert sorted(d["field"] for d in error["details"]) == ["email", "id", "language", "phone", "text"]
    assert _stored(runtime) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [b"", b"{not json", b"[1, 2]", b'"text"', b'{"id": "x"}', b"\xff\xfe{}"],
)
def test_malformed_bodies_are_refused(client, runtime, open_channel, body):
    response = client.post(_url(open_channel), content=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] in ("invalid_input", "invalid_json")
    assert _stored(runtime) == (0, 0)


def test_missing_required_fields_are_listed(client, open_channel):
    response = client.post(_url(open_channel), content=b"{}")
    assert response.status_code == 422
    assert sorted(d["field"] for d in response.json()["error"]["details"]) == ["email", "id", "text"]


def test_a_body_over_the_limit_is_refused_with_413(client, runtime, open_channel):
    body = _body(text="x" * MAX_BODY_BYTES)
    response = client.post(_url(open_channel), content=body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert _stored(runtime) == (0, 0)


def test_a_chunked_body_over_the_limit_is_refused_while_reading(client, runtime, open_channel):
    def chunks():
        for _ in range(MAX_BODY_BYTES // 4096 + 2):
            yield b"x" * 4096

    response = client.post(_url(open_channel), content=chunks())
    assert response.status_code == 413
    assert _stored(runtime) == (0, 0)


def test_unknown_inactive_or_other_channels_are_404(client, db, runtime, workspace, open_channel):
    inactive = make_channel(db, workspace, ChannelKind.FORM, active=False)
    webchat = make_channel(db, workspace, ChannelKind.WEBCHAT)
    db.commit()
    for key in ("01nosuchchannel0000000000", inactive.public_key, webchat.public_key):
        response = client.post(f"/api/v1/inbound/form/{key}", content=_body())
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown_channel"
    assert _stored(runtime) == (0, 0)


def test_the_same_id_on_two_channels_is_two_events(client, db, runtime, workspace, open_channel):
    other = make_channel(db, workspace, ChannelKind.FORM, name="Drugi formularz")
    db.commit()
    a = client.post(_url(open_channel), content=_body())
    b = client.post(_url(other), content=_body())
    assert a.json()["duplicate"] is False and b.json()["duplicate"] is False
    assert a.json()["event_id"] != b.json()["event_id"]
    assert _stored(runtime) == (2, 2)
