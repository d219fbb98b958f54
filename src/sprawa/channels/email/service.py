"""The e-mail channel: IMAP polling in, SMTP out through the outbox.

Polling: the cursor is (UIDVALIDITY, last UID) of the folder and is committed in the same transaction
as each stored mail, so a poller killed at any moment resumes after the last mail it stored. The event's
provider key is the Message-ID plus a hash of the content (see ``parse.dedupe_key``): a mail met again
(a new UIDVALIDITY, a copy in the folder, a re-run after a crash) is stored once. Mails are fetched with
``BODY.PEEK[]``: nothing is flagged, moved or deleted on the server unless the channel says so.

Sending: our Message-ID is derived from the message id (the same on every retry) and carries a signed
thread token; replies thread by In-Reply-To/References, the token, then the ``[#number]`` subject tag.
"""

import base64
import contextlib
import imaplib
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import formataddr, formatdate
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sprawa.channels.base import (
    Capabilities,
    IdentityClaim,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    Parsed,
    SendResult,
    StatusUpdate,
)
from sprawa.channels.email.parse import PoisonMail, dedupe_key, normalise_msgid, parse_mail
from sprawa.channels.email.tokens import thread_token, verified_thread
from sprawa.channels.errors import ConnectionProblem
from sprawa.channels.models import Channel, ChannelCursor, ChannelKind
from sprawa.customers.models import IdentityKind
from sprawa.platform.http import BlockedDestination, SafeHttp
from sprawa.platform.inbound import record_inbound
from sprawa.platform.jobs import PermanentFailure, RetryLater

log = logging.getLogger(__name__)
POLL_BATCH = 200
TIMEOUT_SECONDS = 30.0
MAX_MAIL_BYTES = 40 * 1024 * 1024


def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


class EmailAdapter:
    kind = ChannelKind.EMAIL
    capabilities = Capabilities(
        html=True, attachments=True, sends_files=True, delivery_receipts=True, polls=True
    )

    def __init__(self, http: SafeHttp, token_key: bytes) -> None:
        self.http = http
        self.token_key = token_key

    # ------------------------------------------------------------------------------------------ inbound

    def parse_inbound(self, channel: Channel, payload: str, headers: dict[str, Any]) -> list[Parsed]:
        try:
            raw = base64.b64decode(payload)
            mail = parse_mail(raw)
        except PoisonMail as exc:
            raise PermanentFailure(f"unreadable mail: {exc}") from exc
        except (ValueError, LookupError, RecursionError, TypeError, AttributeError) as exc:
            raise PermanentFailure(f"unreadable mail: {type(exc).__name__}") from exc
        settings = channel.settings or {}
        if mail.receipt or mail.sender == settings.get("address"):
            return []  # read receipts, and our own mail coming back: nothing to show
        if mail.bounce is not None:
            if mail.bounce.original_message_id is None:
                return []
            error = f"{mail.bounce.status} {mail.bounce.diagnostic}".strip()
            return [StatusUpdate(mail.bounce.original_message_id, "failed", error=f"bounce: {error}")]
        text = mail.text
        if headers.get("oversize"):
            text = (
                f"{text}\n\n[Wiadomość była za duża ({headers['oversize']} B) — pobrano tylko nagłówki. "
                "The mail was too large; only its headers were fetched.]"
            ).strip()
        return [
            InboundMessage(
                provider_message_id=mail.dedupe_key,
                thread_external_id=mail.dedupe_key,
                identities=[IdentityClaim(IdentityKind.EMAIL, mail.sender)],
                text=text or "(pusta wiadomość)",
                html=mail.html,
                subject=mail.subject or None,
                name=mail.sender_name,
                sent_at=mail.sent_at,
                attachments=[
                    InboundAttachment(f.filename, f.content_type, f.data, f.content_id) for f in mail.files
                ],
                trusted_thread_id=verified_thread(self.token_key, channel.id, mail.refs + mail.recipients),
                thread_refs=mail.refs,
                case_number=mail.case_number,
                own_ref=mail.message_id,
                reply_address=mail.reply_address,
                auto_reply_allowed=mail.automated is None,
            )
        ]

    def poll(self, factory: sessionmaker[Session], channel: Channel, credentials: dict[str, Any]) -> bool:
        """Store what is new in the folder; True when more than one batch was waiting."""
        settings = channel.settings or {}
        folder = settings.get("imap_folder", "INBOX")
        writes = bool(settings.get("delete_after_import") or settings.get("mark_seen"))
        try:
            conn = self.open_imap(settings, credentials)
        except ConnectionProblem as exc:
            raise RetryLater(exc.english) from exc
        try:
            typ, _ = conn.select(_quoted(folder), readonly=not writes)
            if typ != "OK":
                raise RetryLater(f"IMAP folder {folder!r} cannot be opened")
            uidvalidity = int(conn.response("UIDVALIDITY")[1][0])
            cursor_name = f"imap:{folder}"[:64]
            with factory() as session:
                cursor = _cursor(session, channel, cursor_name)
                seen = cursor.value if cursor is not None else {}
            last_uid = int(seen.get("last_uid", 0)) if seen.get("uidvalidity") == uidvalidity else 0
            typ, data = conn.uid("SEARCH", f"UID {last_uid + 1}:*")
            uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last_uid)
            batch = uids[:POLL_BATCH]
            sizes = _sizes(conn, batch)
            for uid in batch:
                oversize = sizes.get(uid, 0) > MAX_MAIL_BYTES
                raw = _fetch(conn, uid, "BODY.PEEK[HEADER]" if oversize else "BODY.PEEK[]")
                if raw is None:
                    continue  # expunged meanwhile
                with factory.begin() as session:
                    store_mail(
                        session, channel, cursor_name, uidvalidity, uid, raw, sizes[uid] if oversize else 0
                    )
                if settings.get("delete_after_import"):
                    conn.uid("STORE", str(uid), "+FLAGS", "(\\Deleted)")
                elif settings.get("mark_seen"):
                    conn.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
            if settings.get("delete_after_import") and batch:
                conn.expunge()
            return len(uids) > len(batch)
        except (imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError) as exc:
            raise RetryLater(f"IMAP connection lost: {type(exc).__name__}: {exc}") from exc
        finally:
            _close(conn)

    # ----------------------------------------------------------------------------------------- outbound

    def send(self, channel: Channel, credentials: dict[str, Any], message: OutboundMessage) -> SendResult:
        settings = channel.settings or {}
        to = message.recipient.get("address") or message.recipient.get("email")
        if not to:
            raise PermanentFailure("the customer has no e-mail address to answer to")
        mail, message_id = self.compose(channel, message, to)
        try:
            with self._smtp(settings, credentials) as smtp:
                smtp.send_message(mail)
        except ConnectionProblem as exc:
            if exc.permanent:
                raise PermanentFailure(exc.english) from exc
            raise RetryLater(exc.english) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(400 <= c < 500 for c in codes):
                raise RetryLater(f"recipient temporarily refused: {codes}") from exc
            raise PermanentFailure(f"the mail server refused the recipient {to}: {codes}") from exc
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise RetryLater(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
            raise PermanentFailure(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryLater(f"SMTP unavailable: {type(exc).__name__}: {exc}") from exc
        return SendResult(provider_message_id=message_id)

    def compose(self, channel: Channel, message: OutboundMessage, to: str) -> tuple[EmailMessage, str]:
        """The reply as a MIME message and its (normalised) Message-ID, the same on every retry."""
        settings = channel.settings or {}
        address = settings["address"]
        local, _, domain = address.partition("@")
        token = thread_token(self.token_key, channel.id, message.thread_id)
        message_id = f"{message.message_id.lower()}.{token}@{domain}"
        mail = EmailMessage()
        mail["Message-ID"] = f"<{message_id}>"
        mail["Date"] = formatdate(usegmt=True)
        mail["From"] = formataddr((settings.get("display_name") or "", address))
        mail["To"] = to
        if settings.get("plus_addressing"):
            mail["Reply-To"] = f"{local}+{token}@{domain}"
        subject = message.subject or "Twoja wiadomość"
        tag = f"[#{message.case_number}]"
        if message.reply_to_ref and not subject.lower().startswith(("re:", "odp:")):
            subject = f"Re: {subject}"
        mail["Subject"] = subject if tag in subject else f"{subject} {tag}"
        if message.reply_to_ref:
            mail["In-Reply-To"] = f"<{message.reply_to_ref}>"
            mail["References"] = f"<{message.reply_to_ref}>"
        if message.automatic:
            mail["Auto-Submitted"] = "auto-replied"
            mail["X-Auto-Response-Suppress"] = "All"
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        for item in message.attachments:
            maintype, _, subtype = item.content_type.partition("/")
            mail.add_attachment(item.read(), maintype=maintype, subtype=subtype, filename=item.filename)
        return mail, message_id

    # --------------------------------------------------------------------------------------- connections

    def check_connection(self, channel: Channel, credentials: dict[str, Any]) -> None:
        """Log in to IMAP (open the folder) and SMTP; ConnectionProblem says what failed, in PL and EN."""
        settings = channel.settings or {}
        conn = self.open_imap(settings, credentials)
        try:
            typ, _ = conn.select(_quoted(settings.get("imap_folder", "INBOX")), readonly=True)
            if typ != "OK":
                raise ConnectionProblem(
                    f"Nie ma folderu {settings.get('imap_folder')!r} na serwerze IMAP.",
                    f"The IMAP server has no folder {settings.get('imap_folder')!r}.",
                )
        finally:
            _close(conn)
        with self._smtp(settings, credentials) as smtp:
            smtp.noop()

    def _checked_host(self, host: str, port: int, what: str) -> None:
        try:
            self.http.resolve(f"https://{host}:{port}/")
        except BlockedDestination as exc:
            raise ConnectionProblem(
                f"Serwer {what} {host} nie jest dostępny z tej instalacji (adres prywatny lub nieznany).",
                f"The {what} server {host} cannot be reached from here (private or unknown address).",
                permanent=True,
            ) from exc

    def open_imap(self, settings: dict[str, Any], credentials: dict[str, Any]) -> imaplib.IMAP4:
        host, port = settings["imap_host"], int(settings.get("imap_port", 993))
        self._checked_host(host, port, "IMAP")
        security = settings.get("imap_security", "ssl")
        try:
            if security == "ssl":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    host, port, ssl_context=_tls(), timeout=TIMEOUT_SECONDS
                )
            else:
                conn = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
                if security == "starttls":
                    conn.starttls(_tls())
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ConnectionProblem(
                f"Nie udało się połączyć z serwerem IMAP {host}:{port} ({type(exc).__name__}).",
                f"Could not connect to the IMAP server {host}:{port} ({type(exc).__name__}).",
            ) from exc
        try:
            conn.login(credentials.get("username", ""), credentials.get("password", ""))
        except imaplib.IMAP4.abort as exc:
            _close(conn)
            raise ConnectionProblem(
                "Połączenie z serwerem IMAP zostało przerwane.", "The IMAP connection was interrupted."
            ) from exc
        except imaplib.IMAP4.error as exc:
            _close(conn)
            raise ConnectionProblem(
                "Serwer IMAP odrzucił login lub hasło.", "The IMAP server refused the user name or password."
            ) from exc
        except OSError as exc:
            _close(conn)
            raise ConnectionProblem(
                "Połączenie z serwerem IMAP zostało przerwane.", "The IMAP connection was interrupted."
            ) from exc
        return conn

    def _smtp(self, settings: dict[str, Any], credentials: dict[str, Any]) -> smtplib.SMTP:
        host, port = settings["smtp_host"], int(settings.get("smtp_port", 465))
        self._checked_host(host, port, "SMTP")
        security = settings.get("smtp_security", "ssl")
        try:
            if security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, context=_tls(), timeout=TIMEOUT_SECONDS)
            else:
                smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
                if security == "starttls":
                    smtp.starttls(context=_tls())
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionProblem(
                f"Nie udało się połączyć z serwerem SMTP {host}:{port} ({type(exc).__name__}).",
                f"Could not connect to the SMTP server {host}:{port} ({type(exc).__name__}).",
            ) from exc
        user = credentials.get("smtp_username") or credentials.get("username")
        password = credentials.get("smtp_password") or credentials.get("password")
        if user and password and smtp.has_extn("auth"):
            try:
                smtp.login(user, password)
            except smtplib.SMTPAuthenticationError as exc:
                smtp.close()
                raise ConnectionProblem(
                    "Serwer SMTP odrzucił login lub hasło.",
                    "The SMTP server refused the user name or password.",
                    permanent=True,
                ) from exc
        return smtp


def store_mail(
    session: Session,
    channel: Channel,
    cursor_name: str,
    uidvalidity: int,
    uid: int,
    raw: bytes,
    oversize: int = 0,
) -> None:
    """Record one fetched mail and move the folder's cursor past it, in the caller's transaction."""
    message_id = normalise_msgid(BytesHeaderParser().parsebytes(raw).get("Message-ID"))
    record_inbound(
        session,
        workspace_id=channel.workspace_id,
        channel_id=channel.id,
        provider_key=dedupe_key(message_id, raw)[:255],
        payload=base64.b64encode(raw).decode(),
        headers={"uid": uid, "uidvalidity": uidvalidity, "oversize": oversize},
    )
    _save_cursor(session, channel, cursor_name, {"uidvalidity": uidvalidity, "last_uid": uid})


def _close(conn: imaplib.IMAP4) -> None:
    """Log out, and close the socket whatever state the session is in (a dropped server included)."""
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        conn.logout()
    with contextlib.suppress(OSError):
        conn.shutdown()


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sizes(conn: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    if not uids:
        return {}
    typ, data = conn.uid("FETCH", ",".join(map(str, uids)), "(RFC822.SIZE)")
    sizes: dict[int, int] = {}
    for item in data:
        if isinstance(item, bytes):
            words = item.replace(b"(", b" ").replace(b")", b" ").split()
            if b"UID" in words and b"RFC822.SIZE" in words:
                sizes[int(words[words.index(b"UID") + 1])] = int(words[words.index(b"RFC822.SIZE") + 1])
    return sizes


def _fetch(conn: imaplib.IMAP4, uid: int, item: str) -> bytes | None:
    typ, data = conn.uid("FETCH", str(uid), f"({item})")
    for part in data:
        if isinstance(part, tuple) and len(part) == 2:
            return part[1]
    return None


def _cursor(session: Session, channel: Channel, name: str) -> ChannelCursor | None:
    return session.scalars(
        select(ChannelCursor).where(ChannelCursor.channel_id == channel.id, ChannelCursor.name == name)
    ).first()


def _save_cursor(session: Session, channel: Channel, name: str, value: dict[str, Any]) -> None:
    cursor = _cursor(session, channel, name)
    if cursor is None:
        session.add(
            ChannelCursor(workspace_id=channel.workspace_id, channel_id=channel.id, name=name, value=value)
        )
    elif value.get("uidvalidity") != cursor.value.get("uidvalidity") or value["last_uid"] > cursor.value.get(
        "last_uid", 0
    ):
        cursor.value = value
