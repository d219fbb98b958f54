"""PII masking for text sent to an external LLM: values become placeholders, restored in the reply.

``mask_for_llm("Jestem Anna Nowak, anna@x.pl")`` → ``("Jestem [NAME_1], [EMAIL_1]", {"[NAME_1]": "Anna
Nowak", "[EMAIL_1]": "anna@x.pl"})``; ``unmask(reply, mapping)`` puts the values back. The same value gets the
same placeholder, so the model can still tell two people or two addresses apart.

Detected: e-mail addresses, phone numbers, IBANs, PESEL numbers (checksum), payment card numbers (Luhn),
street addresses and postcodes, and personal names — names the caller knows (the customer's, the agent's)
plus first names from Faker's Polish, English, German and Ukrainian name lists followed by a capitalised word.
Regular expressions cannot find every name: a local model is the option for shops that need more.
"""

import re
from collections.abc import Iterable
from functools import cache

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
# 26 digits written in the Polish NRB form (without the country code).
_NRB = re.compile(r"\b\d{2}(?:[ ]?\d{4}){6}\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PESEL = re.compile(r"\b\d{11}\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d \-()]{7,16}\d(?!\w)")
_POSTCODE_CITY = re.compile(r"\b\d{2}-\d{3}(?:[ ]+[A-ZĄĆĘŁŃÓŚŹŻ][\wąćęłńóśźż-]+)?")
_STREET = re.compile(
    r"\b(?:ul\.|ulica|al\.|aleja|os\.|osiedle|pl\.|plac)\s+[\wąćęłńóśźżĄĆĘŁŃÓŚŹŻ.\- ]{2,40}?\s\d+[a-zA-Z]?"
    r"(?:\s?/\s?\d+[a-zA-Z]?|\s+m\.\s?\d+)?",
    re.IGNORECASE,
)
_CAPITALISED = r"[A-ZĄĆĘŁŃÓŚŹŻА-ЯІЇЄҐÄÖÜ][a-ząćęłńóśźżа-яіїєґäöüß]+(?:-[A-ZĄĆĘŁŃÓŚŹŻ][a-ząćęłńóśźż]+)?"
_NAME_PAIR = re.compile(rf"\b({_CAPITALISED})(?:\s+({_CAPITALISED}))?")
_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


@cache
def _first_names() -> frozenset[str]:
    from faker.providers.person.de_DE import Provider as German
    from faker.providers.person.en_US import Provider as English
    from faker.providers.person.pl_PL import Provider as Polish
    from faker.providers.person.uk_UA import Provider as Ukrainian

    names: set[str] = set()
    for provider in (Polish, English, German, Ukrainian):
        names.update(provider.first_names_male)
        names.update(provider.first_names_female)
    return frozenset(n for n in names if len(n) > 2)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _pesel(digits: str) -> bool:
    check = sum(int(d) * w for d, w in zip(digits, _PESEL_WEIGHTS, strict=False)) % 10
    return (10 - check) % 10 == int(digits[10])


class _Masker:
    def __init__(self) -> None:
        self.mapping: dict[str, str] = {}
        self._by_value: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}

    def placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._by_value:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            token = f"[{kind}_{self._counts[kind]}]"
            self._by_value[key] = token
            self.mapping[token] = value
        return self._by_value[key]

    def sub(self, pattern: re.Pattern[str], kind: str, text: str, valid=None) -> str:  # type: ignore[no-untyped-def]
        def repl(match: re.Match[str]) -> str:
            value = match.group(0)
            if valid is not None and not valid(value):
                return value
            return self.placeholder(kind, value)

        return pattern.sub(repl, text)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def mask_for_llm(text: str, *, names: Iterable[str] = ()) -> tuple[str, dict[str, str]]:
    """``text`` with personal data replaced by placeholders, and the placeholder → value mapping.

    ``names``: names known to be in play (customer, agent), masked wherever they appear, also alone.
    """
    m = _Masker()
    text = m.sub(_EMAIL, "EMAIL", text)
    text = m.sub(_IBAN, "IBAN", text)
    text = m.sub(_NRB, "IBAN", text)
    text = m.sub(_CARD, "CARD", text, lambda v: 13 <= len(_digits(v)) <= 19 and _luhn(_digits(v)))
    text = m.sub(_PESEL, "PESEL", text, _pesel)
    text = m.sub(_PHONE, "PHONE", text, lambda v: 9 <= len(_digits(v)) <= 15)
    text = m.sub(_STREET, "ADDRESS", text)
    text = m.sub(_POSTCODE_CITY, "ADDRESS", text)
    known = sorted({n.strip() for n in names if n and len(n.strip()) > 1}, key=len, reverse=True)
    for name in known:
        parts = [name, *name.split()]
        for part in parts:
            if len(part) > 2:
                text = re.sub(rf"\b{re.escape(part)}\b", lambda _m, p=part: m.placeholder("NAME", p), text)
    first_names = _first_names()

    def name_repl(match: re.Match[str]) -> str:
        first, last = match.group(1), match.group(2)
        if first not in first_names:
            return match.group(0)
        value = f"{first} {last}" if last else first
        return m.placeholder("NAME", value)

    text = _NAME_PAIR.sub(name_repl, text)
    return text, m.mapping


_PLACEHOLDER = re.compile(r"\[(?:EMAIL|IBAN|CARD|PESEL|PHONE|ADDRESS|NAME)_\d+\]")


def unmask(text: str, mapping: dict[str, str]) -> str:
    """``text`` (e.g. the model's reply) with the placeholders of ``mapping`` restored; unknown ones stay."""
    return _PLACEHOLDER.sub(lambda match: mapping.get(match.group(0), match.group(0)), text)
