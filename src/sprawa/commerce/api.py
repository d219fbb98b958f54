"""Commerce over HTTP: shop and carrier webhooks, the customer's order context, connection health.

Webhooks: ``POST /api/v1/commerce/webhooks/{woocommerce|shopify}/{workspace_id}`` (signed by the shop) and
``GET|POST /api/v1/commerce/webhooks/inpost/{workspace_id}`` (ShipX: source range checked, parcel re-read).
Each answers 200 only after the delivery is committed.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from sprawa.commerce.actions.freshness import order_context
from sprawa.commerce.carriers.service import (
    carriers_out,
    do_receive_inpost_webhook,
    do_set_carrier_settings,
    do_test_inpost,
    do_test_shop,
)
from sprawa.commerce.errors import ConnectorProblem, problem_text
from sprawa.commerce.queries import connection_out, connector_health, shipments_by_order
from sprawa.commerce.remote import ConnectorEnv
from sprawa.commerce.schemas import (
    CarrierSettingsIn,
    CarrierSettingsOut,
    ConnectionTestOut,
    HealthOut,
    OrderContextOut,
    OrderOut,
    ShipmentOut,
    ShopConnectionIn,
    ShopConnectionOut,
    WebhookAccepted,
)
from sprawa.commerce.service import do_set_shop_connection
from sprawa.commerce.shopify.service import do_receive_shopify_webhook
from sprawa.commerce.woocommerce.service import do_receive_woocommerce_webhook
from sprawa.customers.queries import access_customer
from sprawa.deps import Admin, CurrentPrincipal, DbSession, RuntimeDep
from sprawa.platform.errors import AppError
from sprawa.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["commerce"])
MAX_WEBHOOK_BYTES = 2 * 1024 * 1024
WorkspaceId = Annotated[str, Path(min_length=1, max_length=64)]


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"


async def raw_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BYTES:
            raise PayloadTooLarge(f"the body is larger than {MAX_WEBHOOK_BYTES} bytes")
    return bytes(body)


RawBody = Annotated[bytes, Depends(raw_body)]


def env_of(runtime: Runtime) -> ConnectorEnv:
    return ConnectorEnv(runtime.http, runtime.ingest.secrets)


@router.post("/commerce/webhooks/woocommerce/{workspace_id}", responses={401: {}, 404: {}, 413: {}})
def woocommerce_webhook(
    workspace_id: WorkspaceId, body: RawBody, request: Request, db: DbSession, runtime: RuntimeDep
) -> WebhookAccepted:
    stored = do_receive_woocommerce_webhook(db, runtime.ingest.secrets, workspace_id, body, request.headers)
    return WebhookAccepted(stored=stored)


@router.post("/commerce/webhooks/shopify/{workspace_id}", responses={401: {}, 404: {}, 413: {}})
def shopify_webhook(
    workspace_id: WorkspaceId, body: RawBody, request: Request, db: DbSession, runtime: RuntimeDep
) -> WebhookAccepted:
    stored = do_receive_shopify_webhook(db, runtime.ingest.secrets, workspace_id, body, request.headers)
    return WebhookAccepted(stored=stored)


@router.get("/commerce/webhooks/inpost/{workspace_id}")
def inpost_webhook_check(workspace_id: WorkspaceId) -> WebhookAccepted:
    """ShipX checks the endpoint with a GET when it is configured."""
    return WebhookAccepted(stored=False)


@router.post("/commerce/webhooks/inpost/{workspace_id}", responses={401: {}, 403: {}, 404: {}, 413: {}})
def inpost_webhook(
    workspace_id: WorkspaceId,
    body: RawBody,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    token: Annotated[str | None, Query(max_length=2000)] = None,
) -> WebhookAccepted:
    """``?token=`` carries the workspace's webhook secret when one is set in the carrier settings."""
    source = request.client.host if request.client else ""
    stored = do_receive_inpost_webhook(db, runtime.ingest.secrets, workspace_id, body, source, token)
    return WebhookAccepted(stored=stored)


@router.get("/customers/{customer_id}/orders")
def customer_orders(
    customer_id: WorkspaceId,
    db: DbSession,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    fresh: bool = False,
    timeout: Annotated[float, Query(gt=0, le=10)] = 2.0,
) -> OrderContextOut:
    """The customer's orders beside a case; ``fresh=true`` re-reads them within ``timeout`` seconds."""
    customer = access_customer(db, principal, customer_id)
    ctx = order_context(db, customer, env=env_of(runtime), fresh=fresh, timeout=timeout)
    shipments = shipments_by_order(db, [o.id for o in ctx.orders])
    orders = [
        OrderOut.model_validate(o).model_copy(
            update={"shipments": [ShipmentOut.model_validate(s) for s in shipments.get(o.id, [])]}
        )
        for o in ctx.orders
    ]
    notice = {"pl": ctx.notice_pl, "en": ctx.notice_en} if ctx.notice_pl and ctx.notice_en else None
    return OrderContextOut(
        orders=orders,
        fetched_at=ctx.fetched_at,
        refreshed=ctx.refreshed,
        stale=ctx.stale,
        problem=str(ctx.problem) if ctx.problem else None,
        notice=notice,
    )


@router.get("/commerce/connection")
def get_connection(db: DbSession, admin: Admin, runtime: RuntimeDep) -> ShopConnectionOut:
    return connection_out(db, admin, runtime.settings.public_url)


@router.put("/commerce/connection")
def put_connection(
    body: ShopConnectionIn, db: DbSession, admin: Admin, runtime: RuntimeDep
) -> ShopConnectionOut:
    """Connect the shop platform (admins); the answer never contains the credentials."""
    do_set_shop_connection(db, admin, body, runtime.ingest.secrets)
    return connection_out(db, admin, runtime.settings.public_url)


@router.post("/commerce/connection/test")
def test_connection(db: DbSession, admin: Admin, runtime: RuntimeDep) -> ConnectionTestOut:
    """Try the saved shop connection now; a failure says what to fix (and shows in the health)."""
    return do_test_shop(db, admin, env_of(runtime))


@router.get("/commerce/carriers")
def get_carriers(db: DbSession, admin: Admin, runtime: RuntimeDep) -> CarrierSettingsOut:
    return carriers_out(db, admin, runtime.settings.public_url)


@router.put("/commerce/carriers")
def put_carriers(
    body: CarrierSettingsIn, db: DbSession, admin: Admin, runtime: RuntimeDep
) -> CarrierSettingsOut:
    """Carrier tracking settings (admins); the answer says which secrets are set, never their values."""
    do_set_carrier_settings(db, admin, body, runtime.ingest.secrets)
    return carriers_out(db, admin, runtime.settings.public_url)


@router.post("/commerce/carriers/inpost/test")
def test_inpost(db: DbSession, admin: Admin, runtime: RuntimeDep) -> ConnectionTestOut:
    """Ask InPost ShipX with the saved settings now."""
    return do_test_inpost(db, admin, env_of(runtime))


@router.get("/commerce/health")
def commerce_health(db: DbSession, principal: CurrentPrincipal, runtime: RuntimeDep) -> list[HealthOut]:
    """Shop and carrier connections with their last sync and a clear error (settings page)."""
    base = runtime.settings.public_url.rstrip("/")
    out = []
    for h in connector_health(db, principal):
        text = problem_text(ConnectorProblem(h.problem), h.source) if h.problem else None
        hook = h.kind if h.source == "shop" else h.source
        out.append(
            HealthOut(
                source=h.source,
                kind=h.kind,
                ok=h.ok,
                problem=h.problem,
                message={"pl": text[0], "en": text[1]} if text else None,
                detail=h.detail,
                last_success_at=h.last_success_at,
                last_error_at=h.last_error_at,
                last_sync_at=h.last_sync_at,
                synced_orders=h.synced_orders,
                webhook_url=f"{base}/api/v1/commerce/webhooks/{hook}/{principal.workspace_id}"
                if hook in ("woocommerce", "shopify", "inpost")
                else None,
            )
        )
    return out
