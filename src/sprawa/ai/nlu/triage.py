"""``sprawa triage``: JSON lines ``{"id", "text", "channel"}`` on stdin → one JSON line per input on stdout.

Output line (stable contract, used by evaluation tooling): ``{"id", "language", "intent",
"intent_confidence", "alternatives": [[intent, score], ...], "frustration", "escalate",
"escalation_reasons": [...], "entities": {...}}``. A bad input line yields
``{"id": <id or null>, "error": "line N: ..."}`` in its place and the run goes on; blank lines are
skipped. Models load once; lines are processed as they arrive (one flush per line), so the command
streams any number of lines in constant memory.
"""

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable
from typing import IO, Any

from sprawa.ai.nlu import NLU, get_nlu


class BadLine(ValueError):
    def __init__(self, message: str, id: Any = None) -> None:  # noqa: A002
        super().__init__(message)
        self.id = id


def parse_line(raw: bytes) -> tuple[Any, str, str]:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadLine(f"not UTF-8 ({exc.reason})") from exc
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"invalid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(item, dict):
        raise BadLine("expected a JSON object with id, text, channel")
    item_id = item.get("id")
    if "id" not in item:
        raise BadLine('missing "id"')
    text = item.get("text")
    if not isinstance(text, str):
        raise BadLine('"text" must be a string', item_id)
    channel = item.get("channel") or "webchat"
    if not isinstance(channel, str):
        raise BadLine('"channel" must be a string', item_id)
    return item_id, text, channel


def triage_stream(
    lines: Iterable[bytes],
    out: IO[str],
    nlu: NLU,
    order_patterns: list[str] | None = None,
    case_language: str | None = None,
) -> tuple[int, int]:
    """Process lines until EOF; returns (results written, error lines written)."""
    done = errors = 0
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            item_id, text, channel = parse_line(raw.rstrip(b"\r\n"))
            result = nlu.understand(
                text, channel=channel, order_patterns=order_patterns, case_language=case_language
            )
            record: dict[str, Any] = result.as_json(item_id)
            done += 1
        except BadLine as exc:
            record = {"id": exc.id, "error": f"line {number}: {exc}"}
            errors += 1
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return done, errors


def cmd_triage(settings: Any, args: argparse.Namespace) -> None:
    patterns = args.order_pattern or None
    for pattern in patterns or ():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise SystemExit(
                f"triage: --order-pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from exc
    nlu = get_nlu(settings.nlu_cache_dir)
    try:
        done, errors = triage_stream(sys.stdin.buffer, sys.stdout, nlu, patterns, args.language)
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    print(f"triage: {done} message(s), {errors} bad line(s)", file=sys.stderr)


def add_triage_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "triage", help="understand messages: JSON lines {id, text, channel} on stdin → JSON lines"
    )
    p.add_argument(
        "--order-pattern",
        action="append",
        metavar="REGEX",
        help="the shop's order-number pattern (group 1 = the number); repeatable; default: built-in patterns",
    )
    p.add_argument("--language", default=None, help="language for messages too short to detect (default pl)")
    p.set_defaults(handler=cmd_triage)
