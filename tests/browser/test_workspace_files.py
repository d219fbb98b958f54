"""Agents' files from the composer to the shop's chat, unread markers kept by the server, and the
business hours form, in Chromium against the live demo server."""

import base64
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, PageProblems, login
from tests.browser.test_workspace import open_widget, widget_send

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _file(name: str, mime: str, data: bytes) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def test_agent_attaches_files_and_the_customer_opens_them_in_the_chat(
    new_page, live_server: LiveServer, problems: PageProblems
) -> None:
    customer = new_page({"width": 390, "height": 760})
    open_widget(customer, live_server.url)
    widget_send(customer, "Poproszę fakturę i zdjęcie paczki.")
    expect(customer.locator(".sprawa-mine:not(.sprawa-pending)", has_text="fakturę")).to_be_visible()

    agent = new_page()
    login(agent, live_server.url, next_path="/app/inbox")
    agent.locator(".case-row", has_text="Poproszę fakturę").locator("a").click()
    agent.wait_for_selector("#case-view[data-ready]")
    picker = agent.locator("#composer-file")
    expect(picker).to_be_enabled()  # the chat sends files

    # A wrong type is refused with the server's message; chosen files show as removable chips.
    picker.set_input_files(files=[_file("skrypt.txt", "text/plain", b"#!/bin/sh\necho hej\n")])
    expect(agent.locator("#composer-file-error")).to_contain_text("Tego typu pliku nie można wysłać")
    # The browser logs the refused upload (422) as a failed request: expected here, nothing else is.
    assert [e for e in problems.console_errors if "422" not in e] == []
    problems.console_errors.clear()
    picker.set_input_files(
        files=[
            _file("faktura.pdf", "application/pdf", PDF),
            _file("paczka.png", "image/png", PNG),
            _file("zbedne.png", "image/png", PNG),
        ]
    )
    chips = agent.locator("#composer-chips .file-chip[data-file-id]")
    expect(chips).to_have_count(3)
    agent.get_by_role("button", name="Usuń załącznik zbedne.png").click()
    expect(chips).to_have_count(2)
    agent.fill("#composer-text", "W załączniku faktura i zdjęcie.")
    agent.keyboard.press("Control+Enter")

    sent = agent.locator(".msg-out", has_text="W załączniku faktura")
    expect(sent.locator(".attachments a[download]")).to_have_count(2)
    expect(sent.locator(".attachments img[alt='paczka.png']")).to_be_visible()
    expect(agent.locator("#composer-chips .file-chip")).to_have_count(0)

    # The customer sees both without a reload: the photo as a preview, the PDF as a download.
    reply = customer.locator(".sprawa-theirs", has_text="W załączniku faktura")
    expect(reply.locator(".sprawa-file")).to_have_count(2)
    preview = reply.locator("img.sprawa-preview[alt='paczka.png']")
    expect(preview).to_be_visible()
    customer.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=preview.element_handle())
    with customer.expect_download() as download:
        reply.locator(".sprawa-file", has_text="faktura.pdf").click()
    assert download.value.suggested_filename == "faktura.pdf"
    assert Path(download.value.path()).read_bytes() == PDF

    # After a reload the files are still there (history carries them).
    customer.reload()
    expect(customer.locator(".sprawa-theirs .sprawa-file", has_text="faktura.pdf")).to_have_count(1)
    problems.assert_clean()


def test_unread_marker_goes_when_opened_and_comes_back_with_a_new_customer_message(
    new_page, live_server: LiveServer, problems: PageProblems
) -> None:
    customer = new_page({"width": 390, "height": 760})
    open_widget(customer, live_server.url)
    widget_send(customer, "Czy rower jest dostępny w rozmiarze L?")

    agent = new_page()
    login(agent, live_server.url, next_path="/app/inbox")
    agent.wait_for_selector("#inbox[data-ready]")
    row = agent.locator(".case-row", has_text="rower jest dostępny")
    expect(row).to_have_class(re.compile(r"\bunread\b"))
    expect(agent.locator("[data-unread=open]")).to_be_visible()
    before = int(re.sub(r"\D", "", agent.locator("[data-unread=open]").inner_text()))

    row.locator("a").click()
    agent.wait_for_selector("#case-view[data-ready]")
    agent.click("#back-to-inbox")
    agent.wait_for_selector("#inbox[data-ready]")
    row = agent.locator(".case-row", has_text="rower jest dostępny")
    expect(row).not_to_have_class(re.compile(r"\bunread\b"))
    after = agent.locator("[data-unread=open]")
    assert (int(re.sub(r"\D", "", after.inner_text())) if after.count() else 0) == before - 1

    # A new message from the customer makes it unread again, live.
    agent.evaluate("window.__sameDocument = true")
    widget_send(customer, "A w kolorze czerwonym?")
    expect(row).to_have_class(re.compile(r"\bunread\b"))
    assert agent.evaluate("window.__sameDocument") is True
    problems.assert_clean()


def test_business_hours_are_edited_in_a_form(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    login(page, live_server.url, email="admin@demo.sprawa.local", next_path="/app/settings/hours")
    saturday = page.locator("tr[data-day=sat]")
    for remove in saturday.locator(".remove-row").all():
        remove.click()
    saturday.locator(".add-row").click()
    saturday.locator("input[name=sat_start]").fill("10:00")
    saturday.locator("input[name=sat_end]").fill("14:00")
    page.locator("#rows-holidays ~ .add-row").click()
    page.locator("#rows-holidays input[type=date]").last.fill("2026-07-15")
    page.click("#hours-form button[type=submit]")

    expect(page.locator(".notice.ok")).to_have_text("Zapisano nową wersję.")
    saturday = page.locator("tr[data-day=sat]")
    expect(saturday.locator("input[name=sat_start]")).to_have_value("10:00")
    expect(saturday.locator("input[name=sat_end]")).to_have_value("14:00")
    expect(page.locator("#rows-holidays input[value='2026-07-15']")).to_have_count(1)

    # Closing before opening is refused by the server, in Polish, by the day.
    saturday.locator("input[name=sat_end]").fill("09:00")
    page.click("#hours-form button[type=submit]")
    expect(page.locator("tr[data-day=sat] .field-error")).to_have_text(
        "Godzina otwarcia musi być wcześniejsza niż godzina zamknięcia."
    )
    expect(page.locator(".notice.error")).to_contain_text("Nie zapisano")
    assert [e for e in problems.console_errors if "422" not in e] == []  # the refused form is a 422 page
    problems.console_errors.clear()

    # Removing the hours closes the day again.
    page.locator("tr[data-day=sat] .remove-row").click()
    page.click("#hours-form button[type=submit]")
    expect(page.locator(".notice.ok")).to_be_visible()
    expect(page.locator("input[name=sat_start]")).to_have_count(0)
    expect(page.locator("tr[data-day=sat] .closed-label")).to_be_visible()
    problems.assert_clean()
