"""Admin pages for the shop connection and proactive service: access, real data, saves via the API."""

from datetime import timedelta

from sprawa.commerce.models import ConnectorHealth
from sprawa.db import utcnow
from tests.proactive.conftest import world  # noqa: F401 (fixture)


def test_agents_get_403_on_both_pages(agent):
    assert agent.client.get("/app/settings/shop").status_code == 403
    assert agent.client.get("/app/settings/proactive").status_code == 403
    assert agent.client.get("/app/settings/proactive/preview").status_code == 403


def test_shop_connection_saves_through_the_api_and_never_shows_credentials(admin):
    body = {
        "kind": "woocommerce",
        "base_url": "https://sklep.example.pl",
        "credentials": {"consumer_key": "ck_tajny123", "consumer_secret": "cs_tajny456"},
    }
    assert admin.client.put("/api/v1/commerce/connection", json=body).status_code == 200

    page = admin.client.get("/app/settings/shop")

    assert page.status_code == 200
    assert '<option value="woocommerce" selected>' in page.text
    assert 'value="https://sklep.example.pl"' in page.text
    assert "zapisane — zostaw puste" in page.text
    assert "ck_tajny123" not in page.text and "cs_tajny456" not in page.text
    assert 'href="/app/settings/shop" aria-current="page"' in page.text


def test_proactive_page_shows_saved_rules_and_the_api_dry_run_count(admin, db, world):  # noqa: F811
    now = utcnow()
    world.order.placed_at = now - timedelta(days=4)
    world.parcel.estimated_delivery = now - timedelta(days=1)
    db.commit()
    saved = admin.client.put(
        "/api/v1/proactive/settings",
        json={
            "enabled": True,
            "rules": {"no_scan": {"enabled": False, "hours": 30}},
            "quiet_hours": {"start": "22:30", "end": "07:00"},
            "max_notices_per_customer_per_day": 3,
        },
    )
    assert saved.status_code == 200

    page = admin.client.get("/app/settings/proactive")
    panel = admin.client.get("/app/settings/proactive/preview")
    api = admin.client.get("/api/v1/proactive/preview").json()

    assert page.status_code == 200
    assert 'name="rules.no_scan.hours" data-type="int" value="30"' in page.text
    assert 'id="rule-no_scan" type="checkbox" name="rules.no_scan.enabled" data-type="bool" >' in page.text
    assert 'value="22:30"' in page.text and 'value="07:00"' in page.text
    late = next(r for r in api["rules"] if r["rule"] == "late")
    assert late["customers"] == 1
    assert f'data-rule="late" data-customers="{late["customers"]}"' in panel.text
    assert late["message"]["pl"] in panel.text
    assert late["samples"] and late["samples"][0].split("\n")[0][:40] in panel.text.replace("&#39;", "'")


def test_pages_switch_to_english(admin):
    admin.client.cookies.set("sprawa_lang", "en")
    shop = admin.client.get("/app/settings/shop")
    proactive = admin.client.get("/app/settings/proactive")
    panel = admin.client.get("/app/settings/proactive/preview")

    assert "Shop connection" in shop.text and "Demo shop" in shop.text
    assert "Late shipment" in proactive.text and "Quiet hours and limit" in proactive.text
    assert "This rule would message 0 customers now." in panel.text


def test_health_explains_a_failing_connection_in_polish_and_flags_stale_data(admin, db, workspace):
    now = utcnow()
    db.add(
        ConnectorHealth(
            workspace_id=workspace.id,
            source="shop",
            kind="woocommerce",
            ok=False,
            problem="bad_credentials",
            detail="401 woocommerce_rest_cannot_view",
            last_success_at=now - timedelta(days=2),
            last_error_at=now - timedelta(minutes=5),
            last_sync_at=now - timedelta(minutes=5),
            synced_orders=12,
        )
    )
    db.commit()

    page = admin.client.get("/app/settings/shop")

    assert "Sklep odrzucił dane logowania. Sprawdź klucz API i jego uprawnienia." in page.text
    assert "Dane mogą być nieaktualne" in page.text
    assert f"/api/v1/commerce/webhooks/woocommerce/{workspace.id}" in page.text


def test_carrier_settings_show_saved_values_never_secrets_with_health(admin, db, workspace):
    body = {
        "inpost": {"organization_id": "12345", "token": "tajny-token-shipx", "webhook_secret": "tajny-hook"},
        "tracking_urls": {"dpd": "https://sledzenie.example.pl/dpd?numer={n}"},
    }
    assert admin.client.put("/api/v1/commerce/carriers", json=body).status_code == 200
    db.add(
        ConnectorHealth(
            workspace_id=workspace.id,
            source="inpost",
            kind="shipx",
            ok=False,
            problem="bad_credentials",
            detail='HTTP 401: {"error":"token_invalid"}',
            last_error_at=utcnow(),
            last_sync_at=utcnow(),
            synced_orders=0,
        )
    )
    db.commit()

    page = admin.client.get("/app/settings/shop")

    assert page.status_code == 200
    assert 'id="carrier-form"' in page.text and 'name="organization_id"' in page.text
    assert 'value="12345"' in page.text
    assert 'id="tracking-dpd" name="dpd" class="tracking-url" type="url"' in page.text
    assert 'value="https://sledzenie.example.pl/dpd?numer={n}"' in page.text
    assert 'placeholder="https://www.dhl.com/pl-pl/home/sledzenie.html?tracking-id={n}"' in page.text
    assert "tajny-token-shipx" not in page.text and "tajny-hook" not in page.text
    assert page.text.count("zapisane — zostaw puste") == 2  # the token and the webhook secret
    assert f"/api/v1/commerce/webhooks/inpost/{workspace.id}?token=" in page.text
    assert "<th>InPost ShipX" in page.text
    assert "Przewoźnik odrzucił token API lub numer organizacji." in page.text
    assert "token_invalid" in page.text
    assert 'data-url="/api/v1/commerce/carriers/inpost/test"' in page.text
    assert 'data-url="/api/v1/commerce/connection/test"' in page.text
    assert 'name="refresh_token"' in page.text  # Allegro's token renewal
