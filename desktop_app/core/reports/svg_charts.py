"""The reports' charts: requests per day by developer and the breakdowns, laid out once, drawn as SVG.

Owns how a report chart looks (the dashboard's siblings in `ui/charts.py` follow the same rules,
`core.charts`: palette, series limits, merging, ticks) and its layout as plain shapes (`Chart`:
bars with a tooltip, legend swatches, rules and labels in a width x height box, dark on white so
it prints). `to_svg` writes a chart as an SVG string (no libraries, every text escaped); the PDF
report draws the same `Chart` with its own primitives, so both documents show the same picture. Pure Python: no Qt.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal
from xml.sax.saxutils import escape

from desktop_app.core.charts import (
    BREAKDOWN_LIMIT,
    LEGEND_LIMIT,
    OTHERS_COLOUR,
    SERIES_COLOURS,
    day_label,
    day_ticks,
    merge_breakdown,
    merge_developers,
    nice_ticks,
    series_colour,
)
from desktop_app.core.store.dashboard import Breakdown, DailySeries

NO_DATA: Final = "No data in this period"
"""What an empty chart says."""

BACKGROUND: Final = "#ffffff"
TEXT: Final = "#202020"
GRID: Final = "#d6d6d6"
AXIS: Final = "#8a8a8a"
FONT_FAMILY: Final = "Helvetica, Arial, 'DejaVu Sans', sans-serif"

BAR_SHARE: Final = 0.8
"""How much of its slot (a day, a breakdown row) a bar fills."""

_NAME_CHARS: Final = 28  # longer names are elided on axes and in the legend (tooltips show them whole)
_TITLE_SIZE: Final = 14.0
_LABEL_SIZE: Final = 11.0
_MARGIN: Final = 8.0
_TITLE_BASELINE: Final = 20.0
_PLOT_TOP: Final = 40.0
_DAY_AXIS_HEIGHT: Final = 26.0
_LEGEND_ROW: Final = 18.0
_SWATCH: Final = 11.0
_BREAKDOWN_ROW: Final = 22.0
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Anchor = Literal["start", "middle", "end"]


@dataclass(frozen=True)
class Bar:
    """A bar (or a segment of a stacked bar), with the tooltip naming what it shows."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    tooltip: str


@dataclass(frozen=True)
class Swatch:
    """A legend's colour sample."""

    x: float
    y: float
    size: float
    colour: str


@dataclass(frozen=True)
class Rule:
    """A straight line: an axis or a grid line."""

    x1: float
    y1: float
    x2: float
    y2: float
    colour: str


@dataclass(frozen=True)
class Label:
    """A line of text; `y` is its baseline, `anchor` says which end of it `x` is."""

    x: float
    y: float
    text: str
    size: float = _LABEL_SIZE
    anchor: Anchor = "start"
    bold: bool = False
    colour: str = TEXT


@dataclass(frozen=True)
class Chart:
    """A chart as shapes in a `width` x `height` box (y grows downwards), white behind them."""

    title: str
    width: float
    height: float
    bars: tuple[Bar, ...] = ()
    swatches: tuple[Swatch, ...] = ()
    rules: tuple[Rule, ...] = ()
    labels: tuple[Label, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether the chart shows its empty-state message instead of bars."""
        return not self.bars


@dataclass(frozen=True)
class _Plot:
    """The box the bars are drawn in and the value its top edge stands for."""

    left: float
    top: float
    right: float
    bottom: float
    maximum: float

    def y_of(self, value: float) -> float:
        """The vertical position of `value` (0 at the bottom edge)."""
        return self.bottom - (self.bottom - self.top) * value / self.maximum


# --- shared with the dashboard's charts ----------------------------------------------------------

def elide(name: str, chars: int = _NAME_CHARS) -> str:
    """`name`, shortened with an ellipsis when longer than `chars` (axes and legends; tooltips keep it whole)."""
    return name if len(name) <= chars else name[:chars - 1] + "…"


def text_width(text: str, size: float) -> float:
    """About how wide `text` is at font size `size` in a sans-serif font (wide East Asian characters count double)."""
    wide = sum(1 for char in text if unicodedata.east_asian_width(char) in {"W", "F"})
    return (0.58 * (len(text) - wide) + 1.0 * wide) * size


# --- layout --------------------------------------------------------------------------------------

def empty_chart(title: str, width: float = 900.0, height: float = 140.0, message: str = NO_DATA) -> Chart:
    """A chart with its title and `message` where the bars would be."""
    labels = (_title(title), Label(width / 2, (height + _PLOT_TOP) / 2, message, size=12.0, anchor="middle"))
    return Chart(title, width, height, labels=labels)


def _title(title: str) -> Label:
    return Label(_MARGIN, _TITLE_BASELINE, title, size=_TITLE_SIZE, bold=True)


def _legend(names: Sequence[str], left: float, merged: bool) -> tuple[tuple[Swatch, ...], tuple[Label, ...]]:
    """The legend's swatches and names in one column from the plot's top, busiest first."""
    swatches, labels = [], []
    for index, name in enumerate(names):
        top = _PLOT_TOP + index * _LEGEND_ROW
        swatches.append(Swatch(left, top + 2, _SWATCH, series_colour(index, merged)))
        labels.append(Label(left + _SWATCH + 6, top + _SWATCH, elide(name)))
    return tuple(swatches), tuple(labels)


def _value_axis(plot: _Plot, step: int) -> tuple[tuple[Rule, ...], tuple[Label, ...]]:
    """Round counts from 0 to the plot's top at its left edge, with grid lines across."""
    rules, labels = [], []
    for value in range(0, int(plot.maximum) + 1, step):
        y = plot.y_of(value)
        rules.append(Rule(plot.left, y, plot.right, y, AXIS if value == 0 else GRID))
        labels.append(Label(plot.left - 6, y + 4, f"{value:,}", anchor="end"))
    return tuple(rules), tuple(labels)


def _day_axis(days: Sequence[date], plot: _Plot) -> tuple[Label, ...]:
    """The day labels under the columns, thinned to as many as fit."""
    slot = (plot.right - plot.left) / len(days)
    room = text_width("Nov 2026", _LABEL_SIZE) + 14
    ticks, by_month = day_ticks(days, int((plot.right - plot.left) / room))
    return tuple(Label(plot.left + slot * (i + 0.5), plot.bottom + 16, day_label(days[i], by_month), anchor="middle")
                 for i in ticks)


def _stacked_bars(shown: DailySeries, plot: _Plot, unit: str, merged: bool) -> tuple[Bar, ...]:
    """One segment per non-zero (developer, day), stacked busiest first from the bottom."""
    slot = (plot.right - plot.left) / len(shown.days)
    width = slot * BAR_SHARE
    bars = []
    for d, day in enumerate(shown.days):
        base = 0
        for index, name in enumerate(shown.developers):
            value = shown.values[index][d]
            if not value:
                continue
            top, bottom = plot.y_of(base + value), plot.y_of(base)
            tooltip = f"{day.isoformat()} · {name}: {value:,} {unit}"
            bars.append(Bar(plot.left + slot * d + (slot - width) / 2, top, width, bottom - top,
                            series_colour(index, merged), tooltip))
            base += value
    return tuple(bars)


def daily_chart(series: DailySeries, *, unit: str = "requests", title: str = "Requests per day, by developer",
                width: float = 900.0, height: float = 320.0) -> Chart:
    """One stacked column per day, a colour per developer (busiest at the bottom), the legend on the right.

    Raises:
        ValueError: `series.values` does not match its developers and days.
    """
    shown = merge_developers(series)
    if not shown.days or shown.empty:
        return empty_chart(title, width)
    merged = len(shown.developers) > LEGEND_LIMIT
    legend_width = min(220.0, max(text_width(elide(n), _LABEL_SIZE) for n in shown.developers) + _SWATCH + 16)
    height = max(height, _PLOT_TOP + len(shown.developers) * _LEGEND_ROW + _DAY_AXIS_HEIGHT)
    totals = [sum(day) for day in zip(*shown.values, strict=True)]
    top, step = nice_ticks(max(totals))
    left = _MARGIN + text_width(f"{top:,}", _LABEL_SIZE) + 8
    plot = _Plot(left, _PLOT_TOP, width - legend_width - _MARGIN - 8, height - _DAY_AXIS_HEIGHT, float(top))
    rules, value_labels = _value_axis(plot, step)
    swatches, legend_labels = _legend(shown.developers, width - legend_width, merged)
    labels = (_title(title), *value_labels, *_day_axis(shown.days, plot), *legend_labels)
    return Chart(title, width, height, _stacked_bars(shown, plot, unit, merged), swatches, rules, labels)


def _breakdown_rows(items: Breakdown, unit: str, merged: bool, box: _Plot) -> tuple[tuple[Bar, ...], tuple[Label, ...]]:
    """A bar, its name (left) and its count (right of it) per entry, the largest on top."""
    total = sum(count for _, count in items)
    bars, labels = [], []
    for index, (name, count) in enumerate(items):
        top = box.top + index * _BREAKDOWN_ROW
        length = (box.right - box.left) * count / box.maximum
        colour = OTHERS_COLOUR if merged and index == len(items) - 1 else SERIES_COLOURS[0]
        tooltip = f"{name}: {count:,} {unit} ({count / total:.0%})"
        bar_height = _BREAKDOWN_ROW * BAR_SHARE
        bars.append(Bar(box.left, top + (_BREAKDOWN_ROW - bar_height) / 2, length, bar_height, colour, tooltip))
        baseline = top + _BREAKDOWN_ROW / 2 + 4
        labels += [Label(box.left - 6, baseline, elide(name), anchor="end"),
                   Label(box.left + length + 4, baseline, f"{count:,}")]
    return tuple(bars), tuple(labels)


def breakdown_chart(title: str, items: Breakdown, *, unit: str = "requests", width: float = 440.0,
                    limit: int = BREAKDOWN_LIMIT) -> Chart:
    """Horizontal bars of `items` under `title`: the largest on top, beyond `limit` merged into "other (k)"."""
    shown = merge_breakdown(items, limit)
    if not shown:
        return empty_chart(title, width)
    names_width = min(width * 0.4, max(text_width(elide(name), _LABEL_SIZE) for name, _ in shown))
    counts_width = text_width(f"{shown[0][1]:,}", _LABEL_SIZE) + 10
    height = _PLOT_TOP + len(shown) * _BREAKDOWN_ROW + _MARGIN
    box = _Plot(_MARGIN + names_width + 6, _PLOT_TOP, width - counts_width - _MARGIN, height - _MARGIN,
                float(shown[0][1]))
    bars, labels = _breakdown_rows(shown, unit, len(shown) > limit, box)
    axis = Rule(box.left, box.top, box.left, box.bottom, AXIS)
    return Chart(title, width, height, bars, (), (axis,), (_title(title), *labels))


# --- SVG -----------------------------------------------------------------------------------------

def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def xml_text(text: str) -> str:
    """`text` escaped for XML content and double-quoted attributes (characters XML forbids dropped)."""
    return escape(_NOT_XML.sub("", text), {'"': "&quot;"})


def _svg_bar(bar: Bar) -> str:
    return (f'<rect class="bar" x="{_num(bar.x)}" y="{_num(bar.y)}" width="{_num(bar.width)}" '
            f'height="{_num(bar.height)}" fill="{bar.colour}"><title>{xml_text(bar.tooltip)}</title></rect>')


def _svg_swatch(swatch: Swatch) -> str:
    return (f'<rect class="swatch" x="{_num(swatch.x)}" y="{_num(swatch.y)}" width="{_num(swatch.size)}" '
            f'height="{_num(swatch.size)}" fill="{swatch.colour}"/>')


def _svg_rule(rule: Rule) -> str:
    return (f'<line x1="{_num(rule.x1)}" y1="{_num(rule.y1)}" x2="{_num(rule.x2)}" y2="{_num(rule.y2)}" '
            f'stroke="{rule.colour}" stroke-width="1"/>')


def _svg_label(label: Label) -> str:
    weight = ' font-weight="bold"' if label.bold else ""
    return (f'<text x="{_num(label.x)}" y="{_num(label.y)}" font-size="{_num(label.size)}" '
            f'text-anchor="{label.anchor}" fill="{label.colour}"{weight}>{xml_text(label.text)}</text>')


def to_svg(chart: Chart) -> str:
    """`chart` as one `<svg>` element (valid XML, every text escaped), ready to inline in HTML or save."""
    width, height = _num(chart.width), _num(chart.height)
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" role="img" aria-label="{xml_text(chart.title)}" '
         f'font-family="{FONT_FAMILY}">'),
        f'<rect class="background" width="{width}" height="{height}" fill="{BACKGROUND}"/>',
        *(_svg_rule(rule) for rule in chart.rules),
        *(_svg_bar(bar) for bar in chart.bars),
        *(_svg_swatch(swatch) for swatch in chart.swatches),
        *(_svg_label(label) for label in chart.labels),
        "</svg>",
    ]
    return "\n".join(parts)


def daily_chart_svg(series: DailySeries, *, unit: str = "requests", title: str = "Requests per day, by developer",
                    width: float = 900.0, height: float = 320.0) -> str:
    """The stacked daily chart of `series` as SVG (see `daily_chart`)."""
    return to_svg(daily_chart(series, unit=unit, title=title, width=width, height=height))


def breakdown_chart_svg(title: str, breakdown: Breakdown, *, unit: str = "requests", width: float = 440.0,
                        limit: int = BREAKDOWN_LIMIT) -> str:
    """The horizontal bar chart of `breakdown` as SVG (see `breakdown_chart`)."""
    return to_svg(breakdown_chart(title, breakdown, unit=unit, width=width, limit=limit))
