"""Shopify Admin GraphQL API: orders with cursor pagination, cost-based throttling, cancel and address change.

Shopify answers a throttled query with HTTP 200 and a ``THROTTLED`` error; ``extensions.cost`` says how
many points the query needs, how many are available and how fast they come back, so the client waits
exactly that long (within its budget) instead of guessing.
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
    PaymentStatus,
    ProductDetail,
    ProductSummary,
    RefusalCode,
    ReturnLine,
    ShipmentInfo,
    ShopCustomer,
    Variant,
)
from sprawa.commerce.carriers.links import carrier_code, tracking_url
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import ShipmentState
from sprawa.commerce.remote import ApiClient, ConnectorEnv, RemoteConnector, credentials, money

API_VERSION = "2025-07"
PAGE = 50
MAX_THROTTLE_RETRIES = 3

ORDER_FIELDS = """
  id name email phone createdAt updatedAt cancelledAt cancelReason note
  displayFinancialStatus displayFulfillmentStatus
  totalPriceSet { shopMoney { amount currencyCode } }
  subtotalPriceSet { shopMoney { amount } }
  totalShippingPriceSet { shopMoney { amount } }
  customer { id displayName email phone }
  shippingAddress { name company address1 address2 zip city provinceCode countryCodeV2 phone }
  shippingLine { title }
  lineItems(first: 50) { nodes { id name sku quantity
    originalUnitPriceSet { shopMoney { amount } } variant { id } product { id } } }
  fulfillments { status createdAt trackingInfo { company number url } }
"""
ORDERS = (
    "query Orders($first: Int!, $after: String, $query: String) { orders(first: $first, after: $after, "
    "query: $query, sortKey: UPDATED_AT) { pageInfo { hasNextPage endCursor } nodes {"
    + ORDER_FIELDS
    + "} } }"
)
PRODUCT_FIELDS = """id title handle productType description totalInventory status
  variants(first: 50) { nodes { id sku title price inventoryQuantity availableForSale
    selectedOptions { name value } } }"""
PRODUCTS = (
    "query Products($first: Int!, $after: String, $query: String) { products(first: $first, after: $after, "
    "query: $query) { pageInfo { hasNextPage endCursor } nodes {" + PRODUCT_FIELDS + "} } }"
)
CANCEL = (
    "mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $staffNote: String) { "
    "orderCancel(orderId: $orderId, reason: $reason, refund: true, restock: true, notifyCustomer: true, "
    "staffNote: $staffNote) { job { id } orderCancelUserErrors { field message code } } }"
)
UPDATE_ADDRESS = (
    "mutation OrderUpdate($input: OrderInput!) { orderUpdate(input: $input) { "
    "order { id } userErrors { field message } } }"
)

FINANCIAL = {
    "PAID": PaymentStatus.PAID,
    "PARTIALLY_PAID": PaymentStatus.PAID,
    "AUTHORIZED": PaymentStatus.UNPAID,
    "PENDING": PaymentStatus.UNPAID,
    "EXPIRED": PaymentStatus.UNPAID,
    "VOIDED": PaymentStatus.UNPAID,
    "REFUNDED": PaymentStatus.REFUNDED,
    "PARTIALLY_REFUNDED": PaymentStatus.PARTIALLY_REFUNDED,
}


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _amount(node: Mapping[str, Any] | None) -> Any:
    return money(((node or {}).get("shopMoney") or {}).get("amount"))


def order_detail(o: Mapping[str, Any]) -> OrderDetail:
    financial = FINANCIAL.get(o.get("displayFinancialStatus") or "", PaymentStatus.UNPAID)
    fulfilment = o.get("displayFulfillmentStatus") or "UNFULFILLED"
    fulfillments = o.get("fulfillments") or []
    if o.get("cancelledAt"):
        status = OrderStatus.CANCELLED
    elif financial == PaymentStatus.REFUNDED:
        status = OrderStatus.RETURNED
    elif any(f.get("status") == "SUCCESS" for f in fulfillments) or fulfilment in (
        "FULFILLED",
        "PARTIALLY_FULFILLED",
    ):
        status = OrderStatus.SHIPPED
    elif financial in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED):
        status = OrderStatus.PAID
    else:
        status = OrderStatus.AWAITING_PAYMENT
    placed = _at(o.get("createdAt")) or datetime.now(UTC)
    shipments = []
    for f in fulfillments:
        for info in f.get("trackingInfo") or []:
            carrier = carrier_code(info.get("company"))
            number = info.get("number")
            shipments.append(
                ShipmentInfo(
                    external_id=number or f"{o['id']}:{len(shipments)}",
                    order_external_id=o["id"],
                    carrier=carrier,
                    service="courier",
                    tracking_number=number,
                    tracking_url=info.get("url") or tracking_url(carrier, number),
                    state=ShipmentState.IN_TRANSIT,
                    carrier_status=f.get("status"),
                    pickup_point=None,
                    pickup_deadline=None,
                    estimated_delivery=None,
                    shipped_at=_at(f.get("createdAt")),
                    delivered_at=None,
                )
            )
    person = o.get("customer") or {}
    ship = o.get("shippingAddress") or {}
    email = (o.get("email") or person.get("email") or "").lower() or None
    address = Address(
        name=ship.get("name") or person.get("displayName") or "",
        company=ship.get("company"),
        street=ship.get("address1") or "",
        line2=ship.get("address2") or "",
        postcode=ship.get("zip") or "",
        city=ship.get("city") or "",
        region=ship.get("provinceCode") or "",
        country=ship.get("countryCodeV2") or "PL",
        phone=ship.get("phone"),
    )
    return OrderDetail(
        external_id=o["id"],
        number=o["name"],
        status=status,
        payment_status=financial,
        payment_method=None,
        subtotal=_amount(o.get("subtotalPriceSet")),
        shipping_cost=_amount(o.get("totalShippingPriceSet")),
        total=_amount(o.get("totalPriceSet")),
        currency=((o.get("totalPriceSet") or {}).get("shopMoney") or {}).get("currencyCode") or "PLN",
        placed_at=placed,
        updated_at=_at(o.get("updatedAt")) or placed,
        customer=ShopCustomer(
            external_id=person.get("id") or f"guest:{email}",
            name=person.get("displayName") or address.name,
            email=email,
            phone=o.get("phone") or person.get("phone"),
            address=address,
        ),
        shipping_method=(o.get("shippingLine") or {}).get("title") or "",
        shipping_address=address,
        pickup_point=None,
        delivered_at=None,
        cancel_reason=o.get("cancelReason"),
        items=tuple(
            OrderLine(
                external_id=li["id"],
                product_external_id=(li.get("product") or {}).get("id"),
                variant_external_id=(li.get("variant") or {}).get("id"),
                sku=li.get("sku"),
                name=li.get("name") or "",
                quantity=int(li.get("quantity") or 0),
                unit_price=_amount(li.get("originalUnitPriceSet")),
            )
            for li in (o.get("lineItems") or {}).get("nodes") or []
        ),
        payments=(),
        shipments=tuple(shipments),
        note=o.get("note"),
        external_status=f"{o.get('displayFinancialStatus')}/{fulfilment}",
    )


def product_detail(p: Mapping[str, Any]) -> ProductDetail:
    variants = tuple(
        Variant(
            external_id=v["id"],
            sku=v.get("sku") or v["id"],
            options={o["name"]: o["value"] for o in v.get("selectedOptions") or []},
            price=money(v.get("price")),
            stock=v.get("inventoryQuantity"),
            available=bool(v.get("availableForSale", True)),
        )
        for v in (p.get("variants") or {}).get("nodes") or []
    )
    return ProductDetail(
        external_id=p["id"],
        sku=variants[0].sku if variants else p.get("handle", p["id"]),
        name=p.get("title") or "",
        category=p.get("productType") or "",
        description=p.get("description") or "",
        price=min((v.price for v in variants), default=money(0)),
        currency="PLN",
        stock=p.get("totalInventory"),
        available=any(v.available for v in variants) if variants else p.get("status") == "ACTIVE",
        attributes={},
        withdrawal_exception=None,
        variants=variants,
    )


class Shopify(RemoteConnector):
    kind = "shopify"

    def __init__(self, env: ConnectorEnv, config: Mapping[str, Any]) -> None:
        token = credentials(env, config, "access_token")["access_token"]
        base = str(config.get("base_url", "")).rstrip("/")
        version = str(config.get("api_version") or API_VERSION)
        self.api = ApiClient(env, f"{base}/admin/api/{version}", headers={"X-Shopify-Access-Token": token})

    def graphql(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Run one operation; a THROTTLED answer waits for the points it needs, then tries again."""
        for _ in range(MAX_THROTTLE_RETRIES + 1):
            body = self.api.json("POST", "/graphql.json", json={"query": query, "variables": dict(variables)})
            if body is None:
                raise ConnectorError(ConnectorProblem.BAD_RESPONSE, "the GraphQL endpoint answered 404")
            errors = body.get("errors") or []
            if isinstance(errors, str):
                raise ConnectorError(ConnectorProblem.BAD_CREDENTIALS, errors)
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                cost = (body.get("extensions") or {}).get("cost") or {}
                status = cost.get("throttleStatus") or {}
                missing = float(cost.get("requestedQueryCost", 0)) - float(
                    status.get("currentlyAvailable", 0)
                )
                wait = max(0.0, missing) / max(float(status.get("restoreRate", 50)), 1.0)
                self.api.wait(wait, ConnectorProblem.RATE_LIMITED, "Shopify query cost throttled")
                continue
            if errors:
                raise ConnectorError(
                    ConnectorProblem.BAD_RESPONSE, "; ".join(e.get("message", "") for e in errors)
                )
            return body["data"]
        raise ConnectorError(ConnectorProblem.RATE_LIMITED, "Shopify kept throttling the query")

    def _orders(self, query: str, first: int = PAGE) -> Iterator[OrderDetail]:
        after = None
        while True:
            page = self.graphql(ORDERS, {"first": first, "after": after, "query": query})["orders"]
            yield from (order_detail(o) for o in page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    def find_orders(
        self, *, email: str | None = None, phone: str | None = None, limit: int = 20
    ) -> list[OrderSummary]:
        return [d.summary() for d in self.find_order_details(email=email, phone=phone, limit=limit)]

    def find_order_details(
        self, *, email: str | None = None, phone: str | None = None, limit: int = 20
    ) -> list[OrderDetail]:
        """Whole orders of this e-mail or phone, newest first (the query returns whole orders)."""
        if email:
            query = f"email:{_quote(email.strip().lower())}"
        elif phone:
            query = f"phone:{_quote(phone.strip())}"
        else:
            return []
        found = []
        for order in self._orders(query, first=min(limit, PAGE)):
            found.append(order)
            if len(found) >= limit:
                break
        return sorted(found, key=lambda s: s.placed_at, reverse=True)

    def get_order(self, number: str) -> OrderDetail | None:
        ref = number.strip()
        query = (
            f"id:{ref.rsplit('/', 1)[-1]}"
            if ref.startswith("gid://")
            else f"name:{_quote('#' + ref.lstrip('#'))}"
        )
        return next(self._orders(query, first=1), None)

    def iter_orders(
        self, *, updated_since: datetime | None = None, batch: int = 200
    ) -> Iterator[OrderDetail]:
        query = f"updated_at:>='{updated_since.astimezone(UTC).isoformat()}'" if updated_since else ""
        yield from self._orders(query)

    def search_products(
        self, query: str, *, category: str | None = None, limit: int = 10
    ) -> list[ProductSummary]:
        q = f"title:*{query}*" + (f" product_type:{_quote(category)}" if category else "")
        nodes = self.graphql(PRODUCTS, {"first": min(limit, PAGE), "after": None, "query": q})["products"][
            "nodes"
        ]
        return [
            ProductSummary(
                d.external_id, d.sku, d.name, d.category, d.price, d.currency, d.available, d.stock
            )
            for d in map(product_detail, nodes)
        ]

    def get_product(self, product_id: str) -> ProductDetail | None:
        q = (
            f"id:{product_id.rsplit('/', 1)[-1]}"
            if product_id.startswith("gid://")
            else f"sku:{_quote(product_id)}"
        )
        nodes = self.graphql(PRODUCTS, {"first": 1, "after": None, "query": q})["products"]["nodes"]
        return product_detail(nodes[0]) if nodes else None

    def iter_products(self) -> Iterator[ProductDetail]:
        after = None
        while True:
            page = self.graphql(PRODUCTS, {"first": PAGE, "after": after, "query": ""})["products"]
            yield from map(product_detail, page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    def _open_order(self, number: str) -> tuple[OrderDetail | None, ActionResult | None]:
        order = self.get_order(number)
        if order is None:
            return None, ActionResult.refused(
                RefusalCode.ORDER_NOT_FOUND,
                f"Nie znajduję zamówienia {number} w sklepie.",
                f"I cannot find order {number} in the shop.",
            )
        if order.status not in (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID, OrderStatus.NEW):
            return None, ActionResult.refused(
                RefusalCode.ALREADY_SHIPPED
                if order.status == OrderStatus.SHIPPED
                else RefusalCode.INVALID_STATE,
                "To zamówienie zostało już wysłane lub zamknięte, więc nie można go zmienić.",
                "This order has already been sent or closed, so it cannot be changed.",
            )
        return order, None

    def cancel_order(self, number: str, *, reason: str) -> ActionResult:
        order, refusal = self._open_order(number)
        if order is None:
            return refusal  # type: ignore[return-value]
        data = self.graphql(CANCEL, {"orderId": order.external_id, "reason": "CUSTOMER", "staffNote": reason})
        errors = data["orderCancel"]["orderCancelUserErrors"]
        if errors:
            return ActionResult.refused(
                RefusalCode.INVALID_STATE,
                "Sklep nie pozwolił anulować zamówienia: " + "; ".join(e["message"] for e in errors),
                "The shop did not allow cancelling the order: " + "; ".join(e["message"] for e in errors),
            )
        refreshed = self.get_order(order.number) or order
        return ActionResult.done(refreshed, "Zamówienie zostało anulowane.", "The order has been cancelled.")

    def change_shipping_address(
        self, number: str, address: Address, *, pickup_point: str | None = None
    ) -> ActionResult:
        order, refusal = self._open_order(number)
        if order is None:
            return refusal  # type: ignore[return-value]
        first, _, last = address.name.partition(" ")
        shipping = {
            "firstName": first,
            "lastName": last,
            "company": address.company,
            "address1": address.street,
            "address2": address.line2,
            "zip": address.postcode,
            "city": address.city,
            "countryCode": address.country,
            "phone": address.phone,
        }
        data = self.graphql(UPDATE_ADDRESS, {"input": {"id": order.external_id, "shippingAddress": shipping}})
        if data["orderUpdate"]["userErrors"]:
            return ActionResult.refused(
                RefusalCode.INVALID_ADDRESS,
                "Sklep nie przyjął tego adresu.",
                "The shop did not accept this address.",
            )
        refreshed = self.get_order(order.number) or order
        return ActionResult.done(
            refreshed, "Adres dostawy został zmieniony.", "The delivery address has been changed."
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


def _quote(value: str) -> str:
    """A value in Shopify search syntax: quoted, with quotes and backslashes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
