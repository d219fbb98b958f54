"""A fake of InPost ShipX tracking for tests and the demo, answering in ShipX's own shapes.

``GET /v1/tracking/{number}`` (newest scan first, the target Paczkomat), ``GET /v1/statuses``
and ShipX's error body; :func:`webhook_body` builds the ``shipment_status_changed`` webhook InPost sends.
Parcels come from a store: :class:`MemoryParcels` (tests) or :class:`DemoParcels`, the demo shop's own
carrier tables, so the demo's simulated carrier events are what its fake ShipX reports.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.commerce.carriers.inpost import STATUS_STATES, state_of
from sprawa.commerce.demo.models import DemoShipment, DemoShipmentEvent


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ParcelStore(Protocol):
    def tracking(self, number: str) -> dict[str, Any] | None: ...


@dataclass
class MemoryParcels:
    """Parcels kept in memory: ``add`` one, ``push`` scans onto it."""

    parcels: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, number: str, *, machine: str | None = None, created: datetime) -> None:
        self.parcels[number] = {"machine": machine, "created": created, "scans": []}
        self.push(number, "confirmed", created)

    def push(self, number: str, status: str, at: datetime, agency: str | None = None) -> None:
        self.parcels[number]["scans"].append((at, status, agency))

    def tracking(self, number: str) -> dict[str, Any] | None:
        parcel = self.parcels.get(number)
        if parcel is None:
            return None
        scans = sorted(parcel["scans"], key=lambda s: s[0], reverse=True)
        return shipx_tracking(number, parcel["machine"], parcel["created"], scans)


class DemoParcels:
    """The demo shop's InPost parcels (its carrier tables) seen through ShipX."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session, self.workspace_id = session, workspace_id

    def row(self, number: str) -> DemoShipment | None:
        return self.session.scalars(
            select(DemoShipment).where(
                DemoShipment.workspace_id == self.workspace_id,
                DemoShipment.carrier == "inpost",
                DemoShipment.tracking_number == number,
            )
        ).first()

    def tracking(self, number: str) -> dict[str, Any] | None:
        row = self.row(number)
        if row is None:
            return None
        events = self.session.scalars(
            select(DemoShipmentEvent)
            .where(DemoShipmentEvent.shipment_id == row.id)
            .order_by(DemoShipmentEvent.occurred_at.desc())
        )
        scans = [(e.occurred_at, e.code, e.location) for e in events]
        machine = row.pickup_point if row.service == "paczkomat" else None
        return shipx_tracking(number, machine, row.created_at, scans)

    def push(self, row: DemoShipment, status: str, at: datetime, description: str) -> None:
        """A carrier scan happens: the parcel's history and its latest status change."""
        self.session.add(
            DemoShipmentEvent(
                workspace_id=row.workspace_id,
                shipment_id=row.id,
                occurred_at=at,
                code=status,
                state=state_of(status),
                description=description,
                location=None,
            )
        )
        row.carrier_status, row.state, row.updated_at = status, state_of(status), at


def shipx_tracking(
    number: str, machine: str | None, created: datetime, scans: list[tuple[datetime, str, str | None]]
) -> dict[str, Any]:
    """The ``/v1/tracking`` body: scans newest first."""
    return {
        "tracking_number": number,
        "type": "inpost_locker_standard" if machine else "inpost_courier_standard",
        "service": "inpost_locker_standard" if machine else "inpost_courier_standard",
        "status": scans[0][1] if scans else "created",
        "created_at": _stamp(created),
        "updated_at": _stamp(scans[0][0]) if scans else _stamp(created),
        "custom_attributes": {"size": "B", "target_machine_id": machine, "target_machine_detail": None}
        if machine
        else {},
        "tracking_details": [
            {"status": status, "origin_status": status.upper()[:3], "agency": agency, "datetime": _stamp(at)}
            for at, status, agency in scans
        ],
        "expected_flow": [],
    }


def webhook_body(number: str, status: str, at: datetime, shipment_id: int = 49) -> bytes:
    return json.dumps(
        {
            "event_ts": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000"),
            "event": "shipment_status_changed",
            "organization_id": 1,
            "payload": {"shipment_id": shipment_id, "status": status, "tracking_number": number},
        }
    ).encode()


def statuses() -> Iterator[dict[str, str]]:
    for name in STATUS_STATES:
        yield {"name": name, "title": name.replace("_", " ").capitalize(), "description": ""}


def create_app(store: ParcelStore, organizations: dict[str, str] | None = None) -> FastAPI:
    """The fake ShipX; ``organizations`` (id → API token) answer ``GET /v1/organizations/{id}``."""
    app = FastAPI(title="InPost ShipX (fake)")
    known = organizations or {}

    @app.get("/v1/organizations/{organization_id}")
    def organization(organization_id: str, request: Request) -> JSONResponse:
        token = known.get(organization_id)
        if request.headers.get("Authorization") != f"Bearer {token}" or token is None:
            if token is None and request.headers.get("Authorization") in {
                f"Bearer {t}" for t in known.values()
            }:
                return JSONResponse(
                    {
                        "status": 404,
                        "error": "resource_not_found",
                        "message": "Resource not found",
                        "details": {},
                    },
                    status_code=404,
                )
            return JSONResponse(
                {
                    "status": 401,
                    "error": "token_invalid",
                    "message": "Token is missing or invalid",
                    "details": {},
                },
                status_code=401,
            )
        return JSONResponse(
            {
                "href": f"https://api-shipx-pl.easypack24.net/v1/organizations/{organization_id}",
                "id": int(organization_id),
                "owner_id": 1,
                "name": "Sklep Przykładowy sp. z o.o.",
                "status": "confirmed",
                "services": ["inpost_locker_standard", "inpost_courier_standard"],
            }
        )

    @app.get("/v1/tracking/{number}")
    def tracking(number: str) -> JSONResponse:
        found = store.tracking(number)
        if found is None:
            return JSONResponse(
                {
                    "status": 404,
                    "error": "resource_not_found",
                    "message": "Resource not found",
                    "details": {},
                },
                status_code=404,
            )
        return JSONResponse(found)

    @app.get("/v1/statuses")
    def status_dictionary() -> dict[str, Any]:
        items = list(statuses())
        return {
            "href": "https://api-shipx-pl.easypack24.net/v1/statuses",
            "items": items,
            "count": len(items),
        }

    return app


class DemoShipX:
    """The demo workspace's tracker: its fake ShipX, answered in-process (``base_url: demo``)."""

    carrier = "inpost"

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.store = DemoParcels(session, workspace_id)

    def track(self, tracking_number: str) -> Any:
        from sprawa.commerce.carriers.inpost import shipment_from_tracking

        data = self.store.tracking(tracking_number.strip())
        return shipment_from_tracking(data) if data else None
