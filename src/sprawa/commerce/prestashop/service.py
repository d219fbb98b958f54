"""PrestaShop customer service threads (the shop's contact form, order messages) imported into the inbox.

They land on a form channel named "PrestaShop", created on the first import (its id is kept in the
workspace's commerce settings). Each ``customer_thread`` is one thread of that channel; the customer is
found or created by the thread's e-mail (vouched for when a logged-in shop customer wrote it). Every
customer message goes through the durable inbound path, stored under its PrestaShop id
(``customer_message:<id>``) so a re-import stores nothing twice, and is normalised at once, in order, so
that the employees' answers which follow find their thread: they are shown as agent messages, like replies
typed in a provider's own inbox (private staff notes stay in the shop). The cursor, the newest ``date_upd``
and thread id read, is written in the same transaction; the first import reaches back ``FIRST_IMPORT``.

Replies typed in Sprawa leave like any form channel's, to its ``callback_url`` (a shop module's endpoint):
PrestaShop's Webservice cannot e-mail a customer.
"""

import json
from datetime import datetime, timedelta
from secrets import token_urlsafe as secrets_token
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.cases.models import Case
from sprawa.cases.service import link_orders
from sprawa.channels.actions.status import apply_echo
from sprawa.channels.actions.threads import orders_by_external_id
from sprawa.channels.base import EchoMessage
from sprawa.channels.form.service import parse_form_message
from sprawa.channels.models import Channel, ChannelCursor, ChannelKind, Thread
from sprawa.channels.schemas import parse_settings
from sprawa.channels.service import IngestContext, process_inbound_event
from sprawa.commerce.actions.freshness import record_health
from sprawa.commerce.errors import ConnectorError
from sprawa.commerce.prestashop.connector import PrestaShop, ShopThread
from sprawa.commerce.remote import ConnectorEnv
from sprawa.commerce.service import connector_for
from sprawa.db import utcnow
from sprawa.platform.crypto import SecretBox
from sprawa.platform.errors import InvalidInput
from sprawa.platform.inbound import record_inbound
from sprawa.platform.jobs import Job, enqueue
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
            if not m.private:
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
