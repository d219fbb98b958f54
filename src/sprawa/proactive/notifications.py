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
    return bool(getattr(adapter.capabilities, "marketing", True))


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
    local = value.astimezone(ZoneInfo(timezone))
    return local.strftime("%d.%m, godz. %H:%M" if lang == "pl" else "%d %b, %H:%M")


def language_of(customer: Customer, default: str) -> str:
    lang = (customer.language or default or "pl")[:2]
    return lang if lang in ("pl", "en") else "en"


def render(
    c: Candidate, lang: str, customer: Customer, timezone: str, *, compensation: bool, opt_out_url: str | None
) -> tuple[str, list[str]]:
    """The message text and the template parameters (first name, order number, one detail)."""
    first = (customer.name or "").split(" ")[0]
    n = c.order.number
    f = c.facts
    carrier = _CARRIERS.get(str(f.get("carrier", "")), str(f.get("carrier") or "przewoźnik"))
    url = f.get("tracking_url")
    pl = lang == "pl"
    hello = (
        (f"Dzień dobry, {first}!" if first else "Dzień dobry!")
        if pl
        else (f"Hello {first}," if first else "Hello,")
    )
    detail = ""
    if c.rule == RuleKind.LATE:
        body = (
            f"Paczka z zamówienia nr {n} jedzie dłużej, niż zakładaliśmy — {carrier} zgłasza opóźnienie. "
            "Pilnujemy jej i odezwiemy się, gdy tylko coś się zmieni."
            if pl
            else f"The parcel with order {n} is taking longer than we expected — {carrier} reports a delay. "
            "We are keeping an eye on it and will get back to you as soon as anything changes."
        )
        if compensation:
            body += (
                " Za kłopot dołączymy kod na darmową dostawę przy następnym zamówieniu."
                if pl
                else " To make up for it, we will add a free-shipping code for your next order."
            )
    elif c.rule == RuleKind.NO_SCAN:
        detail = _when(f.get("last_scan"), timezone, lang)
        body = (
            f"Paczka z zamówienia nr {n} nie ma nowego skanu u przewoźnika {carrier} od {detail}. "
            "Sprawdzamy to z przewoźnikiem i damy znać, co dalej."
            if pl
            else f"The parcel with order {n} has had no new scan from {carrier} since {detail}. "
            "We are checking with the carrier and will let you know what happens next."
        )
    elif c.rule == RuleKind.DELIVERY_EXCEPTION:
        reason = EXCEPTION_REASONS.get(str(f.get("code", "")))
        if f.get("lost"):
            body = (
                f"Przewoźnik {carrier} zgłosił, że paczka z zamówienia nr {n} zaginęła. "
                "Wyjaśniamy to i wrócimy z propozycją rozwiązania — nie trzeba niczego robić."
                if pl
                else f"{carrier} has reported the parcel with order {n} as lost. "
                "We are looking into it and will come back with a solution — there is nothing you need to do."
            )
        else:
            detail = (
                (reason[0] if pl else reason[1])
                if reason
                else ("problem z doręczeniem" if pl else "a delivery problem")
            )
            body = (
                f"Przewoźnik {carrier} nie doręczył paczki z zamówienia nr {n}: {detail}. "
                "Jeśli trzeba poprawić adres albo umówić ponowne doręczenie, "
                "wystarczy odpisać na tę wiadomość."
                if pl
                else f"{carrier} could not deliver the parcel with order {n}: {detail}. If the address needs "
                "correcting or you would like another delivery, just reply to this message."
            )
    elif c.rule == RuleKind.PICKUP_WAITING:
        detail = _when(f.get("deadline"), timezone, lang)
        point = f.get("point") or ""
        body = (
            f"Paczka z zamówienia nr {n} czeka na odbiór w Paczkomacie {point} do {detail}. Po tym terminie "
            "wróci do nas. Czas odbioru można przedłużyć w aplikacji InPost Mobile."
            if pl
            else f"The parcel with order {n} is waiting in Paczkomat {point} until {detail}. "
            "After that it comes back to us. You can extend the pickup time in the InPost Mobile app."
        )
    elif c.rule == RuleKind.PARTIAL_SHIPMENT:
        detail = f"{f.get('sent')}/{f.get('total')}"
        body = (
            f"Część zamówienia nr {n} ({f.get('sent')} z {f.get('total')} paczek) jest już w drodze, "
            "reszta wyruszy osobno. Nie trzeba niczego robić."
            if pl
            else f"Part of order {n} ({f.get('sent')} of {f.get('total')} parcels) is on its way; the rest "
            "will follow separately. There is nothing you need to do."
        )
    else:
        body = (
            f"Zleciliśmy {'częściowy ' if f.get('partial') else ''}zwrot pieniędzy za zamówienie nr {n}. "
            "Pieniądze wrócą tą samą drogą, którą zostały zapłacone; czas księgowania zależy od banku."
            if pl
            else f"We have issued a {'partial ' if f.get('partial') else ''}refund for order {n}. "
            "The money goes back the way it was paid; how long it takes to show depends on your bank."
        )
    lines = [hello, body]
    if url and c.rule != RuleKind.REFUND_ISSUED:
        lines.append(f"Śledzenie przesyłki: {url}" if pl else f"Track the parcel: {url}")
    if opt_out_url:
        lines.append(
            f"Nie chcesz takich powiadomień? {opt_out_url}"
            if pl
            else f"Prefer not to get these updates? {opt_out_url}"
        )
    return "\n\n".join(lines), [first, n, detail]


def template_name(rule: RuleKind, lang: str) -> str:
    return f"sprawa_{rule}_{lang}"
