"""The insights dashboard in a real browser on the demo workspace (90 days of seeded history)."""

import re

from playwright.sync_api import Page

from tests.browser.conftest import LiveServer, PageProblems, login

ADMIN = "admin@demo.sprawa.local"


def test_dashboard_charts_drill_down_and_csv(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    login(page, live_server.url, ADMIN, "/app/insights")
    assert page.url.endswith("/app/insights")
    assert page.locator("svg.chart").count() >= 5
    assert page.locator("svg.chart-bars rect.bar").count() >= 30  # one bar per day of the last 30 days
    assert page.locator("svg.chart polyline.prev").count() == 1  # the previous period for comparison
    total = int(page.locator("[data-metric=cases] .value").inner_text().replace(" ", ""))
    assert total > 30
    assert page.locator("[data-metric=fcr] h2").get_attribute("title", timeout=2000)
    # What the AI really resolved: needless hand-offs and what agents did with the AI's drafts.
    assert page.locator("[data-metric=unnecessary_escalation] .value").count() == 1
    assert page.locator("#ai-quality #drafts").count() == 1

    fcr = page.locator("[data-metric=fcr]")
    numerator = int(fcr.locator(".detail").inner_text().split("/")[0])
    fcr.locator(".value").click()
    page.wait_for_url(re.compile(r"/app/insights/cases\?.*metric=fcr"), timeout=30_000)
    assert page.locator("table.drill-cases tbody tr").count() == min(numerator, 500)
    first = page.locator("table.drill-cases tbody tr a").first.get_attribute("href")
    assert first is not None and first.startswith("/app/cases/")

    with page.expect_download() as download_info:
        page.locator("a.csv-link").click()
    rows = download_info.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "id,number,subject,status,created_at,channel" and len(rows) == numerator + 1

    page.go_back()
    page.wait_for_url(re.compile(r"/app/insights($|\?)"), timeout=30_000)
    with page.expect_download() as download_info:
        page.locator("#table-channel a.csv-link").click()
    table = download_info.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert table[0].startswith("key,label,cases,frt,")
    assert len(table) >= 3

    # A period and a filter from the form narrow the numbers.
    page.select_option("select[name=intent]", "return")
    page.locator(".period-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"intent=return"), timeout=30_000)
    narrowed = int(page.locator("[data-metric=cases] .value").inner_text().replace(" ", ""))
    assert 0 < narrowed < total
    problems.assert_clean()


def test_agents_do_not_see_insights(page: Page, live_server: LiveServer) -> None:
    login(page, live_server.url)
    assert page.locator("nav.mainnav a[href='/app/insights']").count() == 0
    response = page.goto(f"{live_server.url}/app/insights")
    assert response is not None and response.status == 403
