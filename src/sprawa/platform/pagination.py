"""Opaque keyset cursors: the sort key of the last row of a page, base64url-encoded JSON."""

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sprawa.platform.errors import InvalidInput

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_CURSOR_CHARS = 512


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


def encode_cursor(kind: str, *values: Any) -> str:
    """A cursor for ``kind`` (the list and its sort) holding ``values`` (datetimes as ISO strings)."""
    raw = [kind, *(v.isoformat() if isinstance(v, datetime) else v for v in values)]
    return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, size: int) -> list[Any]:
    """The ``size`` values of a cursor made by ``encode_cursor(kind, ...)``; InvalidCursor otherwise.

    A cursor of another list or sort is refused rather than silently giving a wrong page.
    """
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor("the cursor is too long")
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("the cursor is not one this API made") from exc
    if not isinstance(raw, list) or len(raw) != size + 1 or raw[0] != kind:
        raise InvalidCursor("the cursor belongs to another list or sort order")
    return raw[1:]


def cursor_datetime(value: Any) -> datetime | None:
    """A timestamp read back from a cursor (None stays None); must carry its UTC offset."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidCursor("the cursor is damaged")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidCursor("the cursor is damaged") from exc
    if parsed.tzinfo is None:
        raise InvalidCursor("the cursor is damaged")
    return parsed


def cursor_str(value: Any, max_length: int = 64) -> str:
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise InvalidCursor("the cursor is damaged")
    return value


def cursor_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidCursor("the cursor is damaged")
    return value
