"""WooCommerce connector against a fake shop speaking REST API v3: auth, pagination, limits, webhooks."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from sprawa.commerce.base import OrderStatus, PaymentMethodKind, PaymentStatus, RefusalCode
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import CommerceEvent, ConnectorHealth, Order
from sprawa.commerce.service import connector_for
from sprawa.commerce.woocommerce.connector import WooCommerce
from sprawa.commerce.woocommerce.fake import FakeWooCommerce, make_order
from sprawa.customers.models import Customer
from sprawa.platform.jobs import Job
from tests.commerce.conftest import shop_config
from tests.fakes.asgi import serve

SECRET = "whsec-test"


@pytest.fixture
def fake():
    shop = FakeWooCommerce()
    shop.orders = {i: make_order(i, email=f"k{i % 7}@example.pl") for i in range(1, 206)}
    shop.orders[300] = make_order(300, tracking="602677439331630337653846", status="completed")
    with serve(shop.app) as url:
        shop.url = url
        yield shop


@pytest.fixture
def woo(db, workspace, runtime, fake, env):
    config = shop_config(
        runtime,
        "woocommerce",
        fake.url,
        consumer_key="ck_test",
        consumer_secret="cs_test",
        webhook_secret=SECRET,
    )
    workspace.settings = {"commerce": config}
    db.commit()
    return connector_for(db, workspace.id, env)


def test_order_detail_maps_statuses_payments_and_tracking(woo):
    order = woo.get_order("300")
    assert order.status == OrderStatus.SHIPPED
    assert order.payment_status == PaymentStatus.PAID
    assert order.payment_method == PaymentMethodKind.BANK_TRANSFER
    assert order.total == Decimal("149.99")
    assert order.customer.email == "anna@example.pl"
    [parcel] = order.shipments
    assert parcel.carrier == "inpost"
    assert parcel.tracking_url == "https://inpost.pl/sledzenie-przesylek?number=602677439331630337653846"
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [("LP-3004", 2, Decimal("68.00"))]
    assert woo.get_order("999999") is None


def test_find_orders_matches_the_exact_email(woo):
    found = woo.find_orders(email="K3@example.pl", limit=50)
    assert found and all(s.customer_email == "k3@example.pl" for s in found)
    assert len(found) == len([i for i in range(1, 206) if i % 7 == 3])


def test_iter_orders_follows_the_page_headers(woo, fake):
    numbers = [o.number for o in woo.iter_orders()]
    assert len(numbers) == 206 and len(set(numbers)) == 206
    pages = [r for r in fake.requests if r.startswith("GET /wp-json/wc/v3/orders?") and "page=" in r]
    assert len(pages) == 3  # 206 orders at 100 per page


def test_bad_credentials_are_a_clear_problem(db, workspace, runtime, fake, env):
    config = shop_config(runtime, "woocommerce", fake.url, consumer_key="ck_test", consumer_secret="wrong")
    with pytest.raises(ConnectorError) as err:
        WooCommerce(env, config).get_order("1")
    assert err.value.problem == ConnectorProblem.BAD_CREDENTIALS
    assert "woocommerce_rest_cannot_view" in err.value.detail


def test_429_is_retried_after_retry_after(woo, fake, sleeps):
    fake.fail = [(429, {"Retry-After": "2"})]
    assert woo.get_order("5").number == "5"
    assert sleeps and sleeps[0] >= 2


def test_rate_limit_that_outlasts_the_budget_gives_up_in_time(db, workspace, runtime, fake, env):
    config = shop_config(runtime, "woocommerce", fake.url, consumer_key="ck_test", consumer_secret="cs_test")
    fake.fail = [(429, {"Retry-After": "30"})] * 5
    with pytest.raises(ConnectorError) as err:
        WooCommerce(env.within(2.0), config).get_order("5")
    assert err.value.problem == ConnectorProblem.RATE_LIMITED and err.value.retry_after == 30


def test_cancel_is_refused_once_sent_and_done_before(woo, fake):
    refused = woo.cancel_order("300", reason="Klient zrezygnował")
    assert not refused.ok and refused.code == RefusalCode.ALREADY_SHIPPED
    done = woo.cancel_order("7", reason="Klient zrezygnował")
    assert done.ok and done.order.status == OrderStatus.CANCELLED
    assert fake.orders[7]["status"] == "cancelled"
    assert fake.notes[7][0]["note"] == "Anulowano: Klient zrezygnował"


def _post(client, workspace, body, headers):
    return client.post(f"/api/v1/commerce/webhooks/woocommerce/{workspace.id}", content=body, headers=headers)


def test_webhook_is_verified_stored_once_and_processed(db, workspace, woo, fake, client, runtime):
    body, headers = fake.webhook(300, SECRET)
    assert _post(client, workspace, body, headers).json() == {"stored": True}
    assert _post(client, workspace, body, headers).json() == {"stored": False}  # redelivery
    [event] = db.scalars(select(CommerceEvent)).all()
    assert event.payload == {"order_ref": "300"} and event.topic == "order.updated"
    assert db.scalar(select(Job).where(Job.kind == "commerce.event")) is not None
    db.rollback()  # SQLite: every transaction takes the write lock (BEGIN IMMEDIATE), even a read
    runtime.worker().run_once()
    db.expire_all()
    order = db.scalars(select(Order).where(Order.external_id == "300")).one()
    assert order.status == "shipped" and order.source == "woocommerce"
    assert db.get(CommerceEvent, event.id).status == "processed"


def test_webhook_with_a_bad_signature_stores_nothing(db, workspace, woo, fake, client):
    body, headers = fake.webhook(300, "not-the-secret")
    response = _post(client, workspace, body, headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad_signature"
    tampered = body.replace(b"149.99", b"1.00")
    _, good = fake.webhook(300, SECRET)
    assert _post(client, workspace, tampered, good).status_code == 401
    assert db.scalars(select(CommerceEvent)).all() == []


def test_form_encoded_ping_is_acknowledged(db, workspace, woo, client):
    response = _post(
        client, workspace, b"webhook_id=12", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200 and response.json() == {"stored": False}


def test_webhook_for_a_workspace_on_another_platform_is_404(db, other_workspace, client, fake):
    body, headers = fake.webhook(300, SECRET)
    response = client.post(
        f"/api/v1/commerce/webhooks/woocommerce/{other_workspace.id}", content=body, headers=headers
    )
    assert response.status_code == 404


def test_order_context_refreshes_or_says_the_data_is_stale(db, workspace, woo, fake, agent, runtime):
    customer = Customer(workspace_id=workspace.id, name="Anna Kowalska", email="anna@example.pl")
    db.add(customer)
    db.commit()
    url = f"/api/v1/customers/{customer.id}/orders"
    fresh = agent.client.get(url, params={"fresh": "true"}).json()
    assert fresh["refreshed"] and not fresh["stale"]
    assert [o["number"] for o in fresh["orders"]] == ["300"]
    assert fresh["orders"][0]["shipments"][0]["carrier"] == "inpost"
    fake.fail = [(500, {})] * 10
    stale = agent.client.get(url, params={"fresh": "true", "timeout": "0.5"}).json()
    assert stale["stale"] and stale["problem"] == "unreachable"
    assert stale["notice"]["pl"].startswith("Dane zamówień pochodzą z")
    assert [o["number"] for o in stale["orders"]] == ["300"]  # the cache still answers
    health = agent.client.get("/api/v1/commerce/health").json()
    assert health[0]["source"] == "shop" and health[0]["ok"] is False
    assert health[0]["message"]["pl"].startswith("Nie udało się połączyć ze sklepem")
    assert db.scalars(select(ConnectorHealth)).one().problem == "unreachable"


def test_a_note_is_not_posted_twice_after_a_5xx_but_a_read_is_retried(woo, fake, sleeps):
    """A POST that creates a row is not sent again when the shop may have taken it (5xx); reads are."""
    note = {"note": "Klient prosi o fakturę", "customer_note": False}
    fake.fail = [(502, {})]
    with pytest.raises(ConnectorError) as err:
        woo.api.json("POST", "/orders/7/notes", json=note, repeatable=False)
    assert err.value.problem == ConnectorProblem.UNREACHABLE
    assert sum(r.startswith("POST") for r in fake.requests) == 1
    fake.fail = [(429, {"Retry-After": "1"})]  # refused, so certainly not taken: sent again
    woo.api.json("POST", "/orders/7/notes", json=note, repeatable=False)
    assert [n["note"] for n in fake.notes[7]] == ["Klient prosi o fakturę"]
    fake.fail = [(503, {})]
    assert woo.get_order("5").number == "5"
