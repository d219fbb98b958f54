"""Which carrier a shop's free-text carrier name means, and the public tracking page of a parcel.

Used as the fallback when Sprawa has no tracking API for a carrier (DPD, DHL, Poczta Polska...): the agent
and the customer get the carrier's own tracking page instead of a status.
"""

import re
from urllib.parse import quote

#: Carrier code → public tracking URL (``{n}`` is the URL-quoted tracking number).
TRACKING_URLS = {
    "inpost": "https://inpost.pl/sledzenie-przesylek?number={n}",
    "dpd": "https://tracktrace.dpd.com.pl/parcelDetails?typ=1&p1={n}",
    "dhl": "https://www.dhl.com/pl-pl/home/sledzenie.html?tracking-id={n}",
    "poczta_polska": "https://emonitoring.poczta-polska.pl/?numer={n}",
    "gls": "https://gls-group.com/PL/pl/sledzenie-paczek?match={n}",
    "ups": "https://www.ups.com/track?tracknum={n}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={n}",
    "orlen": "https://www.orlenpaczka.pl/sledz-paczke/?numer={n}",
}

_NAMES = [
    (re.compile(r"inpost|paczkomat|easypack", re.I), "inpost"),
    (re.compile(r"\bdpd\b", re.I), "dpd"),
    (re.compile(r"\bdhl\b", re.I), "dhl"),
    (re.compile(r"poczta|pocztex|\bpp\b|envelo", re.I), "poczta_polska"),
    (re.compile(r"\bgls\b", re.I), "gls"),
    (re.compile(r"\bups\b", re.I), "ups"),
    (re.compile(r"fedex", re.I), "fedex"),
    (re.compile(r"orlen|ruch", re.I), "orlen"),
]


def carrier_code(name: str | None) -> str:
    """``inpost``, ``dpd``, ``dhl``, ``poczta_polska``... for a shop's carrier name; ``other`` if unknown."""
    for pattern, code in _NAMES:
        if name and pattern.search(name):
            return code
    return "other"


def tracking_url(carrier: str, number: str | None) -> str | None:
    template = TRACKING_URLS.get(carrier)
    if not template or not number:
        return None
    return template.format(n=quote(number.strip(), safe=""))
