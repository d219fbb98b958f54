"""The public complaint page in Chromium: identify with order number + e-mail, pick the item, describe it,
upload photos (a wrong type and a too big file get a clear message), and get the deadline."""

from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from sprawa.aftersales.actions.deadlines import local_day
from sprawa.aftersales.models import Complaint
from sprawa.commerce.models import Order
from sprawa.db import utcnow
from sprawa.workspaces.models import Workspace
from tests.aftersales.factories import PNG
from tests.browser.conftest import LiveServer, PageProblems


def _delivered_order(live_server: LiveServer) -> tuple[str, str]:
    with live_server.runtime.factory() as db:
        order = db.scalars(
            select(Order)
            .join(Workspace, Workspace.id == Order.workspace_id)
            .where(Workspace.slug == "demo", Order.status == "delivered", Order.customer_email.is_not(None))
            .order_by(Order.number.desc())
        ).first()
        assert order is not None and order.customer_email
        return order.number, order.customer_email


def test_self_service_complaint_with_bad_uploads(
    page: Page, live_server: LiveServer, problems: PageProblems
) -> None:
    number, email = _delivered_order(live_server)
    page.goto(f"{live_server.url}/reklamacje/demo")
    expect(page.locator("h1")).to_have_text("Reklamacja produktu")

    page.fill("#number", number)
    page.fill("#email", "ktos.inny@example.pl")
    page.click("#identify-form button[type=submit]")
    expect(page.locator("#form-error")).to_contain_text("Nie znaleźliśmy zamówienia o tym numerze")
    # The page answers that miss with 404, which Chromium reports on the console; nothing else may appear.
    assert [e for e in problems.console_errors if "404" not in e] == []
    problems.console_errors.clear()

    page.fill("#email", email)
    page.click("#identify-form button[type=submit]")
    page.locator("input[name=item]").first.check()
    page.fill("#description", "Zamek błyskawiczny rozpiął się przy pierwszym użyciu i nie da się go zapiąć.")
    page.select_option("#remedy", "repair")

    page.set_input_files(
        "#photos",
        files=[{"name": "faktura.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ\x90\x00"}],
    )
    expect(page.locator("#upload-error")).to_have_text(
        "Plik „faktura.exe” nie jest zdjęciem ani filmem, który możemy przyjąć. Dodaj zdjęcie JPG, PNG, WEBP "
        "lub HEIC albo film MP4 lub MOV."
    )
    big = PNG + b"\x00" * (11 * 1024 * 1024)
    page.set_input_files("#photos", files=[{"name": "zdjecie.png", "mimeType": "image/png", "buffer": big}])
    expect(page.locator("#upload-error")).to_have_text(
        "Plik „zdjecie.png” ma 11,0 MB — jeden plik może mieć najwyżej 10 MB. Zmniejsz zdjęcie albo dodaj "
        "krótszy film."
    )
    # The rejected file is not kept: sending now would go without it.
    assert page.evaluate("document.getElementById('photos').files.length") == 0

    page.set_input_files("#photos", files=[{"name": "zamek.png", "mimeType": "image/png", "buffer": PNG}])
    expect(page.locator("#upload-error")).to_be_hidden()
    page.click("#details-form button[type=submit]")
    expect(page.locator("#confirmation h2")).to_contain_text("Reklamacja nr RK-")
    due = local_day(utcnow(), "Europe/Warsaw") + timedelta(days=14)
    expect(page.locator("#answer-due")).to_have_text(due.strftime("%d.%m.%Y"))

    with live_server.runtime.factory() as db:
        complaint = db.scalars(select(Complaint).order_by(Complaint.created_at.desc())).first()
        assert complaint is not None and complaint.remedy == "repair" and len(complaint.evidence) == 1
    problems.assert_clean()
