"""Load the public τ²-bench retail database (``evals/tau2-bench-retail/db.json``) into a demo shop.

Mapping (the benchmark's own strings are kept verbatim in ``external_status`` and the payment ``method_ref``):

- product → DemoProduct (``external_ref`` = product_id), variant → DemoVariant (``external_ref`` = item_id,
  no stock count: the benchmark only knows ``available``); prices are USD.
- user → DemoCustomer (``external_ref`` = user_id) with its saved payment methods (gift cards with balance).
- order → DemoOrder (``number`` = "#W…"), one DemoOrderItem per item (quantity 1, duplicates kept),
  payment_history → DemoPayment entries in order, each fulfilment tracking id → DemoShipment.
- status: ``pending`` is paid but not yet fulfilled (its payment is recorded) → ``paid``;
  ``pending (item modified)`` → ``paid`` with ``items_modified_at``; ``processed`` has a tracking id but
  no delivery yet → ``shipped``; ``delivered``, ``cancelled``, ``return requested``, ``exchange requested``
  map to themselves. The data has no timestamps: every order is dated ``TAU2_EPOCH``, delivery dates are
  unknown (None) and parcels have no scan history.

The workspace's demo rules (``TAU2_RULES``) reproduce the benchmark's back-office checks: only pending
orders change, two cancellation reasons, items change once, refunds to the original method or a gift card.
"""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sprawa.commerce.base import OrderStatus, PaymentMethodKind, PaymentStatus
from sprawa.commerce.demo.models import (
    DemoCustomer,
    DemoOrder,
    DemoOrderItem,
    DemoPayment,
    DemoProduct,
    DemoShipment,
    DemoVariant,
)
from sprawa.commerce.models import ShipmentState
from sprawa.platform.ids import new_id

TAU2_EPOCH = datetime(2024, 5, 1, tzinfo=UTC)
S = OrderStatus

STATUS_MAP: dict[str, tuple[OrderStatus, bool]] = {
    "pending": (S.PAID, False),
    "pending (item modified)": (S.PAID, True),
    "processed": (S.SHIPPED, False),
    "delivered": (S.DELIVERED, False),
    "cancelled": (S.CANCELLED, False),
    "return requested": (S.RETURN_REQUESTED, False),
    "exchange requested": (S.EXCHANGE_REQUESTED, False),
}

METHOD_KINDS = {
    "credit_card": PaymentMethodKind.CARD,
    "paypal": PaymentMethodKind.PAYPAL,
    "gift_card": PaymentMethodKind.GIFT_CARD,
}

#: ``workspace.settings["commerce"]`` of a τ² workspace.
TAU2_RULES: dict[str, Any] = {
    "cancel_states": ["paid"],
    "address_states": ["paid"],
    "item_states": ["paid"],
    "payment_states": ["paid"],
    "cancel_reasons": ["no longer needed", "ordered by mistake"],
    "items_change_once": True,
    "return_window_days": None,
    "external_statuses": {
        "paid": "pending",
        "paid+modified": "pending (item modified)",
        "shipped": "processed",
        "delivered": "delivered",
        "cancelled": "cancelled",
        "return_requested": "return requested",
        "exchange_requested": "exchange requested",
    },
}


def default_db_path(configured: Path | None = None) -> Path | None:
    """The configured file (``SPRAWA_TAU2_DB``), else the shared evals copy beside the checkout."""
    if configured is not None:
        return configured
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "evals" / "tau2-bench-retail" / "db.json"
        if candidate.is_file():
            return candidate
    return None


def _method_label(method: dict[str, Any]) -> str:
    if method["source"] == "credit_card":
        return f"{method.get('brand', 'card').title()} •••• {method.get('last_four', '')}".strip()
    if method["source"] == "gift_card":
        return "Gift card"
    return "PayPal"


def load_tau2(session: Session, workspace_id: str, path: Path | None = None) -> dict[str, int]:
    """Insert the benchmark's products, users and orders into the demo tables of ``workspace_id``."""
    path = path or default_db_path()
    if path is None or not path.is_file():
        raise FileNotFoundError("τ²-bench retail db.json not found (set SPRAWA_TAU2_DB)")
    db = json.loads(path.read_text(encoding="utf-8"))
    rows: dict[type, list[dict[str, Any]]] = {
        m: []
        for m in (DemoProduct, DemoVariant, DemoCustomer, DemoOrder, DemoOrderItem, DemoPayment, DemoShipment)
    }
    product_ids: dict[str, str] = {}
    variant_ids: dict[str, str] = {}
    # Creation times follow the file's order, so "first match" lookups behave like the benchmark's.
    for n, product in enumerate(db["products"].values()):
        pid = product_ids[product["product_id"]] = new_id()
        rows[DemoProduct].append(
            {
                "id": pid,
                "workspace_id": workspace_id,
                "external_ref": product["product_id"],
                "sku": product["product_id"],
                "name": product["name"],
                "category": product["name"],
                "description": "",
                "attributes": {"currency": "USD"},
                "withdrawal_exception": None,
                "active": True,
                "created_at": TAU2_EPOCH + timedelta(seconds=n),
            }
        )
        for variant in product["variants"].values():
            vid = variant_ids[variant["item_id"]] = new_id()
            rows[DemoVariant].append(
                {
                    "id": vid,
                    "workspace_id": workspace_id,
                    "product_id": pid,
                    "external_ref": variant["item_id"],
                    "sku": variant["item_id"],
                    "options": variant["options"],
                    "price": _usd(variant["price"]),
                    "stock": None,
                    "available": bool(variant["available"]),
                }
            )
    customer_ids: dict[str, str] = {}
    methods: dict[str, dict[str, Any]] = {}
    for n, user in enumerate(db["users"].values()):
        cid = customer_ids[user["user_id"]] = new_id()
        saved = []
        for method in user["payment_methods"].values():
            methods[method["id"]] = method
            entry = dict(method) | {"kind": METHOD_KINDS[method["source"]], "label": _method_label(method)}
            if "balance" in method:
                entry["balance"] = str(_usd(method["balance"]))
            saved.append(entry)
        rows[DemoCustomer].append(
            {
                "id": cid,
                "workspace_id": workspace_id,
                "external_ref": user["user_id"],
                "first_name": user["name"]["first_name"],
                "last_name": user["name"]["last_name"],
                "email": user["email"].lower(),
                "phone": None,
                "address": _address(
                    user["address"], f"{user['name']['first_name']} {user['name']['last_name']}"
                ),
                "payment_methods": saved,
                "company_name": None,
                "nip": None,
                "marketing_consent": False,
                "created_at": TAU2_EPOCH + timedelta(seconds=n),
            }
        )
    users = db["users"]
    for order in db["orders"].values():
        _order(
            rows,
            workspace_id,
            order,
            users[order["user_id"]],
            customer_ids,
            product_ids,
            variant_ids,
            methods,
        )
    counts = {}
    for model, batch in rows.items():
        for start in range(0, len(batch), 1000):
            session.execute(insert(model), batch[start : start + 1000])
        counts[model.__tablename__] = len(batch)
    session.flush()
    return counts


def _order(
    rows: dict[type, list[dict[str, Any]]],
    workspace_id: str,
    order: dict[str, Any],
    user: dict[str, Any],
    customer_ids: dict[str, str],
    product_ids: dict[str, str],
    variant_ids: dict[str, str],
    methods: dict[str, dict[str, Any]],
) -> None:
    oid = new_id()
    status, modified = STATUS_MAP[order["status"]]
    name = f"{user['name']['first_name']} {user['name']['last_name']}"
    subtotal = sum((_usd(i["price"]) for i in order["items"]), Decimal("0.00"))
    history = order["payment_history"]
    paid = sum((_usd(p["amount"]) for p in history if p["transaction_type"] == "payment"), Decimal("0.00"))
    refunded = sum((_usd(p["amount"]) for p in history if p["transaction_type"] == "refund"), Decimal("0.00"))
    first_method = methods[history[0]["payment_method_id"]]["source"] if history else None
    extra = {
        k: order[k]
        for k in (
            "cancel_reason",
            "exchange_items",
            "exchange_new_items",
            "exchange_payment_method_id",
            "exchange_price_difference",
            "return_items",
            "return_payment_method_id",
        )
        if order.get(k) is not None
    }
    rows[DemoOrder].append(
        {
            "id": oid,
            "workspace_id": workspace_id,
            "number": order["order_id"],
            "customer_id": customer_ids[order["user_id"]],
            "status": status,
            "external_status": order["status"],
            "payment_method": METHOD_KINDS[first_method] if first_method else None,
            "payment_status": _payment_status(paid, refunded),
            "currency": "USD",
            "subtotal": subtotal,
            "shipping_cost": Decimal("0.00"),
            "total": subtotal,
            "shipping_method": "standard",
            "shipping_address": _address(order["address"], name),
            "pickup_point": None,
            "contact_email": user["email"].lower(),
            "contact_phone": None,
            "note": None,
            "cancel_reason": order.get("cancel_reason"),
            "items_modified_at": TAU2_EPOCH if modified else None,
            "extra": extra,
            "placed_at": TAU2_EPOCH,
            "paid_at": TAU2_EPOCH if paid else None,
            "shipped_at": None,
            "delivered_at": None,
            "cancelled_at": TAU2_EPOCH if status == S.CANCELLED else None,
            "updated_at": TAU2_EPOCH,
        }
    )
    for position, item in enumerate(order["items"], start=1):
        rows[DemoOrderItem].append(
            {
                "id": new_id(),
                "workspace_id": workspace_id,
                "order_id": oid,
                "position": position,
                "product_id": product_ids.get(item["product_id"]),
                "variant_id": variant_ids.get(item["item_id"]),
                "sku": item["item_id"],
                "name": item["name"],
                "quantity": 1,
                "unit_price": _usd(item["price"]),
                "options": item["options"],
                "returned_quantity": 0,
            }
        )
    for position, entry in enumerate(history, start=1):
        method = methods[entry["payment_method_id"]]
        rows[DemoPayment].append(
            {
                "id": new_id(),
                "workspace_id": workspace_id,
                "order_id": oid,
                "position": position,
                "kind": entry["transaction_type"],
                "method": METHOD_KINDS[method["source"]],
                "method_ref": entry["payment_method_id"],
                "amount": _usd(entry["amount"]),
                "status": "completed",
                "provider_ref": None,
                "created_at": TAU2_EPOCH + timedelta(seconds=position),
            }
        )
    for fulfilment in order["fulfillments"]:
        for tracking in fulfilment["tracking_id"]:
            delivered = status in (S.DELIVERED, S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED)
            rows[DemoShipment].append(
                {
                    "id": new_id(),
                    "workspace_id": workspace_id,
                    "order_id": oid,
                    "carrier": "other",
                    "service": "courier",
                    "tracking_number": tracking,
                    "state": ShipmentState.DELIVERED if delivered else ShipmentState.IN_TRANSIT,
                    "carrier_status": order["status"],
                    "pickup_point": None,
                    "pickup_deadline": None,
                    "estimated_delivery": None,
                    "shipped_at": None,
                    "delivered_at": None,
                    "item_refs": list(fulfilment["item_ids"]),
                    "created_at": TAU2_EPOCH,
                    "updated_at": TAU2_EPOCH,
                }
            )


def _usd(value: float | int | str) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _address(data: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "name": name,
        "company": None,
        "street": data["address1"],
        "line2": data.get("address2", ""),
        "postcode": data["zip"],
        "city": data["city"],
        "region": data["state"],
        "country": data["country"],
        "phone": None,
    }


def _payment_status(paid: Decimal, refunded: Decimal) -> PaymentStatus:
    if paid > 0 and refunded >= paid:
        return PaymentStatus.REFUNDED
    if refunded > 0:
        return PaymentStatus.PARTIALLY_REFUNDED
    return PaymentStatus.PAID if paid > 0 else PaymentStatus.UNPAID
