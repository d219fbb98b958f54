"""Deadline arithmetic of returns and complaints, exactly as ``LEGAL-PL.md`` states it.

Every period counts whole calendar days in the shop's time zone from the day of the event (that day itself
is not counted), so "delivered on Friday 6 November + 14 days" ends on Friday 20 November. Weekends and
public holidays do **not** move a statutory deadline: LEGAL-PL.md gives no such rule, so none is applied.
A shop may be more generous than the law (a longer return window), never stricter.

- Withdrawal (art. 27): 14 days from the day the customer took possession of the goods; for one order
  delivered in parts, from the last part (art. 28). ``ReturnsPolicy.window_days`` may extend it. When the
  shop did not inform about the right of withdrawal (``ReturnsPolicy.withdrawal_info_given`` off), the
  right ends 12 months after the end of those 14 days (art. 29 §1); a month later than the day that does
  not exist (29 February, the 31st) ends on the month's last day. When the shop sent the information
  afterwards (``ReturnsPolicy.withdrawal_info_sent_on``, e.g. an e-mail to the customers of earlier
  orders) and it came within those 12 months, the period ends 14 days after the day the customer got it
  (art. 29 §2). A shop knows the day it sent the information, not when each customer read it: the sending
  day counts as the day of receipt (an e-mail arrives that day), never earlier than the law's 14 days.
- Return of the goods (art. 34): within 14 days of the statement.
- Refund (art. 32): within 14 days of receiving the statement (``RefundsPolicy.refund_within_days`` ≤ 14);
  the shop may hold it until the goods or the proof of sending arrive (ust. 4).
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


def withdrawal_information(placed_on: date, informed: bool, sent_on: date | None) -> tuple[bool, date | None]:
    """Was the customer of an order placed on ``placed_on`` informed of the right of withdrawal, and if
    the information came later, on which day: ``(informed, received_on)``.

    With ``sent_on`` (the day the shop sent the missing information) orders placed before it got it that
    day and orders placed from it on were informed; without it the shop's ``informed`` flag decides.
    """
    if sent_on is None:
        return informed, None
    if placed_on >= sent_on:
        return True, None
    return False, sent_on


def withdrawal_deadline(
    delivered_at: datetime | None,
    window_days: int,
    timezone: str,
    *,
    informed: bool = True,
    info_received_on: date | None = None,
) -> date | None:
    """Last day to send the withdrawal statement: the law's 14 days or the shop's longer window; when the
    customer was not told about the right, 12 months after the 14 days (art. 29 §1), or 14 days after
    the day the information came if it came within those 12 months (art. 29 §2)."""
    if delivered_at is None:
        return None
    start = local_day(delivered_at, timezone)
    statutory = start + timedelta(days=STATUTORY_WITHDRAWAL_DAYS)
    if not informed:
        extended = add_months(statutory, UNINFORMED_EXTENSION_MONTHS)
        if info_received_on is not None and info_received_on <= extended:
            statutory = max(statutory, info_received_on + timedelta(days=STATUTORY_WITHDRAWAL_DAYS))
        else:
            statutory = extended
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


def refund_due_when_held(due: date, back_on: date | None) -> date | None:
    """When the refund is late at the earliest, for a shop that holds it until the goods or the proof of
    sending arrive (art. 32 ust. 4, whichever comes first): ``due``, or the day they came if later (the
    14 days are then over, so the refund is owed at once); None while neither came (holding is lawful)."""
    if back_on is None:
        return None
    return max(due, back_on)


def complaint_answer_due(received_at: datetime, timezone: str) -> datetime:
    """End of the 14th day after the complaint was received (art. 7a); fixed at intake, never paused."""
    return end_of_day(local_day(received_at, timezone) + timedelta(days=COMPLAINT_ANSWER_DAYS), timezone)
