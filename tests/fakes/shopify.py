"""A fake Shopify store speaking the Admin GraphQL API (operations dispatched by name) with its real shapes.

``X-Shopify-Access-Token`` auth (401 with Shopify's error string), cursor pagination (``pageInfo``),
``extensions.cost`` on every answer and ``THROTTLED`` errors when the leaky bucket is short of points,
orderCancel/orderUpdate mutations with user errors, and signed webhooks (privacy topics included).
"""

import base64
import hashlib
import hmac
import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

VERSION = "2025-07"


def make_order(
    n: int,
    *,
    email: str = "anna@example.pl",
    fulfilled: bool = False,
    cancelled: bool = False,
    tracking: str | None = None,
) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/Order/{5000 + n}",
        "name": f"#{1000 + n}",
        "email": email,
        "phone": "+48500100200",
        "createdAt": "2026-05-18T08:00:00Z",
        "updatedAt": f"2026-05-19T08:{n % 60:02d}:00Z",
        "cancelledAt": "2026-05-19T09:00:00Z" if cancelled else None,
        "cancelReason": "CUSTOMER" if cancelled else None,
        "note": None,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "FULFILLED" if fulfilled else "UNFULFILLED",
        "totalPriceSet": {"shopMoney": {"amount": "219.00", "currencyCode": "PLN"}},
        "subtotalPriceSet": {"shopMoney": {"amount": "205.01"}},
        "totalShippingPriceSet": {"shopMoney": {"amount": "13.99"}},
        "customer": {
            "id": "gid://shopify/Customer/77",
            "displayName": "Anna Kowalska",
            "email": email,
            "phone": "+48500100200",
        },
        "shippingAddress": {
            "name": "Anna Kowalska",
            "company": None,
            "address1": "ul. Lipowa 3",
            "address2": "",
            "zip": "30-001",
            "city": "Kraków",
            "provinceCode": None,
            "countryCodeV2": "PL",
            "phone": None,
        },
        "shippingLine": {"title": "Paczkomat InPost"},
        "lineItems": {
            "nodes": [
                {
                    "id": f"gid://shopify/LineItem/{n}1",
                    "name": "Kawa ziarnista 1 kg",
                    "sku": "LP-7001",
                    "quantity": 1,
                    "originalUnitPriceSet": {"shopMoney": {"amount": "89.00"}},
                    "variant": {"id": "gid://shopify/ProductVariant/71"},
                    "product": {"id": "gid://shopify/Product/7"},
                }
            ]
        },
        "fulfillments": [
            {
                "status": "SUCCESS",
                "createdAt": "2026-05-19T10:00:00Z",
                "trackingInfo": [{"company": "InPost", "number": tracking, "url": None}],
            }
        ]
        if fulfilled
        else [],
    }


class FakeShopify:
    def __init__(self, token: str = "shpat_test", bucket: int = 1000, restore: int = 50) -> None:  # noqa: S107
        self.token = token
        self.orders: list[dict[str, Any]] = []
        self.maximum, self.available, self.restore = bucket, bucket, restore
        self.throttle_next = 0
        self.operations: list[str] = []
        self.app = FastAPI()
        self.app.post(f"/admin/api/{VERSION}/graphql.json")(self.graphql)

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": {
                    "maximumAvailable": float(self.maximum),
                    "currentlyAvailable": self.available,
                    "restoreRate": float(self.restore),
                },
            }
        }

    async def graphql(self, request: Request) -> JSONResponse:
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            return JSONResponse(
                {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
                status_code=401,
            )
        body = await request.json()
        query, variables = body["query"], body.get("variables") or {}
        operation = re.match(r"\s*(query|mutation)\s+(\w+)", query).group(2)
        self.operations.append(operation)
        requested = 2 + 10 * int(variables.get("first", 1))
        if self.throttle_next:
            self.throttle_next -= 1
            self.available = min(self.available, requested - 100)
            return JSONResponse(
                {
                    "errors": [
                        {
                            "message": "Throttled",
                            "extensions": {
                                "code": "THROTTLED",
                                "documentation": "https://shopify.dev/api/usage/rate-limits",
                            },
                        }
                    ],
                    "extensions": self._cost(requested, None),
                }
            )
        self.available = self.maximum
        data = getattr(self, f"op_{operation}")(variables)
        return JSONResponse({"data": data, "extensions": self._cost(requested, requested // 2)})

    def _match(self, order: dict[str, Any], query: str) -> bool:
        for term, value in re.findall(r'(\w+):"?((?:[^"\\]|\\.)*)"?', query):
            value = value.replace('\\"', '"')
            if term == "email" and order["email"] != value:
                return False
            if term == "name" and order["name"] != value:
                return False
            if term == "id" and order["id"].rsplit("/", 1)[-1] != value:
                return False
        return True

    def op_Orders(self, v: dict[str, Any]) -> dict[str, Any]:
        rows = [o for o in self.orders if self._match(o, v.get("query") or "")]
        start = int(v["after"]) if v.get("after") else 0
        chunk = rows[start : start + v["first"]]
        more = start + v["first"] < len(rows)
        return {
            "orders": {
                "pageInfo": {"hasNextPage": more, "endCursor": str(start + v["first"]) if more else None},
                "nodes": chunk,
            }
        }

    def op_OrderCancel(self, v: dict[str, Any]) -> dict[str, Any]:
        order = next(o for o in self.orders if o["id"] == v["orderId"])
        if order["displayFulfillmentStatus"] == "FULFILLED":
            return {
                "orderCancel": {
                    "job": None,
                    "orderCancelUserErrors": [
                        {
                            "field": ["orderId"],
                            "message": "Cannot cancel a fulfilled order",
                            "code": "INVALID",
                        }
                    ],
                }
            }
        order["cancelledAt"] = "2026-05-20T10:00:00Z"
        return {"orderCancel": {"job": {"id": "gid://shopify/Job/1"}, "orderCancelUserErrors": []}}

    def webhook(
        self, topic: str, payload: dict[str, Any], secret: str, webhook_id: str
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload).encode()
        digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        return body, {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-Shop-Domain": "lesna-polana.myshopify.com",
            "X-Shopify-API-Version": VERSION,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Triggered-At": "2026-05-20T10:00:00Z",
        }
