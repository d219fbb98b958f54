"""Admin settings for the shop connection and carriers (with connector health, last sync and test buttons)
and proactive service (rules, quiet hours, daily cap, dry-run preview). The pages read through the same
functions as the JSON API; the forms write through ``PUT /api/v1/commerce/connection``,
``PUT /api/v1/commerce/carriers`` and ``PUT /api/v1/proactive/settings``; the test buttons call
``POST /api/v1/commerce/connection/test`` and ``POST /api/v1/commerce/carriers/inpost/test``.
"""

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sprawa.commerce.api import commerce_health
from sprawa.commerce.carriers.service import carriers_out
from sprawa.commerce.queries import connection_out
from sprawa.db import utcnow
from sprawa.deps import DbSession, RuntimeDep
from sprawa.proactive.api import preview
from sprawa.proactive.queries import proactive_settings
from sprawa.proactive.schemas import RuleKind
from sprawa.web.pages.settings import SECTIONS
from sprawa.web.render import CurrentPageUser, PageUser, render

router = APIRouter(include_in_schema=False)
# Orders older than this on a connection that should sync are flagged as possibly out of date.
STALE_AFTER = timedelta(hours=6)

# Platform, label, credential fields (key, label) as ShopConnectionIn documents them, needs a shop address.
PLATFORMS = [
    ("demo", "Sklep demonstracyjny", [], False),
    (
        "woocommerce",
        "WooCommerce",
        [
            ("consumer_key", "Klucz klienta (consumer key)"),
            ("consumer_secret", "Sekret klienta (consumer secret)"),
            ("webhook_secret", "Sekret webhooków"),
        ],
        True,
    ),
    (
        "shopify",
        "Shopify",
        [("access_token", "Token dostępu Admin API"), ("webhook_secret", "Sekret webhooków")],
        True,
    ),
    ("prestashop", "PrestaShop", [("api_key", "Klucz API webservice")], True),
    ("baselinker", "BaseLinker", [("token", "Token API")], False),
    (
        "allegro",
        "Allegro",
        [
            ("access_token", "Token dostępu"),
            ("refresh_token", "Token odświeżania (refresh token)"),
            ("client_id", "Client ID aplikacji"),
            ("client_secret", "Client Secret aplikacji"),
        ],
        False,
    ),
]
#: Carriers whose tracking page the shop may replace, with their names.
TEMPLATED_CARRIERS = [("dpd", "DPD"), ("dhl", "DHL"), ("poczta_polska", "Poczta Polska")]
#: Health rows other than the shop's own (whose name is its platform).
SOURCES = {"inpost": "InPost ShipX", "prestashop_threads": "Wiadomości z PrestaShop"}
RULES = {
    RuleKind.LATE: ("Spóźniona przesyłka", "Ile godzin po obiecanej dacie dostawy"),
    RuleKind.NO_SCAN: ("Brak skanu przewoźnika", "Po ilu godzinach bez nowego skanu"),
    RuleKind.DELIVERY_EXCEPTION: ("Problem z doręczeniem", None),
    RuleKind.PICKUP_WAITING: ("Paczka czeka w Paczkomacie", "Po ilu godzinach czekania przypomnieć"),
    RuleKind.PARTIAL_SHIPMENT: ("Częściowa wysyłka", None),
    RuleKind.REFUND_ISSUED: ("Zwrot pieniędzy wykonany", None),
}


def _forbidden(request: Request, user: PageUser) -> HTMLResponse:
    return render(request, "settings/forbidden.html", {}, user=user, status_code=403)


def _page(request: Request, user: PageUser, section: str, context: dict[str, Any]) -> HTMLResponse:
    return render(
        request,
        f"shop_settings/{section}.html",
        {"sections": SECTIONS, "section": section, **context},
        user=user,
    )


@router.get("/app/settings/shop", response_class=HTMLResponse)
def shop_page(request: Request, db: DbSession, user: CurrentPageUser, runtime: RuntimeDep) -> HTMLResponse:
    principal = user.principal
    if not principal.is_admin:
        return _forbidden(request, user)
    health = commerce_health(db, principal, runtime)
    now = utcnow()
    stale = {
        h.source: h.last_success_at is not None and now - h.last_success_at > STALE_AFTER for h in health
    }
    return _page(
        request,
        user,
        "shop",
        {
            "connection": connection_out(db, principal, runtime.settings.public_url),
            "carriers": carriers_out(db, principal, runtime.settings.public_url),
            "templated": TEMPLATED_CARRIERS,
            "sources": SOURCES,
            "platforms": PLATFORMS,
            "health": health,
            "stale": stale,
        },
    )


@router.get("/app/settings/proactive", response_class=HTMLResponse)
def proactive_page(request: Request, db: DbSession, user: CurrentPageUser) -> HTMLResponse:
    if not user.principal.is_admin:
        return _forbidden(request, user)
    settings = proactive_settings(db, user.principal.workspace_id)
    return _page(
        request,
        user,
        "proactive",
        {"settings": settings, "rules": RULES, "settings_json": settings.model_dump_json()},
    )


@router.get("/app/settings/proactive/preview", response_class=HTMLResponse)
def proactive_preview(
    request: Request, db: DbSession, user: CurrentPageUser, runtime: RuntimeDep
) -> HTMLResponse:
    """The "Podgląd" panel (htmx): the dry run of ``GET /api/v1/proactive/preview``; sends nothing."""
    if not user.principal.is_admin:
        return _forbidden(request, user)
    out = preview(db, user.principal, runtime)
    return render(request, "shop_settings/preview.html", {"preview": out, "rules": RULES}, user=user)
