"""Opening hours decide whether an "outside hours" auto-reply goes out (time zone and closed dates)."""

from datetime import UTC, datetime

from sprawa.channels.actions.auto_reply import is_open
from sprawa.workspaces.schemas import WeeklyHours

HOURS = WeeklyHours.model_validate(
    {
        "timezone": "Europe/Warsaw",
        "days": {"mon": [{"start": "09:00", "end": "17:00"}]},
        "closed_dates": ["2026-11-30"],
    }
)


def test_open_in_local_time_only():
    assert is_open(HOURS, datetime(2026, 11, 23, 8, 30, tzinfo=UTC))  # 09:30 in Warsaw, Monday
    assert not is_open(HOURS, datetime(2026, 11, 23, 7, 30, tzinfo=UTC))  # 08:30 in Warsaw
    assert not is_open(HOURS, datetime(2026, 11, 24, 10, 0, tzinfo=UTC))  # Tuesday: closed


def test_closed_dates_win():
    assert not is_open(HOURS, datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
