"""Contract matrix, shop connectors and carriers: the cells the per-connector tests left open
(docs/contract-tests.md).

Against the local fakes only: webhooks without a signature or with a tampered body, 5xx and slow shops
retried or given up within the budget with a clear problem, BaseLinker's 100 requests a minute kept on
our side, provider error bodies carried into the problem detail, the InPost webhook's source range at
the endpoint, Allegro's tracking history in its recorded shape, and the generic tracking-page fallback.
"""

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import select

from sprawa.commerce.allegro.connector import AllegroOrders
from sprawa.commerce.baselinker.connector import BaseLinker
from sprawa.commerce.carriers.allegro import shipment_from_tracking
from sprawa.commerce.carriers.inpost import ShipXTracking
from sprawa.commerce.carriers.inpost_fake import MemoryParcels, create_app, webhook_body
from sprawa.commerce.carriers.links import carrier_code, tracking_url
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import CommerceEvent, ShipmentState
from sprawa.commerce.prestashop.connector import PrestaShop
from sprawa.commerce.service import connector_for
from sprawa.commerce.shopify.connector import Shopify
from sprawa.commerce.woocommerce.connector import WooCommerce
from sprawa.commerce.woocommerce.fake import FakeWooCommerce, make_order
from sprawa.db import utcnow
from tests.commerce.conftest import shop_config
from tests.fakes.allegro_orders import FakeAllegro, make_form
from tests.fakes.asgi import serve
from tests.fakes.baselinker import FakeBaseLinker
from tests.fakes.shopify import FakeShopify
from tests.fakes.shopify import make_order as shopify_order

PAYLOADS = Path(__file__).parents[1] / "fixtures" / "payloads"
SECRET = "matrix-webhook-secret"
NUMBER = "602677439331630337653846"


class Faults:
    """An ASGI layer over a fake that has no fault script of its own: the next requests are answered with
    ``(status, body in the provider's shape, headers)`` from ``script``, the rest reach the fake."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.script: list[tuple[int, dict[str, Any], dict[str, str]]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.script:
            status, body, headers = self.script.pop(0)
            return await JSONResponse(body, status_code=status, headers=headers)(scope, receive, send)
        await self.app(scope, receive, send)


# ----------------------------------------------------------------------------------- WooCommerce


@pytest.fixture
def woo_fake():
    shop = FakeWooCommerce()
    shop.orders = {i: make_order(i) for i in range(1, 4)}
    with serve(shop.app) as url:
        shop.url = url
        yield shop


def _woo(runtime, woo_fake, env, **extra):  # type: ignore[no-untyped-def]
    config = shop_config(
        runtime, "woocommerce", woo_fake.url, consumer_key="ck_test", consumer_secret="cs_test", **extra
    )
    return WooCommerce(env, config)


def test_woo_5xx_is_retried_and_a_shop_that_stays_down_is_unreachable(runtime, woo_fake, env, sleeps):
    woo_fake.fail = [(500, {}), (503, {})]
    assert _woo(runtime, woo_fake, env).get_order("2").number == "2"
    assert len(sleeps) == 2
    woo_fake.fail = [(502, {})] * 10
    with pytest.raises(ConnectorError) as err:
        _woo(runtime, woo_fake, env).get_order("2")
    assert err.value.problem == ConnectorProblem.UNREACHABLE
    assert "HTTP 502" in err.value.detail
    assert len(woo_fake.fail) == 6  # four attempts, then a clear error instead of hammering the shop


def test_woo_a_slow_shop_gives_a_clear_error_within_the_budget(runtime, env):
    slow = FakeWooCommerce(latency=1.5)
    slow.orders = {1: make_order(1)}
    with serve(slow.app) as url:
        slow.url = url
        started = time.monotonic()
        with pytest.raises(ConnectorError) as err:
            _woo(runtime, slow, env.within(0.5)).get_order("1")
        elapsed = time.monotonic() - started
    assert err.value.problem == ConnectorProblem.UNREACHABLE
    assert elapsed < 1.4  # the agent view's budget holds, the shop's latency does not


def test_woo_an_unknown_order_is_none_from_the_providers_404_body(runtime, woo_fake, env):
    assert _woo(runtime, woo_fake, env).get_order("999") is None
    assert any(r.startswith("GET /wp-json/wc/v3/orders") for r in woo_fake.requests)


def _woo_post(client, workspace_id, body, headers):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/commerce/webhooks/woocommerce/{workspace_id}", content=body, headers=headers)


def test_woo_webhook_without_a_signature_or_with_a_respaced_body_stores_nothing(
    db, workspace, runtime, woo_fake, env, client
):
    ws = workspace.id  # read before the commit: an expired object would reload and hold SQLite's lock
    workspace.settings = {
        "commerce": shop_config(
            runtime,
            "woocommerce",
            woo_fake.url,
            consumer_key="ck_test",
            consumer_secret="cs_test",
            webhook_secret=SECRET,
        )
    }
    db.commit()
    body, headers = woo_fake.webhook(2, SECRET)
    unsigned = {k: v for k, v in headers.items() if k != "X-WC-Webhook-Signature"}
    assert _woo_post(client, ws, body, unsigned).status_code == 401
    respaced = json.dumps(json.loads(body), indent=1).encode()  # same JSON, other bytes
    assert _woo_post(client, ws, respaced, headers).status_code == 401
    assert db.scalars(select(CommerceEvent)).all() == []
    db.rollback()  # SQLite: even a read holds the write lock (BEGIN IMMEDIATE)
    assert _woo_post(client, ws, body, headers).json() == {"stored": True}


# ----------------------------------------------------------------------------------- Shopify


def test_shopify_webhook_missing_or_tampered_hmac_stores_nothing(db, workspace, runtime, env, client):
    store = FakeShopify()
    store.orders = [shopify_order(1)]
    ws = workspace.id
    with serve(store.app) as url:
        workspace.settings = {
            "commerce": shop_config(runtime, "shopify", url, access_token="shpat_test", webhook_secret=SECRET)
        }
        db.commit()
        path = f"/api/v1/commerce/webhooks/shopify/{ws}"
        payload = {"id": 5001, "admin_graphql_api_id": "gid://shopify/Order/5001", "name": "#1001"}
        body, headers = store.webhook("orders/paid", payload, SECRET, "wh-m1")
        unsigned = {k: v for k, v in headers.items() if k != "X-Shopify-Hmac-Sha256"}
        assert client.post(path, content=body, headers=unsigned).status_code == 401
        tampered = body.replace(b"#1001", b"#9999")
        assert client.post(path, content=tampered, headers=headers).status_code == 401
        hex_digest = {**headers, "X-Shopify-Hmac-Sha256": headers["X-Shopify-Hmac-Sha256"].encode().hex()}
        assert client.post(path, content=body, headers=hex_digest).status_code == 401
        assert db.scalars(select(CommerceEvent)).all() == []
        db.rollback()
        assert client.post(path, content=body, headers=headers).json() == {"stored": True}
        assert connector_for(db, ws, env).get_order("1001").number == "#1001"


def test_shopify_5xx_is_retried_and_a_store_that_stays_down_is_unreachable(runtime, env, sleeps):
    store = FakeShopify()
    store.orders = [shopify_order(1)]
    faults = Faults(store.app)
    with serve(faults) as url:
        shop = Shopify(env, shop_config(runtime, "shopify", url, access_token="shpat_test"))
        faults.script = [(502, {"errors": "Bad Gateway"}, {})]
        assert shop.get_order("1001").number == "#1001"
        assert len(sleeps) == 1
        faults.script = [(503, {"errors": "Service Unavailable"}, {"Retry-After": "1"})] * 6
        with pytest.raises(ConnectorError) as err:
            shop.get_order("1001")
    assert err.value.problem == ConnectorProblem.UNREACHABLE and "Service Unavailable" in err.value.detail
    assert len(faults.script) == 2


# ----------------------------------------------------------------------------------- PrestaShop


def test_prestashop_without_a_key_is_not_configured_not_a_request(runtime, env):
    with pytest.raises(ConnectorError) as err:
        PrestaShop(env, shop_config(runtime, "prestashop", "http://127.0.0.1:9", api_key=""))
    assert err.value.problem == ConnectorProblem.NOT_CONFIGURED and "api_key" in err.value.detail


# ----------------------------------------------------------------------------------- BaseLinker


def test_baselinker_keeps_to_100_requests_a_minute_on_its_own(runtime, env, sleeps):
    fake = FakeBaseLinker(token=f"3001-{uuid.uuid4().hex}", limit_per_minute=10_000)  # its own bucket
    with serve(fake.app) as url:
        bl = BaseLinker(env, shop_config(runtime, "baselinker", url, token=fake.token) | {"base_url": url})
        for _ in range(20):
            bl.call("getOrderStatusList")
    assert len(fake.calls) == 20
    # A burst of 10 goes at once; each further request waits its turn at 100/min (0.6 s apart).
    assert len(sleeps) == 10
    assert sleeps[-1] == pytest.approx(6.0, abs=0.3)
    assert all(b > a for a, b in zip(sleeps, sleeps[1:], strict=False))


def test_baselinker_other_error_bodies_are_bad_responses_with_the_code(runtime, env):
    fake = FakeBaseLinker(limit_per_minute=10_000)
    with serve(fake.app) as url:
        bl = BaseLinker(env, shop_config(runtime, "baselinker", url, token=fake.token) | {"base_url": url})
        with pytest.raises(ConnectorError) as err:
            bl.call("getNoSuchThing")
    assert err.value.problem == ConnectorProblem.BAD_RESPONSE
    assert err.value.detail == "ERROR_UNKNOWN_METHOD: An unknown method has been used"


# ----------------------------------------------------------------------------------- Allegro orders


@pytest.fixture
def allegro_fake():
    fake = FakeAllegro()
    fake.forms = [make_form(i) for i in range(1, 4)]
    with serve(fake.app) as url:
        fake.url = url
        yield fake


def test_allegro_a_429_that_outlasts_the_budget_is_rate_limited_with_allegros_body(
    runtime, env, allegro_fake
):
    config = shop_config(runtime, "allegro", allegro_fake.url, access_token=allegro_fake.token) | {
        "base_url": allegro_fake.url
    }
    allegro_fake.rate_limited = 10
    with pytest.raises(ConnectorError) as err:
        AllegroOrders(env, config).get_order(allegro_fake.forms[0]["id"])
    assert err.value.problem == ConnectorProblem.RATE_LIMITED
    assert "TooManyRequestsException" in err.value.detail
    assert allegro_fake.rate_limited == 6  # four attempts, not a tight loop against a blocked Client_ID


# ----------------------------------------------------------------------------------- InPost ShipX


def test_inpost_429_waits_for_retry_after_and_a_lasting_limit_is_rate_limited(env, sleeps):
    store = MemoryParcels()
    store.add(NUMBER, machine="KRA01M", created=utcnow())
    faults = Faults(create_app(store))
    limited = {"status": 429, "error": "too_many_requests", "message": "Too many requests", "details": {}}
    with serve(faults) as url:
        shipx = ShipXTracking(env, url)
        faults.script = [(429, limited, {"Retry-After": "3"})]
        assert shipx.track(NUMBER).tracking_number == NUMBER
        assert sleeps and sleeps[0] >= 3
        faults.script = [(429, limited, {"Retry-After": "3"})] * 6
        with pytest.raises(ConnectorError) as err:
            shipx.track(NUMBER)
    assert err.value.problem == ConnectorProblem.RATE_LIMITED and "too_many_requests" in err.value.detail


def test_inpost_webhook_from_outside_shipx_range_is_refused_and_not_stored(db, app, admin, workspace):
    ws = workspace.id
    db.commit()
    with serve(create_app(MemoryParcels())) as url:
        admin.client.put("/api/v1/commerce/carriers", json={"inpost": {"base_url": url}})
        path = f"/api/v1/commerce/webhooks/inpost/{ws}"
        body = webhook_body(NUMBER, "delivered", utcnow())
        stranger = TestClient(app, client=("203.0.113.9", 4000))
        response = stranger.post(path, content=body)
        assert response.status_code == 403
        assert db.scalars(select(CommerceEvent)).all() == []
        db.rollback()
        shipx = TestClient(app, client=("91.216.25.17", 4000))
        assert shipx.post(path, content=body).json() == {"stored": True}


# ----------------------------------------------------------------------------------- Allegro tracking


def test_allegro_tracking_history_in_the_recorded_shape():
    recorded = json.loads((PAYLOADS / "allegro_carrier_tracking.json").read_text())
    info = shipment_from_tracking("DPD", recorded, "cf-1")
    assert info is not None and info.carrier == "dpd" and info.tracking_number == "0000123456789W"
    assert [e.code for e in info.events] == [
        "PENDING",
        "IN_TRANSIT",
        "NOTICE_LEFT",
        "SOMETHING_NEW",
        "DELIVERED",
    ]
    assert [e.state for e in info.events] == [
        ShipmentState.CREATED,
        ShipmentState.IN_TRANSIT,
        ShipmentState.EXCEPTION,
        ShipmentState.IN_TRANSIT,  # a code newer than this mapping counts as on its way
        ShipmentState.DELIVERED,
    ]
    assert info.state == ShipmentState.DELIVERED and info.delivered_at == info.events[-1].at
    assert info.tracking_url == "https://tracktrace.dpd.com.pl/parcelDetails?typ=1&p1=0000123456789W"
    assert shipment_from_tracking("DPD", {"carrierId": "DPD", "waybills": []}, "cf-1") is None


# ----------------------------------------------------------------------------------- generic tracking URL


@pytest.mark.parametrize(
    ("name", "code", "url"),
    [
        ("DPD Pickup", "dpd", "https://tracktrace.dpd.com.pl/parcelDetails?typ=1&p1=AB%20123%2F4"),
        (
            "DHL Parcel Polska",
            "dhl",
            "https://www.dhl.com/pl-pl/home/sledzenie.html?tracking-id=AB%20123%2F4",
        ),
        ("Pocztex Kurier 48", "poczta_polska", "https://emonitoring.poczta-polska.pl/?numer=AB%20123%2F4"),
        ("Paczkomaty InPost", "inpost", "https://inpost.pl/sledzenie-przesylek?number=AB%20123%2F4"),
        ("Kurier lokalny", "other", None),
    ],
)
def test_generic_tracking_page_for_carriers_without_an_api(name, code, url):
    assert carrier_code(name) == code
    assert tracking_url(code, " AB 123/4 ") == url  # trimmed, and quoted so it cannot break the URL
    assert tracking_url(code, None) is None and tracking_url(code, "") is None
