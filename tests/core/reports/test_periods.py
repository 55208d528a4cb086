"""The Export report menu's periods: weeks from Monday, calendar months."""

from datetime import date

import pytest

from desktop_app.core.reports.periods import export_range
from desktop_app.core.store.dashboard import DayRange


@pytest.mark.parametrize(("period", "today", "first", "last"), [
    ("this_week", date(2026, 12, 4), date(2026, 11, 30), date(2026, 12, 4)),  # a Friday
    ("this_week", date(2026, 11, 30), date(2026, 11, 30), date(2026, 11, 30)),  # a Monday
    ("this_week", date(2026, 12, 6), date(2026, 11, 30), date(2026, 12, 6)),  # a Sunday
    ("last_week", date(2026, 12, 4), date(2026, 11, 23), date(2026, 11, 29)),
    ("last_week", date(2026, 1, 2), date(2025, 12, 22), date(2025, 12, 28)),  # across the year
    ("this_month", date(2026, 12, 4), date(2026, 12, 1), date(2026, 12, 4)),
    ("last_month", date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
    ("custom", date(2026, 12, 4), date(2026, 11, 28), date(2026, 12, 4)),
])
def test_export_periods(period, today, first, last):
    assert export_range(period, today) == DayRange(first, last)
