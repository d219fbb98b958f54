"""A small demo shop for AI tests: one verified customer, parcels in known states, two articles."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from sprawa.channels.base import IdentityClaim, InboundAttachment, InboundMessage
from sprawa.channels.models import Channel
from sprawa.channels.service import IngestContext, ingest_message
from sprawa.commerce.base import OrderStatus, PaymentStatus
from sprawa.commerce.demo.connector import DemoShop
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
from sprawa.commerce.service import sync_all
from sprawa.customers.models import IdentityKind
from sprawa.knowledge.models import KnowledgeArticle
from sprawa.platform.ids import new_id
from sprawa.workspaces.models import Workspace

EMAIL = "anna.kowalska@example.pl"
OTHER_EMAIL = "jan.nowak@example.pl"
TRACKING = "620111222333444555666777"


@dataclass
class Shop:
    ws: Workspace
    in_transit: str = "100101"
    delivered_recently: str = "100102"
    delivered_long_ago: str = "100103"
    unshipped: str = "100104"
    other_customers: str = "100201"


def _address(name: str, street: str, postcode: str, city: str) -> dict[str, Any]:
    return {
        "name": name,
        "company": None,
        "street": street,
        "line2": "",
        "postcode": postcode,
        "city": city,
        "region": "",
        "country": "PL",
        "phone": None,
    }


def build_shop(db: Session, ws: Workspace, now: datetime) -> Shop:
    """Demo-shop rows for ``ws`` (AI switched on) and the order cache synced from them."""
    ws.settings = {
        **(ws.settings or {}),
        "commerce": {"kind": "demo"},
        "ai": {"enabled": True},
        "order_number_pattern": r"\b(1\d{5})\b",
    }
    ws.languages = ["pl", "en", "uk", "de"]
    ws.name = "Leśna Polana"
    sweater = DemoProduct(
        workspace_id=ws.id,
        external_ref="LP-4001",
        sku="LP-4001",
        name="Sweter z wełny merino",
        category="Odzież",
        description="Ciepły sweter z wełny merino.",
    )
    mug = DemoProduct(
        workspace_id=ws.id,
        external_ref="LP-3004",
        sku="LP-3004",
        name="Kubek ceramiczny",
        category="Kuchnia",
        description="Kubek 350 ml.",
    )
    db.add_all([sweater, mug])
    db.flush()
    v_s = DemoVariant(
        workspace_id=ws.id,
        product_id=sweater.id,
        external_ref="LP-4001-S",
        sku="LP-4001-S",
        options={"rozmiar": "S"},
        price=Decimal("249.00"),
        stock=5,
    )
    v_m = DemoVariant(
        workspace_id=ws.id,
        product_id=sweater.id,
        external_ref="LP-4001-M",
        sku="LP-4001-M",
        options={"rozmiar": "M"},
        price=Decimal("249.00"),
        stock=5,
    )
    v_mug = DemoVariant(
        workspace_id=ws.id,
        product_id=mug.id,
        external_ref="LP-3004-1",
        sku="LP-3004-1",
        options={},
        price=Decimal("39.00"),
        stock=20,
    )
    db.add_all([v_s, v_m, v_mug])
    anna = DemoCustomer(
        workspace_id=ws.id,
        external_ref="C-1",
        first_name="Anna",
        last_name="Kowalska",
        email=EMAIL,
        phone="+48600100200",
        address=_address("Anna Kowalska", "ul. Leśna 5", "30-001", "Kraków"),
        payment_methods=[],
    )
    jan = DemoCustomer(
        workspace_id=ws.id,
        external_ref="C-2",
        first_name="Jan",
        last_name="Nowak",
        email=OTHER_EMAIL,
        phone="+48600100300",
        address=_address("Jan Nowak", "ul. Polna 1", "00-950", "Warszawa"),
        payment_methods=[],
    )
    db.add_all([anna, jan])
    db.flush()
    shop = Shop(ws)
    _order(
        db,
        ws,
        anna,
        shop.in_transit,
        OrderStatus.SHIPPED,
        [(sweater, v_s)],
        now - timedelta(days=2),
        now,
        shipment=("inpost", "paczkomat", ShipmentState.IN_TRANSIT, None),
        pickup="KRA01N",
    )
    _order(
        db,
        ws,
        anna,
        shop.delivered_recently,
        OrderStatus.DELIVERED,
        [(sweater, v_m)],
        now - timedelta(days=8),
        now,
        delivered=now - timedelta(days=5),
        shipment=("dpd", "courier", ShipmentState.DELIVERED, now - timedelta(days=5)),
    )
    _order(
        db,
        ws,
        anna,
        shop.delivered_long_ago,
        OrderStatus.DELIVERED,
        [(mug, v_mug)],
        now - timedelta(days=60),
        now,
        delivered=now - timedelta(days=40),
        shipment=("dpd", "courier", ShipmentState.DELIVERED, now - timedelta(days=40)),
    )
    _order(db, ws, anna, shop.unshipped, OrderStatus.PAID, [(mug, v_mug)], now - timedelta(hours=3), now)
    _order(db, ws, anna, "100105", OrderStatus.PAID, [(sweater, v_s)], now - timedelta(hours=2), now)
    _order(
        db,
        ws,
        jan,
        shop.other_customers,
        OrderStatus.SHIPPED,
        [(mug, v_mug)],
        now - timedelta(days=1),
        now,
        shipment=("inpost", "courier", ShipmentState.IN_TRANSIT, None),
        tracking="620999888777666555444333",
    )
    db.add_all(
        [
            KnowledgeArticle(
                workspace_id=ws.id,
                slug="dostawa",
                language="pl",
                title="Dostawa i koszty",
                body="## Czas wysyłki\n\nPaczki wysyłamy w ciągu 1 dnia roboczego od zaksięgowania "
                "wpłaty.\n\n## Koszt dostawy\n\nDostawa do Paczkomatu InPost kosztuje 13,99 zł, kurier "
                "DPD 17,99 zł. Od 199 zł dostawa jest darmowa.",
                category="dostawa",
            ),
            KnowledgeArticle(
                workspace_id=ws.id,
                slug="dostawa",
                language="en",
                title="Delivery and costs",
                body="## Dispatch\n\nWe ship parcels within 1 business day of payment.\n\n## Delivery "
                "cost\n\nDelivery to an InPost Paczkomat costs PLN 13.99, DPD courier PLN 17.99. "
                "Delivery is free from PLN 199.",
                category="dostawa",
            ),
            KnowledgeArticle(
                workspace_id=ws.id,
                slug="kontakt",
                language="pl",
                title="Kontakt",
                body="Biuro obsługi klienta pracuje od poniedziałku do piątku w godzinach 8–18. "
                "Telefon: 12 000 00 00.",
                category="kontakt",
            ),
        ]
    )
    db.flush()
    sync_all(db, DemoShop(db, ws.id), ws.id)
    return shop


def _order(
    db: Session,
    ws: Workspace,
    customer: DemoCustomer,
    number: str,
    status: OrderStatus,
    lines: list[tuple[DemoProduct, DemoVariant]],
    placed: datetime,
    now: datetime,
    *,
    delivered: datetime | None = None,
    shipment: tuple[str, str, ShipmentState, datetime | None] | None = None,
    pickup: str | None = None,
    tracking: str = TRACKING,
) -> None:
    total = sum((v.price for _, v in lines), Decimal("0.00"))
    order = DemoOrder(
        workspace_id=ws.id,
        number=number,
        customer_id=customer.id,
        status=status,
        payment_method="blik",
        payment_status=PaymentStatus.PAID,
        currency="PLN",
        subtotal=total,
        shipping_cost=Decimal("0.00"),
        total=total,
        shipping_method="inpost_paczkomat" if pickup else "dpd_kurier",
        shipping_address=customer.address,
        pickup_point=pickup,
        contact_email=customer.email,
        placed_at=placed,
        paid_at=placed,
        delivered_at=delivered,
        updated_at=now,
    )
    db.add(order)
    db.flush()
    for position, (product, variant) in enumerate(lines, start=1):
        db.add(
            DemoOrderItem(
                workspace_id=ws.id,
                order_id=order.id,
                position=position,
                product_id=product.id,
                variant_id=variant.id,
                sku=variant.sku,
                name=product.name,
                quantity=1,
                unit_price=variant.price,
                options=variant.options,
            )
        )
    db.add(
        DemoPayment(
            workspace_id=ws.id,
            order_id=order.id,
            position=1,
            kind="payment",
            method="blik",
            amount=total,
            status="completed",
            created_at=placed,
        )
    )
    if shipment:
        carrier, service, state, at = shipment
        ship = DemoShipment(
            workspace_id=ws.id,
            order_id=order.id,
            carrier=carrier,
            service=service,
            tracking_number=tracking if carrier == "inpost" else f"{number}0000001A",
            state=state,
            carrier_status=str(state),
            pickup_point=pickup,
            estimated_delivery=None if at else now + timedelta(days=1),
            shipped_at=placed + timedelta(days=1),
            delivered_at=at,
            item_refs=[],
        )
        db.add(ship)
        db.flush()
        db.add(
            DemoShipmentEvent(
                workspace_id=ws.id,
                shipment_id=ship.id,
                occurred_at=placed + timedelta(days=1),
                code="collected",
                state=ShipmentState.IN_TRANSIT,
                description="Przesyłka nadana",
                location="Skawina",
            )
        )
        db.add(
            DemoShipmentEvent(
                workspace_id=ws.id,
                shipment_id=ship.id,
                occurred_at=now - timedelta(hours=5),
                code="sorted",
                state=ShipmentState.IN_TRANSIT,
                description="Przyjęta w sortowni",
                location="Sortownia Kraków",
            )
        )
    db.flush()


def send(
    db: Session,
    ingest: IngestContext,
    channel: Channel,
    text: str,
    *,
    thread: str = "t-1",
    email: str | None = EMAIL,
    verified: bool = True,
    photos: int = 0,
    name: str = "Anna Kowalska",
):
    """One customer message stored exactly as a channel would store it (the AI job is enqueued)."""
    identities = [IdentityClaim(IdentityKind.VISITOR, f"visitor-{thread}", verified=True)]
    if email:
        identities.append(IdentityClaim(IdentityKind.EMAIL, email, verified=verified))
    message = ingest_message(
        db,
        ingest,
        channel,
        InboundMessage(
            provider_message_id=new_id(),
            thread_external_id=thread,
            identities=identities,
            text=text,
            name=name,
            attachments=[
                InboundAttachment(f"wada-{i}.jpg", "image/jpeg", b"\xff\xd8 photo") for i in range(photos)
            ],
        ),
    )
    assert message is not None
    return message
