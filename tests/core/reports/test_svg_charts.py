"""The report charts: stacked daily columns and breakdown bars as valid, escaped SVG."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from desktop_app.core.charts import OTHERS_COLOUR, SERIES_COLOURS, day_ticks, nice_ticks
from desktop_app.core.reports.svg_charts import (
    NO_DATA,
    breakdown_chart,
    breakdown_chart_svg,
    daily_chart,
    daily_chart_svg,
)
from desktop_app.core.store.dashboard import DailySeries

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - the module's own output, not untrusted input
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return root.findall("svg:rect[@class='bar']", NS)


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.findall("svg:text", NS)]


def tooltip(bar: ET.Element) -> str:
    title = bar.find("svg:title", NS)
    assert title is not None
    return title.text or ""


def series(names: list[str], days: int, value=lambda i, d: i + d) -> DailySeries:
    first = date(2026, 11, 2)
    return DailySeries(tuple(first + timedelta(days=d) for d in range(days)), tuple(names),
                       tuple(tuple(value(i, d) for d in range(days)) for i in range(len(names))))


# --- the daily chart ------------------------------------------------------------------------------

def test_daily_chart_has_one_bar_per_non_zero_value_with_its_tooltip(week_report):
    daily = week_report.daily
    root = parse(daily_chart_svg(daily))

    expected = {f"{day.isoformat()} · {name}: {values[d]:,} requests"
                for name, values in zip(daily.developers, daily.values, strict=True)
                for d, day in enumerate(daily.days) if values[d]}
    found = [tooltip(bar) for bar in bars(root)]
    assert len(found) == sum(1 for values in daily.values for v in values if v) == 28
    assert set(found) == expected


def test_daily_chart_stacks_in_proportion_and_labels_days_and_legend(week_report):
    daily = week_report.daily
    chart = daily_chart(daily)
    totals = [sum(values[d] for values in daily.values) for d in range(len(daily.days))]
    heights = [sum(bar.height for bar in chart.bars if bar.tooltip.startswith(day.isoformat())) for day in daily.days]
    for total, height in zip(totals, heights, strict=True):
        assert height / heights[0] == pytest.approx(total / totals[0], rel=1e-6)

    labels = texts(parse(daily_chart_svg(daily)))
    assert labels[0] == "Requests per day, by developer"
    assert [f"{d} Nov" for d in range(2, 9)] == [t for t in labels if t.endswith(" Nov")]
    assert labels[-4:] == list(daily.developers)  # the legend, busiest first
    assert [s.colour for s in chart.swatches] == list(SERIES_COLOURS[:4])
    assert "1,500" in labels and "0" in labels


def test_daily_chart_merges_developers_beyond_twelve_into_grey_others():
    many = series([f"person{i:02}" for i in range(15)], 3, value=lambda i, d: 100 - i)
    chart = daily_chart(many)
    legend = [label.text for label in chart.labels if label.text.startswith(("person", "others"))]
    assert legend == [f"person{i:02}" for i in range(12)] + ["others (3)"]
    assert chart.swatches[-1].colour == OTHERS_COLOUR
    others = [bar for bar in chart.bars if "others (3)" in bar.tooltip]
    assert len(others) == 3 and all(bar.colour == OTHERS_COLOUR for bar in others)
    assert f"others (3): {88 + 87 + 86:,} requests" in others[0].tooltip
    assert len(chart.bars) == 13 * 3


def test_day_labels_thin_out_over_a_long_period():
    long = series(["alice"], 120, value=lambda i, d: 1 + d % 5)
    labels = [t for t in texts(parse(daily_chart_svg(long))) if t[:1].isdigit() and " " in t]
    assert 2 <= len(labels) <= 20
    assert len(set(labels)) == len(labels)
    assert day_ticks([date(2026, 1, 1) + timedelta(days=n) for n in range(7)], 10) == (tuple(range(7)), False)


def test_nice_ticks_are_round():
    assert nice_ticks(1312) == (1500, 500)
    assert nice_ticks(0) == (1, 1)
    assert nice_ticks(47) == (50, 10)


def test_empty_daily_chart_says_so():
    root = parse(daily_chart_svg(series(["alice", "bob"], 5, value=lambda i, d: 0)))
    assert bars(root) == []
    assert NO_DATA in texts(root)
    assert NO_DATA in texts(parse(daily_chart_svg(DailySeries((), (), ()))))


# --- the breakdown chart --------------------------------------------------------------------------

def test_breakdown_chart_has_a_bar_per_entry_largest_first(week_report):
    models = week_report.models
    root = parse(breakdown_chart_svg("Model calls by model", models, unit="calls"))
    found = bars(root)
    assert len(found) == len(models) == 5
    total = sum(count for _, count in models)
    expected = [f"{name}: {count:,} calls ({count / total:.0%})" for name, count in models]
    assert [tooltip(bar) for bar in found] == expected
    widths = [float(bar.get("width", "0")) for bar in found]
    assert widths == sorted(widths, reverse=True)
    assert widths[1] / widths[0] == pytest.approx(models[1][1] / models[0][1], rel=1e-3)
    labels = texts(root)
    assert labels[0] == "Model calls by model"
    for name, count in models:
        assert name in labels and f"{count:,}" in labels


def test_breakdown_chart_merges_the_rest_into_other():
    items = tuple((f"lang{i}", 100 - i) for i in range(11))
    chart = breakdown_chart("Languages", items)
    assert len(chart.bars) == 9
    assert chart.bars[-1].colour == OTHERS_COLOUR
    assert chart.bars[-1].tooltip.startswith(f"other (3): {92 + 91 + 90:,} requests")
    assert all(bar.colour == SERIES_COLOURS[0] for bar in chart.bars[:-1])


def test_empty_breakdown_chart_says_so():
    root = parse(breakdown_chart_svg("Editors", ()))
    assert bars(root) == []
    assert texts(root) == ["Editors", NO_DATA]


# --- text ---------------------------------------------------------------------------------------

def test_every_text_is_escaped_and_the_svg_stays_valid_xml():
    name = "<script>x</script> & \"co\"\x01\ud800"
    daily_root = parse(daily_chart_svg(series([name, "bob"], 2), title="A <b>title</b> & more"))
    breakdown_svg = breakdown_chart_svg("<Models>", ((name, 3), ("gpt-5", 2)))
    breakdown_root = parse(breakdown_svg)

    clean = name.replace("\x01", "").replace("\ud800", "")
    assert "<script>" not in breakdown_svg
    assert daily_root.get("aria-label") == "A <b>title</b> & more"
    assert texts(daily_root)[0] == "A <b>title</b> & more"
    assert clean in texts(daily_root)
    assert clean in texts(breakdown_root) and "<Models>" in texts(breakdown_root)
    assert any(tooltip(bar).startswith(f"2026-11-03 · {clean}: 1 requests") for bar in bars(daily_root))
    assert root_has_no_children_named(daily_root, "script")


def root_has_no_children_named(root: ET.Element, tag: str) -> bool:
    return not [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == tag]


def test_long_names_are_elided_on_the_chart_but_whole_in_the_tooltip():
    name = "a-very-long-model-name-that-goes-on-and-on"
    root = parse(breakdown_chart_svg("Models", ((name, 5),)))
    assert name not in texts(root)
    assert any(t.endswith("…") and name.startswith(t[:-1]) for t in texts(root))
    assert tooltip(bars(root)[0]).startswith(name)


def test_text_is_dark_on_white_for_printing(week_report):
    root = parse(daily_chart_svg(week_report.daily))
    background = root.find("svg:rect[@class='background']", NS)
    assert background is not None and background.get("fill") == "#ffffff"
    assert {t.get("fill") for t in root.findall("svg:text", NS)} == {"#202020"}
