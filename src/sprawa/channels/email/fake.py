"""A small IMAP4rev1 server on 127.0.0.1 for tests, the chaos run and the demo.

It speaks the real protocol over a socket (greeting, CAPABILITY, LOGIN, SELECT/EXAMINE with UIDVALIDITY,
UID SEARCH, UID FETCH with literals, UID STORE, EXPUNGE, IDLE, NOOP, LOGOUT), so the poller is exercised
through ``imaplib`` exactly as against Dovecot. IDLE follows RFC 2177: ``+ idling``, an untagged
``* N EXISTS`` whenever the mailbox grows, until the client sends ``DONE`` (``idle=False`` leaves IDLE out
of CAPABILITY, as a server without it). Faults for the chaos run: ``drop_rate``/``drop_every`` close the
connection abruptly before answering a command; ``drop_connections`` cuts every open session (an idling
one too); ``bump_uidvalidity`` renumbers the mailbox.
Only what a poller needs is implemented; anything else answers ``BAD``.
"""

import contextlib
import random
import re
import select
import socket
import socketserver
import threading
from collections import Counter
from dataclasses import dataclass, field

_SEQ_RANGE = re.compile(r"^(\d+|\*)(?::(\d+|\*))?$")


@dataclass
class StoredMail:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class FakeMailbox:
    """One folder (INBOX) whose mails the test or the chaos run adds while the server runs."""

    def __init__(self, user: str = "sklep@example.pl", password: str = "haslo", uidvalidity: int = 1) -> None:  # noqa: S107
        self.user = user
        self.password = password
        self.uidvalidity = uidvalidity
        self.mails: list[StoredMail] = []
        self.next_uid = 1
        self.fetches: Counter[int] = Counter()
        self.lock = threading.Lock()

    def append(self, raw: bytes) -> int:
        with self.lock:
            uid = self.next_uid
            self.next_uid += 1
            self.mails.append(StoredMail(uid, raw))
            return uid

    def bump_uidvalidity(self) -> None:
        """What a server does after its index was rebuilt: new UIDVALIDITY, every mail a new UID."""
        with self.lock:
            self.uidvalidity += 1
            for mail in self.mails:
                mail.uid = self.next_uid
                self.next_uid += 1

    def flagged(self) -> int:
        with self.lock:
            return sum(1 for m in self.mails if m.flags)

    def _select(self, spec: str) -> list[StoredMail]:
        if not self.mails:
            return []
        highest = self.mails[-1].uid
        chosen: list[StoredMail] = []
        for piece in spec.split(","):
            found = _SEQ_RANGE.match(piece.strip())
            if not found:
                raise ValueError(piece)
            lo = highest if found.group(1) == "*" else int(found.group(1))
            hi_raw = found.group(2) or found.group(1)
            hi = highest if hi_raw == "*" else int(hi_raw)
            lo, hi = min(lo, hi), max(lo, hi)
            chosen += [m for m in self.mails if lo <= m.uid <= hi and m not in chosen]
        return chosen


class _Handler(socketserver.StreamRequestHandler):
    server: "FakeImapServer"

    def send(self, line: str | bytes) -> None:
        self.wfile.write(line if isinstance(line, bytes) else line.encode())

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        super().finish()

    def handle(self) -> None:
        box = self.server.mailbox
        selected = False
        self.send(f"* OK [CAPABILITY {self.server.capabilities}] Sprawa fake IMAP ready\r\n")
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            if self.server.should_drop():
                return  # the connection just dies, mid-session
            parts = line.decode("utf-8", "replace").rstrip("\r\n").split(" ", 2)
            if len(parts) < 2:
                self.send("* BAD missing command\r\n")
                continue
            tag, command = parts[0], parts[1].upper()
            args = parts[2] if len(parts) > 2 else ""
            if command == "CAPABILITY":
                self.send(f"* CAPABILITY {self.server.capabilities}\r\n{tag} OK CAPABILITY completed\r\n")
            elif command == "LOGIN":
                user, _, password = args.partition(" ")
                if user.strip('"') == box.user and password.strip('"') == box.password:
                    self.send(f"{tag} OK LOGIN completed\r\n")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n")
            elif command in ("SELECT", "EXAMINE"):
                if args.strip('"').upper() != "INBOX":
                    self.send(f"{tag} NO [NONEXISTENT] Mailbox doesn't exist\r\n")
                    continue
                selected = True
                with box.lock:
                    count, uidnext = len(box.mails), box.next_uid
                mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
                self.send(
                    f"* FLAGS (\\Seen \\Deleted)\r\n* {count} EXISTS\r\n* 0 RECENT\r\n"
                    f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid\r\n* OK [UIDNEXT {uidnext}] next\r\n"
                    f"{tag} OK [{mode}] {command} completed\r\n"
                )
            elif command == "UID" and selected:
                self._uid(tag, args)
            elif command == "EXPUNGE" and selected:
                with box.lock:
                    box.mails = [m for m in box.mails if "\\Deleted" not in m.flags]
                self.send(f"{tag} OK EXPUNGE completed\r\n")
            elif command == "IDLE" and self.server.idle:
                if not self._idle(tag):
                    return
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed\r\n")
            elif command == "LOGOUT":
                self.send(f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n")
                return
            else:
                self.send(f"{tag} BAD unsupported command\r\n")

    def _idle(self, tag: str) -> bool:
        """RFC 2177: report each growth of the mailbox as ``* N EXISTS`` until the client says DONE."""
        box = self.server.mailbox
        with box.lock:
            known = len(box.mails)
        self.server.idles += 1
        self.send("+ idling\r\n")
        while True:
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable:
                line = self.rfile.readline(100)
                if not line:
                    return False
                if line.strip().upper() == b"DONE":
                    self.send(f"{tag} OK IDLE terminated\r\n")
                    return True
                self.send(f"{tag} BAD expected DONE\r\n")
                return True
            with box.lock:
                count = len(box.mails)
            if count != known:
                known = count
                self.send(f"* {count} EXISTS\r\n")

    def _uid(self, tag: str, args: str) -> None:
        box = self.server.mailbox
        sub, _, rest = args.partition(" ")
        sub = sub.upper()
        try:
            if sub == "SEARCH":
                spec = rest.upper().removeprefix("UID ").strip()
                with box.lock:
                    found = box.mails if spec in ("ALL", "") else box._select(spec)
                    uids = " ".join(str(m.uid) for m in found)
                self.send(
                    f"* SEARCH {uids}\r\n{tag} OK SEARCH completed\r\n".replace("SEARCH \r", "SEARCH\r")
                )
            elif sub == "FETCH":
                spec, _, items = rest.partition(" ")
                with box.lock:
                    chosen = [(box.mails.index(m) + 1, m) for m in box._select(spec)]
                for seq, mail in chosen:
                    self.send(self._fetch_line(seq, mail, items.upper()))
                self.send(f"{tag} OK FETCH completed\r\n")
            elif sub == "STORE":
                spec, _, change = rest.partition(" ")
                flags = set(re.findall(r"\\\w+", change))
                with box.lock:
                    for mail in box._select(spec):
                        mail.flags |= flags
                self.send(f"{tag} OK STORE completed\r\n")
            else:
                self.send(f"{tag} BAD unsupported UID command\r\n")
        except ValueError:
            self.send(f"{tag} BAD invalid sequence set\r\n")

    def _fetch_line(self, seq: int, mail: StoredMail, items: str) -> bytes:
        fields = [f"UID {mail.uid}"]
        body = b""
        if "RFC822.SIZE" in items:
            fields.append(f"RFC822.SIZE {len(mail.raw)}")
        if "FLAGS" in items:
            fields.append(f"FLAGS ({' '.join(sorted(mail.flags))})")
        if "BODY.PEEK[HEADER]" in items or "BODY[HEADER]" in items:
            end = mail.raw.find(b"\r\n\r\n")
            body = mail.raw[: end + 4] if end >= 0 else mail.raw
            fields.append(f"BODY[HEADER] {{{len(body)}}}")
        elif "BODY.PEEK[]" in items or "BODY[]" in items or "RFC822" in items.replace("RFC822.SIZE", ""):
            body = mail.raw
            self.server.mailbox.fetches[mail.uid] += 1
            fields.append(f"BODY[] {{{len(body)}}}")
        head = f"* {seq} FETCH ({' '.join(fields)}".encode()
        if body:
            return head + b"\r\n" + body + b")\r\n"
        return head + b")\r\n"


class FakeImapServer(socketserver.ThreadingTCPServer):
    """``with FakeImapServer(mailbox) as server:`` serves on ``server.port`` until the block ends."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        mailbox: FakeMailbox,
        *,
        drop_rate: float = 0.0,
        drop_every: int = 0,
        port: int = 0,
        idle: bool = True,
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.mailbox = mailbox
        self.idle = idle
        self.capabilities = "IMAP4rev1 IDLE UIDPLUS" if idle else "IMAP4rev1 UIDPLUS"
        self.idles = 0  # IDLE commands accepted
        self.open: set[socket.socket] = set()
        self.drop_rate = drop_rate
        self.drop_every = drop_every
        self.commands = 0
        self.drops = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def should_drop(self) -> bool:
        """Fault injection: every ``drop_every``-th command, or at random with ``drop_rate``."""
        with self._lock:
            self.commands += 1
            drop = bool(self.drop_every and self.commands % self.drop_every == 0) or (
                self.drop_rate > 0 and random.random() < self.drop_rate
            )
            self.drops += drop
            return drop

    def track(self, conn: socket.socket, is_open: bool) -> None:
        with self._lock:
            (self.open.add if is_open else self.open.discard)(conn)

    def drop_connections(self) -> int:
        """Cut every open session at once (a server restart, a NAT timeout); returns how many."""
        with self._lock:
            victims = list(self.open)
        for conn in victims:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        return len(victims)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that vanished mid-command (a SIGKILLed worker) is normal here, not an error."""

    def start(self) -> "FakeImapServer":
        self._thread = threading.Thread(target=self.serve_forever, name="fake-imap", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> "FakeImapServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
