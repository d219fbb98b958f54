"""Reads of the demo shop's tables, turned into the connector's dataclasses in a few batched queries."""

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TypeVar

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sprawa.commerce.base import (
    Address,
    OrderDetail,
    OrderLine,
    OrderStatus,
    OrderSummary,
    PaymentInfo,
    PaymentKind,
    PaymentMethodKind,
    PaymentStatus,
    ProductDetail,
    SavedPaymentMethod,
    ShipmentEvent,
    ShipmentInfo,
    ShopCustomer,
    Variant,
)
from sprawa.commerce.demo.models import (
    DemoCustomer,
    DemoOrder,
    DemoOrderItem,
    DemoPayment,
    DemoProduct,
    DemoShipment,
    DemoShipmentEvent,
    DemoVariant,
)
from sprawa.commerce.models import ShipmentState

T = TypeVar("T")

TRACKING_URLS = {
    "inpost": "https://inpost.pl/sledzenie-przesylek?number={}",
    "dpd": "https://tracktrace.dpd.com.pl/parcelDetails?typ=1&p1={}",
    "poczta_polska": "https://emonitoring.poczta-polska.pl/?numer={}",
}


def fold(text: str) -> str:
    """Lower-case without diacritics, so "lawka" finds "Ławka" and "zolty" finds "żółty"."""
    text = text.lower().replace("ł", "l")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def normalise_phone(value: str) -> str | None:
    """E.164 form of a phone typed in any common Polish way, or None when it is not a phone number."""
    digits = value.strip().replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) > 9:
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, "PL")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def shop_customer(row: DemoCustomer) -> ShopCustomer:
    methods = tuple(
        SavedPaymentMethod(
            id=m["id"],
            kind=PaymentMethodKind(m["kind"]),
            label=m.get("label") or m["id"],
            balance=Decimal(str(m["balance"])) if m.get("balance") is not None else None,
        )
        for m in row.payment_methods
    )
    return ShopCustomer(
        external_id=row.external_ref,
        name=f"{row.first_name} {row.last_name}".strip(),
        email=row.email,
        phone=row.phone,
        address=Address.from_dict(row.address) if row.address else None,
        payment_methods=methods,
        is_company=bool(row.nip),
    )


def product_details(
    session: Session, products: Sequence[DemoProduct], *, only_available: bool = False
) -> list[ProductDetail]:
    ids = [p.id for p in products]
    variants: dict[str, list[DemoVariant]] = defaultdict(list)
    for v in session.scalars(
        select(DemoVariant).where(DemoVariant.product_id.in_(ids)).order_by(DemoVariant.sku)
    ):
        variants[v.product_id].append(v)
    details = []
    for p in products:
        vs = tuple(
            Variant(v.external_ref, v.sku, dict(v.options), v.price, v.stock, variant_available(v))
            for v in variants[p.id]
        )
        available = any(v.available for v in vs)
        if only_available and not available:
            continue
        stocks = [v.stock for v in vs]
        details.append(
            ProductDetail(
                external_id=p.external_ref,
                sku=p.sku,
                name=p.name,
                category=p.category,
                description=p.description,
                price=min((v.price for v in vs), default=Decimal("0.00")),
                currency="PLN" if p.attributes.get("currency") is None else p.attributes["currency"],
                stock=None if not stocks or any(s is None for s in stocks) else sum(s for s in stocks if s),
                available=available,
                attributes=dict(p.attributes),
                withdrawal_exception=p.withdrawal_exception,
                variants=vs,
            )
        )
    return details


def order_summaries(session: Session, orders: Sequence[DemoOrder]) -> list[OrderSummary]:
    """Summaries in two queries (item counts and customer e-mails), without the full details."""
    ids = [o.id for o in orders]
    counts = dict(
        session.execute(
            select(DemoOrderItem.order_id, func.sum(DemoOrderItem.quantity))
            .where(DemoOrderItem.order_id.in_(ids))
            .group_by(DemoOrderItem.order_id)
        ).all()
    )
    customer_ids = {o.customer_id for o in orders if o.customer_id}
    emails = dict(
        session.execute(
            select(DemoCustomer.id, DemoCustomer.email).where(DemoCustomer.id.in_(customer_ids))
        ).all()
    )
    return [
        OrderSummary(
            external_id=o.number,
            number=o.number,
            status=OrderStatus(o.status),
            payment_status=PaymentStatus(o.payment_status),
            payment_method=PaymentMethodKind(o.payment_method) if o.payment_method else None,
            total=o.total,
            currency=o.currency,
            placed_at=o.placed_at,
            item_count=int(counts.get(o.id) or 0),
            customer_email=emails.get(o.customer_id or "") or o.contact_email,
        )
        for o in orders
    ]


def order_details(session: Session, orders: Sequence[DemoOrder]) -> list[OrderDetail]:
    """Full details of these orders in six queries, whatever their number."""
    if not orders:
        return []
    ids = [o.id for o in orders]
    items: dict[str, list[DemoOrderItem]] = defaultdict(list)
    for item in session.scalars(
        select(DemoOrderItem).where(DemoOrderItem.order_id.in_(ids)).order_by(DemoOrderItem.position)
    ):
        items[item.order_id].append(item)
    payments: dict[str, list[DemoPayment]] = defaultdict(list)
    for pay in session.scalars(
        select(DemoPayment).where(DemoPayment.order_id.in_(ids)).order_by(DemoPayment.position)
    ):
        payments[pay.order_id].append(pay)
    shipments: dict[str, list[DemoShipment]] = defaultdict(list)
    for ship in session.scalars(
        select(DemoShipment).where(DemoShipment.order_id.in_(ids)).order_by(DemoShipment.created_at)
    ):
        shipments[ship.order_id].append(ship)
    ship_ids = [s.id for group in shipments.values() for s in group]
    events: dict[str, list[DemoShipmentEvent]] = defaultdict(list)
    for ev in _in_chunks(session, DemoShipmentEvent, DemoShipmentEvent.shipment_id, ship_ids):
        events[ev.shipment_id].append(ev)
    customer_ids = {o.customer_id for o in orders if o.customer_id}
    customers = {
        c.id: shop_customer(c) for c in _in_chunks(session, DemoCustomer, DemoCustomer.id, customer_ids)
    }
    product_ids = {i.product_id for group in items.values() for i in group if i.product_id}
    exceptions = {
        pid: exc
        for pid, exc in session.execute(
            select(DemoProduct.id, DemoProduct.withdrawal_exception).where(DemoProduct.id.in_(product_ids))
        )
    }
    refs = dict(
        session.execute(
            select(DemoProduct.id, DemoProduct.external_ref).where(DemoProduct.id.in_(product_ids))
        ).all()
    )
    variant_ids = {i.variant_id for group in items.values() for i in group if i.variant_id}
    variant_refs = dict(
        session.execute(
            select(DemoVariant.id, DemoVariant.external_ref).where(DemoVariant.id.in_(variant_ids))
        ).all()
    )
    out = []
    for o in orders:
        lines = tuple(
            OrderLine(
                external_id=i.id,
                product_external_id=refs.get(i.product_id or ""),
                variant_external_id=variant_refs.get(i.variant_id or ""),
                sku=i.sku,
                name=i.name,
                quantity=i.quantity,
                unit_price=i.unit_price,
                options=dict(i.options),
                returned_quantity=i.returned_quantity,
                withdrawal_exception=exceptions.get(i.product_id or ""),
            )
            for i in items[o.id]
        )
        out.append(
            OrderDetail(
                external_id=o.number,
                number=o.number,
                status=OrderStatus(o.status),
                payment_status=PaymentStatus(o.payment_status),
                payment_method=PaymentMethodKind(o.payment_method) if o.payment_method else None,
                subtotal=o.subtotal,
                shipping_cost=o.shipping_cost,
                total=o.total,
                currency=o.currency,
                placed_at=o.placed_at,
                updated_at=o.updated_at,
                customer=customers.get(o.customer_id or ""),
                shipping_method=o.shipping_method,
                shipping_address=Address.from_dict(o.shipping_address),
                pickup_point=o.pickup_point,
                delivered_at=o.delivered_at,
                cancel_reason=o.cancel_reason,
                items=lines,
                payments=tuple(_payment(p) for p in payments[o.id]),
                shipments=tuple(shipment_info(s, o.number, events[s.id]) for s in shipments[o.id]),
                note=o.note,
                external_status=o.external_status,
            )
        )
    return out


def shipment_info(row: DemoShipment, order_number: str, events: Sequence[DemoShipmentEvent]) -> ShipmentInfo:
    url = TRACKING_URLS.get(row.carrier)
    return ShipmentInfo(
        external_id=row.id,
        order_external_id=order_number,
        carrier=row.carrier,
        service=row.service,
        tracking_number=row.tracking_number,
        tracking_url=url.format(row.tracking_number) if url and row.tracking_number else None,
        state=ShipmentState(row.state),
        carrier_status=row.carrier_status,
        pickup_point=row.pickup_point,
        pickup_deadline=row.pickup_deadline,
        estimated_delivery=row.estimated_delivery,
        shipped_at=row.shipped_at,
        delivered_at=row.delivered_at,
        item_ids=tuple(row.item_refs),
        events=tuple(
            ShipmentEvent(e.occurred_at, e.code, ShipmentState(e.state), e.description, e.location)
            for e in sorted(events, key=lambda e: e.occurred_at)
        ),
    )


def variant_available(v: DemoVariant) -> bool:
    return v.available and (v.stock is None or v.stock > 0)


def _payment(p: DemoPayment) -> PaymentInfo:
    return PaymentInfo(
        external_id=p.id,
        kind=PaymentKind(p.kind),
        method=PaymentMethodKind(p.method),
        amount=p.amount,
        status=p.status,
        created_at=p.created_at,
        method_ref=p.method_ref,
    )


def _in_chunks(
    session: Session, model: type[T], column: InstrumentedAttribute[str], ids: Iterable[str], size: int = 500
) -> Iterator[T]:
    """Rows whose ``column`` is in ``ids``, a bounded IN list at a time."""
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield from session.scalars(select(model).where(column.in_(ids[start : start + size])))
