"""The usage store: the SQLite file, its single writer and its read connections.

`UsageStore` owns the database file (`AppPaths.database`): it creates it privately (0600 in a 0700
folder), runs it in WAL mode, applies the ordered `schema.MIGRATIONS`, computes each event's local
`day` in the configured time zone (`dayzone`, relabelling every day when the zone changes), and
writes `RecordBatch`es in one transaction per call. It keeps the daily summary current: writes mark
their days dirty and the writer summarises them with `rollup.refresh_days` (what the summary means
is `rollup`'s business). `open_reader` opens the read-only connections that `usage_query` (and
`rollup.read_day_totals`) read through.

Thread rules (sqlite3 connections belong to one thread at a time):

* The writer owns the write connection: one thread (the batching writer thread) calls `write`,
  `write_many`, `add_counter`, `purge` and `refresh_rollups` (when idle, so readers find today
  summarised too). `open` may run on another thread; the connection is guarded by a lock, but
  interleaving writers gains nothing, batch instead.
* Every reading thread opens its own read-only connection with `UsageStore.reader(path)` (or
  `store.read_connection()`), uses it from that thread only, and closes it. WAL lets readers run
  while the writer commits; a reader sees the last committed transaction.

The SQL (in `schema` and `rollup`) stays portable to PostgreSQL; only the connection setup (the
PRAGMAs here) and the bootstrap check (`schema.stored_version`) are SQLite's.
"""

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from desktop_app.core.errors import StoreError
from desktop_app.core.fileio import PRIVATE_FILE_MODE
from desktop_app.core.models import RecordBatch
from desktop_app.core.paths import ensure_private_dir
from desktop_app.core.store.dayzone import DayZone, epoch_seconds, resolve_zone
from desktop_app.core.store.rollup import MARK_DIRTY, REFRESH_DAYS_PER_TRANSACTION, ROLLUP_TABLES, refresh_days
from desktop_app.core.store.schema import (
    ADD_COUNTER,
    CREATE_VERSION_TABLE,
    INSERT_TELEMETRY,
    INSERT_USAGE,
    META_TIME_ZONE,
    MIGRATIONS,
    SCHEMA_VERSION,
    SET_META,
    TRIM_CONNECTIONS,
    UPSERT_CONNECTION,
    UPSERT_DEVELOPER,
    UPSERT_QUOTA,
    connection_row,
    quota_row,
    refuse_newer,
    seen_rows,
    stored_version,
    telemetry_row,
    usage_row,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

BUSY_TIMEOUT_MS: Final = 10_000
RECOMPUTE_DAYS_PER_TRANSACTION: Final = 31
_READ_CACHE_KIB: Final = 65_536
_READ_MMAP_BYTES: Final = 1 << 30


# --- connections ------------------------------------------------------------------------------------


def _describe(path: Path, exc: sqlite3.Error, doing: str) -> StoreError:
    name = getattr(exc, "sqlite_errorname", "")
    if name in {"SQLITE_NOTADB", "SQLITE_CORRUPT"}:
        message = (f"The usage database {path} is damaged or is not a Copilot Insight database. "
                   "It was left untouched: move it aside (or restore a backup) and start again.")
    else:
        message = f"The usage database {path} could not be {doing}: {exc}."
    return StoreError(message, details=f"{type(exc).__name__} ({name or 'no code'}): {exc}")


def _create_private_file(path: Path) -> None:
    """Create `path` readable by its owner only, in a new private folder (an existing folder is left as is)."""
    try:
        if not path.parent.exists():
            ensure_private_dir(path.parent)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))
        if os.name == "posix":
            path.chmod(PRIVATE_FILE_MODE)
    except OSError as exc:
        raise StoreError(f"The usage database {path} could not be created: {exc.strerror}.",
                         details=repr(exc)) from exc


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in one write transaction (taking the write lock up front)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (disk full, ...)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _finished_days(conn: sqlite3.Connection, written: set[str]) -> list[str]:
    """Dirty days older than the newest day just written and not written to now."""
    if not written:
        return []
    dirty = [row[0] for row in conn.execute("SELECT day FROM rollup_dirty WHERE day < ?", (max(written),))]
    return sorted(day for day in dirty if day not in written)


def open_reader(path: Path) -> sqlite3.Connection:
    """Open a read-only connection to the store at `path`, for the calling thread only.

    Raises:
        StoreError: There is no database at `path`, it is damaged, or it is from a newer version.
    """
    if not path.exists():
        raise StoreError(f"There is no usage database at {path} yet: start the proxy first.")
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise _describe(path, exc, "opened") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA cache_size = -{_READ_CACHE_KIB}")
        conn.execute(f"PRAGMA mmap_size = {_READ_MMAP_BYTES}")
        conn.execute("PRAGMA temp_store = MEMORY")
        refuse_newer(path, stored_version(conn))
    except sqlite3.Error as exc:
        conn.close()
        raise _describe(path, exc, "read") from exc
    except StoreError:
        conn.close()
        raise
    return conn


# --- the store --------------------------------------------------------------------------------------


class UsageStore:
    """The SQLite usage database, written by one writer thread; see the module docstring for threads."""

    def __init__(self, path: Path, conn: sqlite3.Connection, zone: DayZone) -> None:
        """Wrap an open write connection; use `UsageStore.open` instead."""
        self.path = path
        self.zone = zone
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.RLock()

    # Opening -------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, time_zone: str = "", progress: Progress | None = None) -> Self:
        """Open (creating and migrating as needed) the store at `path`.

        Args:
            path: The database file; its folder is created private (0700), the file 0600.
            time_zone: IANA zone name the `day` columns follow; '' is the machine's local zone.
            progress: Called as `progress(done, total)` (in days) during long maintenance at open:
                recomputing days after a time-zone change, then summarising them. Each phase counts
                from 0 again.

        Raises:
            StoreError: Unknown zone, damaged file, or a database from a newer version.
        """
        zone = resolve_zone(time_zone)
        _create_private_file(path)
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise _describe(path, exc, "opened") from exc
        store = cls(path, conn, zone)
        try:
            store._prepare(progress)
        except sqlite3.Error as exc:
            store.close()
            raise _describe(path, exc, "opened") from exc
        except BaseException:
            store.close()
            raise
        return store

    @staticmethod
    def reader(path: Path) -> sqlite3.Connection:
        """Open a read-only connection to the store at `path` for the calling thread (see `open_reader`)."""
        return open_reader(path)

    def read_connection(self) -> sqlite3.Connection:
        """Open a read-only connection to this store for the calling thread; the caller closes it."""
        return open_reader(self.path)

    def _prepare(self, progress: Progress | None) -> None:
        conn = self._connection()
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        refuse_newer(self.path, stored_version(conn))  # before changing anything in the file
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            logger.warning("SQLite refused WAL mode for %s (journal mode %s)", self.path, mode)
        conn.execute("PRAGMA synchronous = NORMAL")
        self._migrate()
        self._follow_time_zone(progress)
        self.refresh_rollups(progress)

    def _migrate(self) -> None:
        conn = self._connection()
        with _transaction(conn):
            version = stored_version(conn)  # again, under the write lock
            refuse_newer(self.path, version)
            conn.execute(CREATE_VERSION_TABLE)
            if 0 < version < SCHEMA_VERSION:
                logger.info("Upgrading the usage database %s from schema %d to %d (a few seconds per million "
                            "requests)", self.path, version, SCHEMA_VERSION)
            for number in range(version, SCHEMA_VERSION):
                MIGRATIONS[number](conn)
                conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                             (number + 1, time.time()))
                logger.info("Usage database %s migrated to schema %d", self.path, number + 1)

    # Time zone -----------------------------------------------------------------------------------

    def _follow_time_zone(self, progress: Progress | None) -> None:
        """Make every `day` follow the configured zone; a change relabels events and resummarises days."""
        conn = self._connection()
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_TIME_ZONE,)).fetchone()
        if row is not None and row[0] == self.zone.key:
            return
        days = self._event_days()
        if days:  # the days of a database without a recorded zone are recomputed too
            logger.info("Time zone changed from %s to %s: recomputing days", row and row[0], self.zone.key)
            self._relabel_days(days, progress)
        with _transaction(conn):
            for table in (*ROLLUP_TABLES, "rollup_dirty"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - constant table names
            conn.executemany(MARK_DIRTY, [(day.isoformat(),) for day in days])
            conn.execute(SET_META, (META_TIME_ZONE, self.zone.key))

    def _relabel_days(self, days: Sequence[date], progress: Progress | None) -> None:
        """Set every event's `day` from the current zone, a month of days per transaction."""
        for start in range(0, len(days), RECOMPUTE_DAYS_PER_TRANSACTION):
            chunk = days[start:start + RECOMPUTE_DAYS_PER_TRANSACTION]
            with _transaction(self._connection()) as conn:
                for day in chunk:
                    self._relabel_day(conn, day)
            if progress is not None:
                progress(start + len(chunk), len(days))

    def _event_days(self) -> list[date]:
        """Return every local day (plus a margin) between the oldest and newest event."""
        conn = self._connection()
        bounds = [
            *conn.execute("SELECT MIN(started_at), MAX(started_at) FROM usage_events").fetchone(),
            *conn.execute("SELECT MIN(occurred_at), MAX(occurred_at) FROM telemetry_events").fetchone(),
        ]
        moments = [float(b) for b in bounds if b is not None]
        if not moments:
            return []
        first = date.fromisoformat(self.zone.day_of(min(moments))) - timedelta(days=1)
        last = date.fromisoformat(self.zone.day_of(max(moments))) + timedelta(days=1)
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def _relabel_day(self, conn: sqlite3.Connection, day: date) -> None:
        low, high = self.zone.start_of(day), self.zone.start_of(day + timedelta(days=1))
        text = day.isoformat()
        conn.execute("UPDATE usage_events SET day = ? WHERE started_at >= ? AND started_at < ? AND day <> ?",
                     (text, low, high, text))
        conn.execute("UPDATE telemetry_events SET day = ? WHERE occurred_at >= ? AND occurred_at < ? AND day <> ?",
                     (text, low, high, text))

    # Writing -------------------------------------------------------------------------------------

    def write(self, batch: RecordBatch) -> None:
        """Store one batch in one transaction (content records are not the store's business)."""
        self.write_many((batch,))

    def write_many(self, batches: Sequence[RecordBatch]) -> None:
        """Store `batches` in one transaction; events already stored (same source_id) are skipped.

        Afterwards, days that stopped receiving events are summarised (a failure there is logged:
        the events are safe and readers compute unsummarised days themselves).

        Raises:
            StoreError: The database could not be written (disk full, damaged file, ...).
        """
        zone = self.zone
        usage = [usage_row(e, zone) for b in batches for e in b.usage]
        telemetry = [telemetry_row(e, zone) for b in batches for e in b.telemetry]
        quotas = [quota_row(q) for b in batches for q in b.quotas]
        connections = [connection_row(c) for b in batches for c in b.connections]
        days = {str(row[2]) for row in usage} | {str(row[2]) for row in telemetry}
        if not (usage or telemetry or quotas or connections):
            return
        with self._writing("written") as conn:
            conn.executemany(INSERT_USAGE, usage)
            conn.executemany(INSERT_TELEMETRY, telemetry)
            conn.executemany(UPSERT_QUOTA, quotas)
            conn.executemany(UPSERT_DEVELOPER, seen_rows(usage, telemetry))
            conn.executemany(MARK_DIRTY, [(day,) for day in days])
            if connections:
                conn.executemany(UPSERT_CONNECTION, connections)
                conn.execute(TRIM_CONNECTIONS)
            # Looked up in the same transaction: a batch costs a second one only on the rare write
            # after a day ended (normally every batch goes to today, which stays dirty).
            finished = _finished_days(conn, days)
        if finished:
            self._summarise_finished_days(finished)

    def _summarise_finished_days(self, finished: list[str]) -> None:
        """Summarise `finished` days, which stopped receiving events."""
        try:
            with self._writing("summarised") as conn:
                refresh_days(conn, finished)
        except StoreError as exc:
            logger.warning("Could not summarise finished days in %s: %s", self.path, exc.details)

    def refresh_rollups(self, progress: Progress | None = None) -> int:
        """Summarise every day not yet summarised (today included); return how many days that was.

        The writer may call this when idle, so readers find even today summarised.
        """
        with self._lock:
            days = [row[0] for row in self._connection().execute("SELECT day FROM rollup_dirty ORDER BY day")]
            for start in range(0, len(days), REFRESH_DAYS_PER_TRANSACTION):
                with self._writing("summarised") as conn:
                    refresh_days(conn, days[start:start + REFRESH_DAYS_PER_TRANSACTION])
                if progress is not None:
                    progress(min(start + REFRESH_DAYS_PER_TRANSACTION, len(days)), len(days))
        return len(days)

    def add_counter(self, name: str, delta: int) -> None:
        """Add `delta` to the counter `name` (unparsed, unrecorded, dropped, ...), creating it at 0."""
        with self._writing("written") as conn:
            conn.execute(ADD_COUNTER, (name, delta))

    def purge(self, events_before: datetime) -> int:
        """Delete usage and telemetry events older than `events_before`; return how many went.

        Summaries of the removed days and older connection diagnostics go too; the day of the cut-off is
        summarised again. Quota
        snapshots (latest values), counters and developers' first/last seen are kept.
        """
        cutoff = epoch_seconds(events_before)
        cutoff_day = self.zone.day_of(cutoff)
        with self._writing("purged") as conn:
            usage = conn.execute("DELETE FROM usage_events WHERE started_at < ?", (cutoff,)).rowcount
            telemetry = conn.execute("DELETE FROM telemetry_events WHERE occurred_at < ?", (cutoff,)).rowcount
            conn.execute("DELETE FROM connection_events WHERE last_at < ?", (cutoff,))
            for table in (*ROLLUP_TABLES, "rollup_dirty"):
                conn.execute(f"DELETE FROM {table} WHERE day < ?", (cutoff_day,))  # noqa: S608 - constant names
            refresh_days(conn, [cutoff_day])
        return int(usage) + int(telemetry)

    @contextlib.contextmanager
    def _writing(self, doing: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            try:
                with _transaction(conn):
                    yield conn
            except sqlite3.Error as exc:
                raise _describe(self.path, exc, doing) from exc

    # Closing -------------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"The usage database {self.path} is closed.")
        return self._conn

    def close(self) -> None:
        """Close the write connection (idempotent); readers opened separately stay open."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(sqlite3.Error):
            conn.execute("PRAGMA optimize")
        conn.close()

    def __enter__(self) -> Self:
        """Use the store as a context manager that closes it."""
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        """Close the store."""
        self.close()
