"""The HTML contact form: stored once, honeypot answered like a success, per-visitor rate limit, origins."""

from sqlalchemy import select

from sprawa.cases.models import Message
from sprawa.channels.models import ChannelKind
from sprawa.platform.inbound import InboundEvent
from tests.channels.helpers import drain
from tests.factories import count_rows, make_channel

FORM = {"name": "Ola", "email": "ola@example.pl", "message": "Czy wysyłacie za granicę?", "website": ""}


def _channel(db, workspace, **settings):  # type: ignore[no-untyped-def]
    channel = make_channel(db, workspace, ChannelKind.FORM, settings=settings)
    db.commit()
    return channel


def test_a_browser_post_is_stored_and_thanked(client, db, runtime, workspace):
    channel = _channel(db, workspace)
    url = f"/api/v1/inbound/form/{channel.public_key}/contact"
    page = client.post(url, data=FORM, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Dziękujemy za wiadomość!" in page.text
    assert client.post(url, data=FORM).status_code == 202  # a double click: stored once
    drain(runtime, db)
    message = db.scalars(select(Message)).one()
    assert message.body_text == "Czy wysyłacie za granicę?"


def test_the_honeypot_stores_nothing(client, db, workspace):
    channel = _channel(db, workspace)
    response = client.post(
        f"/api/v1/inbound/form/{channel.public_key}/contact", data={**FORM, "website": "http://spam"}
    )
    assert response.status_code == 202
    assert count_rows(db, InboundEvent) == 0


def test_a_visitor_is_rate_limited(client, db, workspace):
    channel = _channel(db, workspace)
    url = f"/api/v1/inbound/form/{channel.public_key}/contact"
    codes = [client.post(url, data={**FORM, "message": f"Pytanie {i}"}).status_code for i in range(7)]
    assert codes == [202] * 5 + [429, 429]
    assert count_rows(db, InboundEvent) == 5


def test_bad_input_and_foreign_pages_are_refused(client, db, workspace):
    channel = _channel(db, workspace, allowed_origins=["https://lesnapolana.pl"])
    url = f"/api/v1/inbound/form/{channel.public_key}/contact"
    ok = {"Origin": "https://lesnapolana.pl"}
    assert client.post(url, data={**FORM, "email": "nie-email"}, headers=ok).status_code == 422
    assert client.post(url, data=FORM, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post(url, data=FORM, headers=ok).status_code == 202
