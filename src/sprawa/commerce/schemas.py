"""Shapes of the commerce JSON API: order context with freshness, connector health."""

import ipaddress
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

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
    allegro ``access_token`` and, to renew it, ``refresh_token``, ``client_id``, ``client_secret``
    (``expires_at`` ISO when known)."""

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


TrackedCarrier = Literal["dpd", "dhl", "poczta_polska"]
Secret = Annotated[str, StringConstraints(max_length=2000)]


class InpostSettingsIn(BaseModel):
    """InPost ShipX. ``token`` (organisation API token) and ``webhook_secret`` are sealed and never returned:
    leave them out to keep the stored ones, send ``""`` to remove them. With a ``webhook_secret`` the
    webhook URL must carry it (``?token=``); ``webhook_sources`` are the addresses webhooks may come from
    (InPost's range by default)."""

    model_config = ConfigDict(extra="forbid")

    base_url: Annotated[str, StringConstraints(max_length=300, pattern=r"^https?://[^\s]+$")] | None = None
    organization_id: Annotated[str, StringConstraints(pattern=r"^\d{1,20}$")] | None = None
    token: Secret | None = None
    webhook_secret: Secret | None = None
    webhook_sources: list[Annotated[str, StringConstraints(max_length=50)]] | None = Field(
        None, max_length=20
    )

    @field_validator("webhook_sources")
    @classmethod
    def _networks(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        try:
            return [str(ipaddress.ip_network(v.strip(), strict=False)) for v in value if v.strip()]
        except ValueError as exc:
            raise ValueError(f"not an IP address or network: {exc}") from exc


class CarrierSettingsIn(BaseModel):
    """Carrier tracking of the workspace. ``tracking_urls`` replace the public tracking page of a carrier
    without a tracking API: an https address with ``{n}`` where the tracking number goes (``""`` restores
    the default)."""

    model_config = ConfigDict(extra="forbid")

    inpost: InpostSettingsIn | None = None
    tracking_urls: dict[TrackedCarrier, Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=dict
    )

    @field_validator("tracking_urls")
    @classmethod
    def _templates(cls, value: dict[str, str]) -> dict[str, str]:
        for carrier, template in value.items():
            if template and (not template.startswith("https://") or "{n}" not in template):
                raise ValueError(f"{carrier}: give an https address with {{n}} where the number goes")
            if template.count("{") != template.count("{n}") or template.count("}") != template.count("{n}"):
                raise ValueError(f"{carrier}: the only placeholder allowed is {{n}}")
        return value


class InpostSettingsOut(BaseModel):
    base_url: str | None
    organization_id: str | None
    has_token: bool
    has_webhook_secret: bool
    webhook_sources: list[str]
    webhook_url: str


class CarrierSettingsOut(BaseModel):
    inpost: InpostSettingsOut
    #: The tracking page used per carrier (the shop's own template or the default) and which are custom.
    tracking_urls: dict[str, str]
    custom_tracking_urls: list[str]


class ConnectionTestOut(BaseModel):
    """The outcome of a "test the connection" click: ``message`` says what to do when it failed."""

    ok: bool
    problem: str | None
    message: dict[str, str] | None
    detail: str | None
