"""Reading one raw e-mail: addresses, threading headers, readable text, sanitised HTML, files, loops, bounces.

Everything here is pure (no database, no network) so it can be fuzzed and benchmarked on its own.
A mail that cannot be read at all raises :class:`PoisonMail`; the ingest job then quarantines it.
"""

import hashlib
import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.header import Header, decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import nh3

from sprawa.channels.email.quotes import strip_reply

MAX_PARTS = 200
MAX_DEPTH = 20
MAX_ATTACHMENTS = 20
MAX_REFS = 30
_MSGID = re.compile(r"<([^<>\s]{1,250})>")
_CASE_TAG = re.compile(r"\[#(\d{1,9})\]")
_NO_REPLY_LOCAL = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|listserv|majordomo)([+._-].*)?$", re.I
)
# Tags worth keeping in a customer's HTML mail; images only from attachments (cid:) or data, never remote.
_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li",
    "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr",
    "u", "ul",
}  # fmt: skip


class PoisonMail(ValueError):
    """The bytes are not a mail we can take in (no sender, absurd structure)."""


@dataclass
class MailFile:
    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None


@dataclass
class Bounce:
    """A delivery status notification (RFC 3464) about one of our mails."""

    original_message_id: str | None
    status: str
    diagnostic: str


@dataclass
class ParsedMail:
    message_id: str | None
    dedupe_key: str
    sender: str
    sender_name: str | None
    reply_address: str
    recipients: list[str]
    subject: str
    text: str
    full_text: str
    html: str | None
    refs: list[str]
    case_number: int | None
    sent_at: datetime | None
    files: list[MailFile] = field(default_factory=list)
    # Why no automatic answer may go to this mail (None: a person wrote it).
    automated: str | None = None
    bounce: Bounce | None = None
    receipt: bool = False


def normalise_msgid(value: str | None) -> str | None:
    if not value:
        return None
    found = _MSGID.search(value)
    ident = found.group(1) if found else value.strip().strip("<>")
    return ident.lower()[:250] if ident and " " not in ident else None


def message_ids(value: str | None) -> list[str]:
    return [m.group(1).lower() for m in _MSGID.finditer(value or "")][:MAX_REFS]


def dedupe_key(message_id: str | None, raw: bytes) -> str:
    """Message-ID plus a hash of what the sender wrote: a copy delivered twice (different Received
    headers) is one mail; two different mails that share a Message-ID stay two."""
    head, _, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
    keep = [
        line
        for line in head.splitlines()
        if line.split(b":", 1)[0].strip().lower() in (b"from", b"date", b"subject", b"to")
    ]
    digest = hashlib.sha256(b"\n".join(keep) + b"\n\n" + body.strip()).hexdigest()[:32]
    if message_id:
        if len(message_id) > 200:
            message_id = hashlib.sha256(message_id.encode()).hexdigest()
        return f"{message_id}#{digest}"
    return f"nomid#{digest}"


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header the strict parser rejects: treat as absent
        return ""
    if value is None:
        return ""
    if isinstance(value, Header):
        # Raw 8-bit bytes in a header (no RFC 2047): usually UTF-8, else the Polish Windows code page.
        return "".join(_bytes_text(chunk, charset) for chunk, charset in decode_header(value))
    return re.sub(r"\r?\n[ \t]+", " ", str(value))  # unfolded


def _bytes_text(chunk: bytes | str, charset: str | None) -> str:
    if isinstance(chunk, str):
        return chunk
    for candidate in (charset, "utf-8"):
        if candidate and candidate not in ("unknown-8bit", "x-unknown"):
            try:
                return chunk.decode(candidate)
            except (LookupError, UnicodeDecodeError):
                continue
    return chunk.decode("cp1250", errors="replace")


def _address(value: str) -> tuple[str | None, str]:
    name, addr = parseaddr(value)
    addr = addr.strip().lower()
    if "@" not in addr or len(addr) > 254 or any(c.isspace() for c in addr):
        return None, ""
    return (_decoded_header(name).strip() or None), addr


def automated_reason(msg: Message, sender: str) -> str | None:
    """RFC 3834 / list / bulk signals, null return path and robot senders: never auto-answer these."""
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    if _header(msg, "Precedence").strip().lower() in ("bulk", "junk", "list"):
        return "Precedence: " + _header(msg, "Precedence").strip().lower()
    for name in ("List-Id", "List-Unsubscribe", "X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if _header(msg, name):
            return f"{name} header"
    if _header(msg, "Return-Path").strip() == "<>":
        return "empty Return-Path"
    if _NO_REPLY_LOCAL.match(sender.split("@", 1)[0]):
        return "robot sender address"
    return None


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = (part.get_content_charset() or "utf-8").lower()
    if charset in ("unknown-8bit", "x-unknown", "us-ascii"):
        charset = "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know: UTF-8 when it decodes, else Windows-1250
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1250", errors="replace")


def _walk(msg: Message, depth: int = 0) -> list[Message]:
    if depth > MAX_DEPTH:
        raise PoisonMail("MIME structure nested too deeply")
    if not msg.is_multipart():
        return [msg]
    parts: list[Message] = []
    payload = msg.get_payload()
    for sub in payload if isinstance(payload, list) else []:
        parts.extend(_walk(sub, depth + 1))
        if len(parts) > MAX_PARTS:
            raise PoisonMail("too many MIME parts")
    return parts


def html_to_text(value: str) -> str:
    value = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</li>", "\n", value)
    text = html_lib.unescape(nh3.clean(value, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


def _no_remote_images(element: str, attribute: str, value: str) -> str | None:
    # A remote image is a tracking pixel or an SSRF probe once rendered: only attached (cid:) images stay.
    if element == "img" and attribute == "src" and not value.lower().startswith("cid:"):
        return None
    return value


def sanitise_html(value: str) -> str:
    return nh3.clean(
        value,
        tags=_TAGS,
        attributes={"a": {"href"}, "img": {"src", "alt"}, "td": {"colspan"}, "th": {"colspan"}},
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_no_remote_images,
    )


def _bounce(msg: Message, parts: list[Message]) -> Bounce | None:
    if msg.get_content_type() != "multipart/report":
        return None
    if (msg.get_param("report-type") or "").lower() != "delivery-status":
        return None
    status, diagnostic, action, original = "", "", "", None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            blocks = part.get_payload()
            for block in blocks if isinstance(blocks, list) else []:
                action = action or _header(block, "Action").strip().lower()
                status = status or _header(block, "Status").strip()
                diagnostic = diagnostic or _header(block, "Diagnostic-Code").strip()
        elif ctype in ("message/rfc822", "text/rfc822-headers") and original is None:
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                original = normalise_msgid(_header(inner[0], "Message-ID"))
            else:
                found = re.search(r"(?im)^Message-ID:\s*(<[^>]+>)", _decoded(part))
                original = normalise_msgid(found.group(1)) if found else None
    if action and action not in ("failed",):
        return None  # "delayed"/"delivered"/"relayed": nothing failed (yet)
    return Bounce(original, status or "5.0.0", diagnostic[:500])


def parse_mail(raw: bytes, *, max_files: int = MAX_ATTACHMENTS) -> ParsedMail:
    """Read one mail; PoisonMail when it has no usable sender or an absurd MIME structure."""
    if not raw.strip():
        raise PoisonMail("empty mail")
    msg = message_from_bytes(raw, policy=policy.compat32)
    sender_name, sender = _address(_header(msg, "From"))
    if not sender:
        raise PoisonMail("no sender address in From")
    parts = _walk(msg)
    message_id = normalise_msgid(_header(msg, "Message-ID"))
    _, reply_to = _address(_header(msg, "Reply-To"))
    # Decoded first: a few clients fold long References into RFC 2047 words.
    refs = list(
        dict.fromkeys(
            message_ids(_decoded_header(_header(msg, "In-Reply-To")))
            + message_ids(_decoded_header(_header(msg, "References")))
        )
    )[:MAX_REFS]
    subject = _decoded_header(_header(msg, "Subject"))
    recipients = [
        a.lower()
        for _, a in getaddresses([_header(msg, n) for n in ("To", "Cc", "Delivered-To", "X-Original-To")])
        if "@" in a
    ][:50]
    text_plain, text_html = "", ""
    files: list[MailFile] = []
    for part in parts:
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
        if disposition == "attachment" or filename or (ctype.startswith("image/") and part.get("Content-ID")):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and len(files) < max_files:
                files.append(
                    MailFile(
                        filename=_decoded_header(filename or "") or "plik",
                        content_type=ctype,
                        data=data,
                        content_id=normalise_msgid(part.get("Content-ID")),
                    )
                )
        elif ctype == "text/plain" and not text_plain:
            text_plain = _decoded(part)
        elif ctype == "text/html" and not text_html:
            text_html = _decoded(part)
    full_text = text_plain.strip() or html_to_text(text_html)
    tag = _CASE_TAG.search(subject)
    try:
        sent_at = parsedate_to_datetime(_header(msg, "Date")) if _header(msg, "Date") else None
        if sent_at is not None and sent_at.tzinfo is None:
            sent_at = None
    except (TypeError, ValueError, IndexError):
        sent_at = None
    return ParsedMail(
        message_id=message_id,
        dedupe_key=dedupe_key(message_id, raw),
        sender=sender,
        sender_name=sender_name,
        reply_address=reply_to or sender,
        recipients=recipients,
        subject=subject.strip()[:500],
        text=strip_reply(full_text),
        full_text=full_text,
        html=sanitise_html(text_html) if text_html else None,
        refs=refs,
        case_number=int(tag.group(1)) if tag else None,
        sent_at=sent_at,
        files=files,
        automated=automated_reason(msg, sender),
        bounce=_bounce(msg, parts),
        receipt=msg.get_content_type() == "multipart/report"
        and (msg.get_param("report-type") or "").lower() == "disposition-notification",
    )


def _decoded_header(value: str) -> str:
    """RFC 2047 words decoded; unknown charsets degrade to replacement characters, never an error."""
    if not value:
        return ""
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # an unknown charset in an encoded word: the lenient parser puts in U+FFFD
        try:
            return str(policy.default.header_factory("subject", value))
        except Exception:
            return value.encode("ascii", "replace").decode()
