"""The pyqtgraph charts: stacking, merging, tooltips, empty states, themes and offscreen rendering."""

import os
import random
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication, QToolTip

from desktop_app.core.store.dashboard import DailySeries
from desktop_app.ui.charts import (
    OTHERS_COLOUR,
    SERIES_COLOURS,
    BreakdownChart,
    ChartTheme,
    StackedDailyChart,
    day_ticks,
    merge_breakdown,
    merge_developers,
    nice_ticks,
)
from tests.ui.chart_images import render_chart

START = date(2026, 11, 1)
DAYS = tuple(START + timedelta(days=n) for n in range(5))
# Totals: alice 65, carol 60, bob 25, so the chart stacks alice, carol, bob from the bottom.
THREE = DailySeries(DAYS, ("alice", "bob", "carol"), ((10, 20, 30, 0, 5), (5, 5, 5, 5, 5), (1, 2, 3, 4, 50)))
MODELS = (("gpt-4o", 1200), ("claude-sonnet-4", 800), ("o3-mini", 300), ("gemini-2.5-pro", 120), ("a", 50),
          ("b", 40), ("c", 30), ("d", 20), ("e", 10), ("f", 5), ("g", 1))


def palette(base: str, text: str, window: str) -> QPalette:
    result = QPalette(QApplication.palette())
    for role, colour in ((QPalette.ColorRole.Base, base), (QPalette.ColorRole.Window, window),
                         (QPalette.ColorRole.Text, text), (QPalette.ColorRole.WindowText, text)):
        result.setColor(role, QColor(colour))
    return result


DARK = palette("#1e1e1e", "#e8e8e8", "#2b2b2b")
LIGHT = palette("#ffffff", "#1a1a1a", "#efefef")


def pixels(image: QImage) -> np.ndarray:
    """The image as a (height, width) array of 0xAARRGGBB values."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    data = np.frombuffer(image.constBits(), dtype=np.uint32).reshape(image.height(), image.bytesPerLine() // 4)
    return data[:, : image.width()].copy()


def count(image: QImage, colour: str) -> int:
    return int(np.count_nonzero(pixels(image) == QColor(colour).rgba()))


def lightness(image: QImage, x: int, y: int) -> float:
    return image.pixelColor(x, y).lightnessF()


def many(developers: int, days: int, seed: int = 7) -> DailySeries:
    rng = random.Random(seed)
    all_days = tuple(START + timedelta(days=n) for n in range(days))
    names = tuple(f"dev{n:02d}" for n in range(developers))
    values = tuple(tuple(rng.randint(0, 40 * (developers - n)) for _ in all_days) for n in range(developers))
    return DailySeries(all_days, names, values)


@pytest.fixture
def save(request):
    """Save a rendered image under $COPILOT_INSIGHT_RENDER_DIR (to look at), when it is set."""
    folder = os.environ.get("COPILOT_INSIGHT_RENDER_DIR")

    def saver(image: QImage, suffix: str = "") -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            name = request.node.name.replace("[", "-").replace("]", "")  # image tools read [n] as a frame number
            assert image.save(str(Path(folder) / f"{name}{suffix}.png"))

    return saver


def _light_chart(qtbot, kind):
    chart = kind()
    qtbot.addWidget(chart)
    chart.setPalette(LIGHT)
    return chart


@pytest.fixture
def stacked(qtbot):
    return _light_chart(qtbot, StackedDailyChart)


@pytest.fixture
def bars(qtbot):
    return _light_chart(qtbot, BreakdownChart)


def bar_items(chart) -> list:
    return [item for item in chart.plot_widget.getPlotItem().items if isinstance(item, pg.BarGraphItem)]


# --- the stacked daily chart ----------------------------------------------------------------------


def test_stacked_chart_renders_one_colour_per_developer(stacked, save):
    stacked.set_series(THREE)
    image = render_chart(stacked, 640, 320)
    save(image)

    assert not stacked.is_empty
    assert (image.width(), image.height()) == (640, 320)
    assert stacked.displayed.developers == ("alice", "carol", "bob")
    assert stacked.legend_names == ("alice", "carol", "bob")
    assert len(bar_items(stacked)) == 3
    for colour in SERIES_COLOURS[:3]:
        assert count(image, colour) > 200, colour
    assert count(image, SERIES_COLOURS[3]) == 0  # no fourth developer, no fourth colour
    assert count(image, OTHERS_COLOUR) == 0


def test_empty_series_shows_the_message_instead_of_bars(stacked, save):
    stacked.set_series(THREE)
    stacked.set_series(DailySeries(DAYS, ("alice",), ((0, 0, 0, 0, 0),)), unit="tokens")
    image = render_chart(stacked, 640, 320)
    save(image)

    assert stacked.is_empty
    assert stacked.message == "No tokens in this range"
    assert bar_items(stacked) == []
    assert stacked.legend_names == ()
    assert stacked.tooltip_at(0, 5) == ""
    for colour in (*SERIES_COLOURS, OTHERS_COLOUR):
        assert count(image, colour) == 0, colour
    dark_pixels = int(np.count_nonzero((pixels(image) & 0xFF) < 0x60))  # the message's (dark) text
    assert dark_pixels > 20


def test_a_new_chart_and_a_range_without_days_are_empty(stacked):
    assert stacked.is_empty
    stacked.set_series(DailySeries((), (), ()))
    assert stacked.is_empty
    assert stacked.message == "No requests in this range"


def test_tooltip_names_the_segment_under_the_point(stacked):
    stacked.set_series(THREE)

    assert stacked.tooltip_at(0, 5) == "2026-11-01 · alice: 10 requests"
    assert stacked.tooltip_at(0.3, 10.5) == "2026-11-01 · carol: 1 requests"
    assert stacked.tooltip_at(-0.3, 15.9) == "2026-11-01 · bob: 5 requests"
    assert stacked.tooltip_at(3, 0.5) == "2026-11-04 · carol: 4 requests"  # alice's 0 has no segment
    assert stacked.tooltip_at(4, 54.9) == "2026-11-05 · carol: 50 requests"
    assert stacked.tooltip_at(0, 16) == ""  # above the stack
    assert stacked.tooltip_at(0.5, 5) == ""  # between two bars
    assert stacked.tooltip_at(-1, 5) == ""
    assert stacked.tooltip_at(5, 5) == ""
    assert stacked.tooltip_at(0, -1) == ""


def test_tooltip_uses_the_unit_and_thousands_separators(stacked):
    stacked.set_series(DailySeries(DAYS[:1], ("alice",), ((12345,),)), unit="tokens")
    assert stacked.tooltip_at(0, 100) == "2026-11-01 · alice: 12,345 tokens"


def test_hovering_a_segment_shows_its_tooltip(stacked, qtbot):
    stacked.set_series(THREE)
    stacked.resize(640, 320)
    stacked.show()
    qtbot.waitExposed(stacked)
    plot = stacked.plot_widget
    view_box = plot.getPlotItem().getViewBox()

    def move_to(x: float, y: float) -> None:
        pos = plot.mapFromScene(view_box.mapViewToScene(QPointF(x, y)))
        event = QMouseEvent(QEvent.Type.MouseMove, QPointF(pos), QPointF(plot.viewport().mapToGlobal(pos)),
                            Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(plot.viewport(), event)

    move_to(2, 15)
    assert stacked.hover_text == "2026-11-03 · alice: 30 requests"
    assert QToolTip.text() == "2026-11-03 · alice: 30 requests"
    move_to(2, 35)
    assert stacked.hover_text == "2026-11-03 · bob: 5 requests"
    move_to(2.5, 10)
    assert stacked.hover_text == ""
    QToolTip.hideText()


def test_more_than_twelve_developers_merge_into_others(stacked, save):
    series = many(20, 10)
    stacked.set_series(series)
    image = render_chart(stacked, 800, 400)
    save(image)

    shown = stacked.displayed
    totals = {name: sum(values) for name, values in zip(series.developers, series.values, strict=True)}
    busiest = sorted(totals, key=lambda name: -totals[name])
    assert len(shown.developers) == 13
    assert stacked.legend_names == shown.developers
    assert len(bar_items(stacked)) == 13
    assert shown.developers[:12] == tuple(busiest[:12])
    assert shown.developers[12] == "others (8)"
    rest = [series.values[series.developers.index(name)] for name in busiest[12:]]
    assert shown.values[12] == tuple(sum(day) for day in zip(*rest, strict=True))
    assert count(image, OTHERS_COLOUR) > 0
    assert stacked.tooltip_at(0, sum(v[0] for v in shown.values) - 0.5).startswith("2026-11-01 · others (8): ")


def test_merge_drops_silent_developers_and_keeps_twelve_as_they_are():
    twelve = many(12, 3)
    assert sorted(merge_developers(twelve).developers) == list(twelve.developers)
    with_silent = DailySeries(DAYS[:2], ("quiet", "loud"), ((0, 0), (1, 2)))
    assert merge_developers(with_silent) == DailySeries(DAYS[:2], ("loud",), ((1, 2),))
    assert merge_developers(many(13, 3)).developers[-1] == "others (1)"
    with pytest.raises(ValueError, match="one value per day"):
        merge_developers(DailySeries(DAYS, ("alice",), ((1, 2),)))


def test_the_mouse_cannot_pan_zoom_or_open_menus(stacked):
    stacked.set_series(THREE)
    render_chart(stacked, 640, 320)
    plot = stacked.plot_widget
    item = plot.getPlotItem()
    before = item.getViewBox().viewRange()

    assert not plot.isInteractive()
    assert item.getViewBox().state["mouseEnabled"] == [False, False]
    assert not item.menuEnabled()
    assert not item.autoBtn.isVisible()
    wheel = QWheelEvent(QPointF(300, 150), QPointF(300, 150), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(plot.viewport(), wheel)
    assert item.getViewBox().viewRange() == before


def test_axes_start_at_zero_and_cover_every_day(stacked):
    stacked.set_series(THREE)
    (x0, x1), (y0, y1) = stacked.plot_widget.getPlotItem().getViewBox().viewRange()
    assert (x0, x1) == (-0.5, 4.5)
    assert y0 == 0
    assert 60 <= y1 < 70


def test_a_year_of_twenty_five_developers_builds_quickly(stacked, save):
    series = many(25, 365)
    started = time.perf_counter()
    stacked.set_series(series)
    elapsed = time.perf_counter() - started
    image = render_chart(stacked, 1000, 400)
    save(image)

    assert elapsed < 1.0  # a loose sanity bound: about 20 ms on a laptop
    assert len(bar_items(stacked)) == 13
    assert count(image, SERIES_COLOURS[0]) > 0


# --- the date axis and value ticks ----------------------------------------------------------------


def test_day_ticks_thin_out_with_the_range():
    week = [START + timedelta(days=n) for n in range(7)]
    assert day_ticks(week, 10) == (tuple(range(7)), False)
    assert day_ticks(week, 4) == ((0, 2, 4, 6), False)

    month = [START + timedelta(days=n) for n in range(30)]  # 1 Nov 2026 is a Sunday
    ticks, by_month = day_ticks(month, 6)
    assert not by_month
    assert [month[i].weekday() for i in ticks] == [0] * 5

    year = [START + timedelta(days=n) for n in range(365)]
    ticks, by_month = day_ticks(year, 12)
    assert by_month
    assert [year[i].day for i in ticks] == [1] * 12

    three_years = [START + timedelta(days=n) for n in range(1098)]
    ticks, by_month = day_ticks(three_years, 8)
    assert by_month
    assert {three_years[i].month for i in ticks} <= {1, 7}


@pytest.mark.parametrize("length", [1, 2, 9, 31, 45, 100, 365, 1098])
@pytest.mark.parametrize("max_labels", [1, 3, 7, 20])
def test_day_ticks_never_exceed_the_room(length, max_labels):
    days = [START + timedelta(days=n) for n in range(length)]
    ticks, _ = day_ticks(days, max_labels)
    assert 1 <= len(ticks) <= max_labels
    assert list(ticks) == sorted(set(ticks))
    assert all(0 <= i < length for i in ticks)


def test_nice_ticks_round_up_to_a_round_step():
    assert nice_ticks(60) == (60, 10)
    assert nice_ticks(55) == (60, 10)
    assert nice_ticks(11_000) == (12_000, 2_000)
    assert nice_ticks(3) == (3, 1)
    assert nice_ticks(0) == (1, 1)


# --- the breakdown chart --------------------------------------------------------------------------


def test_breakdown_keeps_the_largest_and_merges_the_rest(bars, save):
    bars.set_breakdown("Models", MODELS, "requests")
    image = render_chart(bars, 480, 320)
    save(image)

    assert bars.title == "Models"
    assert not bars.is_empty
    assert bars.displayed[:8] == MODELS[:8]
    assert bars.displayed[8] == ("other (3)", 16)
    assert len(bars.displayed) == 9
    assert count(image, SERIES_COLOURS[0]) > 500
    assert count(image, OTHERS_COLOUR) > 0


def test_breakdown_limit_and_small_breakdowns():
    assert merge_breakdown(MODELS, 3) == (*MODELS[:3], ("other (8)", 276))
    assert merge_breakdown(MODELS[:8]) == MODELS[:8]
    assert merge_breakdown((("b", 1), ("a", 0), ("c", 5))) == (("c", 5), ("b", 1))


def test_breakdown_tooltip(bars):
    bars.set_breakdown("Models", MODELS[:3], "requests")  # rows: gpt-4o at y=2, claude at 1, o3-mini at 0

    assert bars.tooltip_at(600, 2) == "gpt-4o: 1,200 requests (52%)"
    assert bars.tooltip_at(10, 1.3) == "claude-sonnet-4: 800 requests (35%)"
    assert bars.tooltip_at(299, 0) == "o3-mini: 300 requests (13%)"
    assert bars.tooltip_at(301, 0) == ""  # past the end of the bar
    assert bars.tooltip_at(100, 1.5) == ""  # between rows
    assert bars.tooltip_at(100, 3) == ""
    assert bars.tooltip_at(-1, 2) == ""


def test_breakdown_empty_state(bars, save):
    bars.set_breakdown("Editors", MODELS, "requests")
    bars.set_breakdown("Editors", (("vscode", 0),), "requests")
    image = render_chart(bars, 480, 320)
    save(image)

    assert bars.is_empty
    assert bars.message == "Nothing recorded in this range"
    assert bars.title == "Editors"
    assert bars.tooltip_at(0, 0) == ""
    assert count(image, SERIES_COLOURS[0]) == 0


# --- themes and rendering -------------------------------------------------------------------------


def test_theme_from_palette():
    dark = ChartTheme.from_palette(DARK)
    assert (dark.background, dark.foreground) == ("#1e1e1e", "#e8e8e8")
    assert dark.dark
    light = ChartTheme.from_palette(LIGHT)
    assert (light.background, light.foreground) == ("#ffffff", "#1a1a1a")
    assert not light.dark
    background, grid, foreground = (QColor(c).lightnessF() for c in (light.background, light.grid, light.foreground))
    assert background > grid > foreground
    assert light.colour(0) == light.colour(len(light.series)) == SERIES_COLOURS[0]


@pytest.mark.parametrize("make", [StackedDailyChart, BreakdownChart])
def test_palette_changes_recolour_the_rendered_chart(qtbot, make, save):
    chart = make()
    qtbot.addWidget(chart)
    if isinstance(chart, StackedDailyChart):
        chart.set_series(THREE)
    else:
        chart.set_breakdown("Models", MODELS, "requests")

    chart.setPalette(DARK)
    dark = render_chart(chart, 480, 300)
    save(dark, "-dark")
    chart.setPalette(LIGHT)
    light = render_chart(chart, 480, 300)
    save(light, "-light")

    for x, y in ((1, 1), (478, 298), (240, 1)):
        assert lightness(dark, x, y) < 0.2
        assert lightness(light, x, y) > 0.9
    assert count(dark, SERIES_COLOURS[0]) > 0
    assert count(light, SERIES_COLOURS[0]) > 0


def test_an_application_palette_change_recolours_the_chart(qtbot):
    chart = StackedDailyChart()  # no palette of its own: it follows the application's
    qtbot.addWidget(chart)
    chart.set_series(THREE)
    previous = QApplication.palette()
    try:
        QApplication.setPalette(DARK)
        qtbot.waitUntil(lambda: chart.theme.dark)
        assert chart.theme.background == "#1e1e1e"
        assert lightness(render_chart(chart, 400, 200), 1, 1) < 0.2
    finally:
        QApplication.setPalette(previous)
    qtbot.waitUntil(lambda: chart.theme.background == ChartTheme.from_palette(previous).background)


def test_empty_message_follows_the_theme(stacked):
    stacked.setPalette(DARK)
    image = render_chart(stacked, 400, 200)
    assert image.pixelColor(5, 5) == QColor("#1e1e1e")
    assert int(np.count_nonzero((pixels(image) & 0xFF) > 0xA0)) > 20  # light text on dark


def test_apply_theme_sets_custom_colours(stacked):
    stacked.set_series(THREE)
    stacked.apply_theme(ChartTheme(background="#102030", foreground="#f0f0f0", grid="#405060",
                                   series=("#ff0000", "#00ff00")))
    image = render_chart(stacked, 480, 300)

    assert image.pixelColor(2, 2) == QColor("#102030")
    assert count(image, "#ff0000") > 0  # alice
    assert count(image, "#00ff00") > 0  # carol
    assert count(image, SERIES_COLOURS[0]) == 0


def test_render_chart_draws_what_the_screen_shows(qtbot):
    series = many(20, 30)  # a short chart: the legend needs two columns
    on_screen = StackedDailyChart()
    qtbot.addWidget(on_screen)
    on_screen.set_series(series)
    on_screen.resize(600, 230)
    on_screen.show()
    qtbot.waitExposed(on_screen)
    qtbot.wait(20)
    expected = on_screen.grab().toImage().convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    offscreen = StackedDailyChart()
    qtbot.addWidget(offscreen)
    offscreen.set_series(series)

    assert render_chart(offscreen, 600, 230) == expected


def test_render_chart_honours_the_pixel_ratio_and_leaves_no_window(stacked):
    stacked.set_series(THREE)
    image = render_chart(stacked, 300, 200, device_pixel_ratio=2)

    assert (image.width(), image.height()) == (600, 400)
    assert image.devicePixelRatio() == 2
    assert count(image, SERIES_COLOURS[0]) > 0
    assert not stacked.isVisible()
    assert not stacked.testAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)


# --- live refreshes: the items stay, the picture is the same as a chart drawn afresh -------------------------


def _plot_items(chart) -> list:
    return list(chart.plot_widget.getPlotItem().items)


FIVE = DailySeries(DAYS, ("alice", "bob", "carol", "dave", "erin"),
                   ((10, 20, 30, 0, 5), (5, 5, 5, 5, 5), (1, 2, 3, 4, 50), (7, 0, 0, 0, 0), (0, 0, 9, 9, 9)))


def test_a_refresh_moves_the_stacked_bars_in_place_and_draws_what_a_fresh_chart_draws(stacked, qtbot):
    stacked.set_series(THREE)
    items = _plot_items(stacked)
    grown = DailySeries(DAYS, THREE.developers, (*THREE.values[:2], (1, 2, 3, 4, 95)))
    stacked.set_series(grown)
    assert _plot_items(stacked) == items  # the same bar and grid items, moved
    fresh = StackedDailyChart()
    qtbot.addWidget(fresh)
    fresh.apply_theme(stacked.theme)
    fresh.set_series(grown)
    assert render_chart(stacked, 640, 320) == render_chart(fresh, 640, 320)
    assert stacked.tooltip_at(4, 90) == "2026-11-05 · carol: 95 requests"

    stacked.set_series(FIVE)  # more developers: bars are added, then taken away again
    assert len(bar_items(stacked)) == 5 and stacked.legend_names[:2] == ("alice", "carol")
    stacked.set_series(grown)
    assert len(bar_items(stacked)) == 3 and stacked.legend_names == ("carol", "alice", "bob")
    assert render_chart(stacked, 640, 320) == render_chart(fresh, 640, 320)


def test_a_refresh_with_the_same_series_touches_nothing(stacked):
    stacked.set_series(THREE)
    legend = list(stacked._legend.items)
    stacked.set_series(DailySeries(THREE.days, THREE.developers, THREE.values))
    assert list(stacked._legend.items) == legend  # not rebuilt: the same label items


def test_a_refresh_relabels_the_breakdown_in_place_and_draws_what_a_fresh_chart_draws(bars, qtbot):
    bars.set_breakdown("Models", MODELS, "requests")
    items = _plot_items(bars)
    fewer = (("gpt-4o", 1300), *MODELS[1:4])
    bars.set_breakdown("Models", fewer, "requests")
    assert len(_plot_items(bars)) == len(items) - 5  # four labels instead of nine; the bars and grid stay
    assert set(_plot_items(bars)) <= set(items)
    fresh = BreakdownChart()
    qtbot.addWidget(fresh)
    fresh.apply_theme(bars.theme)
    fresh.set_breakdown("Models", fewer, "requests")
    assert render_chart(bars, 480, 320) == render_chart(fresh, 480, 320)
    assert bars.tooltip_at(1250, 3) == "gpt-4o: 1,300 requests (52%)"
