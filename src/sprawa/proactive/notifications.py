"""What a proactive message says and where it may go: texts per language, channel rules, quiet hours, consent.

Channel rules come from the adapter's capabilities, never from the channel kind: a channel with a
free-text window (``session_window_hours``, WhatsApp's 24 h) needs a pre-approved template outside it
(``templates``), and a channel that forbids marketing (``marketing`` False, Allegro) never carries a
suggestion. Capabilities an adapter does not declare take the permissive default of an ordinary channel.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sprawa.cases.models import Direction, Message
from sprawa.channels.base import ChannelAdapter
from sprawa.channels.models import Channel, Thread
from sprawa.commerce.carriers.inpost import EXCEPTION_REASONS
from sprawa.customers.models import Customer
from sprawa.privacy.models import ConsentRecord
from sprawa.privacy.queries import may_send_marketing
from sprawa.proactive.rules import Candidate
from sprawa.proactive.schemas import QuietHours, RuleKind
from sprawa.proactive.texts import LANGUAGES, TEXTS

#: Consent purpose of proactive service notices; a withdrawal here is the customer's opt-out.
NOTICES_PURPOSE = "service_notices"
NOTICES_CHANNEL = "any"


def in_quiet_hours(quiet: QuietHours, now: datetime, timezone: str) -> bool:
    local = now.astimezone(ZoneInfo(timezone)).time()
    if quiet.start == quiet.end:
        return False
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def quiet_until(quiet: QuietHours, now: datetime, timezone: str) -> datetime:
    """When the quiet hours that contain ``now`` end."""
    local = now.astimezone(ZoneInfo(timezone))
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    return end if end > local else end + timedelta(days=1)


def opted_out(session: Session, customer: Customer) -> bool:
    latest = session.scalars(
        select(ConsentRecord.granted)
        .where(ConsentRecord.customer_id == customer.id, ConsentRecord.purpose == NOTICES_PURPOSE)
        .order_by(ConsentRecord.created_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    ).first()
    return latest is False


def channel_allows_marketing(adapter: ChannelAdapter) -> bool:
    return adapter.capabilities.marketing


def has_marketing_consent(
    session: Session, customer: Customer, channel: Channel, adapter: ChannelAdapter
) -> bool:
    """Marketing may go to this customer on this channel: their newest consent there is a grant, and the
    channel itself allows marketing. The one place suggestions ask (the privacy feature keeps the records)."""
    return channel_allows_marketing(adapter) and may_send_marketing(session, customer, str(channel.kind))


@dataclass(frozen=True)
class Route:
    """Where a message goes: the thread and channel, and whether it must be a template."""

    thread: Thread
    channel: Channel
    adapter: ChannelAdapter
    template: bool


def route(
    session: Session,
    customer: Customer,
    adapters: dict[Any, ChannelAdapter],
    now: datetime,
    *,
    marketing: bool = False,
) -> Route | None:
    """The customer's preferred reachable channel: the conversation they used last, within its rules."""
    rows = session.execute(
        select(Thread, Channel)
        .join(Channel, Channel.id == Thread.channel_id)
        .where(Thread.customer_id == customer.id, Channel.active)
        .order_by(Thread.last_message_at.desc())
        .limit(10)
    ).all()
    for thread, channel in rows:
        adapter = adapters.get(channel.kind)
        if adapter is None:
            continue
        if marketing and not has_marketing_consent(session, customer, channel, adapter):
            continue
        window = getattr(adapter.capabilities, "session_window_hours", None)
        template = False
        if window:
            last_in = session.scalar(
                select(func.max(Message.created_at)).where(
                    Message.thread_id == thread.id, Message.direction == Direction.INBOUND
                )
            )
            last_in = last_in.replace(tzinfo=now.tzinfo) if last_in and last_in.tzinfo is None else last_in
            if last_in is None or now - last_in > timedelta(hours=window):
                if not getattr(adapter.capabilities, "templates", False):
                    continue
                template = True
        return Route(thread, channel, adapter, template)
    return None


# ------------------------------------------------------------------------------------------------ texts

_CARRIERS = {"inpost": "InPost", "dpd": "DPD", "dhl": "DHL", "poczta_polska": "Poczta Polska", "gls": "GLS"}


def _when(value: datetime | None, timezone: str, lang: str) -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(timezone)).strftime(TEXTS[lang]["when"])


def language_of(customer: Customer, default: str) -> str:
    """The customer's language when notices exist in it, else the shop's default, else English."""
    for lang in ((customer.language or "")[:2], (default or "")[:2]):
        if lang in LANGUAGES:
            return lang
    return "en"


def render(
    c: Candidate, lang: str, customer: Customer, timezone: str, *, compensation: bool, opt_out_url: str | None
) -> tuple[str, list[str]]:
    """The message text and the template parameters (first name, order number, one detail)."""
    t = TEXTS[lang]
    first = (customer.name or "").split(" ")[0]
    f = c.facts
    values = {
        "n": c.order.number,
        "carrier": _CARRIERS.get(str(f.get("carrier", "")), str(f.get("carrier") or t["carrier"])),
        "detail": "",
        "point": f.get("point") or "",
        "sent": f.get("sent"),
        "total": f.get("total"),
    }
    if c.rule == RuleKind.LATE:
        key = "late"
    elif c.rule == RuleKind.NO_SCAN:
        key, values["detail"] = "no_scan", _when(f.get("last_scan"), timezone, lang)
    elif c.rule == RuleKind.DELIVERY_EXCEPTION:
        reason = EXCEPTION_REASONS.get(str(f.get("code", "")))
        known = {"pl": 0, "en": 1}
        values["detail"] = reason[known[lang]] if reason and lang in known else t["exception_reason"]
        key = "lost" if f.get("lost") else "exception"
    elif c.rule == RuleKind.PICKUP_WAITING:
        key, values["detail"] = "pickup", _when(f.get("deadline"), timezone, lang)
    elif c.rule == RuleKind.PARTIAL_SHIPMENT:
        key, values["detail"] = "partial", f"{f.get('sent')}/{f.get('total')}"
    else:
        key = "refund_partial" if f.get("partial") else "refund"
    body = t[key].format(**values)
    if compensation and c.rule == RuleKind.LATE:
        body += t["compensation"]
    lines = [t["hello_name"].format(first=first) if first else t["hello"], body]
    if f.get("tracking_url") and c.rule != RuleKind.REFUND_ISSUED:
        lines.append(t["track"].format(url=f["tracking_url"]))
    if opt_out_url:
        lines.append(t["opt_out"].format(url=opt_out_url))
    return "\n\n".join(lines), [first, c.order.number, str(values["detail"])]


def template_name(rule: RuleKind, lang: str) -> str:
    return f"sprawa_{rule}_{lang}"
