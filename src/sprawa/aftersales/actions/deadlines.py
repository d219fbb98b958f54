"""Deadline arithmetic of returns and complaints, exactly as ``LEGAL-PL.md`` states it.

Every period counts whole calendar days in the shop's time zone from the day of the event (that day itself
is not counted), so "delivered on Friday 6 November + 14 days" ends on Friday 20 November. Weekends and
public holidays do **not** move a statutory deadline: LEGAL-PL.md gives no such rule, so none is applied.
A shop may be more generous than the law (a longer return window), never stricter.

- Withdrawal (art. 27): 14 days from the day the customer took possession of the goods; for one order
  delivered in parts, from the last part (art. 28). ``ReturnsPolicy.window_days`` may extend it.
- Return of the goods (art. 34): within 14 days of the statement.
- Refund (art. 32): within 14 days of receiving the statement (``RefundsPolicy.refund_within_days`` ≤ 14).
- Complaint answer (art. 7a): within 14 days of receiving the complaint; the clock never pauses.
"""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

STATUTORY_WITHDRAWAL_DAYS = 14
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


def withdrawal_deadline(delivered_at: datetime | None, window_days: int, timezone: str) -> date | None:
    """Last day to send the withdrawal statement: the law's 14 days or the shop's longer window."""
    if delivered_at is None:
        return None
    return local_day(delivered_at, timezone) + timedelta(days=max(STATUTORY_WITHDRAWAL_DAYS, window_days))


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
