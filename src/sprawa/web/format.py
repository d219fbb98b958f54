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
    "sms": "SMS",
    "phone": "Telefon",
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
# Shop data as agents read it (the connector's normalised codes → Polish; English in i18n/en/workspace.json).
ORDER_STATUS_LABELS = {
    "new": "przyjęte",
    "awaiting_payment": "czeka na płatność",
    "paid": "opłacone",
    "packed": "spakowane",
    "shipped": "wysłane",
    "delivered": "doręczone",
    "cancelled": "anulowane",
    "return_requested": "zgłoszony zwrot",
    "exchange_requested": "zgłoszona wymiana",
    "returned": "zwrócone",
}
PAYMENT_STATUS_LABELS = {
    "unpaid": "nieopłacone",
    "paid": "opłacone",
    "cod": "płatne przy odbiorze",
    "partially_refunded": "częściowo zwrócone",
    "refunded": "zwrócone",
}
PAYMENT_METHOD_LABELS = {
    "blik": "BLIK",
    "bank_transfer": "przelew",
    "card": "karta",
    "cod": "za pobraniem",
    "paypo": "PayPo",
    "paypal": "PayPal",
    "gift_card": "karta podarunkowa",
}
SHIPMENT_LABELS = {
    "created": "etykieta utworzona",
    "in_transit": "w drodze",
    "out_for_delivery": "wydana do doręczenia",
    "ready_for_pickup": "czeka na odbiór",
    "delivered": "doręczona",
    "exception": "problem z doręczeniem",
    "returned": "zwrócona do nadawcy",
    "lost": "zaginiona",
    "delay_in_delivery": "opóźnienie",
}
CARRIER_LABELS = {
    "inpost": "InPost",
    "dpd": "DPD",
    "dhl": "DHL",
    "poczta_polska": "Poczta Polska",
    "allegro": "Allegro One",
}
INTENT_LABELS = {
    "order_status": "status zamówienia",
    "cancel_order": "anulowanie zamówienia",
    "change_order": "zmiana zamówienia",
    "return_request": "zwrot",
    "complaint": "reklamacja",
    "refund_status": "zwrot pieniędzy",
    "product_question": "pytanie o produkt",
    "shipping_info": "dostawa",
    "payment_issue": "płatność",
    "invoice": "faktura",
    "store_info": "informacje o sklepie",
    "human_request": "prośba o człowieka",
    "other": "inne",
    "unknown": "nieznana",
}
IDENTITY_LABELS = {
    "email": "E-mail",
    "phone": "Telefon",
    "whatsapp": "WhatsApp",
    "allegro_login": "Login Allegro",
    "messenger_psid": "Messenger (PSID)",
    "instagram_id": "Instagram",
    "shop_customer": "Konto w sklepie",
    "visitor": "Czat (gość)",
}
# Why a message joined its case (cases.service / channels.actions.threads record these in English).
LINK_REASONS = {
    "same conversation": "ta sama rozmowa",
    "same conversation, reopened within the window": "ta sama rozmowa, sprawa otwarta ponownie",
    "same order": "to samo zamówienie",
    "new matter": "nowa sprawa",
    "reply to an earlier message": "odpowiedź na wcześniejszą wiadomość",
}
LANGUAGE_NAMES = {"pl": "polski", "en": "angielski", "de": "niemiecki", "uk": "ukraiński"}
ROLE_LABELS = {
    "owner": "właściciel",
    "admin": "administrator",
    "agent": "konsultant",
    "viewer": "tylko podgląd",
}
FLAG_LABELS = {"vip": "VIP", "watch": "pod obserwacją", "blocked": "zablokowany"}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local(value: datetime | str | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    """``value`` in the shop's zone; ISO strings (timestamps kept in JSON columns) are accepted too."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
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
    if value is None or str(value).strip() == "":
        return "—"
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
    ORDER_STATUS_LABELS=ORDER_STATUS_LABELS,
    PAYMENT_STATUS_LABELS=PAYMENT_STATUS_LABELS,
    PAYMENT_METHOD_LABELS=PAYMENT_METHOD_LABELS,
    SHIPMENT_LABELS=SHIPMENT_LABELS,
    CARRIER_LABELS=CARRIER_LABELS,
    INTENT_LABELS=INTENT_LABELS,
    LANGUAGE_NAMES=LANGUAGE_NAMES,
    LINK_REASONS=LINK_REASONS,
    IDENTITY_LABELS=IDENTITY_LABELS,
    FLAG_LABELS=FLAG_LABELS,
    ROLE_LABELS=ROLE_LABELS,
)
