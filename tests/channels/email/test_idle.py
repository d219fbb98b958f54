"""IMAP IDLE against the fake server: a new mail is stored within seconds, not a poll interval later;
IDLE is re-issued, a dropped connection comes back, and a server without IDLE leaves polling alone."""

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from sprawa.cases.models import Message
from sprawa.channels.actions.polling import POLL_JOB
from sprawa.channels.email.fake import FakeImapServer, FakeMailbox
from sprawa.channels.email.idle import IdleWatcher
from sprawa.channels.models import ChannelKind
from sprawa.platform.jobs import Job
from tests.channels.email.conftest import SHOP, email_settings, mail
from tests.channels.helpers import channel_worker
from tests.factories import make_channel


@pytest.fixture
def background(runtime) -> Iterator[threading.Event]:  # type: ignore[no-untyped-def]
    """A worker with the channel jobs running in a thread, as ``sprawa worker`` would."""
    stop = threading.Event()
    worker = channel_worker(runtime)

    def loop() -> None:
        while not stop.is_set():
            if worker.run_once() == 0:
                stop.wait(0.05)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield stop
    stop.set()
    thread.join(5)


def _watcher(runtime, stop: threading.Event, **options: float) -> IdleWatcher:  # type: ignore[no-untyped-def]
    watcher = IdleWatcher(
        runtime.factory,
        runtime.ingest.secrets,
        runtime.ingest.adapters[ChannelKind.EMAIL],
        stop,
        refresh_seconds=0.2,
        backoff_first=0.2,
        **options,
    )
    watcher.start()
    return watcher


def _wait(check, seconds: float) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


def _stored(runtime, text: str) -> bool:  # type: ignore[no-untyped-def]
    with runtime.factory() as session:
        return session.scalar(select(Message.id).where(Message.body_text == text)) is not None


def _slow_channel(db, runtime, workspace, server: FakeImapServer):  # type: ignore[no-untyped-def]
    """An e-mail channel polled once an hour: only IDLE can bring a mail in quickly."""
    channel = make_channel(
        db,
        workspace,
        ChannelKind.EMAIL,
        settings=email_settings(server.port, 1, poll_seconds=3600),
        credentials_encrypted=runtime.ingest.secrets.seal({"username": SHOP, "password": "tajne-haslo"}),
    )
    db.commit()
    return channel


def test_new_mail_is_ingested_at_once_and_after_a_dropped_connection(
    db, runtime, workspace, mailbox, imap, background
):
    _slow_channel(db, runtime, workspace, imap)
    stop = threading.Event()
    try:
        _watcher(runtime, stop)
        _wait(lambda: imap.idles >= 1, 5)
        mailbox.append(mail("anna@example.pl", "Czy paczka już wyszła?"))
        assert _wait(lambda: _stored(runtime, "Czy paczka już wyszła?"), 2.5) < 2.5

        assert imap.drop_connections() == 1  # the server cuts the idling session
        mailbox.append(mail("piotr@example.pl", "Przyszło, gdy połączenie leżało"))
        _wait(lambda: _stored(runtime, "Przyszło, gdy połączenie leżało"), 5)
        _wait(lambda: imap.idles >= 2, 5)  # idling again on a new connection
        mailbox.append(mail("ewa@example.pl", "A to już po powrocie"))
        _wait(lambda: _stored(runtime, "A to już po powrocie"), 2.5)
    finally:
        stop.set()
    with runtime.factory() as session:
        assert len(session.scalars(select(Message)).all()) == 3  # each mail once


def test_idle_is_reissued_on_the_same_connection(db, runtime, workspace, mailbox, imap, background):
    _slow_channel(db, runtime, workspace, imap)
    stop = threading.Event()
    try:
        _watcher(runtime, stop, reidle_seconds=0.3)
        _wait(lambda: imap.idles >= 3, 5)
        assert len(imap.open) == 1  # DONE and IDLE again, not a new login
        mailbox.append(mail("anna@example.pl", "Między kolejnymi IDLE"))
        _wait(lambda: _stored(runtime, "Między kolejnymi IDLE"), 2.5)
    finally:
        stop.set()


def test_a_server_without_idle_is_left_to_interval_polling(db, runtime, workspace):
    box = FakeMailbox(user=SHOP, password="tajne-haslo")
    stop = threading.Event()
    with FakeImapServer(box, idle=False) as server:
        channel = _slow_channel(db, runtime, workspace, server)
        try:
            watcher = _watcher(runtime, stop)
            _wait(lambda: channel.id in watcher.watching, 5)
            _wait(lambda: not watcher.watching[channel.id][2].is_alive(), 5)
            box.append(mail("anna@example.pl", "Bez IDLE"))
            time.sleep(0.5)
            assert channel.id in watcher.watching  # ended for good, not restarted every refresh
            assert server.idles == 0
            assert db.scalars(select(Job).where(Job.kind == POLL_JOB)).all() == []
        finally:
            stop.set()
