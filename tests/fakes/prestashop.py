"""A fake PrestaShop Webservice (``/api/...``): key as the Basic-auth user, ``output_format=JSON``, the
filter syntax (``[a|b]``, ``[a,b]`` intervals, ``%[x]%``), ``sort=[field_ASC,field_DESC]``,
``limit=offset,count``, ``[]`` for an empty list, PrestaShop's error bodies, and XML bodies for writes
(``order_histories`` changes an order's state; ``customer_messages`` adds a message to a thread, answered
201 with the new row, or 400 with PrestaShop's validation error). ``customer_threads`` and
``customer_messages`` carry the fields the Webservice returns for them (see :func:`thread` and
:func:`message`)."""

import base64
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses what our own connector sends
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

SINGULAR = {"orders": "order", "customers": "customer", "carriers": "carrier", "products": "product"}


def ps_error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"code": code, "message": message}]}, status_code=status)


def _matches(row: dict[str, Any], field: str, expr: str) -> bool:
    value = str(row.get(field, ""))
    if m := re.fullmatch(r"%\[(.*)\]%", expr):
        return m.group(1).lower() in value.lower()
    inner = expr.strip("[]")
    if "," in inner:
        low, high = inner.split(",", 1)
        return low <= value <= high
    return value in inner.split("|")


def _sort_key(value: Any) -> tuple[int, Any]:
    text = str(value if value is not None else "")
    return (0, int(text)) if text.isdigit() else (1, text)


class FakePrestaShop:
    def __init__(self, key: str = "PSKEY1234567890ABCDEFGHIJKLMNOPQ") -> None:
        self.key = key
        self.data: dict[str, list[dict[str, Any]]] = {
            "orders": [],
            "customers": [],
            "order_carriers": [],
            "carriers": [],
            "order_states": [],
            "products": [],
            "customer_threads": [],
            "customer_messages": [],
        }
        self.requests: list[str] = []
        self.app = FastAPI()
        self.app.get("/api/{resource}")(self.list)
        self.app.get("/api/{resource}/{item_id}")(self.one)
        self.app.post("/api/order_histories")(self.add_history)
        self.app.post("/api/customer_messages")(self.add_message)

    def _auth(self, request: Request) -> JSONResponse | None:
        header = request.headers.get("Authorization", "")
        if not header:
            return ps_error(401, 25, "Authentication key is empty")
        user = base64.b64decode(header.removeprefix("Basic ")).decode().split(":")[0]
        if user != self.key:
            return ps_error(401, 22, "Invalid authentication key")
        return None

    def list(self, resource: str, request: Request) -> Any:
        self.requests.append(str(request.url.query))
        if denied := self._auth(request):
            return denied
        if resource not in self.data:
            return ps_error(400, 18, f'Resource "{resource}" does not exists.')
        rows = self.data[resource]
        for key, expr in request.query_params.items():
            if m := re.fullmatch(r"filter\[(\w+)\]", key):
                rows = [r for r in rows if _matches(r, m.group(1), expr)]
        if sort := request.query_params.get("sort"):
            for field, direction in reversed([k.rsplit("_", 1) for k in sort.strip("[]").split(",")]):
                rows = sorted(rows, key=lambda r, f=field: _sort_key(r.get(f)), reverse=direction == "DESC")
        if limit := request.query_params.get("limit"):
            offset, count = (int(x) for x in limit.split(",")) if "," in limit else (0, int(limit))
            rows = rows[offset : offset + count]
        return JSONResponse({resource: rows} if rows else [])

    def one(self, resource: str, item_id: str, request: Request) -> Any:
        if denied := self._auth(request):
            return denied
        row = next((r for r in self.data.get(resource, []) if str(r["id"]) == item_id), None)
        if row is None:
            return ps_error(404, 87, f'Resource of type "{resource}" not found')
        return {SINGULAR.get(resource, resource): row}

    async def add_history(self, request: Request) -> Any:
        if denied := self._auth(request):
            return denied
        root = ET.fromstring(await request.body())  # noqa: S314 - test fake
        order_id = root.findtext("order_history/id_order")
        state = root.findtext("order_history/id_order_state")
        order = next(o for o in self.data["orders"] if str(o["id"]) == order_id)
        order["current_state"] = state
        return JSONResponse(
            {"order_history": {"id": 1, "id_order": order_id, "id_order_state": state}}, status_code=201
        )

    async def add_message(self, request: Request) -> Any:
        """``POST /api/customer_messages``: the XML ``<prestashop><customer_message>`` body of a write."""
        if denied := self._auth(request):
            return denied
        row = ET.fromstring(await request.body()).find("customer_message")  # noqa: S314 - test fake
        fields = {child.tag: (child.text or "") for child in (row if row is not None else [])}
        thread_id = fields.get("id_customer_thread", "")
        for name in ("id_customer_thread", "message"):
            if not fields.get(name, "").strip():
                return ps_error(400, 85, f'Validation error: "Property CustomerMessage->{name} is empty"')
        now = datetime.now(ZoneInfo("Europe/Warsaw")).strftime("%Y-%m-%d %H:%M:%S")  # the shop's time
        created = message(
            max((int(m["id"]) for m in self.data["customer_messages"]), default=0) + 1,
            int(thread_id),
            fields["message"],
            now,
            employee=int(fields.get("id_employee") or 0),
            private=int(fields.get("private") or 0),
        )
        self.data["customer_messages"].append(created)
        for t in self.data["customer_threads"]:
            if str(t["id"]) == thread_id:
                t["date_upd"] = now
        return JSONResponse({"customer_message": created}, status_code=201)


def employee_messages(fake: FakePrestaShop, thread_id: int) -> list[dict[str, Any]]:
    """The employees' messages of one thread, as the shop stores them."""
    return [
        m
        for m in fake.data["customer_messages"]
        if m["id_customer_thread"] == str(thread_id) and m["id_employee"] != "0"
    ]


def seed(fake: FakePrestaShop, orders: int = 60) -> None:
    fake.data["customers"] = [
        {"id": 1, "firstname": "Anna", "lastname": "Kowalska", "email": "anna@example.pl"},
        {"id": 2, "firstname": "Jan", "lastname": "Nowak", "email": "jan@example.pl"},
    ]
    fake.data["order_states"] = [
        {"id": i, "name": [{"id": "1", "value": name}]}
        for i, name in (
            (2, "Płatność zaakceptowana"),
            (4, "Wysłane"),
            (5, "Dostarczone"),
            (6, "Anulowane"),
            (12, "Kompletowanie"),
        )
    ]
    fake.data["carriers"] = [{"id": 3, "name": "InPost Paczkomaty 24/7"}]
    for i in range(1, orders + 1):
        fake.data["orders"].append(
            {
                "id": i,
                "reference": f"XKBKNABJK{i:03d}"[-9:],
                "id_customer": 1 + i % 2,
                "id_carrier": 3,
                "current_state": "4" if i == 1 else "2",
                "payment": "Przelewy24",
                "module": "przelewy24",
                "total_paid": "129.00",
                "total_paid_real": "129.00",
                "total_shipping": "13.99",
                "total_products_wt": "115.01",
                "date_add": f"2026-05-{1 + i % 28:02d} 10:00:00",
                "date_upd": f"2026-05-{1 + i % 28:02d} 12:00:00",
                "associations": {
                    "order_rows": [
                        {
                            "id": i * 10,
                            "product_id": 31,
                            "product_attribute_id": 0,
                            "product_quantity": 1,
                            "product_name": "Kubek ceramiczny",
                            "product_reference": "LP-3004",
                            "unit_price_tax_incl": "115.01",
                        }
                    ]
                },
            }
        )
    fake.data["order_carriers"] = [
        {
            "id": 1,
            "id_order": 1,
            "id_carrier": 3,
            "tracking_number": "602677439331630337653846",
            "date_add": "2026-05-02 09:00:00",
        }
    ]
    fake.data["customer_threads"] = [
        thread(9, "anna@example.pl", customer=1, order=1, updated="2026-05-20 10:00:00")
    ]
    fake.data["customer_messages"] = [
        message(1, 9, "Gdzie jest moja paczka?", "2026-05-20 09:00:00"),
        message(2, 9, "Już sprawdzamy.", "2026-05-20 10:00:00", employee=1),
    ]


def thread(
    n: int, email: str, *, customer: int = 0, order: int = 0, updated: str, status: str = "open"
) -> dict[str, Any]:
    """A ``customer_thread`` as the Webservice returns it with ``display=full``."""
    return {
        "id": n,
        "id_lang": "1",
        "id_shop": "1",
        "id_customer": str(customer),
        "id_order": str(order),
        "id_product": "0",
        "id_contact": "2",
        "email": email,
        "token": f"tok{n:08d}",
        "status": status,
        "date_add": updated,
        "date_upd": updated,
        "associations": {"customer_messages": []},
    }


def message(
    n: int, thread_id: int, text: str, at: str, *, employee: int = 0, private: int = 0
) -> dict[str, Any]:
    """A ``customer_message`` (``id_employee`` 0: the customer wrote it; ``private`` 1: a staff note)."""
    return {
        "id": n,
        "id_employee": str(employee),
        "id_customer_thread": str(thread_id),
        "ip_address": "2130706433",
        "message": text,
        "file_name": "",
        "user_agent": "Mozilla/5.0",
        "private": str(private),
        "date_add": at,
        "date_upd": at,
        "read": "0",
    }
