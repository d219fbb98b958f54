"""Carrier settings: InPost ShipX token and organisation sealed at rest, the test button's clear errors,
the webhook secret, and the shop's own tracking pages for carriers without a tracking API."""

import socket

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sprawa.commerce.carriers.inpost_fake import MemoryParcels, create_app, webhook_body
from sprawa.commerce.models import ConnectorHealth, Shipment
from sprawa.commerce.prestashop.connector import PrestaShop
from sprawa.commerce.service import upsert_orders
from sprawa.db import utcnow
from sprawa.workspaces.models import Workspace
from tests.commerce.conftest import shop_config
from tests.fakes.asgi import serve
from tests.fakes.prestashop import FakePrestaShop, seed

ORG, TOKEN = "12345", "shipx-organisation-token-abc"  # noqa: S105


@pytest.fixture
def shipx():
    with serve(create_app(MemoryParcels(), organizations={ORG: TOKEN})) as url:
        yield url


def _settings(db, workspace):
    db.expire_all()
    return db.get(Workspace, workspace.id).settings


def test_inpost_settings_are_sealed_and_never_returned(admin, db, workspace, shipx):
    body = {
        "inpost": {
            "base_url": shipx,
            "organization_id": ORG,
            "token": TOKEN,
            "webhook_secret": "hook-secret-xyz",
            "webhook_sources": ["127.0.0.1/8"],
        }
    }
    saved = admin.client.put("/api/v1/commerce/carriers", json=body)
    assert saved.status_code == 200, saved.text
    out = saved.json()["inpost"]
    assert out["has_token"] and out["has_webhook_secret"] and out["organization_id"] == ORG
    assert out["webhook_sources"] == ["127.0.0.0/8"]
    assert TOKEN not in saved.text and "hook-secret-xyz" not in saved.text
    stored = str(_settings(db, workspace)["carriers"])
    assert TOKEN not in stored and "hook-secret-xyz" not in stored
    db.rollback()
    # Leaving a secret out keeps it; "" removes it.
    again = admin.client.put("/api/v1/commerce/carriers", json={"inpost": {"webhook_secret": ""}}).json()
    assert again["inpost"]["has_token"] and not again["inpost"]["has_webhook_secret"]
    assert again["inpost"]["base_url"] == shipx


def test_the_test_button_names_the_problem(admin, db, workspace, shipx):
    settings = {"base_url": shipx, "organization_id": ORG, "token": "wrong-token"}
    admin.client.put("/api/v1/commerce/carriers", json={"inpost": settings})
    bad = admin.client.post("/api/v1/commerce/carriers/inpost/test").json()
    assert bad["ok"] is False and bad["problem"] == "bad_credentials"
    assert bad["message"]["pl"].startswith("Przewoźnik odrzucił token API")
    assert "token_invalid" in bad["detail"]
    admin.client.put("/api/v1/commerce/carriers", json={"inpost": {"token": TOKEN}})
    assert admin.client.post("/api/v1/commerce/carriers/inpost/test").json()["ok"] is True
    admin.client.put("/api/v1/commerce/carriers", json={"inpost": {"organization_id": "999"}})
    unknown = admin.client.post("/api/v1/commerce/carriers/inpost/test").json()
    assert unknown["problem"] == "bad_credentials" and "999" in unknown["detail"]
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    admin.client.put("/api/v1/commerce/carriers", json={"inpost": {"base_url": closed}})
    down = admin.client.post("/api/v1/commerce/carriers/inpost/test").json()
    assert (
        down["problem"] == "unreachable" and "Nie udało się połączyć z przewoźnikiem" in down["message"]["pl"]
    )
    health = db.scalars(select(ConnectorHealth).where(ConnectorHealth.source == "inpost")).one()
    assert not health.ok and health.problem == "unreachable" and health.last_success_at is not None
    assert (
        admin.client.get("/api/v1/commerce/health")
        .json()[0]["message"]["en"]
        .startswith("Could not connect to the carrier")
    )


def test_the_shop_test_button(admin):
    assert admin.client.post("/api/v1/commerce/connection/test").json()["ok"] is True  # the demo shop
    fake = FakePrestaShop()
    with serve(fake.app) as url:
        body = {"kind": "prestashop", "base_url": url, "credentials": {"api_key": "WRONG"}}
        admin.client.put("/api/v1/commerce/connection", json=body)
        out = admin.client.post("/api/v1/commerce/connection/test").json()
    assert out["ok"] is False and out["problem"] == "bad_credentials"
    assert out["message"]["pl"].startswith("Sklep odrzucił dane logowania")


def test_agents_cannot_see_or_change_carriers(agent):
    assert agent.client.get("/api/v1/commerce/carriers").status_code == 403
    assert agent.client.put("/api/v1/commerce/carriers", json={"tracking_urls": {}}).status_code == 403
    assert agent.client.post("/api/v1/commerce/carriers/inpost/test").status_code == 403


def test_webhook_secret_is_required_in_the_url_once_set(admin, app, workspace, shipx):
    settings = {"base_url": shipx, "webhook_sources": ["127.0.0.0/8"], "webhook_secret": "hook-secret-xyz"}
    admin.client.put("/api/v1/commerce/carriers", json={"inpost": settings})
    url = f"/api/v1/commerce/webhooks/inpost/{workspace.id}"
    body = webhook_body("602677439331630337653846", "delivered", utcnow())
    inpost = TestClient(app, client=("127.0.0.1", 4000))
    assert inpost.post(url, content=body).status_code == 401
    assert inpost.post(url, params={"token": "guess"}, content=body).status_code == 401
    assert inpost.post(url, params={"token": "hook-secret-xyz"}, content=body).json() == {"stored": True}


@pytest.mark.parametrize(
    "template",
    ["http://tracking.example.pl/{n}", "https://tracking.example.pl/", "https://x.example.pl/{n}/{other}"],
)
def test_tracking_templates_need_https_and_the_number(admin, template):
    answer = admin.client.put("/api/v1/commerce/carriers", json={"tracking_urls": {"dpd": template}})
    assert answer.status_code == 422


def test_the_shops_tracking_page_replaces_the_default(admin, db, workspace, runtime, env):
    template = "https://sledzenie.example.pl/dpd?numer={n}"
    out = admin.client.put("/api/v1/commerce/carriers", json={"tracking_urls": {"dpd": template}}).json()
    assert out["tracking_urls"]["dpd"] == template and out["custom_tracking_urls"] == ["dpd"]
    assert out["tracking_urls"]["dhl"].startswith("https://www.dhl.com/")
    fake = FakePrestaShop()
    seed(fake, orders=1)
    fake.data["carriers"] = [{"id": 3, "name": "DPD Polska"}]
    with serve(fake.app) as url:
        detail = PrestaShop(env, shop_config(runtime, "prestashop", url, api_key=fake.key)).get_order("1")
    db.expire_all()  # the settings were saved through the API
    upsert_orders(db, workspace.id, [detail], source="prestashop")
    parcel = db.scalars(select(Shipment)).one()
    assert (parcel.carrier, parcel.tracking_url) == (
        "dpd",
        "https://sledzenie.example.pl/dpd?numer=602677439331630337653846",
    )
