"""The dashboard's charts, drawn with pyqtgraph: requests per day and the breakdowns.

Owns the chart widgets (`StackedDailyChart`: one stacked bar per day, a colour per developer;
`BreakdownChart`: horizontal bars of a `Breakdown`) and their colours (`ChartTheme`, from the widget's
palette so light and dark desktops both read well). The reports draw their own charts without Qt
(`core.reports.svg_charts`). The charts are passive: they show the
`DailySeries`/`Breakdown` they are given, take no mouse interaction except tooltips, and re-colour
themselves when their palette changes. A live refresh moves and relabels the items already in the
plot (items are added or removed only when the number of bars changes) and does nothing for data
already shown, so the dashboard's refresh every second stays a few milliseconds of the GUI thread.

This is the only module that imports pyqtgraph; the dashboard imports it lazily, so the tray starts
without it. pyqtgraph's global configuration is left alone: every option is set per widget and item.
"""

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Self

import numpy as np
import pyqtgraph as pg  # type: ignore[import-untyped]
from PySide6.QtCore import QDate, QEvent, QLocale, QObject, QPoint, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import QLabel, QSizePolicy, QStackedWidget, QToolTip, QVBoxLayout, QWidget

from desktop_app.core.charts import BREAKDOWN_LIMIT, LEGEND_LIMIT, OTHERS_COLOUR, SERIES_COLOURS, day_ticks
from desktop_app.core.charts import merge_breakdown as merge_items
from desktop_app.core.charts import merge_developers as merge_series
from desktop_app.core.charts import nice_ticks as report_nice_ticks
from desktop_app.core.store.dashboard import Breakdown, DailySeries
from desktop_app.ui.i18n import tr
from desktop_app.ui.widgets import named

CONTEXT: Final = "charts"

BAR_WIDTH: Final = 0.8
"""The width of a bar in data units (one day, one breakdown row)."""

_EDGE_OVERFLOW: Final = {"left": 10, "bottom": 40}  # pixels a tick label may reach past its axis' end
_LEGEND_MARGIN: Final = 40  # pixels of the chart's height the legend leaves for the date axis and margins
_NAME_CHARS: Final = 28  # longer names are elided on axes and in the legend (tooltips show them whole)


@dataclass(frozen=True)
class ChartTheme:
    """The colours of a chart, as '#rrggbb' strings.

    Attributes:
        background: Behind the plot (the palette's Base).
        foreground: Axis labels, legend and messages (the palette's Text).
        grid: Grid lines and axis lines: between background and foreground.
        series: Categorical colours for the series, used in order and cycled.
        others: The merged "others" series.
    """

    background: str = "#ffffff"
    foreground: str = "#202020"
    grid: str = "#d6d6d6"
    series: tuple[str, ...] = SERIES_COLOURS
    others: str = OTHERS_COLOUR

    @classmethod
    def from_palette(cls, palette: QPalette) -> Self:
        """The theme matching `palette`: background = Base, foreground = Text (WindowText when Text hardly shows).

        Args:
            palette: A widget's or the application's palette.

        Returns:
            The theme; the series colours are the fixed categorical palette either way.
        """
        group = QPalette.ColorGroup.Active
        background = palette.color(group, QPalette.ColorRole.Base)
        foreground = palette.color(group, QPalette.ColorRole.Text)
        if abs(foreground.lightnessF() - background.lightnessF()) < 0.3:
            foreground = palette.color(group, QPalette.ColorRole.WindowText)
        return cls(background=background.name(), foreground=foreground.name(),
                   grid=_blend(background, foreground, 0.18).name())

    @property
    def dark(self) -> bool:
        """Whether the background is dark."""
        return QColor(self.background).lightnessF() < 0.5

    def colour(self, index: int) -> str:
        """The colour of series number `index`, cycling through `series`."""
        return self.series[index % len(self.series)]


def _blend(base: QColor, other: QColor, amount: float) -> QColor:
    """`base` moved `amount` (0..1) of the way towards `other`."""
    return QColor.fromRgbF(base.redF() + (other.redF() - base.redF()) * amount,
                           base.greenF() + (other.greenF() - base.greenF()) * amount,
                           base.blueF() + (other.blueF() - base.blueF()) * amount)


def _elide(name: str) -> str:
    """`name`, shortened with an ellipsis when longer than the axes and legend have room for."""
    return name if len(name) <= _NAME_CHARS else name[:_NAME_CHARS - 1] + "…"


def merge_developers(series: DailySeries, limit: int = LEGEND_LIMIT) -> DailySeries:
    """The series as drawn (`core.charts.merge_developers`, the same rules as the reports), "others" translated.

    Raises:
        ValueError: `series.values` does not match its developers and days.
    """
    return merge_series(series, limit, lambda count: tr(CONTEXT, "others ({count})").format(count=count))


def merge_breakdown(items: Breakdown, limit: int = BREAKDOWN_LIMIT) -> Breakdown:
    """The breakdown as drawn (`core.charts.merge_breakdown`, as in the reports), "other" translated."""
    return merge_items(items, limit, lambda count: tr(CONTEXT, "other ({count})").format(count=count))


def nice_ticks(maximum: float, target: int = 6) -> tuple[int, int]:
    """(top, step) for the dashboard's count axis: `core.charts.nice_ticks` with up to six steps."""
    return report_nice_ticks(maximum, target)


def _day_label(day: date, by_month: bool) -> str:
    """The axis label of `day`: 'Nov 2026' for month ticks, '3 Nov' for day ticks (in the user's language)."""
    return QLocale().toString(QDate(day.year, day.month, day.day), "MMM yyyy" if by_month else "d MMM")


class _DayAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph has no type information
    """A bottom axis for bars at x = 0, 1, 2 …: labels the days, as many as fit without overlapping."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self._days: tuple[date, ...] = ()
        self._hours: tuple[int, ...] = ()
        self._by_month = False

    def set_days(self, days: tuple[date, ...], hours: tuple[int, ...] = ()) -> None:
        """Label `days` (or, with `hours`, those hours of the one day) from now on."""
        self._days, self._hours = days, hours
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:  # noqa: N802, N803
        """The labelled days (or hours) that fit into `size` pixels (pyqtgraph calls this when drawing)."""
        font = self.style["tickFont"] or QFont()
        if self._hours:
            fit = max(1, int(size / (QFontMetricsF(font).horizontalAdvance("00:00") + 14)))
            step = next(n for n in (1, 2, 3, 4, 6, 12, 24) if len(self._hours) / n <= fit)
            return [(1.0, [float(i) for i in range(0, len(self._hours), step)])]
        label_width = QFontMetricsF(font).horizontalAdvance("Sep 2026") + 14
        ticks, self._by_month = day_ticks(self._days, int(size / label_width))  # the view shows every day
        return [(1.0, [float(i) for i in ticks])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        """The date (or hour) labels of the ticks at `values`."""
        labels = []
        for value in values:
            index = round(value)
            if self._hours:
                labels.append(f"{self._hours[index]:02d}:00" if 0 <= index < len(self._hours) else "")
                continue
            labels.append(_day_label(self._days[index], self._by_month) if 0 <= index < len(self._days) else "")
        return labels


class _Chart(QWidget):
    """What both charts share: the plot, the empty-state message, the theme, tooltips and no mouse interaction."""

    def __init__(self, parent: QWidget | None = None, *, axis_items: dict[str, object] | None = None) -> None:
        super().__init__(parent)
        self._theme = ChartTheme.from_palette(self.palette())
        self._title = named(QLabel(), "chart_title")
        title_font = QFont(self._title.font())
        title_font.setBold(True)
        self._title.setFont(title_font)
        self._title.setContentsMargins(8, 6, 8, 2)
        self._title.setAutoFillBackground(True)
        self._title.hide()

        self._plot = named(pg.PlotWidget(axisItems=axis_items), "chart_plot")
        self._plot.setAntialiasing(True)
        self._plot.setInteractive(False)  # no clicks, drags, wheel or menus reach the scene's items
        self._plot.viewport().setMouseTracking(True)
        self._plot.viewport().installEventFilter(self)
        self._item = self._plot.getPlotItem()
        self._item.setMouseEnabled(False, False)
        self._item.setMenuEnabled(False)
        self._item.hideButtons()
        self._item.disableAutoRange()
        for name in ("left", "bottom"):
            axis = self._item.getAxis(name)
            axis.setStyle(hideOverlappingLabels=_EDGE_OVERFLOW[name])

        self._message = named(QLabel(), "chart_message")
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setAutoFillBackground(True)

        self._stack = QStackedWidget()
        self._stack.addWidget(self._plot)
        self._stack.addWidget(self._message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._title)
        layout.addWidget(self._stack, 1)
        self.setMinimumSize(240, 160)
        self._hover_text = ""
        self._drawn: object = None  # what the plot shows now (data, unit, theme): a refresh of the same is skipped
        self._grid: pg.PlotCurveItem | None = None
        self._shown_axes: dict[str, object] = {}  # per axis (and "range"): what it was last set to

    # --- state ----------------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        """Whether the chart shows its empty-state message instead of bars."""
        return self._stack.currentWidget() is self._message

    @property
    def message(self) -> str:
        """The empty-state message (shown only while `is_empty`)."""
        return self._message.text()

    @property
    def theme(self) -> ChartTheme:
        """The colours in use."""
        return self._theme

    @property
    def plot_widget(self) -> QWidget:
        """The pyqtgraph `PlotWidget` drawing the bars (for tests and screenshots)."""
        return self._plot  # type: ignore[no-any-return]

    def tooltip_at(self, x: float, y: float) -> str:
        """The tooltip for the point (`x`, `y`) in data coordinates; '' where there is no bar."""
        raise NotImplementedError

    def _draw(self) -> None:
        """Show the stored data in the stored theme (reusing the plot's items; nothing when it shows them already)."""
        raise NotImplementedError

    def _unchanged(self, drawn: object) -> bool:
        """Whether the plot shows `drawn` (data, unit and theme) already; else remember that it is about to."""
        if drawn == self._drawn:
            return True
        self._drawn = drawn
        return False

    # --- theme ----------------------------------------------------------------------------------

    def apply_theme(self, theme: ChartTheme) -> None:
        """Re-colour the chart with `theme` (a later palette change replaces it with the palette's theme).

        Args:
            theme: The colours to use.
        """
        self._theme = theme
        self._shown_axes.clear()  # the axes' pens changed: labels and ticks are set again
        background, foreground = QColor(theme.background), QColor(theme.foreground)
        for label in (self._title, self._message):
            palette = QPalette(label.palette())
            for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
                palette.setColor(role, background)
            for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
                palette.setColor(role, foreground)
            label.setPalette(palette)
        self._plot.setBackground(background)
        grid = QColor(theme.grid)
        for name in ("left", "bottom"):
            axis = self._item.getAxis(name)
            axis.setPen(pg.mkPen(grid))
            axis.setTickPen(pg.mkPen(grid))
            axis.setTextPen(pg.mkPen(foreground))
        self._draw()
        self.update()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        """Follow palette changes (light/dark switches) with the palette's theme."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "_ready", False):
            self.apply_theme(ChartTheme.from_palette(self.palette()))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        """Fill any gap between the parts with the theme's background."""
        painter = QPainter(self)
        painter.fillRect(event.rect(), QColor(self._theme.background))
        painter.end()

    # --- tooltips -------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Show the tooltip of the bar under the mouse as it moves over the plot."""
        if watched is self._plot.viewport():
            if event.type() == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
                self._hover(event.position().toPoint())
            elif event.type() == QEvent.Type.Leave:
                self._hover(None)
        return super().eventFilter(watched, event)

    def _hover(self, pos: QPoint | None) -> None:
        """Show (or hide) the tooltip for viewport position `pos` (None: the mouse left)."""
        text = ""
        if pos is not None and not self.is_empty:
            scene_pos = self._plot.mapToScene(pos)
            view_box = self._item.getViewBox()
            if view_box.sceneBoundingRect().contains(scene_pos):
                point = view_box.mapSceneToView(scene_pos)
                text = self.tooltip_at(point.x(), point.y())
        self._hover_text = text
        viewport = self._plot.viewport()
        if text and pos is not None:
            QToolTip.showText(viewport.mapToGlobal(pos), text, viewport)
        else:
            QToolTip.hideText()

    @property
    def hover_text(self) -> str:
        """The tooltip shown for the mouse's last position over the plot ('' for none)."""
        return self._hover_text

    # --- shared drawing -------------------------------------------------------------------------

    def _show_message(self, text: str) -> None:
        """Show `text` instead of the plot (whose items go: the next data builds them anew)."""
        self._item.clear()
        self._grid = None
        self._shown_axes.clear()
        self._forget_items()
        self._message.setText(text)
        self._stack.setCurrentWidget(self._message)

    def _forget_items(self) -> None:
        """Drop the references to the plot's items (they were just removed from it)."""
        raise NotImplementedError

    def _changed(self, what: str, value: object) -> bool:
        """Whether `what` (an axis' ticks or label, the view's range) is to be set to a new `value`; remembers it."""
        if self._shown_axes.get(what) == value:
            return False
        self._shown_axes[what] = value
        return True

    def _set_ranges(self, x: tuple[float, float], y: tuple[float, float]) -> None:
        """Show exactly `x` and `y` (data units), unless the view shows them already."""
        if self._changed("range", (x, y)):
            self._item.setXRange(*x, padding=0)
            self._item.setYRange(*y, padding=0)

    def _value_axis(self, name: str, maximum: float, across: tuple[float, float], headroom: float = 1.0) -> float:
        """Label axis `name` with round counts from 0 past `maximum`, with grid lines across; return its end.

        The grid is drawn here rather than by pyqtgraph's axis, whose grid would hide the labels at
        the ends of the axis and be drawn over the bars.

        Args:
            name: "left" or "bottom".
            maximum: The largest value shown.
            across: The other axis' range, which the grid lines span.
            headroom: The axis reaches at least `maximum` times this (room for value labels).
        """
        top, step = nice_ticks(maximum)
        end = max(top * 1.03, maximum * headroom)
        values = range(0, top + 1, step)
        labels = [f"{v:,}" for v in values]
        if self._changed(name, labels):
            self._item.getAxis(name).setTicks([[(float(v), text) for v, text in zip(values, labels, strict=True)]])
            if name == "left":
                self._fit_left_axis(labels)
        if self._changed("grid", (values, across, self._theme.grid)):
            lines = np.repeat(np.array(values[1:], dtype=np.float64), 2)
            ends = np.tile(np.array(across, dtype=np.float64), len(values) - 1)
            x, y = (ends, lines) if name == "left" else (lines, ends)
            pen = pg.mkPen(QColor(self._theme.grid))
            if self._grid is None:
                self._grid = pg.PlotCurveItem(x=x, y=y, connect="pairs", pen=pen)
                self._grid.setZValue(-10)
                self._item.addItem(self._grid, ignoreBounds=True)
            else:
                self._grid.setData(x=x, y=y, connect="pairs", pen=pen)
        return end

    def _fit_left_axis(self, labels: Sequence[str]) -> None:
        """Make the left axis just wide enough for `labels` and its title, before the first paint.

        pyqtgraph widens an axis only after drawing labels that do not fit, which a chart drawn once
        (a first paint, a grab) would show cut off.
        """
        axis = self._item.getAxis("left")
        metrics = QFontMetricsF(axis.style["tickFont"] or QFont())
        width = max((metrics.horizontalAdvance(text) for text in labels), default=0.0)
        width += axis.style["tickTextOffset"][0] + max(0, axis.style["tickLength"]) + 4
        if axis.label.isVisible():
            width += axis.label.boundingRect().height() * 0.8
        axis.setWidth(math.ceil(width))


class StackedDailyChart(_Chart):
    """One stacked bar per day, a colour per developer, the legend beside the plot.

    With more than `LEGEND_LIMIT` developers the busiest keep their colour and the rest share one
    grey "others (k)" series. Hovering a bar segment shows "2026-11-03 · alice: 120 requests".
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        """Build an empty chart (call `set_series` to fill it).

        Args:
            parent: The owning widget, if any.
        """
        days_axis = _DayAxis()
        super().__init__(parent, axis_items={"bottom": days_axis})
        self._days_axis = days_axis
        self._legend = pg.LegendItem(offset=None, verSpacing=0, labelTextSize="9pt", frame=False)
        self._legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._item.layout.addItem(self._legend, 2, 3)  # right of the plot: it never covers a bar
        self._item.layout.setAlignment(self._legend, Qt.AlignmentFlag.AlignTop)
        self._unit = tr(CONTEXT, "requests")
        self._shown = DailySeries((), (), ())
        self._bottoms = np.zeros((0, 0))
        self._tops = np.zeros((0, 0))
        self._bars: list[pg.BarGraphItem] = []  # a series each, bottom to top
        self._legend_entries: tuple[object, ...] = ()  # what the legend shows: (name, colour) pairs and text colour
        self.apply_theme(self._theme)
        self._ready = True

    @property
    def displayed(self) -> DailySeries:
        """The series as drawn: busiest first, at most `LEGEND_LIMIT` developers plus "others"."""
        return self._shown

    @property
    def legend_names(self) -> tuple[str, ...]:
        """The names in the legend, top to bottom."""
        return tuple(html.unescape(label.text) for _, label in self._legend.items)

    def set_series(self, series: DailySeries, unit: str = "requests") -> None:
        """Show `series` (or the empty-state message when it holds nothing).

        Args:
            series: Values per developer per day.
            unit: What the values count, plural ("requests"): the axis label, tooltips and message.

        Raises:
            ValueError: `series.values` does not match its developers and days.
        """
        self._shown = merge_developers(series)
        self._unit = unit
        self._draw()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        """Re-flow the legend for the new height."""
        super().resizeEvent(event)
        self._fit_legend()

    def _fit_legend(self) -> None:
        """Give the legend as many columns as it needs to fit the chart's height (it would stretch the plot)."""
        if not self._legend.items:
            return
        row = max(20.0, *(label.boundingRect().height() for _, label in self._legend.items))
        rows = max(1, int((self.height() - _LEGEND_MARGIN) // row))
        columns = math.ceil(len(self._legend.items) / rows)
        if columns != self._legend.columnCount:
            self._legend.setColumnCount(columns)

    def tooltip_at(self, x: float, y: float) -> str:
        """The tooltip for the point (`x`, `y`) in data coordinates: "2026-11-03 · alice: 120 requests".

        Args:
            x: The day's index (bars are centred on 0, 1, 2 …).
            y: The value, from 0 up the stack.

        Returns:
            The day, developer and value of the segment there; '' outside the bars.
        """
        day = round(x)
        if self.is_empty or not 0 <= day < self._shown.slots or abs(x - day) > BAR_WIDTH / 2 or y < 0:
            return ""
        for index, (bottom, top) in enumerate(zip(self._bottoms[:, day], self._tops[:, day], strict=True)):
            if bottom <= y < top:
                value = self._shown.values[index][day]
                name = self._shown.developers[index]
                return f"{self._shown.slot_label(day)} · {name}: {value:,} {self._unit}"
        return ""

    def _draw(self) -> None:
        """Show the stored series: the bars move in place; bar items come and go only with the series' count."""
        shown = self._shown
        if self._unchanged((shown, self._unit, self._theme)):
            return
        if not shown.days or shown.empty:
            self._legend.clear()
            self._legend_entries = ()
            self._bottoms = self._tops = np.zeros((0, 0))
            self._show_message(tr(CONTEXT, "No {unit} in this range").format(unit=self._unit))
            return
        values = np.array(shown.values, dtype=np.float64)
        self._tops = np.cumsum(values, axis=0)
        self._bottoms = self._tops - values
        x = np.arange(shown.slots, dtype=np.float64)
        merged = len(shown.developers) > LEGEND_LIMIT
        colours = [self._theme.others if merged and index == LEGEND_LIMIT else self._theme.colour(index)
                   for index in range(len(shown.developers))]
        rebuilt = self._fit_bar_count(len(shown.developers))
        for bars, bottoms, heights, colour in zip(self._bars, self._bottoms, values, colours, strict=True):
            bars.setOpts(x=x, y0=bottoms, height=heights, width=BAR_WIDTH, brush=QColor(colour))
        self._show_legend(tuple(zip(shown.developers, colours, strict=True)), rebuilt)

        if self._changed("days", (shown.days, shown.hours)):
            self._days_axis.set_days(shown.days, shown.hours)
        if self._changed("unit", (self._unit, self._theme.foreground)):
            self._item.setLabel("left", self._unit, color=self._theme.foreground)
        top = self._value_axis("left", float(self._tops[-1].max()), across=(-0.5, shown.slots - 0.5))
        self._set_ranges((-0.5, shown.slots - 0.5), (0, top))
        self._stack.setCurrentWidget(self._plot)

    def _fit_bar_count(self, count: int) -> bool:
        """Have exactly `count` bar items in the plot (adding or removing at the top); whether any changed."""
        if len(self._bars) == count:
            return False
        while len(self._bars) > count:
            self._item.removeItem(self._bars.pop())
        while len(self._bars) < count:
            bars = pg.BarGraphItem(x=[0.0], height=[0.0], width=BAR_WIDTH, pen=pg.mkPen(None))
            self._item.addItem(bars)
            self._bars.append(bars)
        return True

    def _show_legend(self, entries: tuple[tuple[str, str], ...], rebuilt: bool) -> None:
        """List `entries` (name, colour) in the legend, unless it lists them already (for the same bar items)."""
        wanted = (entries, self._theme.foreground)
        if wanted == self._legend_entries and not rebuilt:
            return
        self._legend_entries = wanted
        self._legend.clear()
        self._legend.setLabelTextColor(QColor(self._theme.foreground))  # before adding: labels take it when made
        for bars, (name, _colour) in zip(self._bars, entries, strict=True):
            self._legend.addItem(bars, html.escape(_elide(name)))
        for sample, _ in self._legend.items:
            sample.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._fit_legend()

    def _forget_items(self) -> None:
        self._bars = []


class BreakdownChart(_Chart):
    """Horizontal bars of a `Breakdown` under a title: the largest at the top, the rest as "other (k)"."""

    def __init__(self, parent: QWidget | None = None, limit: int = BREAKDOWN_LIMIT) -> None:
        """Build an empty chart (call `set_breakdown` to fill it).

        Args:
            parent: The owning widget, if any.
            limit: How many entries get their own bar.
        """
        super().__init__(parent)
        self._limit = limit
        self._title.show()
        self._item.getAxis("left").setStyle(tickLength=0)  # names label rows: tick marks would cut into the bars
        self._items: Breakdown = ()
        self._unit = tr(CONTEXT, "requests")
        self._bars: pg.BarGraphItem | None = None
        self._labels: list[pg.TextItem] = []  # a count beside each bar, top to bottom
        self.apply_theme(self._theme)
        self._ready = True

    @property
    def displayed(self) -> Breakdown:
        """The entries as drawn, top to bottom: at most `limit` plus "other (k)"."""
        return self._items

    @property
    def title(self) -> str:
        """The chart's title."""
        return self._title.text()

    def set_breakdown(self, title: str, items: Breakdown, unit: str) -> None:
        """Show `items` under `title` (or the empty-state message when there are none).

        Args:
            title: What is broken down ("Models").
            items: (name, count) pairs.
            unit: What the counts count, plural ("requests"), for the tooltips.
        """
        self._title.setText(title)
        self._items = merge_breakdown(items, self._limit)
        self._unit = unit
        self._draw()

    def tooltip_at(self, x: float, y: float) -> str:
        """The tooltip for the point (`x`, `y`) in data coordinates: "gpt-4o: 120 requests (40%)".

        Args:
            x: The value, from 0 along the bar.
            y: The row (the largest entry is the top row, at y = number of rows - 1).

        Returns:
            The entry's name, count and share there; '' outside the bars.
        """
        row = round(y)
        index = len(self._items) - 1 - row
        if self.is_empty or not 0 <= index < len(self._items) or abs(y - row) > BAR_WIDTH / 2:
            return ""
        name, count = self._items[index]
        if not 0 <= x <= count:
            return ""
        share = count / sum(c for _, c in self._items)
        return f"{name}: {count:,} {self._unit} ({share:.0%})"

    def _draw(self) -> None:
        """Show the stored entries: one bar item and a label per row, changed in place (labels come and go)."""
        if self._unchanged((self._items, self._unit, self._theme)):
            return
        if not self._items:
            self._show_message(tr(CONTEXT, "Nothing recorded in this range"))
            return
        rows = len(self._items)
        counts = np.array([count for _, count in self._items], dtype=np.float64)
        positions = np.arange(rows - 1, -1, -1, dtype=np.float64)  # the largest on top
        merged = len(self._items) > self._limit
        brushes = [QColor(self._theme.others if merged and i == self._limit else self._theme.colour(0))
                   for i in range(rows)]
        if self._bars is None:
            self._bars = pg.BarGraphItem(x0=0.0, y=positions, height=BAR_WIDTH, width=counts, pen=pg.mkPen(None),
                                         brushes=brushes)
            self._item.addItem(self._bars)
        else:
            self._bars.setOpts(x0=0.0, y=positions, height=BAR_WIDTH, width=counts, brushes=brushes)
        self._show_counts(positions)

        largest = float(counts.max())
        end = self._value_axis("bottom", largest, across=(-0.5, rows - 0.5), headroom=1.25)  # room for the labels
        names = [_elide(name) for name, _ in self._items]
        if self._changed("left", names):
            self._item.getAxis("left").setTicks([list(zip(positions.tolist(), names, strict=True))])
            self._fit_left_axis(names)
        self._set_ranges((0, end), (-0.5, rows - 0.5))
        self._stack.setCurrentWidget(self._plot)

    def _show_counts(self, positions: np.ndarray) -> None:
        """Write each entry's count at the end of its bar, reusing the label items (one per row)."""
        while len(self._labels) > len(self._items):
            self._item.removeItem(self._labels.pop())
        while len(self._labels) < len(self._items):
            label = pg.TextItem(anchor=(0, 0.5))
            self._item.addItem(label)
            self._labels.append(label)
        colour = QColor(self._theme.foreground)
        for label, (_, count), position in zip(self._labels, self._items, positions, strict=True):
            label.setText(f" {count:,}", color=colour)
            label.setPos(float(count), float(position))

    def _forget_items(self) -> None:
        self._bars = None
        self._labels = []
