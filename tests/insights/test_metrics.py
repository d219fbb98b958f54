"""Every metric of the scenario week (tests/insights/scenario.py), computed by hand.

Times in UTC; business hours 08:00–16:00 UTC on weekdays, Tue 2026-01-13 closed.
"""

from datetime import date

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sprawa.auth.models import Role
from sprawa.auth.schemas import Principal
from sprawa.cases.models import AuthorKind, Case
from sprawa.channels.models import Channel
from sprawa.customers.models import Customer
from sprawa.insights.actions.facts import BusinessCalendar, refresh_facts
from sprawa.insights.actions.history import History, Say
from sprawa.insights.models import CaseMetrics, InsightsState
from sprawa.insights.queries import Report, build_report, drill_ids, metrics_out
from sprawa.insights.schemas import Filters, Period
from sprawa.workspaces.schemas import BusinessHoursPolicy
from tests.insights.scenario import NOW, Week, at, seed_week

WEEK = Period(start=date(2026, 1, 12), end=date(2026, 1, 18))


@pytest.fixture
def week(db: Session, workspace) -> Week:  # type: ignore[no-untyped-def]
    seeded = seed_week(db, workspace)
    refresh_facts(db, workspace.id)
    db.commit()
    return seeded


def report(db: Session, workspace, filters: Filters | None = None) -> Report:  # type: ignore[no-untyped-def]
    admin = Principal(workspace_id=workspace.id, role=Role.ADMIN)
    return build_report(db, admin, WEEK, filters or Filters(), now=NOW)


def ids(week: Week, *names: str) -> set[str]:
    return {week.cases[n].id for n in names}


def test_business_calendar_counts_open_hours_only() -> None:
    policy = BusinessHoursPolicy.model_validate(
        {"timezone": "Europe/Warsaw", "days": {"mon": [{"start": "09:00", "end": "17:00"}]}}
    )
    calendar = BusinessCalendar(policy)
    # Mon 2026-01-12 15:30 UTC (16:30 local) to Mon 2026-01-19 08:30 UTC: 30 min + 30 min.
    assert calendar.seconds(at(12, 15, 30), at(19, 8, 30)) == 3600
    assert calendar.seconds(at(12, 17), at(12, 18)) == 0  # after closing
    assert BusinessCalendar(None).seconds(at(12, 0), at(12, 1)) == 3600  # no policy: always open


def test_case_facts(db: Session, week: Week) -> None:
    facts = {f.case_id: f for f in db.scalars(select(CaseMetrics))}
    c = {name: facts[case.id] for name, case in week.cases.items()}
    assert (c["C2"].frt_seconds, c["C2"].frt_business_seconds) == (61200, 1800)  # Mon 30 min, Tue closed
    assert (c["C2"].resolution_seconds, c["C2"].resolution_business_seconds) == (155400, 11400)
    assert (c["C2"].reopen_count, c["C2"].came_back, c["C2"].replies_before_resolution) == (1, True, 1)
    assert c["C2"].first_resolved_at == at(13, 8, 31)
    assert (c["C3"].frt_business_seconds, c["C3"].resolution_business_seconds) == (0, 0)
    assert (c["C3"].first_response_by, c["C3"].escalation_reasons) == ("ai", ["low_confidence"])
    assert (c["C7"].frt_seconds, c["C7"].frt_business_seconds) == (46800, 3600)
    assert c["C5"].repeat_case_id == week.cases["C6"].id  # unknown intent: counted as the same matter
    assert c["C1"].repeat_case_id is None  # Anna's invoice (C4) is another matter
    assert (c["C1"].created_hour, c["C7"].created_hour) == (9, 21)  # local hours


def test_every_headline_number(db: Session, workspace, week: Week) -> None:  # type: ignore[no-untyped-def]
    r = report(db, workspace)
    n = r.current

    def cases(metric: str, part: str = "num") -> set[str]:
        return set(drill_ids(db, r, metric, part))

    assert n.cases == 7 and cases("cases") == ids(week, "C1", "C2", "C3", "C4", "C5", "C6", "C7")
    # First response, calendar: 60, 61200, 60, 600, 120, 46800 (C6 unanswered): median 360, p90 61200.
    assert (n.durations["frt"], n.durations["frt_p90"]) == ((360, 6), (61200, 6))
    assert cases("frt") == ids(week, "C1", "C2", "C3", "C4", "C5", "C7")
    # Business hours: C1 60, C2 1800, C3 0 (closed day), C4 600, C5 120, C7 3600.
    assert n.durations["frt_business"] == (360, 6)
    # Resolution (now resolved): C1 120, C2 155400, C3 1860, C4 900, C5 180; business 120, 11400, 0, 900, 180.
    assert n.durations["resolution"] == (900, 5)
    assert n.durations["resolution_business"] == (180, 5)
    # FCR: C1 and C4 of the 7 judged cases; resolved by the AI: C1 only (C5 had a repeat contact).
    assert (n.ratios["fcr"].num, n.ratios["fcr"].den) == (2, 7)
    assert cases("fcr") == ids(week, "C1", "C4") and len(cases("fcr", "den")) == 7
    assert cases("ai_resolution") == ids(week, "C1")
    assert n.ratios["ai_resolution"].value == pytest.approx(1 / 7)
    assert n.pending == 0
    # The AI handled C1, C3, C5 and escalated C3.
    assert (cases("escalation"), cases("escalation", "den")) == (ids(week, "C3"), ids(week, "C1", "C3", "C5"))
    assert n.escalation_reasons == {"low_confidence": 1}
    assert cases("reopen") == ids(week, "C2") and n.ratios["reopen"].den == 5
    assert cases("sla_first_response") == ids(week, "C2", "C6", "C7")
    assert cases("sla_resolution") == ids(week, "C6", "C7")
    assert n.ratios["sla_first_response"].value == pytest.approx(3 / 7)
    # CSAT: 5, 2, 4 answered (C4's survey unanswered): 2 of 3 are 4–5; 3 of 4 sent were answered.
    assert (n.csat.value, n.csat_response_rate.value) == (pytest.approx(2 / 3), 0.75)
    assert n.csat_average == pytest.approx(11 / 3)
    assert cases("csat") == ids(week, "C1", "C5")
    # NPS: 10, 3, 8, 9 -> 2 promoters, 1 detractor of 4 -> 25.
    assert (n.nps, n.nps_counts) == (25.0, {"promoters": 2, "passives": 1, "detractors": 1})
    # Orders within 24 h after the first reply: Anna (C1) and Ela (C7) of the 6 answered cases.
    assert cases("orders_after_chat") == ids(week, "C1", "C7")
    assert (n.orders_after_chat.num, n.orders_after_chat.den) == (2, 6)
    assert n.revenue["revenue_after_chat"] == 150.0
    assert n.revenue["basket_after_chat"] == 75.0
    assert (n.revenue["orders_in_period"], n.revenue["basket_all_orders"]) == (2, 200.0)
    # Previous week: one case, answered in 30 min, resolved on the first answer.
    assert (r.previous.cases, r.previous.durations["frt"][0], r.previous.ratios["fcr"].value) == (
        1,
        1800,
        1.0,
    )
    # Open right now: C6 (new) and C7 (waiting for the customer), both older than 7 days.
    assert r.backlog["total"] == 2 and r.backlog["by_age"]["> 7 dni"] == 2
    assert set(drill_ids(db, r, "backlog", "> 7 dni")) == ids(week, "C6", "C7")
    # AI quality: one flag (wrong) on 3 AI replies; one knowledge miss (C3's question).
    q = r.ai_quality
    assert (q["flags"], q["ai_replies"], q["knowledge_misses"]) == ({"wrong": 1}, 3, 1)
    assert [(c["count"], c["example"]) for c in q["unanswered"]] == [
        (1, "Czy ten czajnik ma filtr kamienia?")
    ]
    # Volume by channel, intent and local hour.
    channels = {row["key"]: row["cases"] for row in r.breakdowns["channel"]}
    assert channels == {
        week.channels["mail"]: 3,
        week.channels["chat"]: 2,
        week.channels["wa"]: 1,
        week.channels["form"]: 1,
    }
    assert [h for h, count in r.hours if count] == [9, 10, 11, 13, 16, 21]
    assert dict(r.hours)[10] == 2  # C3 (Tue 10:00) and C6 (Sat 10:00)


def test_metric_list_and_drill_down(db: Session, workspace, week: Week) -> None:  # type: ignore[no-untyped-def]
    r = report(db, workspace)
    metrics = {m.key: m for m in metrics_out(r)}
    assert (metrics["fcr"].numerator, metrics["fcr"].denominator, metrics["fcr"].previous) == (2, 7, 1.0)
    assert metrics["cases"].value == 7 and metrics["cases"].previous == 1
    assert set(drill_ids(db, r, "hour", "21")) == ids(week, "C7")
    assert set(drill_ids(db, r, "escalation_reason", "low_confidence")) == ids(week, "C3")
    assert set(drill_ids(db, r, "unanswered", "1")) == ids(week, "C3")
    assert set(drill_ids(db, r, "flags", "wrong")) == ids(week, "C3")


def test_filters_narrow_every_number(db: Session, workspace, week: Week) -> None:  # type: ignore[no-untyped-def]
    r = report(db, workspace, Filters(channel_id=week.channels["mail"]))
    n = r.current
    assert set(drill_ids(db, r, "cases", "num")) == ids(week, "C2", "C5", "C6")
    assert (n.ratios["fcr"].value, n.csat.value) == (0.0, 0.5)  # CSAT 2 and 4
    agent = report(db, workspace, Filters(agent_id=week.agent_id))
    # The agent is the assignee, or else the person who answered first.
    assert set(drill_ids(db, agent, "cases", "num")) == ids(week, "C2", "C3", "C4", "C7")


def test_a_new_case_updates_the_earlier_cases_judgement(db: Session, workspace, week: Week) -> None:  # type: ignore[no-untyped-def]
    """Anna writes about her parcel again within 7 days: C1 is no longer resolved on first contact."""
    # As if the facts had been refreshed on Jan 25 and nothing had changed since.
    db.execute(update(Case).values(updated_at=at(20, 0)))
    db.execute(update(InsightsState).values(facts_through=at(25, 0)))
    customer = db.get(Customer, week.cases["C1"].customer_id)
    chat = db.get(Channel, week.channels["chat"])
    assert customer is not None and chat is not None
    again = History(db, workspace.id).case(
        customer,
        chat,
        [Say(at(15, 9), AuthorKind.CUSTOMER, "Paczka nadal nie dotarła")],
        subject="Paczka",
        intent="order_status",
    )
    # The new case, and the case of the same customer first resolved in the 7 days before it (C1).
    assert refresh_facts(db, workspace.id) == 2
    db.commit()
    c1 = db.scalar(select(CaseMetrics).where(CaseMetrics.case_id == week.cases["C1"].id))
    assert c1 is not None and c1.repeat_case_id == again.id
    r = report(db, workspace)
    assert set(drill_ids(db, r, "fcr", "num")) == ids(week, "C4")
    assert r.current.ratios["ai_resolution"].num == 0


def test_cases_resolved_recently_are_pending(db: Session, workspace, week: Week) -> None:  # type: ignore[no-untyped-def]
    admin = Principal(workspace_id=workspace.id, role=Role.ADMIN)
    early = build_report(db, admin, WEEK, Filters(), now=at(19, 12))
    # On Jan 19 12:00 only C1 (resolved Jan 12 08:32) is past its 7-day window.
    assert set(drill_ids(db, early, "fcr", "den")) == ids(week, "C1")
    assert early.current.pending == 6
    assert early.current.ratios["fcr"].value == 1.0


def test_every_number_is_defined_in_the_docs() -> None:
    from pathlib import Path

    from sprawa.insights.queries import DEFINITIONS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert [key for key in DEFINITIONS if f"`{key}`" not in docs] == []
