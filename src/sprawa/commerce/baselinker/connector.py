"""BaseLinker (now "Base"): ``connector.php`` methods, 100 requests a minute, the journal, package tracking.

Every call is ``POST connector.php`` with ``method`` and ``parameters`` (a JSON string) as form fields and
the token in ``X-BLToken``; errors come back as HTTP 200 with ``"status": "ERROR"``. The order journal
(``getJournalList``) is the change feed: its last log id is the poller's cursor.
"""

import json
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
)
from sprawa.commerce.carriers.links import carrier_code, tracking_url
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import ShipmentState
from sprawa.commerce.remote import ApiClient, ConnectorEnv, RemoteConnector, bucket_for, credentials, money

API_URL = "https://api.baselinker.com"
St = ShipmentState
#: ``tracking_status`` codes of getOrderPackages (verify against the live docs).
TRACKING_STATES = {
    0: St.CREATED,
    1: St.CREATED,
    2: St.IN_TRANSIT,
    3: St.EXCEPTION,
    4: St.OUT_FOR_DELIVERY,
    5: St.DELIVERED,
    6: St.RETURNED,
    7: St.EXCEPTION,
    8: St.READY_FOR_PICKUP,
    9: St.LOST,
    10: St.EXCEPTION,
    11: St.IN_TRANSIT,
}
#: Journal log types that change what a customer sees (order created, status, payment, packages...).
JOURNAL_TYPES = [1, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 18]
AUTH_ERRORS = {"ERROR_BAD_TOKEN", "ERROR_USER_ACCOUNT_BLOCKED", "ERROR_EMPTY_TOKEN"}


class BaseLinker(RemoteConnector):
    kind = "baselinker"

    def __init__(self, env: ConnectorEnv, config: Mapping[str, Any]) -> None:
        token = credentials(env, config, "token")["token"]
        base = str(config.get("base_url") or API_URL).rstrip("/")
        self.api = ApiClient(
            env,
            base,
            headers={"X-BLToken": token},
            bucket=bucket_for(f"baselinker|{base}|{token}", 100, 60, burst=10),
        )
        # Statuses are per account: {"status id": "new"|"paid"|"shipped"...} maps them to ours.
        self.status_map = {str(k): OrderStatus(v) for k, v in (config.get("status_map") or {}).items()}
        self._statuses: dict[str, str] | None = None

    def call(self, method: str, **parameters: Any) -> dict[str, Any]:
        response = self.api.request(
            "POST", "/connector.php", data={"method": method, "parameters": json.dumps(parameters)}
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise ConnectorError(ConnectorProblem.BAD_RESPONSE, "the answer is not JSON") from exc
        if body.get("status") != "SUCCESS":
            code = str(body.get("error_code", ""))
            detail = f"{code}: {body.get('error_message', '')}"
            if code in AUTH_ERRORS:
                raise ConnectorError(ConnectorProblem.BAD_CREDENTIALS, detail)
            if "LIMIT" in code:
                raise ConnectorError(ConnectorProblem.RATE_LIMITED, detail, retry_after=60)
            raise ConnectorError(ConnectorProblem.BAD_RESPONSE, detail)
        return body

    def statuses(self) -> dict[str, str]:
        if self._statuses is None:
            self._statuses = {str(s["id"]): s["name"] for s in self.call("getOrderStatusList")["statuses"]}
        return self._statuses

    def _status(self, o: Mapping[str, Any], packages: list[ShipmentInfo]) -> OrderStatus:
        mapped = self.status_map.get(str(o.get("order_status_id")))
        if mapped:
            return mapped
        if any(p.state == St.DELIVERED for p in packages):
            return OrderStatus.DELIVERED
        if packages and any(p.state != St.CREATED for p in packages):
            return OrderStatus.SHIPPED
        if packages:
            return OrderStatus.PACKED
        return OrderStatus.PAID if o.get("payment_done") else OrderStatus.NEW

    def packages(self, order_id: str) -> list[ShipmentInfo]:
        found = []
        for p in self.call("getOrderPackages", order_id=int(order_id)).get("packages") or []:
            carrier = carrier_code(p.get("courier_code") or p.get("courier_other_name"))
            number = p.get("courier_package_nr") or None
            state = TRACKING_STATES.get(int(p.get("tracking_status") or 0), St.IN_TRANSIT)
            changed = (
                datetime.fromtimestamp(int(p["tracking_status_date"]), UTC)
                if p.get("tracking_status_date")
                else None
            )
            found.append(
                ShipmentInfo(
                    external_id=str(p["package_id"]),
                    order_external_id=str(order_id),
                    carrier=carrier,
                    service="courier",
                    tracking_number=number,
                    tracking_url=p.get("tracking_url") or tracking_url(carrier, number),
                    state=state,
                    carrier_status=str(p.get("tracking_status")),
                    pickup_point=None,
                    pickup_deadline=None,
                    estimated_delivery=None,
                    shipped_at=None,
                    delivered_at=changed if state == St.DELIVERED else None,
                )
            )
        return found

    def _detail(self, o: Mapping[str, Any]) -> OrderDetail:
        # Only orders with a label have packages: one call less per order (100 calls a minute in all).
        packages = self.packages(str(o["order_id"])) if o.get("delivery_package_nr") else []
        status = self._status(o, packages)
        placed = datetime.fromtimestamp(int(o.get("date_add") or 0), UTC)
        products = o.get("products") or []
        total = sum((money(p.get("price_brutto")) * int(p.get("quantity") or 0) for p in products), money(0))
        total += money(o.get("delivery_price"))
        address = Address(
            name=o.get("delivery_fullname") or "",
            company=o.get("delivery_company") or None,
            street=o.get("delivery_address") or "",
            postcode=o.get("delivery_postcode") or "",
            city=o.get("delivery_city") or "",
            country=o.get("delivery_country_code") or "PL",
            phone=o.get("phone") or None,
        )
        email = (o.get("email") or "").lower() or None
        return OrderDetail(
            external_id=str(o["order_id"]),
            number=str(o.get("shop_order_id") or o.get("external_order_id") or o["order_id"]),
            status=status,
            payment_status=PaymentStatus.PAID if o.get("payment_done") else PaymentStatus.UNPAID,
            payment_method=None,
            subtotal=total - money(o.get("delivery_price")),
            shipping_cost=money(o.get("delivery_price")),
            total=total,
            currency=o.get("currency") or "PLN",
            placed_at=placed,
            updated_at=placed,
            customer=ShopCustomer(
                external_id=o.get("user_login") or f"email:{email}",
                name=address.name,
                email=email,
                phone=o.get("phone") or None,
                address=address,
            ),
            shipping_method=o.get("delivery_method") or "",
            shipping_address=address,
            pickup_point=o.get("delivery_point_id") or None,
            delivered_at=next((p.delivered_at for p in packages if p.delivered_at), None),
            cancel_reason=None,
            items=tuple(
                OrderLine(
                    external_id=str(p.get("order_product_id")),
                    product_external_id=str(p.get("product_id") or "") or None,
                    variant_external_id=str(p.get("variant_id") or "") or None,
                    sku=p.get("sku") or None,
                    name=p.get("name") or "",
                    quantity=int(p.get("quantity") or 0),
                    unit_price=money(p.get("price_brutto")),
                )
                for p in products
            ),
            payments=(),
            shipments=tuple(packages),
            note=o.get("user_comments") or None,
            external_status=self.statuses().get(str(o.get("order_status_id")), str(o.get("order_status_id"))),
        )

    # --- reads --------------------------------------------------------------------------------------
    def find_orders(
        self, *, email: str | None = None, phone: str | None = None, limit: int = 20
    ) -> list[OrderSummary]:
        if not email:
            return []  # getOrders filters by e-mail only
        rows = self.call("getOrders", filter_email=email.strip().lower(), get_unconfirmed_orders=True)[
            "orders"
        ]
        rows = sorted(rows, key=lambda o: -int(o.get("date_add") or 0))[:limit]
        return [self._detail(o).summary() for o in rows]

    def get_order(self, number: str) -> OrderDetail | None:
        ref = number.strip()
        if not ref.isdigit():
            return None
        rows = self.call("getOrders", order_id=int(ref), get_unconfirmed_orders=True)["orders"]
        return self._detail(rows[0]) if rows else None

    def iter_orders(
        self, *, updated_since: datetime | None = None, batch: int = 200
    ) -> Iterator[OrderDetail]:
        """All confirmed orders, 100 per call, paged by ``date_confirmed_from = last + 1``."""
        since = int(updated_since.timestamp()) if updated_since else 0
        while True:
            rows = self.call("getOrders", date_confirmed_from=since)["orders"]
            yield from (self._detail(o) for o in rows)
            if len(rows) < 100:
                return
            since = int(rows[-1]["date_confirmed"]) + 1

    def journal(self, last_log_id: int) -> tuple[list[str], int]:
        """Order ids changed after ``last_log_id`` and the new cursor."""
        logs = self.call("getJournalList", last_log_id=last_log_id, logs_types=JOURNAL_TYPES)["logs"]
        ids = list(dict.fromkeys(str(log["order_id"]) for log in logs))
        return ids, max([last_log_id, *(int(log["log_id"]) for log in logs)])

    def search_products(
        self, query: str, *, category: str | None = None, limit: int = 10
    ) -> list[ProductSummary]:
        return []  # the catalogue lives in the shop platforms behind BaseLinker

    def get_product(self, product_id: str) -> ProductDetail | None:
        return None

    def iter_products(self) -> Iterator[ProductDetail]:
        return iter(())

    def track_shipment(self, tracking_number: str) -> ShipmentInfo | None:
        return None

    # --- writes -------------------------------------------------------------------------------------
    def add_order_note(self, number: str, note: str) -> None:
        self.call("setOrderFields", order_id=int(number), admin_comments=note)

    def cancel_order(self, number: str, *, reason: str) -> ActionResult:
        order = self.get_order(number)
        if order is None:
            return ActionResult.refused(
                RefusalCode.ORDER_NOT_FOUND,
                f"Nie znajduję zamówienia {number}.",
                f"I cannot find order {number}.",
            )
        target = next((k for k, v in self.status_map.items() if v == OrderStatus.CANCELLED), None)
        if (
            order.status not in (OrderStatus.NEW, OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID)
            or target is None
        ):
            return ActionResult.refused(
                RefusalCode.ALREADY_SHIPPED if order.shipments else RefusalCode.INVALID_STATE,
                "Tego zamówienia nie można już anulować w systemie sklepu.",
                "This order can no longer be cancelled in the shop's system.",
            )
        self.call("setOrderStatus", order_id=int(order.external_id), status_id=int(target))
        self.call("setOrderFields", order_id=int(order.external_id), admin_comments=f"Anulowano: {reason}")
        refreshed = self.get_order(order.external_id) or order
        return ActionResult.done(refreshed, "Zamówienie zostało anulowane.", "The order has been cancelled.")

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
