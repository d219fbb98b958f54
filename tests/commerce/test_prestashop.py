"""PrestaShop connector against a fake Webservice: key auth, JSON output, filters, states, threads."""

import pytest

from sprawa.commerce.base import OrderStatus, RefusalCode
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.prestashop.connector import PrestaShop
from tests.commerce.conftest import shop_config
from tests.fakes.asgi import serve
from tests.fakes.prestashop import FakePrestaShop, seed, thread


@pytest.fixture
def fake():
    shop = FakePrestaShop()
    seed(shop)
    with serve(shop.app) as url:
        shop.url = url
        yield shop


@pytest.fixture
def ps(runtime, fake, env):
    return PrestaShop(env, shop_config(runtime, "prestashop", fake.url, api_key=fake.key))


def test_order_with_shop_state_name_and_tracking(ps):
    order = ps.get_order("1")
    assert order.status == OrderStatus.SHIPPED and order.external_status == "Wysłane"
    assert order.customer.email == "jan@example.pl"
    [parcel] = order.shipments
    assert parcel.carrier == "inpost" and parcel.tracking_number == "602677439331630337653846"
    assert ps.get_order("999") is None


def test_find_orders_by_customer_email_uses_filters(ps, fake):
    found = ps.find_orders(email="Anna@Example.pl", limit=50)
    assert len(found) == 30 and {s.customer_email for s in found} == {"anna@example.pl"}
    assert any("filter%5Bemail%5D=%5Banna%40example.pl%5D" in q for q in fake.requests)
    assert ps.find_orders(phone="+48500100200") == []


def test_iter_orders_pages_with_limit_offset(ps):
    assert len(list(ps.iter_orders())) == 60


def test_state_map_override(runtime, fake, env):
    config = shop_config(runtime, "prestashop", fake.url, api_key=fake.key) | {"state_map": {"2": "packed"}}
    assert PrestaShop(env, config).get_order("2").status == OrderStatus.PACKED


def test_wrong_key(runtime, fake, env):
    with pytest.raises(ConnectorError) as err:
        PrestaShop(env, shop_config(runtime, "prestashop", fake.url, api_key="WRONG")).get_order("1")
    assert (
        err.value.problem == ConnectorProblem.BAD_CREDENTIALS
        and "Invalid authentication key" in err.value.detail
    )


def test_cancel_writes_an_order_history_in_xml(ps, fake):
    assert ps.cancel_order("1", reason="x").code == RefusalCode.ALREADY_SHIPPED
    done = ps.cancel_order("2", reason="Klient zrezygnował")
    assert done.ok and done.order.status == OrderStatus.CANCELLED
    assert fake.data["orders"][1]["current_state"] == "6"


def test_customer_threads_with_their_messages(ps, fake):
    [t] = ps.customer_threads("2026-05-19 00:00:00")
    assert (t.email, t.order_external_id, t.shop_customer_id, t.updated) == (
        "anna@example.pl",
        "1",
        "1",
        "2026-05-20 10:00:00",
    )
    assert [(m.external_id, m.employee, m.text) for m in t.messages] == [
        ("1", False, "Gdzie jest moja paczka?"),
        ("2", True, "Już sprawdzamy."),
    ]
    assert ps.customer_threads("2026-05-20 10:00:00", after_id=9) == []  # the cursor's own thread is read
    assert any("sort=%5Bdate_upd_ASC%2Cid_ASC%5D" in q for q in fake.requests)


def test_customer_threads_page_in_date_order(ps, fake):
    fake.data["customer_threads"] = [
        thread(n, f"k{n}@example.pl", updated=f"2026-06-{1 + n % 20:02d} 08:00:00") for n in range(1, 121)
    ]
    found = ps.customer_threads("2026-06-01 00:00:00", limit=500)
    assert len(found) == 120
    assert [(t.updated, int(t.external_id)) for t in found] == sorted(
        (t.updated, int(t.external_id)) for t in found
    )
    assert len(ps.customer_threads("2026-06-01 00:00:00", limit=30)) == 30


def test_polled_because_prestashop_sends_no_webhooks(db, workspace, admin, runtime, fake):
    from sqlalchemy import func, select

    from sprawa.commerce.models import ConnectorHealth, Order

    body = {"kind": "prestashop", "base_url": fake.url, "credentials": {"api_key": fake.key}}
    assert admin.client.put("/api/v1/commerce/connection", json=body).status_code == 200
    runtime.worker().run_once()
    assert db.scalar(select(func.count()).select_from(Order)) == 60
    health = db.scalars(select(ConnectorHealth)).one()
    assert health.ok and health.synced_orders == 60 and health.last_sync_at is not None
