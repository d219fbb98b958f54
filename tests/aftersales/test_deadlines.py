"""Deadline arithmetic (LEGAL-PL.md): calendar days in the shop's time zone, nothing moved by weekends or
holidays, the last part of a split delivery, the shop's longer window, excepted goods, no delivery date."""

from datetime import UTC, date, datetime, timedelta

import pytest

from sprawa.aftersales.actions import deadlines as d
from sprawa.aftersales.actions.eligibility import LineRequest
from sprawa.aftersales.service import return_eligibility
from tests.aftersales.factories import CREAM, SWEATER, Line, make_order, order_items, setup_shop

WAW = "Europe/Warsaw"


def warsaw(y: int, m: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(y, m, day, hour, minute, tzinfo=ZoneInfo(WAW))


def test_fourteen_calendar_days_from_the_delivery_day() -> None:
    # Friday 6 November 2026 → Friday 20 November.
    assert d.withdrawal_deadline(warsaw(2026, 11, 6, 15), 14, WAW) == date(2026, 11, 20)


@pytest.mark.parametrize(
    ("delivered", "deadline"),
    [
        (warsaw(2026, 11, 7), date(2026, 11, 21)),  # ends on a Saturday: stays Saturday
        (warsaw(2026, 11, 8), date(2026, 11, 22)),  # ends on a Sunday: stays Sunday
        (warsaw(2026, 10, 28), date(2026, 11, 11)),  # ends on Independence Day: stays
        (warsaw(2026, 12, 11), date(2026, 12, 25)),  # ends on Christmas Day: stays
    ],
)
def test_weekends_and_holidays_do_not_move_the_statutory_deadline(
    delivered: datetime, deadline: date
) -> None:
    assert d.withdrawal_deadline(delivered, 14, WAW) == deadline


def test_the_delivery_day_is_the_shops_local_day() -> None:
    # 23:30 UTC on 6 November is already 7 November in Warsaw.
    late = datetime(2026, 11, 6, 23, 30, tzinfo=UTC)
    assert d.local_day(late, WAW) == date(2026, 11, 7)
    assert d.withdrawal_deadline(late, 14, WAW) == date(2026, 11, 21)


def test_a_shops_longer_window_extends_and_a_shorter_one_never_shortens() -> None:
    delivered = warsaw(2026, 11, 6)
    assert d.withdrawal_deadline(delivered, 30, WAW) == date(2026, 12, 6)
    assert d.withdrawal_deadline(delivered, 7, WAW) == date(2026, 11, 20)


def test_partial_delivery_counts_from_the_last_part() -> None:
    first, last = warsaw(2026, 11, 2), warsaw(2026, 11, 9)
    assert d.possession_date([last, first], None) == last
    assert d.withdrawal_deadline(d.possession_date([first, last], None), 14, WAW) == date(2026, 11, 23)
    # A part still on its way: the period has not started.
    assert d.possession_date([first, None], first) is None
    # No parcels known: the order's own delivery time.
    assert d.possession_date([], first) == first


def test_missing_delivery_date_gives_no_deadline() -> None:
    assert d.possession_date([], None) is None
    assert d.withdrawal_deadline(None, 14, WAW) is None
    assert d.statement_in_time(warsaw(2026, 11, 20), None, WAW) is None


def test_the_whole_last_day_counts() -> None:
    deadline = date(2026, 11, 20)
    assert d.statement_in_time(warsaw(2026, 11, 20, 23, 59), deadline, WAW) is True
    assert d.statement_in_time(warsaw(2026, 11, 21, 0, 1), deadline, WAW) is False


def test_goods_refund_and_complaint_deadlines() -> None:
    statement = warsaw(2026, 11, 20, 9)
    assert d.goods_due(statement, WAW) == date(2026, 12, 4)
    assert d.refund_due(statement, WAW) == date(2026, 12, 4)
    assert d.refund_due(statement, WAW, days=7) == date(2026, 11, 27)
    assert d.refund_due(statement, WAW, days=30) == date(2026, 12, 4)  # never later than the law
    due = d.complaint_answer_due(statement, WAW)
    assert due == warsaw(2026, 12, 4, 23, 59) + timedelta(seconds=59)
    assert due.astimezone(UTC) == datetime(2026, 12, 4, 22, 59, 59, tzinfo=UTC)


def test_complaint_deadline_across_the_change_to_winter_time() -> None:
    due = d.complaint_answer_due(warsaw(2026, 10, 20, 10), WAW)
    assert due.astimezone(UTC) == datetime(2026, 11, 3, 22, 59, 59, tzinfo=UTC)


# --- The same rules on real orders -------------------------------------------------------------------


def test_inside_the_window_is_allowed(db, workspace) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, delivered_ago=timedelta(days=5))
    item = order_items(db, order)[0]
    result = return_eligibility(db, workspace.id, order.id, [LineRequest(item.id)])
    assert (result.allowed, result.code, result.window_days) == (True, "ok", 14)
    assert result.deadline == d.local_day(order.delivered_at, "Europe/Warsaw") + timedelta(days=14)


def test_outside_the_law_but_inside_the_shops_longer_window(db, workspace) -> None:
    setup_shop(db, workspace, window_days=30)
    order = make_order(db, workspace, delivered_ago=timedelta(days=20))
    item = order_items(db, order)[0]
    assert return_eligibility(db, workspace.id, order.id, [LineRequest(item.id)]).allowed is True


def test_window_closed(db, workspace) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, delivered_ago=timedelta(days=20))
    item = order_items(db, order)[0]
    result = return_eligibility(db, workspace.id, order.id, [LineRequest(item.id)])
    assert (result.allowed, result.code) == (False, "window_closed")
    assert "Termin na odstąpienie od umowy minął" in result.explain("pl")
    assert "The withdrawal period ended on" in result.explain("en")


def test_excepted_goods_go_to_a_person(db, workspace) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, [SWEATER, CREAM])
    sweater, cream = order_items(db, order, SWEATER.name, CREAM.name)
    result = return_eligibility(db, workspace.id, order.id, [LineRequest(sweater.id), LineRequest(cream.id)])
    assert (result.allowed, result.code, result.excepted) == (False, "excepted", ("Krem do twarzy",))
    assert "art. 38" in result.explain("pl")
    # The sweater alone may go back.
    assert return_eligibility(db, workspace.id, order.id, [LineRequest(sweater.id)]).allowed is True


def test_sealed_goods_are_returnable_unopened_and_made_to_order_goods_never(db, workspace) -> None:
    setup_shop(db, workspace)
    portrait = Line("Portret na zamówienie", "390.00", exception="custom_made")
    order = make_order(db, workspace, [CREAM, portrait])
    cream, custom = order_items(db, order, CREAM.name, portrait.name)
    sealed = return_eligibility(db, workspace.id, order.id, [LineRequest(cream.id)])
    # Art. 38: a sealed cream is excepted only once unsealed after delivery — a person checks the seal.
    assert (sealed.allowed, sealed.code) == (False, "excepted")
    assert "tylko w nienaruszonym zapieczętowanym opakowaniu" in sealed.explain("pl")
    assert "only in its unopened sealed packaging" in sealed.explain("en")
    both = return_eligibility(db, workspace.id, order.id, [LineRequest(cream.id), LineRequest(custom.id)])
    assert both.explain("pl").startswith("„Portret na zamówienie” to produkt, którego")
    assert "Krem" not in both.explain("pl")


def test_split_delivery_counts_from_the_last_parcel(db, workspace) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, [SWEATER, CREAM], parcels=[timedelta(days=20), timedelta(days=2)])
    [sweater] = order_items(db, order, SWEATER.name)
    result = return_eligibility(db, workspace.id, order.id, [LineRequest(sweater.id)])
    # The sweater came 20 days ago, but the order's last part 2 days ago: still in time.
    assert result.allowed is True
    assert result.deadline == d.local_day(result.delivered_at, WAW) + timedelta(days=14)


def test_a_part_still_on_its_way_means_not_delivered(db, workspace) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, [SWEATER, CREAM], parcels=[timedelta(days=3), None])
    [sweater] = order_items(db, order, SWEATER.name)
    result = return_eligibility(db, workspace.id, order.id, [LineRequest(sweater.id)])
    assert (result.allowed, result.code, result.deadline) == (False, "not_delivered", None)


def test_no_delivery_date(db, workspace) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, delivered_ago=None)
    item = order_items(db, order)[0]
    result = return_eligibility(db, workspace.id, order.id, [LineRequest(item.id)])
    assert (result.allowed, result.code, result.deadline) == (False, "no_delivery_date", None)


# --- Art. 29: the shop did not inform about the right of withdrawal -----------------------------------


def test_not_informed_extends_by_twelve_months_after_the_fourteen_days() -> None:
    delivered = warsaw(2026, 11, 6)  # 14 days end on 20 November 2026
    assert d.withdrawal_deadline(delivered, 14, WAW, informed=False) == date(2027, 11, 20)
    # The shop's longer window does not shorten the extension (and counts from delivery, not from day 14).
    assert d.withdrawal_deadline(delivered, 60, WAW, informed=False) == date(2027, 11, 20)


def test_twelve_months_from_a_day_the_later_month_lacks_end_on_its_last_day() -> None:
    assert d.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert d.add_months(date(2026, 12, 20), 12) == date(2027, 12, 20)
    # Delivered 15 February 2028: 14 days end on 29 February (leap year), 12 months later on 28 February.
    assert d.withdrawal_deadline(warsaw(2028, 2, 15), 14, WAW, informed=False) == date(2029, 2, 28)


def _returns_policy(db, workspace, **values) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from sprawa.workspaces.models import Policy, PolicyKind

    row = db.scalars(
        select(Policy).where(Policy.workspace_id == workspace.id, Policy.kind == PolicyKind.RETURNS)
    ).one()
    row.data = {**row.data, **values}
    db.flush()


def test_an_uninformed_customer_may_still_withdraw_months_later(db, workspace) -> None:
    setup_shop(db, workspace)
    _returns_policy(db, workspace, withdrawal_info_given=False)
    order = make_order(db, workspace, delivered_ago=timedelta(days=200))
    item = order_items(db, order)[0]
    result = return_eligibility(db, workspace.id, order.id, [LineRequest(item.id)])
    delivered = d.local_day(order.delivered_at, WAW)
    assert (result.allowed, result.code) == (True, "ok")
    assert result.deadline == d.add_months(delivered + timedelta(days=14), 12)
    assert result.window_days == (result.deadline - delivered).days


# --- Art. 29 §2: the information came late, within the 12 months ---------------------------------------


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (date(2027, 3, 1), date(2027, 3, 15)),  # 14 days after the day the customer got it
        (date(2027, 11, 20), date(2027, 12, 4)),  # on the last day of the 12 months: still §2
        (date(2027, 11, 21), date(2027, 11, 20)),  # after the 12 months: §1 already ended the right
        (date(2026, 11, 10), date(2026, 11, 24)),  # during the 14 days: 14 days from the information
        (date(2026, 11, 1), date(2026, 11, 20)),  # before delivery: the law's 14 days from delivery
    ],
)
def test_late_information_ends_the_period_fourteen_days_after_it_came(received: date, deadline: date) -> None:
    delivered = warsaw(2026, 11, 6)  # the 14 days end on 20 November 2026, the 12 months on 20 Nov 2027
    assert d.withdrawal_deadline(delivered, 14, WAW, informed=False, info_received_on=received) == deadline


def test_late_information_never_shortens_the_shops_longer_window() -> None:
    delivered = warsaw(2026, 11, 6)
    late = d.withdrawal_deadline(delivered, 60, WAW, informed=False, info_received_on=date(2026, 11, 10))
    assert late == date(2027, 1, 5)  # the shop's 60 days beat 14 days from 10 November


def test_which_orders_the_late_information_covers() -> None:
    sent = date(2027, 3, 1)
    assert d.withdrawal_information(date(2027, 2, 28), True, sent) == (False, sent)  # placed before: late
    assert d.withdrawal_information(date(2027, 3, 1), False, sent) == (True, None)  # from that day: informed
    assert d.withdrawal_information(date(2027, 2, 28), False, None) == (False, None)  # never sent: §1
    assert d.withdrawal_information(date(2027, 2, 28), True, None) == (True, None)


@pytest.mark.parametrize(
    ("sent_days_ago", "allowed", "deadline_in_days"),
    [
        (10, True, 4),  # delivered 30 days ago, told 10 days ago: 14 days from then, 4 left
        (20, False, -6),  # told 20 days ago (during the 14 days): ended 6 days ago
        (50, False, -16),  # told before the order was placed (40 days ago): informed, the law's 14 days
    ],
)
def test_late_information_on_real_orders(db, workspace, sent_days_ago, allowed, deadline_in_days) -> None:  # type: ignore[no-untyped-def]
    from sprawa.db import utcnow

    setup_shop(db, workspace)
    today = d.local_day(utcnow(), WAW)
    sent = today - timedelta(days=sent_days_ago)
    _returns_policy(db, workspace, withdrawal_info_given=False, withdrawal_info_sent_on=sent.isoformat())
    order = make_order(db, workspace, delivered_ago=timedelta(days=30))  # placed 40 days ago
    item = order_items(db, order)[0]
    result = return_eligibility(db, workspace.id, order.id, [LineRequest(item.id)])
    assert result.allowed is allowed
    assert result.deadline == today + timedelta(days=deadline_in_days)


def test_an_unanswered_complaint_past_its_deadline_shows_as_deemed_accepted() -> None:
    from sprawa.aftersales.queries import deadline_badge

    due = d.complaint_answer_due(warsaw(2026, 11, 20, 9), WAW)
    before = deadline_badge(due, WAW, now=due - timedelta(hours=1))
    after = deadline_badge(due, WAW, now=due + timedelta(seconds=1))
    assert (before.level, before.deemed_accepted) == (2, False)
    assert (after.level, after.overdue, after.deemed_accepted) == (3, True, True)
    assert "uważa się za uznaną (art. 7a)" in after.label_pl and "deemed accepted" in after.label_en


# --- B2B: a company order follows the shop's B2B policy --------------------------------------------------


def test_a_company_order_goes_to_a_person_unless_the_shop_gives_b2b_withdrawal(db, workspace) -> None:
    setup_shop(db, workspace)
    order = make_order(db, workspace, delivered_ago=timedelta(days=2))
    order.shipping_address = {**order.shipping_address, "company": "Kowalska Design Anna Kowalska"}
    db.flush()
    item = order_items(db, order)[0]
    result = return_eligibility(db, workspace.id, order.id, [LineRequest(item.id)])
    # Never a rejection: a sole trader buying outside their profession has consumer rights; a person checks.
    assert (result.allowed, result.code, result.review_reasons) == (
        False,
        "business_order",
        ("business_order",),
    )
    assert "na prawach konsumenta" in result.explain("pl") and "sole traders" in result.explain("en")
    _returns_policy(db, workspace, business_buyers_may_withdraw=True)
    assert return_eligibility(db, workspace.id, order.id, [LineRequest(item.id)]).allowed is True


# --- Complaints: 2 calendar years of the seller's liability (art. 43a–43g) ----------------------------


@pytest.mark.parametrize(
    ("received", "code"),
    [
        # 1 March 2027 + 2 years is 1 March 2029: 731 days, as 29 February 2028 lies between.
        (datetime(2029, 3, 1, 20, 0, tzinfo=UTC), "within_liability"),
        (datetime(2029, 3, 2, 10, 0, tzinfo=UTC), "liability_expired"),
    ],
)
def test_complaint_liability_is_two_calendar_years_from_delivery(db, workspace, received, code) -> None:  # type: ignore[no-untyped-def]
    from sprawa.aftersales.actions.proposal import propose
    from sprawa.aftersales.models import Complaint, Remedy

    complaint = Complaint(
        id="c-liability",
        workspace_id=workspace.id,
        customer_id="nobody",
        description="Pęknięty zamek.",
        remedy=Remedy.REPAIR,
        evidence=[],
        delivered_at=datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
        received_at=received,
    )
    assert code in {r["code"] for r in propose(db, complaint, received)["reasons"]}
