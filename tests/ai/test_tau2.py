"""τ²-bench retail: the replay matches the spec's reading of the benchmark; policy violations are refused."""

import json
from pathlib import Path

import pytest

from sprawa.ai.tau2 import Replay, RetailTools, same
from sprawa.ai.tau2_reference import reference_run
from sprawa.commerce.tau2 import default_db_path

DB = default_db_path()
pytestmark = pytest.mark.skipif(DB is None, reason="shared/evals/tau2-bench-retail not available")


@pytest.fixture(scope="module")
def loaded():  # type: ignore[no-untyped-def]
    assert DB is not None
    with Replay.open(DB) as replay:
        yield replay


@pytest.fixture(scope="module")
def tasks():  # type: ignore[no-untyped-def]
    assert DB is not None
    return json.loads(DB.with_name("tasks.json").read_text(encoding="utf-8"))


def test_every_task_matches_the_benchmark_tools(loaded, tasks):  # type: ignore[no-untyped-def]
    mismatched = [t["id"] for t in tasks if not same(loaded.run(t), reference_run(loaded.base, t))]
    assert mismatched == []


def test_the_known_failures_of_the_gold_actions(loaded, tasks):  # type: ignore[no-untyped-def]
    results = [loaded.run(t) for t in tasks if t["id"] in ("64", "105")]
    assert [a["result"] for a in results[0]["actions"] if not a["ok"]] == [
        "Non-delivered order cannot be exchanged"
    ]
    assert (
        results[1]["actions"][0]["result"] == "Insufficient gift card balance to pay for the price difference"
    )
    assert results[1]["changed"] == []


def _task(*actions: tuple[str, dict]) -> dict:  # type: ignore[type-arg]
    return {"id": "t", "evaluation_criteria": {"actions": [{"name": n, "arguments": a} for n, a in actions]}}


def test_a_write_for_a_second_customer_is_refused_with_a_reason(loaded):  # type: ignore[no-untyped-def]
    other = next(
        o
        for o in loaded.base["orders"].values()
        if o["status"] == "pending" and o["user_id"] != "noah_brown_6181"
    )
    result = loaded.run(
        _task(
            ("find_user_id_by_email", {"email": "noah.brown7922@example.com"}),
            ("cancel_pending_order", {"order_id": other["order_id"], "reason": "no longer needed"}),
        )
    )
    refused = result["actions"][1]
    assert refused["ok"] is False and refused["result"].startswith("Policy: this conversation is with user")
    assert result["changed"] == []


@pytest.mark.parametrize(
    ("action", "args", "error"),
    [
        ("cancel_pending_order", {"order_id": "#W5918442", "reason": "too expensive"}, "Invalid reason"),
        ("cancel_pending_order", {"order_id": "W2611340", "reason": "no longer needed"}, "Order not found"),
        ("calculate", {"expression": "2 ** 3; import os"}, "Invalid characters in expression"),
        ("calculate", {"expression": "1 / 0"}, "division by zero"),
        (
            "get_order_details",
            {},
            "RetailTools.get_order_details() missing 1 required positional argument: 'order_id'",
        ),
        ("drop_tables", {}, "Tool 'drop_tables' not found."),
    ],
)
def test_bad_calls_get_the_benchmark_error_texts(loaded, action, args, error):  # type: ignore[no-untyped-def]
    [result] = loaded.run(_task((action, args)))["actions"]
    assert (result["ok"], result["result"]) == (False, error)


def test_refund_to_a_card_that_did_not_pay_is_refused(loaded):  # type: ignore[no-untyped-def]
    base = loaded.base
    order = next(o for o in base["orders"].values() if o["status"] == "delivered")
    user = base["users"][order["user_id"]]
    paid_with = order["payment_history"][0]["payment_method_id"]
    other = next(
        (m for m, v in user["payment_methods"].items() if m != paid_with and v["source"] != "gift_card"), None
    )
    if other is None:
        pytest.skip("no second non-gift-card method")
    args = {
        "order_id": order["order_id"],
        "item_ids": [order["items"][0]["item_id"]],
        "payment_method_id": other,
    }
    [result] = loaded.run(_task(("return_delivered_order_items", args)))["actions"]
    assert result == {
        "name": "return_delivered_order_items",
        "ok": False,
        "result": "Payment method should be the original payment method",
    }


def test_cli_writes_the_results_file(tmp_path: Path, tasks):  # type: ignore[no-untyped-def]
    from sprawa.cli import main

    few = tmp_path / "tasks.json"
    few.write_text(json.dumps(tasks[:3]), encoding="utf-8")
    out = tmp_path / "results.json"
    main(["tau2", "replay", "--tasks", str(few), "--db", str(DB), "--out", str(out)])
    written = json.loads(out.read_text(encoding="utf-8"))
    assert [t["id"] for t in written["tasks"]] == ["0", "1", "2"]
    assert {c["table"] for t in written["tasks"] for c in t["changed"]} <= {"users", "orders", "products"}
    assert RetailTools.__name__ == "RetailTools"
