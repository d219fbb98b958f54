"""Shapes of the commerce JSON API: order context with freshness, connector health."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sprawa.commerce.base import OrderStatus


class ShipmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    carrier: str
    tracking_number: str | None
    tracking_url: str | None
    state: str
    pickup_point: str | None
    pickup_deadline: datetime | None
    estimated_delivery: datetime | None
    last_event_at: datetime | None
    fetched_at: datetime


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    number: str
    status: str
    payment_status: str
    total: Decimal
    currency: str
    placed_at: datetime
    delivered_at: datetime | None
    source: str
    fetched_at: datetime
    shipments: list[ShipmentOut] = []


class OrderContextOut(BaseModel):
    """The customer's orders and how fresh they are; ``notice`` is shown above them when stale."""

    orders: list[OrderOut]
    fetched_at: datetime | None
    refreshed: bool
    stale: bool
    problem: str | None
    notice: dict[str, str] | None


class HealthOut(BaseModel):
    """One connection (``source`` "shop" or a carrier) as the settings page shows it."""

    source: str
    kind: str
    ok: bool
    problem: str | None
    message: dict[str, str] | None
    detail: str | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_sync_at: datetime | None
    synced_orders: int
    webhook_url: str | None


class WebhookAccepted(BaseModel):
    stored: bool


ShopKind = Literal["demo", "woocommerce", "shopify", "prestashop", "baselinker", "allegro"]


class ShopConnectionIn(BaseModel):
    """The workspace's shop platform. ``credentials`` are sealed and never returned; leave them out to keep
    the stored ones. Keys per kind: woocommerce ``consumer_key``, ``consumer_secret``, ``webhook_secret``;
    shopify ``access_token``, ``webhook_secret``; prestashop ``api_key``; baselinker ``token``;
    allegro ``access_token``."""

    model_config = ConfigDict(extra="forbid")

    kind: ShopKind
    base_url: Annotated[str, StringConstraints(max_length=300, pattern=r"^https?://[^\s]+$")] | None = None
    credentials: (
        Annotated[dict[str, Annotated[str, StringConstraints(max_length=500)]], Field(max_length=10)] | None
    ) = None
    state_map: dict[str, OrderStatus] = Field(default_factory=dict, max_length=50)
    status_map: dict[str, OrderStatus] = Field(default_factory=dict, max_length=50)


class ShopConnectionOut(BaseModel):
    kind: str
    base_url: str | None
    has_credentials: bool
    webhook_url: str | None
