"""Inline images of a customer's HTML mail (multipart/related, ``cid:``): the content id is stored with the
attachment, the stored HTML keeps ``cid:`` (never a remote image) and the case view points each image at
that message's own attachment."""

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select

from sprawa.cases.models import Attachment, Message
from tests.channels.email.conftest import SHOP
from tests.channels.email.helpers import drain, poll

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e2ad7d0b0000000049454e44ae426082"
)


def _related_mail(message_id: str, text: str, html: str, cid: str, reply_to: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "anna@example.pl"
    msg["To"] = SHOP
    msg["Subject"] = "Uszkodzony kubek"
    msg["Date"] = format_datetime(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    msg["Message-ID"] = message_id
    if reply_to:
        msg["In-Reply-To"] = reply_to
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(PNG, "image", "png", cid=f"<{cid}>", filename="kubek.png")
    return msg.as_bytes()


def _receive(db, runtime, channel, mailbox, raw: bytes) -> Message:
    mailbox.append(raw)
    channel_id = channel.id
    db.commit()
    poll(runtime, channel_id)
    drain(runtime)
    db.expire_all()
    return db.scalars(select(Message).order_by(Message.created_at.desc(), Message.id.desc())).first()


def test_inline_image_shows_from_its_own_attachment_only(db, runtime, agent, email_channel, mailbox):
    first = _receive(
        db,
        runtime,
        email_channel,
        mailbox,
        _related_mail(
            "<m1@example.pl>",
            "Zdjęcie w załączniku",
            '<p>Zobacz: <img src="cid:foto1@example.pl" alt="kubek">'
            '<img src="https://tracker.example/p.gif"></p>',
            "foto1@example.pl",
        ),
    )
    [attachment] = db.scalars(select(Attachment).where(Attachment.message_id == first.id)).all()
    assert attachment.content_id == "foto1@example.pl"
    assert 'src="cid:foto1@example.pl"' in first.body_html
    assert "tracker.example" not in first.body_html
    # A later mail in the same case names the first one's image and an unknown one: neither resolves.
    second = _receive(
        db,
        runtime,
        email_channel,
        mailbox,
        _related_mail(
            "<m2@example.pl>",
            "Jeszcze raz",
            '<p>Drugie <img src="cid:foto1@example.pl"><img src="cid:brak@example.pl"></p>',
            "foto2@example.pl",
            reply_to="<m1@example.pl>",
        ),
    )
    assert second.case_id == first.case_id and "cid:foto1@example.pl" in second.body_html

    case_id, preview = first.case_id, f"/app/attachments/{attachment.id}/preview"
    db.commit()  # SQLite: the page's request writes (read marks, audit) while this session would hold a lock
    page = agent.client.get(f"/app/cases/{case_id}").text
    assert f'<p>Zobacz: <img src="{preview}"></p>' in page
    assert "<p>Drugie </p>" in page
    assert "cid:" not in page and "tracker.example" not in page
    img_srcs = re.findall(r'<img src="([^"]+)"', page)
    assert img_srcs.count(preview) == 2  # the inline image and the timeline's own preview of the file
    shown = agent.client.get(preview)
    assert shown.status_code == 200 and shown.content == PNG
