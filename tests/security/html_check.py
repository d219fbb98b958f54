"""A strict reader of a rendered page: anything that could run script or break the CSP is reported.

The agent UI's own markup never has event-handler or style attributes, script-like URLs, frames, SVG or
scripts without the page's nonce, so every such finding on a page showing customer content is an
injection that got through.
"""

from html.parser import HTMLParser

URL_ATTRS = {"href", "src", "action", "formaction", "background", "xlink:href", "data", "poster", "srcset"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
FORBIDDEN_TAGS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "svg",
    "math",
    "isindex",
}


class _Checker(HTMLParser):
    def __init__(self, nonce: str) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        where = f"<{tag} {' '.join(n for n, _ in attrs)}>"
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"forbidden element {where}")
        if tag in ("script", "style") and values.get("nonce") != self.nonce:
            self.problems.append(f"{tag} without the page nonce {where}")
        if tag == "script" and "src" in values and not values["src"].startswith("/static/"):
            self.problems.append(f"foreign script {values['src']!r}")
        if tag == "link" and not values.get("href", "").startswith("/static/"):
            self.problems.append(f"foreign link {values.get('href')!r}")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append(f"meta http-equiv {values['http-equiv']!r}")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on {where}")
            if name in ("style", "srcdoc"):
                self.problems.append(f"{name} attribute on {where}")
            squashed = "".join(ch for ch in value.lower() if ch > " ")
            if name in URL_ATTRS and squashed.startswith(BAD_SCHEMES):
                self.problems.append(f"{name}={value!r} on {where}")

    handle_startendtag = handle_starttag


def page_problems(html: str, nonce: str) -> list[str]:
    checker = _Checker(nonce)
    checker.feed(html)
    checker.close()
    return checker.problems


def csp_nonce(csp: str) -> str:
    for part in csp.split():
        if part.startswith("'nonce-"):
            return part.removeprefix("'nonce-").rstrip("';")
    return ""
