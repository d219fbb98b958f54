"""Factories of the after-sales tests: a tiny demo shop with one order (parcels, art. 38 items), the shop's
policies, and a customer case opened through the real ingest path."""

import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.cases.models import Case
from sprawa.channels.base import IdentityClaim, InboundAttachment, InboundMessage
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.service import ingest_message
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
from sprawa.commerce.models import Order, OrderItem, ShipmentState
from sprawa.commerce.service import sync_all
from sprawa.customers.models import IdentityKind
from sprawa.db import utcnow
from sprawa.platform.ids import new_id
from sprawa.runtime import Runtime
from sprawa.workspaces.models import Policy, PolicyKind, Team, Workspace
from sprawa.workspaces.schemas import parse_policy

EMAIL = "anna.kowalska@wp.pl"
POSTCODE = "30-001"
PACZKOMAT_CODE = "ZW-LESNA-2026"
_numbers = itertools.count(500001)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass(frozen=True)
class Line:
    name: str
    price: str = "249.00"
    quantity: int = 1
    exception: str | None = None


SWEATER = Line("Sweter z wełny merino", "249.00")
CREAM = Line("Krem do twarzy", "69.00", exception="sealed_hygiene")


def setup_shop(db: Session, workspace: Workspace, *, window_days: int = 14) -> Team:
    """The shop's policies: return window, Paczkomat code, escalation to a returns team, signature."""
    team = Team(workspace_id=workspace.id, name="Zwroty i reklamacje", skills=["returns"])
    db.add(team)
    db.flush()
    data = {
        PolicyKind.RETURNS: {
            "window_days": window_days,
            "return_methods": ["paczkomat", "courier"],
            "paczkomat_return_code": PACZKOMAT_CODE,
            "courier_label_url": "https://sklep.example/etykieta",
            "return_address": "Leśna Polana, ul. Leśna 1, 30-002 Kraków",
        },
        PolicyKind.ESCALATION: {
            "rules": [
                {"reason": "approval_required", "team_id": team.id, "priority": "normal"},
                {"reason": "complaint", "team_id": team.id, "priority": "high"},
            ]
        },
        PolicyKind.TONE: {"signature": "Zespół Leśnej Polany"},
    }
    for kind, raw in data.items():
        typed = parse_policy(kind, raw).model_dump(mode="json")
        db.add(Policy(workspace_id=workspace.id, kind=kind, version=1, data=typed, active=True))
    db.flush()
    return team


def make_order(
    db: Session,
    workspace: Workspace,
    lines: list[Line] | None = None,
    *,
    parcels: list[timedelta | None] | None = None,
    delivered_ago: timedelta | None = timedelta(days=3),
    shipping: str = "12.99",
) -> Order:
    """A delivered demo-shop order, synced into the cache. ``parcels``: how long ago each parcel was
    delivered (None: still on its way); without parcels the order's own delivery time counts."""
    lines = lines or [SWEATER]
    now = utcnow()
    customer = db.scalar(
        select(DemoCustomer).where(DemoCustomer.workspace_id == workspace.id, DemoCustomer.email == EMAIL)
    )
    if customer is None:
        customer = DemoCustomer(
            workspace_id=workspace.id,
            external_ref=f"K-{new_id()[-6:]}",
            first_name="Anna",
            last_name="Kowalska",
            email=EMAIL,
            address={
                "name": "Anna Kowalska",
                "street": "ul. Lipowa 5",
                "postcode": POSTCODE,
                "city": "Kraków",
            },
        )
        db.add(customer)
        db.flush()
    subtotal = sum((Decimal(line.price) * line.quantity for line in lines), Decimal("0.00"))
    all_delivered = parcels is None or all(p is not None for p in parcels)
    delivered = [now - p for p in parcels if p is not None] if parcels else []
    order = DemoOrder(
        workspace_id=workspace.id,
        number=str(next(_numbers)),
        customer_id=customer.id,
        status=OrderStatus.DELIVERED if all_delivered else OrderStatus.SHIPPED,
        payment_method="blik",
        payment_status=PaymentStatus.PAID,
        subtotal=subtotal,
        shipping_cost=Decimal(shipping),
        total=subtotal + Decimal(shipping),
        shipping_method="inpost_paczkomat",
        shipping_address=dict(customer.address),
        contact_email=EMAIL,
        placed_at=now - timedelta(days=40),
        delivered_at=(max(delivered) if delivered else (now - delivered_ago if delivered_ago else None))
        if all_delivered
        else None,
    )
    db.add(order)
    db.flush()
    items = []
    for position, line in enumerate(lines, start=1):
        product = DemoProduct(
            workspace_id=workspace.id,
            external_ref=f"P-{new_id()[-8:]}",
            sku=f"SKU-{new_id()[-8:]}",
            name=line.name,
            category="Test",
            withdrawal_exception=line.exception,
        )
        db.add(product)
        db.flush()
        variant = DemoVariant(
            workspace_id=workspace.id,
            product_id=product.id,
            external_ref=f"{product.external_ref}-1",
            sku=f"{product.sku}-1",
            price=Decimal(line.price),
            stock=5,
        )
        db.add(variant)
        db.flush()
        item = DemoOrderItem(
            workspace_id=workspace.id,
            order_id=order.id,
            position=position,
            product_id=product.id,
            variant_id=variant.id,
            sku=variant.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=Decimal(line.price),
        )
        db.add(item)
        items.append(item)
    db.add(
        DemoPayment(
            workspace_id=workspace.id,
            order_id=order.id,
            position=1,
            kind="payment",
            method="blik",
            amount=order.total,
            status="completed",
            created_at=order.placed_at,
        )
    )
    db.flush()
    for n, ago in enumerate(parcels or []):
        ship = DemoShipment(
            workspace_id=workspace.id,
            order_id=order.id,
            carrier="inpost",
            service="paczkomat",
            tracking_number=f"6026774393316{next(_numbers)}",
            state=ShipmentState.DELIVERED if ago is not None else ShipmentState.IN_TRANSIT,
            delivered_at=now - ago if ago is not None else None,
            item_refs=[items[min(n, len(items) - 1)].id],
        )
        db.add(ship)
        db.flush()
        db.add(
            DemoShipmentEvent(
                workspace_id=workspace.id,
                shipment_id=ship.id,
                occurred_at=now - ago if ago is not None else now - timedelta(days=1),
                code="delivered" if ago is not None else "sent_from_source_branch",
                state=ShipmentState.DELIVERED if ago is not None else ShipmentState.IN_TRANSIT,
                description="Doręczona" if ago is not None else "W drodze",
            )
        )
    db.flush()
    sync_all(db, DemoShop(db, workspace.id), workspace.id)
    cached = db.scalar(select(Order).where(Order.workspace_id == workspace.id, Order.number == order.number))
    assert cached is not None
    return cached


def order_items(db: Session, order: Order, *names: str) -> list[OrderItem]:
    """The order's cached lines (those named, in that order; ids made in one millisecond do not sort)."""
    items = list(db.scalars(select(OrderItem).where(OrderItem.order_id == order.id)))
    if not names:
        return items
    by_name = {i.name: i for i in items}
    return [by_name[name] for name in names]


def chat_case(
    db: Session,
    runtime: Runtime,
    channel: Channel,
    text: str = "Dzień dobry, chcę zwrócić sweter",
    attachments: list[InboundAttachment] | None = None,
) -> Case:
    """The customer writes on ``channel`` (their e-mail verified by the provider): a new case."""
    token = new_id()
    message = ingest_message(
        db,
        runtime.ingest,
        channel,
        InboundMessage(
            provider_message_id=token,
            thread_external_id=f"t-{token}",
            identities=[IdentityClaim(IdentityKind.EMAIL, EMAIL, verified=True)],
            text=text,
            name="Anna Kowalska",
            language="pl",
            attachments=attachments or [],
        ),
    )
    assert message is not None
    case = db.get(Case, message.case_id)
    assert case is not None
    return case


def email_channel(db: Session, workspace: Workspace) -> Channel:
    channel = Channel(workspace_id=workspace.id, kind=ChannelKind.EMAIL, name="E-mail sklepu")
    db.add(channel)
    db.flush()
    return channel
