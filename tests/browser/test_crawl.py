"""A walk through every page an admin reaches from the navigation, in Polish and in English.

Each page must load without a failed request (the htmx fragments it pulls in included), without console or
page errors, and without scrolling sideways on a 1366-pixel laptop; shop data in the customer panel shows
as words, never as the connector's codes (``in_transit``, ``bank_transfer``).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, PageProblems, login

ADMIN = "admin@demo.sprawa.local"
RAW_CODE = re.compile(r"^[a-z]+(?:_[a-z]+)+$")


def _hrefs(page: Page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")


def _visit(page: Page, base: str, path: str, failed: list[str]) -> None:
    failed.clear()
    # The case view fetches its AI panel and after-sales fragment: wait for the network to settle there;
    # elsewhere for the page and any htmx request it started on load.
    page.goto(base + path, wait_until="networkidle" if path.startswith("/app/cases/") else "load")
    expect(page.locator(".htmx-request")).to_have_count(0)  # (a locator wait: the strict CSP forbids eval)
    assert failed == [], f"{path}: {failed}"
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{path} scrolls sideways: {width}"


def _pages(page: Page, base: str, failed: list[str]) -> list[str]:
    """Discovered, not listed: the navigation, inbox views, settings sections, RODO and after-sales tabs."""
    _visit(page, base, "/app/inbox", failed)
    paths = _hrefs(page, ".mainnav a") + _hrefs(page, ".inbox-nav a[data-view]")
    paths += _hrefs(page, ".inbox-nav a:has(.chan-email)") + _hrefs(page, ".case-link")[:3]
    _visit(page, base, "/app/settings/channels", failed)
    paths += _hrefs(page, ".settings nav a")
    _visit(page, base, "/app/settings/knowledge", failed)
    paths += _hrefs(page, ".settings-main a[href^='/app/settings/knowledge/']")[:1]
    _visit(page, base, "/app/privacy", failed)
    paths += _hrefs(page, ".subnav a")
    _visit(page, base, "/app/aftersales/returns", failed)
    paths += _hrefs(page, "main a[href^='/app/aftersales/']:not([href*='/cases/'])")
    paths.append("/app/search?q=zwrot")
    return list(dict.fromkeys(p for p in paths if p and p.startswith("/app")))


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_every_page_from_the_navigation_loads_cleanly(
    page: Page, live_server: LiveServer, problems: PageProblems, lang: str
) -> None:
    base = live_server.url
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    login(page, base, ADMIN)
    page.goto(f"{base}/lang/{lang}?next=/app/inbox")
    assert page.locator("html").get_attribute("lang") == lang

    paths = _pages(page, base, failed)
    assert {"/app/inbox", "/app/customers", "/app/settings", "/app/privacy", "/app/insights"} <= set(paths)
    assert sum(p.startswith("/app/settings/") for p in paths) >= 8
    orders_seen, customers = 0, []
    for path in paths:
        _visit(page, base, path, failed)
        if path.startswith("/app/cases/"):
            customers += _hrefs(page, "#cust-h a")
            orders_seen += page.locator(".orders .order").count()
            badges = page.locator(".customer-panel .badge").all_inner_texts()
            assert [b for b in badges if RAW_CODE.match(b.strip())] == [], path
    assert orders_seen > 0  # at least one case showed its customer's orders

    _visit(page, base, customers[0], failed)
    problems.assert_clean()
