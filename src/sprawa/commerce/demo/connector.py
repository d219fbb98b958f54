"""``DemoShop``: the commerce connector of the built-in demo shop, reading and writing its own tables.

It behaves like a shop back office would: it refuses what the shop cannot do (cancel a parcel that has left,
return an order that never arrived) and records every change in the demo tables. What the shop *wants* the AI
to do (return window, compensation) is policy, checked above it. It never commits: the caller owns the
transaction.
"""

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from sprawa.commerce.base import (
    ActionResult,
    Address,
    ItemChange,
    OrderDetail,
    OrderStatus,
    OrderSummary,
    ProductDetail,
    ProductSummary,
    ReturnLine,
    ShipmentInfo,
    ShopCustomer,
)
from sprawa.commerce.demo import queries
from sprawa.commerce.demo.actions import orders, returns
from sprawa.commerce.demo.models import (
    DemoCustomer,
    DemoOrder,
    DemoOrderItem,
    DemoProduct,
    DemoShipment,
    DemoShipmentEvent,
    DemoVariant,
)
from sprawa.db import utcnow

S = OrderStatus
PRE_SHIPMENT = frozenset({S.NEW, S.AWAITING_PAYMENT, S.PAID, S.PACKED})
UNPACKED = frozenset({S.NEW, S.AWAITING_PAYMENT, S.PAID})
LEFT_WAREHOUSE = frozenset({S.SHIPPED, S.DELIVERED, S.RETURN_REQUESTED, S.EXCHANGE_REQUESTED, S.RETURNED})
PL_POSTCODE = re.compile(r"^\d{2}-\d{3}$")
# Paczkomat codes: three letters of the town, a number, one or two letters (WAW123M, KRA01N, GDA08AP).
PACZKOMAT = re.compile(r"^[A-Z]{3}\d{2,4}[A-Z]{1,2}$")
MAX_QUANTITY = 99


@dataclass(frozen=True)
class DemoRules:
    """What the demo shop's back office allows, per workspace (``settings["commerce"]["rules"]``)."""

    cancel_states: frozenset[OrderStatus] = PRE_SHIPMENT
    address_states: frozenset[OrderStatus] = PRE_SHIPMENT
    item_states: frozenset[OrderStatus] = UNPACKED
    payment_states: frozenset[OrderStatus] = UNPACKED
    # None: any reason is accepted; otherwise the exact reasons the shop records.
    cancel_reasons: tuple[str, ...] | None = None
    # Items may be changed once; after that the order can no longer be cancelled (τ²-bench semantics).
    items_change_once: bool = False
    return_window_days: int | None = None
    # How this platform names each state ("paid" → "pending"; key "<status>+modified" after an item change).
    external_statuses: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, data: Mapping[str, Any] | None) -> "DemoRules":
        data = data or {}

        def states(key: str, default: frozenset[OrderStatus]) -> frozenset[OrderStatus]:
            return frozenset(OrderStatus(s) for s in data[key]) if key in data else default

        reasons = data.get("cancel_reasons")
        return cls(
            cancel_states=states("cancel_states", PRE_SHIPMENT),
            address_states=states("address_states", PRE_SHIPMENT),
            item_states=states("item_states", UNPACKED),
            payment_states=states("payment_states", UNPACKED),
            cancel_reasons=tuple(reasons) if reasons is not None else None,
            items_change_once=bool(data.get("items_change_once", False)),
            return_window_days=data.get("return_window_days"),
            external_statuses=dict(data.get("external_statuses") or {}),
        )

    def external_status(self, status: OrderStatus, items_modified: bool) -> str | None:
        if not self.external_statuses:
            return None
        if items_modified and f"{status}+modified" in self.external_statuses:
            return self.external_statuses[f"{status}+modified"]
        return self.external_statuses.get(str(status), str(status))


class DemoShop:
    """The demo shop of one workspace, working in the caller's session."""

    kind = "demo"

    def __init__(
        self,
        session: Session,
        workspace_id: str,
        *,
        rules: DemoRules | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.rules = rules or DemoRules()
        self.now = now

    # --- customers and orders ---------------------------------------------------------------------
    def find_customers(self, *, email: str | None = None, phone: str | None = None) -> list[ShopCustomer]:
        conds = self._customer_conditions(email, phone)
        if not conds:
            return []
        rows = self.session.scalars(
            select(DemoCustomer)
            .where(DemoCustomer.workspace_id == self.workspace_id, or_(*conds))
            .order_by(DemoCustomer.created_at)
        )
        return [queries.shop_customer(c) for c in rows]

    def find_orders(
        self, *, email: str | None = None, phone: str | None = None, limit: int = 20
    ) -> list[OrderSummary]:
        conds = []
        customer_conds = self._customer_conditions(email, phone)
        if customer_conds:
            conds.append(
                DemoOrder.customer_id.in_(
                    select(DemoCustomer.id).where(
                        DemoCustomer.workspace_id == self.workspace_id, or_(*customer_conds)
                    )
                )
            )
        if email:
            conds.append(DemoOrder.contact_email == email.strip().lower())
        if phone and (normalised := queries.normalise_phone(phone)):
            conds.append(DemoOrder.contact_phone == normalised)
        if not conds:
            return []
        rows = list(
            self.session.scalars(
                select(DemoOrder)
                .where(DemoOrder.workspace_id == self.workspace_id, or_(*conds))
                .order_by(DemoOrder.placed_at.desc(), DemoOrder.number.desc())
                .limit(min(limit, 100))
            )
        )
        return queries.order_summaries(self.session, rows)

    def get_order(self, number: str) -> OrderDetail | None:
        row = self.order_row(number)
        return queries.order_details(self.session, [row])[0] if row else None

    def iter_orders(
        self, *, updated_since: datetime | None = None, batch: int = 200
    ) -> Iterator[OrderDetail]:
        stmt = select(DemoOrder.id).where(DemoOrder.workspace_id == self.workspace_id)
        if updated_since is not None:
            stmt = stmt.where(DemoOrder.updated_at >= updated_since)
        ids = list(self.session.scalars(stmt.order_by(DemoOrder.number)))
        for start in range(0, len(ids), batch):
            rows = list(
                self.session.scalars(
                    select(DemoOrder)
                    .where(DemoOrder.id.in_(ids[start : start + batch]))
                    .order_by(DemoOrder.number)
                )
            )
            yield from queries.order_details(self.session, rows)

    # --- catalogue and tracking -------------------------------------------------------------------
    def search_products(
        self, query: str, *, category: str | None = None, limit: int = 10
    ) -> list[ProductSummary]:
        stmt = select(DemoProduct).where(DemoProduct.workspace_id == self.workspace_id, DemoProduct.active)
        products = list(self.session.scalars(stmt.order_by(DemoProduct.name)))
        if category:
            products = [p for p in products if queries.fold(p.category) == queries.fold(category)]
        terms = [t for t in queries.fold(query).split() if len(t) > 1]
        scored = []
        for p in products:
            name = queries.fold(p.name)
            rest = queries.fold(
                " ".join([p.category, p.sku, p.description, *map(str, p.attributes.values())])
            )
            score = sum(3 if t in name else 1 if t in rest else 0 for t in terms)
            if score or not terms:
                scored.append((-score, p.name, p))
        scored.sort(key=lambda s: (s[0], s[1]))
        details = queries.product_details(self.session, [p for _, _, p in scored[: max(1, min(limit, 50))]])
        return [
            ProductSummary(
                d.external_id, d.sku, d.name, d.category, d.price, d.currency, d.available, d.stock
            )
            for d in details
        ]

    def get_product(self, product_id: str) -> ProductDetail | None:
        ref = product_id.strip()
        product = self.session.scalars(
            select(DemoProduct).where(
                DemoProduct.workspace_id == self.workspace_id,
                or_(DemoProduct.external_ref == ref, DemoProduct.sku == ref),
            )
        ).first()
        if product is None:
            variant = self.variant(ref)
            product = self.session.get(DemoProduct, variant.product_id) if variant else None
        return queries.product_details(self.session, [product])[0] if product else None

    def iter_products(self) -> Iterator[ProductDetail]:
        rows = list(
            self.session.scalars(
                select(DemoProduct)
                .where(DemoProduct.workspace_id == self.workspace_id)
                .order_by(DemoProduct.sku)
            )
        )
        for start in range(0, len(rows), 200):
            yield from queries.product_details(self.session, rows[start : start + 200])

    def track_shipment(self, tracking_number: str) -> ShipmentInfo | None:
        number = re.sub(r"\s+", "", tracking_number).upper()
        row = self.session.scalars(
            select(DemoShipment).where(
                DemoShipment.workspace_id == self.workspace_id, DemoShipment.tracking_number == number
            )
        ).first()
        if row is None:
            return None
        order_number = self.session.scalar(select(DemoOrder.number).where(DemoOrder.id == row.order_id)) or ""
        events = list(
            self.session.scalars(select(DemoShipmentEvent).where(DemoShipmentEvent.shipment_id == row.id))
        )
        return queries.shipment_info(row, order_number, events)

    # --- write actions (see actions/) -------------------------------------------------------------
    def cancel_order(self, number: str, *, reason: str) -> ActionResult:
        return orders.cancel_order(self, number, reason=reason)

    def change_shipping_address(
        self, number: str, address: Address, *, pickup_point: str | None = None
    ) -> ActionResult:
        return orders.change_shipping_address(self, number, address, pickup_point=pickup_point)

    def change_items(
        self, number: str, changes: Sequence[ItemChange], *, payment_method_id: str | None = None
    ) -> ActionResult:
        return orders.change_items(self, number, changes, payment_method_id=payment_method_id)

    def change_payment_method(self, number: str, payment_method_id: str) -> ActionResult:
        return orders.change_payment_method(self, number, payment_method_id)

    def start_return(
        self,
        number: str,
        lines: Sequence[ReturnLine],
        *,
        reason: str = "",
        refund_method_id: str | None = None,
        allow_excepted: bool = False,
    ) -> ActionResult:
        return returns.start_return(
            self,
            number,
            lines,
            reason=reason,
            refund_method_id=refund_method_id,
            allow_excepted=allow_excepted,
        )

    # --- used by the actions ----------------------------------------------------------------------
    def _customer_conditions(self, email: str | None, phone: str | None) -> list[Any]:
        conds: list[Any] = []
        if email and email.strip():
            conds.append(DemoCustomer.email == email.strip().lower())
        if phone and (normalised := queries.normalise_phone(phone)):
            conds.append(DemoCustomer.phone == normalised)
        return conds

    def order_row(self, number: str) -> DemoOrder | None:
        return self.session.scalars(
            select(DemoOrder).where(
                DemoOrder.workspace_id == self.workspace_id, DemoOrder.number == number.strip()
            )
        ).first()

    def items_of(self, order: DemoOrder) -> list[DemoOrderItem]:
        return list(
            self.session.scalars(
                select(DemoOrderItem)
                .where(DemoOrderItem.order_id == order.id)
                .order_by(DemoOrderItem.position)
            )
        )

    def shipments_of(self, order: DemoOrder) -> list[DemoShipment]:
        return list(self.session.scalars(select(DemoShipment).where(DemoShipment.order_id == order.id)))

    def customer_of(self, order: DemoOrder) -> DemoCustomer | None:
        return self.session.get(DemoCustomer, order.customer_id) if order.customer_id else None

    def variant(self, ref: str) -> DemoVariant | None:
        return self.session.scalars(
            select(DemoVariant).where(
                DemoVariant.workspace_id == self.workspace_id,
                or_(DemoVariant.external_ref == ref, DemoVariant.sku == ref),
            )
        ).first()

    def restock(self, variant_id: str | None, quantity: int) -> None:
        variant = self.session.get(DemoVariant, variant_id) if variant_id else None
        if variant is not None and variant.stock is not None:
            variant.stock = max(0, variant.stock + quantity)

    def void_labels(self, order: DemoOrder) -> None:
        """A cancelled packed order: its labels were never scanned by the carrier, so they are voided."""
        ids = [s.id for s in self.shipments_of(order)]
        if ids:
            self.session.execute(delete(DemoShipmentEvent).where(DemoShipmentEvent.shipment_id.in_(ids)))
            self.session.execute(delete(DemoShipment).where(DemoShipment.id.in_(ids)))

    def done(self, order: DemoOrder, pl: str, en: str, **data: Any) -> ActionResult:
        order.updated_at = self.now()
        order.external_status = (
            self.rules.external_status(OrderStatus(order.status), order.items_modified_at is not None)
            or order.external_status
        )
        self.session.flush()
        detail = queries.order_details(self.session, [order])[0]
        return ActionResult.done(detail, pl, en, **data)
