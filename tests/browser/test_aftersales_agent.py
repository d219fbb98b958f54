"""The agents' after-sales pages in Chromium: the complaint decision form with a templated answer, and the
returns queue's bulk "goods received" (demo data seeded by ``aftersales.actions.demo``)."""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from sprawa.aftersales.models import Complaint, Return
from sprawa.cases.models import Message
from tests.browser.conftest import LiveServer, PageProblems, login


def test_decide_a_complaint_with_a_template(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    login(page, live_server.url, "tomasz@demo.sprawa.local", "/app/aftersales/complaints")
    expect(page.locator("h1")).to_have_text("Reklamacje")
    first = page.locator("table.queue tbody tr").first
    expect(first.locator(".deadline-badge")).to_contain_text("Odpowiedź do")
    first.locator("td a").first.click()
    expect(page.locator("#deadline")).to_be_visible()
    page.select_option("#answer-template", label="PL · Uznana — wymiana")
    expect(page.locator("#answer")).to_have_value(re.compile("uznajemy"))
    assert page.locator("input[name=decision][value=accepted]").is_checked()
    assert page.locator("#granted_remedy").input_value() == "replacement"
    page.select_option("#follow_up", "replacement")
    complaint_id = page.url.rsplit("/", 1)[-1]
    page.click("#decision-form button[type=submit]")
    expect(page.locator("h1 .badge")).to_have_text("odpowiedziano")
    with live_server.runtime.factory() as db:
        complaint = db.get(Complaint, complaint_id)
        assert complaint is not None and complaint.decision == "accepted"
        sent = db.get(Message, complaint.answer_message_id)
        assert sent is not None and "uznajemy" in sent.body_text
    problems.assert_clean()


def test_bulk_goods_received(page: Page, live_server: LiveServer, problems: PageProblems) -> None:
    login(page, live_server.url, "tomasz@demo.sprawa.local", "/app/aftersales/returns?queue=awaiting_goods")
    boxes = page.locator("input[name='return_ids[]']")
    ids = [boxes.nth(i).get_attribute("value") for i in range(boxes.count())]
    assert ids
    page.check("#select-all")
    page.click("#bulk-received button[type=submit]")
    expect(page.locator("table.queue")).to_have_count(0)
    with live_server.runtime.factory() as db:
        statuses = set(db.scalars(select(Return.status).where(Return.id.in_(ids))))
        assert statuses == {"received"}
    page.goto(f"{live_server.url}/app/aftersales/returns?queue=to_refund")
    expect(page.locator("table.queue tbody tr").first.locator("button")).to_have_text("Pieniądze zwrócone")
    problems.assert_clean()


def test_reject_a_late_return_from_the_review_queue(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    login(page, live_server.url, "tomasz@demo.sprawa.local", "/app/aftersales/returns?queue=review")
    row = page.locator("table.queue tbody tr").first
    expect(row).to_contain_text("po terminie")
    return_id = (row.get_attribute("id") or "").removeprefix("return-")
    row.locator("input[name=reason]").fill("Zwrot zgłoszono po 30 dniach od doręczenia.")
    row.locator("button", has_text="Odrzuć").click()
    expect(page.locator(f"#return-{return_id}")).to_have_count(0)
    with live_server.runtime.factory() as db:
        ret = db.get(Return, return_id)
        assert ret is not None and ret.status == "rejected"
        assert ret.rejection_reason == "Zwrot zgłoszono po 30 dniach od doręczenia."
    problems.assert_clean()
