"""A fake WooCommerce shop (tests, ``sprawa bench commerce``) speaking REST API v3 (``/wp-json/wc/v3``).

Basic auth with the consumer key and secret; ``page``/``per_page`` pagination with ``X-WP-Total``,
``X-WP-TotalPages`` and ``Link``; ``search`` over number and billing e-mail/phone; WooCommerce's error
bodies (``{"code","message","data":{"status"}}``); injectable 429s; signed order webhooks and the
form-encoded ping the shop sends when a webhook is created.
"""

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


def wc_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": {"status": status}}, status_code=status)


def make_order(
    order_id: int,
    *,
    email: str = "anna@example.pl",
    phone: str = "+48500100200",
    status: str = "processing",
    total: str = "149.99",
    tracking: str | None = None,
    modified: str = "2026-05-20T10:00:00",
) -> dict[str, Any]:
    meta = []
    if tracking:
        meta.append(
            {
                "id": 1,
                "key": "_wc_shipment_tracking_items",
                "value": [
                    {
                        "tracking_provider": "InPost",
                        "tracking_number": tracking,
                        "date_shipped": "1779271200",
                        "tracking_id": f"t{order_id}",
                    }
                ],
            }
        )
    return {
        "id": order_id,
        "parent_id": 0,
        "number": str(order_id),
        "order_key": f"wc_order_{order_id}",
        "status": status,
        "currency": "PLN",
        "date_created_gmt": "2026-05-18T08:00:00",
        "date_modified_gmt": modified,
        "date_paid_gmt": "2026-05-18T08:05:00" if status != "pending" else None,
        "total": total,
        "shipping_total": "13.99",
        "customer_id": 7,
        "billing": {
            "first_name": "Anna",
            "last_name": "Kowalska",
            "email": email,
            "phone": phone,
            "address_1": "ul. Lipowa 3",
            "city": "Kraków",
            "postcode": "30-001",
            "country": "PL",
        },
        "shipping": {
            "first_name": "Anna",
            "last_name": "Kowalska",
            "address_1": "ul. Lipowa 3",
            "city": "Kraków",
            "postcode": "30-001",
            "country": "PL",
        },
        "payment_method": "przelewy24",
        "payment_method_title": "Przelewy24",
        "transaction_id": f"P24-{order_id}",
        "customer_note": "",
        "line_items": [
            {
                "id": order_id * 10,
                "name": "Kubek ceramiczny",
                "product_id": 31,
                "variation_id": 0,
                "quantity": 2,
                "sku": "LP-3004",
                "price": 68.0,
                "subtotal": "136.00",
                "total": "136.00",
            }
        ],
        "shipping_lines": [
            {"method_id": "flexible_shipping", "method_title": "Paczkomat InPost", "total": "13.99"}
        ],
        "meta_data": meta,
        "refunds": [],
    }


class FakeWooCommerce:
    def __init__(self, key: str = "ck_test", secret: str = "cs_test", latency: float = 0.0) -> None:  # noqa: S107
        self.key, self.secret = key, secret
        self.latency = latency  # seconds added to every answer: a shop across the internet
        self.orders: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.fail: list[tuple[int, dict[str, str]]] = []
        self.requests: list[str] = []
        self.app = self._build()

    def _build(self) -> FastAPI:
        app = FastAPI()
        base = "/wp-json/wc/v3"

        @app.middleware("http")
        async def gate(request: Request, call_next: Any) -> Response:
            self.requests.append(f"{request.method} {request.url.path}?{request.url.query}")
            if self.latency:
                await asyncio.sleep(self.latency)
            if self.fail:
                status, headers = self.fail.pop(0)
                return JSONResponse(
                    {"code": "too_many_requests", "message": "Slow down.", "data": {"status": status}},
                    status_code=status,
                    headers=headers,
                )
            auth = request.headers.get("Authorization", "")
            expected = "Basic " + base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
            if not hmac.compare_digest(auth, expected):
                return wc_error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
            return await call_next(request)

        @app.get(f"{base}/orders")
        def list_orders(request: Request) -> Response:
            q = request.query_params
            rows = sorted(self.orders.values(), key=lambda o: o["id"], reverse=q.get("order") != "asc")
            if term := q.get("search"):
                t = term.lower()
                rows = [
                    o
                    for o in rows
                    if t in o["number"] or t in o["billing"]["email"].lower() or t in o["billing"]["phone"]
                ]
            if after := q.get("modified_after"):
                rows = [o for o in rows if o["date_modified_gmt"] > after]
            per_page = int(q.get("per_page", 10))
            if per_page > 100:
                return wc_error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
            page = int(q.get("page", 1))
            pages = max(1, -(-len(rows) // per_page))
            chunk = rows[(page - 1) * per_page : page * per_page]
            headers = {"X-WP-Total": str(len(rows)), "X-WP-TotalPages": str(pages)}
            if page < pages:
                headers["Link"] = f'<{request.url.include_query_params(page=page + 1)}>; rel="next"'
            return JSONResponse(chunk, headers=headers)

        @app.get(base + "/orders/{order_id}")
        def get_order(order_id: int) -> Response:
            if order_id not in self.orders:
                return wc_error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            return JSONResponse(self.orders[order_id])

        @app.put(base + "/orders/{order_id}")
        async def put_order(order_id: int, request: Request) -> Response:
            if order_id not in self.orders:
                return wc_error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            order = self.orders[order_id]
            body = await request.json()
            for key, value in body.items():
                order[key] = {**order[key], **value} if isinstance(value, dict) else value
            order["date_modified_gmt"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
            return JSONResponse(order)

        @app.post(base + "/orders/{order_id}/notes")
        async def add_note(order_id: int, request: Request) -> Response:
            note = {"id": len(self.notes.get(order_id, [])) + 1, **(await request.json())}
            self.notes.setdefault(order_id, []).append(note)
            return JSONResponse(note, status_code=201)

        @app.get(f"{base}/products")
        def list_products(request: Request) -> Response:
            q = request.query_params
            rows = list(self.products.values())
            if term := q.get("search"):
                rows = [p for p in rows if term.lower() in p["name"].lower()]
            if sku := q.get("sku"):
                rows = [p for p in rows if p["sku"] == sku]
            return JSONResponse(rows, headers={"X-WP-Total": str(len(rows)), "X-WP-TotalPages": "1"})

        @app.get(base + "/products/{product_id}")
        def get_product(product_id: int) -> Response:
            if product_id not in self.products:
                return wc_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            return JSONResponse(self.products[product_id])

        return app

    def webhook(
        self, order_id: int, secret: str, topic: str = "order.updated"
    ) -> tuple[bytes, dict[str, str]]:
        """Body and headers of the order webhook the shop would deliver now."""
        body = json.dumps(self.orders[order_id]).encode()
        signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        resource, _, event = topic.partition(".")
        return body, {
            "Content-Type": "application/json",
            "X-WC-Webhook-Source": "https://sklep.example.pl/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": signature,
            "X-WC-Webhook-ID": "12",
            "X-WC-Webhook-Delivery-ID": "9f1c",
        }
