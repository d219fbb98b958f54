"""Shopify connector against a fake store speaking Admin GraphQL: auth, cursors, cost throttling, webhooks."""

import pytest
from sqlalchemy import select

from sprawa.commerce.base import OrderStatus, RefusalCode
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import CommerceEvent, Order
from sprawa.commerce.service import connector_for, upsert_orders
from sprawa.commerce.shopify.connector import Shopify
from tests.commerce.conftest import shop_config
from tests.fakes.asgi import serve
from tests.fakes.shopify import FakeShopify, make_order

SECRET = "shopify-app-secret"


@pytest.fixture
def fake():
    store = FakeShopify()
    store.orders = [make_order(i, email=f"k{i % 3}@example.pl") for i in range(1, 121)]
    store.orders.append(make_order(200, fulfilled=True, tracking="602677439331630337653846"))
    with serve(store.app) as url:
        store.url = url
        yield store


@pytest.fixture
def shop(db, workspace, runtime, fake, env):
    workspace.settings = {
        "commerce": shop_config(
            runtime, "shopify", fake.url, access_token="shpat_test", webhook_secret=SECRET
        )
    }
    db.commit()
    return connector_for(db, workspace.id, env)


def test_orders_page_by_cursor(shop, fake):
    assert len(list(shop.iter_orders())) == 121
    assert fake.operations.count("Orders") == 3  # 50 + 50 + 21


def test_order_by_name_with_tracking(shop):
    order = shop.get_order("1200")
    assert order.number == "#1200" and order.status == OrderStatus.SHIPPED
    assert order.shipments[0].carrier == "inpost"
    assert order.shipments[0].tracking_number == "602677439331630337653846"
    assert shop.get_order("#1001").status == OrderStatus.PAID
    assert shop.get_order("9999") is None


def test_find_orders_by_email(shop):
    found = shop.find_orders(email="K1@example.pl", limit=100)
    assert len(found) == 40 and {s.customer_email for s in found} == {"k1@example.pl"}


def test_throttled_query_waits_for_the_missing_points(shop, fake, sleeps):
    fake.throttle_next = 1
    assert shop.get_order("1005").number == "#1005"
    assert fake.operations.count("Orders") == 2 and len(sleeps) == 1


def test_throttling_that_never_ends_is_rate_limited(shop, fake):
    fake.throttle_next = 10
    with pytest.raises(ConnectorError) as err:
        shop.get_order("1005")
    assert err.value.problem == ConnectorProblem.RATE_LIMITED


def test_wrong_token(runtime, fake, env):
    config = shop_config(runtime, "shopify", fake.url, access_token="shpat_wrong")
    with pytest.raises(ConnectorError) as err:
        Shopify(env, config).get_order("1001")
    assert err.value.problem == ConnectorProblem.BAD_CREDENTIALS
    assert "Invalid API key" in err.value.detail


def test_cancel(shop, fake):
    assert shop.cancel_order("1200", reason="x").code == RefusalCode.ALREADY_SHIPPED
    done = shop.cancel_order("1003", reason="Klient zrezygnował")
    assert done.ok and done.order.status == OrderStatus.CANCELLED


def _post(client, workspace_id, body, headers):
    return client.post(f"/api/v1/commerce/webhooks/shopify/{workspace_id}", content=body, headers=headers)


def test_order_webhook_is_verified_and_deduplicated(db, workspace, shop, fake, client, runtime):
    ws = workspace.id
    payload = {"id": 5200, "admin_graphql_api_id": "gid://shopify/Order/5200", "name": "#1200"}
    body, headers = fake.webhook("orders/updated", payload, SECRET, "wh-1")
    assert _post(client, ws, body, headers).json() == {"stored": True}
    assert _post(client, ws, body, headers).json() == {"stored": False}
    _, bad = fake.webhook("orders/updated", payload, "other-secret", "wh-2")
    assert _post(client, ws, body, bad).status_code == 401
    runtime.worker().run_once()
    db.expire_all()
    assert db.scalars(select(Order.number)).all() == ["#1200"]


def test_privacy_webhooks_redact_cached_orders(db, workspace, shop, fake, client, runtime):
    ws = workspace.id
    upsert_orders(db, workspace.id, [shop.get_order("1001"), shop.get_order("1002")], source="shopify")
    db.commit()
    payload = {
        "shop_id": 1,
        "shop_domain": "lesna-polana.myshopify.com",
        "customer": {"id": 77, "email": "nobody@example.pl"},
        "orders_to_redact": [5001],
    }
    body, headers = fake.webhook("customers/redact", payload, SECRET, "wh-redact")
    assert _post(client, ws, body, headers).json() == {"stored": True}
    body, headers = fake.webhook(
        "customers/data_request",
        {"customer": {"email": "k2@example.pl"}, "orders_requested": [5002]},
        SECRET,
        "wh-dr",
    )
    assert _post(client, ws, body, headers).json() == {"stored": True}
    runtime.worker().run_once()
    db.expire_all()
    assert db.scalars(select(Order.number)).all() == ["#1002"]
    db.rollback()  # SQLite: every transaction takes the write lock (BEGIN IMMEDIATE), even a read
    body, headers = fake.webhook("shop/redact", {"shop_id": 1}, SECRET, "wh-shop")
    _post(client, ws, body, headers)
    runtime.worker().run_once()
    db.expire_all()
    assert db.scalars(select(Order)).all() == []
    assert {e.status for e in db.scalars(select(CommerceEvent))} == {"processed"}
