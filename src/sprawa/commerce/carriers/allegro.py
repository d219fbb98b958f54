"""Allegro's carrier tracking: one normalised history for an Allegro order's parcel, whatever the carrier.

``GET /order/carriers/{carrierId}/tracking?waybill=…`` — the cheapest tracking route for marketplace orders.
Status codes follow the Allegro docs (verify new codes against the live spec; unknown ones count as in
transit).
"""

from datetime import datetime
from typing import Any

from sprawa.commerce.base import ShipmentEvent, ShipmentInfo
from sprawa.commerce.carriers.links import carrier_code, tracking_url
from sprawa.commerce.models import ShipmentState
from sprawa.commerce.remote import ApiClient

St = ShipmentState
STATUS_STATES = {
    "PENDING": St.CREATED,
    "IN_TRANSIT": St.IN_TRANSIT,
    "RELEASED_FOR_DELIVERY": St.OUT_FOR_DELIVERY,
    "OUT_FOR_DELIVERY": St.OUT_FOR_DELIVERY,
    "AVAILABLE_FOR_PICKUP": St.READY_FOR_PICKUP,
    "NOTICE_LEFT": St.EXCEPTION,
    "ISSUE": St.EXCEPTION,
    "DELIVERED": St.DELIVERED,
    "PICKED_UP": St.DELIVERED,
    "RETURNED": St.RETURNED,
}


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def shipment_from_tracking(
    carrier_id: str, data: dict[str, Any], order_external_id: str
) -> ShipmentInfo | None:
    waybills = data.get("waybills") or []
    if not waybills:
        return None
    item = waybills[0]
    statuses = sorted(
        (item.get("trackingDetails") or {}).get("statuses") or [], key=lambda s: s["occurredAt"]
    )
    events = tuple(
        ShipmentEvent(
            _at(s["occurredAt"]),
            s["code"],
            STATUS_STATES.get(s["code"], St.IN_TRANSIT),
            s.get("description") or s["code"],
        )
        for s in statuses
    )
    state = events[-1].state if events else St.CREATED
    carrier = carrier_code(carrier_id)
    number = item["waybill"]
    return ShipmentInfo(
        external_id=number,
        order_external_id=order_external_id,
        carrier=carrier if carrier != "other" else carrier_id.lower(),
        service="courier",
        tracking_number=number,
        tracking_url=tracking_url(carrier, number),
        state=state,
        carrier_status=events[-1].code if events else None,
        pickup_point=None,
        pickup_deadline=None,
        estimated_delivery=None,
        shipped_at=events[0].at if events else None,
        delivered_at=events[-1].at if state == St.DELIVERED else None,
        events=events,
    )


def track(api: ApiClient, carrier_id: str, waybill: str, order_external_id: str = "") -> ShipmentInfo | None:
    data = api.json("GET", f"/order/carriers/{carrier_id}/tracking", params={"waybill": waybill})
    return shipment_from_tracking(carrier_id, data, order_external_id) if data else None
