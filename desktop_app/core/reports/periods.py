"""The periods the tray's Export report menu offers: weeks (Monday to Sunday) and calendar months."""

from datetime import date, timedelta
from typing import Final, Literal, get_args

from desktop_app.core.store.dashboard import DayRange, RangePreset, preset_range

ExportPeriod = Literal["this_week", "last_week", "this_month", "last_month", "custom"]
EXPORT_PERIODS: Final[tuple[ExportPeriod, ...]] = get_args(ExportPeriod)


def export_range(period: ExportPeriod, today: date) -> DayRange:
    """The days `period` means on `today`; this week and this month end today, custom starts as the last 7 days."""
    monday = today - timedelta(days=today.weekday())
    match period:
        case "this_week":
            return DayRange(monday, today)
        case "last_week":
            return DayRange(monday - timedelta(days=7), monday - timedelta(days=1))
        case "this_month":
            return preset_range(RangePreset.THIS_MONTH, today)
        case "last_month":
            return preset_range(RangePreset.LAST_MONTH, today)
        case "custom":
            return preset_range(RangePreset.LAST_7_DAYS, today)
