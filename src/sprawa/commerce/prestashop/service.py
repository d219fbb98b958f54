"""PrestaShop customer service threads (the shop's contact form, order messages) imported into the inbox.

They land on a form channel named "PrestaShop", created on the first import (its id is kept in the
workspace's commerce settings). Each ``customer_thread`` is one thread of that channel; the customer is
found or created by the thread's e-mail (vouched for when a logged-in shop customer wrote it). Every
customer message goes through the durable inbound path, stored under its PrestaShop id
(``customer_message:<id>``) so a re-import stores nothing twice, and is normalised at once, in order, so
that the employees' answers which follow find their thread: they are shown as agent messages, like replies
typed in a provider's own inbox (private staff notes stay in the shop). The cursor, the newest ``date_upd``
and thread id read, is written in the same transaction; the first import reaches back ``FIRST_IMPORT``.

Replies typed in Sprawa (an agent's or the AI's) leave through :class:`PrestaShopReplies`, the form adapter
of this channel: each is added to the PrestaShop thread as an employee message (so the back office shows
the whole conversation) and, because PrestaShop's Webservice cannot e-mail a customer, mailed to the
thread's e-mail address through the workspace's e-mail channel. Without an e-mail channel the reply fails
at once, before anything is sent, with a message saying so.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from secrets import token_urlsafe as secrets_token
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.cases.models import Case, DeliveryStatus, Direction, Message
from sprawa.cases.service import link_orders
from sprawa.channels.actions.status import apply_echo
from sprawa.channels.actions.threads import orders_by_external_id
from sprawa.channels.base import ChannelAdapter, EchoMessage, OutboundMessage, Parsed, SendResult
from sprawa.channels.form.service import parse_form_message
from sprawa.channels.models import Channel, ChannelCursor, ChannelKind, Thread
from sprawa.channels.schemas import parse_settings
from sprawa.channels.service import IngestContext, process_inbound_event
from sprawa.commerce.actions.freshness import record_health
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import Order
from sprawa.commerce.prestashop.connector import PrestaShop, ShopThread
from sprawa.commerce.remote import ConnectorEnv
from sprawa.commerce.service import connector_for
from sprawa.db import utcnow
from sprawa.platform.crypto import SecretBox
from sprawa.platform.errors import InvalidInput
from sprawa.platform.inbound import record_inbound
from sprawa.platform.jobs import Job, PermanentFailure, RetryLater, enqueue
from sprawa.workspaces.models import Workspace

THREADS_JOB = "commerce.prestashop_threads"
THREADS_EVERY = timedelta(minutes=5)
FIRST_IMPORT = timedelta(days=14)
MAX_THREADS = 200
CURSOR = "prestashop:threads"
CHANNEL_KEY = "threads_channel_id"
#: The connection row of the settings page that shows how the import is doing.
HEALTH_SOURCE = "prestashop_threads"


def schedule_thread_import(session: Session, workspace_id: str, at: datetime | None = None) -> None:
    """Queue the import for the current five-minute slot (once, however often the order poll asks)."""
    at = at or utcnow()
    slot = int(at.timestamp() // THREADS_EVERY.total_seconds())
    enqueue(
        session,
        THREADS_JOB,
        {"workspace_id": workspace_id},
        workspace_id=workspace_id,
        key=f"{THREADS_JOB}:{workspace_id}:{slot}",
        run_at=at,
    )


def threads_channel(session: Session, workspace: Workspace, secrets: SecretBox) -> Channel:
    """The workspace's "PrestaShop" channel. It gets a signing secret of its own, so that nobody can post
    into it through the form webhook unsigned (and replies to a callback are signed)."""
    config = dict((workspace.settings or {}).get("commerce") or {})
    channel = session.get(Channel, config[CHANNEL_KEY]) if config.get(CHANNEL_KEY) else None
    if channel is None or channel.workspace_id != workspace.id:
        channel = Channel(
            workspace_id=workspace.id,
            kind=ChannelKind.FORM,
            name="PrestaShop",
            settings=parse_settings(ChannelKind.FORM, {}, []),
            credentials_encrypted=secrets.seal({"signing_secret": secrets_token()}),
        )
        session.add(channel)
        session.flush()
        workspace.settings = {**(workspace.settings or {}), "commerce": {**config, CHANNEL_KEY: channel.id}}
    return channel


def import_threads(session: Session, ctx: IngestContext, shop: PrestaShop, workspace_id: str) -> int:
    """Read the threads changed since the cursor into the inbox; returns how many customer messages
    were stored (a re-import stores none)."""
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    channel = threads_channel(session, workspace, ctx.secrets)
    cursor = session.scalars(
        select(ChannelCursor).where(ChannelCursor.channel_id == channel.id, ChannelCursor.name == CURSOR)
    ).first()
    if cursor is None:
        first = utcnow().astimezone(ZoneInfo(workspace.timezone)) - FIRST_IMPORT
        cursor = ChannelCursor(
            workspace_id=workspace_id,
            channel_id=channel.id,
            name=CURSOR,
            value={"date_upd": first.strftime("%Y-%m-%d %H:%M:%S"), "id": 0},
        )
        session.add(cursor)
    threads = shop.customer_threads(str(cursor.value["date_upd"]), int(cursor.value["id"]), MAX_THREADS)
    stored = sum(_import_thread(session, ctx, channel, t) for t in threads)
    if threads:
        cursor.value = {"date_upd": threads[-1].updated, "id": int(threads[-1].external_id)}
    session.flush()
    return stored


def _import_thread(session: Session, ctx: IngestContext, channel: Channel, t: ShopThread) -> int:
    thread_key = f"prestashop-thread-{t.external_id}"
    stored = 0
    for m in t.messages:
        key = f"customer_message:{m.external_id}"
        if not m.text.strip():
            continue
        if m.employee:
            if not m.private and not _reply_in_flight(session, channel, thread_key, m.text):
                apply_echo(session, channel, EchoMessage(key, thread_key, m.text, m.sent_at))
            continue
        body = json.dumps(
            {
                "id": key,
                "email": t.email,
                "text": m.text,
                "thread_id": thread_key,
                "verified": t.shop_customer_id is not None,  # a logged-in shop customer wrote it
            },
            ensure_ascii=False,
        )
        try:
            parse_form_message(body)
        except InvalidInput:
            return stored  # no usable e-mail on the thread: nobody to answer
        event_id, new = record_inbound(
            session,
            workspace_id=channel.workspace_id,
            channel_id=channel.id,
            provider_key=key,
            payload=body,
            headers={"signature_verified": True, "source": "prestashop"},  # read with the shop's own key
        )
        if new:
            stored += process_inbound_event(session, ctx, event_id)
    if t.order_external_id:
        _link_order(session, channel, thread_key, t.order_external_id)
    return stored


def _reply_in_flight(session: Session, channel: Channel, thread_key: str, text: str) -> bool:
    """Our own reply, posted into the shop but not yet recorded as posted (its delivery is still going
    on): not an employee's answer to show a second time."""
    return bool(
        session.scalar(
            select(Message.id)
            .join(Thread, Thread.id == Message.thread_id)
            .where(
                Thread.channel_id == channel.id,
                Thread.external_id == thread_key,
                Message.direction == Direction.OUTBOUND,
                Message.delivery_status.in_((DeliveryStatus.QUEUED, DeliveryStatus.FAILED)),
                Message.body_text == text,
            )
            .limit(1)
        )
    )


def _link_order(session: Session, channel: Channel, thread_key: str, order_ref: str) -> None:
    thread = session.scalars(
        select(Thread).where(Thread.channel_id == channel.id, Thread.external_id == thread_key)
    ).first()
    case = session.get(Case, thread.case_id) if thread and thread.case_id else None
    if case is not None:
        orders = orders_by_external_id(session, channel.workspace_id, [order_ref])
        link_orders(session, case, orders, reason="PrestaShop thread about this order")


def run_threads_job(ctx: IngestContext, env: ConnectorEnv, factory: sessionmaker[Session], job: Job) -> None:
    workspace_id = job.payload["workspace_id"]
    with factory.begin() as session:
        workspace = session.get(Workspace, workspace_id)
        if (
            workspace is None
            or ((workspace.settings or {}).get("commerce") or {}).get("kind") != "prestashop"
        ):
            return
        shop = connector_for(session, workspace_id, env)
        assert isinstance(shop, PrestaShop)
        try:
            import_threads(session, ctx, shop, workspace_id)
        except ConnectorError as exc:
            record_health(session, workspace_id, HEALTH_SOURCE, "prestashop", exc)
            return
        record_health(session, workspace_id, HEALTH_SOURCE, "prestashop", synced_orders=0)


# ------------------------------------------------------------------------------------------------- replies

THREAD_PREFIX = "prestashop-thread-"
POSTED = "customer_message:"
#: The shop employee the answers are signed with: the first admin of an install, unless
#: ``settings["commerce"]["employee_id"]`` names another.
DEFAULT_EMPLOYEE = "1"
#: Seconds the shop calls of one delivery may take (retries included); the outbox retries the rest.
REPLY_BUDGET = 20.0
NO_EMAIL_CHANNEL = (
    "PrestaShop nie wysyła e-maili do klientów, więc ta odpowiedź do klienta nie dotrze: dodaj kanał "
    "e-mail i wyślij ją ponownie (nic nie zostało wysłane). / PrestaShop cannot e-mail customers, so this "
    "reply cannot reach the customer: add an e-mail channel and send it again (nothing was sent)."
)


@dataclass
class _Reply:
    """What one reply needs, read in one transaction before any network call."""

    shop: PrestaShop
    employee_id: str
    posted: str | None  # the customer_message id an earlier attempt created
    known: set[str]  # provider ids of the thread's messages already in Sprawa
    mail_channel: Channel
    mail_credentials: dict[str, Any]


class PrestaShopReplies:
    """The form adapter, except on a workspace's "PrestaShop" channel: there a reply is added to the shop's
    thread as an employee message and mailed to the thread's address through the e-mail channel.

    Retries post nothing twice: the created ``customer_message`` id is recorded as the reply's provider
    id before the mail leaves (so the thread import also knows it as ours), and a post whose answer was
    lost is found again in the thread (an employee message with the same text no Sprawa message claims).
    """

    kind = ChannelKind.FORM

    def __init__(
        self,
        form: ChannelAdapter,
        mail: ChannelAdapter,
        factory: sessionmaker[Session],
        env: ConnectorEnv,
    ) -> None:
        self.form, self.mail, self.factory, self.env = form, mail, factory, env
        self.capabilities = form.capabilities

    def parse_inbound(self, channel: Channel, payload: str, headers: dict[str, Any]) -> Sequence[Parsed]:
        return self.form.parse_inbound(channel, payload, headers)

    def send(self, channel: Channel, credentials: dict[str, Any], message: OutboundMessage) -> SendResult:
        if not message.thread_external_id.startswith(THREAD_PREFIX):
            return self.form.send(channel, credentials, message)
        try:
            with self.factory.begin() as session:
                reply = self._prepare(session, channel, message)
                session.expunge_all()
            if reply is None:
                return self.form.send(channel, credentials, message)
            key, shop_thread, subject = self._post(reply, channel, message)
        except ConnectorError as exc:
            if exc.problem in (ConnectorProblem.RATE_LIMITED, ConnectorProblem.UNREACHABLE):
                raise RetryLater(f"PrestaShop: {exc}", exc.retry_after) from exc
            raise PermanentFailure(f"PrestaShop: {exc}") from exc
        to = shop_thread.email or message.recipient.get("email", "")
        mail = replace(message, subject=subject, recipient={"email": to} if to else {}, reply_to_ref=None)
        try:
            self.mail.send(reply.mail_channel, reply.mail_credentials, mail)
        except PermanentFailure as exc:
            raise PermanentFailure(
                "Odpowiedź jest w wątku PrestaShop, ale e-mail do klienta nie wyszedł. / The reply is in "
                f"the PrestaShop thread, but the e-mail to the customer failed: {exc}"
            ) from exc
        return SendResult(provider_message_id=key)

    def _prepare(self, session: Session, channel: Channel, message: OutboundMessage) -> _Reply | None:
        workspace = session.get(Workspace, channel.workspace_id)
        config = ((workspace.settings or {}).get("commerce") or {}) if workspace else {}
        if config.get("kind") != "prestashop" or config.get(CHANNEL_KEY) != channel.id:
            return None  # a form channel of the shop's own making: its callback URL answers
        mail_channel = session.scalars(
            select(Channel)
            .where(
                Channel.workspace_id == channel.workspace_id,
                Channel.kind == ChannelKind.EMAIL,
                Channel.active.is_(True),
            )
            .order_by(Channel.created_at, Channel.id)
            .limit(1)
        ).first()
        if mail_channel is None:
            raise PermanentFailure(NO_EMAIL_CHANNEL)
        try:
            mail_credentials = self.env.secrets.open(mail_channel.credentials_encrypted)
        except ValueError as exc:
            raise PermanentFailure("unreadable e-mail channel credentials; enter them again") from exc
        shop = connector_for(session, channel.workspace_id, self.env.within(REPLY_BUDGET))
        assert isinstance(shop, PrestaShop)
        own = session.get(Message, message.message_id)
        posted = own.provider_message_id if own is not None else None
        known = session.scalars(
            select(Message.provider_message_id).where(
                Message.thread_id == message.thread_id, Message.provider_message_id.startswith(POSTED)
            )
        )
        return _Reply(
            shop=shop,
            employee_id=str(config.get("employee_id") or DEFAULT_EMPLOYEE),
            posted=posted.removeprefix(POSTED) if posted and posted.startswith(POSTED) else None,
            known={k for k in known if k},
            mail_channel=mail_channel,
            mail_credentials=mail_credentials,
        )

    def _post(self, reply: _Reply, channel: Channel, message: OutboundMessage) -> tuple[str, ShopThread, str]:
        """The reply in the shop's thread (once); returns its provider id, the thread and the mail subject."""
        thread_id = message.thread_external_id.removeprefix(THREAD_PREFIX)
        shop_thread = reply.shop.customer_thread(thread_id)
        if shop_thread is None:
            raise PermanentFailure(f"the PrestaShop thread {thread_id} is no longer in the shop")
        posted = reply.posted or next(
            (
                m.external_id
                for m in shop_thread.messages
                if m.employee
                and not m.private
                and m.text.strip() == message.text.strip()
                and POSTED + m.external_id not in reply.known
            ),
            None,
        )
        posted = posted or reply.shop.add_employee_message(thread_id, reply.employee_id, message.text)
        with self.factory.begin() as session:
            own = session.get(Message, message.message_id)
            if own is not None:
                own.provider_message_id = POSTED + posted
            number = (
                session.scalar(
                    select(Order.number).where(
                        Order.workspace_id == channel.workspace_id,
                        Order.external_id == shop_thread.order_external_id,
                    )
                )
                if shop_thread.order_external_id
                else None
            )
        if number or shop_thread.order_external_id:
            subject = f"Re: Zamówienie {number or shop_thread.order_external_id}"
        else:
            subject = f"Re: {message.subject or 'Twoja wiadomość'}"
        return POSTED + posted, shop_thread, subject
