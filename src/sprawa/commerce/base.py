"""The commerce connector interface: what Sprawa reads from and asks of a shop.

A connector is an adapter in front of one shop platform (the built-in demo shop, WooCommerce, Shopify...).
It returns frozen dataclasses, never ORM rows, so callers cannot write to a shop by accident. Write actions
return an :class:`ActionResult`; a refusal (wrong order state, item out of stock...) is a normal result with a
reason code and a message in Polish and English, not an exception. Policy checks (return window the shop
promises, what the AI may do without a human) live in the action layer above; a connector enforces only what
the shop itself would refuse.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from sprawa.commerce.models import ShipmentState


class OrderStatus(StrEnum):
    """Normalised order states, in the order an order normally moves through them."""

    NEW = "new"  # placed, to be confirmed; payment on delivery or not required yet
    AWAITING_PAYMENT = "awaiting_payment"  # prepaid method chosen, money not received
    PAID = "paid"  # paid, waiting to be packed
    PACKED = "packed"  # packed, carrier label created, not handed over
    SHIPPED = "shipped"  # handed to the carrier
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURN_REQUESTED = "return_requested"  # the customer withdrew; goods on their way back
    EXCHANGE_REQUESTED = "exchange_requested"  # delivered items to be swapped for other variants
    RETURNED = "returned"  # goods received back and refunded


#: How each state is named to a customer (Polish, English).
STATUS_LABELS: dict[OrderStatus, tuple[str, str]] = {
    OrderStatus.NEW: ("przyjęte do realizacji", "received"),
    OrderStatus.AWAITING_PAYMENT: ("oczekuje na płatność", "awaiting payment"),
    OrderStatus.PAID: ("opłacone, czeka na spakowanie", "paid, waiting to be packed"),
    OrderStatus.PACKED: ("spakowane, czeka na kuriera", "packed, waiting for the carrier"),
    OrderStatus.SHIPPED: ("wysłane", "shipped"),
    OrderStatus.DELIVERED: ("dostarczone", "delivered"),
    OrderStatus.CANCELLED: ("anulowane", "cancelled"),
    OrderStatus.RETURN_REQUESTED: ("zgłoszony zwrot", "return requested"),
    OrderStatus.EXCHANGE_REQUESTED: ("zgłoszona wymiana", "exchange requested"),
    OrderStatus.RETURNED: ("zwrócone", "returned"),
}

#: States in which the order has not left the warehouse.
UNSHIPPED_STATES = frozenset(
    {OrderStatus.NEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID, OrderStatus.PACKED}
)


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    CASH_ON_DELIVERY = "cod"  # nothing paid yet; the customer pays the courier
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class PaymentMethodKind(StrEnum):
    BLIK = "blik"
    BANK_TRANSFER = "bank_transfer"  # przelew (also fast transfers: Przelewy24, PayU)
    CARD = "card"
    CASH_ON_DELIVERY = "cod"  # za pobraniem
    PAYPO = "paypo"  # buy now, pay within 30 days
    PAYPAL = "paypal"
    GIFT_CARD = "gift_card"


class PaymentKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


class RefusalCode(StrEnum):
    """Why a shop refused a write action; stable codes for flows, policies and tests."""

    ORDER_NOT_FOUND = "order_not_found"
    INVALID_STATE = "invalid_state"
    ALREADY_SHIPPED = "already_shipped"
    NOT_DELIVERED = "not_delivered"
    ALREADY_MODIFIED = "already_modified"
    INVALID_REASON = "invalid_reason"
    INVALID_ADDRESS = "invalid_address"
    ITEM_NOT_FOUND = "item_not_found"
    VARIANT_NOT_FOUND = "variant_not_found"
    OUT_OF_STOCK = "out_of_stock"
    QUANTITY_EXCEEDED = "quantity_exceeded"
    NO_CHANGE = "no_change"
    PAYMENT_METHOD_NOT_FOUND = "payment_method_not_found"
    PAYMENT_METHOD_NOT_ALLOWED = "payment_method_not_allowed"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    WITHDRAWAL_EXCEPTION = "withdrawal_exception"
    RETURN_WINDOW_CLOSED = "return_window_closed"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Address:
    """A postal address; ``street`` and ``line2`` are free text as the shop keeps them."""

    name: str
    street: str
    postcode: str
    city: str
    country: str = "PL"
    line2: str = ""
    region: str = ""
    phone: str | None = None
    company: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "company": self.company,
            "street": self.street,
            "line2": self.line2,
            "postcode": self.postcode,
            "city": self.city,
            "region": self.region,
            "country": self.country,
            "phone": self.phone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Address:
        return cls(
            name=data.get("name") or "",
            street=data.get("street") or "",
            postcode=data.get("postcode") or "",
            city=data.get("city") or "",
            country=data.get("country") or "PL",
            line2=data.get("line2") or "",
            region=data.get("region") or "",
            phone=data.get("phone"),
            company=data.get("company"),
        )


@dataclass(frozen=True)
class SavedPaymentMethod:
    """A payment method kept on the customer's shop account (gift cards carry a balance)."""

    id: str
    kind: PaymentMethodKind
    label: str
    balance: Decimal | None = None


@dataclass(frozen=True)
class ShopCustomer:
    external_id: str
    name: str
    email: str | None
    phone: str | None
    address: Address | None
    payment_methods: tuple[SavedPaymentMethod, ...] = ()
    is_company: bool = False


@dataclass(frozen=True)
class Variant:
    """One buyable version of a product (size, colour...)."""

    external_id: str
    sku: str
    options: dict[str, str]
    price: Decimal
    stock: int | None
    available: bool


@dataclass(frozen=True)
class ProductSummary:
    external_id: str
    sku: str
    name: str
    category: str
    price: Decimal  # lowest variant price
    currency: str
    available: bool
    stock: int | None


@dataclass(frozen=True)
class ProductDetail:
    external_id: str
    sku: str
    name: str
    category: str
    description: str
    price: Decimal
    currency: str
    stock: int | None
    available: bool
    attributes: dict[str, Any]
    # Art. 38 exception ("sealed_hygiene", "custom_made", "perishable"...) when withdrawal does not apply.
    withdrawal_exception: str | None
    variants: tuple[Variant, ...] = ()


@dataclass(frozen=True)
class OrderLine:
    external_id: str
    product_external_id: str | None
    variant_external_id: str | None
    sku: str | None
    name: str
    quantity: int
    unit_price: Decimal
    options: dict[str, str] = field(default_factory=dict)
    returned_quantity: int = 0
    withdrawal_exception: str | None = None

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class PaymentInfo:
    external_id: str
    kind: PaymentKind
    method: PaymentMethodKind
    amount: Decimal
    status: str  # pending | completed | failed
    created_at: datetime
    method_ref: str | None = None  # the saved method used (gift card id...) when the shop keeps one


@dataclass(frozen=True)
class ShipmentEvent:
    """One carrier scan, newest last; ``code`` is the carrier's own status name."""

    at: datetime
    code: str
    state: ShipmentState
    description: str
    location: str | None = None


@dataclass(frozen=True)
class ShipmentInfo:
    external_id: str
    order_external_id: str
    carrier: str  # inpost | dpd | poczta_polska | other
    service: str  # paczkomat | courier | pickup_point | letter
    tracking_number: str | None
    tracking_url: str | None
    state: ShipmentState
    carrier_status: str | None
    pickup_point: str | None
    pickup_deadline: datetime | None
    estimated_delivery: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    item_ids: tuple[str, ...] = ()
    events: tuple[ShipmentEvent, ...] = ()


@dataclass(frozen=True)
class OrderSummary:
    external_id: str
    number: str
    status: OrderStatus
    payment_status: PaymentStatus
    payment_method: PaymentMethodKind | None
    total: Decimal
    currency: str
    placed_at: datetime
    item_count: int
    customer_email: str | None


@dataclass(frozen=True)
class OrderDetail:
    external_id: str
    number: str
    status: OrderStatus
    payment_status: PaymentStatus
    payment_method: PaymentMethodKind | None
    subtotal: Decimal
    shipping_cost: Decimal
    total: Decimal
    currency: str
    placed_at: datetime
    updated_at: datetime
    customer: ShopCustomer | None
    shipping_method: str
    shipping_address: Address
    pickup_point: str | None
    delivered_at: datetime | None
    cancel_reason: str | None
    items: tuple[OrderLine, ...]
    payments: tuple[PaymentInfo, ...]
    shipments: tuple[ShipmentInfo, ...]
    note: str | None = None
    # The platform's own status string (e.g. τ²-bench's "pending (item modified)"), kept verbatim.
    external_status: str | None = None

    def summary(self) -> OrderSummary:
        return OrderSummary(
            external_id=self.external_id,
            number=self.number,
            status=self.status,
            payment_status=self.payment_status,
            payment_method=self.payment_method,
            total=self.total,
            currency=self.currency,
            placed_at=self.placed_at,
            item_count=sum(line.quantity for line in self.items),
            customer_email=self.customer.email if self.customer else None,
        )


@dataclass(frozen=True)
class ItemChange:
    """Replace one order line's variant and/or quantity; quantity 0 removes the line."""

    line_id: str
    new_variant_id: str | None = None
    new_quantity: int | None = None


@dataclass(frozen=True)
class ReturnLine:
    """Items of one order line to send back; ``exchange_variant_id`` asks for another variant instead."""

    line_id: str
    quantity: int = 1
    exchange_variant_id: str | None = None


@dataclass(frozen=True)
class ActionResult:
    """Outcome of a write action: done, or refused with a code and a message for the customer."""

    ok: bool
    code: str
    message_pl: str
    message_en: str
    order: OrderDetail | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def done(cls, order: OrderDetail, pl: str, en: str, **data: Any) -> ActionResult:
        return cls(True, "ok", pl, en, order, data)

    @classmethod
    def refused(cls, code: RefusalCode, pl: str, en: str, **data: Any) -> ActionResult:
        return cls(False, str(code), pl, en, None, data)


class CommerceConnector(Protocol):
    """What Sprawa needs from a shop platform. Lookups return None/empty when nothing matches."""

    kind: str

    # --- customers and orders -------------------------------------------------------------------------
    def find_customers(self, *, email: str | None = None, phone: str | None = None) -> list[ShopCustomer]:
        """Shop accounts matching an e-mail (case-insensitive) or a phone (any common PL format)."""
        ...

    def find_orders(
        self, *, email: str | None = None, phone: str | None = None, limit: int = 20
    ) -> list[OrderSummary]:
        """Orders of whoever has this e-mail or phone (account or order contact), newest first."""
        ...

    def get_order(self, number: str) -> OrderDetail | None:
        """One order by the number the customer sees (also accepts the platform's own id)."""
        ...

    def iter_orders(
        self, *, updated_since: datetime | None = None, batch: int = 200
    ) -> Iterator[OrderDetail]:
        """Every order (changed since ``updated_since``), for a full or incremental cache sync."""
        ...

    # --- catalogue and tracking -----------------------------------------------------------------------
    def search_products(
        self, query: str, *, category: str | None = None, limit: int = 10
    ) -> list[ProductSummary]: ...

    def get_product(self, product_id: str) -> ProductDetail | None:
        """A product by its id or SKU, or by the id/SKU of one of its variants."""
        ...

    def iter_products(self) -> Iterator[ProductDetail]: ...

    def track_shipment(self, tracking_number: str) -> ShipmentInfo | None: ...

    # --- write actions (refusals are results, not exceptions) -----------------------------------------
    def cancel_order(self, number: str, *, reason: str) -> ActionResult: ...

    def change_shipping_address(
        self, number: str, address: Address, *, pickup_point: str | None = None
    ) -> ActionResult: ...

    def change_items(
        self, number: str, changes: Sequence[ItemChange], *, payment_method_id: str | None = None
    ) -> ActionResult: ...

    def change_payment_method(self, number: str, payment_method_id: str) -> ActionResult: ...

    def start_return(
        self,
        number: str,
        lines: Sequence[ReturnLine],
        *,
        reason: str = "",
        refund_method_id: str | None = None,
        allow_excepted: bool = False,
    ) -> ActionResult:
        """Withdrawal (or exchange) of delivered items; ``allow_excepted`` lets a human override art. 38."""
        ...
