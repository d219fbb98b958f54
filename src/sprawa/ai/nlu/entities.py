"""Entity extraction: order, tracking and Paczkomat numbers, e-mail, phone, amounts, dates, NIP, IBAN.

Spans are claimed in a fixed order (IBAN, tracking, e-mail, NIP, order numbers, Paczkomat, phones,
amounts, dates) so one digit string is never reported twice (a 24-digit InPost number is not also a
phone). NIP and IBAN are accepted only with a valid checksum (python-stdnum); Poczta Polska S10 numbers
only with a valid S10 check digit.

Shapes (all JSON-ready): ``order_numbers`` / ``paczkomat_codes`` / ``emails`` / ``nips`` / ``ibans``:
lists of strings (NIP and IBAN compacted, upper case); ``tracking_numbers``: ``{"number", "carrier"}``
with carrier one of inpost, dpd, dhl, poczta_polska, allegro, ups; ``phones``: E.164 strings;
``amounts``: ``{"value": "149.99", "currency": "PLN"}``; ``dates``: ISO ``YYYY-MM-DD`` (relative words
like "wczoraj" resolved against ``today``; a day and month without a year take the current year).
"""

import datetime as dt
import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.pl import nip as stdnum_nip

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entities:
    """Entities found in one message (see the module docstring for each shape)."""

    order_numbers: list[str] = field(default_factory=list)
    tracking_numbers: list[dict[str, str]] = field(default_factory=list)
    paczkomat_codes: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    amounts: list[dict[str, str]] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    nips: list[str] = field(default_factory=list)
    ibans: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __bool__(self) -> bool:
        return any(self.as_dict().values())


# Default order-number patterns (a shop passes its own): a number right after the word "order" in
# PL/EN/DE/UK/RU (optionally "nr", "#", ":"), or "#12345".
_ORDER_WORD = (
    r"(?:zam[oó]wieni[ea]|zam[oó]wieniu|zam\.|zamowka|order|bestellung|bestellnummer|auftrag"
    r"|замовлення|заказа?|transakcj[ai])"
)
DEFAULT_ORDER_PATTERNS: tuple[str, ...] = (
    _ORDER_WORD
    + r"\s*(?:nr\.?|numer|no\.?|number|nummer|номер|№)?\s*[:.]?\s*#?\s*([A-Z0-9][A-Z0-9\-/]{2,24})",
    r"(?<![\w#])#\s?([A-Z0-9][A-Z0-9\-]{2,20})",
    r"\bnr\.?\s*([0-9]{4,12})\b",
)

_TRACKING: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("inpost", re.compile(r"(?<!\d)(\d{24})(?!\d)")),
    ("poczta_polska", re.compile(r"(?<!\d)(00\d{18})(?!\d)")),
    ("poczta_polska", re.compile(r"\b(PX\d{10})\b")),
    ("poczta_polska", re.compile(r"\b([A-Z]{2}\d{9}PL)\b")),
    ("dhl", re.compile(r"\b(JJD\d{14,24})\b")),
    ("dpd", re.compile(r"(?<!\d)(\d{13}[A-Z])\b")),
    ("allegro", re.compile(r"\b(A0[0-9A-Z]{8})\b")),
    ("ups", re.compile(r"\b(1Z[0-9A-Z]{16})\b")),
)
# Bare 10/11-digit DHL and 14-digit DPD numbers look like anything else: only with the carrier named.
_CONTEXT_TRACKING: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    ("dhl", re.compile(r"\bdhl\b", re.I), re.compile(r"(?<!\d)(\d{10,11})(?!\d)")),
    ("dpd", re.compile(r"\bdpd\b", re.I), re.compile(r"(?<!\d)(\d{14})(?!\d)")),
)
_PACZKOMAT = re.compile(r"\b([A-Z]{3}\d{2,4}[A-Z]{1,3})\b")
_PACZKOMAT_CONTEXT = re.compile(r"paczkomat\w*|automat\w*|locker|punkt\w*\s+odbioru", re.I)
_PACZKOMAT_BARE = re.compile(r"\b([A-Z]{3}\d{2,4})\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
_NIP = re.compile(
    r"(?<![\w-])(?:PL\s?)?(\d{3}[- ]?\d{3}[- ]?\d{2}[- ]?\d{2}|\d{3}[- ]?\d{2}[- ]?\d{2}[- ]?\d{3})(?![\w-])"
)
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?)\b")
_NRB = re.compile(r"(?<!\d)(\d{2}(?:[ ]?\d{4}){6})(?!\d)")
_CURRENCY = {
    "zł": "PLN",
    "zl": "PLN",
    "pln": "PLN",
    "złotych": "PLN",
    "zlotych": "PLN",
    "złote": "PLN",
    "zlote": "PLN",
    "eur": "EUR",
    "€": "EUR",
    "euro": "EUR",
    "usd": "USD",
    "$": "USD",
    "uah": "UAH",
    "грн": "UAH",
    "gbp": "GBP",
    "£": "GBP",
    "czk": "CZK",
    "kč": "CZK",
}
_CUR = r"(zł|zl|pln|złotych|zlotych|złote|zlote|eur|euro|€|usd|\$|uah|грн|gbp|£|czk|kč)"
_NUM = r"(\d{1,3}(?:[ \u00a0.]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
_AMOUNT_AFTER = re.compile(_NUM + r"\s?" + _CUR + r"(?![\w])", re.I)
_AMOUNT_BEFORE = re.compile(r"(?<![\w])" + _CUR + r"\s?" + _NUM, re.I)

_MONTHS = {
    # Polish genitive/nominative, English, German, Ukrainian (genitive) month names → month number.
    **dict.fromkeys(("stycznia", "styczen", "styczeń", "january", "jan", "januar", "січня"), 1),
    **dict.fromkeys(("lutego", "luty", "february", "feb", "februar", "лютого"), 2),
    **dict.fromkeys(("marca", "marzec", "march", "mar", "märz", "marz", "березня"), 3),
    **dict.fromkeys(("kwietnia", "kwiecien", "kwiecień", "april", "apr", "квітня"), 4),
    **dict.fromkeys(("maja", "maj", "may", "mai", "травня"), 5),
    **dict.fromkeys(("czerwca", "czerwiec", "june", "jun", "juni", "червня"), 6),
    **dict.fromkeys(("lipca", "lipiec", "july", "jul", "juli", "липня"), 7),
    **dict.fromkeys(("sierpnia", "sierpien", "sierpień", "august", "aug", "серпня"), 8),
    **dict.fromkeys(("września", "wrzesnia", "wrzesien", "wrzesień", "september", "sep", "вересня"), 9),
    **dict.fromkeys(
        ("października", "pazdziernika", "październik", "october", "oct", "oktober", "жовтня"), 10
    ),
    **dict.fromkeys(("listopada", "listopad", "november", "nov", "листопада"), 11),
    **dict.fromkeys(("grudnia", "grudzien", "grudzień", "december", "dec", "dezember", "грудня"), 12),
}
_NUMERIC_DATE = re.compile(r"(?<![\d.])(\d{1,2})[./-](\d{1,2})(?:[./-](\d{4}|\d{2}))?(?![\d/-]|\.\d)")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_NAMED_DATE = re.compile(r"(?<!\d)(\d{1,2})\.?\s+([^\W\d_]{3,12})\.?(?:\s+(\d{4}))?", re.I)
_RELATIVE = {
    0: ("dzisiaj", "dziś", "dzis", "today", "heute", "сьогодні"),
    -1: ("wczoraj", "yesterday", "gestern", "вчора"),
    -2: ("przedwczoraj", "vorgestern", "позавчора"),
    1: ("jutro", "tomorrow", "завтра"),  # not German "morgen": "Guten Morgen" is a greeting
}
_RELATIVE_RE = re.compile(
    r"(?<![\w])(" + "|".join(w for ws in _RELATIVE.values() for w in ws) + r")(?![\w])", re.I
)
_RELATIVE_OFFSET = {w: off for off, ws in _RELATIVE.items() for w in ws}


class _Spans:
    def __init__(self) -> None:
        self.taken: list[tuple[int, int]] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self.taken)

    def take(self, start: int, end: int) -> None:
        self.taken.append((start, end))


def _s10_valid(number: str) -> bool:
    digits = [int(c) for c in number[2:11]]
    total = sum(d * w for d, w in zip(digits[:8], (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    check = {10: 0, 11: 5}.get(check, check)
    return check == digits[8]


def compile_order_patterns(patterns: Sequence[str | re.Pattern[str]] | None) -> tuple[re.Pattern[str], ...]:
    """Shop patterns (strings are compiled case-insensitively); a pattern's group 1 is the number.

    An invalid shop pattern is skipped with a warning (a typo in shop settings must not stop the AI);
    when none is usable the default patterns apply.
    """
    compiled = []
    for p in patterns or ():
        if isinstance(p, re.Pattern):
            compiled.append(p)
            continue
        try:
            compiled.append(_compile(p))
        except re.error as exc:
            log.warning("order-number pattern %r ignored: %s", p, exc)
    return tuple(compiled) or tuple(_compile(p) for p in DEFAULT_ORDER_PATTERNS)


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


_DEFAULT_ORDER_RE = compile_order_patterns(None)


def extract_entities(
    text: str,
    order_patterns: Sequence[str | re.Pattern[str]] | None = None,
    today: dt.date | None = None,
) -> Entities:
    spans = _Spans()
    found = Entities()
    _ibans(text, spans, found.ibans)
    _tracking(text, spans, found.tracking_numbers)
    for m in _EMAIL.finditer(text):
        spans.take(*m.span())
        _add(found.emails, m.group(0).lower())
    for m in _NIP.finditer(text):
        compact = re.sub(r"\D", "", m.group(1))
        if spans.free(*m.span(1)) and stdnum_nip.is_valid(compact):
            spans.take(*m.span(1))
            _add(found.nips, compact)
    order_re = compile_order_patterns(order_patterns) if order_patterns else _DEFAULT_ORDER_RE
    for pattern in order_re:
        for m in pattern.finditer(text):
            group = 1 if pattern.groups else 0
            start, end = m.span(group)
            value = m.group(group).strip("-/")
            if any(c.isdigit() for c in value) and spans.free(start, end):
                spans.take(start, end)
                _add(found.order_numbers, value.upper())
    _paczkomats(text, spans, found.paczkomat_codes)
    _phones(text, spans, found.phones)
    _amounts(text, spans, found.amounts)
    _dates(text, spans, found.dates, today or dt.date.today())
    return found


def _add(target: list[Any], value: Any) -> None:
    if value not in target:
        target.append(value)


def _ibans(text: str, spans: _Spans, out: list[str]) -> None:
    for pattern, prefix in ((_IBAN, ""), (_NRB, "PL")):
        for m in pattern.finditer(text):
            compact = prefix + re.sub(r"\s", "", m.group(1)).upper()
            if spans.free(*m.span(1)) and stdnum_iban.is_valid(compact):
                spans.take(*m.span(1))
                _add(out, compact)


def _tracking(text: str, spans: _Spans, out: list[dict[str, str]]) -> None:
    candidates = [(carrier, pattern) for carrier, pattern in _TRACKING]
    candidates += [(carrier, pattern) for carrier, ctx, pattern in _CONTEXT_TRACKING if ctx.search(text)]
    for carrier, pattern in candidates:
        for m in pattern.finditer(text):
            number = m.group(1)
            if not spans.free(*m.span(1)):
                continue
            if carrier == "poczta_polska" and len(number) == 13 and not _s10_valid(number):
                continue
            spans.take(*m.span(1))
            _add(out, {"number": number, "carrier": carrier})


def _paczkomats(text: str, spans: _Spans, out: list[str]) -> None:
    patterns = [_PACZKOMAT]
    if _PACZKOMAT_CONTEXT.search(text):
        patterns.append(_PACZKOMAT_BARE)
    for pattern in patterns:
        for m in pattern.finditer(text):
            if spans.free(*m.span(1)):
                spans.take(*m.span(1))
                _add(out, m.group(1))


def _phones(text: str, spans: _Spans, out: list[str]) -> None:
    for match in phonenumbers.PhoneNumberMatcher(text, "PL", leniency=phonenumbers.Leniency.VALID):
        if not spans.free(match.start, match.end):
            continue
        spans.take(match.start, match.end)
        _add(out, phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))


def _amount_value(raw: str) -> str:
    """ "1 299,99" / "1.299,99" / "49,90" / "49.9" → "1299.99" / "1299.99" / "49.90" / "49.9"."""
    parts = re.fullmatch(r"(.*?)([.,]\d{1,2})?", raw.replace("\u00a0", " "))
    assert parts is not None
    return re.sub(r"[ .]", "", parts.group(1)) + (parts.group(2) or "").replace(",", ".")


def _amounts(text: str, spans: _Spans, out: list[dict[str, str]]) -> None:
    for pattern, num_group, cur_group in ((_AMOUNT_AFTER, 1, 2), (_AMOUNT_BEFORE, 2, 1)):
        for m in pattern.finditer(text):
            if not spans.free(*m.span()):
                continue
            value = _amount_value(m.group(num_group))
            spans.take(*m.span())
            _add(out, {"value": value, "currency": _CURRENCY[m.group(cur_group).lower()]})


def _dates(text: str, spans: _Spans, out: list[str], today: dt.date) -> None:
    def add(start: int, end: int, year: int, month: int, day: int) -> None:
        if not spans.free(start, end):
            return
        try:
            value = dt.date(year, month, day)
        except ValueError:
            return
        spans.take(start, end)
        _add(out, value.isoformat())

    for m in _ISO_DATE.finditer(text):
        add(*m.span(), int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for m in _NUMERIC_DATE.finditer(text):
        year = m.group(3)
        if year is None and m.group(0).count("-") + m.group(0).count("/"):
            continue  # "3-4" is a range, not a date
        full_year = today.year if year is None else (int(year) + 2000 if len(year) == 2 else int(year))
        add(*m.span(), full_year, int(m.group(2)), int(m.group(1)))
    for m in _NAMED_DATE.finditer(text):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            add(*m.span(), int(m.group(3) or today.year), month, int(m.group(1)))
    for m in _RELATIVE_RE.finditer(text):
        if spans.free(*m.span()):
            spans.take(*m.span())
            _add(out, (today + dt.timedelta(days=_RELATIVE_OFFSET[m.group(1).lower()])).isoformat())
