"""A local SMTP server (aiosmtpd) that keeps what it accepts: the demo's outgoing mail goes here, and the
tests and chaos runs count mail at the receiving end with it.

Nothing leaves the machine; the last ``keep`` mails are kept in memory and each one is logged (without
addresses or text: logs carry no personal data). ``refuse`` makes it answer a recipient with an SMTP error.
"""

import email
import logging
import socket
import threading
from collections import deque
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)
KEEP = 200


class _Handler:
    def __init__(self, keep: int | None) -> None:
        self.mails: deque[EmailMessage] = deque(maxlen=keep)
        self.refuse: dict[str, str] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        mail = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        with self.lock:
            self.mails.append(mail)
            kept = len(self.mails)
        log.info("mail accepted by the local SMTP sink", extra={"kept": kept})
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """``SmtpSink().start()`` (or ``with SmtpSink() as sink:``) accepts mail on 127.0.0.1:``port``;
    ``mails`` is what came, oldest first (the last ``keep``; all of them with ``keep=None``)."""

    def __init__(self, keep: int | None = KEEP) -> None:
        # aiosmtpd logs every SMTP command (addresses included) at INFO: keep personal data out of logs.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.handler = _Handler(keep)
        self.port = _free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def mails(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.mails)

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        self.handler.refuse[address.lower()] = reply

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
