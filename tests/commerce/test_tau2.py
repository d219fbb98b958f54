"""The τ²-bench retail data in a demo shop: counts, status mapping and the benchmark's back-office rules."""

import json
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from sprawa.commerce.base import ItemChange, OrderStatus, PaymentMethodKind, RefusalCode, ReturnLine
from sprawa.commerce.demo.connector import DemoRules, DemoShop
from sprawa.commerce.demo.models import (
    DemoCustomer,
    DemoOrder,
    DemoOrderItem,
    DemoPayment,
    DemoProduct,
    DemoShipment,
    DemoVariant,
)
from sprawa.commerce.tau2 import STATUS_MAP, TAU2_RULES, default_db_path, load_tau2

DB_PATH = default_db_path()
pytestmark = pytest.mark.skipif(
    DB_PATH is None, reason="shared/evals/tau2-bench-retail/db.json not available"
)


@pytest.fixture(scope="module")
def source() -> dict:
    assert DB_PATH is not None
    return json.loads(DB_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def loaded(db, workspace):
    counts = load_tau2(db, workspace.id)
    return counts, DemoShop(db, workspace.id, rules=DemoRules.from_settings(TAU2_RULES))


def _count(db, model, ws_id):
    return db.scalar(select(func.count()).select_from(model).where(model.workspace_id == ws_id))


def test_counts_equal_the_json(db, workspace, source, loaded):
    counts, _ = loaded
    orders = source["orders"].values()
    expected = {
        "demo_products": len(source["products"]),
        "demo_variants": sum(len(p["variants"]) for p in source["products"].values()),
        "demo_customers": len(source["users"]),
        "demo_orders": len(source["orders"]),
        "demo_order_items": sum(len(o["items"]) for o in orders),
        "demo_payments": sum(len(o["payment_history"]) for o in orders),
        "demo_shipments": sum(len(f["tracking_id"]) for o in orders for f in o["fulfillments"]),
    }
    assert counts == expected
    for model in (
        DemoProduct,
        DemoVariant,
        DemoCustomer,
        DemoOrder,
        DemoOrderItem,
        DemoPayment,
        DemoShipment,
    ):
        assert _count(db, model, workspace.id) == expected[model.__tablename__]
    assert expected["demo_orders"] == 1000 and expected["demo_customers"] == 500


def test_statuses_are_mapped_and_kept_verbatim(db, workspace, source, loaded):
    mapped = Counter(
        db.execute(
            select(DemoOrder.external_status, DemoOrder.status).where(DemoOrder.workspace_id == workspace.id)
        )
    )
    source_counts = Counter(o["status"] for o in source["orders"].values())
    assert {raw: n for (raw, _), n in mapped.items()} == dict(source_counts)
    for (raw, status), _ in mapped.items():
        assert status == STATUS_MAP[raw][0]
    assert source_counts["pending"] == mapped[("pending", "paid")]


def test_one_order_in_detail(db, source, loaded):
    _, shop = loaded
    raw = source["orders"]["#W2611340"]
    detail = shop.get_order("#W2611340")
    assert detail is not None
    assert detail.status == OrderStatus.SHIPPED and detail.external_status == "processed"
    assert [(i.variant_external_id, i.unit_price) for i in detail.items] == [
        (i["item_id"], Decimal(str(i["price"]))) for i in raw["items"]
    ]
    assert detail.total == Decimal("536.65") and detail.currency == "USD"
    assert [(p.kind, p.amount, p.method_ref) for p in detail.payments] == [
        ("payment", Decimal("536.65"), "gift_card_1725971")
    ]
    assert [(s.tracking_number, s.item_ids) for s in detail.shipments] == [
        ("357962501027", tuple(raw["fulfillments"][0]["item_ids"]))
    ]
    assert detail.shipping_address.street == raw["address"]["address1"]
    assert detail.shipping_address.postcode == raw["address"]["zip"]
    assert shop.get_order("W2611340") is None  # the benchmark keeps the leading "#"


def test_users_keep_their_payment_methods_and_gift_card_balances(source, loaded):
    _, shop = loaded
    user = next(
        u
        for u in source["users"].values()
        if any(m["source"] == "gift_card" for m in u["payment_methods"].values())
    )
    [customer] = shop.find_customers(email=user["email"].upper())
    assert customer.external_id == user["user_id"]
    assert [m.id for m in customer.payment_methods] == list(user["payment_methods"])
    card = next(m for m in customer.payment_methods if m.kind == PaymentMethodKind.GIFT_CARD)
    assert card.balance == Decimal(str(user["payment_methods"][card.id]["balance"])).quantize(Decimal("0.01"))
    product = shop.get_product(next(iter(source["products"])))
    assert product is not None and product.currency == "USD"


def _first(source, status):
    return next(o for o in source["orders"].values() if o["status"] == status)


def test_benchmark_rules_on_writes(db, source, loaded):
    _, shop = loaded
    pending = _first(source, "pending")["order_id"]
    assert shop.cancel_order(pending, reason="changed my mind").code == RefusalCode.INVALID_REASON
    result = shop.cancel_order(pending, reason="no longer needed")
    assert result.ok
    assert result.order.external_status == "cancelled" and result.order.cancel_reason == "no longer needed"
    refund = result.order.payments[-1]
    assert (refund.kind, refund.amount) == ("refund", result.order.payments[0].amount)

    processed = _first(source, "processed")["order_id"]
    assert shop.cancel_order(processed, reason="no longer needed").code == RefusalCode.ALREADY_SHIPPED
    assert shop.start_return(processed, []).code == RefusalCode.NOT_DELIVERED


def test_item_modification_once_then_no_cancel(db, source, loaded):
    _, shop = loaded
    raw = next(
        o
        for o in source["orders"].values()
        if o["status"] == "pending"
        and any(
            v["available"] and v["item_id"] != i["item_id"]
            for i in o["items"]
            for v in source["products"][i["product_id"]]["variants"].values()
        )
    )
    detail = shop.get_order(raw["order_id"])
    line, new_variant = next(
        (line, v["item_id"])
        for line, item in zip(detail.items, raw["items"], strict=True)
        for v in source["products"][item["product_id"]]["variants"].values()
        if v["available"] and v["item_id"] != item["item_id"]
    )
    method = raw["payment_history"][0]["payment_method_id"]
    result = shop.change_items(
        raw["order_id"], [ItemChange(line.external_id, new_variant_id=new_variant)], payment_method_id=method
    )
    assert result.ok, result.message_en
    assert result.order.external_status == "pending (item modified)"
    assert (
        shop.cancel_order(raw["order_id"], reason="ordered by mistake").code == RefusalCode.ALREADY_MODIFIED
    )


def test_return_of_delivered_order_to_original_method(db, source, loaded):
    _, shop = loaded
    raw = _first(source, "delivered")
    detail = shop.get_order(raw["order_id"])
    original = raw["payment_history"][0]["payment_method_id"]
    result = shop.start_return(
        raw["order_id"], [ReturnLine(detail.items[0].external_id)], refund_method_id=original
    )
    assert result.ok, result.message_en
    assert result.order.status == OrderStatus.RETURN_REQUESTED
    assert result.order.external_status == "return requested"
