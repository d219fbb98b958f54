"""A fake of Allegro's order resources: Bearer auth with the vnd.allegro media type, checkout forms with
offset/limit/totalCount, the order events journal and its stats, shipments, Allegro carrier tracking,
customer returns (beta media type), fulfilment updates checked against the form revision, Allegro's
error bodies (``{"errors":[{"code","message","userMessage"}]}``), 429 with Retry-After, and the OAuth token
endpoint (``POST /auth/oauth/token?grant_type=refresh_token&refresh_token=…`` with Basic client auth; the
refresh token rotates: the old one is refused once used)."""

import base64
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

MEDIA = "application/vnd.allegro.public.v1+json"
BETA = "application/vnd.allegro.beta.v1+json"


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "errors": [
                {"code": code, "message": message, "details": None, "path": None, "userMessage": message}
            ]
        },
        status_code=status,
        media_type=MEDIA,
    )


def make_form(n: int, *, email: str = "anna@example.pl", fulfilment: str = "SENT") -> dict[str, Any]:
    return {
        "id": f"29738e61-7f6a-11e8-ac45-09db60ede{n:03d}",
        "messageToSeller": None,
        "status": "READY_FOR_PROCESSING",
        "buyer": {
            "id": "23123123",
            "email": email,
            "login": "anna_k",
            "firstName": "Anna",
            "lastName": "Kowalska",
            "guest": False,
            "phoneNumber": "500100200",
        },
        "payment": {
            "id": f"0f8f1d13-7e9e-11e8-9b00-c5b0dfb78{n:03d}",
            "type": "ONLINE",
            "provider": "P24",
            "finishedAt": "2026-05-18T08:05:00.000Z",
            "paidAmount": {"amount": "102.99", "currency": "PLN"},
        },
        "fulfillment": {"status": fulfilment, "shipmentSummary": {"lineItemsSent": "ALL"}},
        "delivery": {
            "address": {
                "firstName": "Anna",
                "lastName": "Kowalska",
                "street": "Lipowa 3",
                "city": "Kraków",
                "zipCode": "30-001",
                "countryCode": "PL",
                "phoneNumber": "500100200",
            },
            "method": {"id": "1fa56f79-4b6a-4821-a6f2-ca9c16d5c925", "name": "Allegro Paczkomaty InPost"},
            "pickupPoint": {"id": "KRA01M"},
            "cost": {"amount": "8.99", "currency": "PLN"},
        },
        "lineItems": [
            {
                "id": f"62ae358b-8f65-4fc4-9c77-bedf604a2{n:03d}",
                "offer": {"id": "9206125457", "name": "Kubek ceramiczny", "external": {"id": "LP-3004"}},
                "quantity": 1,
                "price": {"amount": "94.00", "currency": "PLN"},
                "boughtAt": "2026-05-18T08:00:00.000Z",
            }
        ],
        "summary": {"totalToPay": {"amount": "102.99", "currency": "PLN"}},
        "updatedAt": "2026-05-19T10:00:00.000Z",
        "revision": f"rev{n}",
    }


class FakeAllegro:
    def __init__(self, token: str = "allegro-access-token") -> None:  # noqa: S107
        self.token = token
        self.client = ("allegro-client-id", "allegro-client-secret")
        self.refresh_token = "allegro-refresh-1"  # noqa: S105
        self.refreshes = 0
        self.forms: list[dict[str, Any]] = []
        self.shipments: dict[str, list[dict[str, Any]]] = {}
        self.tracking: dict[str, list[dict[str, Any]]] = {}
        self.returns: dict[str, list[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.rate_limited = 0
        self.app = FastAPI()
        a = self.app
        a.get("/order/checkout-forms")(self.list_forms)
        a.get("/order/checkout-forms/{form_id}")(self.get_form)
        a.get("/order/checkout-forms/{form_id}/shipments")(self.get_shipments)
        a.put("/order/checkout-forms/{form_id}/fulfillment")(self.put_fulfilment)
        a.get("/order/carriers/{carrier_id}/tracking")(self.get_tracking)
        a.get("/order/customer-returns")(self.get_returns)
        a.get("/order/events")(self.get_events)
        a.get("/order/event-stats")(self.get_stats)
        a.post("/auth/oauth/token")(self.oauth_token)

        @a.middleware("http")
        async def gate(request: Request, call_next: Any) -> Any:
            if request.url.path == "/auth/oauth/token":
                return await call_next(request)
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return JSONResponse(
                    {"error": "invalid_token", "error_description": "Invalid access token"}, status_code=401
                )
            wanted = BETA if request.url.path == "/order/customer-returns" else MEDIA
            if request.headers.get("Accept") != wanted:
                return error(406, "NotAcceptableException", "Not acceptable media type")
            if self.rate_limited:
                self.rate_limited -= 1
                return error(429, "TooManyRequestsException", "Too many requests")
            return await call_next(request)

    def oauth_token(self, request: Request) -> JSONResponse:
        """Allegro's token endpoint: client id and secret as Basic auth, the grant in the query string."""
        pair = ":".join(self.client).encode()
        if request.headers.get("Authorization") != "Basic " + base64.b64encode(pair).decode():
            return JSONResponse(
                {"error": "unauthorized", "error_description": "Full authentication is required"},
                status_code=401,
            )
        q = request.query_params
        if q.get("grant_type") != "refresh_token" or q.get("refresh_token") != self.refresh_token:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Invalid refresh token"}, status_code=400
            )
        self.refreshes += 1
        self.token = f"allegro-access-{self.refreshes + 1}"
        self.refresh_token = f"allegro-refresh-{self.refreshes + 1}"
        return JSONResponse(
            {
                "access_token": self.token,
                "token_type": "bearer",
                "refresh_token": self.refresh_token,
                "expires_in": 43199,
                "scope": "allegro:api:orders:read allegro:api:orders:write",
                "allegro_api": True,
                "jti": f"jti-{self.refreshes}",
            }
        )

    def _form(self, form_id: str) -> dict[str, Any] | None:
        return next((f for f in self.forms if f["id"] == form_id), None)

    def list_forms(self, request: Request) -> JSONResponse:
        q = request.query_params
        offset, limit = int(q.get("offset", 0)), int(q.get("limit", 100))
        if limit > 100:
            return error(422, "ConstraintViolationException", "limit must be less than or equal to 100")
        chunk = self.forms[offset : offset + limit]
        return JSONResponse(
            {"checkoutForms": chunk, "count": len(chunk), "totalCount": len(self.forms)}, media_type=MEDIA
        )

    def get_form(self, form_id: str) -> JSONResponse:
        form = self._form(form_id)
        if form is None:
            return error(404, "NOT_FOUND", f"Checkout form {form_id} not found")
        return JSONResponse(form, media_type=MEDIA)

    def get_shipments(self, form_id: str) -> JSONResponse:
        return JSONResponse({"shipments": self.shipments.get(form_id, [])}, media_type=MEDIA)

    async def put_fulfilment(self, form_id: str, request: Request) -> Any:
        form = self._form(form_id)
        if form is None:
            return error(404, "NOT_FOUND", "not found")
        if request.query_params.get("checkoutForm.revision") != form["revision"]:
            return error(409, "CONFLICT", "Checkout form revision mismatch")
        form["fulfillment"]["status"] = (await request.json())["status"]
        return Response(status_code=204)

    def get_tracking(self, carrier_id: str, request: Request) -> JSONResponse:
        waybill = request.query_params["waybill"]
        return JSONResponse(
            {
                "carrierId": carrier_id,
                "waybills": [
                    {
                        "waybill": waybill,
                        "trackingDetails": {
                            "statuses": self.tracking.get(waybill, []),
                            "createdAt": "2026-05-18T12:00:00Z",
                            "updatedAt": "2026-05-19T12:00:00Z",
                        },
                    }
                ],
            },
            media_type=MEDIA,
        )

    def get_returns(self, request: Request) -> JSONResponse:
        """By ``orderId``, or all of them created since ``createdAt.gte``, paged by ``offset``/``limit``."""
        q = request.query_params
        if "orderId" in q:
            found = self.returns.get(q["orderId"], [])
        else:
            since = q.get("createdAt.gte", "")
            found = [r for rs in self.returns.values() for r in rs if r.get("createdAt", "") >= since]
            found.sort(key=lambda r: r.get("createdAt", ""))
        offset, limit = int(q.get("offset", 0)), int(q.get("limit", 100))
        return JSONResponse(
            {"customerReturns": found[offset : offset + limit], "count": len(found[offset : offset + limit])},
            media_type=BETA,
        )

    def get_events(self, request: Request) -> JSONResponse:
        after = request.query_params.get("from")
        ids = [e["id"] for e in self.events]
        start = ids.index(after) + 1 if after in ids else 0
        return JSONResponse(
            {"events": self.events[start : start + int(request.query_params.get("limit", 100))]},
            media_type=MEDIA,
        )

    def get_stats(self) -> JSONResponse:
        latest = self.events[-1] if self.events else None
        return JSONResponse(
            {"latestEvent": {"id": latest["id"], "occurredAt": latest["occurredAt"]} if latest else None},
            media_type=MEDIA,
        )
