"""Workspace pages rendered on the server: inbox views and counts, the case view, settings access."""

from sqlalchemy import select

from sprawa.cases.models import Case
from sprawa.channels.models import Channel
from tests.web.conftest import inbound


def test_inbox_lists_open_cases_with_counts_and_views(agent, email_case):
    page = agent.client.get("/app/inbox")
    unassigned = agent.client.get("/app/inbox?view=unassigned&sort=waiting")
    mine = agent.client.get("/app/inbox?view=mine")
    searched = agent.client.get("/app/inbox?q=paczka")
    missed = agent.client.get("/app/inbox?q=rower")

    assert page.status_code == 200
    assert f'data-case-id="{email_case.id}"' in page.text
    assert 'data-count="open">1<' in page.text and 'data-count="mine">0<' in page.text
    assert email_case.id in unassigned.text and email_case.id not in mine.text
    assert email_case.id in searched.text and email_case.id not in missed.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_pages_need_a_login_and_stay_in_the_workspace(client, outsider, email_case):
    anonymous = client.get("/app/inbox", follow_redirects=False)
    foreign = outsider.client.get(f"/app/cases/{email_case.id}")
    foreign_inbox = outsider.client.get("/app/inbox")

    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert foreign.status_code == 404
    assert email_case.id not in foreign_inbox.text


def test_case_view_shows_customer_text_as_text_and_email_html_sanitised(agent, db, runtime, email_case):
    channel = db.get(Channel, email_case.channel_id)
    case = inbound(
        db,
        runtime,
        channel,
        "Zwrot",
        html='<p onclick="x()">Chcę <b>zwrócić</b></p><script>alert(1)</script>'
        "<blockquote>W dniu wczoraj napisał: stare</blockquote>",
        key="m2",
    )
    plain = inbound(
        db, runtime, channel, "<script>alert(2)</script>\n\nW dniu 1.11 sklep napisał:\n> stare", key="m3"
    )

    html_page = agent.client.get(f"/app/cases/{case.id}").text
    text_page = agent.client.get(f"/app/cases/{plain.id}").text

    assert (
        "<b>zwrócić</b>" in html_page and "<script>alert(1)" not in html_page and "onclick" not in html_page
    )
    assert '<details class="quoted">' in html_page and "<blockquote>W dniu wczoraj" in html_page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in text_page and "<script>alert(2)" not in text_page
    assert "Ewa Kowalska" in text_page


def test_case_view_offers_the_customers_conversations_and_canned_replies(agent, admin, email_case):
    admin.client.post("/api/v1/macros", json={"title": "Paczka", "body": "Dzień dobry, {imie}!"})
    page = agent.client.get(f"/app/cases/{email_case.id}").text

    assert 'id="composer-thread"' in page and "Sklep e-mail" in page
    assert ">Paczka</option>" in page


def test_settings_are_for_admins(agent, admin, db, workspace):
    for section in ("channels", "hours", "teams", "users", "escalation", "policies", "knowledge", "macros"):
        assert admin.client.get(f"/app/settings/{section}").status_code == 200, section
    assert agent.client.get("/app/settings/channels").status_code == 403
    preview = admin.client.post("/app/settings/knowledge/preview", json={"body": "**a** <script>x</script>"})
    assert preview.text == "<p><strong>a</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
    assert agent.client.post("/app/settings/knowledge/preview", json={"body": "x"}).status_code == 403


def test_search_and_customer_pages(agent, db, email_case):
    results = agent.client.get("/app/search?q=paczka").text
    customer = agent.client.get(f"/app/customers/{email_case.customer_id}").text
    listing = agent.client.get("/app/customers?q=ewa").text

    assert f"/app/cases/{email_case.id}" in results
    assert "Ewa Kowalska" in customer and f"#{email_case.number}" in customer
    assert f"/app/customers/{email_case.customer_id}" in listing
    assert db.scalars(select(Case)).first() is not None
    db.rollback()
