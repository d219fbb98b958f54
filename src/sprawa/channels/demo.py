"""Demo channel traffic: the local fakes deliver a few e-mails and WhatsApp messages to the demo shop.

The mails travel over real IMAP from the in-process fake server and are stored exactly as the poller
stores them; the WhatsApp messages are Meta-shaped webhooks signed with the demo channel's app secret
and go through the webhook's signature check. Both become cases once the worker processes them,
so a newcomer watches e-mail and WhatsApp cases arrive in the inbox.
"""

import imaplib
import json
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.channels.email.fake import FakeImapServer, FakeMailbox
from sprawa.channels.email.service import store_mail
from sprawa.channels.meta.fake import signature, wa_text
from sprawa.channels.meta.webhook import do_receive_signed_webhook
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.whatsapp.service import split_items
from sprawa.commerce.models import Order
from sprawa.db import utcnow
from sprawa.platform.crypto import SecretBox

MAILS = [
    (
        "Gdzie jest moja paczka?",
        "Dzień dobry,\nzamówiłam {number} tydzień temu i paczka wciąż nie dotarła. "
        "Co się dzieje?\n\nPozdrawiam",
    ),
    (
        "Zwrot zamówienia {number}",
        "Dzień dobry, chciałbym zwrócić część zamówienia {number} — rozmiar nie pasuje. "
        "Jak to zrobić?\n\nWysłane z mojego iPhone'a",
    ),
]
WHATSAPP = "Dzień dobry! Czy zamówienie {number} da się jeszcze zmienić na odbiór w paczkomacie?"


def _mail(sender: str, name: str, subject: str, text: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = "sklep@lesnapolana.pl"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1])
    msg.set_content(text)
    return msg.as_bytes()


def seed_channel_demo(session: Session, secrets: SecretBox, workspace_id: str) -> int:
    """Deliver the demo's e-mails (over IMAP from the fake) and WhatsApp messages; returns how many."""
    channels = {
        c.kind: c for c in session.scalars(select(Channel).where(Channel.workspace_id == workspace_id))
    }
    orders = list(
        session.scalars(
            select(Order)
            .where(Order.workspace_id == workspace_id, Order.customer_email.is_not(None))
            .order_by(Order.placed_at.desc())
            .limit(3)
        )
    )
    delivered = 0
    email = channels.get(ChannelKind.EMAIL)
    if email is not None and orders:
        creds = secrets.open(email.credentials_encrypted)
        mailbox = FakeMailbox(user=creds.get("username", "demo"), password=creds.get("password", "demo"))
        for order, (subject, text) in zip(orders, MAILS, strict=False):
            name = str((order.shipping_address or {}).get("name") or "")
            mailbox.append(
                _mail(
                    str(order.customer_email),
                    name,
                    subject.format(number=order.number),
                    text.format(number=order.number),
                )
            )
        with FakeImapServer(mailbox) as server:
            conn = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
            try:
                conn.login(mailbox.user, mailbox.password)
                conn.select("INBOX", readonly=True)
                uidvalidity = int(conn.response("UIDVALIDITY")[1][0])
                _, found = conn.uid("SEARCH", "ALL")
                for uid in (int(u) for u in found[0].split()):
                    _, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
                    raw = next(part[1] for part in data if isinstance(part, tuple))
                    store_mail(session, email, "imap:INBOX", uidvalidity, uid, raw)
                    delivered += 1
            finally:
                conn.logout()
    whatsapp = channels.get(ChannelKind.WHATSAPP)
    phone_order = next((o for o in orders if o.customer_phone), None)
    if whatsapp is not None and phone_order is not None:
        app_secret = secrets.open(whatsapp.credentials_encrypted).get("app_secret", "")
        wa_id = "".join(c for c in str(phone_order.customer_phone) if c.isdigit())
        name = str((phone_order.shipping_address or {}).get("name") or "")
        payload = wa_text(
            whatsapp.settings["phone_number_id"], wa_id, WHATSAPP.format(number=phone_order.number), name=name
        )
        body = json.dumps(payload, ensure_ascii=False).encode()
        delivered += do_receive_signed_webhook(
            session,
            secrets,
            whatsapp.public_key,
            (ChannelKind.WHATSAPP,),
            body,
            signature(app_secret, body),
            split_items,
        )
    return delivered
