"""Demo channel traffic: the local fakes deliver a few e-mails and WhatsApp messages to the demo shop.

The mails travel over real IMAP from the in-process fake server and are stored exactly as the poller
stores them; the WhatsApp messages are Meta-shaped webhooks signed with the demo channel's app secret
and go through the webhook's signature check. Both become cases once the worker processes them,
so a newcomer watches e-mail and WhatsApp cases arrive in the inbox.

While ``sprawa demo`` runs, ``start_demo_fakes`` keeps the fakes up on loopback (an IMAP mailbox with
IDLE, an SMTP sink, a Graph API per Meta channel, Allegro, the shop's endpoint for contact-form replies)
and points the demo channels at them, so the replies on every demo channel are delivered (and shown at
``/demo/poczta``) instead of dying against made-up hosts. Only the demo does this; nothing else allows
loopback.
"""

import imaplib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.cases.models import Direction, Message
from sprawa.channels.actions.polling import schedule_poll
from sprawa.channels.allegro.fake import FakeAllegro
from sprawa.channels.email.fake import FakeImapServer, FakeMailbox
from sprawa.channels.email.service import store_mail
from sprawa.channels.email.sink import SmtpSink
from sprawa.channels.meta.fake import FakeGraph, signature, wa_text
from sprawa.channels.meta.webhook import do_receive_signed_webhook
from sprawa.channels.models import Channel, ChannelKind, Thread
from sprawa.channels.whatsapp.service import split_items
from sprawa.commerce.models import Order
from sprawa.config import Settings
from sprawa.db import utcnow
from sprawa.platform.crypto import SecretBox
from sprawa.platform.ids import new_id
from sprawa.workspaces.models import Workspace

DEMO_SLUG = "demo"
LOOPBACK = "127.0.0.1"
# Outside WhatsApp's 24-hour window only an approved template may be sent; the demo's Graph fake
# accepts this one, so replies to the older sample chats are delivered too.
DEMO_TEMPLATE = {"name": "wznowienie_rozmowy", "language": "pl"}
TOKEN_FIELD = {
    ChannelKind.WHATSAPP: "access_token",
    ChannelKind.MESSENGER: "page_access_token",
    ChannelKind.INSTAGRAM: "page_access_token",
}

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


class DemoGraph(FakeGraph):
    """The Graph fake of one demo channel; it knows when a customer last wrote from the demo's database
    (as Meta knows it from its own records), so its 24-hour and 7-day windows match the inbox."""

    def __init__(self, access_token: str, factory: sessionmaker[Session], channel: Channel) -> None:
        super().__init__(access_token)
        self.factory = factory
        self.channel_id = channel.id
        self.kind = channel.kind
        self.channel_name = channel.name

    def last_inbound_at(self, recipient: str) -> datetime | None:
        with self.factory() as session:
            return session.scalar(
                select(func.max(Message.created_at))
                .join(Thread, Thread.id == Message.thread_id)
                .where(
                    Thread.channel_id == self.channel_id,
                    Thread.external_id.in_([recipient, recipient.lstrip("+")]),
                    Message.direction == Direction.INBOUND,
                )
            )


class _CallbackHandler(BaseHTTPRequestHandler):
    server: "ShopCallback"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.received.append(json.loads(body or b"{}"))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


class ShopCallback(ThreadingHTTPServer):
    """The demo shop's endpoint for contact-form replies (a real shop would e-mail them on)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__((LOOPBACK, 0), _CallbackHandler)
        self.received: deque[dict[str, Any]] = deque(maxlen=200)
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, name="demo-shop-callback", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}/sprawa/odpowiedzi"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


@dataclass
class DemoFakes:
    """The providers the running demo talks to instead of the internet."""

    mailbox: FakeMailbox
    imap: FakeImapServer
    smtp: SmtpSink
    callback: ShopCallback
    allegro: FakeAllegro
    graphs: list[DemoGraph] = field(default_factory=list)

    def stop(self) -> None:
        if self in _running:
            _running.remove(self)
        self.imap.stop()
        self.smtp.stop()
        self.callback.stop()
        self.allegro.__exit__()
        for graph in self.graphs:
            graph.__exit__()


_running: list[DemoFakes] = []


def running_fakes() -> DemoFakes | None:
    """The fakes of the ``sprawa demo`` in this process (None anywhere else: the mail page is 404)."""
    return _running[-1] if _running else None


def start_demo_fakes(factory: sessionmaker[Session], secrets: SecretBox) -> DemoFakes | None:
    """Start the fakes on free loopback ports and point the demo workspace's channels at them."""
    with factory.begin() as session:
        workspace_id = session.scalar(select(Workspace.id).where(Workspace.slug == DEMO_SLUG))
        if workspace_id is None:
            return None
        channels = session.scalars(select(Channel).where(Channel.workspace_id == workspace_id)).all()
        email = next((c for c in channels if c.kind == ChannelKind.EMAIL), None)
        creds = secrets.open(email.credentials_encrypted) if email is not None else {}
        # A new UIDVALIDITY each run: the poller re-reads this (empty) mailbox from the start.
        mailbox = FakeMailbox(
            user=creds.get("username", "demo"),
            password=creds.get("password", "demo"),
            uidvalidity=int(time.time()),
        )
        fakes = DemoFakes(
            mailbox,
            FakeImapServer(mailbox).start(),
            SmtpSink().start(),
            ShopCallback(),
            FakeAllegro().__enter__(),
        )
        for channel in channels:
            if channel.kind == ChannelKind.EMAIL:
                channel.settings = {
                    **(channel.settings or {}),
                    **{"imap_host": LOOPBACK, "imap_port": fakes.imap.port, "imap_security": "plain"},
                    **{"smtp_host": LOOPBACK, "smtp_port": fakes.smtp.port, "smtp_security": "plain"},
                }
                schedule_poll(session, channel, soon=True, after=f"demo:{mailbox.uidvalidity}")
            elif channel.kind == ChannelKind.ALLEGRO:
                _connect_allegro(session, channel, secrets, fakes.allegro)
            elif channel.kind == ChannelKind.FORM:
                channel.settings = {**(channel.settings or {}), "callback_url": fakes.callback.url}
            elif channel.kind in TOKEN_FIELD:
                token = secrets.open(channel.credentials_encrypted).get(TOKEN_FIELD[channel.kind], "")
                graph = DemoGraph(token, factory, channel).__enter__()
                fakes.graphs.append(graph)
                extra = (
                    {"reengagement_template": DEMO_TEMPLATE} if channel.kind == ChannelKind.WHATSAPP else {}
                )
                channel.settings = {**extra, **(channel.settings or {}), "api_base_url": graph.base_url}
    _running.append(fakes)
    return fakes


def _connect_allegro(session: Session, channel: Channel, secrets: SecretBox, fake: FakeAllegro) -> None:
    """The demo seller's account, already connected: the fake knows its seeded refresh token and a
    current access token, and takes the owner's confirmation as given when connecting again."""
    account = secrets.open(channel.credentials_encrypted)
    fake.refresh_token = account.get("refresh_token", "")
    fake.access_token = account.get("access_token") or "demo-allegro-access-token"
    fake.approved = True
    expires = (utcnow() + timedelta(hours=12)).isoformat()
    channel.credentials_encrypted = secrets.seal(
        {**account, "access_token": fake.access_token, "expires_at": expires}
    )
    channel.settings = {**(channel.settings or {}), "api_base_url": fake.url, "auth_base_url": fake.url}
    schedule_poll(session, channel, soon=True, after=f"demo:{new_id()}")


def with_demo_fakes(settings: Settings) -> Settings:
    """For ``sprawa demo``: start the fakes, point the channels at them, allow loopback for this process."""
    from sprawa.runtime import Runtime

    runtime = Runtime.build(settings)
    try:
        start_demo_fakes(runtime.factory, runtime.ingest.secrets)
    finally:
        runtime.close()
    return settings.model_copy(update={"outbound_allow": [*settings.outbound_allow, LOOPBACK]})
