"""`sprawa triage`: the JSON-lines contract, bad lines, streaming."""

import io
import json
import os
import subprocess
import sys

from sprawa.ai.nlu.triage import triage_stream

FIELDS = [
    "id", "language", "intent", "intent_confidence", "alternatives",
    "frustration", "escalate", "escalation_reasons", "entities",
]  # fmt: skip


def run(nlu, lines: list[bytes], **kwargs) -> tuple[list[dict], tuple[int, int]]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    counts = triage_stream(lines, out, nlu, **kwargs)
    return [json.loads(line) for line in out.getvalue().splitlines()], counts


def test_one_output_line_per_input_with_the_contract_fields(nlu) -> None:  # type: ignore[no-untyped-def]
    lines = [
        json.dumps(
            {"id": 1, "text": "Gdzie jest moja paczka? zamówienie 12345", "channel": "webchat"}
        ).encode(),
        json.dumps({"id": "b", "text": "Chcę rozmawiać z człowiekiem", "channel": "email"}).encode() + b"\n",
    ]
    results, counts = run(nlu, lines)
    assert counts == (2, 0)
    assert [r["id"] for r in results] == [1, "b"]
    assert all(list(r) == FIELDS for r in results)
    assert results[0]["intent"] == "order_status" and results[0]["entities"]["order_numbers"] == ["12345"]
    assert results[1]["escalate"] is True and results[1]["escalation_reasons"] == ["human_request"]


def test_bad_lines_give_an_error_line_and_the_run_goes_on(nlu) -> None:  # type: ignore[no-untyped-def]
    lines = [
        b"{not json",
        b"",
        b"[1, 2]",
        json.dumps({"id": 7, "text": 42}).encode(),
        json.dumps({"text": "no id"}).encode(),
        b"\xff\xfe",
        json.dumps({"id": 9, "text": "Dziękuję!"}).encode(),
    ]
    results, counts = run(nlu, lines)
    assert counts == (1, 5)
    errors = [r for r in results if "error" in r]
    assert [e["error"].split(":")[0] for e in errors] == ["line 1", "line 3", "line 4", "line 5", "line 6"]
    assert "invalid JSON" in errors[0]["error"] and errors[2]["id"] == 7 and '"text"' in errors[2]["error"]
    assert results[-1]["id"] == 9 and results[-1]["intent"] == "other"


def test_shop_order_pattern(nlu) -> None:  # type: ignore[no-untyped-def]
    line = json.dumps({"id": 1, "text": "moje zamówienie SK-123456 i 999"}).encode()
    results, _ = run(nlu, [line], order_patterns=[r"\b(SK-\d{6})\b"])
    assert results[0]["entities"]["order_numbers"] == ["SK-123456"]


def test_cli_subprocess_streams_stdin_to_stdout() -> None:
    payload = "\n".join(
        [
            json.dumps({"id": i, "text": t, "channel": "webchat"})
            for i, t in enumerate(["Gdzie paczka?", "Hallo"])
        ]
        + ["oops"]
    )
    proc = subprocess.run(
        [sys.executable, "-m", "sprawa.cli", "triage"],
        input=payload.encode(),
        capture_output=True,
        timeout=180,
        env={**os.environ, "SPRAWA_LOG_LEVEL": "WARNING"},
        check=True,
    )
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [line.get("id") for line in lines] == [0, 1, None]
    assert lines[0]["intent"] == "order_status" and "error" in lines[2]
    assert b"2 message(s), 1 bad line(s)" in proc.stderr
