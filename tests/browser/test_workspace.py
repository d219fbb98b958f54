"""The agent workspace and the chat widget together in Chromium, as a customer and an agent use them.

One live server for the session; the flow tests share it, so each one writes its own distinct texts.
"""

import base64
import re
import time

from playwright.sync_api import Page, expect

from sprawa.channels.base import IdentityClaim, InboundMessage
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.service import ingest_message
from sprawa.customers.models import IdentityKind
from tests.browser.conftest import LiveServer, PageProblems, login

XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def open_widget(page: Page, url: str) -> None:
    page.goto(f"{url}/demo/sklep")
    page.click(".sprawa-launcher")
    expect(page.locator(".sprawa-panel")).to_be_visible()


def widget_send(page: Page, text: str) -> None:
    page.fill(".sprawa-form textarea", text)
    page.keyboard.press("Enter")


def test_chat_reaches_the_inbox_live_and_the_reply_reaches_the_customer(
    new_page, live_server: LiveServer, problems: PageProblems
) -> None:
    agent = new_page()
    login(agent, live_server.url, next_path="/app/inbox")
    agent.wait_for_selector("#inbox[data-ready]")
    agent.evaluate("window.__sameDocument = true")
    expect(agent.locator("#live-state")).to_have_text("na żywo")

    customer = new_page({"width": 390, "height": 760})  # a phone
    open_widget(customer, live_server.url)
    widget_send(customer, f"Gdzie jest paczka? {XSS}")

    # The case appears in the open inbox without a reload; the customer's text is text.
    row = agent.locator(".case-row", has_text="Gdzie jest paczka?")
    expect(row).to_be_visible()
    assert agent.evaluate("window.__sameDocument") is True
    expect(row).to_have_class(re.compile(r"\bunread\b"))
    row.locator("a").click()
    body = agent.locator(".msg-in .msg-body", has_text="Gdzie jest paczka?")
    expect(body).to_contain_text(XSS)
    assert agent.locator(".timeline img[src=x]").count() == 0

    agent.fill("#composer-text", "Dzień dobry! Paczka jest już w drodze.")
    agent.keyboard.press("Control+Enter")
    expect(agent.locator(".msg-out", has_text="Paczka jest już w drodze.")).to_be_visible()
    expect(customer.locator(".sprawa-theirs", has_text="Paczka jest już w drodze.")).to_be_visible()

    # "Talk to a person": the case is escalated at once and the agent sees it live.
    customer.click(".sprawa-human")
    expect(customer.locator(".sprawa-system", has_text="Przekazaliśmy rozmowę")).to_be_visible()
    expect(customer.locator(".sprawa-human")).to_have_attribute("aria-pressed", "true")
    expect(agent.locator("#escalated-badge")).to_be_visible()
    expect(agent.locator(".activity", has_text="eskalacja do człowieka")).to_be_visible()

    # A dropped connection replays what was missed, once.
    customer.context.set_offline(True)
    time.sleep(0.3)
    agent.fill("#composer-text", "Wysłaliśmy też e-mail z numerem przesyłki.")
    agent.keyboard.press("Control+Enter")
    expect(agent.locator(".msg-out", has_text="numerem przesyłki")).to_be_visible()
    time.sleep(0.5)
    assert customer.locator(".sprawa-theirs", has_text="numerem przesyłki").count() == 0
    customer.context.set_offline(False)
    expect(customer.locator(".sprawa-theirs", has_text="numerem przesyłki")).to_have_count(1)

    # A photo reaches the case with a preview; a file of another kind is refused with a clear message.
    attach = customer.locator(".sprawa-attach input[type=file]")
    attach.set_input_files(files=[{"name": "notatki.txt", "mimeType": "text/plain", "buffer": b"abc"}])
    expect(customer.locator(".sprawa-error[role=alert]")).to_contain_text("tylko zdjęcia")
    attach.set_input_files(files=[{"name": "paczka.png", "mimeType": "image/png", "buffer": PIXEL}])
    expect(agent.locator(".attachments img[alt='paczka.png']")).to_be_visible()

    # The optional e-mail, so the shop can also answer later by e-mail.
    customer.fill(".sprawa-email input[type=email]", "klientka@example.pl")
    customer.click(".sprawa-email button[type=submit]")
    expect(customer.locator(".sprawa-notice", has_text="klientka@example.pl")).to_be_visible()
    expect(agent.locator(".activity", has_text="klientka@example.pl")).to_be_visible()

    # A reload shows the same conversation, nothing twice.
    customer.reload()
    expect(customer.locator(".sprawa-panel")).to_be_visible()
    expect(customer.locator(".sprawa-theirs", has_text="numerem przesyłki")).to_have_count(1)
    expect(customer.locator(".sprawa-mine", has_text="Gdzie jest paczka?")).to_have_count(1)
    expect(customer.locator(".sprawa-mine .sprawa-text").first).to_contain_text(XSS)
    problems.assert_clean()


def test_email_html_is_sanitised_and_quoted_history_collapsed(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    runtime = live_server.runtime
    with runtime.factory.begin() as db:
        channel = db.query(Channel).filter(Channel.kind == ChannelKind.EMAIL).first()
        assert channel is not None
        message = ingest_message(
            db,
            runtime.ingest,
            channel,
            InboundMessage(
                provider_message_id="<xss-test@example.com>",
                thread_external_id="<xss-test@example.com>",
                identities=[IdentityClaim(IdentityKind.EMAIL, "xss.tester@example.com", verified=True)],
                name="Ewa Testowa",
                subject="Reklamacja czajnika",
                text="Czajnik przecieka.",
                html=(
                    "<p>Czajnik <b>przecieka</b>.</p><script>alert('html')</script>"
                    '<img src=x onerror="alert(3)"><a href="javascript:alert(4)">link</a>'
                    "<blockquote>W dniu 1.11 sklep napisał: stara wiadomość</blockquote>"
                ),
            ),
        )
        assert message is not None
        case_id = message.case_id
    login(page, live_server.url, next_path=f"/app/cases/{case_id}")
    body = page.locator(".msg-in .email-html").first
    expect(body).to_contain_text("Czajnik przecieka.")
    assert page.locator(".timeline script, .timeline img[src=x], .timeline a[href^=javascript]").count() == 0
    quoted = page.locator("details.quoted")
    expect(quoted).not_to_have_attribute("open", "")
    expect(quoted.locator(".email-html")).not_to_be_visible()
    quoted.locator("summary").click()
    expect(quoted.locator(".email-html")).to_contain_text("stara wiadomość")
    problems.assert_clean()


def test_keyboard_moves_through_the_inbox_and_the_case(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    login(page, live_server.url, next_path="/app/inbox?view=unassigned")
    page.wait_for_selector("#inbox[data-ready]")
    page.keyboard.press("j")
    first = page.locator(".case-row.selected")
    expect(first).to_have_count(1)
    number = first.locator(".num").inner_text()
    page.keyboard.press("Enter")
    expect(page.locator(".case-head h1")).to_contain_text(number)
    page.wait_for_selector("#case-view[data-ready]")

    page.keyboard.press("a")
    expect(page.locator("#ctl-assignee option:checked")).to_have_text("Agnieszka Wiśniewska")
    page.click(".flag-toggle[data-flag=vip]")
    expect(page.locator(".customer-panel .flag-vip")).to_be_visible()  # the live re-read shows the badge
    page.keyboard.press("n")
    expect(page.locator("#tab-note")).to_have_attribute("aria-selected", "true")
    page.keyboard.type("Sprawdzić u kuriera")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".timeline .note", has_text="Sprawdzić u kuriera")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    expect(page.locator("#case-status")).to_have_text("Rozwiązana")
    page.keyboard.press("j")
    expect(page.locator(".case-head h1")).not_to_contain_text(number)
    page.wait_for_selector("#case-view[data-ready]")
    problems.assert_clean()


def test_admin_edits_a_knowledge_article_with_preview(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    login(page, live_server.url, email="admin@demo.sprawa.local", next_path="/app/settings/knowledge")
    article = page.locator("table.grid a").first
    title = article.inner_text()
    article.click()
    expect(page.locator("h1")).to_have_text(title)
    version = page.locator("p.muted").first.inner_text()

    page.fill(
        "#art-body",
        "## Dostawa w 24 h\n\nWysyłamy **w dzień roboczy** po zaksięgowaniu wpłaty. <b>bez HTML</b>",
    )
    preview = page.locator("#article-preview")
    expect(preview.locator("h2")).to_have_text("Dostawa w 24 h")
    expect(preview.locator("strong")).to_have_text("w dzień roboczy")
    expect(preview).to_contain_text("<b>bez HTML</b>")  # raw HTML in an article stays text
    page.click("#article-form button[type=submit]")
    page.wait_for_url("**/app/settings/knowledge")
    page.locator("table.grid a", has_text=title).click()
    expect(page.locator("#art-body")).to_have_value(re.compile("Wysyłamy \\*\\*w dzień roboczy\\*\\*"))
    assert page.locator("p.muted").first.inner_text() != version
    problems.assert_clean()
