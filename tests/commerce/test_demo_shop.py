"""The demo shop connector: lookups, back-office rules of its write actions, cache sync, the generator."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from sprawa.channels.base import IdentityClaim
from sprawa.commerce.base import Address, ItemChange, OrderStatus, PaymentStatus, RefusalCode, ReturnLine
from sprawa.commerce.demo.connector import DemoRules, DemoShop
from sprawa.commerce.demo.models import (
    DemoCustomer,
    DemoOrder,
    DemoOrderItem,
    DemoPayment,
    DemoProduct,
    DemoReturn,
    DemoShipment,
    DemoShipmentEvent,
    DemoVariant,
)
from sprawa.commerce.demo.seed import seed_shop
from sprawa.commerce.models import Order, OrderItem, Shipment, ShipmentState
from sprawa.commerce.service import connector_for, refresh_order, sync_all, sync_customer_orders
from sprawa.customers.models import IdentityKind
from sprawa.customers.service import resolve_customer
from sprawa.platform.errors import InvalidInput
from tests.factories import make_workspace

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)
S = OrderStatus


@dataclass
class Catalogue:
    ws: str
    sweater: DemoProduct
    size: dict[str, DemoVariant]
    mug: DemoVariant
    cream: DemoVariant
    customer: DemoCustomer


def _catalogue(db, ws_id: str) -> Catalogue:
    sweater = DemoProduct(
        workspace_id=ws_id,
        external_ref="LP-4001",
        sku="LP-4001",
        name="Sweter z wełny merino",
        category="Odzież",
        description="Ciepły sweter",
        attributes={"skład": "wełna merino"},
    )
    mug_p = DemoProduct(
        workspace_id=ws_id, external_ref="LP-3004", sku="LP-3004", name="Kubek ceramiczny", category="Kuchnia"
    )
    cream_p = DemoProduct(
        workspace_id=ws_id,
        external_ref="LP-6001",
        sku="LP-6001",
        name="Krem do twarzy",
        category="Kosmetyki",
        withdrawal_exception="sealed_hygiene",
    )
    db.add_all([sweater, mug_p, cream_p])
    db.flush()
    size = {
        s: DemoVariant(
            workspace_id=ws_id,
            product_id=sweater.id,
            external_ref=f"LP-4001-{s}",
            sku=f"LP-4001-{s}",
            options={"rozmiar": s},
            price=Decimal(price),
            stock=stock,
        )
        for s, price, stock in (("S", "249.00", 5), ("M", "259.00", 5), ("L", "269.00", 0))
    }
    mug = DemoVariant(
        workspace_id=ws_id,
        product_id=mug_p.id,
        external_ref="LP-3004-01",
        sku="LP-3004-01",
        options={"wzór": "Maki"},
        price=Decimal("42.00"),
        stock=10,
    )
    cream = DemoVariant(
        workspace_id=ws_id,
        product_id=cream_p.id,
        external_ref="LP-6001-01",
        sku="LP-6001-01",
        options={},
        price=Decimal("69.00"),
        stock=10,
    )
    customer = DemoCustomer(
        workspace_id=ws_id,
        external_ref="K1",
        first_name="Anna",
        last_name="Kowalska",
        email="anna.kowalska@wp.pl",
        phone="+48600100200",
        address={
            "name": "Anna Kowalska",
            "street": "ul. Lipowa 5/3",
            "postcode": "30-001",
            "city": "Kraków",
            "country": "PL",
        },
        payment_methods=[
            {"id": "gc-1", "kind": "gift_card", "label": "Karta podarunkowa", "balance": "50.00"}
        ],
    )
    db.add_all([*size.values(), mug, cream, customer])
    db.flush()
    return Catalogue(ws_id, sweater, size, mug, cream, customer)


_numbers = iter(range(200001, 300000))


def _order(
    db,
    cat: Catalogue,
    status: OrderStatus,
    *,
    lines=(("M", 1),),
    pay: str = "blik",
    paid: bool = True,
    shipment: ShipmentState | None = None,
    delivered_ago: timedelta | None = None,
) -> DemoOrder:
    variants = {**cat.size, "mug": cat.mug, "cream": cat.cream}
    subtotal = sum((variants[k].price * q for k, q in lines), Decimal("0.00"))
    order = DemoOrder(
        workspace_id=cat.ws,
        number=str(next(_numbers)),
        customer_id=cat.customer.id,
        status=status,
        payment_method=pay,
        payment_status=PaymentStatus.PAID if paid else PaymentStatus.UNPAID,
        subtotal=subtotal,
        shipping_cost=Decimal("0.00"),
        total=subtotal,
        shipping_method="inpost_paczkomat",
        shipping_address=dict(cat.customer.address),
        pickup_point="KRA01M",
        contact_email=cat.customer.email,
        contact_phone=cat.customer.phone,
        placed_at=NOW - timedelta(days=20),
        delivered_at=NOW - delivered_ago if delivered_ago else None,
    )
    db.add(order)
    db.flush()
    for position, (key, quantity) in enumerate(lines, start=1):
        v = variants[key]
        product = db.get(DemoProduct, v.product_id)
        db.add(
            DemoOrderItem(
                workspace_id=cat.ws,
                order_id=order.id,
                position=position,
                product_id=v.product_id,
                variant_id=v.id,
                sku=v.sku,
                name=product.name,
                quantity=quantity,
                unit_price=v.price,
                options=dict(v.options),
            )
        )
    if paid:
        db.add(
            DemoPayment(
                workspace_id=cat.ws,
                order_id=order.id,
                position=1,
                kind="payment",
                method=pay,
                amount=subtotal,
                status="completed",
                created_at=NOW - timedelta(days=20),
            )
        )
    if shipment is not None:
        ship = DemoShipment(
            workspace_id=cat.ws,
            order_id=order.id,
            carrier="inpost",
            service="paczkomat",
            tracking_number="602677439331630337653846",
            state=shipment,
            pickup_point="KRA01M",
        )
        db.add(ship)
        db.flush()
        db.add(
            DemoShipmentEvent(
                workspace_id=cat.ws,
                shipment_id=ship.id,
                occurred_at=NOW - timedelta(days=2),
                code="confirmed",
                state=ShipmentState.CREATED,
                description="Przygotowana",
            )
        )
    db.flush()
    return order


@pytest.fixture
def cat(db, workspace) -> Catalogue:
    return _catalogue(db, workspace.id)


@pytest.fixture
def shop(db, workspace) -> DemoShop:
    return DemoShop(db, workspace.id, now=lambda: NOW)


def _line(db, order: DemoOrder, n: int = 0) -> DemoOrderItem:
    return list(
        db.scalars(
            select(DemoOrderItem).where(DemoOrderItem.order_id == order.id).order_by(DemoOrderItem.position)
        )
    )[n]


def _add_pending_transfer(db, cat: Catalogue, order: DemoOrder) -> None:
    """The bank transfer an unpaid order waits for."""
    db.add(
        DemoPayment(
            workspace_id=cat.ws,
            order_id=order.id,
            position=1,
            kind="payment",
            method="bank_transfer",
            amount=order.total,
            status="pending",
        )
    )
    db.flush()


def _payments(db, order: DemoOrder) -> list[tuple[str, Decimal, str]]:
    return [
        (p.kind, p.amount, p.status)
        for p in db.scalars(
            select(DemoPayment).where(DemoPayment.order_id == order.id).order_by(DemoPayment.position)
        )
    ]


# ----------------------------------------------------------------------------------------------- reads


def test_orders_found_by_email_phone_and_number(db, cat, shop):
    older = _order(db, cat, S.DELIVERED, shipment=ShipmentState.DELIVERED, delivered_ago=timedelta(days=5))
    newer = _order(db, cat, S.PAID)
    newer.placed_at = NOW
    db.flush()
    by_email = shop.find_orders(email=" Anna.Kowalska@WP.pl ")
    assert [o.number for o in by_email] == [newer.number, older.number]
    assert [o.number for o in shop.find_orders(phone="600 100 200")] == [newer.number, older.number]
    assert shop.find_orders(email="nobody@example.pl") == []
    assert shop.find_orders() == []
    detail = shop.get_order(older.number)
    assert detail is not None
    assert detail.status == S.DELIVERED
    assert [(i.sku, i.quantity, i.unit_price) for i in detail.items] == [("LP-4001-M", 1, Decimal("259.00"))]
    assert detail.customer is not None and detail.customer.email == "anna.kowalska@wp.pl"
    assert (
        detail.shipments[0].tracking_url
        == "https://inpost.pl/sledzenie-przesylek?number=602677439331630337653846"
    )
    assert shop.get_order("999999") is None


def test_products_search_ignores_diacritics_and_case(db, cat, shop):
    found = shop.search_products("WELNA sweter")
    assert [p.sku for p in found] == ["LP-4001"]
    assert found[0].price == Decimal("249.00")  # lowest variant
    assert [p.sku for p in shop.search_products("", category="kosmetyki")] == ["LP-6001"]
    detail = shop.get_product("LP-4001-L")  # a variant's SKU finds its product
    assert detail is not None and detail.sku == "LP-4001"
    assert {v.sku: v.available for v in detail.variants} == {
        "LP-4001-S": True,
        "LP-4001-M": True,
        "LP-4001-L": False,
    }
    assert shop.get_product("LP-6001").withdrawal_exception == "sealed_hygiene"
    assert shop.get_product("nope") is None


def test_track_shipment(db, cat, shop):
    order = _order(db, cat, S.SHIPPED, shipment=ShipmentState.IN_TRANSIT)
    info = shop.track_shipment("6026 7743 9331 6303 3765 3846")
    assert info is not None
    assert info.order_external_id == order.number
    assert info.state == ShipmentState.IN_TRANSIT
    assert [e.code for e in info.events] == ["confirmed"]
    assert shop.track_shipment("000") is None


# ---------------------------------------------------------------------------------------------- cancel


def test_cancel_paid_order_refunds_and_restocks(db, cat, shop):
    order = _order(db, cat, S.PAID, lines=(("M", 2),))
    result = shop.cancel_order(order.number, reason="Klient zrezygnował")
    assert result.ok, result.message_en
    assert result.order is not None and result.order.status == S.CANCELLED
    assert "518,00 zł" in result.message_pl
    db.refresh(order)
    assert (order.status, order.cancel_reason, order.payment_status) == (
        S.CANCELLED,
        "Klient zrezygnował",
        PaymentStatus.REFUNDED,
    )
    assert _payments(db, order) == [
        ("payment", Decimal("518.00"), "completed"),
        ("refund", Decimal("518.00"), "pending"),
    ]
    assert db.get(DemoVariant, cat.size["M"].id).stock == 7


def test_cancel_is_refused_once_shipped_and_nothing_changes(db, cat, shop):
    order = _order(db, cat, S.SHIPPED, shipment=ShipmentState.IN_TRANSIT)
    result = shop.cancel_order(order.number, reason="x")
    assert not result.ok
    assert result.code == RefusalCode.ALREADY_SHIPPED
    assert "wysłane" in result.message_pl and "shipped" in result.message_en
    db.refresh(order)
    assert order.status == S.SHIPPED
    assert _payments(db, order) == [("payment", Decimal("259.00"), "completed")]
    assert db.get(DemoVariant, cat.size["M"].id).stock == 5


def test_cancel_packed_order_voids_its_label(db, cat, shop):
    order = _order(db, cat, S.PACKED, shipment=ShipmentState.CREATED)
    assert shop.cancel_order(order.number, reason="").ok
    assert (
        db.scalar(select(func.count()).select_from(DemoShipment).where(DemoShipment.order_id == order.id))
        == 0
    )


def test_cancel_unknown_and_already_cancelled(db, cat, shop):
    assert shop.cancel_order("123", reason="").code == RefusalCode.ORDER_NOT_FOUND
    order = _order(db, cat, S.CANCELLED)
    assert shop.cancel_order(order.number, reason="").code == RefusalCode.INVALID_STATE


def test_cancel_unpaid_transfer_cancels_the_pending_payment(db, cat, shop):
    order = _order(db, cat, S.AWAITING_PAYMENT, pay="bank_transfer", paid=False)
    _add_pending_transfer(db, cat, order)
    result = shop.cancel_order(order.number, reason="Brak wpłaty")
    assert result.ok
    assert _payments(db, order) == [("payment", Decimal("259.00"), "cancelled")]
    assert db.get(DemoOrder, order.id).payment_status == PaymentStatus.UNPAID


# --------------------------------------------------------------------------------------------- address


NEW_ADDRESS = Address(name="", street="ul. Długa 10", postcode="31-147", city="Kraków")


def test_change_address_before_shipment(db, cat, shop):
    order = _order(db, cat, S.PAID)
    result = shop.change_shipping_address(order.number, NEW_ADDRESS, pickup_point="kra22n")
    assert result.ok
    db.refresh(order)
    assert order.shipping_address["street"] == "ul. Długa 10"
    assert order.shipping_address["name"] == "Anna Kowalska"  # kept when not given
    assert order.pickup_point == "KRA22N"
    assert result.order.shipping_address.postcode == "31-147"
    again = shop.change_shipping_address(order.number, NEW_ADDRESS, pickup_point="KRA22N")
    assert again.code == RefusalCode.NO_CHANGE


@pytest.mark.parametrize(
    ("address", "point"),
    [
        (Address(name="A", street="ul. Długa 10", postcode="31147", city="Kraków"), None),
        (Address(name="A", street="", postcode="31-147", city="Kraków"), None),
        (NEW_ADDRESS, "not-a-locker"),
    ],
)
def test_change_address_refuses_invalid_addresses(db, cat, shop, address, point):
    order = _order(db, cat, S.PAID)
    result = shop.change_shipping_address(order.number, address, pickup_point=point)
    assert result.code == RefusalCode.INVALID_ADDRESS
    db.refresh(order)
    assert order.shipping_address["street"] == "ul. Lipowa 5/3"


def test_change_address_refused_after_shipment(db, cat, shop):
    order = _order(db, cat, S.SHIPPED, shipment=ShipmentState.IN_TRANSIT)
    assert shop.change_shipping_address(order.number, NEW_ADDRESS).code == RefusalCode.ALREADY_SHIPPED


# ----------------------------------------------------------------------------------------------- items


def test_change_variant_moves_stock_and_refunds_the_difference(db, cat, shop):
    order = _order(db, cat, S.PAID)
    line = _line(db, order)
    result = shop.change_items(order.number, [ItemChange(line.id, new_variant_id="LP-4001-S")])
    assert result.ok, result.message_en
    assert result.data["price_difference"] == "-10.00"
    db.refresh(line)
    db.refresh(order)
    assert (line.sku, line.unit_price, line.options) == ("LP-4001-S", Decimal("249.00"), {"rozmiar": "S"})
    assert order.total == Decimal("249.00")
    assert order.items_modified_at is not None
    assert db.get(DemoVariant, cat.size["S"].id).stock == 4
    assert db.get(DemoVariant, cat.size["M"].id).stock == 6
    assert _payments(db, order)[-1] == ("refund", Decimal("10.00"), "pending")


def test_change_items_refusals(db, cat, shop):
    order = _order(db, cat, S.PAID, lines=(("M", 1), ("mug", 1)))
    sweater, mug = _line(db, order, 0), _line(db, order, 1)
    cases = [
        ([ItemChange(sweater.id, new_variant_id="LP-4001-L")], RefusalCode.OUT_OF_STOCK),
        ([ItemChange(sweater.id, new_variant_id="LP-3004-01")], RefusalCode.VARIANT_NOT_FOUND),
        ([ItemChange("no-such-line", new_quantity=2)], RefusalCode.ITEM_NOT_FOUND),
        ([ItemChange(sweater.id, new_variant_id="LP-4001-M")], RefusalCode.NO_CHANGE),
        ([ItemChange(mug.id, new_quantity=12)], RefusalCode.OUT_OF_STOCK),
        (
            [ItemChange(sweater.id, new_quantity=0), ItemChange(mug.id, new_quantity=0)],
            RefusalCode.INVALID_STATE,
        ),
        ([], RefusalCode.NO_CHANGE),
    ]
    for changes, code in cases:
        assert shop.change_items(order.number, changes).code == code, changes
    db.refresh(order)
    assert order.items_modified_at is None and order.total == Decimal("301.00")


def test_change_items_refused_once_packed(db, cat, shop):
    order = _order(db, cat, S.PACKED, shipment=ShipmentState.CREATED)
    result = shop.change_items(order.number, [ItemChange(_line(db, order).id, new_variant_id="LP-4001-S")])
    assert result.code == RefusalCode.INVALID_STATE


def test_quantity_change_on_unpaid_order_updates_the_pending_payment(db, cat, shop):
    order = _order(db, cat, S.AWAITING_PAYMENT, lines=(("mug", 1),), pay="bank_transfer", paid=False)
    _add_pending_transfer(db, cat, order)
    assert shop.change_items(order.number, [ItemChange(_line(db, order).id, new_quantity=3)]).ok
    assert _payments(db, order) == [("payment", Decimal("126.00"), "pending")]
    assert db.get(DemoVariant, cat.mug.id).stock == 8


def test_items_change_once_rule_also_blocks_cancel(db, cat):
    shop = DemoShop(db, cat.ws, rules=DemoRules(items_change_once=True), now=lambda: NOW)
    order = _order(db, cat, S.PAID)
    assert shop.change_items(order.number, [ItemChange(_line(db, order).id, new_variant_id="LP-4001-S")]).ok
    again = shop.change_items(order.number, [ItemChange(_line(db, order).id, new_variant_id="LP-4001-M")])
    assert again.code == RefusalCode.ALREADY_MODIFIED
    assert shop.cancel_order(order.number, reason="x").code == RefusalCode.ALREADY_MODIFIED


# --------------------------------------------------------------------------------------------- payment


def test_change_payment_method_of_unpaid_order(db, cat, shop):
    order = _order(db, cat, S.NEW, pay="cod", paid=False)
    result = shop.change_payment_method(order.number, "blik")
    assert result.ok
    db.refresh(order)
    assert (order.status, order.payment_method) == (S.AWAITING_PAYMENT, "blik")
    assert _payments(db, order) == [("payment", Decimal("259.00"), "pending")]
    assert shop.change_payment_method(order.number, "blik").code == RefusalCode.NO_CHANGE
    assert shop.change_payment_method(order.number, "bitcoin").code == RefusalCode.PAYMENT_METHOD_NOT_FOUND


def test_gift_card_needs_enough_balance(db, cat, shop):
    order = _order(db, cat, S.PAID)
    result = shop.change_payment_method(order.number, "gc-1")
    assert result.code == RefusalCode.INSUFFICIENT_BALANCE
    assert result.data["balance"] == "50.00"
    cheap = _order(db, cat, S.PAID, lines=(("mug", 1),))
    assert shop.change_payment_method(cheap.number, "gc-1").ok
    db.refresh(cat.customer)
    assert cat.customer.payment_methods[0]["balance"] == "8.00"
    assert _payments(db, cheap) == [
        ("payment", Decimal("42.00"), "completed"),
        ("payment", Decimal("42.00"), "completed"),
        ("refund", Decimal("42.00"), "pending"),
    ]


# --------------------------------------------------------------------------------------------- returns


def test_start_return_on_delivered_order(db, cat, shop):
    order = _order(
        db,
        cat,
        S.DELIVERED,
        lines=(("M", 1), ("mug", 2)),
        shipment=ShipmentState.DELIVERED,
        delivered_ago=timedelta(days=3),
    )
    mug = _line(db, order, 1)
    result = shop.start_return(order.number, [ReturnLine(mug.id, quantity=1)], reason="Zmiana decyzji")
    assert result.ok, result.message_en
    assert result.order.status == S.RETURN_REQUESTED
    record = db.scalars(select(DemoReturn).where(DemoReturn.order_id == order.id)).one()
    assert (record.number, record.kind, record.status, record.refund_amount) == (
        f"ZW-{order.number}-1",
        "return",
        "requested",
        Decimal("42.00"),
    )
    assert record.lines == [{"line_id": mug.id, "quantity": 1, "unit_price": "42.00"}]
    assert result.data["return_number"] == record.number
    again = shop.start_return(order.number, [ReturnLine(mug.id)])
    assert again.code == RefusalCode.INVALID_STATE


def test_whole_order_return_refunds_shipping_too(db, cat, shop):
    order = _order(db, cat, S.DELIVERED, shipment=ShipmentState.DELIVERED, delivered_ago=timedelta(days=3))
    order.shipping_cost = Decimal("13.99")
    order.total += Decimal("13.99")
    db.flush()
    result = shop.start_return(order.number, [ReturnLine(_line(db, order).id)])
    assert result.data["refund_amount"] == "272.99"


def test_return_refusals(db, cat, shop):
    shipped = _order(db, cat, S.SHIPPED, shipment=ShipmentState.IN_TRANSIT)
    assert (
        shop.start_return(shipped.number, [ReturnLine(_line(db, shipped).id)]).code
        == RefusalCode.NOT_DELIVERED
    )
    order = _order(
        db,
        cat,
        S.DELIVERED,
        lines=(("M", 1), ("cream", 1)),
        shipment=ShipmentState.DELIVERED,
        delivered_ago=timedelta(days=3),
    )
    sweater, cream = _line(db, order, 0), _line(db, order, 1)
    excepted = shop.start_return(order.number, [ReturnLine(cream.id)])
    assert excepted.code == RefusalCode.WITHDRAWAL_EXCEPTION
    assert "art. 38" in excepted.message_pl
    assert (
        shop.start_return(order.number, [ReturnLine(sweater.id, quantity=2)]).code
        == RefusalCode.QUANTITY_EXCEEDED
    )
    assert shop.start_return(order.number, []).code == RefusalCode.NO_CHANGE
    assert shop.start_return(order.number, [ReturnLine(sweater.id)], refund_method_id="paypo").code == (
        RefusalCode.PAYMENT_METHOD_NOT_ALLOWED
    )
    assert db.get(DemoOrder, order.id).status == S.DELIVERED
    assert db.scalar(select(func.count()).select_from(DemoReturn)) == 0
    # A person may accept an excepted item anyway.
    assert shop.start_return(order.number, [ReturnLine(cream.id)], allow_excepted=True).ok


def test_return_window_rule(db, cat):
    shop = DemoShop(db, cat.ws, rules=DemoRules(return_window_days=30), now=lambda: NOW)
    order = _order(db, cat, S.DELIVERED, shipment=ShipmentState.DELIVERED, delivered_ago=timedelta(days=31))
    result = shop.start_return(order.number, [ReturnLine(_line(db, order).id)])
    assert result.code == RefusalCode.RETURN_WINDOW_CLOSED


def test_exchange_for_another_size(db, cat, shop):
    order = _order(db, cat, S.DELIVERED, shipment=ShipmentState.DELIVERED, delivered_ago=timedelta(days=2))
    line = _line(db, order)
    assert shop.start_return(order.number, [ReturnLine(line.id, exchange_variant_id="LP-4001-L")]).code == (
        RefusalCode.OUT_OF_STOCK
    )
    result = shop.start_return(order.number, [ReturnLine(line.id, exchange_variant_id="LP-4001-S")])
    assert result.ok
    assert result.order.status == S.EXCHANGE_REQUESTED
    assert result.data["price_difference"] == "-10.00"


# ------------------------------------------------------------------------------------------ cache sync


def test_sync_refresh_and_customer_link(db, workspace, cat, shop):
    order = _order(db, cat, S.PAID, lines=(("M", 1), ("mug", 1)))
    _order(db, cat, S.SHIPPED, shipment=ShipmentState.IN_TRANSIT)
    assert sync_all(db, shop, workspace.id) == {"products": 3, "orders": 2}
    cached = db.scalars(select(Order).where(Order.external_id == order.number)).one()
    assert (cached.status, cached.total, cached.customer_id) == ("paid", Decimal("301.00"), None)
    assert db.scalar(select(func.count()).select_from(OrderItem).where(OrderItem.order_id == cached.id)) == 2
    first_fetch = cached.fetched_at

    assert shop.cancel_order(order.number, reason="x").ok
    refreshed = refresh_order(db, shop, workspace.id, order.number)
    db.refresh(refreshed)
    assert refreshed.id == cached.id and refreshed.status == "cancelled"
    assert refreshed.fetched_at >= first_fetch
    assert db.scalar(select(func.count()).select_from(Order).where(Order.workspace_id == workspace.id)) == 2
    assert refresh_order(db, shop, workspace.id, "404404") is None

    customer = resolve_customer(db, workspace.id, [IdentityClaim(IdentityKind.WHATSAPP, "48600100200", True)])
    linked = sync_customer_orders(db, shop, workspace.id, customer)
    assert len(linked) == 2 and {o.customer_id for o in linked} == {customer.id}
    shipment = db.scalars(select(Shipment).where(Shipment.workspace_id == workspace.id)).one()
    assert shipment.state == ShipmentState.IN_TRANSIT and shipment.events[0]["code"] == "confirmed"


def test_connector_for_reads_the_workspace_setting(db, workspace):
    assert isinstance(connector_for(db, workspace.id), DemoShop)
    other = make_workspace(
        db,
        "sklep-tau",
        settings={
            "commerce": {"kind": "demo", "rules": {"cancel_states": ["paid"], "items_change_once": True}}
        },
    )
    connector = connector_for(db, other.id)
    assert isinstance(connector, DemoShop)
    assert connector.rules.cancel_states == frozenset({S.PAID}) and connector.rules.items_change_once
    odd = make_workspace(db, "sklep-x", settings={"commerce": {"kind": "magento"}})
    with pytest.raises(InvalidInput):
        connector_for(db, odd.id)


# ------------------------------------------------------------------------------------------- generator


def _snapshot(db, ws_id: str) -> list[tuple]:
    rows = db.execute(
        select(
            DemoOrder.number,
            DemoOrder.status,
            DemoOrder.total,
            DemoOrder.payment_method,
            DemoOrder.placed_at,
            DemoCustomer.email,
            DemoShipment.tracking_number,
            DemoShipment.state,
        )
        .join(DemoCustomer, DemoCustomer.id == DemoOrder.customer_id)
        .outerjoin(DemoShipment, DemoShipment.order_id == DemoOrder.id)
        .where(DemoOrder.workspace_id == ws_id)
        .order_by(DemoOrder.number)
    )
    return [tuple(r) for r in rows]


def test_generator_is_deterministic_and_realistic(db):
    a, b = make_workspace(db, "gen-a"), make_workspace(db, "gen-b")
    counts = seed_shop(db, a.id, now=NOW, customers=300, orders=1500)
    seed_shop(db, b.id, now=NOW, customers=300, orders=1500)
    assert counts["demo_orders"] == 1500 and counts["demo_customers"] == 300 and counts["demo_products"] >= 50
    assert _snapshot(db, a.id) == _snapshot(db, b.id)

    statuses = set(db.scalars(select(DemoOrder.status).where(DemoOrder.workspace_id == a.id)))
    assert statuses >= {s.value for s in OrderStatus} - {"exchange_requested"}
    states = set(db.scalars(select(DemoShipment.state).where(DemoShipment.workspace_id == a.id)))
    assert states >= {
        "created",
        "in_transit",
        "out_for_delivery",
        "ready_for_pickup",
        "delivered",
        "exception",
        "returned",
        "lost",
    }
    methods = set(db.scalars(select(DemoOrder.payment_method).where(DemoOrder.workspace_id == a.id)))
    assert methods == {"blik", "bank_transfer", "card", "cod", "paypo"}
    numbers = sorted(
        int(n) for n in db.scalars(select(DemoOrder.number).where(DemoOrder.workspace_id == a.id))
    )
    assert numbers == list(range(100001, 101501))

    formats = {
        ("inpost", "paczkomat"): r"\d{24}",
        ("inpost", "courier"): r"\d{24}",
        ("dpd", "courier"): r"\d{13}U",
        ("poczta_polska", "courier"): r"\d{20}",
        ("poczta_polska", "letter"): r"RR\d{9}PL",
    }
    for carrier, service, number, point in db.execute(
        select(
            DemoShipment.carrier,
            DemoShipment.service,
            DemoShipment.tracking_number,
            DemoShipment.pickup_point,
        ).where(DemoShipment.workspace_id == a.id)
    ):
        assert re.fullmatch(formats[(carrier, service)], number), (carrier, number)
        if service == "paczkomat":
            assert re.fullmatch(r"[A-Z]{3}\d{2,4}[A-Z]{1,2}", point)
    for phone, address in db.execute(
        select(DemoCustomer.phone, DemoCustomer.address).where(DemoCustomer.workspace_id == a.id)
    ):
        assert re.fullmatch(r"\+48\d{9}", phone)
        assert re.fullmatch(r"\d{2}-\d{3}", address["postcode"])
    exceptions = set(
        db.scalars(select(DemoProduct.withdrawal_exception).where(DemoProduct.workspace_id == a.id))
    )
    assert exceptions == {None, "sealed_hygiene", "custom_made"}
    waiting = db.scalars(
        select(DemoShipment).where(
            DemoShipment.workspace_id == a.id, DemoShipment.state == "ready_for_pickup"
        )
    ).all()
    assert waiting and all(
        s.pickup_deadline is not None and s.pickup_deadline > NOW - timedelta(days=15) for s in waiting
    )
