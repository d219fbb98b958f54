"""XSS in Chromium: a batch of payloads from tests/security/xss_payloads.py rendered in the agent's case page
(e-mail HTML body, subject, From name, attachment name, chat text) and in the customer's chat widget (agent
replies). Pass: no dialog (every payload calls alert), no page error, no CSP violation report.
"""

from playwright.sync_api import Page, expect
from sqlalchemy import select

from sprawa.auth.models import User
from sprawa.auth.queries import principal_for_user
from sprawa.cases.models import Case, Message
from sprawa.cases.service import do_reply
from sprawa.channels.base import IdentityClaim, InboundAttachment, InboundMessage
from sprawa.channels.models import Channel, ChannelKind
from sprawa.channels.service import ingest_message
from sprawa.customers.models import IdentityKind
from tests.browser.conftest import LiveServer, PageProblems, login
from tests.security.xss_payloads import payloads

# Every 10th payload: all vectors, each in one of the break-out contexts.
BATCH = payloads()[::10]
START = "xss-widget-start"
CSP_RECORDER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def _watch_csp(page: Page) -> None:
    page.add_init_script(CSP_RECORDER)


def _ingest_batch(live_server: LiveServer) -> str:
    with live_server.runtime.factory.begin() as db:
        email = db.scalars(select(Channel).where(Channel.kind == ChannelKind.EMAIL)).first()
        chat = db.scalars(select(Channel).where(Channel.kind == ChannelKind.WEBCHAT)).first()
        channel = email or chat
        case_id = None
        for n, payload in enumerate(BATCH):
            message = ingest_message(
                db,
                live_server.runtime.ingest,
                channel,
                InboundMessage(
                    provider_message_id=f"xss-browser-{n}",
                    thread_external_id="xss-browser",
                    identities=[IdentityClaim(IdentityKind.EMAIL, "xss-browser@example.pl", True)],
                    text=payload,
                    html=payload,
                    subject=payload,
                    name=payload,
                    attachments=[InboundAttachment(payload[:200], "text/html", b"<script>alert(1)</script>")],
                ),
            )
            assert message is not None
            case_id = message.case_id
        assert case_id is not None
        return case_id


def test_payloads_in_the_case_page_never_run(page: Page, live_server: LiveServer, problems: PageProblems):
    case_id = _ingest_batch(live_server)
    _watch_csp(page)
    login(page, live_server.url, next_path=f"/app/cases/{case_id}")
    expect(page.locator(".msg-in").first).to_be_visible()
    assert page.locator(".msg-in").count() >= len(BATCH)
    page.wait_for_timeout(300)  # let lazy images, autofocus and animations fire if they could
    assert page.evaluate("window.__csp") == []
    assert page.locator(".timeline script, .timeline iframe, .timeline svg, .timeline [onerror]").count() == 0
    problems.assert_clean()


def test_payloads_in_the_widget_never_run(new_page, live_server: LiveServer, problems: PageProblems):
    customer = new_page({"width": 390, "height": 760})
    _watch_csp(customer)
    customer.goto(f"{live_server.url}/demo/sklep")
    customer.click(".sprawa-launcher")
    customer.fill(".sprawa-form textarea", f"Dzień dobry {START}")
    customer.keyboard.press("Enter")
    expect(customer.locator(".sprawa-mine").first).to_be_visible()
    customer.wait_for_timeout(500)
    before = customer.locator(".sprawa-theirs").count()  # the assistant's own answer, if any
    with live_server.runtime.factory.begin() as db:
        # The visitor's own case: the one holding the message the widget just sent.
        case = db.scalars(
            select(Case)
            .join(Message, Message.case_id == Case.id)
            .where(Message.body_text == f"Dzień dobry {START}")
        ).first()
        user = db.scalars(
            select(User).where(User.workspace_id == case.workspace_id, User.role == "agent")
        ).first()
        agent = principal_for_user(db, user)
        for payload in BATCH[:19]:
            do_reply(db, agent, case, payload)
    expect(customer.locator(".sprawa-theirs")).to_have_count(before + 19, timeout=20_000)
    customer.reload()
    expect(customer.locator(".sprawa-panel")).to_be_visible()
    customer.wait_for_timeout(300)
    assert customer.evaluate("window.__csp") == []
    problems.assert_clean()
