"""A local SMTP server (aiosmtpd) that keeps every mail it accepts, for counting at the receiving end."""

import email
import socket
import threading
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class _Sink:
    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options):  # noqa: N802
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        mail = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.mails.append(mail)  # type: ignore[arg-type]
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """``with SmtpSink() as sink:`` accepts mail on 127.0.0.1:``sink.port``; ``sink.mails`` is what came."""

    def __init__(self) -> None:
        self.handler = _Sink()
        self.port = _free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def mails(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.mails)

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        self.handler.refuse[address.lower()] = reply

    def __enter__(self) -> "SmtpSink":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
