"""The workspace shell in a real browser: login, language switch, logout, strict CSP without violations."""

from playwright.sync_api import Page

from tests.browser.conftest import LiveServer, PageProblems, login


def test_login_switch_language_and_logout(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    page.goto(f"{live_server.url}/app")
    assert "/login" in page.url

    page.fill("#email", "agnieszka@demo.sprawa.local")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "Nieprawidłowy e-mail lub hasło."

    login(page, live_server.url)
    assert page.locator(".topbar .who").inner_text() == "Agnieszka Wiśniewska"
    page.click("a.lang[hreflang=en]")
    assert page.locator("button[hx-post='/logout']").inner_text() == "Log out"
    page.click("button[hx-post='/logout']")
    page.wait_for_url("**/login")
    page.goto(f"{live_server.url}/app")
    assert "/login" in page.url
    page.goto(f"{live_server.url}/lang/pl?next=/login")
    problems.assert_clean()
