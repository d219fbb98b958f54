"""The shop's HTML contact form posting straight to Sprawa: a honeypot and a per-visitor rate limit,
no third-party captcha.

A bot that fills the hidden ``website`` field gets the same thank-you as a person and nothing is
stored. A visitor (IP, kept only as a keyed hash) may send ``RATE_LIMIT`` messages per
``RATE_WINDOW``. The same text from the same address again (a double click) is stored once.
Only the shop's own pages may post when the channel lists ``allowed_origins``.
"""

import hashlib
import hmac
import json
from datetime import timedelta

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.channels.form.schemas import ContactFormIn, FormMessageIn
from sprawa.channels.models import ChannelKind
from sprawa.channels.queries import channel_by_public_key
from sprawa.db import utcnow
from sprawa.platform.errors import Forbidden, InvalidInput, RateLimited
from sprawa.platform.inbound import InboundEvent, record_inbound

RATE_LIMIT = 5
RATE_WINDOW = timedelta(minutes=10)


def visitor_key(secret_key: str, client_ip: str) -> str:
    return hmac.new(f"sprawa:contact:{secret_key}".encode(), client_ip.encode(), hashlib.sha256).hexdigest()[
        :32
    ]


def do_receive_contact_form(
    session: Session,
    secret_key: str,
    public_key: str,
    form: dict[str, str],
    *,
    client_ip: str,
    origin: str | None,
) -> bool:
    """Store one contact-form message; False when it was the honeypot (answered like a success)."""
    channel = channel_by_public_key(session, public_key, ChannelKind.FORM)
    allowed = (channel.settings or {}).get("allowed_origins") or []
    if allowed and (origin or "").rstrip("/").lower() not in allowed:
        raise Forbidden("this page may not post to the contact form", code="origin_not_allowed")
    try:
        data = ContactFormIn.model_validate(form)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg")}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise InvalidInput(
            "Uzupełnij e-mail i treść wiadomości. / Fill in your e-mail and message.", details=details
        ) from exc
    if data.website:
        return False
    visitor = visitor_key(secret_key, client_ip)
    recent = session.scalar(
        select(func.count())
        .select_from(InboundEvent)
        .where(
            InboundEvent.channel_id == channel.id,
            InboundEvent.received_at > utcnow() - RATE_WINDOW,
            InboundEvent.headers["visitor"].as_string() == visitor,
        )
    )
    if (recent or 0) >= RATE_LIMIT:
        raise RateLimited(
            "Wysłano już kilka wiadomości — spróbuj ponownie za kilka minut. / "
            "Several messages were sent already; please try again in a few minutes.",
            code="too_many_messages",
        )
    key = (
        "contact:" + hashlib.sha256(f"{data.email.lower()}\n{data.message.strip()}".encode()).hexdigest()[:40]
    )
    message = FormMessageIn(
        id=key, email=data.email, name=data.name, phone=data.phone, subject=data.subject, text=data.message
    )
    record_inbound(
        session,
        workspace_id=channel.workspace_id,
        channel_id=channel.id,
        provider_key=key,
        payload=json.dumps(message.model_dump(exclude_none=True), ensure_ascii=False),
        headers={"signature_verified": False, "visitor": visitor},
    )
    return True
