"""The insights JSON API, CSV export, access rules and the dashboard page (HTML, server-side SVG)."""

import csv
import io
import re

from sqlalchemy.orm import Session

from tests.factories import Actor, assert_error
from tests.insights.scenario import seed_week

WEEK = "from=2026-01-12&to=2026-01-18"


def seeded(db: Session, workspace):  # type: ignore[no-untyped-def]
    week = seed_week(db, workspace)
    db.commit()
    return week


def test_dashboard_numbers_and_previous_period(db: Session, workspace, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    seeded(db, workspace)
    response = admin.client.get(f"/api/v1/insights/dashboard?{WEEK}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["previous_period"] == {"start": "2026-01-05", "end": "2026-01-11"}
    metrics = {m["key"]: m for m in body["metrics"]}
    assert (metrics["cases"]["value"], metrics["cases"]["previous"]) == (7, 1)
    assert (metrics["fcr"]["numerator"], metrics["fcr"]["denominator"]) == (2, 7)
    assert metrics["frt"]["value"] == 360 and metrics["frt_business"]["value"] == 360
    assert metrics["nps"]["value"] == 25.0
    assert metrics["csat"]["numerator"] == 2 and metrics["csat"]["denominator"] == 3
    tables = {t["key"]: t for t in body["tables"]}
    channels = {row["label"]: row["cases"] for row in tables["channel"]["rows"]}
    assert channels == {"E-mail": 3, "Czat": 2, "WhatsApp": 1, "Formularz": 1}
    daily = next(s for s in body["series"] if s["key"] == "cases")["points"]
    assert [p[1] for p in daily] == [2, 1, 0, 1, 1, 1, 1]  # Mon C1+C2, Tue C3, Wed -, Thu C4, ...


def test_drill_down_lists_the_cases_behind_a_number(db: Session, workspace, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    week = seeded(db, workspace)
    response = admin.client.get(f"/api/v1/insights/cases?{WEEK}&metric=fcr&part=num")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    assert {c["id"] for c in body["cases"]} == {week.cases["C1"].id, week.cases["C4"].id}
    den = admin.client.get(f"/api/v1/insights/cases?{WEEK}&metric=fcr&part=den").json()
    assert den["total"] == 7


def test_csv_export_of_a_table_and_of_drill_down(db: Session, workspace, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    week = seeded(db, workspace)
    response = admin.client.get(f"/api/v1/insights/export/intent.csv?{WEEK}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    by_intent = {r["key"]: r for r in rows}
    assert by_intent["product"]["cases"] == "2"  # C3 and C7
    assert by_intent["order_status"]["fcr"] == "0.5"  # C1 yes, C5 no
    cases = admin.client.get(f"/api/v1/insights/export/cases.csv?{WEEK}&metric=sla_resolution")
    numbers = {r["number"] for r in csv.DictReader(io.StringIO(cases.text.lstrip("\ufeff")))}
    assert numbers == {str(week.cases["C6"].number), str(week.cases["C7"].number)}
    metrics = admin.client.get(f"/api/v1/insights/export/metrics.csv?{WEEK}")
    assert "fcr" in metrics.text
    assert_error(admin.client.get(f"/api/v1/insights/export/nope.csv?{WEEK}"), 404, "no_such_table")


def test_bad_periods_are_clear_errors(admin: Actor) -> None:
    assert_error(
        admin.client.get("/api/v1/insights/dashboard?from=2026-01-18&to=2026-01-12"), 422, "invalid_period"
    )
    assert_error(admin.client.get("/api/v1/insights/dashboard?from=2026-01-18"), 422, "invalid_period")
    assert_error(
        admin.client.get("/api/v1/insights/dashboard?from=2024-01-01&to=2026-01-01"), 422, "invalid_period"
    )


def test_only_admins_of_the_workspace_see_insights(
    db: Session, workspace, agent: Actor, outsider: Actor
) -> None:  # type: ignore[no-untyped-def]
    seeded(db, workspace)
    assert_error(agent.client.get(f"/api/v1/insights/dashboard?{WEEK}"), 403, "admin_only")
    assert_error(agent.client.get(f"/api/v1/insights/export/channel.csv?{WEEK}"), 403, "admin_only")
    foreign = outsider.client.get(f"/api/v1/insights/dashboard?{WEEK}").json()
    assert {m["key"]: m["value"] for m in foreign["metrics"]}["cases"] == 0
    assert agent.client.get("/app/insights").status_code == 403


def test_survey_settings(admin: Actor, agent: Actor) -> None:
    assert admin.client.get("/api/v1/insights/survey-settings").json()["csat_delay_minutes"] == 60
    changed = admin.client.patch(
        "/api/v1/insights/survey-settings", json={"csat_delay_minutes": 15, "nps": False}
    )
    assert changed.status_code == 200 and (changed.json()["csat_delay_minutes"], changed.json()["nps"]) == (
        15,
        False,
    )
    assert_error(
        admin.client.patch("/api/v1/insights/survey-settings", json={"csat_delay_minutes": -1}),
        422,
        "invalid_input",
    )
    assert_error(
        agent.client.patch("/api/v1/insights/survey-settings", json={"nps": True}), 403, "admin_only"
    )


def test_dashboard_page_renders_svg_charts_and_links(db: Session, workspace, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    week = seeded(db, workspace)
    page = admin.client.get(f"/app/insights?{WEEK}")
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") >= 5
    assert "/app/insights/cases?" in html and "/api/v1/insights/export/channel.csv" in html
    assert "28,6 %" in html  # FCR 2/7
    drill = admin.client.get(f"/app/insights/cases?{WEEK}&metric=fcr&part=num")
    assert drill.status_code == 200
    assert (
        f"/app/cases/{week.cases['C1'].id}" in drill.text
        and f"/app/cases/{week.cases['C4'].id}" in drill.text
    )
    assert f"/app/cases/{week.cases['C2'].id}" not in drill.text


def test_dashboard_and_drill_down_speak_the_ui_language(db: Session, workspace, admin: Actor) -> None:  # type: ignore[no-untyped-def]
    seeded(db, workspace)
    drill = admin.client.get(f"/app/insights/cases?{WEEK}&metric=cases&part=num").text
    assert "Data otwarcia" in drill and "Czeka na klienta" in drill and "Rozwiązana" in drill
    assert "pending_customer" not in drill and ">resolved<" not in drill and " UTC<" not in drill
    assert re.search(r"<td>\d\d\.01\.2026 \d\d:\d\d</td>", drill)
    reason = admin.client.get(f"/app/insights/cases?{WEEK}&metric=escalation_reason&part=low_confidence")
    assert "Powody eskalacji AI: Niska pewność AI" in reason.text
    assert "Niska pewność AI" in admin.client.get(f"/app/insights?{WEEK}").text

    admin.client.cookies.set("sprawa_lang", "en")
    page = admin.client.get(f"/app/insights?{WEEK}").text
    assert "Low AI confidence" in page and "Niska pewność AI" not in page
    assert "Order status" in page and "Status zamówienia" not in page
    drill = admin.client.get(f"/app/insights/cases?{WEEK}&metric=cases&part=num").text
    assert "Opened" in drill and "Waiting for customer" in drill and "Resolved" in drill
    assert "Czeka na klienta" not in drill and "pending_customer" not in drill
    reason = admin.client.get(f"/app/insights/cases?{WEEK}&metric=escalation_reason&part=low_confidence")
    assert "AI escalation reasons: Low AI confidence" in reason.text


def test_every_nlu_intent_has_a_label_in_both_languages() -> None:
    from sprawa.ai.nlu.dataset import INTENTS, UNKNOWN
    from sprawa.insights.queries import INTENT_LABELS, REASON_LABELS
    from sprawa.web.translate import catalog
    from sprawa.workspaces.schemas import EscalationReason

    assert set(INTENTS) | {UNKNOWN} <= set(INTENT_LABELS)
    assert set(EscalationReason) <= set(REASON_LABELS)
    polish = [*INTENT_LABELS.values(), *REASON_LABELS.values()]
    assert len(set(INTENT_LABELS.values())) == len(INTENT_LABELS)
    assert not [p for p in polish if p not in catalog("en")]
