"""Marketing consent per channel: grants with their source, withdrawal at once from any message.

A withdrawal comes from an agent, from the link in a marketing message (a signed token naming the customer
and channel) or from a keyword reply ("STOP", "wypisz mnie", ...). Service messages never depend on consent.
"""

import re
from typing import Any

from sqlalchemy.orm import Session

from sprawa.auth.schemas import Principal
from sprawa.cases.models import Message
from sprawa.customers.models import Customer
from sprawa.db import utcnow
from sprawa.platform.audit import append_audit, append_audit_by
from sprawa.platform.crypto import sign, unsign
from sprawa.platform.errors import InvalidInput
from sprawa.platform.events import Event, emit
from sprawa.privacy.models import ConsentRecord

PURPOSE = "marketing"
CHANNELS = ("email", "sms", "whatsapp", "messenger", "instagram", "webchat", "allegro", "phone")
_TOKEN_PURPOSE = "consent-withdraw"  # noqa: S105 (a signing purpose, not a secret)
# A whole message that is one of these (case, punctuation and diacritics aside) withdraws consent.
WITHDRAW_KEYWORDS = frozenset(
    {
        "stop",
        "stop marketing",
        "unsubscribe",
        "wypisz",
        "wypisz mnie",
        "rezygnuje",
        "rezygnuje z newslettera",
        "nie chce reklam",
        "nie wysylajcie mi reklam",
        "abmelden",
        "відписатися",
        "стоп",
    }
)
_FOLD = str.maketrans("ąćęłńóśźż", "acelnoszz")
_PUNCT = re.compile(r"[^\w\s]+")


def check_channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise InvalidInput(f"unknown consent channel {channel!r}", code="invalid_channel")
    return channel


def _record(
    session: Session,
    customer: Customer,
    channel: str,
    granted: bool,
    source: str,
    *,
    by_user_id: str | None = None,
    message_id: str | None = None,
) -> ConsentRecord:
    now = utcnow()
    record = ConsentRecord(
        workspace_id=customer.workspace_id,
        customer_id=customer.id,
        channel=channel,
        purpose=PURPOSE,
        granted=granted,
        source=source,
        by_user_id=by_user_id,
        message_id=message_id,
        created_at=now,
    )
    session.add(record)
    consents: dict[str, Any] = dict(customer.consents or {})
    consents[channel] = {PURPOSE: granted, "source": source, "at": now.isoformat()}
    customer.consents = consents
    session.flush()
    emit(
        session,
        Event("customer.updated", customer.workspace_id, {"id": customer.id, "consents": consents}),
    )
    return record


def do_set_consent(
    session: Session, actor: Principal, customer: Customer, channel: str, granted: bool, source: str
) -> ConsentRecord:
    """An agent records a consent the customer gave or withdrew (e.g. in a conversation)."""
    record = _record(session, customer, check_channel(channel), granted, source, by_user_id=actor.user_id)
    action = "consent.granted" if granted else "consent.withdrawn"
    append_audit_by(session, actor, action, "customer", customer.id, channel=channel, source=source)
    return record


def withdrawal_token(secret_key: str, customer: Customer, channel: str) -> str:
    """The token of the withdrawal link put in every marketing message on ``channel``."""
    return sign(secret_key, _TOKEN_PURPOSE, f"{customer.workspace_id}:{customer.id}:{check_channel(channel)}")


def read_withdrawal_token(secret_key: str, token: str) -> tuple[str, str, str] | None:
    """(workspace id, customer id, channel) of a genuine token, else None."""
    value = unsign(secret_key, _TOKEN_PURPOSE, token)
    if value is None or value.count(":") != 2:
        return None
    workspace_id, customer_id, channel = value.split(":")
    return workspace_id, customer_id, channel


def do_withdraw_by_link(session: Session, customer: Customer, channel: str) -> ConsentRecord:
    record = _record(session, customer, channel, False, "link")
    append_audit(
        session,
        customer.workspace_id,
        actor_kind="customer",
        actor_id=None,
        action="consent.withdrawn",
        subject_type="customer",
        subject_id=customer.id,
        data={"channel": channel, "source": "link"},
    )
    return record


def is_withdrawal(text: str) -> bool:
    folded = " ".join(_PUNCT.sub(" ", text.lower().translate(_FOLD)).split())
    return folded in WITHDRAW_KEYWORDS


def withdraw_on_keyword(session: Session, customer: Customer, channel_kind: str, message: Message) -> bool:
    """Called for every inbound message: a withdrawal keyword takes effect at once on that channel."""
    if channel_kind not in CHANNELS or not is_withdrawal(message.body_text or ""):
        return False
    _record(session, customer, channel_kind, False, "keyword", message_id=message.id)
    append_audit(
        session,
        customer.workspace_id,
        actor_kind="customer",
        actor_id=None,
        action="consent.withdrawn",
        subject_type="customer",
        subject_id=customer.id,
        data={"channel": channel_kind, "source": "keyword", "message_id": message.id},
    )
    return True
