"""The daily summary's splits (per IDE, per editor key) equal what the raw events give, day by day."""

import shutil
import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from desktop_app.core.paths import resolve_paths
from desktop_app.core.reports.ide_totals import read_ide_days
from desktop_app.core.seed_format import seed_daily_metrics
from desktop_app.core.store.dashboard import DayRange
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.rollup import MARK_DIRTY, SPLITS, read_split
from desktop_app.core.store.schema import SPLITS_SINCE
from tests.core.reports.conftest import WEEK
from tests.helpers.stores import compute_split

DAYS = [WEEK.first.fromordinal(WEEK.first.toordinal() + n).isoformat() for n in range(WEEK.length)]


@pytest.fixture
def copied_store(report_data_dir, tmp_path) -> Path:
    """A writable copy of the week's store (the shared one stays read-only)."""
    database = resolve_paths(report_data_dir).database
    with closing(UsageStore.reader(database)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM rollup_dirty").fetchone() == (0,)  # the week is summarised
    copy = tmp_path / "usage.sqlite3"
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    return copy


def mark_dirty(database: Path, days: list[str]) -> None:
    """Mark `days` unsummarised, as the writer does while they receive events (their rows stay stale)."""
    with closing(sqlite3.connect(database)) as conn, conn:
        conn.executemany(MARK_DIRTY, [(day,) for day in days])


@pytest.mark.parametrize("split", SPLITS, ids=lambda s: s.table.name)
def test_each_split_reads_the_rows_the_raw_events_give(report_data_dir, split):
    with closing(UsageStore.reader(resolve_paths(report_data_dir).database)) as conn:
        stored = conn.execute(f"SELECT COUNT(*) FROM {split.table.name}").fetchone()[0]  # noqa: S608
        summarised = read_split(conn, split, WEEK.first, WEEK.last)
        raw = compute_split(conn, split, DAYS)
        some = read_split(conn, split, date(2026, 11, 3), date(2026, 11, 4), ("dev01",))
    assert stored == len(raw) > 0
    assert summarised == raw
    assert some == [row for row in raw if row[0] in ("2026-11-03", "2026-11-04") and row[1] == "dev01"]


@pytest.mark.parametrize("dirty", [DAYS, DAYS[2:3]], ids=["every day", "one day"])
def test_per_ide_and_seed_figures_from_the_summary_equal_those_from_the_raw_events(copied_store, dirty):
    with closing(UsageStore.reader(copied_store)) as conn:
        ide_days, seed_days = read_ide_days(conn, WEEK), seed_daily_metrics(conn, WEEK.first, WEEK.last)
    with closing(sqlite3.connect(copied_store)) as conn, conn:  # the dirty days' stale rows must not be read
        for split in SPLITS:
            conn.executemany(f"UPDATE {split.table.name} SET {split.table.values[0][0]} = 999 "  # noqa: S608
                             "WHERE day = ?", [(day,) for day in dirty])
    mark_dirty(copied_store, dirty)
    with closing(UsageStore.reader(copied_store)) as conn:
        assert read_ide_days(conn, WEEK) == ide_days
        assert seed_daily_metrics(conn, WEEK.first, WEEK.last) == seed_days
        assert read_ide_days(conn, DayRange(WEEK.first, WEEK.first)) == tuple(
            i for i in ide_days if i.day == WEEK.first)


def test_refreshing_a_day_rewrites_its_split_rows(copied_store):
    with closing(UsageStore.reader(copied_store)) as conn:
        before = {split.table.name: read_split(conn, split, WEEK.first, WEEK.last) for split in SPLITS}
    with closing(sqlite3.connect(copied_store)) as conn, conn:
        for split in SPLITS:
            conn.execute(f"DELETE FROM {split.table.name} WHERE day = ?", (DAYS[3],))  # noqa: S608
    mark_dirty(copied_store, DAYS[3:4])
    with UsageStore.open(copied_store, "UTC"):  # opening summarises the dirty day again
        pass
    with closing(UsageStore.reader(copied_store)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM rollup_dirty").fetchone() == (0,)
        after = {split.table.name: read_split(conn, split, WEEK.first, WEEK.last) for split in SPLITS}
    assert after == before


def test_a_file_older_than_the_splits_is_read_from_the_raw_events(copied_store, tmp_path):
    with closing(UsageStore.reader(copied_store)) as conn:
        ide_days = read_ide_days(conn, WEEK)
    older = tmp_path / "older.sqlite3"
    shutil.copy(copied_store, older)
    with closing(sqlite3.connect(older)) as conn, conn:
        for split in SPLITS:
            conn.execute(f"DROP TABLE {split.table.name}")
        conn.execute("DELETE FROM schema_version WHERE version >= ?", (SPLITS_SINCE,))
    with closing(UsageStore.reader(older)) as conn:
        assert read_ide_days(conn, WEEK) == ide_days
