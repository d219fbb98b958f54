"""Carrier side of the demo data: tracking numbers, pickup points and scan histories of parcels.

A parcel's whole history is planned from the moment it is handed over, including what goes wrong
(``delay``, ``exception``, ``stuck``, ``lost``, ``pickup_expired``, ``returned``), and then cut at "now":
what is in the future has not happened yet. All randomness comes from the caller's ``random.Random``.
"""

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sprawa.commerce.models import ShipmentState

DATA = Path(__file__).resolve().parent / "data"

SCENARIOS = ("normal", "delay", "exception", "stuck", "lost", "pickup_expired", "returned")


@cache
def carriers() -> dict[str, Any]:
    return json.loads((DATA / "carriers.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Scan:
    at: datetime
    code: str
    state: ShipmentState
    description: str
    location: str | None


@dataclass(frozen=True)
class Parcel:
    """What the carrier knows about one parcel at "now"."""

    scans: list[Scan]
    state: ShipmentState
    carrier_status: str
    delivered_at: datetime | None
    pickup_deadline: datetime | None
    estimated_delivery: datetime


def tracking_number(rng: random.Random, carrier: str, service: str) -> str:
    if carrier == "inpost":  # ShipX: 24 digits
        return "6" + "".join(rng.choice("0123456789") for _ in range(23))
    if carrier == "dpd":  # DPD Polska waybill: 13 digits and a letter
        return "".join(rng.choice("0123456789") for _ in range(13)) + "U"
    if service == "letter":  # Poczta Polska registered letter (S10 format)
        return f"RR{rng.randrange(10**8, 10**9)}PL"
    return "00659007734" + "".join(rng.choice("0123456789") for _ in range(9))  # Pocztex: 20 digits


def paczkomat_code(rng: random.Random, prefix: str) -> str:
    return f"{prefix}{rng.randint(1, 260):02d}{rng.choice(['M', 'M', 'M', 'A', 'N', 'P', 'AP'])}"


def _business_morning(at: datetime, rng: random.Random) -> datetime:
    """Next delivery round: 7–10 (UTC) the next day, skipping Sunday."""
    day = at + timedelta(days=1)
    if day.weekday() == 6:
        day += timedelta(days=1)
    return day.replace(hour=rng.randint(6, 9), minute=rng.randint(0, 59), second=0, microsecond=0)


def plan_parcel(
    rng: random.Random,
    *,
    carrier: str,
    service: str,
    packed_at: datetime,
    shipped_at: datetime,
    destination: str,
    scenario: str,
    now: datetime,
) -> Parcel:
    """The scan history of a parcel handed over at ``shipped_at``, as seen at ``now``."""
    spec = carriers()
    statuses = spec["statuses"][carrier]
    problems = spec["problems"][carrier]
    hub = rng.choice(spec["hubs"][carrier])
    flow = list(spec["flows"][f"{carrier}/{service}"])
    warehouse = spec["warehouse"]["city"]
    planned: list[tuple[datetime, str, str | None]] = [(packed_at, flow[0], warehouse)]
    at = shipped_at
    for code in flow[1:]:
        if code in ("out_for_delivery",):
            at = _business_morning(at, rng)
        elif code in ("ready_to_pickup",):
            at += timedelta(hours=rng.uniform(1, 5))
        elif code == "delivered":
            hours = rng.uniform(0.5, 30) if service == "paczkomat" else rng.uniform(1, 8)
            at += timedelta(hours=hours)
        elif code != flow[1]:
            at += timedelta(hours=rng.uniform(2, 9))
        location = (
            warehouse
            if code == flow[1]
            else hub
            if "sort" in code or code in ("in_depot", "linehaul", "dispatched", "received")
            else destination
        )
        planned.append((at, code, location))
    estimated = _business_morning(shipped_at, rng).replace(hour=16) + timedelta(
        days=0 if carrier == "inpost" else 1
    )
    planned = _apply_scenario(rng, planned, scenario, problems, service, destination)
    scans = [
        Scan(at, code, ShipmentState(statuses[code][0]), statuses[code][1], location)
        for at, code, location in planned
        if at <= now
    ]
    last = scans[-1]
    delivered_at = last.at if last.state == ShipmentState.DELIVERED else None
    ready = [
        s.at
        for s in scans
        if s.code in ("ready_to_pickup", "avizo") and s.state == ShipmentState.READY_FOR_PICKUP
    ]
    deadline = None
    if ready and last.state == ShipmentState.READY_FOR_PICKUP:
        deadline = ready[0] + (timedelta(hours=48) if carrier == "inpost" else timedelta(days=14))
    return Parcel(scans, last.state, last.code, delivered_at, deadline, estimated)


def _apply_scenario(
    rng: random.Random,
    planned: list[tuple[datetime, str, str | None]],
    scenario: str,
    problems: dict[str, Any],
    service: str,
    destination: str,
) -> list[tuple[datetime, str, str | None]]:
    codes = [c for _, c, _ in planned]
    if scenario == "delay":
        cut = min(3, len(planned) - 2)
        extra = timedelta(days=rng.randint(2, 4))
        at = planned[cut][0] + timedelta(hours=rng.uniform(6, 20))
        return (
            planned[: cut + 1]
            + [(at, problems["delay"], planned[cut][2])]
            + [(t + extra, c, loc) for t, c, loc in planned[cut + 1 :]]
        )
    if scenario in ("stuck", "lost"):
        head = planned[: min(3, len(planned) - 1)]
        if scenario == "lost":
            head.append((head[-1][0] + timedelta(days=rng.randint(9, 12)), problems["lost"], None))
        return head
    if scenario == "exception":
        i = codes.index("out_for_delivery")
        code = rng.choice(problems["exception"])
        failed = planned[i][0] + timedelta(hours=rng.uniform(2, 7))
        retry = _business_morning(failed, rng)
        tail = [
            (retry, "out_for_delivery", destination),
            (retry + timedelta(hours=rng.uniform(1, 6)), "delivered", destination),
        ]
        if code in ("damaged", "undelivered_wrong_address", "not_collected"):
            tail = [(failed + timedelta(days=rng.randint(3, 6)), problems["returned"], None)]
        return planned[: i + 1] + [(failed, code, destination)] + tail
    if scenario == "pickup_expired" and service == "paczkomat":
        i = codes.index("ready_to_pickup")
        ready = planned[i][0]
        return planned[: i + 1] + [
            (ready + timedelta(hours=24), "pickup_reminder_sent", destination),
            (ready + timedelta(hours=48), "pickup_time_expired", destination),
            (ready + timedelta(days=rng.randint(5, 7)), problems["returned"], None),
        ]
    if scenario == "returned":
        i = codes.index("out_for_delivery")
        return planned[: i + 1] + [
            (planned[i][0] + timedelta(days=rng.randint(4, 8)), problems["returned"], None)
        ]
    return planned
