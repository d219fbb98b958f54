"""Customer content made safe and readable for the case view: e-mail HTML sanitised with nh3 (again, at
render time, whatever its source), inline ``cid:`` images pointed at the message's own attachments and
the quoted history of a reply split off so it can be collapsed.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from urllib.parse import unquote

import nh3
from markupsafe import Markup

# Where a reply's quoted history starts in plain text: "> ..." lines or the usual attribution lines.
_QUOTE_START = re.compile(
    r"^\s*(>|(W dniu|Dnia|On|Am|El|Le) .{3,200}(napisał|napisała|napisał\(a\)|wrote|schrieb|escribió|a écrit)"
    r".{0,40}:\s*$|-{2,}\s*(Original Message|Wiadomość oryginalna|Ursprüngliche Nachricht)\s*-{2,})",
    re.IGNORECASE,
)
_HTML_QUOTE = re.compile(r"<blockquote\b", re.IGNORECASE)
# Images only from the message's own attachments (``cid:``): remote ones are trackers (and the CSP
# blocks them anyway). An image keeps no attribute but ``src``, so one left without it is exactly
# ``<img>`` and is cut out.
_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "img": {"src"}}
_URL_SCHEMES = nh3.ALLOWED_URL_SCHEMES | {"cid"}


def _inline_images(images: Mapping[str, str], element: str, attribute: str, value: str) -> str | None:
    is_cid = value.strip().lower().startswith("cid:")
    if element != "img" or attribute != "src":
        return None if is_cid else value
    if is_cid:
        return images.get(unquote(value.strip()[4:]).strip().strip("<>").lower())
    return value if value in images.values() else None  # already resolved (the halves' second pass)


def _clean(html: str, images: Mapping[str, str]) -> str:
    clean = nh3.clean(
        html,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        attribute_filter=partial(_inline_images, images),
    )
    return clean.replace("<img>", "")


@dataclass(frozen=True)
class Body:
    """A message body for display: the new part and the quoted history (either may be empty)."""

    main: str | Markup
    quoted: str | Markup
    html: bool


def split_text(text: str) -> Body:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if i > 0 and _QUOTE_START.match(line):
            return Body("\n".join(lines[:i]).rstrip(), "\n".join(lines[i:]), html=False)
    return Body(text, "", html=False)


def split_html(html: str, images: Mapping[str, str] | None = None) -> Body:
    """Sanitise, then cut at the first ``<blockquote>``; each half is sanitised on its own, which also
    closes the tags the cut left open. ``images`` maps a content id to the URL its ``cid:`` image shows;
    an image with no entry is dropped."""
    images = images or {}
    clean = _clean(html, images)
    found = _HTML_QUOTE.search(clean)
    if not found or found.start() == 0:
        return Body(Markup(clean), "", html=True)  # noqa: S704 (nh3 output)
    main, quoted = clean[: found.start()], clean[found.start() :]
    return Body(Markup(_clean(main, images)), Markup(_clean(quoted, images)), html=True)  # noqa: S704 (nh3 output)


def message_body(text: str, html: str | None, images: Mapping[str, str] | None = None) -> Body:
    return split_html(html, images) if html else split_text(text)
