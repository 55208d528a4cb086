"""Usage store at scale: 1,000,000 usage events of a 25-person team over two months.

Run with `pytest -m benchmark -s tests/benchmarks/test_store_benchmark.py` (never in the default run).
Reports the write rate through `write_many` (as the batching writer thread calls it, 1,000
exchanges per transaction) and the median of five `daily_usage` calls for a month, for everyone
and for one developer, with today still being written (computed from its events) and summarised.
"""

import statistics
import time
from contextlib import closing
from datetime import date, timedelta

import pytest

from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import daily_usage
from tests.benchmarks.synthetic import SyntheticSpec, chunked, generate_batches

SPEC = SyntheticSpec()  # 1,000,000 usage events, 25 developers, 61 days from 2026-03-02
WRITE_CHUNK = 1_000
MIN_USAGE_ROWS_PER_SECOND = 20_000
MAX_MONTH_QUERY_SECONDS = 0.200


def _median_seconds(action, runs=5):
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def _fill(store):
    writing, usage, telemetry = 0.0, 0, 0
    for chunk in chunked(generate_batches(SPEC), WRITE_CHUNK):
        start = time.perf_counter()
        store.write_many(chunk)
        writing += time.perf_counter() - start
        usage += sum(len(b.usage) for b in chunk)
        telemetry += sum(len(b.telemetry) for b in chunk)
    return writing, usage, telemetry


@pytest.mark.benchmark
def test_store_at_one_million_events(tmp_path):
    path = tmp_path / "usage.sqlite3"
    last_day = SPEC.first_day + timedelta(days=SPEC.days - 1)
    first_month = (SPEC.first_day, SPEC.first_day + timedelta(days=30))
    current_month = (last_day - timedelta(days=29), last_day)
    with UsageStore.open(path, "UTC") as store:
        writing, usage, telemetry = _fill(store)
        with closing(store.read_connection()) as conn:
            live_all = _median_seconds(lambda: daily_usage(conn, *current_month))
            live_one = _median_seconds(lambda: daily_usage(conn, *current_month, ["dev07"]))
            start = time.perf_counter()
            store.refresh_rollups()
            refresh = time.perf_counter() - start
            month_all = _median_seconds(lambda: daily_usage(conn, *first_month))
            month_one = _median_seconds(lambda: daily_usage(conn, *first_month, ["dev07"]))
            rows = daily_usage(conn, *first_month)
    rate = usage / writing
    print(f"\nwrote {usage:,} usage + {telemetry:,} telemetry rows in {writing:.1f} s: {rate:,.0f} usage rows/s "
          f"({(usage + telemetry) / writing:,.0f} rows/s); database {path.stat().st_size / 1e6:.0f} MB")
    print(f"month {first_month[0]}..{first_month[1]}, all developers ({len(rows)} rows): {month_all * 1000:.1f} ms; "
          f"one developer: {month_one * 1000:.1f} ms (medians of 5)")
    print(f"month ending {last_day} with that day still unsummarised: all {live_all * 1000:.1f} ms, "
          f"one developer {live_one * 1000:.1f} ms; summarising it took {refresh * 1000:.0f} ms")
    assert usage == SPEC.usage_events
    assert len(rows) == 31 * SPEC.developers
    assert sum(r.requests for r in rows) > 0
    assert rate >= MIN_USAGE_ROWS_PER_SECOND
    assert month_all <= MAX_MONTH_QUERY_SECONDS
    assert first_month[0] == date(2026, 3, 2)
