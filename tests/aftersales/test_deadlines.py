"""Deadline arithmetic (LEGAL-PL.md): calendar days in the shop's time zone, nothing moved by weekends or
holidays, the last part of a split delivery, the shop's longer window, excepted goods, no delivery date."""

from datetime import UTC, date, datetime, timedelta

import pytest

from sprawa.aftersales.actions import deadlines as d
from sprawa.aftersales.actions.eligibility import LineRequest
from sprawa.aftersales.service import return_eligibility
from tests.aftersales.factories import CREAM, SWEATER, make_order, order_items, setup_shop

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
