"""InPost ShipX tracking: the status dictionary, the fake's wire format, webhooks checked by source and
acted on only after the parcel is re-read (then the proactive rules run)."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sprawa.commerce.carriers.inpost import ShipXTracking, from_webhook_source, state_of
from sprawa.commerce.carriers.inpost_fake import MemoryParcels, create_app, webhook_body
from sprawa.commerce.models import CommerceEvent, ShipmentState
from sprawa.proactive.models import ProactiveNotice
from tests.fakes.asgi import serve
from tests.proactive.conftest import enable
from tests.proactive.conftest import world as world  # noqa: F401 - the fixture, shared

St = ShipmentState
NUMBER = "602677439331630337653846"
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("confirmed", St.CREATED),
        ("adopted_at_sorting_center", St.IN_TRANSIT),
        ("out_for_delivery", St.OUT_FOR_DELIVERY),
        ("ready_to_pickup", St.READY_FOR_PICKUP),
        ("pickup_reminder_sent", St.READY_FOR_PICKUP),
        ("delivered", St.DELIVERED),
        ("undelivered_wrong_address", St.EXCEPTION),
        ("pickup_time_expired", St.EXCEPTION),
        ("returned_to_sender", St.RETURNED),
        ("missing", St.LOST),
        ("some_new_status", St.IN_TRANSIT),
    ],
)
def test_status_dictionary(status, state):
    assert state_of(status) == state


def test_webhook_source_range():
    assert from_webhook_source("91.216.25.7") and not from_webhook_source("91.216.26.7")
    assert not from_webhook_source("testclient")


@pytest.fixture
def parcels():
    store = MemoryParcels()
    store.add(NUMBER, machine="KRA01M", created=T0)
    store.push(NUMBER, "collected_from_sender", T0 + timedelta(hours=2), "Skawina")
    store.push(NUMBER, "ready_to_pickup", T0 + timedelta(hours=20), "KRA01M")
    with serve(create_app(store)) as url:
        store.url = url
        yield store


def test_tracking_maps_the_paczkomat_and_its_deadline(env, parcels):
    info = ShipXTracking(env, parcels.url).track(NUMBER)
    assert info.state == St.READY_FOR_PICKUP and info.pickup_point == "KRA01M"
    assert info.pickup_deadline == T0 + timedelta(hours=68)
    assert [e.code for e in info.events] == ["confirmed", "collected_from_sender", "ready_to_pickup"]
    assert ShipXTracking(env, parcels.url).track("000") is None
    assert "delivered" in ShipXTracking(env, parcels.url).statuses()


def test_webhook_is_a_hint_the_parcel_is_re_read(db, world, app, runtime, parcels):
    """The webhook says "delivered", ShipX says the address was wrong: the customer hears the truth."""
    ws = world.workspace
    enable(db, ws, quiet_hours={"start": "00:00", "end": "00:00"})  # it runs at the real time: no quiet hours
    ws.settings = {
        **ws.settings,
        "carriers": {"inpost": {"base_url": parcels.url, "webhook_sources": ["127.0.0.0/8"]}},
    }
    world.parcel.estimated_delivery = datetime.now(UTC) + timedelta(days=1)
    world.order.placed_at = datetime.now(UTC) - timedelta(days=3)
    db.commit()
    parcels.push(NUMBER, "undelivered_wrong_address", datetime.now(UTC) - timedelta(minutes=5))
    url = f"/api/v1/commerce/webhooks/inpost/{ws.id}"
    body = webhook_body(NUMBER, "delivered", datetime.now(UTC))
    outsider = TestClient(app, client=("203.0.113.9", 4000))
    assert outsider.post(url, content=body).status_code == 403
    inpost = TestClient(app, client=("127.0.0.1", 4000))
    assert inpost.get(url).status_code == 200  # ShipX checks the endpoint with a GET
    assert inpost.post(url, content=body).json() == {"stored": True}
    assert inpost.post(url, content=body).json() == {"stored": False}
    db.rollback()
    runtime.worker().run_once()
    db.expire_all()
    assert world.parcel.state == "exception"
    assert db.scalars(select(CommerceEvent.status)).one() == "processed"
    notice = db.scalars(select(ProactiveNotice)).one()
    assert notice.rule == "delivery_exception" and notice.dedup_key.startswith(
        f"exception:{world.parcel.id}:undelivered"
    )


def test_fresh_order_context_rereads_parcels_on_their_way(db, world, agent, parcels):
    ws = world.workspace
    ws.settings = {**ws.settings, "carriers": {"inpost": {"base_url": parcels.url}}}
    db.commit()
    body = agent.client.get(f"/api/v1/customers/{world.customer.id}/orders", params={"fresh": "true"}).json()
    [order] = body["orders"]
    assert order["shipments"][0]["state"] == "ready_for_pickup"  # the demo shop said in transit; ShipX knows
    assert order["shipments"][0]["pickup_point"] == "KRA01M"
