"""A mail conversation end to end: reply headers at the SMTP sink, threading by In-Reply-To and the
signed token, forged hints refused, auto-replies once and never to robots, bounces, refused recipients."""

from pathlib import Path

from sqlalchemy import select

from sprawa.auth.queries import principal_for_user
from sprawa.cases.models import Case, DeliveryStatus, Direction, Message
from sprawa.cases.service import do_reply
from sprawa.channels.models import Channel
from tests.channels.email.conftest import email_settings, mail
from tests.channels.email.helpers import drain, poll
from tests.factories import count_rows, make_user


def _receive(db, runtime, channel, mailbox, raw: bytes) -> None:
    mailbox.append(raw)
    channel_id = channel.id  # read before the commit: an expired object would reload and hold the lock
    db.commit()
    poll(runtime, channel_id)
    drain(runtime)


def _reply(db, runtime, workspace, case: Case, text: str = "Paczka jest w drodze.") -> Message:
    user = make_user(db, workspace, "agent")
    message = do_reply(db, principal_for_user(db, user), case, text)
    db.commit()
    drain(runtime)
    return message


def _case_of(db, text: str) -> Case:
    message = db.scalars(select(Message).where(Message.body_text == text)).one()
    return db.get(Case, message.case_id)


def test_reply_headers_and_threading_back_into_the_case(db, runtime, workspace, email_channel, mailbox, sink):
    _receive(
        db, runtime, email_channel, mailbox, mail("anna@example.pl", "Gdzie paczka?", message_id="<q1@ex.pl>")
    )
    case = _case_of(db, "Gdzie paczka?")
    sent = _reply(db, runtime, workspace, case)
    [out] = sink.mails
    assert out["To"] == "anna@example.pl"
    assert out["In-Reply-To"] == "<q1@ex.pl>" and out["References"] == "<q1@ex.pl>"
    assert out["Subject"] == f"Re: Zamówienie [#{case.number}]"
    assert out["Auto-Submitted"] is None
    assert out["Message-ID"].startswith(f"<{sent.id.lower()}.s")
    db.expire_all()
    assert db.get(Message, sent.id).delivery_status == DeliveryStatus.SENT
    # The customer answers from her phone, quoting our mail; then a colleague answers from another address.
    reply = mail("anna@example.pl", "Dziękuję!", "Re: inny temat", headers={"In-Reply-To": out["Message-ID"]})
    _receive(db, runtime, email_channel, mailbox, reply)
    colleague = mail("biuro@firma.pl", "Ja też pytam", "Fwd", headers={"References": out["Message-ID"]})
    _receive(db, runtime, email_channel, mailbox, colleague)
    assert _case_of(db, "Dziękuję!").id == case.id
    assert _case_of(db, "Ja też pytam").id == case.id
    # A reply to the customer's own earlier mail (no token) joins too: same sender.
    _receive(
        db,
        runtime,
        email_channel,
        mailbox,
        mail("anna@example.pl", "I jeszcze", headers={"In-Reply-To": "<q1@ex.pl>"}),
    )
    assert _case_of(db, "I jeszcze").id == case.id


def test_forged_hints_never_attach_to_someone_elses_case(
    db, runtime, workspace, email_channel, mailbox, sink
):
    _receive(
        db,
        runtime,
        email_channel,
        mailbox,
        mail("anna@example.pl", "Moje zamówienie", message_id="<v1@ex.pl>"),
    )
    case = _case_of(db, "Moje zamówienie")
    _reply(db, runtime, workspace, case)
    our_id = sink.mails[0]["Message-ID"]
    token_prefix, _, domain = our_id.strip("<>").rpartition("@")
    forged_token = token_prefix[:-4] + "aaaa"
    attacks = [
        {"In-Reply-To": "<v1@ex.pl>"},  # guessed customer Message-ID
        {"In-Reply-To": f"<{forged_token}@{domain}>"},  # right thread id, wrong MAC
        {"References": f"<{token_prefix[:-10]}@{domain}>"},  # truncated MAC
    ]
    for i, headers in enumerate(attacks):
        _receive(db, runtime, email_channel, mailbox, mail("atak@zly.example", f"atak {i}", headers=headers))
    _receive(db, runtime, email_channel, mailbox, mail("atak@zly.example", "tag", f"Re: x [#{case.number}]"))
    for text in ("atak 0", "atak 1", "atak 2", "tag"):
        assert _case_of(db, text).id != case.id
    assert count_rows(db, Message, Message.case_id == case.id) == 2


def test_subject_tag_joins_the_same_customers_case(db, runtime, workspace, email_channel, mailbox):
    _receive(db, runtime, email_channel, mailbox, mail("anna@example.pl", "Pierwsza"))
    case = _case_of(db, "Pierwsza")
    _receive(
        db, runtime, email_channel, mailbox, mail("anna@example.pl", "Nowy wątek", f"Sprawa [#{case.number}]")
    )
    assert _case_of(db, "Nowy wątek").id == case.id


def _auto_reply_channel(db, runtime, channel: Channel, imap_port: int, smtp_port: int) -> None:
    channel = db.get(Channel, channel.id)
    channel.settings = email_settings(
        imap_port,
        smtp_port,
        auto_reply={"enabled": True, "text": "Dziękujemy, odpowiemy wkrótce.", "outside_hours_only": False},
    )
    db.commit()


def test_one_auto_reply_per_sender_and_none_to_robots(db, runtime, email_channel, mailbox, imap, sink):
    _auto_reply_channel(db, runtime, email_channel, imap.port, sink.port)
    for raw in (
        mail("anna@example.pl", "Pierwsza"),
        mail("anna@example.pl", "Druga"),
        mail("wakacje@example.pl", "Jestem na urlopie", headers={"Auto-Submitted": "auto-replied"}),
        mail("news@hurt.example", "Oferta", headers={"List-Id": "<oferta.hurt.example>"}),
        mail("noreply@allegro.example", "Powiadomienie"),
        mail("MAILER-DAEMON@mx.example", "Zwrot"),
    ):
        _receive(db, runtime, email_channel, mailbox, raw)
    assert [(m["To"], m["Auto-Submitted"], m["X-Auto-Response-Suppress"]) for m in sink.mails] == [
        ("anna@example.pl", "auto-replied", "All")
    ]


def test_a_bounce_marks_the_reply_failed(db, runtime, workspace, email_channel, mailbox, sink):
    _receive(db, runtime, email_channel, mailbox, mail("anna@example.pl", "Pytanie"))
    sent = _reply(db, runtime, workspace, _case_of(db, "Pytanie"))
    dsn = (
        (Path(__file__).parent / "fixtures" / "dsn_failed.eml")
        .read_bytes()
        .replace(b"ORIGINAL_ID_PLACEHOLDER", sink.mails[0]["Message-ID"].strip("<>").encode())
    )
    _receive(db, runtime, email_channel, mailbox, dsn)
    db.expire_all()
    failed = db.get(Message, sent.id)
    assert failed.delivery_status == DeliveryStatus.FAILED
    assert "5.1.1" in failed.delivery_error and "User unknown" in failed.delivery_error
    assert count_rows(db, Message, Message.direction == Direction.INBOUND) == 1


def test_a_refused_recipient_fails_the_reply_at_once(db, runtime, workspace, email_channel, mailbox, sink):
    sink.refuse("nikt@example.pl")
    _receive(db, runtime, email_channel, mailbox, mail("nikt@example.pl", "Halo"))
    sent = _reply(db, runtime, workspace, _case_of(db, "Halo"))
    db.expire_all()
    message = db.get(Message, sent.id)
    assert message.delivery_status == DeliveryStatus.FAILED
    assert "refused the recipient nikt@example.pl" in message.delivery_error
    assert sink.mails == []
