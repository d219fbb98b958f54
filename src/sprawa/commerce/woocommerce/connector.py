"""WooCommerce REST API v3: orders, products, notes, status changes, over HTTP Basic with the consumer key.

Tracking numbers are not core WooCommerce: they come from the Shipment Tracking plugin's order meta
(``_wc_shipment_tracking_items``). Orders are paged with ``page``/``per_page`` and the ``X-WP-TotalPages``
header. A shop's ``completed`` means "sent" (WooCommerce has no delivery state).
"""

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sprawa.commerce.base import (
    ActionResult,
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
    ProductSummary,
    RefusalCode,
    ReturnLine,
    ShipmentInfo,
    ShopCustomer,
)
from sprawa.commerce.carriers.links import carrier_code, tracking_url
from sprawa.commerce.models import ShipmentState
from sprawa.commerce.remote import ApiClient, ConnectorEnv, RemoteConnector, bucket_for, credentials, money

PER_PAGE = 100
STATUSES = {
    "pending": OrderStatus.AWAITING_PAYMENT,
    "on-hold": OrderStatus.AWAITING_PAYMENT,
    "failed": OrderStatus.AWAITING_PAYMENT,
    "processing": OrderStatus.PAID,
    "completed": OrderStatus.SHIPPED,
    "cancelled": OrderStatus.CANCELLED,
    "trash": OrderStatus.CANCELLED,
    "refunded": OrderStatus.RETURNED,
}
PAYMENT_METHODS = {
    "bacs": PaymentMethodKind.BANK_TRANSFER,
    "przelewy24": PaymentMethodKind.BANK_TRANSFER,
    "payu": PaymentMethodKind.BANK_TRANSFER,
    "tpay": PaymentMethodKind.BANK_TRANSFER,
    "blik": PaymentMethodKind.BLIK,
    "cod": PaymentMethodKind.CASH_ON_DELIVERY,
    "stripe": PaymentMethodKind.CARD,
    "paypal": PaymentMethodKind.PAYPAL,
    "ppcp-gateway": PaymentMethodKind.PAYPAL,
    "paypo": PaymentMethodKind.PAYPO,
}
CANCELLABLE = frozenset({"pending", "on-hold", "processing", "failed"})


def _gmt(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "")).replace(tzinfo=UTC)


def _address(data: Mapping[str, Any]) -> Address:
    return Address(
        name=f"{data.get('first_name', '')} {data.get('last_name', '')}".strip(),
        company=data.get("company") or None,
        street=data.get("address_1") or "",
        line2=data.get("address_2") or "",
        postcode=data.get("postcode") or "",
        city=data.get("city") or "",
        region=data.get("state") or "",
        country=data.get("country") or "PL",
        phone=data.get("phone") or None,
    )


def _meta(order: Mapping[str, Any], key: str) -> Any:
    return next((m.get("value") for m in order.get("meta_data") or [] if m.get("key") == key), None)


def order_detail(o: Mapping[str, Any]) -> OrderDetail:
    """A WooCommerce order resource (as the API and order webhooks send it) as an OrderDetail."""
    status = STATUSES.get(o["status"], OrderStatus.NEW)
    method = PAYMENT_METHODS.get(o.get("payment_method") or "")
    total = money(o.get("total"))
    refunded = sum((-money(r.get("total")) for r in o.get("refunds") or []), start=money(0))
    refunded = abs(refunded)
    if refunded and refunded >= total:
        payment_status = PaymentStatus.REFUNDED
    elif refunded:
        payment_status = PaymentStatus.PARTIALLY_REFUNDED
    elif o.get("date_paid_gmt") or o.get("date_paid"):
        payment_status = PaymentStatus.PAID
    elif method == PaymentMethodKind.CASH_ON_DELIVERY:
        payment_status = PaymentStatus.CASH_ON_DELIVERY
    else:
        payment_status = PaymentStatus.UNPAID
    placed = _gmt(o.get("date_created_gmt")) or datetime.now(UTC)
    billing = o.get("billing") or {}
    customer = ShopCustomer(
        external_id=str(o.get("customer_id") or f"guest:{(billing.get('email') or '').lower()}"),
        name=f"{billing.get('first_name', '')} {billing.get('last_name', '')}".strip(),
        email=(billing.get("email") or "").lower() or None,
        phone=billing.get("phone") or None,
        address=_address(billing),
    )
    payments = []
    if payment_status != PaymentStatus.UNPAID and method and method != PaymentMethodKind.CASH_ON_DELIVERY:
        payments.append(
            PaymentInfo(
                external_id=o.get("transaction_id") or f"{o['id']}:payment",
                kind=PaymentKind.PAYMENT,
                method=method,
                amount=total,
                status="completed",
                created_at=_gmt(o.get("date_paid_gmt")) or placed,
            )
        )
    for refund in o.get("refunds") or []:
        payments.append(
            PaymentInfo(
                external_id=f"refund:{refund['id']}",
                kind=PaymentKind.REFUND,
                method=method or PaymentMethodKind.BANK_TRANSFER,
                amount=abs(money(refund.get("total"))),
                status="completed",
                created_at=placed,
            )
        )
    shipments = []
    for item in _meta(o, "_wc_shipment_tracking_items") or []:
        carrier = carrier_code(item.get("tracking_provider") or item.get("custom_tracking_provider"))
        number = item.get("tracking_number")
        shipped = item.get("date_shipped")
        shipments.append(
            ShipmentInfo(
                external_id=item.get("tracking_id") or number,
                order_external_id=str(o["id"]),
                carrier=carrier,
                service="courier",
                tracking_number=number,
                tracking_url=item.get("custom_tracking_link") or tracking_url(carrier, number),
                state=ShipmentState.IN_TRANSIT,
                carrier_status=None,
                pickup_point=None,
                pickup_deadline=None,
                estimated_delivery=None,
                shipped_at=datetime.fromtimestamp(int(shipped), UTC) if shipped else None,
                delivered_at=None,
            )
        )
    shipping_lines = o.get("shipping_lines") or []
    return OrderDetail(
        external_id=str(o["id"]),
        number=str(o.get("number") or o["id"]),
        status=status,
        payment_status=payment_status,
        payment_method=method,
        subtotal=sum(
            (money(li.get("subtotal") or li.get("total")) for li in o.get("line_items") or []), money(0)
        ),
        shipping_cost=money(o.get("shipping_total")),
        total=total,
        currency=o.get("currency") or "PLN",
        placed_at=placed,
        updated_at=_gmt(o.get("date_modified_gmt")) or placed,
        customer=customer,
        shipping_method=shipping_lines[0].get("method_title", "") if shipping_lines else "",
        shipping_address=_address(o.get("shipping") or billing),
        pickup_point=_meta(o, "_paczkomat_id"),
        delivered_at=None,
        cancel_reason=None,
        items=tuple(
            OrderLine(
                external_id=str(li["id"]),
                product_external_id=str(li.get("variation_id") or li.get("product_id") or "") or None,
                variant_external_id=str(li["variation_id"]) if li.get("variation_id") else None,
                sku=li.get("sku") or None,
                name=li.get("name") or "",
                quantity=int(li.get("quantity") or 0),
                unit_price=money(li.get("price")),
            )
            for li in o.get("line_items") or []
        ),
        payments=tuple(payments),
        shipments=tuple(shipments),
        note=o.get("customer_note") or None,
        external_status=o["status"],
    )


def product_detail(p: Mapping[str, Any]) -> ProductDetail:
    stock = p.get("stock_quantity")
    return ProductDetail(
        external_id=str(p["id"]),
        sku=p.get("sku") or str(p["id"]),
        name=p.get("name") or "",
        category=((p.get("categories") or [{}])[0]).get("name", ""),
        description=p.get("short_description") or p.get("description") or "",
        price=money(p.get("price")),
        currency="PLN",
        stock=int(stock) if stock is not None else None,
        available=p.get("stock_status", "instock") == "instock",
        attributes={a["name"]: ", ".join(a.get("options") or []) for a in p.get("attributes") or []},
        withdrawal_exception=None,
    )


class WooCommerce(RemoteConnector):
    kind = "woocommerce"

    def __init__(self, env: ConnectorEnv, config: Mapping[str, Any]) -> None:
        creds = credentials(env, config, "consumer_key", "consumer_secret")
        base = str(config.get("base_url", "")).rstrip("/") + "/wp-json/wc/v3"
        self.api = ApiClient(
            env,
            base,
            auth=(creds["consumer_key"], creds["consumer_secret"]),
            headers={"Accept": "application/json"},
            bucket=bucket_for(f"woocommerce|{base}", 10, 1, burst=20),
        )

    # --- reads --------------------------------------------------------------------------------------
    def _orders(self, **params: Any) -> tuple[list[dict[str, Any]], int]:
        response = self.api.request("GET", "/orders", params=params)
        if response.status_code >= 400:
            return [], 0
        return response.json(), int(response.headers.get("X-WP-TotalPages", "1"))

    def find_orders(
        self, *, email: str | None = None, phone: str | None = None, limit: int = 20
    ) -> list[OrderSummary]:
        return [d.summary() for d in self.find_order_details(email=email, phone=phone, limit=limit)]

    def find_order_details(
        self, *, email: str | None = None, phone: str | None = None, limit: int = 20
    ) -> list[OrderDetail]:
        """Whole orders of this e-mail or phone, newest first (the search answers with whole orders)."""
        term = (email or phone or "").strip()
        if not term:
            return []
        rows, _ = self._orders(search=term, per_page=min(limit, PER_PAGE), orderby="date", order="desc")
        digits = "".join(c for c in (phone or "") if c.isdigit())[-9:]
        found = []
        for row in rows:
            billing = row.get("billing") or {}
            if email and (billing.get("email") or "").lower() != email.strip().lower():
                continue
            if phone and not "".join(c for c in billing.get("phone", "") if c.isdigit()).endswith(digits):
                continue
            found.append(order_detail(row))
        return found[:limit]

    def get_order(self, number: str) -> OrderDetail | None:
        number = number.strip().lstrip("#")
        if number.isdigit():
            data = self.api.json("GET", f"/orders/{number}")
            if data:
                return order_detail(data)
        rows, _ = self._orders(search=number, per_page=10)
        match = next((r for r in rows if str(r.get("number")) == number), None)
        return order_detail(match) if match else None

    def iter_orders(
        self, *, updated_since: datetime | None = None, batch: int = 200
    ) -> Iterator[OrderDetail]:
        params: dict[str, Any] = {"per_page": PER_PAGE, "orderby": "id", "order": "asc"}
        if updated_since is not None:
            params |= {
                "modified_after": updated_since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "dates_are_gmt": "true",
            }
        page, pages = 1, 1
        while page <= pages:
            rows, pages = self._orders(page=page, **params)
            yield from (order_detail(r) for r in rows)
            page += 1

    def search_products(
        self, query: str, *, category: str | None = None, limit: int = 10
    ) -> list[ProductSummary]:
        rows = (
            self.api.json("GET", "/products", params={"search": query, "per_page": min(limit, PER_PAGE)})
            or []
        )
        details = [product_detail(p) for p in rows]
        if category:
            details = [d for d in details if d.category.lower() == category.lower()]
        return [
            ProductSummary(
                d.external_id, d.sku, d.name, d.category, d.price, d.currency, d.available, d.stock
            )
            for d in details
        ]

    def get_product(self, product_id: str) -> ProductDetail | None:
        if product_id.isdigit() and (data := self.api.json("GET", f"/products/{product_id}")):
            return product_detail(data)
        rows = self.api.json("GET", "/products", params={"sku": product_id}) or []
        return product_detail(rows[0]) if rows else None

    def iter_products(self) -> Iterator[ProductDetail]:
        page, pages = 1, 1
        while page <= pages:
            response = self.api.request("GET", "/products", params={"page": page, "per_page": PER_PAGE})
            pages = int(response.headers.get("X-WP-TotalPages", "1"))
            yield from (product_detail(p) for p in response.json())
            page += 1

    # --- writes -------------------------------------------------------------------------------------
    def _writable(self, number: str) -> tuple[OrderDetail | None, ActionResult | None]:
        order = self.get_order(number)
        if order is None:
            return None, ActionResult.refused(
                RefusalCode.ORDER_NOT_FOUND,
                f"Nie znajduję zamówienia {number} w sklepie.",
                f"I cannot find order {number} in the shop.",
            )
        if order.external_status not in CANCELLABLE:
            return None, ActionResult.refused(
                RefusalCode.ALREADY_SHIPPED
                if order.status == OrderStatus.SHIPPED
                else RefusalCode.INVALID_STATE,
                "To zamówienie zostało już wysłane lub zamknięte, więc nie można go zmienić.",
                "This order has already been sent or closed, so it cannot be changed.",
            )
        return order, None

    def add_order_note(self, number: str, note: str) -> None:
        order = self.get_order(number)
        if order is not None:
            self.api.json(
                "POST",
                f"/orders/{order.external_id}/notes",
                json={"note": note, "customer_note": False},
                repeatable=False,
            )

    def cancel_order(self, number: str, *, reason: str) -> ActionResult:
        order, refusal = self._writable(number)
        if refusal or order is None:
            return refusal  # type: ignore[return-value]
        data = self.api.json("PUT", f"/orders/{order.external_id}", json={"status": "cancelled"})
        self.api.json(
            "POST",
            f"/orders/{order.external_id}/notes",
            json={"note": f"Anulowano: {reason}"},
            repeatable=False,
        )
        return ActionResult.done(
            order_detail(data), "Zamówienie zostało anulowane.", "The order has been cancelled."
        )

    def change_shipping_address(
        self, number: str, address: Address, *, pickup_point: str | None = None
    ) -> ActionResult:
        order, refusal = self._writable(number)
        if refusal or order is None:
            return refusal  # type: ignore[return-value]
        first, _, last = address.name.partition(" ")
        body: dict[str, Any] = {
            "shipping": {
                "first_name": first,
                "last_name": last,
                "company": address.company or "",
                "address_1": address.street,
                "address_2": address.line2,
                "postcode": address.postcode,
                "city": address.city,
                "country": address.country,
            }
        }
        if pickup_point:
            body["meta_data"] = [{"key": "_paczkomat_id", "value": pickup_point}]
        data = self.api.json("PUT", f"/orders/{order.external_id}", json=body)
        return ActionResult.done(
            order_detail(data), "Adres dostawy został zmieniony.", "The delivery address has been changed."
        )

    def start_return(
        self,
        number: str,
        lines: Sequence[ReturnLine],
        *,
        reason: str = "",
        refund_method_id: str | None = None,
        allow_excepted: bool = False,
    ) -> ActionResult:
        return self.unsupported("zwroty", "returns")
