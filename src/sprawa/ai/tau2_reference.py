"""An independent, dictionary-level reading of τ²-bench's retail tools (``TOOLS-SPEC.md``).

It is the yardstick of the replay: it works on a plain copy of ``db.json`` with no Sprawa code, exactly
as the spec describes the benchmark (check order, error texts, unrounded item-change money, the
last-variant price quirk, no rollback). ``sprawa eval`` and the tests compare the replay with it.
"""

import copy
import json
from typing import Any

from sprawa.ai.arithmetic import evaluate

OPTIONAL = (
    "cancel_reason",
    "exchange_items",
    "exchange_new_items",
    "exchange_payment_method_id",
    "exchange_price_difference",
    "return_items",
    "return_payment_method_id",
)


class _Err(Exception):
    pass


def _order(db: dict[str, Any], order_id: str) -> dict[str, Any]:
    if order_id not in db["orders"]:
        raise _Err("Order not found")
    return db["orders"][order_id]


def _user(db: dict[str, Any], user_id: str) -> dict[str, Any]:
    if user_id not in db["users"]:
        raise _Err("User not found")
    return db["users"][user_id]


def _method(db: dict[str, Any], order: dict[str, Any], method_id: str) -> dict[str, Any]:
    user = _user(db, order["user_id"])
    if method_id not in user["payment_methods"]:
        raise _Err("Payment method not found")
    return user["payment_methods"][method_id]


def _variant(db: dict[str, Any], product_id: str, item_id: str) -> dict[str, Any]:
    variants = db["products"][product_id]["variants"]
    if item_id not in variants:
        raise _Err("Variant not found")
    return variants[item_id]


def _counts(order: dict[str, Any], item_ids: list[str], message: str) -> None:
    ids = [i["item_id"] for i in order["items"]]
    for item_id in item_ids:
        if item_ids.count(item_id) > ids.count(item_id):
            raise _Err(message.format(item_id=item_id))


def _dump(order: dict[str, Any]) -> dict[str, Any]:
    return {**order, **{k: order.get(k) for k in OPTIONAL}}


def _address(args: dict[str, Any]) -> dict[str, str]:
    fields = ("address1", "address2", "city", "country", "state", "zip")
    for f in fields:
        if not isinstance(args[f], str):
            raise _Err(f"invalid {f}")
    return {f: args[f] for f in fields}


def _call(db: dict[str, Any], name: str, a: dict[str, Any]) -> Any:  # noqa: C901 - one branch per tool
    if name == "find_user_id_by_email":
        for uid, u in db["users"].items():
            if u["email"].lower() == a["email"].lower():
                return uid
        raise _Err("User not found")
    if name == "find_user_id_by_name_zip":
        for uid, u in db["users"].items():
            n = u["name"]
            if (
                n["first_name"].lower() == a["first_name"].lower()
                and n["last_name"].lower() == a["last_name"].lower()
                and u["address"]["zip"] == a["zip"]
            ):
                return uid
        raise _Err("User not found")
    if name == "get_user_details":
        return _user(db, a["user_id"])
    if name == "get_order_details":
        return _dump(_order(db, a["order_id"]))
    if name == "get_product_details":
        if a["product_id"] not in db["products"]:
            raise _Err("Product not found")
        return db["products"][a["product_id"]]
    if name == "get_item_details":
        for p in db["products"].values():
            if a["item_id"] in p["variants"]:
                return p["variants"][a["item_id"]]
        raise _Err("Item not found")
    if name == "list_all_product_types":
        return json.dumps(dict(sorted((p["name"], p["product_id"]) for p in db["products"].values())))
    if name == "calculate":
        try:
            return str(round(float(evaluate(a["expression"])), 2))
        except Exception as exc:
            raise _Err(str(exc)) from exc
    if name == "transfer_to_human_agents":
        return "Transfer successful"
    if name == "cancel_pending_order":
        order = _order(db, a["order_id"])
        if order["status"] != "pending":
            raise _Err("Non-pending order cannot be cancelled")
        if a["reason"] not in ("no longer needed", "ordered by mistake"):
            raise _Err("Invalid reason")
        refunds = []
        for entry in order["payment_history"]:
            method = _method(db, order, entry["payment_method_id"])
            refunds.append(
                {
                    "transaction_type": "refund",
                    "amount": entry["amount"],
                    "payment_method_id": entry["payment_method_id"],
                }
            )
            if method["source"] == "gift_card":
                method["balance"] = round(method["balance"] + entry["amount"], 2)
        order["status"] = "cancelled"
        order["cancel_reason"] = a["reason"]
        order["payment_history"].extend(refunds)
        return _dump(order)
    if name == "modify_pending_order_address":
        order = _order(db, a["order_id"])
        if "pending" not in order["status"]:
            raise _Err("Non-pending order cannot be modified")
        order["address"] = _address(a)
        return _dump(order)
    if name == "modify_user_address":
        user = _user(db, a["user_id"])
        user["address"] = _address(a)
        return user
    if name == "modify_pending_order_payment":
        order = _order(db, a["order_id"])
        if "pending" not in order["status"]:
            raise _Err("Non-pending order cannot be modified")
        new = _method(db, order, a["payment_method_id"])
        history = order["payment_history"]
        if len(history) != 1 or history[0]["transaction_type"] != "payment":
            raise _Err("There should be exactly one payment for a pending order")
        old_id, amount = history[0]["payment_method_id"], history[0]["amount"]
        if old_id == a["payment_method_id"]:
            raise _Err("The new payment method should be different from the current one")
        if new["source"] == "gift_card" and new["balance"] < amount:
            raise _Err("Insufficient gift card balance to pay for the order")
        history.append(
            {"transaction_type": "payment", "amount": amount, "payment_method_id": a["payment_method_id"]}
        )
        history.append({"transaction_type": "refund", "amount": amount, "payment_method_id": old_id})
        if new["source"] == "gift_card":
            new["balance"] = round(new["balance"] - amount, 2)
        old = _method(db, order, old_id)
        if old["source"] == "gift_card":
            old["balance"] = round(old["balance"] + amount, 2)
        return _dump(order)
    if name in ("modify_pending_order_items", "exchange_delivered_order_items"):
        exchange = name == "exchange_delivered_order_items"
        order = _order(db, a["order_id"])
        if exchange and order["status"] != "delivered":
            raise _Err("Non-delivered order cannot be exchanged")
        if not exchange and order["status"] != "pending":
            raise _Err("Non-pending order cannot be modified")
        old_ids, new_ids = a["item_ids"], a["new_item_ids"]
        _counts(order, old_ids, "Number of {item_id} not found." if exchange else "{item_id} not found")
        if len(old_ids) != len(new_ids):
            raise _Err("The number of items to be exchanged should match" + ("." if exchange else ""))
        diff: float = 0
        variant = None
        for old_id, new_id in zip(old_ids, new_ids, strict=True):
            if not exchange and old_id == new_id:
                raise _Err("The new item id should be different from the old item id")
            item = next(i for i in order["items"] if i["item_id"] == old_id)
            variant = _variant(db, item["product_id"], new_id)
            if not variant["available"]:
                raise _Err(f"New item {new_id} not found or available")
            diff += variant["price"] - item["price"]
        if exchange:
            diff = round(diff, 2)
        method = _method(db, order, a["payment_method_id"])
        if method["source"] == "gift_card" and method["balance"] < diff:
            raise _Err(
                "Insufficient gift card balance to pay for the "
                + ("price difference" if exchange else "new item")
            )
        if exchange:
            order["status"] = "exchange requested"
            order["exchange_items"] = sorted(old_ids)
            order["exchange_new_items"] = sorted(new_ids)
            order["exchange_payment_method_id"] = a["payment_method_id"]
            order["exchange_price_difference"] = diff
            return _dump(order)
        order["payment_history"].append(
            {
                "transaction_type": "payment" if diff > 0 else "refund",
                "amount": abs(diff),
                "payment_method_id": a["payment_method_id"],
            }
        )
        if method["source"] == "gift_card":
            method["balance"] = round(method["balance"] - diff, 2)
        for old_id, new_id in zip(old_ids, new_ids, strict=True):
            item = next(i for i in order["items"] if i["item_id"] == old_id)
            new_variant = _variant(db, item["product_id"], new_id)
            # Each item its own variant (the conformance note accepts this instead of the last-variant quirk).
            item.update(item_id=new_id, price=new_variant["price"], options=new_variant["options"])
        order["status"] = "pending (item modified)"
        return _dump(order)
    if name == "return_delivered_order_items":
        order = _order(db, a["order_id"])
        if order["status"] != "delivered":
            raise _Err("Non-delivered order cannot be returned")
        method = _method(db, order, a["payment_method_id"])
        if (
            method["source"] != "gift_card"
            and a["payment_method_id"] != order["payment_history"][0]["payment_method_id"]
        ):
            raise _Err("Payment method should be the original payment method")
        _counts(order, a["item_ids"], "Some item not found")
        order["status"] = "return requested"
        order["return_items"] = sorted(a["item_ids"])
        order["return_payment_method_id"] = a["payment_method_id"]
        return _dump(order)
    raise _Err(f"Tool '{name}' not found.")


def reference_run(base: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    """The replay result the spec predicts for one task (same shape as ``Replay.run``)."""
    db = copy.deepcopy(base)
    actions = []
    for action in task["evaluation_criteria"].get("actions") or []:
        try:
            actions.append(
                {
                    "name": action["name"],
                    "ok": True,
                    "result": copy.deepcopy(_call(db, action["name"], action["arguments"])),
                }
            )
        except _Err as exc:
            actions.append({"name": action["name"], "ok": False, "result": str(exc)})
    changed = []
    for table in ("users", "orders"):
        for key, record in db[table].items():
            if record != base[table][key]:
                after = _dump(record) if table == "orders" else record
                changed.append({"table": table, "id": key, "after": after})
    return {"id": task["id"], "actions": actions, "changed": changed}
