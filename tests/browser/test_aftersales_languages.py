"""The public returns page in Ukrainian (and the complaint page's upload message in German), in Chromium:
the language switch, the whole form and the confirmation in that language, the notification too."""

from playwright.sync_api import Page, expect
from sqlalchemy import select

from sprawa.aftersales.models import Return
from sprawa.cases.models import Case, Direction, Message
from sprawa.commerce.models import Order
from sprawa.workspaces.models import Workspace
from tests.browser.conftest import LiveServer, PageProblems


def _order_without_returns(live_server: LiveServer) -> tuple[str, str]:
    with live_server.runtime.factory() as db:
        order = db.scalars(
            select(Order)
            .join(Workspace, Workspace.id == Order.workspace_id)
            .where(
                Workspace.slug == "demo",
                Order.status == "delivered",
                Order.customer_email.is_not(None),
                Order.id.not_in(select(Return.order_id)),
            )
            .order_by(Order.number.desc())
        ).first()
        assert order is not None and order.customer_email
        return order.number, order.customer_email


def test_self_service_return_in_ukrainian(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    number, email = _order_without_returns(live_server)
    page.goto(f"{live_server.url}/zwroty/demo")
    expect(page.locator("h1")).to_have_text("Zwrot produktów")
    page.click(".lang-switch a[hreflang=uk]")
    expect(page.locator("h1")).to_have_text("Повернення товарів")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("label[for=number]")).to_have_text("Номер замовлення")

    page.fill("#number", number)
    page.fill("#email", email)
    page.click("#identify-form button[type=submit]")
    expect(page.locator("#details-form legend").first).to_have_text("Які товари ви повертаєте?")
    page.locator("#details-form select").first.select_option("1")
    page.click("#details-form button[type=submit]")
    expect(page.locator("#confirmation h2")).to_contain_text("№ ZW-")
    expect(page.locator("#confirmation h2")).to_contain_text("прийнято")

    with live_server.runtime.factory() as db:
        ret = db.scalars(
            select(Return).join(Order, Order.id == Return.order_id).where(Order.number == number)
        ).one()
        case = db.get(Case, ret.case_id)
        assert case is not None and case.language == "uk"
        last = db.scalars(
            select(Message.body_text)
            .where(Message.case_id == case.id, Message.direction == Direction.OUTBOUND)
            .order_by(Message.seq.desc())
        ).first()
        # The confirmation is the Ukrainian notification; the AI does not answer the form's message.
        assert last is not None and last.startswith("Добрий день!") and ret.number in last
    problems.assert_clean()


def test_complaint_page_upload_message_in_german(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    number, email = _order_without_returns(live_server)
    page.goto(f"{live_server.url}/reklamacje/demo?lang=de")
    expect(page.locator("h1")).to_have_text("Reklamation eines Artikels")
    page.fill("#number", number)
    page.fill("#email", email)
    page.click("#identify-form button[type=submit]")
    expect(page.locator("label[for=description]")).to_have_text("Was ist nicht in Ordnung?")
    page.set_input_files(
        "#photos",
        files=[{"name": "rechnung.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ\x90\x00"}],
    )
    expect(page.locator("#upload-error")).to_have_text(
        "Die Datei „rechnung.exe“ ist kein Foto oder Video, das wir annehmen können. Fügen Sie ein Foto "
        "(JPG, PNG, WEBP oder HEIC) oder ein Video (MP4 oder MOV) hinzu."
    )
    problems.assert_clean()
