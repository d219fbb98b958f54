"""A fake BaseLinker ``connector.php``: form fields ``method`` + ``parameters`` (JSON), ``X-BLToken``,
``"status": "ERROR"`` bodies with error codes, 100 orders per getOrders page, the order journal, packages
with tracking status codes, and the 100-requests-a-minute limit (``ERROR_REQUEST_LIMIT_EXCEEDED``)."""

import json
from typing import Any

from fastapi import FastAPI, Form, Request


def make_order(
    order_id: int, *, email: str = "anna@example.pl", confirmed: int = 0, paid: bool = True
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "shop_order_id": 0,
        "external_order_id": "",
        "order_source": "shop",
        "order_status_id": 1001,
        "date_add": 1779000000 + order_id,
        "date_confirmed": confirmed or 1779000000 + order_id,
        "email": email,
        "phone": "500100200",
        "user_login": "",
        "user_comments": "",
        "admin_comments": "",
        "currency": "PLN",
        "payment_method": "Przelewy24",
        "payment_done": 149.0 if paid else 0,
        "delivery_method": "InPost Paczkomaty",
        "delivery_price": 13.99,
        "delivery_fullname": "Anna Kowalska",
        "delivery_company": "",
        "delivery_address": "ul. Lipowa 3",
        "delivery_city": "Kraków",
        "delivery_postcode": "30-001",
        "delivery_country_code": "PL",
        "delivery_point_id": "KRA01M",
        "delivery_package_module": "inpost",
        "delivery_package_nr": "",
        "products": [
            {
                "order_product_id": order_id * 10,
                "product_id": "31",
                "variant_id": "0",
                "name": "Kubek ceramiczny",
                "sku": "LP-3004",
                "ean": "",
                "price_brutto": 68.0,
                "tax_rate": 23,
                "quantity": 2,
            }
        ],
    }


class FakeBaseLinker:
    def __init__(self, token: str = "3001-12345-ABCDEFGHIJ", limit_per_minute: int = 100) -> None:  # noqa: S107
        self.token = token
        self.limit = limit_per_minute
        self.calls: list[str] = []
        self.orders: dict[int, dict[str, Any]] = {}
        self.packages: dict[int, list[dict[str, Any]]] = {}
        self.journal: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.post("/connector.php")(self.connector)

    def error(self, code: str, message: str) -> dict[str, Any]:
        return {"status": "ERROR", "error_code": code, "error_message": message}

    def connector(
        self, request: Request, method: str = Form(...), parameters: str = Form("{}")
    ) -> dict[str, Any]:
        if request.headers.get("X-BLToken") != self.token:
            return self.error("ERROR_BAD_TOKEN", "Invalid user token")
        self.calls.append(method)
        if len(self.calls) > self.limit:
            return self.error("ERROR_REQUEST_LIMIT_EXCEEDED", "Query limit exceeded")
        params = json.loads(parameters)
        handler = getattr(self, method, None)
        if handler is None:
            return self.error("ERROR_UNKNOWN_METHOD", "An unknown method has been used")
        return {"status": "SUCCESS", **handler(params)}

    def getOrders(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802 - the API's method names
        rows = sorted(self.orders.values(), key=lambda o: o["date_confirmed"])
        if "order_id" in p:
            rows = [o for o in rows if o["order_id"] == p["order_id"]]
        if "filter_email" in p:
            rows = [o for o in rows if o["email"] == p["filter_email"]]
        if "date_confirmed_from" in p:
            rows = [o for o in rows if o["date_confirmed"] >= p["date_confirmed_from"]]
        return {"orders": rows[:100]}

    def getOrderPackages(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"packages": self.packages.get(p["order_id"], [])}

    def getOrderStatusList(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {
            "statuses": [
                {"id": 1001, "name": "Nowe", "name_for_customer": "Przyjęte", "color": "#5e5e5e"},
                {"id": 1002, "name": "Anulowane", "name_for_customer": "Anulowane", "color": "#ff0000"},
            ]
        }

    def getJournalList(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"logs": [log for log in self.journal if log["log_id"] > p["last_log_id"]][:100]}

    def setOrderStatus(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self.orders[p["order_id"]]["order_status_id"] = p["status_id"]
        return {}

    def setOrderFields(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self.orders[p["order_id"]].update({k: v for k, v in p.items() if k != "order_id"})
        return {}
