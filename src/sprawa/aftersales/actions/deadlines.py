"""Deadline arithmetic of returns and complaints, exactly as ``LEGAL-PL.md`` states it.

Every period counts whole calendar days in the shop's time zone from the day of the event (that day itself
is not counted), so "delivered on Friday 6 November + 14 days" ends on Friday 20 November. Weekends and
public holidays do **not** move a statutory deadline: LEGAL-PL.md gives no such rule, so none is applied.
A shop may be more generous than the law (a longer return window), never stricter.

- Withdrawal (art. 27): 14 days from the day the customer took possession of the goods; for one order
  delivered in parts, from the last part (art. 28). ``ReturnsPolicy.window_days`` may extend it. When the
  shop did not inform about the right of withdrawal (``ReturnsPolicy.withdrawal_info_given`` off), the
  right ends 12 months after the end of those 14 days (art. 29); a month later than the day that does
  not exist (29 February, the 31st) ends on the month's last day.
- Return of the goods (art. 34): within 14 days of the statement.
- Refund (art. 32): within 14 days of receiving the statement (``RefundsPolicy.refund_within_days`` ≤ 14).
- Complaint answer (art. 7a): within 14 days of receiving the complaint; the clock never pauses.
"""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

STATUTORY_WITHDRAWAL_DAYS = 14
UNINFORMED_EXTENSION_MONTHS = 12
GOODS_RETURN_DAYS = 14
REFUND_DAYS = 14
COMPLAINT_ANSWER_DAYS = 14


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar day of ``moment`` in the shop's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def end_of_day(day: date, timezone: str) -> datetime:
    """The last second of ``day`` in the shop's time zone (an aware datetime)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(timezone)) - timedelta(
        seconds=1
    )


def possession_date(parts: Sequence[datetime | None], order_delivered_at: datetime | None) -> datetime | None:
    """When the withdrawal period starts: delivery of the last part (art. 28).

    ``parts`` holds the delivery time of each parcel of the order (None for a parcel still on its way):
    while any part is missing the period has not started. With no parcels known, the order's own
    delivery time counts; None when the shop has no delivery date at all.
    """
    if parts:
        if any(p is None for p in parts):
            return None
        return max(p for p in parts if p is not None)
    return order_delivered_at


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when that month is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def withdrawal_deadline(
    delivered_at: datetime | None, window_days: int, timezone: str, *, informed: bool = True
) -> date | None:
    """Last day to send the withdrawal statement: the law's 14 days or the shop's longer window, or
    12 months after the 14 days when the customer was not told about the right (art. 29)."""
    if delivered_at is None:
        return None
    start = local_day(delivered_at, timezone)
    statutory = start + timedelta(days=STATUTORY_WITHDRAWAL_DAYS)
    if not informed:
        statutory = add_months(statutory, UNINFORMED_EXTENSION_MONTHS)
    return max(statutory, start + timedelta(days=window_days))


def statement_in_time(statement_at: datetime, deadline: date | None, timezone: str) -> bool | None:
    """Whether the statement came by the deadline (the whole last day counts); None if unknown."""
    if deadline is None:
        return None
    return local_day(statement_at, timezone) <= deadline


def goods_due(statement_at: datetime, timezone: str) -> date:
    return local_day(statement_at, timezone) + timedelta(days=GOODS_RETURN_DAYS)


def refund_due(statement_at: datetime, timezone: str, days: int = REFUND_DAYS) -> date:
    return local_day(statement_at, timezone) + timedelta(days=min(days, REFUND_DAYS))


def complaint_answer_due(received_at: datetime, timezone: str) -> datetime:
    """End of the 14th day after the complaint was received (art. 7a); fixed at intake, never paused."""
    return end_of_day(local_day(received_at, timezone) + timedelta(days=COMPLAINT_ANSWER_DAYS), timezone)
