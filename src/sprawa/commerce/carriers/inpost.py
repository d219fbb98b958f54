"""InPost ShipX tracking: the status dictionary mapped to one normalised state, and the tracking client.

ShipX webhooks carry no signature, so a webhook is only a hint: it must come from InPost's documented
source range, and Sprawa then re-reads ``/v1/tracking/{number}`` before acting on it.
"""

import ipaddress
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sprawa.commerce.base import ShipmentEvent, ShipmentInfo
from sprawa.commerce.carriers.links import tracking_url
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import ShipmentState
from sprawa.commerce.remote import ApiClient, ConnectorEnv, bucket_for

PRODUCTION_URL = "https://api-shipx-pl.easypack24.net"
#: Where ShipX sends webhooks from (Manager paczek → API docs).
WEBHOOK_SOURCES = ("91.216.25.0/24",)
#: A parcel waits this long in a Paczkomat before the pickup time expires (extendable by the customer).
PACZKOMAT_PICKUP_HOURS = 48

St = ShipmentState
_GROUPS: dict[ShipmentState, tuple[str, ...]] = {
    St.CREATED: ("created", "offers_prepared", "offer_selected", "confirmed"),
    St.IN_TRANSIT: (
        "dispatched_by_sender",
        "dispatched_by_sender_to_pok",
        "collected_from_sender",
        "taken_by_courier",
        "taken_by_courier_from_pok",
        "adopted_at_source_branch",
        "sent_from_source_branch",
        "adopted_at_sorting_center",
        "sent_from_sorting_center",
        "adopted_at_target_branch",
        "delay_in_delivery",
        "redirect_to_box",
        "canceled_redirect_to_box",
        "readdressed",
        "unstack_from_box_machine",
        "unstack_from_customer_service_point",
        "taken_by_courier_from_customer_service_point",
    ),
    St.OUT_FOR_DELIVERY: ("out_for_delivery", "out_for_delivery_to_address"),
    St.READY_FOR_PICKUP: (
        "ready_to_pickup",
        "pickup_reminder_sent",
        "ready_to_pickup_from_pok",
        "ready_to_pickup_from_pok_registered",
        "ready_to_pickup_from_branch",
        "stack_in_box_machine",
        "stack_in_customer_service_point",
        "courier_avizo_in_customer_service_point",
        "pickup_reminder_sent_address",
    ),
    St.EXCEPTION: (
        "oversized",
        "undelivered_wrong_address",
        "undelivered_incomplete_address",
        "undelivered_unknown_receiver",
        "undelivered_cod_cash_receiver",
        "undelivered_no_mailbox",
        "undelivered_not_live_address",
        "undelivered_lack_of_access_letterbox",
        "undelivered",
        "avizo",
        "pickup_time_expired",
        "stack_parcel_pickup_time_expired",
        "stack_parcel_in_box_machine_pickup_time_expired",
        "rejected_by_receiver",
        "claimed",
        "canceled",
        "other",
    ),
    St.DELIVERED: ("delivered",),
    St.RETURNED: ("returned_to_sender", "return_pickup_confirmation_to_sender"),
    St.LOST: ("missing",),
}
STATUS_STATES: dict[str, ShipmentState] = {code: state for state, codes in _GROUPS.items() for code in codes}

#: Why a parcel is in ``exception``, for the customer (Polish, English).
EXCEPTION_REASONS: dict[str, tuple[str, str]] = {
    "oversized": ("paczka nie zmieściła się w skrytce", "the parcel did not fit the locker"),
    "undelivered_wrong_address": ("kurier nie znalazł adresu", "the courier could not find the address"),
    "undelivered_incomplete_address": ("adres jest niepełny", "the address is incomplete"),
    "undelivered_unknown_receiver": ("odbiorca nieznany pod adresem", "the recipient is unknown there"),
    "undelivered_cod_cash_receiver": ("nie udało się pobrać płatności", "cash on delivery was not paid"),
    "undelivered_no_mailbox": ("brak skrzynki odbiorczej", "no mailbox at the address"),
    "undelivered_not_live_address": ("odbiorca nie mieszka pod adresem", "the recipient does not live there"),
    "undelivered_lack_of_access_letterbox": ("brak dostępu do skrzynki", "no access to the letterbox"),
    "undelivered": ("nie udało się doręczyć", "delivery failed"),
    "avizo": ("nikogo nie było w domu, paczka wróciła do oddziału", "nobody was in; back at the depot"),
    "pickup_time_expired": ("minął termin odbioru", "the pickup time ran out"),
    "stack_parcel_pickup_time_expired": ("minął termin odbioru", "the pickup time ran out"),
    "stack_parcel_in_box_machine_pickup_time_expired": ("minął termin odbioru", "the pickup time ran out"),
    "rejected_by_receiver": ("odbiorca odmówił przyjęcia", "the recipient refused the parcel"),
    "claimed": ("trwa reklamacja przesyłki", "a claim on the parcel is open"),
    "canceled": ("przesyłka została anulowana", "the shipment was cancelled"),
}


def state_of(status: str) -> ShipmentState:
    """Normalised state of a ShipX status name; unknown names count as in transit (never as a problem)."""
    return STATUS_STATES.get(status.lower(), St.IN_TRANSIT)


def from_webhook_source(address: str, allowed: Iterable[str] = WEBHOOK_SOURCES) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in allowed)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def shipment_from_tracking(data: dict[str, Any], order_external_id: str = "") -> ShipmentInfo:
    """A ShipX ``/v1/tracking`` answer as a ShipmentInfo (scans oldest first)."""
    details = sorted(data.get("tracking_details") or [], key=lambda d: d["datetime"])
    events = tuple(
        ShipmentEvent(
            at=_at(d["datetime"]),
            code=d["status"],
            state=state_of(d["status"]),
            description=(d.get("title") or d["status"]),
            location=d.get("agency"),
        )
        for d in details
    )
    status = str(data.get("status") or (events[-1].code if events else "created"))
    state = state_of(status)
    attrs = data.get("custom_attributes") or {}
    machine = attrs.get("target_machine_id")
    deadline = None
    if state == St.READY_FOR_PICKUP and machine:
        ready = [
            e.at for e in events if e.code.startswith("ready_to_pickup") or e.code == "stack_in_box_machine"
        ]
        if ready:
            deadline = ready[-1] + timedelta(hours=PACZKOMAT_PICKUP_HOURS)
    shipped = [e.at for e in events if e.state != St.CREATED]
    number = str(data["tracking_number"])
    return ShipmentInfo(
        external_id=number,
        order_external_id=order_external_id,
        carrier="inpost",
        service="paczkomat" if machine else "courier",
        tracking_number=number,
        tracking_url=tracking_url("inpost", number),
        state=state,
        carrier_status=status,
        pickup_point=machine,
        pickup_deadline=deadline,
        estimated_delivery=None,
        shipped_at=shipped[0] if shipped else None,
        delivered_at=events[-1].at if state == St.DELIVERED and events else None,
        events=events,
    )


class ShipXTracking:
    """Public ShipX tracking (an organisation token raises the limits but is not required)."""

    carrier = "inpost"

    def __init__(self, env: ConnectorEnv, base_url: str = PRODUCTION_URL, token: str | None = None) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.api = ApiClient(env, base_url, headers=headers, bucket=bucket_for(f"shipx|{base_url}", 100, 1))

    def track(self, tracking_number: str) -> ShipmentInfo | None:
        data = self.api.json("GET", f"/v1/tracking/{tracking_number.strip()}")
        return shipment_from_tracking(data) if data else None

    def organization(self, organization_id: str) -> dict[str, Any]:
        """The organisation the token belongs to: proves the token and the id (settings' test button)."""
        data = self.api.json("GET", f"/v1/organizations/{organization_id}")
        if not data:
            raise ConnectorError(
                ConnectorProblem.BAD_CREDENTIALS, f"ShipX does not know organisation {organization_id}"
            )
        return dict(data)

    def statuses(self, lang: str = "pl_PL") -> dict[str, str]:
        """Status name → title from the authoritative dictionary."""
        data = self.api.json("GET", "/v1/statuses", params={"lang": lang}) or {}
        return {item["name"]: item.get("title", item["name"]) for item in data.get("items", [])}
