"""Cached copies of the shop's orders, items, shipments and products; the shop stays the source of truth."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sprawa.db import Base, utcnow


class ShipmentState(StrEnum):
    CREATED = "created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    READY_FOR_PICKUP = "ready_for_pickup"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"
    LOST = "lost"


class Product(Base):
    """A product as last read from the shop."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(100))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="PLN")
    stock: Mapped[int | None]
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Art. 38 exception category (e.g. "sealed_hygiene", "custom_made") when withdrawal does not apply.
    withdrawal_exception: Mapped[str | None] = mapped_column(String(32))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(Base):
    """An order as last read from the shop, with its fetch time."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        Index("ix_orders_number", "workspace_id", "number"),
    )

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    customer_email: Mapped[str | None] = mapped_column(String(254), index=True)
    customer_phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    payment_status: Mapped[str] = mapped_column(String(32))
    payment_method: Mapped[str | None] = mapped_column(String(64))
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="PLN")
    shipping_address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    placed_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(32), default="demo")
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderItem(Base):
    """A line of a cached order."""

    __tablename__ = "order_items"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(100))
    product_external_id: Mapped[str | None] = mapped_column(String(100))
    sku: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Shipment(Base):
    """A parcel of a cached order with its normalised state and carrier event history."""

    __tablename__ = "shipments"

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(32))
    tracking_number: Mapped[str | None] = mapped_column(String(64), index=True)
    tracking_url: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[ShipmentState] = mapped_column(String(24))
    pickup_point: Mapped[str | None] = mapped_column(String(64))
    pickup_deadline: Mapped[datetime | None]
    estimated_delivery: Mapped[datetime | None]
    events: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    last_event_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommerceEventStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


class CommerceEvent(Base):
    """A raw shop or carrier webhook (or journal entry), stored before it is acknowledged.

    Unique per (workspace, source, provider key): a redelivery stores nothing. The ``commerce.event`` job
    processes it (re-reading the order or parcel from its source) and records the outcome here.
    """

    __tablename__ = "commerce_events"
    __table_args__ = (UniqueConstraint("workspace_id", "source", "provider_key"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(32))  # woocommerce | shopify | inpost | baselinker...
    provider_key: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[CommerceEventStatus] = mapped_column(String(16), default=CommerceEventStatus.RECEIVED)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class ConnectorHealth(Base):
    """How a workspace's shop or carrier connection is doing: last sync, last error, journal cursor."""

    __tablename__ = "connector_health"
    __table_args__ = (UniqueConstraint("workspace_id", "source"),)

    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(32))  # "shop" or a carrier ("inpost")
    kind: Mapped[str] = mapped_column(String(32))  # the connector kind (woocommerce, shopify, demo...)
    ok: Mapped[bool] = mapped_column(default=True)
    problem: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    # The poller's position in the platform's journal (BaseLinker log id, Allegro event id).
    cursor: Mapped[str | None] = mapped_column(String(200))
    last_success_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    synced_orders: Mapped[int] = mapped_column(default=0)
