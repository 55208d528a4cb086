"""Shared report fixtures: a small synthetic store (4 developers, a week) and its report data."""

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from desktop_app.core.paths import resolve_paths
from desktop_app.core.reports.data import ReportData, ReportOptions, load_report
from desktop_app.core.reports.prompts import PromptEntry
from desktop_app.core.store.dashboard import DayRange
from tests.benchmarks.generate_data import fill_data_dir
from tests.benchmarks.synthetic import SyntheticSpec

WEEK = DayRange(date(2026, 11, 2), date(2026, 11, 8))
SPEC = SyntheticSpec(usage_events=6000, developers=4, first_day=WEEK.first, days=WEEK.length, seed=7)
DEVELOPERS = ("dev00", "dev01", "dev02", "dev03")
ALIAS_KEY = b"k" * 32


@pytest.fixture(scope="session")
def report_data_dir(tmp_path_factory) -> Path:
    """A data folder whose store holds a synthetic week of four developers' traffic (read-only for tests)."""
    folder = tmp_path_factory.mktemp("report-store")
    fill_data_dir(folder, SPEC)
    return folder


def load(data_dir: Path, **options) -> ReportData:
    """The report of `data_dir` over WEEK (or `days=`), with `options` as ReportOptions fields."""
    paths = resolve_paths(data_dir)
    chosen = ReportOptions(days=options.pop("days", WEEK), **options)
    return load_report(paths.database, paths.content_dir, chosen, recording_level="metadata", alias_key=ALIAS_KEY,
                       per_ide=True, seed_shape=True)


@pytest.fixture(scope="session")
def week_report(report_data_dir) -> ReportData:
    """The whole week, everyone, real names."""
    return load(report_data_dir)


@pytest.fixture(scope="session")
def pseudonymized_report(report_data_dir) -> ReportData:
    """The whole week, everyone, aliases instead of names."""
    return load(report_data_dir, pseudonymize=True)


@pytest.fixture
def report_with_prompts(week_report) -> ReportData:
    """The week with two recorded prompts (one with characters outside Latin-1 and markup to escape)."""
    prompts = (
        PromptEntry("dev00", datetime(2026, 11, 3, 9, 15, tzinfo=UTC), "agent", "gpt-5",
                    "Refactor <Parser> & add tests", "Here is the plan:\n1. Split the parser"),
        PromptEntry("dev01", datetime(2026, 11, 4, 14, 2, tzinfo=UTC), "ask", "claude-sonnet-4.5",
                    "Why does 日本語 input fail? — “quotes”", "Because the decoder assumes Latin-1 → use UTF-8."),
    )
    return dataclasses.replace(week_report, prompts=prompts)
