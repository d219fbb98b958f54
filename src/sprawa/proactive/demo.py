"""The demo's proactive service: a few parcels fall behind while the demo runs, and customers hear first.

``seed_proactive_demo`` switches the rules on for the demo workspace and points its InPost tracking at the
demo's fake ShipX. Every proactive scan then lets the fake carrier report a delay on up to two InPost
parcels of customers who have talked to the shop; each report is stored exactly like a ShipX webhook
and processed like one (the parcel is re-read, the cache updated, the rules run).
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.channels.models import Thread
from sprawa.commerce.actions.events import record_commerce_event
from sprawa.commerce.carriers.inpost_fake import DemoParcels
from sprawa.commerce.demo.models import DemoOrder, DemoShipment, DemoShipmentEvent
from sprawa.commerce.models import Order, ShipmentState
from sprawa.db import utcnow
from sprawa.proactive.schemas import ProactiveSettings, QuietHours
from sprawa.proactive.tasks import schedule_scan
from sprawa.workspaces.models import Workspace

DELAY = "delay_in_delivery"
PER_RUN = 2


def seed_proactive_demo(session: Session, workspace_id: str) -> None:
    """Proactive service on for the demo workspace, its InPost parcels tracked through the fake ShipX."""
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None
    settings = ProactiveSettings(
        enabled=True,
        simulate_carriers=True,
        offer_compensation=True,
        # Narrower than a shop's usual 22–8, so a demo run in the evening still shows notices going out.
        quiet_hours=QuietHours.model_validate({"start": "01:00", "end": "06:00"}),
    )
    workspace.settings = {
        **(workspace.settings or {}),
        "proactive": settings.model_dump(mode="json"),
        "carriers": {"inpost": {"base_url": "demo"}},
    }
    schedule_scan(session, workspace_id)


def simulate_carrier_events(session: Session, workspace_id: str, now: datetime | None = None) -> list[str]:
    """The fake InPost reports a delay on a few parcels in transit; returns their tracking numbers."""
    now = now or utcnow()
    reachable = select(Order.number).where(
        Order.workspace_id == workspace_id,
        Order.customer_id.in_(select(Thread.customer_id).where(Thread.workspace_id == workspace_id)),
    )
    delayed = select(DemoShipmentEvent.shipment_id).where(
        DemoShipmentEvent.workspace_id == workspace_id, DemoShipmentEvent.code == DELAY
    )
    rows = list(
        session.scalars(
            select(DemoShipment)
            .join(DemoOrder, DemoOrder.id == DemoShipment.order_id)
            .where(
                DemoShipment.workspace_id == workspace_id,
                DemoShipment.carrier == "inpost",
                DemoShipment.state == ShipmentState.IN_TRANSIT,
                DemoShipment.id.not_in(delayed),
                DemoOrder.number.in_(reachable),
            )
            .order_by(DemoShipment.estimated_delivery)
            .limit(PER_RUN)
        )
    )
    store = DemoParcels(session, workspace_id)
    numbers = []
    for row in rows:
        store.push(row, DELAY, now, "Możliwe opóźnienie doręczenia")
        if row.estimated_delivery is not None:
            row.estimated_delivery += timedelta(days=2)
        number = str(row.tracking_number)
        # What ShipX would send now; processed like any webhook (the parcel is re-read first).
        record_commerce_event(
            session,
            workspace_id,
            "inpost",
            f"{number}:{DELAY}:{now.isoformat()}",
            "shipment_status_changed",
            {"tracking_number": number},
        )
        numbers.append(number)
    session.flush()
    return numbers
