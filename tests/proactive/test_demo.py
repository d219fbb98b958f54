"""The demo: the fake InPost makes a few parcels late while the demo runs and customers are told first."""

from sqlalchemy import func, select

from sprawa.channels.models import Channel, ChannelKind
from sprawa.commerce.demo.connector import DemoShop
from sprawa.commerce.demo.models import DemoShipment, DemoShipmentEvent
from sprawa.commerce.demo.seed import seed_shop
from sprawa.commerce.models import CommerceEvent, Order, Shipment
from sprawa.commerce.service import sync_all
from sprawa.customers.models import Customer
from sprawa.db import utcnow
from sprawa.platform.jobs import Job, JobStatus
from sprawa.proactive.demo import seed_proactive_demo
from sprawa.proactive.models import ProactiveNotice
from tests.factories import make_channel
from tests.proactive.conftest import talk


def _demo_shop(db, workspace) -> Channel:
    """A small demo shop whose customers with InPost parcels in transit have written to the shop."""
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    seed_shop(db, workspace.id, now=now, customers=60, orders=300)
    sync_all(db, DemoShop(db, workspace.id), workspace.id)
    chat = make_channel(db, workspace, ChannelKind.WEBCHAT)
    moving = select(Shipment.order_id).where(Shipment.carrier == "inpost", Shipment.state == "in_transit")
    for order in db.scalars(select(Order).where(Order.id.in_(moving)).limit(5)):
        customer = Customer(
            workspace_id=workspace.id, name="Klient", email=order.customer_email, language="pl"
        )
        db.add(customer)
        db.flush()
        order.customer_id = customer.id
        talk(db, customer, chat, now)
    seed_proactive_demo(db, workspace.id)
    proactive = workspace.settings["proactive"] | {"quiet_hours": {"start": "00:00", "end": "00:00"}}
    workspace.settings = {**workspace.settings, "proactive": proactive}  # the test runs at the real time
    db.commit()
    return chat


def test_demo_parcels_fall_behind_and_notices_go_out(db, workspace, runtime):
    started = utcnow()
    _demo_shop(db, workspace)
    scan = db.scalars(select(Job).where(Job.kind == "proactive.scan")).one()
    db.rollback()
    worker = runtime.worker()
    for _ in range(3):  # the scan (the fake carrier reports delays), then the stored "webhooks"
        worker.run_once()
    delays = list(
        db.scalars(
            select(DemoShipmentEvent).where(
                DemoShipmentEvent.code == "delay_in_delivery", DemoShipmentEvent.occurred_at >= started
            )
        )
    )
    assert 1 <= len(delays) <= 2
    assert {e.status for e in db.scalars(select(CommerceEvent))} == {"processed"}
    notices = list(db.scalars(select(ProactiveNotice).where(ProactiveNotice.rule == "late")))
    assert {n.status for n in notices} == {"sent"}
    delayed_numbers = {db.get(DemoShipment, d.shipment_id).tracking_number for d in delays}
    told = db.scalars(select(Shipment).where(Shipment.order_id.in_([n.order_id for n in notices])))
    told = {s.tracking_number: s for s in told}
    assert delayed_numbers <= set(told)  # every parcel the carrier reported late was announced
    assert all(told[n].events[-1]["code"] == "delay_in_delivery" for n in delayed_numbers)
    assert db.get(Job, scan.id).status == JobStatus.DONE
    assert db.scalar(select(func.count()).where(Job.kind == "proactive.scan")) == 2  # the next run is queued
