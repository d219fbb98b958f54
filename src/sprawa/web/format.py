"""Template helpers of the agent workspace: times in the shop's zone, "how long ago", channel icons.

Registered on the shared Jinja environment when a page module imports this one.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sprawa.db import utcnow
from sprawa.web.render import templates
from sprawa.web.translate import translate

ZONE = ZoneInfo("Europe/Warsaw")
# Short text marks rather than emoji: they read the same on every system font.
CHANNEL_ICONS = {
    "webchat": "czat",
    "email": "@",
    "whatsapp": "WA",
    "messenger": "FB",
    "instagram": "IG",
    "allegro": "AL",
    "form": "form",
}
CHANNEL_LABELS = {
    "webchat": "Czat",
    "email": "E-mail",
    "whatsapp": "WhatsApp",
    "messenger": "Messenger",
    "instagram": "Instagram",
    "allegro": "Allegro",
    "form": "Formularz",
}
STATUS_LABELS = {
    "new": "Nowa",
    "open": "Otwarta",
    "pending_customer": "Czeka na klienta",
    "pending_internal": "Czeka wewnętrznie",
    "resolved": "Rozwiązana",
    "closed": "Zamknięta",
}
PRIORITY_LABELS = {"low": "Niski", "normal": "Normalny", "high": "Wysoki", "urgent": "Pilny"}
AUTHOR_LABELS = {"customer": "Klient", "agent": "Konsultant", "ai": "Asystent AI", "system": "System"}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    return _aware(value).astimezone(ZONE).strftime(fmt) if value else ""


def iso(value: datetime | None) -> str:
    return _aware(value).isoformat() if value else ""


def span(seconds: float, lang: str) -> str:
    """A short duration: "5 min", "3 h", "2 d"."""
    minutes = int(abs(seconds) // 60)
    if minutes < 1:
        return translate("teraz", lang)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} d"


def ago(value: datetime | None, lang: str = "pl") -> str:
    return span((utcnow() - _aware(value)).total_seconds(), lang) if value else ""


def due_state(value: datetime | None) -> str:
    """``overdue``, ``soon`` (within an hour) or ``ok``: the SLA badge's colour."""
    if value is None:
        return ""
    left = (_aware(value) - utcnow()).total_seconds()
    return "overdue" if left < 0 else "soon" if left < 3600 else "ok"


def due_in(value: datetime | None, lang: str = "pl") -> str:
    if value is None:
        return ""
    left = (_aware(value) - utcnow()).total_seconds()
    if left < 0:
        return translate("po terminie {span}", lang, span=span(left, lang))
    return translate("za {span}", lang, span=span(left, lang))


def money(value: object, currency: str = "PLN") -> str:
    text = f"{float(str(value)):,.2f}".replace(",", " ").replace(".", ",")
    return f"{text} {'zł' if currency == 'PLN' else currency}"


def size(value: int) -> str:
    if value < 1024:
        return f"{value} B"
    if value < 1024 * 1024:
        return f"{value / 1024:.0f} kB"
    return f"{value / 1024 / 1024:.1f} MB"


templates.env.filters.update(local=local, iso=iso, ago=ago, due_in=due_in, money=money, size=size)
templates.env.globals.update(
    due_state=due_state,
    CHANNEL_ICONS=CHANNEL_ICONS,
    CHANNEL_LABELS=CHANNEL_LABELS,
    STATUS_LABELS=STATUS_LABELS,
    PRIORITY_LABELS=PRIORITY_LABELS,
    AUTHOR_LABELS=AUTHOR_LABELS,
)
