"""PrestaShop Webservice: key auth, JSON output, filters, the shop's own order states, customer threads.

Reads ask for ``output_format=JSON``; writes send XML, which every Webservice version accepts. Order state
ids are shop data: the default install's ids are mapped here and a shop overrides them with
``settings["commerce"]["state_map"] = {"12": "shipped"}``; the state names shown are read from the shop.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

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
)
from sprawa.commerce.carriers.links import carrier_code, tracking_url
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import ShipmentState
from sprawa.commerce.remote import ApiClient, ConnectorEnv, RemoteConnector, bucket_for, credentials, money

PAGE = 50
#: Default install order states (verify on the target shop: ids are shop data).
DEFAULT_STATES = {
    "1": OrderStatus.AWAITING_PAYMENT,
    "2": OrderStatus.PAID,
    "3": OrderStatus.PAID,
    "4": OrderStatus.SHIPPED,
    "5": OrderStatus.DELIVERED,
    "6": OrderStatus.CANCELLED,
    "7": OrderStatus.RETURNED,
    "8": OrderStatus.AWAITING_PAYMENT,
    "10": OrderStatus.AWAITING_PAYMENT,
    "11": OrderStatus.PAID,
    "12": OrderStatus.PAID,
}
CANCELLED_STATE = "6"


@dataclass(frozen=True)
class ShopMessage:
    """One message of a customer service thread: the customer's, or an employee's (``private``: a note)."""

    external_id: str
    sent_at: datetime | None
    employee: bool
    private: bool
    text: str


@dataclass(frozen=True)
class ShopThread:
    """A customer service thread (contact form, order messages) with its messages, oldest first."""

    external_id: str
    email: str
    shop_customer_id: str | None
    order_external_id: str | None
    status: str
    updated: str  # the shop's ``date_upd`` as it wrote it (shop-local time): the import cursor
    messages: tuple[ShopMessage, ...]


def _at(value: str | None) -> datetime | None:
    if not value or value.startswith("0000"):
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _name(value: Any) -> str:
    """A multilingual field: the first language's value."""
    if isinstance(value, list):
        return str(value[0].get("value", "")) if value else ""
    return str(value or "")


class PrestaShop(RemoteConnector):
    kind = "prestashop"

    def __init__(self, env: ConnectorEnv, config: Mapping[str, Any]) -> None:
        key = credentials(env, config, "api_key")["api_key"]
        base = str(config.get("base_url", "")).rstrip("/") + "/api"
        self.api = ApiClient(
            env, base, auth=(key, ""), bucket=bucket_for(f"prestashop|{base}", 5, 1, burst=10)
        )
        self.state_map = DEFAULT_STATES | {
            str(k): OrderStatus(v) for k, v in (config.get("state_map") or {}).items()
        }
        self._state_names: dict[str, str] | None = None

    def get(self, resource: str, **params: Any) -> dict[str, Any]:
        """One resource or list; PrestaShop answers an empty list as ``[]`` instead of ``{"orders": []}``."""
        found = self.api.json("GET", f"/{resource}", params={"output_format": "JSON", **params})
        return found if isinstance(found, dict) else {}

    def state_names(self) -> dict[str, str]:
        if self._state_names is None:
            rows = self.get("order_states", display="[id,name]").get("order_states") or []
            self._state_names = {str(r["id"]): _name(r.get("name")) for r in rows}
        return self._state_names

    # --- reads --------------------------------------------------------------------------------------
    def _customers(self, email: str) -> list[dict[str, Any]]:
        rows = self.get(
            "customers", display="[id,firstname,lastname,email]", **{"filter[email]": f"[{email}]"}
        )
        return rows.get("customers") or []

    def _detail(self, o: Mapping[str, Any], customer: Mapping[str, Any] | None = None) -> OrderDetail:
        state = str(o.get("current_state", ""))
        status = self.state_map.get(state, OrderStatus.NEW)
        total = money(o.get("total_paid"))
        paid = money(o.get("total_paid_real"))
        if status == OrderStatus.RETURNED:
            payment = PaymentStatus.REFUNDED
        elif paid >= total and total > 0:
            payment = PaymentStatus.PAID
        elif "cashondelivery" in str(o.get("module", "")) or "cod" in str(o.get("module", "")):
            payment = PaymentStatus.CASH_ON_DELIVERY
        else:
            payment = PaymentStatus.UNPAID
        placed = _at(o.get("date_add")) or datetime.now(UTC)
        rows = (o.get("associations") or {}).get("order_rows") or []
        customer = customer or {}
        email = (customer.get("email") or "").lower() or None
        shipments = tuple(self._shipments(o))
        return OrderDetail(
            external_id=str(o["id"]),
            number=str(o.get("reference") or o["id"]),
            status=status,
            payment_status=payment,
            payment_method=None,
            subtotal=money(o.get("total_products_wt") or o.get("total_products")),
            shipping_cost=money(o.get("total_shipping")),
            total=total,
            currency="PLN",
            placed_at=placed,
            updated_at=_at(o.get("date_upd")) or placed,
            customer=ShopCustomer(
                external_id=str(o.get("id_customer", "")),
                name=f"{customer.get('firstname', '')} {customer.get('lastname', '')}".strip(),
                email=email,
                phone=None,
                address=None,
            )
            if customer
            else None,
            shipping_method="",
            shipping_address=Address(name="", street="", postcode="", city=""),
            pickup_point=None,
            delivered_at=None,
            cancel_reason=None,
            items=tuple(
                OrderLine(
                    external_id=str(r.get("id")),
                    product_external_id=str(r.get("product_id") or "") or None,
                    variant_external_id=str(r.get("product_attribute_id") or "") or None,
                    sku=r.get("product_reference") or None,
                    name=r.get("product_name") or "",
                    quantity=int(r.get("product_quantity") or 0),
                    unit_price=money(r.get("unit_price_tax_incl") or r.get("product_price")),
                )
                for r in rows
            ),
            payments=(),
            shipments=shipments,
            external_status=self.state_names().get(state, state),
        )

    def _shipments(self, o: Mapping[str, Any]) -> Iterator[ShipmentInfo]:
        rows = self.get("order_carriers", display="full", **{"filter[id_order]": f"[{o['id']}]"})
        for row in rows.get("order_carriers") or []:
            number = row.get("tracking_number") or None
            if not number:
                continue
            carrier = self.get(f"carriers/{row['id_carrier']}").get("carrier") or {}
            code = carrier_code(carrier.get("name"))
            yield ShipmentInfo(
                external_id=str(row["id"]),
                order_external_id=str(o["id"]),
                carrier=code,
                service="courier",
                tracking_number=number,
                tracking_url=tracking_url(code, number),
                state=ShipmentState.IN_TRANSIT,
                carrier_status=None,
                pickup_point=None,
                pickup_deadline=None,
                estimated_delivery=None,
                shipped_at=_at(row.get("date_add")),
                delivered_at=None,
            )

    def find_orders(
        self, *, email: str | None = None, phone: str | None = None, limit: int = 20
    ) -> list[OrderSummary]:
        if not email:
            return []  # the Webservice cannot filter customers by phone
        customers = {str(c["id"]): c for c in self._customers(email.strip().lower())}
        if not customers:
            return []
        rows = (
            self.get(
                "orders",
                display="full",
                sort="[date_add_DESC]",
                limit=f"0,{min(limit, PAGE)}",
                **{"filter[id_customer]": "[" + "|".join(customers) + "]"},
            ).get("orders")
            or []
        )
        return [self._detail(o, customers.get(str(o.get("id_customer")))).summary() for o in rows]

    def get_order(self, number: str) -> OrderDetail | None:
        ref = number.strip()
        field = "id" if ref.isdigit() else "reference"
        rows = self.get("orders", display="full", **{f"filter[{field}]": f"[{ref}]"}).get("orders") or []
        if not rows:
            return None
        customer = self.get(f"customers/{rows[0]['id_customer']}").get("customer")
        return self._detail(rows[0], customer)

    def iter_orders(
        self, *, updated_since: datetime | None = None, batch: int = 200
    ) -> Iterator[OrderDetail]:
        params: dict[str, Any] = {"display": "full", "sort": "[id_ASC]"}
        if updated_since is not None:
            since = updated_since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            params |= {"filter[date_upd]": f"[{since},2999-12-31 23:59:59]", "date": "1"}
        offset = 0
        while True:
            rows = self.get("orders", limit=f"{offset},{PAGE}", **params).get("orders") or []
            yield from (self._detail(o) for o in rows)
            if len(rows) < PAGE:
                return
            offset += PAGE

    def _product(self, p: Mapping[str, Any]) -> ProductDetail:
        return ProductDetail(
            external_id=str(p["id"]),
            sku=p.get("reference") or str(p["id"]),
            name=_name(p.get("name")),
            category=str(p.get("id_category_default", "")),
            description=_name(p.get("description_short")),
            price=money(p.get("price")),
            currency="PLN",
            stock=None,
            available=str(p.get("active", "1")) == "1",
            attributes={},
            withdrawal_exception=None,
        )

    def search_products(
        self, query: str, *, category: str | None = None, limit: int = 10
    ) -> list[ProductSummary]:
        rows = self.get(
            "products", display="full", limit=f"0,{min(limit, PAGE)}", **{"filter[name]": f"%[{query}]%"}
        )
        return [
            ProductSummary(
                d.external_id, d.sku, d.name, d.category, d.price, d.currency, d.available, d.stock
            )
            for d in (self._product(p) for p in rows.get("products") or [])
        ]

    def get_product(self, product_id: str) -> ProductDetail | None:
        field = "id" if product_id.isdigit() else "reference"
        rows = (
            self.get("products", display="full", **{f"filter[{field}]": f"[{product_id}]"}).get("products")
            or []
        )
        return self._product(rows[0]) if rows else None

    def iter_products(self) -> Iterator[ProductDetail]:
        offset = 0
        while True:
            rows = self.get("products", display="full", limit=f"{offset},{PAGE}").get("products") or []
            yield from map(self._product, rows)
            if len(rows) < PAGE:
                return
            offset += PAGE

    def customer_threads(self, since: str, after_id: int = 0, limit: int = 200) -> list[ShopThread]:
        """Threads updated at or after ``since`` (``YYYY-MM-DD HH:MM:SS``, shop time), oldest first, without
        those at exactly ``since`` with an id up to ``after_id`` (already read); one page of messages for
        each page of threads."""
        found: list[ShopThread] = []
        offset = 0
        while len(found) < limit:
            threads = (
                self.get(
                    "customer_threads",
                    display="full",
                    date="1",
                    sort="[date_upd_ASC,id_ASC]",
                    limit=f"{offset},{PAGE}",
                    **{"filter[date_upd]": f"[{since},2999-12-31 23:59:59]"},
                ).get("customer_threads")
                or []
            )
            fresh = [t for t in threads if str(t.get("date_upd")) > since or int(t["id"]) > after_id]
            if fresh:
                found += self._with_messages(fresh)
            if len(threads) < PAGE:
                break
            offset += PAGE
        return found[:limit]

    def customer_thread(self, thread_id: str) -> ShopThread | None:
        """One thread with all its messages (None when the shop no longer has it)."""
        rows = self.get("customer_threads", display="full", **{"filter[id]": f"[{thread_id}]"})
        found = self._with_messages(rows.get("customer_threads") or [])
        return found[0] if found else None

    def _with_messages(self, threads: list[dict[str, Any]]) -> list[ShopThread]:
        rows = (
            self.get(
                "customer_messages",
                display="full",
                sort="[id_ASC]",
                **{"filter[id_customer_thread]": "[" + "|".join(str(t["id"]) for t in threads) + "]"},
            ).get("customer_messages")
            or []
        )
        by_thread: dict[str, list[ShopMessage]] = {}
        for m in rows:
            by_thread.setdefault(str(m.get("id_customer_thread")), []).append(
                ShopMessage(
                    external_id=str(m["id"]),
                    sent_at=_at(m.get("date_add")),
                    employee=str(m.get("id_employee") or "0") != "0",
                    private=str(m.get("private") or "0") == "1",
                    text=str(m.get("message") or ""),
                )
            )
        return [
            ShopThread(
                external_id=str(t["id"]),
                email=str(t.get("email") or "").strip().lower(),
                shop_customer_id=str(t["id_customer"]) if str(t.get("id_customer") or "0") != "0" else None,
                order_external_id=str(t["id_order"]) if str(t.get("id_order") or "0") != "0" else None,
                status=str(t.get("status") or ""),
                updated=str(t.get("date_upd") or ""),
                messages=tuple(by_thread.get(str(t["id"]), [])),
            )
            for t in threads
        ]

    # --- writes -------------------------------------------------------------------------------------
    def cancel_order(self, number: str, *, reason: str) -> ActionResult:
        order = self.get_order(number)
        if order is None:
            return ActionResult.refused(
                RefusalCode.ORDER_NOT_FOUND,
                f"Nie znajduję zamówienia {number} w sklepie.",
                f"I cannot find order {number} in the shop.",
            )
        if order.status not in (OrderStatus.NEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID):
            return ActionResult.refused(
                RefusalCode.ALREADY_SHIPPED
                if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
                else RefusalCode.INVALID_STATE,
                "To zamówienie zostało już wysłane lub zamknięte, więc nie można go anulować.",
                "This order has already been sent or closed, so it cannot be cancelled.",
            )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><prestashop><order_history>'
            f"<id_order>{escape(order.external_id)}</id_order><id_order_state>{CANCELLED_STATE}</id_order_state>"
            "</order_history></prestashop>"
        )
        self.api.json(
            "POST",
            "/order_histories",
            params={"output_format": "JSON"},
            content=body.encode(),
            headers={"Content-Type": "application/xml"},
        )
        refreshed = self.get_order(order.external_id) or order
        return ActionResult.done(refreshed, "Zamówienie zostało anulowane.", "The order has been cancelled.")

    def add_employee_message(self, thread_id: str, employee_id: str, text: str) -> str:
        """Append an employee's public answer to a thread (shown in the back office; the Webservice sends
        the customer no e-mail); returns the new ``customer_message`` id."""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><prestashop><customer_message>'
            f"<id_employee>{escape(employee_id)}</id_employee>"
            f"<id_customer_thread>{escape(thread_id)}</id_customer_thread>"
            f"<message>{escape(text)}</message><private>0</private>"
            "</customer_message></prestashop>"
        )
        created = self.api.json(
            "POST",
            "/customer_messages",
            repeatable=False,
            params={"output_format": "JSON"},
            content=body.encode(),
            headers={"Content-Type": "application/xml"},
        )
        try:
            return str(created["customer_message"]["id"])
        except (KeyError, TypeError) as exc:
            problem = ConnectorProblem.BAD_RESPONSE
            raise ConnectorError(problem, "no customer_message id in the answer") from exc

    def change_shipping_address(
        self, number: str, address: Address, *, pickup_point: str | None = None
    ) -> ActionResult:
        return self.unsupported("zmiana adresu", "changing the address")

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
