"""Allegro orders: checkout forms, the order events journal, shipments with tracking, customer returns.

Allegro has no webhooks for orders: ``GET /order/events`` is the journal and its last event id the cursor.
The access token comes from the Allegro OAuth connection; with a refresh token and the app's client id and
secret stored beside it, an expired or refused (401) token is renewed (``tokens.AllegroTokens``) and the
request retried once.
"""

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sprawa.commerce.allegro.tokens import AllegroTokens, expired
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
from sprawa.commerce.carriers.allegro import track
from sprawa.commerce.remote import ApiClient, ConnectorEnv, RemoteConnector, bucket_for, credentials, money

API_URL = "https://api.allegro.pl"
MEDIA = "application/vnd.allegro.public.v1+json"
BETA = "application/vnd.allegro.beta.v1+json"
PAGE = 100
FULFILMENT = {
    "NEW": OrderStatus.PAID,
    "PROCESSING": OrderStatus.PAID,
    "READY_FOR_SHIPMENT": OrderStatus.PACKED,
    "READY_FOR_PICKUP": OrderStatus.PACKED,
    "SENT": OrderStatus.SHIPPED,
    "PICKED_UP": OrderStatus.DELIVERED,
    "CANCELLED": OrderStatus.CANCELLED,
    "SUSPENDED": OrderStatus.AWAITING_PAYMENT,
}
PAYMENT_TYPES = {
    "CASH_ON_DELIVERY": PaymentMethodKind.CASH_ON_DELIVERY,
    "ONLINE": PaymentMethodKind.BANK_TRANSFER,
}


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


class AllegroOrders(RemoteConnector):
    kind = "allegro"

    def __init__(
        self, env: ConnectorEnv, config: Mapping[str, Any], tokens: AllegroTokens | None = None
    ) -> None:
        creds = credentials(env, config, "access_token")
        self.token = creds["access_token"]
        base = str(config.get("base_url") or API_URL).rstrip("/")
        self.tokens = tokens if tokens is not None and creds.get("refresh_token") else None
        self.api = ApiClient(
            env,
            base,
            headers={"Authorization": f"Bearer {self.token}", "Accept": MEDIA},
            bucket=bucket_for(f"allegro|{base}", 9000, 60, burst=50),
            reauth=self._renew if self.tokens else None,
            reauth_first=expired(creds),
        )

    def _renew(self) -> dict[str, str]:
        assert self.tokens is not None
        self.token = self.tokens.refresh(self.token)
        return {"Authorization": f"Bearer {self.token}"}

    def _detail(self, f: Mapping[str, Any], with_shipments: bool = True) -> OrderDetail:
        fulfilment = (f.get("fulfillment") or {}).get("status") or "NEW"
        if f.get("status") == "CANCELLED":
            status = OrderStatus.CANCELLED
        elif f.get("status") in ("BOUGHT", "FILLED_IN"):
            status = OrderStatus.AWAITING_PAYMENT
        else:
            status = FULFILMENT.get(fulfilment, OrderStatus.PAID)
        payment = f.get("payment") or {}
        method = PAYMENT_TYPES.get(payment.get("type") or "")
        paid = money((payment.get("paidAmount") or {}).get("amount"))
        if method == PaymentMethodKind.CASH_ON_DELIVERY:
            payment_status = PaymentStatus.CASH_ON_DELIVERY
        else:
            payment_status = PaymentStatus.PAID if payment.get("finishedAt") else PaymentStatus.UNPAID
        buyer = f.get("buyer") or {}
        delivery = f.get("delivery") or {}
        addr = delivery.get("address") or {}
        address = Address(
            name=f"{addr.get('firstName', '')} {addr.get('lastName', '')}".strip(),
            company=addr.get("companyName"),
            street=addr.get("street") or "",
            postcode=addr.get("zipCode") or "",
            city=addr.get("city") or "",
            country=addr.get("countryCode") or "PL",
            phone=addr.get("phoneNumber"),
        )
        returns = self.returns(f["id"]) if with_shipments else []
        if returns and status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            status = OrderStatus.RETURN_REQUESTED
        placed = (
            min(
                (_at(li.get("boughtAt")) for li in f.get("lineItems") or [] if li.get("boughtAt")),
                default=None,
            )
            or _at(f.get("updatedAt"))
            or datetime.now(UTC)
        )
        total = money(((f.get("summary") or {}).get("totalToPay") or {}).get("amount"))
        shipping = money((delivery.get("cost") or {}).get("amount"))
        return OrderDetail(
            external_id=f["id"],
            number=f["id"],
            status=status,
            payment_status=payment_status,
            payment_method=method,
            subtotal=total - shipping,
            shipping_cost=shipping,
            total=total,
            currency=((f.get("summary") or {}).get("totalToPay") or {}).get("currency") or "PLN",
            placed_at=placed,
            updated_at=_at(f.get("updatedAt")) or placed,
            customer=ShopCustomer(
                external_id=str(buyer.get("id", "")),
                name=f"{buyer.get('firstName', '')} {buyer.get('lastName', '')}".strip()
                or buyer.get("login", ""),
                email=(buyer.get("email") or "").lower() or None,
                phone=buyer.get("phoneNumber"),
                address=address,
            ),
            shipping_method=(delivery.get("method") or {}).get("name") or "",
            shipping_address=address,
            pickup_point=(delivery.get("pickupPoint") or {}).get("id"),
            delivered_at=None,
            cancel_reason=None,
            items=tuple(
                OrderLine(
                    external_id=li["id"],
                    product_external_id=(li.get("offer") or {}).get("id"),
                    variant_external_id=None,
                    sku=((li.get("offer") or {}).get("external") or {}).get("id"),
                    name=(li.get("offer") or {}).get("name") or "",
                    quantity=int(li.get("quantity") or 0),
                    unit_price=money((li.get("price") or {}).get("amount")),
                )
                for li in f.get("lineItems") or []
            ),
            payments=(
                PaymentInfo(
                    payment["id"],
                    PaymentKind.PAYMENT,
                    method or PaymentMethodKind.BANK_TRANSFER,
                    paid,
                    "completed",
                    _at(payment["finishedAt"]) or placed,
                ),
            )
            if payment.get("finishedAt") and payment.get("id")
            else (),
            shipments=tuple(self.shipments(f["id"])) if with_shipments else (),
            note=f.get("messageToSeller"),
            external_status=f"{f.get('status')}/{fulfilment}",
        )

    def shipments(self, form_id: str) -> Iterator[ShipmentInfo]:
        for s in (self.api.json("GET", f"/order/checkout-forms/{form_id}/shipments") or {}).get(
            "shipments"
        ) or []:
            info = track(self.api, s["carrierId"], s["waybill"], form_id)
            if info is not None:
                yield info

    def returns(self, form_id: str) -> list[dict[str, Any]]:
        data = (
            self.api.json(
                "GET", "/order/customer-returns", params={"orderId": form_id}, headers={"Accept": BETA}
            )
            or {}
        )
        return data.get("customerReturns") or []

    def returns_since(self, since: datetime) -> Iterator[dict[str, Any]]:
        """Every customer return created since ``since`` (``GET /order/customer-returns``, beta, paged)."""
        offset = 0
        while True:
            page = (
                self.api.json(
                    "GET",
                    "/order/customer-returns",
                    params={
                        "createdAt.gte": since.astimezone(UTC).isoformat(),
                        "limit": PAGE,
                        "offset": offset,
                    },
                    headers={"Accept": BETA},
                )
                or {}
            )
            found = page.get("customerReturns") or []
            yield from found
            offset += len(found)
            if len(found) < PAGE:
                return

    def _forms(self, **params: Any) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = (
                self.api.json(
                    "GET", "/order/checkout-forms", params={"limit": PAGE, "offset": offset, **params}
                )
                or {}
            )
            forms = page.get("checkoutForms") or []
            yield from forms
            offset += len(forms)
            if not forms or offset >= int(page.get("totalCount", 0)):
                return

    def find_orders(
        self, *, email: str | None = None, phone: str | None = None, limit: int = 20
    ) -> list[OrderSummary]:
        """Allegro filters by buyer login only: recent forms are matched on the buyer's e-mail or phone."""
        found = []
        for f in self._forms(sort="-lineItems.boughtAt"):
            buyer = f.get("buyer") or {}
            if (email and (buyer.get("email") or "").lower() == email.strip().lower()) or (
                phone and (buyer.get("phoneNumber") or "").replace(" ", "").endswith(phone.strip()[-9:])
            ):
                found.append(self._detail(f, with_shipments=False).summary())
            if len(found) >= limit:
                break
        return found

    def get_order(self, number: str) -> OrderDetail | None:
        form = self.api.json("GET", f"/order/checkout-forms/{number.strip()}")
        return self._detail(form) if form else None

    def iter_orders(
        self, *, updated_since: datetime | None = None, batch: int = 200
    ) -> Iterator[OrderDetail]:
        params = {"updatedAt.gte": updated_since.astimezone(UTC).isoformat()} if updated_since else {}
        for f in self._forms(**params):
            yield self._detail(f)

    def journal(self, last_event_id: str | None) -> tuple[list[str], str | None]:
        """Checkout forms changed after ``last_event_id`` and the new cursor (starts at the latest event)."""
        if not last_event_id:
            stats = self.api.json("GET", "/order/event-stats") or {}
            return [], (stats.get("latestEvent") or {}).get("id")
        events = (
            self.api.json("GET", "/order/events", params={"from": last_event_id, "limit": 1000}) or {}
        ).get("events") or []
        ids = list(dict.fromkeys(e["order"]["checkoutForm"]["id"] for e in events))
        return ids, events[-1]["id"] if events else last_event_id

    def search_products(
        self, query: str, *, category: str | None = None, limit: int = 10
    ) -> list[ProductSummary]:
        return []  # offers are not products of the shop's catalogue

    def get_product(self, product_id: str) -> ProductDetail | None:
        return None

    def iter_products(self) -> Iterator[ProductDetail]:
        return iter(())

    def cancel_order(self, number: str, *, reason: str) -> ActionResult:
        form = self.api.json("GET", f"/order/checkout-forms/{number.strip()}")
        if not form:
            return ActionResult.refused(
                RefusalCode.ORDER_NOT_FOUND,
                f"Nie znajduję zamówienia {number}.",
                f"I cannot find order {number}.",
            )
        if (form.get("fulfillment") or {}).get("status") not in ("NEW", "PROCESSING"):
            return ActionResult.refused(
                RefusalCode.ALREADY_SHIPPED,
                "Zamówienie jest już w wysyłce, więc nie można go anulować.",
                "The order is already being shipped, so it cannot be cancelled.",
            )
        self.api.json(
            "PUT",
            f"/order/checkout-forms/{form['id']}/fulfillment",
            params={"checkoutForm.revision": form.get("revision", "")},
            json={"status": "CANCELLED"},
            headers={"Content-Type": MEDIA},
        )
        detail = self.get_order(form["id"])
        assert detail is not None
        return ActionResult.done(detail, "Zamówienie zostało anulowane.", "The order has been cancelled.")

    def change_shipping_address(
        self, number: str, address: Address, *, pickup_point: str | None = None
    ) -> ActionResult:
        return self.unsupported(
            "zmiana adresu w zamówieniu Allegro", "changing the address of an Allegro order"
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
        return self.unsupported("zwrot zgłasza kupujący na Allegro", "the buyer starts returns on Allegro")
