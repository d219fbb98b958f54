"""Allegro orders connector against a fake: checkout forms, journal, shipments + Allegro tracking, returns."""

import pytest

from sprawa.commerce.allegro.connector import AllegroOrders
from sprawa.commerce.base import OrderStatus, RefusalCode
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import ShipmentState
from tests.commerce.conftest import shop_config
from tests.fakes.allegro_orders import FakeAllegro, make_form
from tests.fakes.asgi import serve

WAYBILL = "620111222333444555666777"


@pytest.fixture
def fake():
    allegro = FakeAllegro()
    allegro.forms = [make_form(i, email=f"k{i % 2}@example.pl") for i in range(1, 151)]
    allegro.forms.append(make_form(200, fulfilment="PROCESSING"))
    first = allegro.forms[0]["id"]
    allegro.shipments[first] = [
        {
            "id": "s1",
            "waybill": WAYBILL,
            "carrierId": "INPOST",
            "carrierName": "InPost",
            "createdAt": "2026-05-18T12:00:00Z",
        }
    ]
    allegro.tracking[WAYBILL] = [
        {"occurredAt": "2026-05-18T12:00:00Z", "code": "IN_TRANSIT", "description": "Przesyłka w drodze"},
        {
            "occurredAt": "2026-05-19T09:00:00Z",
            "code": "AVAILABLE_FOR_PICKUP",
            "description": "Gotowa do odbioru",
        },
    ]
    allegro.events = [
        {
            "id": f"ev{n}",
            "occurredAt": "2026-05-19T10:00:00Z",
            "type": "READY_FOR_PROCESSING",
            "order": {"checkoutForm": {"id": allegro.forms[i]["id"], "revision": "r"}},
        }
        for n, i in enumerate((0, 1, 0))
    ]
    with serve(allegro.app) as url:
        allegro.url = url
        yield allegro


@pytest.fixture
def allegro(runtime, fake, env):
    config = shop_config(runtime, "allegro", fake.url, access_token=fake.token) | {"base_url": fake.url}
    return AllegroOrders(env, config)


def test_checkout_form_with_tracking(allegro, fake):
    order = allegro.get_order(fake.forms[0]["id"])
    assert order.status == OrderStatus.SHIPPED and order.customer.email == "k1@example.pl"
    [parcel] = order.shipments
    assert parcel.state == ShipmentState.READY_FOR_PICKUP and parcel.carrier == "inpost"
    assert [e.code for e in parcel.events] == ["IN_TRANSIT", "AVAILABLE_FOR_PICKUP"]
    assert allegro.get_order("nope") is None


def test_a_return_marks_the_order(allegro, fake):
    form = fake.forms[1]
    fake.returns[form["id"]] = [
        {"id": "r1", "orderId": form["id"], "status": "CREATED", "items": [], "parcels": []}
    ]
    assert allegro.get_order(form["id"]).status == OrderStatus.RETURN_REQUESTED


def test_forms_page_by_offset(allegro):
    assert len(list(allegro.iter_orders())) == 151


def test_journal_starts_at_the_latest_event_then_follows(allegro, fake):
    assert allegro.journal(None) == ([], "ev2")
    assert allegro.journal("ev0") == ([fake.forms[1]["id"], fake.forms[0]["id"]], "ev2")


def test_429_backs_off_and_401_is_bad_credentials(allegro, fake, sleeps, runtime, env):
    fake.rate_limited = 1
    assert allegro.get_order(fake.forms[2]["id"]) is not None and sleeps
    wrong = AllegroOrders(
        env, shop_config(runtime, "allegro", fake.url, access_token="old") | {"base_url": fake.url}
    )
    with pytest.raises(ConnectorError) as err:
        wrong.get_order(fake.forms[0]["id"])
    assert err.value.problem == ConnectorProblem.BAD_CREDENTIALS


def test_cancel_only_before_shipping_with_the_revision(allegro, fake):
    assert allegro.cancel_order(fake.forms[0]["id"], reason="x").code == RefusalCode.ALREADY_SHIPPED
    done = allegro.cancel_order(fake.forms[-1]["id"], reason="Kupujący zrezygnował")
    assert done.ok and done.order.status == OrderStatus.CANCELLED
