"""Benchmark: the dashboard's year view over a year of a 25-person team (5,000,000 requests) on PostgreSQL.

Run it on its own (never part of the default run)::

    python -m pytest -p no:cacheprovider -m benchmark -s tests/benchmarks/test_postgres_benchmark.py

The events are the dashboard benchmark's (`generate_data.cached_data_dir(year_spec(today))`, generated
on first use), copied read-only from that SQLite file into a throwaway PostgreSQL with COPY (a minute or
two; the cached file is never written, whatever schema it has). Measured: `load_dashboard` over the
whole year (what the year view reads, on its worker), median of 5 after one warm-up: target <= 2 s;
and summarising one busy day from the raw events (what the writer does as days finish), for
information.
"""

import sqlite3
import statistics
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.core.store.dashboard import DashboardQuery, DayRange, load_dashboard
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.postgres import PostgresDatabase
from desktop_app.core.store.rollup import compute_day_totals
from tests.benchmarks.generate_data import cached_data_dir, year_spec
from tests.helpers.postgres import PostgresServer

pytestmark = pytest.mark.benchmark
RUNS = 5
MAX_YEAR_SECONDS = 2.0
TABLES = ("usage_events", "telemetry_events", "quota_snapshots", "developers", "daily_rollup",
          "daily_rollup_counts", "rollup_dirty", "counters")


def _columns(conn, table: str, sqlite: bool) -> list[str]:
    if sqlite:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    return [row[0] for row in conn.execute("SELECT column_name FROM information_schema.columns WHERE "
                                           "table_name = %s ORDER BY ordinal_position", (table,))]


def copy_store(source, url: str) -> int:
    """Copy every event and summary of the SQLite store `source` (read-only) into the PostgreSQL at `url`."""
    import psycopg

    copied = 0
    with closing(sqlite3.connect(f"{source.absolute().as_uri()}?mode=ro", uri=True)) as lite, \
            psycopg.connect(url, autocommit=True) as pg:
        pg.execute("DELETE FROM meta")
        pg.execute("INSERT INTO meta (key, value) SELECT 'time_zone', 'UTC'")
        for table in TABLES:
            wanted = set(_columns(pg, table, sqlite=False))
            columns = [c for c in _columns(lite, table, sqlite=True) if c in wanted]
            names = ", ".join(columns)
            with pg.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in lite.execute(f"SELECT {names} FROM {table}"):  # noqa: S608 - catalogue names
                    copy.write_row(row)
                    copied += 1
        pg.execute("ANALYZE")
    return copied


@pytest.mark.benchmark
def test_the_year_view_on_postgresql():
    spec = year_spec(datetime.now(UTC).date())
    source = cached_data_dir(spec) / "usage.sqlite3"
    server = PostgresServer().start()
    try:
        url = server.new_database()
        database = PostgresDatabase(url)
        UsageStore.open(database, "UTC").close()  # the current schema, empty
        start = time.perf_counter()
        copied = copy_store(source, url)
        loading = time.perf_counter() - start
        year = DayRange(spec.first_day, spec.first_day + timedelta(days=spec.days - 1))
        with closing(UsageStore.reader(database)) as conn:
            events = conn.execute("SELECT COUNT(*) FROM usage_events").fetchone()[0]
            load_dashboard(conn, DashboardQuery(year))  # warm the server's cache, as a second look does
            times, rows = [], 0
            for _ in range(RUNS):
                start = time.perf_counter()
                data = load_dashboard(conn, DashboardQuery(year))
                times.append(time.perf_counter() - start)
                rows = len(data.rows)
            busy_day = (year.last - timedelta(days=1)).isoformat()
            start = time.perf_counter()
            totals = compute_day_totals(conn, [busy_day])
            summarise = time.perf_counter() - start
        print(f"\ncopied {copied} rows into PostgreSQL in {loading:.0f} s ({events} requests)")
        print(f"year view ({year.length} days, {rows} rows): median {statistics.median(times) * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms")
        print(f"summarising {busy_day} ({sum(t.requests for t in totals)} requests) from the raw events: "
              f"{summarise * 1000:.0f} ms")
        assert events == spec.usage_events
        assert rows >= 300 * spec.developers // 2
        assert statistics.median(times) <= MAX_YEAR_SECONDS
    finally:
        server.cleanup()
