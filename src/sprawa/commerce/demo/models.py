"""The built-in demo shop's own tables: what a real shop platform would hold behind its API.

These are the *shop's* records (the source of truth for the demo), not Sprawa's cache; Sprawa reads them only
through :class:`sprawa.commerce.demo.connector.DemoShop`. Every table carries ``workspace_id`` so that several
demo shops (the Polish demo, the τ²-bench retail data) live side by side.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.commerce.base import OrderStatus, PaymentStatus
from sprawa.commerce.models import ShipmentState
from sprawa.db import Base, utcnow

MONEY = Numeric(12, 2)


class DemoProduct(Base):
    """A product of the demo shop's catalogue; prices and stock live on its variants."""

    __tablename__ = "demo_products"
    __table_args__ = (UniqueConstraint("workspace_id", "external_ref"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    external_ref: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Art. 38 exception ("sealed_hygiene", "custom_made"...) when the right of withdrawal does not apply.
    withdrawal_exception: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DemoVariant(Base):
    """One buyable version (size, colour, capacity...) of a demo product, with its price and stock."""

    __tablename__ = "demo_variants"
    __table_args__ = (UniqueConstraint("workspace_id", "external_ref"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(ForeignKey("demo_products.id", ondelete="CASCADE"), index=True)
    external_ref: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    price: Mapped[Decimal] = mapped_column(MONEY)
    # None = the shop does not count stock for this variant (made to order, dropshipping).
    stock: Mapped[int | None]
    available: Mapped[bool] = mapped_column(default=True)


class DemoCustomer(Base):
    """A customer account of the demo shop (guest buyers get one too, keyed by their e-mail)."""

    __tablename__ = "demo_customers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_ref"),
        Index("ix_demo_customers_email", "workspace_id", "email"),
        Index("ix_demo_customers_phone", "workspace_id", "phone"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    external_ref: Mapped[str] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # Stored lower-case; phones in E.164 (+48...).
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Saved methods: [{"id", "kind", "label", "balance"?}]; gift cards carry a balance in PLN (or USD for τ²).
    payment_methods: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    company_name: Mapped[str | None] = mapped_column(String(200))
    nip: Mapped[str | None] = mapped_column(String(16))
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DemoOrder(Base):
    """An order of the demo shop; ``number`` is what the customer types (``100001``, ``#W2611340``)."""

    __tablename__ = "demo_orders"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        Index("ix_demo_orders_updated", "workspace_id", "updated_at"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("demo_customers.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[OrderStatus] = mapped_column(String(24))
    # The source platform's status string, verbatim, when it carries more than ``status`` (τ²-bench).
    external_status: Mapped[str | None] = mapped_column(String(48))
    payment_method: Mapped[str | None] = mapped_column(String(24))
    payment_status: Mapped[PaymentStatus] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3), default="PLN")
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    shipping_cost: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(MONEY)
    shipping_method: Mapped[str] = mapped_column(String(32))
    shipping_address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pickup_point: Mapped[str | None] = mapped_column(String(32))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    items_modified_at: Mapped[datetime | None]
    # Fields a source platform keeps that have no column here (τ²: return/exchange details), verbatim.
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    placed_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DemoOrderItem(Base):
    """A line of a demo order; ``returned_quantity`` counts units the customer has sent back."""

    __tablename__ = "demo_order_items"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(ForeignKey("demo_orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    product_id: Mapped[str | None] = mapped_column(ForeignKey("demo_products.id", ondelete="SET NULL"))
    variant_id: Mapped[str | None] = mapped_column(ForeignKey("demo_variants.id", ondelete="SET NULL"))
    sku: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    returned_quantity: Mapped[int] = mapped_column(default=0)


class DemoPayment(Base):
    """A payment or refund on a demo order, in the order they happened (``position``)."""

    __tablename__ = "demo_payments"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(ForeignKey("demo_orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))  # payment | refund
    method: Mapped[str] = mapped_column(String(24))
    # The saved method used (a gift card id, τ² "credit_card_7815826"), when the shop keeps one.
    method_ref: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(16))  # pending | completed | failed
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DemoShipment(Base):
    """A parcel of a demo order with the carrier's latest status; scans are in DemoShipmentEvent."""

    __tablename__ = "demo_shipments"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(ForeignKey("demo_orders.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(24))  # inpost | dpd | poczta_polska | other
    service: Mapped[str] = mapped_column(String(24))  # paczkomat | courier | pickup_point
    tracking_number: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[ShipmentState] = mapped_column(String(24))
    carrier_status: Mapped[str | None] = mapped_column(String(64))
    pickup_point: Mapped[str | None] = mapped_column(String(32))
    pickup_deadline: Mapped[datetime | None]
    estimated_delivery: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    # The order lines (DemoOrderItem ids, or τ² item ids) in this parcel.
    item_refs: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DemoShipmentEvent(Base):
    """One carrier scan of a demo shipment (carrier status code, normalised state, Polish description)."""

    __tablename__ = "demo_shipment_events"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    shipment_id: Mapped[str] = mapped_column(ForeignKey("demo_shipments.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime]
    code: Mapped[str] = mapped_column(String(64))
    state: Mapped[ShipmentState] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(String(300))
    location: Mapped[str | None] = mapped_column(String(120))


class DemoReturn(Base):
    """A withdrawal (zwrot) or exchange started on a delivered demo order."""

    __tablename__ = "demo_returns"
    __table_args__ = (UniqueConstraint("workspace_id", "number"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(ForeignKey("demo_orders.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # return | exchange
    status: Mapped[str] = mapped_column(String(16))  # requested | received | refunded | rejected
    # [{"line_id", "quantity", "exchange_variant_id"?, "unit_price"}]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    refund_method_ref: Mapped[str | None] = mapped_column(String(64))
    refund_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    # Exchanges: what the customer pays (positive) or gets back (negative) for the new variants.
    price_difference: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
