"""Deterministic generator of the demo shop "Sklep Leśna Polana": catalogue, customers, orders, parcels.

Same ``seed`` and ``now`` give the same shop (ids apart). Orders are simulated from placement to "now":
payment, packing, hand-over, the carrier's scans (with delays, stuck and lost parcels, failed deliveries,
expired Paczkomat pickups), cancellations and withdrawals. Rows are written in bulk: 1,500 orders take
a few seconds on SQLite.
"""

import itertools
import json
import random
import unicodedata
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from faker import Faker
from sqlalchemy import insert
from sqlalchemy.orm import Session

from sprawa.commerce.base import OrderStatus, PaymentMethodKind, PaymentStatus
from sprawa.commerce.demo import timeline
from sprawa.commerce.demo.models import (
    DemoCustomer,
    DemoOrder,
    DemoOrderItem,
    DemoPayment,
    DemoProduct,
    DemoReturn,
    DemoShipment,
    DemoShipmentEvent,
    DemoVariant,
)
from sprawa.commerce.demo.timeline import DATA
from sprawa.platform.ids import new_id

DEFAULT_SEED = 20260501
FIRST_NUMBER = 100001
S = OrderStatus
P = PaymentMethodKind
PAYMENT_WEIGHTS = {P.BLIK: 38, P.BANK_TRANSFER: 20, P.CARD: 14, P.CASH_ON_DELIVERY: 16, P.PAYPO: 12}
CANCEL_REASONS = [
    "Klient zrezygnował z zamówienia",
    "Zamówiony zły rozmiar — klient złoży nowe zamówienie",
    "Klient znalazł produkt taniej",
    "Zamówienie złożone dwa razy przez pomyłkę",
    "Zmiana adresu dostawy — klient złoży nowe zamówienie",
]
RETURN_REASONS = [
    "Rozmiar nie pasuje",
    "Kolor inny niż na zdjęciach",
    "Zmiana decyzji",
    "Produkt nie spełnił oczekiwań",
    "Zamówiłam dwa rozmiary, jeden odsyłam",
    "",
]
NOTES = [
    "Proszę o telefon przed doręczeniem.",
    "To prezent — proszę nie dołączać paragonu.",
    "Domofon nie działa, proszę dzwonić na komórkę.",
    "Proszę zostawić u sąsiada spod 4, jeśli mnie nie będzie.",
]


@cache
def catalog() -> dict[str, Any]:
    return json.loads((DATA / "catalog.json").read_text(encoding="utf-8"))


@cache
def places() -> dict[str, Any]:
    return json.loads((DATA / "places.json").read_text(encoding="utf-8"))


def _ascii(text: str) -> str:
    text = text.lower().replace("ł", "l").replace("'", "")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isalnum() and c.isascii())


def _money(value: str | Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


class ShopGenerator:
    """Builds the rows of one demo shop in memory; :meth:`write` inserts them in bulk."""

    def __init__(self, workspace_id: str, *, seed: int = DEFAULT_SEED, now: datetime) -> None:
        self.ws = workspace_id
        self.rng = random.Random(seed)
        self.fake = Faker("pl_PL")
        self.fake.seed_instance(seed)
        self.now = now
        self.rows: dict[type, list[dict[str, Any]]] = {
            m: []
            for m in (
                DemoProduct,
                DemoVariant,
                DemoCustomer,
                DemoOrder,
                DemoOrderItem,
                DemoPayment,
                DemoShipment,
                DemoShipmentEvent,
                DemoReturn,
            )
        }
        self.variants: list[dict[str, Any]] = []
        self.product_by_id: dict[str, dict[str, Any]] = {}

    # --- catalogue --------------------------------------------------------------------------------------
    def products(self) -> None:
        for spec in catalog()["products"]:
            pid = new_id()
            product = {
                "id": pid,
                "workspace_id": self.ws,
                "external_ref": spec["ref"],
                "sku": spec["ref"],
                "name": spec["name"],
                "category": spec["category"],
                "description": spec["description"],
                "attributes": spec["attributes"],
                "withdrawal_exception": spec["withdrawal_exception"],
                "active": True,
                "created_at": self.now - timedelta(days=400),
            }
            self.rows[DemoProduct].append(product)
            self.product_by_id[pid] = product
            axes = list(spec["options"].items())
            combos = itertools.product(*[values for _, values in axes]) if axes else [()]
            for n, combo in enumerate(combos, start=1):
                options = {axis: value for (axis, _), value in zip(axes, combo, strict=True)}
                price = _money(spec["price"]) + sum(
                    (
                        _money(spec["surcharge"].get(axis, {}).get(value, "0"))
                        for axis, value in options.items()
                    ),
                    Decimal("0.00"),
                )
                stock = None if spec["stock"] == "made_to_order" else self._stock()
                variant = {
                    "id": new_id(),
                    "workspace_id": self.ws,
                    "product_id": pid,
                    "external_ref": f"{spec['ref']}-{n:02d}",
                    "sku": f"{spec['ref']}-{n:02d}",
                    "options": options,
                    "price": price,
                    "stock": stock,
                    "available": True,
                }
                self.rows[DemoVariant].append(variant)
                self.variants.append(variant)
        # Popular products sell more: a fixed, seeded weight per variant.
        self.variant_weights = [self.rng.expovariate(1.0) + 0.1 for _ in self.variants]

    def _stock(self) -> int:
        roll = self.rng.random()
        return 0 if roll < 0.06 else self.rng.randint(1, 4) if roll < 0.16 else self.rng.randint(5, 120)

    # --- customers --------------------------------------------------------------------------------------
    def customers(self, count: int) -> None:
        cities = places()["cities"]
        city_weights = [c["weight"] for c in cities]
        domains = [d for d, _ in places()["email_domains"]]
        domain_weights = [w for _, w in places()["email_domains"]]
        seen_emails: set[str] = set()
        seen_phones: set[str] = set()
        foreign = places()["foreign_customers"]
        for i in range(count):
            female = self.rng.random() < 0.58
            if i < len(foreign):
                first, last, email = foreign[i]["first_name"], foreign[i]["last_name"], foreign[i]["email"]
            else:
                first = self.fake.first_name_female() if female else self.fake.first_name_male()
                last = self.fake.last_name_female() if female else self.fake.last_name_male()
                style = self.rng.randrange(4)
                local = [
                    f"{_ascii(first)}.{_ascii(last)}",
                    f"{_ascii(first)}{_ascii(last)}",
                    f"{_ascii(first)[0]}.{_ascii(last)}",
                    f"{_ascii(last)}.{_ascii(first)}",
                ][style]
                if self.rng.random() < 0.45:
                    local += str(self.rng.choice([self.rng.randint(1, 99), self.rng.randint(1960, 2006)]))
                email = f"{local}@{self.rng.choices(domains, domain_weights)[0]}"
                while email in seen_emails:
                    email = email.replace("@", f"{self.rng.randint(1, 9)}@")
            seen_emails.add(email)
            phone = self._phone(seen_phones)
            city = self.rng.choices(cities, city_weights)[0]
            company = self.rng.random() < 0.06
            self.rows[DemoCustomer].append(
                {
                    "id": new_id(),
                    "workspace_id": self.ws,
                    "external_ref": f"K{10001 + i}",
                    "first_name": first,
                    "last_name": last,
                    "email": email.lower(),
                    "phone": phone,
                    "address": self._address(f"{first} {last}", city, phone),
                    "payment_methods": [],
                    "company_name": self.fake.company() if company else None,
                    "nip": self.fake.nip() if company else None,
                    "marketing_consent": self.rng.random() < 0.45,
                    "created_at": self.now - timedelta(days=self.rng.uniform(200, 900)),
                }
            )
        self.customer_weights = [self.rng.paretovariate(1.6) for _ in range(count)]

    def _phone(self, seen: set[str]) -> str:
        prefixes = places()["mobile_prefixes"]
        while True:
            phone = f"+48{self.rng.choice(prefixes)}{self.rng.randrange(10**6):06d}"
            if phone not in seen:
                seen.add(phone)
                return phone

    def _address(self, name: str, city: dict[str, Any], phone: str) -> dict[str, Any]:
        pattern = self.rng.choice(city["postcodes"])
        postcode = "".join(str(self.rng.randrange(10)) if c == "#" else c for c in pattern)
        street = f"ul. {self.fake.street_name()} {self.rng.randint(1, 160)}"
        if self.rng.random() < 0.6:
            street += f"/{self.rng.randint(1, 90)}"
        return {
            "name": name,
            "company": None,
            "street": street,
            "line2": "",
            "postcode": postcode,
            "city": city["name"],
            "region": city["voivodeship"],
            "country": "PL",
            "phone": phone,
            "paczkomat": timeline.paczkomat_code(self.rng, city["paczkomat_prefix"]),
        }

    # --- orders -----------------------------------------------------------------------------------------
    def orders(self, count: int) -> None:
        recent = max(1, count // 10)
        moments = sorted(
            [self.now - timedelta(days=self.rng.uniform(5, 200)) for _ in range(count - recent)]
            + [self.now - timedelta(days=self.rng.uniform(0, 5)) for _ in range(recent)]
        )
        customers = self.rows[DemoCustomer]
        methods = self._shipping_methods()
        for n, placed_at in enumerate(moments):
            placed_at = placed_at.replace(hour=self.rng.randint(6, 21), microsecond=0)
            if placed_at > self.now:
                placed_at -= timedelta(days=1)
            customer = self.rng.choices(customers, self.customer_weights)[0]
            method_key = self.rng.choices(list(methods), [m["weight"] for m in methods.values()])[0]
            self._order(FIRST_NUMBER + n, placed_at, customer, method_key, methods[method_key])

    def _shipping_methods(self) -> dict[str, dict[str, Any]]:
        return dict(timeline.carriers()["shipping_methods"])

    def _order(
        self,
        number: int,
        placed_at: datetime,
        customer: dict[str, Any],
        method_key: str,
        method: dict[str, Any],
    ) -> None:
        rng = self.rng
        oid = new_id()
        lines = self._lines(oid)
        subtotal = sum((line["unit_price"] * line["quantity"] for line in lines), Decimal("0.00"))
        pay = rng.choices(list(PAYMENT_WEIGHTS), list(PAYMENT_WEIGHTS.values()))[0]
        if method["service"] == "letter" and pay == P.CASH_ON_DELIVERY:
            pay = P.BLIK
        shipping = (
            Decimal("0.00")
            if subtotal >= _money(timeline.carriers()["free_shipping_from"])
            else _money(method["price"])
        )
        if pay == P.CASH_ON_DELIVERY:
            shipping += _money(timeline.carriers()["cod_fee"])
        address = dict(customer["address"])
        pickup = address.pop("paczkomat") if method["service"] == "paczkomat" else None
        address.pop("paczkomat", None)
        # Timeline of the order; events after "now" have not happened.
        traditional = pay == P.BANK_TRANSFER and rng.random() < 0.3
        paid_at = (
            None
            if pay == P.CASH_ON_DELIVERY
            else placed_at
            + (timedelta(hours=rng.uniform(2, 40)) if traditional else timedelta(minutes=rng.uniform(1, 6)))
        )
        never_paid = traditional and rng.random() < 0.25
        start = placed_at if paid_at is None else paid_at
        packed_at = start + timedelta(hours=rng.uniform(3, 26))
        if packed_at.weekday() == 6:
            packed_at += timedelta(days=1)
        shipped_at = packed_at + timedelta(hours=rng.uniform(2, 8))
        cancel_at = None
        cancel_reason = None
        if never_paid:
            cancel_at, cancel_reason = placed_at + timedelta(days=7), "Brak wpłaty w terminie 7 dni"
            paid_at = None
        elif rng.random() < 0.05:
            cancel_at = placed_at + timedelta(minutes=rng.uniform(10, 60 * 12))
            cancel_reason = rng.choice(CANCEL_REASONS)
            if cancel_at >= packed_at:
                cancel_at = None
        order: dict[str, Any] = {
            "id": oid,
            "workspace_id": self.ws,
            "number": str(number),
            "customer_id": customer["id"],
            "external_status": None,
            "payment_method": pay,
            "currency": "PLN",
            "subtotal": subtotal,
            "shipping_cost": shipping,
            "total": subtotal + shipping,
            "shipping_method": method_key,
            "shipping_address": address,
            "pickup_point": pickup,
            "contact_email": customer["email"],
            "contact_phone": customer["phone"],
            "note": rng.choice(NOTES) if rng.random() < 0.06 else None,
            "cancel_reason": None,
            "items_modified_at": None,
            "extra": {},
            "placed_at": placed_at,
            "paid_at": None,
            "shipped_at": None,
            "delivered_at": None,
            "cancelled_at": None,
        }
        if customer["nip"]:
            order["note"] = f"Proszę o fakturę VAT: {customer['company_name']}, NIP {customer['nip']}."
        self.rows[DemoOrderItem].extend(lines)
        payments: list[dict[str, Any]] = []
        if paid_at is not None and paid_at <= self.now:
            order["paid_at"] = paid_at
            payments.append(self._payment(oid, "payment", pay, order["total"], "completed", paid_at))
        elif pay != P.CASH_ON_DELIVERY:
            payments.append(self._payment(oid, "payment", pay, order["total"], "pending", placed_at))
        if cancel_at is not None and cancel_at <= self.now:
            self._cancel(order, payments, cancel_at, cancel_reason, lines)
        elif pay != P.CASH_ON_DELIVERY and order["paid_at"] is None:
            order["status"] = S.AWAITING_PAYMENT
        elif self.now < packed_at:
            order["status"] = S.NEW if pay == P.CASH_ON_DELIVERY else S.PAID
        else:
            self._ship(order, payments, lines, method, packed_at, shipped_at)
        paid = sum(
            (p["amount"] for p in payments if p["kind"] == "payment" and p["status"] == "completed"),
            Decimal("0.00"),
        )
        refunded = sum(
            (p["amount"] for p in payments if p["kind"] == "refund" and p["status"] != "failed"),
            Decimal("0.00"),
        )
        order["payment_status"] = _payment_status(pay, paid, refunded)
        order["updated_at"] = max(
            [placed_at]
            + [
                t
                for t in (order["paid_at"], order["shipped_at"], order["delivered_at"], order["cancelled_at"])
                if t
            ]
            + [p["created_at"] for p in payments]
        )
        self.rows[DemoOrder].append(order)
        self.rows[DemoPayment].extend(payments)

    def _lines(self, order_id: str) -> list[dict[str, Any]]:
        count = self.rng.choices([1, 2, 3, 4], [48, 30, 15, 7])[0]
        chosen = []
        for variant in self.rng.choices(self.variants, self.variant_weights, k=count):
            if any(c["id"] == variant["id"] for c in chosen):
                continue
            chosen.append(variant)
        lines = []
        for position, variant in enumerate(chosen, start=1):
            product = self.product_by_id[variant["product_id"]]
            cheap = variant["price"] < 50
            lines.append(
                {
                    "id": new_id(),
                    "workspace_id": self.ws,
                    "order_id": order_id,
                    "position": position,
                    "product_id": product["id"],
                    "variant_id": variant["id"],
                    "sku": variant["sku"],
                    "name": product["name"],
                    "quantity": self.rng.choices([1, 2, 3], [70, 22, 8])[0] if cheap else 1,
                    "unit_price": variant["price"],
                    "options": variant["options"],
                    "returned_quantity": 0,
                }
            )
        return lines

    def _payment(
        self, order_id: str, kind: str, method: str, amount: Decimal, status: str, at: datetime
    ) -> dict[str, Any]:
        ref = None
        if method in (P.BLIK, P.BANK_TRANSFER, P.CARD):
            ref = "P24-" + "-".join(f"{self.rng.randrange(16**4):04X}" for _ in range(3))
        elif method == P.PAYPO:
            ref = f"PAYPO-{self.rng.randrange(10**9):09d}"
        return {
            "id": new_id(),
            "workspace_id": self.ws,
            "order_id": order_id,
            "position": 0,
            "kind": kind,
            "method": method,
            "method_ref": None,
            "amount": amount,
            "status": status,
            "provider_ref": ref,
            "created_at": at,
        }

    def _cancel(
        self,
        order: dict[str, Any],
        payments: list[dict[str, Any]],
        at: datetime,
        reason: str | None,
        lines: list[dict[str, Any]],
    ) -> None:
        order.update(status=S.CANCELLED, cancelled_at=at, cancel_reason=reason)
        for p in payments:
            if p["status"] == "pending":
                p["status"] = "cancelled"
        if order["paid_at"] is not None:
            refund_at = at + timedelta(hours=self.rng.uniform(2, 30))
            status = "completed" if refund_at <= self.now else "pending"
            payments.append(
                self._payment(
                    order["id"],
                    "refund",
                    order["payment_method"],
                    order["total"],
                    status,
                    min(refund_at, self.now),
                )
            )

    def _ship(
        self,
        order: dict[str, Any],
        payments: list[dict[str, Any]],
        lines: list[dict[str, Any]],
        method: dict[str, Any],
        packed_at: datetime,
        shipped_at: datetime,
    ) -> None:
        rng = self.rng
        recent = (self.now - shipped_at) < timedelta(days=12)
        weights = [62, 11, 9, 6, 3, 6, 3] if recent else [94, 3, 2, 0, 0.6, 0.4, 0.3]
        scenario = rng.choices(timeline.SCENARIOS, weights)[0]
        if scenario == "pickup_expired" and method["service"] != "paczkomat":
            scenario = "normal"
        parcel = timeline.plan_parcel(
            rng,
            carrier=method["carrier"],
            service=method["service"],
            packed_at=packed_at,
            shipped_at=shipped_at,
            destination=order["shipping_address"]["city"],
            scenario=scenario,
            now=self.now,
        )
        sid = new_id()
        self.rows[DemoShipment].append(
            {
                "id": sid,
                "workspace_id": self.ws,
                "order_id": order["id"],
                "carrier": method["carrier"],
                "service": method["service"],
                "tracking_number": timeline.tracking_number(rng, method["carrier"], method["service"]),
                "state": parcel.state,
                "carrier_status": parcel.carrier_status,
                "pickup_point": order["pickup_point"],
                "pickup_deadline": parcel.pickup_deadline,
                "estimated_delivery": parcel.estimated_delivery,
                "shipped_at": shipped_at if shipped_at <= self.now else None,
                "delivered_at": parcel.delivered_at,
                "item_refs": [line["id"] for line in lines],
                "created_at": packed_at,
                "updated_at": parcel.scans[-1].at,
            }
        )
        for scan in parcel.scans:
            self.rows[DemoShipmentEvent].append(
                {
                    "id": new_id(),
                    "workspace_id": self.ws,
                    "shipment_id": sid,
                    "occurred_at": scan.at,
                    "code": scan.code,
                    "state": scan.state,
                    "description": scan.description,
                    "location": scan.location,
                }
            )
        if shipped_at > self.now:
            order["status"] = S.PACKED
            return
        order["shipped_at"] = shipped_at
        if parcel.delivered_at is None:
            order["status"] = S.SHIPPED
            return
        order.update(status=S.DELIVERED, delivered_at=parcel.delivered_at)
        if order["payment_method"] == P.CASH_ON_DELIVERY:
            payments.append(
                self._payment(
                    order["id"],
                    "payment",
                    P.CASH_ON_DELIVERY,
                    order["total"],
                    "completed",
                    parcel.delivered_at,
                )
            )
            order["paid_at"] = parcel.delivered_at
        if rng.random() < 0.08:
            self._withdraw(order, payments, lines)

    def _withdraw(
        self, order: dict[str, Any], payments: list[dict[str, Any]], lines: list[dict[str, Any]]
    ) -> None:
        """The customer withdraws (art. 27) from part or all of a delivered order."""
        rng = self.rng
        returnable = [
            line for line in lines if not self.product_by_id[line["product_id"]]["withdrawal_exception"]
        ]
        requested_at = order["delivered_at"] + timedelta(days=rng.uniform(1, 12))
        if not returnable or requested_at > self.now:
            return
        chosen = rng.sample(returnable, k=rng.randint(1, len(returnable)))
        amount = sum((line["unit_price"] * line["quantity"] for line in chosen), Decimal("0.00"))
        if len(chosen) == len(lines):
            amount += order["shipping_cost"]
        received_at = requested_at + timedelta(days=rng.uniform(4, 14))
        refunded = received_at <= self.now
        if refunded:
            for line in chosen:
                line["returned_quantity"] = line["quantity"]
            payments.append(
                self._payment(
                    order["id"],
                    "refund",
                    order["payment_method"]
                    if order["payment_method"] != P.CASH_ON_DELIVERY
                    else P.BANK_TRANSFER,
                    amount,
                    "completed",
                    received_at,
                )
            )
        order["status"] = S.RETURNED if refunded else S.RETURN_REQUESTED
        self.rows[DemoReturn].append(
            {
                "id": new_id(),
                "workspace_id": self.ws,
                "order_id": order["id"],
                "number": f"ZW-{order['number']}-1",
                "kind": "return",
                "status": "refunded" if refunded else "requested",
                "lines": [
                    {
                        "line_id": line["id"],
                        "quantity": line["quantity"],
                        "unit_price": str(line["unit_price"]),
                    }
                    for line in chosen
                ],
                "reason": rng.choice(RETURN_REASONS),
                "refund_method_ref": order["payment_method"],
                "refund_amount": amount,
                "price_difference": Decimal("0.00"),
                "created_at": requested_at,
            }
        )

    # --- output -----------------------------------------------------------------------------------------
    def write(self, session: Session) -> dict[str, int]:
        positions: Counter[str] = Counter()
        for p in sorted(self.rows[DemoPayment], key=lambda p: (p["order_id"], p["created_at"])):
            positions[p["order_id"]] += 1
            p["position"] = positions[p["order_id"]]
        counts = {}
        for model, rows in self.rows.items():
            for start in range(0, len(rows), 1000):
                session.execute(insert(model), rows[start : start + 1000])
            counts[model.__tablename__] = len(rows)
        session.flush()
        return counts


def _payment_status(method: str, paid: Decimal, refunded: Decimal) -> PaymentStatus:
    if paid > 0 and refunded >= paid:
        return PaymentStatus.REFUNDED
    if paid > 0:
        return PaymentStatus.PARTIALLY_REFUNDED if refunded > 0 else PaymentStatus.PAID
    return PaymentStatus.CASH_ON_DELIVERY if method == P.CASH_ON_DELIVERY else PaymentStatus.UNPAID


def seed_shop(
    session: Session,
    workspace_id: str,
    *,
    now: datetime,
    seed: int = DEFAULT_SEED,
    customers: int = 300,
    orders: int = 1500,
) -> dict[str, int]:
    """Fill the demo tables of ``workspace_id``; returns the number of rows per table."""
    gen = ShopGenerator(workspace_id, seed=seed, now=now)
    gen.products()
    gen.customers(customers)
    gen.orders(orders)
    return gen.write(session)
