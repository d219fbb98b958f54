"""UI text: Polish is written in templates and code; other languages are catalogs keyed by the Polish.

Each feature keeps its own catalog file, ``i18n/<lang>/<feature>.json`` (``{"Polski tekst": "English"}``),
so features add text without touching each other's files. A missing entry falls back to Polish.
"""

import json
from functools import cache
from pathlib import Path

LANGUAGES = {"pl": "Polski", "en": "English"}
DEFAULT_LANGUAGE = "pl"
_CATALOGS = Path(__file__).parent / "i18n"


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((_CATALOGS / lang).glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def translate(text: str, lang: str, **values: object) -> str:
    """``text`` in ``lang`` with ``{name}`` placeholders filled from ``values``."""
    if lang != DEFAULT_LANGUAGE:
        text = catalog(lang).get(text, text)
    return text.format(**values) if values else text
