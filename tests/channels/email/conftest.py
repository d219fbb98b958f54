"""E-mail channel fixtures: an IMAP fake and an SMTP sink on loopback, a channel pointing at both."""

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest

from sprawa.channels.email.fake import FakeImapServer, FakeMailbox
from sprawa.channels.email.sink import SmtpSink
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.schemas import parse_settings
from tests.factories import make_channel

SHOP = "sklep@lesnapolana.pl"


def mail(
    sender: str = "jan@example.pl",
    text: str = "Gdzie jest moja paczka?",
    subject: str = "Zamówienie",
    *,
    message_id: str | None = "auto",
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SHOP
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    if message_id == "auto":
        msg["Message-ID"] = make_msgid(domain="example.pl")
    elif message_id:
        msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    return msg.as_bytes()


@pytest.fixture
def mailbox() -> FakeMailbox:
    return FakeMailbox(user=SHOP, password="tajne-haslo")


@pytest.fixture
def imap(mailbox: FakeMailbox) -> Iterator[FakeImapServer]:
    with FakeImapServer(mailbox) as server:
        yield server


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink(keep=None) as server:
        yield server


def email_settings(imap_port: int, smtp_port: int, **extra: object) -> dict[str, object]:
    data = {
        "address": SHOP,
        "display_name": "Leśna Polana",
        "imap_host": "127.0.0.1",
        "imap_port": imap_port,
        "imap_security": "plain",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_security": "plain",
        **extra,
    }
    return parse_settings(ChannelKind.EMAIL, data, ["127.0.0.1"])


@pytest.fixture
def email_channel(db, runtime, workspace, imap, sink) -> Channel:  # type: ignore[no-untyped-def]
    channel = make_channel(
        db,
        workspace,
        ChannelKind.EMAIL,
        settings=email_settings(imap.port, sink.port),
        credentials_encrypted=runtime.ingest.secrets.seal({"username": SHOP, "password": "tajne-haslo"}),
    )
    db.commit()
    return channel
