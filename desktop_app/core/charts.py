"""How every chart of usage is drawn, whatever draws it: palette, series limits, merging, axis ticks.

The dashboard's charts (`ui/charts.py`, Qt) and the reports' charts (`reports/svg_charts.py`,
SVG and PDF) follow these rules so both show the same picture: the same categorical palette,
busiest developer first, at most `LEGEND_LIMIT` developers plus a grey "others (k)", at most
`BREAKDOWN_LIMIT` entries plus "other (k)", round value steps and day labels that never crowd.
Pure Python: no Qt, no drawing.
"""

import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import Final

from desktop_app.core.store.dashboard import Breakdown, DailySeries

SERIES_COLOURS: Final = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#a0cbe8", "#8cd17d", "#ffbe7d",
)
"""The dashboard's categorical palette, used in order (the dashboard imports it): Tableau-10 (its grey reserved
for "others") and three of its light tints, distinct on light and dark backgrounds."""

OTHERS_COLOUR: Final = "#bab0ac"
"""The merged "others"/"other" series (Tableau's warm grey), as on the dashboard."""

LEGEND_LIMIT: Final = 12
"""The daily chart shows this many busiest developers; the rest are merged into one grey series."""

BREAKDOWN_LIMIT: Final = 8
"""A breakdown shows this many largest entries; the rest are merged into one "other" bar."""

_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _others(count: int) -> str:
    return f"others ({count})"


def _other(count: int) -> str:
    return f"other ({count})"


def merge_developers(series: DailySeries, limit: int = LEGEND_LIMIT,
                     others: Callable[[int], str] = _others) -> DailySeries:
    """The series as drawn: developers without a value dropped, busiest first, beyond `limit` merged.

    The merged series is named `others(k)` ("others (k)"; the dashboard passes its translation).

    Raises:
        ValueError: `series.values` does not match its developers and days.
    """
    if len(series.values) != len(series.developers) or any(len(v) != series.slots for v in series.values):
        raise ValueError("A daily series needs one value per day for every developer.")
    rows = [(name, values) for name, values in zip(series.developers, series.values, strict=True) if any(values)]
    rows.sort(key=lambda row: -sum(row[1]))  # stable: equal totals keep the given order
    if len(rows) > limit:
        rest = rows[limit:]
        merged = tuple(sum(day) for day in zip(*(values for _, values in rest), strict=True))
        rows = [*rows[:limit], (others(len(rest)), merged)]
    return DailySeries(series.days, tuple(name for name, _ in rows), tuple(values for _, values in rows), series.hours)


def merge_breakdown(items: Breakdown, limit: int = BREAKDOWN_LIMIT, other: Callable[[int], str] = _other) -> Breakdown:
    """The breakdown as drawn: zero entries dropped, largest first, beyond `limit` merged into `other(k)`."""
    kept = sorted(((name, count) for name, count in items if count), key=lambda p: -p[1])
    if len(kept) <= limit:
        return tuple(kept)
    rest = kept[limit:]
    return (*kept[:limit], (other(len(rest)), sum(count for _, count in rest)))


def nice_ticks(maximum: float, target: int = 5) -> tuple[int, int]:
    """(top, step): a round step (1, 2 or 5 times a power of ten) and its first multiple at or above `maximum`."""
    maximum = max(float(maximum), 1.0)
    raw = maximum / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1, round(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)))
    return math.ceil(maximum / step) * step, step


def day_ticks(days: Sequence[date], max_labels: int) -> tuple[tuple[int, ...], bool]:
    """Which days get a label (at most `max_labels`), and whether the labels are months rather than days.

    Tries every day, every other day, Mondays, every other Monday, then the first of each month, of
    every other month, quarter, half-year and year; then evenly spaced days.
    """
    count = len(days)
    if not count:
        return (), False
    max_labels = max(1, max_labels)
    indices = range(count)
    mondays = [i for i in indices if days[i].weekday() == 0]
    levels: list[tuple[Sequence[int], bool]] = [(indices, False), (indices[::2], False), (mondays, False),
                                                (mondays[::2], False)]
    levels += [([i for i in indices if days[i].day == 1 and (days[i].month - 1) % every == 0], True)
               for every in (1, 2, 3, 6, 12)]
    for ticks, by_month in levels:
        if 0 < len(ticks) <= max_labels:
            return tuple(ticks), by_month
    return tuple(indices[::math.ceil(count / max_labels)]), count > 62


def day_label(day: date, by_month: bool) -> str:
    """'3 Nov' for a day tick, 'Nov 2026' for a month tick (English, whatever the locale)."""
    month = _MONTHS[day.month - 1]
    return f"{month} {day.year}" if by_month else f"{day.day} {month}"


def series_colour(index: int, merged: bool) -> str:
    """The colour of series `index`: the palette in order, grey for a merged "others" at the end."""
    if merged and index == LEGEND_LIMIT:
        return OTHERS_COLOUR
    return SERIES_COLOURS[index % len(SERIES_COLOURS)]


SPARK_BARS: Final = "▁▂▃▄▅▆▇█"
"""The eight heights of a text sparkline (a per-developer trend in tables)."""
SPARK_WIDTH: Final = 20
"""A sparkline shows at most this many bars: longer periods add up neighbouring days."""


def sparkline(values: Sequence[int], width: int = SPARK_WIDTH) -> str:
    """`values` (oldest first) as a row of bar characters, at most `width` long ('' when all are 0)."""
    if not any(values):
        return ""
    size = max(1, math.ceil(len(values) / max(width, 1)))
    buckets = [sum(values[i:i + size]) for i in range(0, len(values), size)]
    top = max(buckets)
    levels = len(SPARK_BARS)
    return "".join(SPARK_BARS[max(0, math.ceil(v / top * levels) - 1)] if v else " " for v in buckets)
