"""Benchmark: every report format over a year of a 25-person team (about 5,000,000 usage events).

Run it on its own (never part of the default run)::

    python -m pytest -p no:cacheprovider -m benchmark -s tests/benchmarks/test_report_benchmark.py

The data folder is the dashboard benchmark's (`cached_data_dir(year_spec(today))`, generated on
first use; opened once as the app does, so an older cache is migrated). Each format is exported as
the command line does (`export_report`: the store read, the document rendered and saved) and timed
in CPU seconds of this process (the machine's other load does not count) and wall seconds.
Targets (issue 16): GitHub NDJSON <= 3 s, the seed's JSON <= 2 s, Excel <= 2 s, PDF <= 15 s (a
year's PDF leaves the day-by-day appendix out and says how to get it); CSV and HTML have no target
of their own and are reported.
"""

import time
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.core.paths import resolve_paths
from desktop_app.core.reports.data import ReportOptions
from desktop_app.core.reports.export import export_report
from desktop_app.core.reports.formats import ReportFormat
from desktop_app.core.store.dashboard import DayRange
from desktop_app.core.store.database import UsageStore
from tests.benchmarks.generate_data import TIME_ZONE, cached_data_dir, year_spec

pytestmark = pytest.mark.benchmark
TARGET_CPU_SECONDS: dict[ReportFormat, float | None] = {
    "github-ndjson": 3.0, "json": 2.0, "xlsx": 2.0, "pdf": 15.0, "csv": None, "html": None,
}


@pytest.fixture(scope="module")
def year():
    spec = year_spec(datetime.now(UTC).date())
    data_dir = cached_data_dir(spec)
    # Opened once as the app does (migrations, then summarising what they marked): a cache generated
    # by an older version is brought up to date before anything is timed.
    UsageStore.open(resolve_paths(data_dir).database, TIME_ZONE).close()
    last = spec.first_day + timedelta(days=spec.days - 1)
    return resolve_paths(data_dir), DayRange(spec.first_day, last)


@pytest.mark.parametrize("fmt", list(TARGET_CPU_SECONDS))
def test_a_years_report(year, fmt: ReportFormat, tmp_path):
    paths, days = year
    output = tmp_path / f"year.{fmt}"
    wall, cpu = time.perf_counter(), time.process_time()
    result = export_report(paths, fmt, ReportOptions(days), output, recording_level="metadata")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"\n{fmt}: {cpu:.1f} s CPU, {wall:.1f} s wall, {result.size / 1e6:.1f} MB, {result.summary}")
    assert result.developer_days >= 300 * 20
    target = TARGET_CPU_SECONDS[fmt]
    if target is not None:
        assert cpu <= target, f"{fmt} took {cpu:.1f} s of CPU (target {target} s)"
