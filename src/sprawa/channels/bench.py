"""``sprawa bench ingest``: e-mails per second through the whole ingest path, and webhook ack latency.

Mails: N generated mails (plain, HTML, quoted replies, attachments, 5 % robots) are stored as the poller
stores them (one transaction per mail, the cursor with it), then the worker's ingest job parses,
sanitises and stores them as customers, cases and messages (search index included on PostgreSQL).
Webhooks: a real ``sprawa serve`` process takes signed WhatsApp/Messenger/Instagram deliveries from 8
clients at a set rate (``--webhook-rate``, 0: as fast as it answers) while a real ``sprawa worker``
normalises them, as in production; the time to the 200 (after the commit) is the ack latency.
"""

import argparse
import random
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import func, select

from sprawa.channels.chaos import WebhookChaosConfig, _with_scratch_runtime, run_webhook_replay
from sprawa.channels.email.service import store_mail
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.schemas import parse_settings
from sprawa.db import utcnow

QUOTE = (
    "\n\nW dniu pon., 23 lis 2026 o 10:00 Sklep <sklep@bench.example> napisał(a):\n"
    "> Dzień dobry,\n> dziękujemy."
)


def _mail(i: int, rng: random.Random) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Klient {i % 500} <klient{i % 500}@example.pl>"
    msg["To"] = "sklep@bench.example"
    msg["Subject"] = f"Zamówienie {100000 + rng.randrange(9000)}"
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain="example.pl")
    if i % 20 == 0:
        msg["Auto-Submitted"] = "auto-generated"
    text = "Dzień dobry,\nczy moja paczka została już wysłana? Zależy mi na czasie.\n\nPozdrawiam" + (
        QUOTE if i % 3 == 0 else ""
    )
    msg.set_content(text)
    if i % 2 == 0:
        msg.add_alternative(
            f"<div><p>{text.replace(chr(10), '<br>')}</p><script>x()</script></div>", subtype="html"
        )
    if i % 10 == 0:
        msg.add_attachment(
            rng.randbytes(20_000), maintype="application", subtype="pdf", filename="faktura.pdf"
        )
    return msg.as_bytes()


def channel_worker(runtime: Any) -> Any:
    """A worker running only the channel jobs (ingest, delivery, polling): other features' jobs (AI
    answers...) would measure something else."""
    from functools import partial

    from sprawa.channels.actions.polling import POLL_JOB, poll_given_up, run_poll_job
    from sprawa.channels.service import ingest_inbound_job, mark_delivery_dead, run_delivery_job
    from sprawa.platform.inbound import mark_inbound_failed
    from sprawa.platform.jobs import Worker

    ingest = runtime.ingest
    return Worker(
        factory=runtime.factory,
        handlers={
            "outbox.deliver": partial(run_delivery_job, ingest),
            POLL_JOB: partial(run_poll_job, ingest.secrets, ingest.adapters),
        },
        tx_handlers={"inbound.process": partial(ingest_inbound_job, ingest)},
        dead_handlers={
            "outbox.deliver": mark_delivery_dead,
            "inbound.process": mark_inbound_failed,
            POLL_JOB: poll_given_up,
        },
        batch=50,
    )


def bench_mail_ingest(runtime: Any, mails: int, out: Any = print) -> dict[str, float]:
    """Store ``mails`` as the poller does, then ingest them with the worker; rates per second."""
    from sprawa.cases.models import Message
    from sprawa.workspaces.models import Workspace

    rng = random.Random(7)
    raws = [_mail(i, rng) for i in range(mails)]
    with runtime.factory.begin() as session:
        workspace = Workspace(slug="bench-ingest", name="Bench ingest")
        session.add(workspace)
        session.flush()
        settings = {
            "address": "sklep@bench.example",
            "imap_host": "imap.bench.invalid",
            "smtp_host": "smtp.bench.invalid",
        }
        channel = Channel(
            workspace_id=workspace.id,
            kind=ChannelKind.EMAIL,
            name="Bench",
            settings=parse_settings(ChannelKind.EMAIL, settings, []),
        )
        session.add(channel)
        session.flush()
        session.expunge(channel)
    started, cpu_started = time.perf_counter(), time.process_time()
    for uid, raw in enumerate(raws, start=1):
        with runtime.factory.begin() as session:
            store_mail(session, channel, "imap:INBOX", 1, uid, raw)
    stored, cpu_stored = time.perf_counter(), time.process_time()
    worker = channel_worker(runtime)
    while worker.run_once():
        pass
    done, cpu_done = time.perf_counter(), time.process_time()
    with runtime.factory() as session:
        count = (
            session.scalar(select(func.count()).select_from(Message).where(Message.channel_id == channel.id))
            or 0
        )
    figures = {
        "mails": float(mails),
        "messages": float(count),
        "store_per_s": mails / (stored - started),
        "ingest_per_s": mails / (done - stored),
        "total_per_s": mails / (done - started),
        "store_cpu_ms": (cpu_stored - cpu_started) * 1000 / mails,
        "ingest_cpu_ms": (cpu_done - cpu_stored) * 1000 / mails,
    }
    out(
        f"E-mail ingest ({runtime.engine.dialect.name}): {mails} mails, {count} messages; "
        f"store {figures['store_per_s']:.0f}/s, parse+sanitise+store+index {figures['ingest_per_s']:.0f}/s, "
        f"end to end {figures['total_per_s']:.0f} mails/s (this process's CPU per mail: store "
        f"{figures['store_cpu_ms']:.1f} ms, ingest {figures['ingest_cpu_ms']:.1f} ms)"
    )
    return figures


def cmd_bench_ingest(settings: Any, args: argparse.Namespace) -> None:
    _with_scratch_runtime(args, lambda runtime: bench_mail_ingest(runtime, args.mails))
    config = WebhookChaosConfig(
        events=args.webhooks,
        rate=args.webhook_rate,
        duplicate_ratio=0.0,
        reorder_ratio=0.0,
        bad_signature_ratio=0.0,
        clients=8,
        kill_every=None,
        live_worker=True,
    )
    report = _with_scratch_runtime(args, lambda runtime: run_webhook_replay(config, runtime, print))
    print(
        f"Webhook ack ({report.database}): {report.posts} signed deliveries from 8 clients "
        f"(offered {args.webhook_rate:.0f}/s, 0 = as fast as answered; a worker normalising meanwhile), "
        f"{report.rate:.0f}/s, p50 {report.ack_p50_ms:.1f} ms, p99 {report.ack_p99_ms:.1f} ms "
        f"({'all stored once' if not report.failures else 'FAIL: ' + '; '.join(report.failures)})"
    )


def add_bench_ingest(kinds: Any) -> None:
    ingest = kinds.add_parser("ingest", help="e-mails/s through ingest, and webhook ack p50/p99")
    ingest.add_argument("--mails", type=int, default=2000, help="mails to ingest (default 2000)")
    ingest.add_argument("--webhooks", type=int, default=2000, help="webhook deliveries (default 2000)")
    ingest.add_argument(
        "--webhook-rate", type=float, default=200.0, help="offered deliveries per second (0: flat out)"
    )
    ingest.add_argument(
        "--database-url", default="", help="PostgreSQL server (a scratch database); default SQLite"
    )
    ingest.add_argument("--keep", action="store_true")
    ingest.set_defaults(handler=cmd_bench_ingest)
