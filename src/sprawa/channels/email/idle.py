"""IMAP IDLE (RFC 2177) as a wake-up for the poller: new mail is fetched in a second, not a poll interval.

A worker holds one IDLE connection per active e-mail channel whose server advertises ``IDLE``. When the
server reports ``* N EXISTS`` the watcher queues an immediate poll; the poll job (cursor = UIDVALIDITY +
last UID) still decides what is new, so a lost, doubled or spurious wake-up changes nothing but timing.
IDLE is re-issued before the 29 minutes after which servers may drop an idle client; a dropped connection
is reopened with exponential back-off and followed by a poll (mail may have come while it was down).
A server without IDLE keeps the interval polling only. Several workers each hold their own connection:
harmless, since polls are idempotent and follow-up polls share the slot's job key.
"""

import hashlib
import imaplib
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.channels.actions.polling import schedule_poll
from sprawa.channels.email.service import TIMEOUT_SECONDS, EmailAdapter, _close, _quoted
from sprawa.channels.errors import ConnectionProblem
from sprawa.channels.models import Channel, ChannelKind
from sprawa.platform.crypto import SecretBox
from sprawa.platform.ids import new_id

log = logging.getLogger(__name__)
REIDLE_SECONDS = 25 * 60  # RFC 2177: servers may log out a client idle for 30 minutes
REFRESH_SECONDS = 30.0  # how often the channel list is re-read (new, switched off or edited channels)
BACKOFF_MAX_SECONDS = 300.0
_EXISTS = re.compile(rb"^\* \d+ EXISTS", re.IGNORECASE)


class IdleUnsupported(Exception):
    """The server does not advertise IDLE (or refused it): interval polling only."""


class _Lines:
    """Lines read straight from the socket with a timeout (imaplib's buffered file cannot time out and
    go on reading); used only while idling, when imaplib has nothing buffered."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def next(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(4096)
            except TimeoutError:
                return None
            if not chunk:
                raise ConnectionResetError("the IMAP server closed the connection")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line


def idle_once(
    conn: imaplib.IMAP4, seconds: float, stopped: Callable[[], bool], wake: Callable[[], None]
) -> None:
    """One IDLE command: wake() on every EXISTS until ``seconds`` pass or ``stopped()``, then DONE."""
    lines = _Lines(conn.socket())
    tag = f"IDLE{new_id()[:6]}"
    conn.send(f"{tag} IDLE\r\n".encode())
    first = lines.next(TIMEOUT_SECONDS)
    if first is None:
        raise TimeoutError("no answer to IDLE")
    if not first.startswith(b"+"):
        raise IdleUnsupported(first.decode("utf-8", "replace")[:200])
    deadline = time.monotonic() + seconds
    while not stopped() and time.monotonic() < deadline:
        line = lines.next(min(1.0, max(deadline - time.monotonic(), 0.01)))
        if line is None:
            continue
        if _EXISTS.match(line):
            wake()
        elif line.upper().startswith(b"* BYE"):
            raise ConnectionResetError("the IMAP server said BYE")
    conn.send(b"DONE\r\n")
    while True:
        line = lines.next(TIMEOUT_SECONDS)
        if line is None:
            raise TimeoutError("no answer to DONE")
        if line.startswith(tag.encode()):
            conn.socket().settimeout(TIMEOUT_SECONDS)
            return


class IdleWatcher:
    """Keeps an IDLE connection per active e-mail channel; ``run`` until ``stop`` is set."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        secrets: SecretBox,
        adapter: EmailAdapter,
        stop: threading.Event,
        *,
        reidle_seconds: float = REIDLE_SECONDS,
        refresh_seconds: float = REFRESH_SECONDS,
        backoff_first: float = 1.0,
    ) -> None:
        self.factory = factory
        self.secrets = secrets
        self.adapter = adapter
        self.stop = stop
        self.reidle_seconds = reidle_seconds
        self.refresh_seconds = refresh_seconds
        self.backoff_first = backoff_first
        # channel id -> (fingerprint of settings and credentials, the watch's own stop event, its thread);
        # a watch that ended because the server has no IDLE stays listed so it is not restarted.
        self.watching: dict[str, tuple[str, threading.Event, threading.Thread]] = {}

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="imap-idle", daemon=True)
        thread.start()
        return thread

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.refresh()
            except Exception:  # the database went away: the next round tries again
                log.exception("imap idle: cannot read the channels")
            self.stop.wait(self.refresh_seconds)
        for _, own, _ in self.watching.values():
            own.set()

    def refresh(self) -> None:
        """Start a watch for each new or edited channel; end those switched off, deleted or edited."""
        with self.factory() as session:
            channels = session.scalars(
                select(Channel).where(Channel.kind == ChannelKind.EMAIL, Channel.active.is_(True))
            ).all()
            session.expunge_all()
        current = {c.id: (c, _fingerprint(c)) for c in channels}
        for channel_id, (fingerprint, own, _thread) in list(self.watching.items()):
            if current.get(channel_id, (None, ""))[1] != fingerprint:
                own.set()
                del self.watching[channel_id]
        for channel_id, (channel, fingerprint) in current.items():
            if channel_id not in self.watching:
                own = threading.Event()
                thread = threading.Thread(
                    target=self.watch, args=(channel, own), name=f"imap-idle-{channel_id[:8]}", daemon=True
                )
                self.watching[channel_id] = (fingerprint, own, thread)
                thread.start()

    def watch(self, channel: Channel, own: threading.Event) -> None:
        """Idle on one channel's folder, reconnecting with back-off, until stopped or IDLE is absent."""

        def stopped() -> bool:
            return self.stop.is_set() or own.is_set()

        settings = channel.settings or {}
        backoff = self.backoff_first
        reconnected = False
        while not stopped():
            conn: imaplib.IMAP4 | None = None
            try:
                conn = self.adapter.open_imap(settings, self.secrets.open(channel.credentials_encrypted))
                if "IDLE" not in conn.capabilities:
                    raise IdleUnsupported("no IDLE capability")
                typ, _ = conn.select(_quoted(settings.get("imap_folder", "INBOX")), readonly=True)
                if typ != "OK":
                    raise ConnectionProblem("folder missing", "the IMAP folder cannot be opened")
                if reconnected:
                    self.wake(channel)  # whatever came while the connection was down
                while not stopped():
                    idle_once(conn, self.reidle_seconds, stopped, lambda: self.wake(channel))
                    backoff = self.backoff_first
            except IdleUnsupported as exc:
                log.info("imap idle not available: interval polling", extra={"channel_id": channel.id})
                log.debug("imap idle refused: %s", exc)
                return
            except Exception as exc:  # a lost connection mostly (OSError, IMAP4.abort): keep watching
                log.warning(
                    "imap idle connection lost",
                    extra={"channel_id": channel.id, "error": type(exc).__name__, "retry_in": backoff},
                )
                reconnected = True
                own.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)
            finally:
                if conn is not None:
                    _close(conn)

    def wake(self, channel: Channel) -> None:
        """Queue a poll now; if the database is busy or away, the interval poll still comes."""
        try:
            with self.factory.begin() as session:
                schedule_poll(session, channel, soon=True, after=f"idle:{new_id()}")
        except Exception:
            log.exception("imap idle: could not queue the poll", extra={"channel_id": channel.id})


def _fingerprint(channel: Channel) -> str:
    data: Any = (sorted((channel.settings or {}).items()), channel.credentials_encrypted)
    return hashlib.sha256(repr(data).encode()).hexdigest()


def watch_mailboxes(
    factory: sessionmaker[Session],
    secrets: SecretBox,
    adapters: dict[ChannelKind, Any],
    stop: threading.Event,
) -> IdleWatcher | None:
    """Start the worker's IDLE watcher (a daemon thread ending with ``stop``); None without e-mail."""
    adapter = adapters.get(ChannelKind.EMAIL)
    if not isinstance(adapter, EmailAdapter):
        return None
    watcher = IdleWatcher(factory, secrets, adapter, stop)
    watcher.start()
    return watcher
