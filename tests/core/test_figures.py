"""The figures' definitions: one per figure, read, rounded and added up the same way everywhere."""

import dataclasses

import pytest

from desktop_app.core.charts import sparkline
from desktop_app.core.figures import (
    DAILY_KEYS,
    DEVELOPER_KEYS,
    FIGURES,
    NO_TELEMETRY,
    SUMMARY_KEYS,
    UNKNOWN,
    compact_number,
    counts_text,
    display_text,
    exact_text,
    figure,
    machine_value,
    period_totals,
)
from desktop_app.core.store.queries import DailyUsage


def test_every_daily_figure_is_a_daily_usage_attribute_in_order():
    assert tuple(f.name for f in dataclasses.fields(DailyUsage)) == DAILY_KEYS
    assert len(set(DAILY_KEYS)) == len(FIGURES)
    for key in (*SUMMARY_KEYS, *DEVELOPER_KEYS):
        assert figure(key).title and figure(key).help


@pytest.mark.parametrize(("value", "text"), [
    (320_093_395, "320 M"), (1_234_567, "1.23 M"), (45_600, "45,600"), (123_456, "123 k"),
    (2_500_000_000, "2.50 B"), (0, "0"),
])
def test_large_numbers_read_rounded(value, text):
    assert compact_number(value) == text


def test_a_figure_reads_rounded_exact_or_unknown():
    tokens, accepted, rate = figure("prompt_tokens"), figure("completions_accepted"), figure("acceptance_rate")
    assert display_text(320_093_395, tokens) == "320 M"
    assert display_text(320_093_395, tokens, compact=False) == exact_text(320_093_395, "count") == "320,093,395"
    assert display_text(None, accepted) == display_text(None, rate) == UNKNOWN
    assert accepted.help_unknown == NO_TELEMETRY
    assert display_text(None, figure("latency_p50_ms")) == ""  # no model call: nothing to say, not unknown
    assert display_text(0.3456, rate) == "34.6%"  # one format on the dashboard and in every report
    assert counts_text({"ask": 3, "agent": 5, "": 1}) == "agent 5, ask 3, ? 1"


def test_files_round_fractions_and_keep_counts_whole():
    assert machine_value(3287.6956123350574, "credits") == 3287.6956
    assert machine_value(2 / 3, "ratio") == 0.6667
    assert machine_value(812.449, "millis") == 812.4


def test_a_period_adds_each_figure_by_its_rule():
    @dataclasses.dataclass
    class Row:
        requests: int
        completions_shown: int
        completions_accepted: int | None
        prompt_tokens: int = 10
        completion_tokens: int = 5

    rows = [Row(10, 10, 4), Row(20, 30, None)]
    totals = period_totals(rows, ("requests", "completions_shown", "completions_accepted", "acceptance_rate",
                                  "tokens"))
    assert totals == {"requests": 30, "completions_shown": 40, "completions_accepted": 4,
                      "acceptance_rate": 0.4,  # 4 / 10: only the row telemetry covered
                      "prompt_tokens": 20, "completion_tokens": 10, "tokens": 30}


def test_a_sparkline_is_short_and_says_nothing_when_there_is_nothing():
    assert sparkline([0, 0, 0]) == ""
    assert sparkline([1, 2, 4, 8]) == "▁▂▄█"
    assert len(sparkline(list(range(1, 366)))) <= 20
