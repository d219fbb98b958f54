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

Both need a source checkout for the SMTP sink (``tests/fakes``), like ``sprawa chaos``.
"""

import argparse
import logging
import random
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sprawa.channels.actions.polling import POLL_JOB, schedule_poll
from sprawa.channels.email.fake import FakeImapServer, FakeMailbox
from sprawa.channels.email.parse import dedupe_key, normalise_msgid
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
)
from sprawa.chaos import wait_for_server as wait_for_server
from sprawa.db import utcnow

Progress = Callable[[str], None]
SHOP = "sklep@chaos.example"
PASSWORD = "chaos-imap-password"  # noqa: S105 - a throwaway scratch mailbox


def _smtp_sink_class() -> Any:
    root = Path(__file__).resolve().parents[3]
    if not (root / "tests" / "fakes" / "smtp_sink.py").exists():
        raise SystemExit("this command needs a source checkout (it uses the SMTP sink in tests/fakes)")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from tests.fakes.smtp_sink import SmtpSink

    return SmtpSink


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
                select(func.count())
                .select_from(Job)
                .where(Job.kind != POLL_JOB, Job.status.in_([JobStatus.PENDING, JobStatus.RUNNING]))
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
    from sprawa.platform.jobs import Job, JobStatus

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
                select(func.count())
                .select_from(Job)
                .where(Job.kind != POLL_JOB, Job.status.in_([JobStatus.PENDING, JobStatus.RUNNING]))
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

    sink_class = _smtp_sink_class()
    config = EmailChaosConfig(
        mails=args.mails,
        poison=args.poison,
        kill_every=(args.kill_min, args.kill_max),
        outage_seconds=args.outage,
        seed=args.seed,
    )
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
            with sink_class() as sink:
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
