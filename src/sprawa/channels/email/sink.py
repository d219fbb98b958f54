"""A local SMTP server (aiosmtpd) that keeps what it accepts: the demo's outgoing mail goes here.

Nothing leaves the machine; the last ``KEEP`` mails are kept in memory for the demo's mail page and each
one is logged (without addresses or text: logs carry no personal data) so a newcomer sees it "sent".
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
    def __init__(self) -> None:
        self.mails: deque[EmailMessage] = deque(maxlen=KEEP)
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        mail = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        with self.lock:
            self.mails.append(mail)
            kept = len(self.mails)
        log.info("demo mail accepted by the local SMTP sink (see /demo/poczta)", extra={"kept": kept})
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """``SmtpSink().start()`` accepts mail on 127.0.0.1:``port``; ``mails()`` is what came, oldest first."""

    def __init__(self) -> None:
        # aiosmtpd logs every SMTP command (addresses included) at INFO: keep personal data out of logs.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.handler = _Handler()
        self.port = _free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def mails(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.mails)

    def start(self) -> "SmtpSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
