"""Admin settings as forms (no JSON): business hours and holidays, escalation rules and the shop's
policies are saved through the policy service, and problems come back by the field in Polish."""

import re

from sqlalchemy import func, select

from sprawa.workspaces.models import Policy, PolicyKind, Team


def _csrf(actor) -> str:
    return actor.client.headers["X-CSRF-Token"]


def _post(actor, url: str, data: list[tuple[str, str]]):
    form: dict[str, list[str]] = {"csrf_token": [_csrf(actor)]}
    for name, value in data:
        form.setdefault(name, []).append(value)
    return actor.client.post(url, data=form, headers={"X-CSRF-Token": ""}, follow_redirects=False)


def _versions(db, kind: PolicyKind) -> int:
    n = db.scalar(select(func.count()).select_from(Policy).where(Policy.kind == kind))
    db.rollback()
    return n


def _active(admin, kind: str) -> dict:
    return admin.client.get(f"/api/v1/policies/{kind}").json()["data"]


def test_business_hours_and_holidays_are_saved_from_the_form(admin, db):
    response = _post(
        admin,
        "/app/settings/hours",
        [
            ("timezone", "Europe/Warsaw"),
            ("mon_start", "08:30"),
            ("mon_end", "12:00"),
            ("mon_start", "13:00"),
            ("mon_end", "16:30"),
            ("fri_start", "09:00"),
            ("fri_end", "15:00"),
            ("closed_date", "2026-12-24"),
            ("closed_date", ""),
            ("closed_date", "2026-12-31"),
        ],
    )

    assert (response.status_code, response.headers["location"]) == (303, "/app/settings/hours?saved=1")
    assert _active(admin, "business_hours") == {
        "timezone": "Europe/Warsaw",
        "days": {
            "mon": [{"start": "08:30:00", "end": "12:00:00"}, {"start": "13:00:00", "end": "16:30:00"}],
            "fri": [{"start": "09:00:00", "end": "15:00:00"}],
        },
        "closed_dates": ["2026-12-24", "2026-12-31"],
    }
    page = admin.client.get("/app/settings/hours?saved=1").text
    assert "Zapisano nową wersję." in page
    assert 'name="mon_start" value="13:00"' in page and 'value="2026-12-31"' in page
    assert 'data-type="json"' not in page and "<textarea" not in page


def test_bad_hours_are_refused_in_polish_and_nothing_is_stored(admin, db):
    response = _post(
        admin,
        "/app/settings/hours",
        [
            ("timezone", "Europa/Warszawa"),
            ("tue_start", "17:00"),
            ("tue_end", "09:00"),
            ("closed_date", "24.12.2026"),
        ],
    )

    assert response.status_code == 422
    page = response.text
    assert "Nie zapisano — popraw zaznaczone pola." in page
    assert "Nieznana strefa czasowa — wpisz np. Europe/Warsaw." in page
    assert "Godzina otwarcia musi być wcześniejsza niż godzina zamknięcia." in page
    assert "Podaj datę w formacie RRRR-MM-DD." in page
    assert 'value="Europa/Warszawa"' in page  # what the admin typed stays in the form
    assert _versions(db, PolicyKind.BUSINESS_HOURS) == 0
    overlap = _post(
        admin,
        "/app/settings/hours",
        [("timezone", "Europe/Warsaw"), *[("wed_start", "09:00")] * 0]
        + [("wed_start", "09:00"), ("wed_end", "14:00"), ("wed_start", "12:00"), ("wed_end", "18:00")],
    )
    assert overlap.status_code == 422
    assert re.search(r'data-day="wed">.*?Godziny w tym dniu nakładają się\.', overlap.text, re.S)


def test_forms_need_the_csrf_token_and_an_admin(admin, agent, db):
    forged = admin.client.post("/app/settings/hours", data={"timezone": "UTC"}, headers={"X-CSRF-Token": ""})
    by_agent = _post(agent, "/app/settings/policies/sla", [("first_response_minutes", "5")])

    assert forged.status_code == 403 and by_agent.status_code == 403
    assert _versions(db, PolicyKind.BUSINESS_HOURS) == 0 and _versions(db, PolicyKind.SLA) == 0


def test_escalation_rules_form_keeps_only_rules_that_differ_from_the_defaults(admin, db, workspace):
    team = Team(workspace_id=workspace.id, name="Reklamacje", skills=["complaint"])
    db.add(team)
    db.commit()
    enabled = [
        ("enabled_" + r, "1")
        for r in (
            "human_request",
            "frustration",
            "complaint",
            "legal",
            "health_safety",
            "data_protection",
            "vip_customer",
            "repeat_contact",
            "failed_action",
            "approval_required",
            "ai_turn_limit",
        )
    ]  # low_confidence switched off
    response = _post(
        admin,
        "/app/settings/escalation",
        [
            *enabled,
            ("team_complaint", team.id),
            ("priority_complaint", "high"),
            ("priority_legal", "high"),  # the reason's default: no rule needed
            ("frustration_threshold", "0,65"),
            ("ai_turn_limit", "6"),
        ],
    )

    assert response.status_code == 303, response.text
    data = _active(admin, "escalation")
    assert data["rules"] == [
        {"reason": "complaint", "enabled": True, "team_id": team.id, "priority": "high"},
        {"reason": "low_confidence", "enabled": False, "team_id": None, "priority": "normal"},
    ]
    assert (data["frustration_threshold"], data["ai_turn_limit"]) == (0.65, 6)
    page = admin.client.get("/app/settings/escalation").text
    assert re.search(rf'<option value="{team.id}" selected>Reklamacje', page)
    assert 'id="enabled-low_confidence" name="enabled_low_confidence" value="1" >' in page

    too_many = _post(
        admin, "/app/settings/escalation", [("frustration_threshold", "2"), ("ai_turn_limit", "x")]
    )
    assert too_many.status_code == 422
    assert "Wartość może wynosić najwyżej 1." in too_many.text and "Wpisz liczbę." in too_many.text
    assert _versions(db, PolicyKind.ESCALATION) == 1


def test_shop_policies_are_typed_forms(admin, db):
    page = admin.client.get("/app/settings/policies").text
    assert 'name="window_days"' in page and 'type="number"' in page
    assert 'name="return_methods" value="paczkomat"' in page
    assert '<textarea id="policy-returns-notes"' in page
    assert 'href="/app/settings/hours"' in page and 'href="/app/settings/escalation"' in page

    saved = _post(
        admin,
        "/app/settings/policies/returns",
        [
            ("window_days", "30"),
            ("return_shipping_paid_by", "shop"),
            ("return_methods", "paczkomat"),
            ("return_methods", "in_store"),
            ("store_address", "ul. Długa 1, Kraków"),
            ("withdrawal_info_given", "1"),
        ],
    )
    assert saved.status_code == 303
    data = _active(admin, "returns")
    assert (data["window_days"], data["return_shipping_paid_by"], data["ai_may_start_return"]) == (
        30,
        "shop",
        False,
    )
    assert data["return_methods"] == ["paczkomat", "in_store"]

    short = _post(
        admin, "/app/settings/policies/returns", [("window_days", "7"), ("return_methods", "courier")]
    )
    refunds = _post(
        admin, "/app/settings/policies/refunds", [("methods", "gift_card"), ("refund_within_days", "14")]
    )
    assert short.status_code == 422 and "Wartość musi wynosić co najmniej 14." in short.text
    assert 'id="policy-returns" open' in short.text and 'value="7"' in short.text
    assert refunds.status_code == 422 and "art. 32 ustawy o prawach konsumenta" in refunds.text
    assert _versions(db, PolicyKind.RETURNS) == 1 and _versions(db, PolicyKind.REFUNDS) == 0
