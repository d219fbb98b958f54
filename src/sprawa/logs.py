"""Structured JSON logs. Personal data never goes into a log line: log ids, not names or texts.

Every line is one JSON object on stderr. Inside an HTTP request the line carries the request's id
(``X-Request-Id``), so one request can be followed through the server's logs. The masking below is the
last line of defence, not a licence to log texts: code logs ids and counts, never bodies.
"""

import json
import logging
import re
import sys
from contextvars import ContextVar
from typing import Any

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    # uvicorn duplicates its message with ANSI colours under this key
    "color_message",
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# A run of digits, spaces and dashes (optionally after "+"); masked when it holds 9+ digits, the length
# of a Polish phone number, so that dates ("2025-01-31") and small counts stay readable.
_DIGIT_RUN = re.compile(r"(?<!\w)\+?\(?\d[\d \-()]{6,}\d(?!\w)")
_MIN_PHONE_DIGITS = 9
# Credentials in URLs (uvicorn logs WebSocket request lines with their query string).
_SECRET_PARAM = re.compile(r"((?:token|key|secret|password)=)[^&\s\"']+", re.IGNORECASE)

# Libraries that log whole URLs (query strings may carry tokens or e-mail addresses) at INFO.
QUIET_LOGGERS = ("httpx", "httpcore")

request_id_var: ContextVar[str | None] = ContextVar("sprawa_request_id", default=None)


def _mask_digits(match: re.Match[str]) -> str:
    text = match.group(0)
    return "[phone]" if sum(ch.isdigit() for ch in text) >= _MIN_PHONE_DIGITS else text


def mask_pii(text: str) -> str:
    """Last line of defence: e-mail addresses, phone numbers and URL secrets are masked in any logged text."""
    return _SECRET_PARAM.sub(r"\1[secret]", _DIGIT_RUN.sub(_mask_digits, _EMAIL.sub("[email]", text)))


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {str(k): _mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_value(v) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return mask_pii(str(value))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": mask_pii(record.getMessage()),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            data["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                data[key] = _mask_value(value)
        if record.exc_info:
            data["exc"] = mask_pii(self.formatException(record.exc_info))
        return json.dumps(data, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the whole process (uvicorn's loggers propagate here too)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    quiet_noisy_loggers()


def quiet_noisy_loggers() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
