"""BaseLinker connector against a fake connector.php: token, error bodies, paging, journal, packages."""

import pytest
from sqlalchemy import select

from sprawa.commerce.base import OrderStatus, RefusalCode
from sprawa.commerce.baselinker.connector import BaseLinker
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import Order, ShipmentState
from tests.commerce.conftest import shop_config
from tests.fakes.asgi import serve
from tests.fakes.baselinker import FakeBaseLinker, make_order


@pytest.fixture
def fake():
    bl = FakeBaseLinker(limit_per_minute=10_000)
    bl.orders = {i: make_order(i, email=f"k{i % 2}@example.pl") for i in range(1, 251)}
    bl.orders[7]["delivery_package_nr"] = "602677439331630337653846"
    bl.packages[7] = [
        {
            "package_id": 70,
            "courier_package_nr": "602677439331630337653846",
            "courier_code": "inpost",
            "courier_other_name": "",
            "tracking_status": 8,
            "tracking_status_date": 1779100000,
            "tracking_url": "https://inpost.pl/sledzenie-przesylek?number=602677439331630337653846",
        }
    ]
    bl.journal = [
        {"log_id": 500 + i, "log_type": 18, "order_id": oid, "object_id": 0, "date": 1779100000 + i}
        for i, oid in enumerate((7, 9, 7))
    ]
    with serve(bl.app) as url:
        bl.url = url
        yield bl


@pytest.fixture
def bl(runtime, fake, env):
    config = shop_config(runtime, "baselinker", fake.url, token=fake.token) | {
        "base_url": fake.url,
        "status_map": {"1002": "cancelled"},
    }
    return BaseLinker(env, config)


def test_order_with_package_tracking_status(bl):
    order = bl.get_order("7")
    assert order.status == OrderStatus.SHIPPED and order.external_status == "Nowe"
    [parcel] = order.shipments
    assert parcel.state == ShipmentState.READY_FOR_PICKUP and parcel.carrier == "inpost"
    assert order.pickup_point == "KRA01M"
    assert bl.get_order("9999") is None


def test_iter_orders_pages_by_confirmation_date(bl, fake):
    assert len(list(bl.iter_orders())) == 250
    assert fake.calls.count("getOrders") == 3


def test_journal_gives_changed_orders_and_the_cursor(bl):
    assert bl.journal(0) == (["7", "9"], 502)
    assert bl.journal(502) == ([], 502)


def test_error_bodies_map_to_problems(runtime, fake, env):
    wrong = BaseLinker(
        env, shop_config(runtime, "baselinker", fake.url, token="nope") | {"base_url": fake.url}
    )
    with pytest.raises(ConnectorError) as err:
        wrong.get_order("1")
    assert err.value.problem == ConnectorProblem.BAD_CREDENTIALS and "ERROR_BAD_TOKEN" in err.value.detail


def test_request_limit(runtime, env, fake):
    fake.limit = 1
    bl = BaseLinker(
        env, shop_config(runtime, "baselinker", fake.url, token=fake.token) | {"base_url": fake.url}
    )
    with pytest.raises(ConnectorError) as err:
        bl.get_order("1")  # getOrders, then getOrderStatusList is one too many
    assert err.value.problem == ConnectorProblem.RATE_LIMITED and err.value.retry_after == 60


def test_cancel_uses_the_accounts_status(bl, fake):
    assert bl.cancel_order("7", reason="x").code == RefusalCode.ALREADY_SHIPPED
    done = bl.cancel_order("8", reason="Klient zrezygnował")
    assert done.ok and done.order.status == OrderStatus.CANCELLED
    assert fake.orders[8]["admin_comments"] == "Anulowano: Klient zrezygnował"


def test_connection_api_starts_journal_polling(db, workspace, admin, agent, runtime, fake):
    body = {"kind": "baselinker", "base_url": fake.url, "credentials": {"token": fake.token}}
    assert agent.client.put("/api/v1/commerce/connection", json=body).status_code == 403
    saved = admin.client.put("/api/v1/commerce/connection", json=body)
    assert saved.status_code == 200 and saved.json() == {
        "kind": "baselinker",
        "base_url": fake.url,
        "has_credentials": True,
        "webhook_url": None,
    }
    assert "token" not in saved.text or fake.token not in saved.text
    missing = admin.client.put("/api/v1/commerce/connection", json={"kind": "shopify"})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "missing_credentials"
    worker = runtime.worker()
    worker.run_once()  # the poll: journal from 0 → two changed orders stored as events
    worker.run_once()  # the events: each order re-read into the cache
    health = admin.client.get("/api/v1/commerce/health").json()[0]
    assert health["kind"] == "baselinker" and health["ok"] and health["synced_orders"] == 2
    numbers = sorted(o["number"] for o in db.execute(select(Order.number)).mappings())
    assert numbers == ["7", "9"]
