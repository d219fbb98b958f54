"""Proactive settings in a real browser: toggle a rule, see the dry-run count, save (and restore)."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, PageProblems, login

ADMIN = "admin@demo.sprawa.local"


def _toggle_and_save(page: Page) -> bool:
    box = page.locator("#rule-partial_shipment")
    before = box.is_checked()
    box.click()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/proactive/settings")) as saved:
        page.locator("#proactive-form button[type=submit]").click()
    assert saved.value.status == 200
    page.wait_for_load_state("networkidle")
    return before


def test_admin_toggles_a_rule_sees_the_preview_and_saves(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    login(page, live_server.url, ADMIN, "/app/settings/proactive")
    expect(page.locator("#proactive-preview li[data-rule=late] .preview-count")).to_contain_text(
        "Ta reguła wysłałaby teraz wiadomość do"
    )

    before = _toggle_and_save(page)
    page.reload()
    expect(page.locator("#rule-partial_shipment")).to_be_checked(checked=not before)
    expect(page.locator("#proactive-preview li[data-rule=late]")).to_be_visible()

    _toggle_and_save(page)  # the demo workspace is shared by the browser tests: put it back
    problems.assert_clean()


def test_admin_sets_a_tracking_page_and_tests_the_connections(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    login(page, live_server.url, ADMIN, "/app/settings/shop")
    expect(page.locator("#inpost-base-url")).to_be_disabled()  # the demo's simulated ShipX
    page.locator("#tracking-dpd").fill("https://sledzenie.example.pl/dpd?numer={n}")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/commerce/carriers")) as saved:
        page.locator("#carrier-form button[type=submit]").click()
    assert saved.value.status == 200
    page.wait_for_load_state("networkidle")
    page.reload()
    expect(page.locator("#tracking-dpd")).to_have_value("https://sledzenie.example.pl/dpd?numer={n}")

    page.get_by_role("button", name="Sprawdź połączenie z InPost").click()
    expect(page.locator("#inpost-test-result")).to_have_text("Połączenie działa.")
    page.get_by_role("button", name="Sprawdź połączenie", exact=True).click()
    expect(page.locator("#shop-test-result")).to_have_text("Połączenie działa.")

    page.locator("#tracking-dpd").fill("")  # the demo workspace is shared by the browser tests: put it back
    with page.expect_response(lambda r: r.url.endswith("/api/v1/commerce/carriers")) as restored:
        page.locator("#carrier-form button[type=submit]").click()
    assert restored.value.status == 200
    problems.assert_clean()
