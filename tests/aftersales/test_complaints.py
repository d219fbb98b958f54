"""Complaints end to end through the public self-service page: identification, photos, a case with a
14-day deadline that never pauses, a proposal from data, and a person's decision that reaches the customer."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from sprawa.aftersales.actions import deadlines
from sprawa.aftersales.models import Complaint, ComplaintStatus, LookupFailure
from sprawa.aftersales.service import do_decide_complaint
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Attachment, AuthorKind, Case, Direction, Message
from sprawa.platform.errors import Forbidden
from tests.aftersales.factories import (
    EMAIL,
    PNG,
    POSTCODE,
    SWEATER,
    email_channel,
    make_order,
    order_items,
    setup_shop,
)

TOKEN = re.compile(r'name="token" value="([^"]+)"')


def _details(client, slug: str, number: str, **who: str) -> str:
    page = client.post(f"/reklamacje/{slug}", data={"step": "identify", "number": number, **who})
    assert page.status_code == 200, page.text
    return TOKEN.search(page.text).group(1)


def _complaint_form(token: str, item_id: str, **extra: str) -> dict[str, str]:
    return {
        "step": "details",
        "token": token,
        "item": item_id,
        "description": "Po dwóch praniach sweter się spruł na łokciu.",
        "remedy": "replacement",
        **extra,
    }


def test_self_service_complaint_with_photos_to_a_persons_decision(db, client, workspace, agent) -> None:
    team = setup_shop(db, workspace)
    email_channel(db, workspace)
    order = make_order(db, workspace, [SWEATER], delivered_ago=timedelta(days=40))
    item = order_items(db, order)[0]
    db.commit()
    item_id, number = item.id, order.number
    db.rollback()

    token = _details(client, workspace.slug, number, postcode=POSTCODE.replace("-", ""))
    page = client.post(
        f"/reklamacje/{workspace.slug}",
        data=_complaint_form(token, item_id),
        files=[("photos", ("sweter.png", PNG, "image/png")), ("photos", ("lokiec.png", PNG, "image/png"))],
    )
    assert page.status_code == 200, page.text
    assert "Reklamacja nr RK-" in page.text

    complaint = db.scalars(select(Complaint)).one()
    case = db.get(Case, complaint.case_id)
    due_on = deadlines.local_day(complaint.received_at, "Europe/Warsaw") + timedelta(days=14)
    assert complaint.answer_due_by == deadlines.end_of_day(due_on, "Europe/Warsaw")
    assert due_on.strftime("%d.%m.%Y") in page.text
    assert (complaint.status, complaint.source, len(complaint.evidence)) == ("received", "self_service", 2)
    types = set(db.scalars(select(Attachment.content_type).where(Attachment.id.in_(complaint.evidence))))
    assert types == {"image/png"}
    assert complaint.proposal["decision"] == "accepted"
    assert complaint.proposal["facts"]["photos_or_videos"] == 2
    assert complaint.proposal["facts"]["days_since_delivery"] == 40
    assert {r["code"] for r in complaint.proposal["reasons"]} >= {"within_liability", "evidence"}
    assert case.team_id == team.id and case.priority == "high" and "reklamacja" in case.tags
    inbound, confirmation = list(
        db.scalars(select(Message).where(Message.case_id == case.id).order_by(Message.seq))
    )
    assert inbound.direction == Direction.INBOUND and "Po dwóch praniach" in inbound.body_text
    assert f"Odpowiemy najpóźniej {due_on:%d.%m.%Y}" in confirmation.body_text
    assert "mamy od Państwa 2 pliki" in confirmation.body_text
    with_ai = Principal.system(workspace.id, AuthorKind.AI)
    try:
        do_decide_complaint(
            db, with_ai, complaint, decision="accepted", answer="ok", granted_remedy="replacement"
        )
        raise AssertionError("the AI must not decide a complaint")
    except Forbidden:
        db.rollback()
    complaint_id, case_id = complaint.id, case.id
    db.rollback()

    view = agent.client.get(f"/api/v1/cases/{case_id}/aftersales").json()
    badge = view["complaint_badge"]
    assert badge["due_on"] == due_on.isoformat() and badge["overdue"] is False and badge["hours_left"] > 300
    answer = "Dzień dobry,\n\nreklamację uznajemy — wyślemy nowy sweter w tym tygodniu."
    decided = agent.client.post(
        f"/api/v1/complaints/{complaint_id}/decision",
        json={
            "decision": "accepted",
            "granted_remedy": "replacement",
            "follow_up": "replacement",
            "answer": answer,
        },
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["decided_by_id"]) == ("answered", agent.user.id)
    sent = db.scalars(
        select(Message).where(Message.case_id == case_id).order_by(Message.seq.desc()).limit(1)
    ).one()
    assert (sent.body_text, sent.author_user_id, sent.delivery_status) == (answer, agent.user.id, "queued")
    db.rollback()
    assert agent.client.get(f"/api/v1/cases/{case_id}/aftersales").json()["complaint_badge"] is None

    done = agent.client.post(f"/api/v1/complaints/{complaint_id}/follow-up", json={"reference": "602677439"})
    assert done.status_code == 200 and done.json()["status"] == ComplaintStatus.RESOLVED
    last = db.scalars(
        select(Message.body_text).where(Message.case_id == case_id).order_by(Message.seq.desc())
    ).first()
    assert "wysłaliśmy nowy produkt (numer: 602677439)" in last


def test_wrong_identification_is_one_clear_answer_and_is_throttled(db, client, workspace) -> None:
    setup_shop(db, workspace)
    email_channel(db, workspace)
    order = make_order(db, workspace)
    db.commit()
    number = order.number
    db.rollback()
    for who in (
        {"email": "ktos@inny.pl"},
        {"postcode": "00-950"},
        {"email": EMAIL.upper(), "number": "999999"},
    ):
        page = client.post(f"/zwroty/{workspace.slug}", data={"step": "identify", "number": number} | who)
        assert page.status_code == 404
        assert "Nie znaleźliśmy zamówienia o tym numerze" in page.text
    ok = client.post(
        f"/zwroty/{workspace.slug}", data={"step": "identify", "number": number, "email": EMAIL.upper()}
    )
    assert ok.status_code == 200 and "Które produkty odsyłasz?" in ok.text
    for _ in range(8):
        client.post(
            f"/zwroty/{workspace.slug}", data={"step": "identify", "number": number, "postcode": "11-111"}
        )
    blocked = client.post(
        f"/zwroty/{workspace.slug}", data={"step": "identify", "number": number, "email": EMAIL}
    )
    assert blocked.status_code == 429 and "Zbyt wiele nieudanych prób" in blocked.text
    assert db.scalar(select(func.count()).select_from(LookupFailure)) == 11  # 10 for this number


def test_bad_uploads_get_a_clear_message_and_nothing_is_stored(db, client, workspace) -> None:
    setup_shop(db, workspace)
    email_channel(db, workspace)
    order = make_order(db, workspace)
    item = order_items(db, order)[0]
    db.commit()
    item_id, number = item.id, order.number
    db.rollback()
    token = _details(client, workspace.slug, number, email=EMAIL)

    exe = client.post(
        f"/reklamacje/{workspace.slug}",
        data=_complaint_form(token, item_id),
        files=[("photos", ("zdjecie.jpg", b"MZ\x90\x00" + b"\x00" * 200, "image/jpeg"))],
    )
    assert exe.status_code == 422
    assert "Plik „zdjecie.jpg” nie jest zdjęciem ani filmem, który możemy przyjąć" in exe.text
    big = client.post(
        f"/reklamacje/{workspace.slug}",
        data=_complaint_form(token, item_id),
        files=[("photos", ("duze.png", PNG + b"\x00" * (10 * 1024 * 1024), "image/png"))],
    )
    assert big.status_code == 422
    assert "Plik „duze.png” ma 10,0 MB — jeden plik może mieć najwyżej 10 MB" in big.text
    # The form comes back with what the customer wrote, ready to try again.
    assert "Po dwóch praniach sweter się spruł" in big.text and TOKEN.search(big.text)
    client.cookies.set("sprawa_lang", "en")
    english = client.post(
        f"/reklamacje/{workspace.slug}",
        data=_complaint_form(token, item_id),
        files=[("photos", ("notes.txt", b"just text", "text/plain"))],
    )
    assert "The file “notes.txt” is not a photo or video we can accept." in english.text
    assert db.scalar(select(func.count()).select_from(Complaint)) == 0
    assert db.scalar(select(func.count()).select_from(Case)) == 0


def test_self_service_return_inside_the_window_gives_the_instructions(db, client, workspace) -> None:
    setup_shop(db, workspace)
    email_channel(db, workspace)
    order = make_order(db, workspace)
    item = order_items(db, order)[0]
    db.commit()
    item_id, number = item.id, order.number
    db.rollback()
    page = client.post(
        f"/zwroty/{workspace.slug}", data={"step": "identify", "number": number, "email": EMAIL}
    )
    token = TOKEN.search(page.text).group(1)
    done = client.post(
        f"/zwroty/{workspace.slug}",
        data={"step": "details", "token": token, f"qty_{item_id}": "1", "method": "paczkomat", "reason": ""},
    )
    assert done.status_code == 200, done.text
    assert "ZW-LESNA-2026" in done.text and 'id="goods-due"' in done.text
    forged = client.post(
        f"/zwroty/{workspace.slug}", data={"step": "details", "token": token + "x", f"qty_{item_id}": "1"}
    )
    assert forged.status_code == 400 and "Formularz wygasł" in forged.text
