"""``sprawa chaos-email`` and ``sprawa chaos-webhooks``: channel durability proofs with exact accounting.

E-mail: the fake IMAP server holds good mails from a few hundred senders, poison mails (no sender,
absurd MIME), copies delivered twice, reused and missing Message-IDs and robots (auto-submitted, lists).
Real ``sprawa worker`` processes poll it while being SIGKILLed, the server drops connections at random,
UIDVALIDITY is bumped once, and half of the mail arrives during an outage (no worker running). The
channel's auto-reply is on. Checked: every good mail stored exactly once (ledger of dedupe keys vs the
database), poison quarantined after at most three tries, at most one auto-reply per sender counted at
the SMTP sink (and one for every person), nothing flagged on the server.

Webhooks: a real ``sprawa serve`` takes WhatsApp, Messenger and Instagram deliveries at a set rate with
duplicates, reordering and bad signatures while workers are SIGKILLed. Checked: every acknowledged
event stored once, no message twice, bad signatures rejected and stored nowhere, statuses never
moved backwards (the final status is the furthest one sent).
"""

import argparse
import json
import logging
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from sprawa.channels.actions.polling import schedule_poll
from sprawa.channels.email.fake import FakeImapServer, FakeMailbox
from sprawa.channels.email.parse import dedupe_key, normalise_msgid
from sprawa.channels.email.sink import SmtpSink
from sprawa.channels.meta.fake import page_message, signature, wa_status, wa_text
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.schemas import parse_settings
from sprawa.chaos import (
    ChaosConfig,
    Proc,
    WorkerKiller,
    child_env,
    free_port,
    heartbeat_seen,
    scratch_database,
    wait_for_server,
)
from sprawa.db import utcnow

Progress = Callable[[str], None]
SHOP = "sklep@chaos.example"
# What the channel runs besides its poller (other features' periodic jobs are not ours to wait for).
CHANNEL_JOBS = ("inbound.process", "outbox.deliver")
BUSY = ("pending", "running")
PASSWORD = "chaos-imap-password"  # noqa: S105 - a throwaway scratch mailbox


# ------------------------------------------------------------------------------------------- e-mail


@dataclass
class EmailChaosConfig:
    mails: int = 2000
    poison: int = 100
    senders: int = 300
    robots: int = 40
    kill_every: tuple[float, float] = (2.0, 6.0)
    drop_rate: float = 0.01
    outage_seconds: float = 10.0
    deadline_seconds: float = 900.0
    seed: int | None = None


@dataclass
class MailPlan:
    """What goes into the mailbox, and the ledger the database is checked against."""

    first: list[bytes] = field(default_factory=list)
    during_outage: list[bytes] = field(default_factory=list)
    good_keys: set[str] = field(default_factory=set)
    people: set[str] = field(default_factory=set)
    poison: int = 0
    copies: int = 0
    reused_ids: int = 0
    missing_ids: int = 0


def _mail(sender: str, text: str, *, message_id: str | None, headers: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SHOP
    msg["Subject"] = "Pytanie o zamówienie"
    msg["Date"] = format_datetime(utcnow())
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    return msg.as_bytes()


POISON = [
    b"Subject: no sender at all\r\n\r\nbody",
    b"From: not an address\r\nSubject: x\r\n\r\nbody",
    b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    + b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1) for i in range(60)
    ),
    b"\r\n\r\n",
]


def plan_mails(config: EmailChaosConfig, rng: random.Random) -> MailPlan:
    plan = MailPlan()
    mails: list[tuple[bytes, bool]] = []  # (raw, good)
    last_id: str | None = None
    for i in range(config.mails - config.poison):
        robot = i < config.robots
        sender = f"robot{i}@lists.example" if robot else f"klient{rng.randrange(config.senders)}@example.pl"
        headers = {"Auto-Submitted": "auto-generated"} if robot else {}
        kind = rng.random()
        if kind < 0.02:
            message_id, plan.missing_ids = None, plan.missing_ids + 1
        elif kind < 0.04 and last_id:
            # A different mail that reuses an earlier Message-ID (a broken client): both are stored.
            message_id, plan.reused_ids = last_id, plan.reused_ids + 1
        else:
            message_id = last_id = make_msgid(domain="example.pl")
        text = f"Wiadomość numer {i}: gdzie jest paczka {rng.randrange(10**6)}?"
        raw = _mail(sender, text, message_id=message_id, headers=headers)
        mails.append((raw, True))
        plan.good_keys.add(dedupe_key(normalise_msgid(message_id), raw))
        if not robot:
            plan.people.add(sender)
        if rng.random() < 0.03:  # the same mail delivered into the folder twice
            mails.append((b"Received: from relay2.example\r\n" + raw, True))
            plan.copies += 1
    for i in range(config.poison):
        mails.append((POISON[i % len(POISON)] + f"\r\n{i}".encode(), False))
    plan.poison = config.poison
    rng.shuffle(mails)
    half = len(mails) // 2
    plan.first = [m for m, _ in mails[:half]]
    plan.during_outage = [m for m, _ in mails[half:]]
    return plan


@dataclass
class EmailChaosReport:
    database: str = ""
    seed: int = 0
    mails_in_folder: int = 0
    good_distinct: int = 0
    copies: int = 0
    reused_ids: int = 0
    missing_ids: int = 0
    poison: int = 0
    stored_good: int = 0
    missing: int = 0
    quarantined: int = 0
    poison_max_tries: int = 0
    people: int = 0
    auto_replies: int = 0
    auto_reply_max_per_sender: int = 0
    people_without_auto_reply: int = 0
    retransmits: int = 0
    kills: int = 0
    imap_drops: int = 0
    flagged: int = 0
    elapsed: float = 0.0
    failures: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"E-mail chaos on {self.database} (seed {self.seed})",
            f"  mails in the folder      {self.mails_in_folder} ({self.good_distinct} distinct good, "
            f"{self.copies} delivered twice, {self.reused_ids} reusing a Message-ID, "
            f"{self.missing_ids} without one, {self.poison} poison)",
            f"  good mails stored        {self.stored_good} (missing {self.missing})",
            f"  poison quarantined       {self.quarantined} (most tries: {self.poison_max_tries})",
            f"  auto-replies at the sink {self.auto_replies} to {self.people} people (most to one sender: "
            f"{self.auto_reply_max_per_sender}; people without one: {self.people_without_auto_reply}; "
            f"SMTP retransmits of the same Message-ID: {self.retransmits})",
            f"  worker kills (SIGKILL)   {self.kills}; IMAP connections dropped {self.imap_drops}; "
            f"UIDVALIDITY bumped once; outage backfilled",
            f"  flagged/deleted on server {self.flagged}",
            f"  elapsed                  {self.elapsed:.1f} s",
            "  RESULT: " + ("PASS" if not self.failures else "FAIL: " + "; ".join(self.failures)),
        ]


def run_email_chaos(
    config: EmailChaosConfig, runtime: Any, sink: Any, progress: Progress
) -> EmailChaosReport:
    from sprawa.cases.models import Message
    from sprawa.platform.inbound import InboundEvent, InboundStatus
    from sprawa.platform.jobs import Job, JobStatus
    from sprawa.workspaces.models import Workspace

    seed = config.seed if config.seed is not None else secrets.randbelow(10**6)
    rng = random.Random(seed)
    report = EmailChaosReport(database=runtime.engine.dialect.name, seed=seed)
    started = time.monotonic()
    plan = plan_mails(config, rng)
    mailbox = FakeMailbox(user=SHOP, password=PASSWORD)
    for raw in plan.first:
        mailbox.append(raw)
    with FakeImapServer(mailbox, drop_rate=config.drop_rate) as imap:
        with runtime.factory.begin() as session:
            workspace = Workspace(slug="chaos-email", name="Chaos e-mail")
            session.add(workspace)
            session.flush()
            settings = {
                "address": SHOP,
                "imap_host": "127.0.0.1",
                "imap_port": imap.port,
                "imap_security": "plain",
                "smtp_host": "127.0.0.1",
                "smtp_port": sink.port,
                "smtp_security": "plain",
                "poll_seconds": 5,
                "auto_reply": {
                    "enabled": True,
                    "text": "Dziękujemy, odpowiemy wkrótce.",
                    "outside_hours_only": False,
                },
            }
            channel = Channel(
                workspace_id=workspace.id,
                kind=ChannelKind.EMAIL,
                name="Chaos",
                settings=parse_settings(ChannelKind.EMAIL, settings, ["127.0.0.1"]),
                credentials_encrypted=runtime.ingest.secrets.seal({"username": SHOP, "password": PASSWORD}),
            )
            session.add(channel)
            session.flush()
            schedule_poll(session, channel, soon=True, after="chaos")
            channel_id = channel.id
        chaos = ChaosConfig(worker_batch=5, lease_seconds=10, backoff_base=0.2, backoff_cap=3.0)
        env = child_env(runtime.settings, free_port(), chaos)
        log_dir = Path(runtime.settings.data_dir)

        def spawn(n: int) -> Proc:
            return Proc(f"worker-{n:04d}", ["worker"], env, log_dir).start()

        def killer() -> WorkerKiller:
            k = WorkerKiller(spawn, heartbeat_seen(runtime), config.kill_every, rng)
            k.start()
            return k

        def stored() -> int:
            with runtime.factory() as session:
                return (
                    session.scalar(
                        select(func.count())
                        .select_from(InboundEvent)
                        .where(InboundEvent.channel_id == channel_id)
                    )
                    or 0
                )

        low, high = config.kill_every
        progress(f"phase 1: {len(plan.first)} mails, workers killed every {low}–{high} s")
        first = killer()
        deadline = time.monotonic() + config.deadline_seconds
        while stored() < len(set(plan.first)) * 0.5 and time.monotonic() < deadline and first.error is None:
            time.sleep(0.5)
        mailbox.bump_uidvalidity()
        progress("UIDVALIDITY bumped; waiting for the first half to be read")
        _wait_idle(runtime, channel_id, mailbox, deadline, lambda: first.error)
        first.stop()
        report.kills += first.kills
        outage = f"{config.outage_seconds:.0f} s without workers"
        progress(f"phase 2: outage ({outage}) while {len(plan.during_outage)} mails arrive")
        for raw in plan.during_outage:
            mailbox.append(raw)
            time.sleep(config.outage_seconds / max(1, len(plan.during_outage)))
        second = killer()
        _wait_idle(runtime, channel_id, mailbox, deadline, lambda: second.error)
        second.stop()
        report.kills += second.kills
        progress("final worker: finishing what is left")
        final = spawn(9999)
        try:
            _wait_idle(runtime, channel_id, mailbox, deadline, lambda: None, settle=3.0)
        finally:
            final.terminate()
        report.imap_drops = imap.drops
        report.flagged = mailbox.flagged()
        report.mails_in_folder = len(mailbox.mails)
    with runtime.factory() as session:
        keys = set(
            session.scalars(
                select(Message.provider_message_id).where(
                    Message.channel_id == channel_id, Message.direction == "in"
                )
            )
        )
        failed = list(
            session.scalars(
                select(InboundEvent.id).where(
                    InboundEvent.channel_id == channel_id, InboundEvent.status == InboundStatus.FAILED
                )
            )
        )
        tries = [
            t
            for t in session.scalars(
                select(Job.attempts).where(Job.kind == "inbound.process", Job.status == JobStatus.DEAD)
            )
        ]
        leftover = (
            session.scalar(
                select(func.count()).select_from(Job).where(Job.kind.in_(CHANNEL_JOBS), Job.status.in_(BUSY))
            )
            or 0
        )
    replies = [m for m in sink.mails if m["Auto-Submitted"] == "auto-replied"]
    per_sender = Counter(str(m["To"]) for m in replies)
    distinct = {str(m["Message-ID"]) for m in replies}
    report.good_distinct = len(plan.good_keys)
    report.copies, report.reused_ids, report.missing_ids, report.poison = (
        plan.copies,
        plan.reused_ids,
        plan.missing_ids,
        plan.poison,
    )
    report.stored_good = len(keys & plan.good_keys)
    report.missing = len(plan.good_keys - keys)
    report.quarantined = len(failed)
    report.poison_max_tries = max(tries, default=0)
    report.people = len(plan.people)
    report.auto_replies = len(distinct)
    report.retransmits = len(replies) - len(distinct)
    distinct_per_sender = Counter(str(m["To"]) for m in {str(m["Message-ID"]): m for m in replies}.values())
    report.auto_reply_max_per_sender = max(distinct_per_sender.values(), default=0)
    report.people_without_auto_reply = len(plan.people - set(per_sender))
    report.elapsed = time.monotonic() - started
    fail = report.failures.append
    if report.missing or len(keys - plan.good_keys):
        fail(f"{report.missing} good mails missing, {len(keys - plan.good_keys)} unexpected messages")
    if report.quarantined != plan.poison:
        fail(f"{report.quarantined} quarantined, expected {plan.poison}")
    if report.poison_max_tries > 3:
        fail(f"a poison mail was tried {report.poison_max_tries} times")
    if report.auto_reply_max_per_sender > 1 or report.people_without_auto_reply:
        fail("auto-replies: duplicates or people left without one")
    if set(per_sender) - plan.people:
        fail("an auto-reply went to a robot")
    if report.flagged:
        fail(f"{report.flagged} mails flagged on the server")
    if leftover:
        fail(f"{leftover} jobs left pending/running")
    return report


def _wait_idle(
    runtime: Any,
    channel_id: str,
    mailbox: FakeMailbox,
    deadline: float,
    error: Callable[[], Any],
    settle: float = 0.0,
) -> None:
    """Until the cursor reached the folder's last UID and no ingest/delivery job is left."""
    from sprawa.channels.models import ChannelCursor
    from sprawa.platform.jobs import Job

    quiet_since: float | None = None
    while time.monotonic() < deadline:
        if error() is not None:
            raise RuntimeError(f"worker killer failed: {error()}")
        with runtime.factory() as session:
            cursor = (
                session.scalar(select(ChannelCursor.value).where(ChannelCursor.channel_id == channel_id))
                or {}
            )
            busy = session.scalar(
                select(func.count()).select_from(Job).where(Job.kind.in_(CHANNEL_JOBS), Job.status.in_(BUSY))
            )
        with mailbox.lock:
            done = cursor.get("uidvalidity") == mailbox.uidvalidity and cursor.get("last_uid") == (
                mailbox.mails[-1].uid if mailbox.mails else 0
            )
        if done and not busy:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= settle:
                return
        else:
            quiet_since = None
        time.sleep(0.5)
    raise RuntimeError("the run did not finish before the deadline")


def cmd_chaos_email(settings: Any, args: argparse.Namespace) -> None:
    from sprawa.config import Settings
    from sprawa.platform.migrations import upgrade
    from sprawa.runtime import Runtime

    config = EmailChaosConfig(
        mails=args.mails,
        poison=args.poison,
        kill_every=(args.kill_min, args.kill_max),
        outage_seconds=args.outage,
        seed=args.seed,
    )
    with scratch_database(args.database_url, args.keep, print) as (url, data_dir):
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # the SMTP sink's per-command log
        upgrade(url)
        run_settings = Settings(
            database_url=url,
            data_dir=data_dir,
            secret_key=secrets.token_urlsafe(32),
            outbound_allow=["127.0.0.1"],
            _env_file=None,
        )  # type: ignore[call-arg]
        runtime = Runtime.build(run_settings)
        try:
            with SmtpSink(keep=None) as sink:
                report = run_email_chaos(config, runtime, sink, progress=lambda line: print(line, flush=True))
        finally:
            runtime.close()
    print("\n".join(report.lines()), flush=True)
    if report.failures:
        raise SystemExit(1)


def add_channel_chaos_commands(sub: Any) -> None:
    mail = sub.add_parser(
        "chaos-email", help="IMAP ingest under worker SIGKILLs, dropped connections and an outage"
    )
    mail.add_argument("--mails", type=int, default=2000)
    mail.add_argument("--poison", type=int, default=100)
    mail.add_argument("--kill-min", type=float, default=2.0)
    mail.add_argument("--kill-max", type=float, default=6.0)
    mail.add_argument("--outage", type=float, default=10.0, help="seconds without workers while mail arrives")
    mail.add_argument(
        "--database-url", default="", help="PostgreSQL server (a scratch database); default SQLite"
    )
    mail.add_argument("--seed", type=int, default=None)
    mail.add_argument("--keep", action="store_true")
    mail.set_defaults(handler=cmd_chaos_email)
    hooks = sub.add_parser(
        "chaos-webhooks", help="WhatsApp/Messenger/Instagram webhook replay under worker SIGKILLs"
    )
    hooks.add_argument("--events", type=int, default=2000, help="distinct events (default 2000)")
    hooks.add_argument("--rate", type=float, default=300.0, help="posts per second (default 300)")
    hooks.add_argument(
        "--database-url", default="", help="PostgreSQL server (a scratch database); default SQLite"
    )
    hooks.add_argument("--seed", type=int, default=None)
    hooks.add_argument("--keep", action="store_true")
    hooks.set_defaults(handler=cmd_chaos_webhooks)


# ----------------------------------------------------------------------------------------- webhooks


@dataclass
class WebhookChaosConfig:
    events: int = 2000
    rate: float = 300.0
    duplicate_ratio: float = 0.3
    reorder_ratio: float = 0.2
    bad_signature_ratio: float = 0.05
    clients: int = 16
    kill_every: tuple[float, float] | None = (2.0, 6.0)
    # Without kills: whether one worker normalises the events while they arrive (as in production).
    live_worker: bool = True
    deadline_seconds: float = 900.0
    seed: int | None = None


@dataclass
class WebhookReport:
    database: str = ""
    seed: int = 0
    distinct: int = 0
    posts: int = 0
    duplicates: int = 0
    reordered: int = 0
    bad_signatures: int = 0
    acknowledged: int = 0
    rejected: int = 0
    stored_events: int = 0
    messages: int = 0
    expected_messages: int = 0
    statuses_final_read: int = 0
    status_targets: int = 0
    lost: int = 0
    bad_stored: int = 0
    kills: int = 0
    rate: float = 0.0
    ack_p50_ms: float = 0.0
    ack_p99_ms: float = 0.0
    elapsed: float = 0.0
    failures: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"Webhook replay on {self.database} (seed {self.seed})",
            f"  posts                 {self.posts} ({self.distinct} distinct WhatsApp/Messenger/Instagram "
            f"events, {self.duplicates} duplicates, {self.reordered} reordered, "
            f"{self.bad_signatures} bad signatures)",
            f"  acknowledged (200)    {self.acknowledged}; rejected (401) {self.rejected}",
            f"  events stored         {self.stored_events} (lost {self.lost}; "
            f"bad-signature posts stored {self.bad_stored})",
            f"  messages              {self.messages} (expected {self.expected_messages})",
            f"  statuses              {self.statuses_final_read}/{self.status_targets} ended 'read' "
            "(read and delivered sent in random order)",
            f"  worker kills          {self.kills}",
            f"  rate                  {self.rate:.0f} posts/s; "
            f"ack p50 {self.ack_p50_ms:.1f} ms, p99 {self.ack_p99_ms:.1f} ms",
            f"  elapsed               {self.elapsed:.1f} s",
            "  RESULT: " + ("PASS" if not self.failures else "FAIL: " + "; ".join(self.failures)),
        ]


APP_SECRET = "replay-app-secret"  # noqa: S105 - a throwaway scratch channel
PHONE_ID = "106540352242922"


def _replay_fixture(runtime: Any, targets: int) -> tuple[dict[ChannelKind, Channel], list[str]]:
    """Channels, and outbound WhatsApp messages (their wamids) that the replayed statuses refer to."""
    from sprawa.cases.models import AuthorKind, Case, DeliveryStatus, Direction, Message
    from sprawa.cases.service import add_message
    from sprawa.channels.base import IdentityClaim, InboundMessage
    from sprawa.channels.service import ingest_message
    from sprawa.customers.models import IdentityKind
    from sprawa.workspaces.models import Workspace

    sealed = runtime.ingest.secrets.seal(
        {"app_secret": APP_SECRET, "access_token": "t", "page_access_token": "t"}
    )
    settings = {
        ChannelKind.WHATSAPP: {"phone_number_id": PHONE_ID},
        ChannelKind.MESSENGER: {"page_id": "PAGE1"},
        ChannelKind.INSTAGRAM: {"instagram_account_id": "IG1"},
    }
    with runtime.factory.begin() as session:
        workspace = Workspace(slug="chaos-webhooks", name="Webhook replay")
        session.add(workspace)
        session.flush()
        channels = {}
        for kind, data in settings.items():
            channel = Channel(
                workspace_id=workspace.id,
                kind=kind,
                name=str(kind),
                settings=parse_settings(kind, data, []),
                credentials_encrypted=sealed,
            )
            session.add(channel)
            channels[kind] = channel
        session.flush()
        wamids = []
        for i in range(targets):
            wa_id = f"48600{i:06d}"
            claim = IdentityClaim(IdentityKind.WHATSAPP, wa_id, verified=True)
            inbound = InboundMessage(f"wamid.seed{i}", wa_id, [claim], f"Dzień dobry {i}")
            first = ingest_message(session, runtime.ingest, channels[ChannelKind.WHATSAPP], inbound)
            assert first is not None
            wamid = f"wamid.out{i}"
            reply = Message(
                thread_id=first.thread_id,
                channel_id=first.channel_id,
                customer_id=first.customer_id,
                direction=Direction.OUTBOUND,
                author_kind=AuthorKind.AGENT,
                body_text="Odpowiedź",
                provider_message_id=wamid,
                delivery_status=DeliveryStatus.SENT,
                created_at=utcnow(),
            )
            add_message(session, session.get(Case, first.case_id), reply)
            wamids.append(wamid)
        for channel in channels.values():
            session.expunge(channel)
    return channels, wamids


@dataclass
class _Post:
    key: str
    url: str
    body: bytes
    good: bool
    message: bool = False


def _plan_posts(
    config: WebhookChaosConfig, rng: random.Random, channels: dict[ChannelKind, Channel], wamids: list[str]
) -> tuple[list[_Post], int, int, int]:
    base = "/api/v1/inbound/"
    distinct: list[_Post] = []
    for i in range(config.events):
        roll = rng.random()
        if roll < 0.6:
            wamid = f"wamid.replay{i}"
            payload = wa_text(PHONE_ID, f"48500{rng.randrange(400):06d}", f"Pytanie {i}", wamid=wamid)
            channel, key, message = channels[ChannelKind.WHATSAPP], f"msg:{wamid}", True
        elif roll < 0.8 and wamids:
            target = wamids[i % len(wamids)]
            status = "read" if rng.random() < 0.5 else "delivered"
            payload = wa_status(PHONE_ID, target, status, "48600000000")
            channel, key, message = channels[ChannelKind.WHATSAPP], f"status:{target}:{status}", False
        else:
            kind = ChannelKind.MESSENGER if rng.random() < 0.5 else ChannelKind.INSTAGRAM
            page = "PAGE1" if kind == ChannelKind.MESSENGER else "IG1"
            mid = f"m_replay{i}"
            payload = page_message(
                page,
                f"PSID{rng.randrange(300)}",
                f"Wiadomość {i}",
                mid=mid,
                obj="page" if kind == ChannelKind.MESSENGER else "instagram",
            )
            channel, key, message = channels[kind], f"mid:{mid}", True
        path = "whatsapp" if channel.kind == ChannelKind.WHATSAPP else "meta"
        body = json.dumps(payload).encode()
        distinct.append(_Post(key, f"{base}{path}/{channel.public_key}", body, True, message))
    # Every status target gets both "delivered" and "read" at least once, in random order.
    for target in wamids:
        for status in ("delivered", "read"):
            body = json.dumps(wa_status(PHONE_ID, target, status, "48600000000")).encode()
            distinct.append(
                _Post(
                    f"status:{target}:{status}",
                    f"{base}whatsapp/{channels[ChannelKind.WHATSAPP].public_key}",
                    body,
                    True,
                )
            )
    posts = list(distinct)
    duplicates = int(len(distinct) * config.duplicate_ratio)
    for post in rng.sample(distinct, duplicates):
        posts.insert(rng.randrange(len(posts) + 1), post)
    reordered = int(len(posts) * config.reorder_ratio)
    for _ in range(reordered // 2):
        a, b = rng.randrange(len(posts)), rng.randrange(len(posts))
        posts[a], posts[b] = posts[b], posts[a]
    bad = int(len(posts) * config.bad_signature_ratio)
    for i in range(bad):
        forged = json.dumps(
            wa_text(PHONE_ID, "48999999999", f"FORGED-{i}", wamid=f"wamid.forged{i}")
        ).encode()
        posts.insert(
            rng.randrange(len(posts) + 1),
            _Post(
                f"msg:wamid.forged{i}",
                f"{base}whatsapp/{channels[ChannelKind.WHATSAPP].public_key}",
                forged,
                False,
            ),
        )
    return posts, duplicates, reordered, bad


def run_webhook_replay(config: WebhookChaosConfig, runtime: Any, progress: Progress) -> WebhookReport:
    from sprawa.bench.report import percentile
    from sprawa.cases.models import DeliveryStatus, Direction, Message
    from sprawa.platform.inbound import InboundEvent

    seed = config.seed if config.seed is not None else secrets.randbelow(10**6)
    rng = random.Random(seed)
    report = WebhookReport(database=runtime.engine.dialect.name, seed=seed)
    started = time.monotonic()
    channels, wamids = _replay_fixture(runtime, targets=20)
    posts, report.duplicates, report.reordered, report.bad_signatures = _plan_posts(
        config, rng, channels, wamids
    )
    distinct = {p.key: p for p in posts if p.good}
    report.distinct, report.posts = len(distinct), len(posts)
    port = free_port()
    env = child_env(
        runtime.settings,
        port,
        ChaosConfig(worker_batch=20, lease_seconds=10, backoff_base=0.2, backoff_cap=3.0),
    )
    log_dir = Path(runtime.settings.data_dir)
    server = Proc("server", ["serve"], env, log_dir).start()
    killer: WorkerKiller | None = None
    live: Proc | None = None
    acked: set[str] = set()
    codes: Counter[int] = Counter()
    latencies: list[float] = []
    try:
        wait_for_server(server, f"http://127.0.0.1:{port}")
        if config.kill_every is not None:
            killer = WorkerKiller(
                lambda n: Proc(f"worker-{n:04d}", ["worker"], env, log_dir).start(),
                heartbeat_seen(runtime),
                config.kill_every,
                rng,
            )
            killer.start()
        elif config.live_worker:
            live = Proc("worker-live", ["worker"], env, log_dir).start()
        progress(f"replaying {len(posts)} posts at {config.rate:.0f}/s with {config.clients} clients")
        clients = [
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30.0) for _ in range(config.clients)
        ]
        begin = time.monotonic()

        def send(index: int) -> None:
            post = posts[index]
            delay = begin + index / config.rate - time.monotonic() if config.rate else 0
            if delay > 0:
                time.sleep(delay)
            secret = APP_SECRET if post.good else "not-the-app-secret"
            t0 = time.perf_counter()
            response = clients[index % len(clients)].post(
                post.url,
                content=post.body,
                headers={
                    "X-Hub-Signature-256": signature(secret, post.body),
                    "Content-Type": "application/json",
                },
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            codes[response.status_code] += 1
            if response.status_code == 200 and post.good:
                acked.add(post.key)

        with ThreadPoolExecutor(config.clients) as pool:
            list(pool.map(send, range(len(posts))))
        report.rate = len(posts) / (time.monotonic() - begin)
        for client in clients:
            client.close()
        if killer is not None:
            killer.stop()
            report.kills = killer.kills
        if live is not None:
            live.terminate()
        progress("final worker: finishing what is left")
        final = Proc("worker-final", ["worker"], env, log_dir).start()
        try:
            deadline = time.monotonic() + config.deadline_seconds
            while time.monotonic() < deadline:
                with runtime.factory() as session:
                    from sprawa.platform.jobs import Job

                    busy = session.scalar(
                        select(func.count())
                        .select_from(Job)
                        .where(Job.kind == "inbound.process", Job.status.in_(BUSY))
                    )
                if not busy:
                    break
                time.sleep(0.5)
        finally:
            final.terminate()
    finally:
        if killer is not None and killer.is_alive():
            killer.stop()
        if live is not None:
            live.terminate()
        server.terminate()
    ids = [c.id for c in channels.values()]
    with runtime.factory() as session:
        keys = set(session.scalars(select(InboundEvent.provider_key).where(InboundEvent.channel_id.in_(ids))))
        report.stored_events = len(keys)
        report.messages = (
            session.scalar(
                select(func.count())
                .select_from(Message)
                .where(
                    Message.channel_id.in_(ids),
                    Message.direction == Direction.INBOUND,
                    Message.provider_message_id.like("%replay%"),
                )
            )
            or 0
        )
        report.statuses_final_read = (
            session.scalar(
                select(func.count())
                .select_from(Message)
                .where(
                    Message.provider_message_id.in_(wamids), Message.delivery_status == DeliveryStatus.READ
                )
            )
            or 0
        )
    report.status_targets = len(wamids)
    report.expected_messages = sum(1 for p in distinct.values() if p.message)
    report.acknowledged = sum(v for k, v in codes.items() if k == 200)
    report.rejected = codes.get(401, 0)
    report.lost = len(acked - keys)
    report.bad_stored = sum(1 for p in posts if not p.good and p.key in keys)
    ordered = sorted(latencies)
    report.ack_p50_ms, report.ack_p99_ms = percentile(ordered, 0.5), percentile(ordered, 0.99)
    report.elapsed = time.monotonic() - started
    fail = report.failures.append
    if report.lost:
        fail(f"{report.lost} acknowledged events lost")
    if set(distinct) - keys:
        fail(f"{len(set(distinct) - keys)} distinct events never stored")
    if report.messages != report.expected_messages:
        fail(f"{report.messages} messages for {report.expected_messages} distinct message events")
    if report.rejected != report.bad_signatures or report.bad_stored:
        fail("bad signatures were not all rejected")
    if report.statuses_final_read != report.status_targets:
        fail("a status moved backwards or was lost")
    if set(codes) - {200, 401}:
        fail(f"unexpected answers: {dict(codes)}")
    return report


def cmd_chaos_webhooks(settings: Any, args: argparse.Namespace) -> None:
    config = WebhookChaosConfig(events=args.events, rate=args.rate, seed=args.seed)
    report = _with_scratch_runtime(
        args, lambda runtime: run_webhook_replay(config, runtime, lambda line: print(line, flush=True))
    )
    print("\n".join(report.lines()), flush=True)
    if report.failures:
        raise SystemExit(1)


def _with_scratch_runtime(args: argparse.Namespace, run: Callable[[Any], Any]) -> Any:
    from sprawa.config import Settings
    from sprawa.platform.migrations import upgrade
    from sprawa.runtime import Runtime

    with scratch_database(args.database_url, args.keep, print) as (url, data_dir):
        logging.getLogger("alembic").setLevel(logging.WARNING)
        upgrade(url)
        run_settings = Settings(
            database_url=url,
            data_dir=data_dir,
            secret_key=secrets.token_urlsafe(32),
            outbound_allow=["127.0.0.1"],
            _env_file=None,
        )  # type: ignore[call-arg]
        runtime = Runtime.build(run_settings)
        try:
            return run(runtime)
        finally:
            runtime.close()
