"""Customer content made safe and readable for the case view: e-mail HTML sanitised with nh3 (again, at
render time, whatever its source) and the quoted history of a reply split off so it can be collapsed.
"""

import re
from dataclasses import dataclass

import nh3
from markupsafe import Markup

# Where a reply's quoted history starts in plain text: "> ..." lines or the usual attribution lines.
_QUOTE_START = re.compile(
    r"^\s*(>|(W dniu|Dnia|On|Am|El|Le) .{3,200}(napisał|napisała|napisał\(a\)|wrote|schrieb|escribió|a écrit)"
    r".{0,40}:\s*$|-{2,}\s*(Original Message|Wiadomość oryginalna|Ursprüngliche Nachricht)\s*-{2,})",
    re.IGNORECASE,
)
_HTML_QUOTE = re.compile(r"<blockquote\b", re.IGNORECASE)
# No images from e-mail bodies: remote ones are trackers (and the CSP blocks them anyway); inline
# ones arrive as attachments, which the timeline shows with previews.
_TAGS = nh3.ALLOWED_TAGS - {"img"}


def _clean(html: str) -> str:
    return nh3.clean(html, tags=_TAGS)


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


def split_html(html: str) -> Body:
    """Sanitise, then cut at the first ``<blockquote>``; each half is sanitised on its own, which also
    closes the tags the cut left open."""
    clean = _clean(html)
    found = _HTML_QUOTE.search(clean)
    if not found or found.start() == 0:
        return Body(Markup(clean), "", html=True)  # noqa: S704 (nh3 output)
    main, quoted = clean[: found.start()], clean[found.start() :]
    return Body(Markup(_clean(main)), Markup(_clean(quoted)), html=True)  # noqa: S704 (nh3 output)


def message_body(text: str, html: str | None) -> Body:
    return split_html(html) if html else split_text(text)
