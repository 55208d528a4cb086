"""The usage store: its database, its single writer and its read connections.

`UsageStore` owns the database (a `engine.Database`: by default the SQLite file `AppPaths.database`,
created privately, 0600 in a 0700 folder, in WAL mode; or a PostgreSQL database several instances
share): it applies the ordered `schema.MIGRATIONS`, computes each event's local
`day` in the configured time zone (`dayzone`, relabelling every day when the zone changes), and
writes `RecordBatch`es in one transaction per call. It keeps the daily summary current: writes mark
their days dirty and the writer summarises them with `rollup.refresh_days` (what the summary means
is `rollup`'s business). `open_reader` opens the read-only connections that `usage_query` (and
`rollup.read_day_totals`) read through.

Thread rules (a connection belongs to one thread at a time):

* The writer owns the write connection: one thread (the batching writer thread) calls `write`,
  `write_many`, `purge` and `refresh_rollups` (after a write, at most once a minute, so readers
  find even today mostly summarised). `open` may run on another thread; the connection is guarded
  by a lock, but interleaving writers gains nothing, batch instead.
* Every reading thread opens its own read-only connection with `UsageStore.reader(target)` (or
  `store.read_connection()`), uses it from that thread only, and closes it. WAL lets readers run
  while the writer commits; a reader sees the last committed transaction.

The SQL (in `schema` and `rollup`) is written once and runs on both engines; connection setup, the
bootstrap version check and the translation for PostgreSQL are `engine`'s and `postgres`'s.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Final, Self

from desktop_app.core.errors import StoreError
from desktop_app.core.models import QuotaSnapshot, RecordBatch
from desktop_app.core.store.dayzone import DayZone, epoch_seconds, resolve_zone
from desktop_app.core.store.engine import DATABASE_ERRORS, Connection, Database, Target, as_database
from desktop_app.core.store.otel_merge import insert_usage
from desktop_app.core.store.rollup import MARK_DIRTY, REFRESH_DAYS_PER_TRANSACTION, ROLLUP_TABLES, refresh_days
from desktop_app.core.store.schema import (
    ADD_COUNTER,
    CLEAR_UPSTREAM_FAILURES,
    CREATE_VERSION_TABLE,
    INSERT_METRIC,
    INSERT_TELEMETRY,
    INSERT_TOOL_CALL,
    META_TIME_ZONE,
    METRIC_TABLE,
    MIGRATIONS,
    SCHEMA_VERSION,
    SET_META,
    TOOL_CALL_TABLE,
    TRIM_CONNECTIONS,
    UPSERT_CONNECTION,
    UPSERT_DEVELOPER,
    UPSERT_INSTANCE,
    UPSERT_QUOTA,
    Rows,
    connection_row,
    quota_row,
    recoveries,
    refuse_newer,
    seen_rows,
    telemetry_row,
    usage_row,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

RECOMPUTE_DAYS_PER_TRANSACTION: Final = 31


# --- connections ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _transaction(conn: Connection) -> Iterator[Connection]:
    """Run the block in one write transaction (taking the write lock up front)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (disk full, ...)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _finished_days(conn: Connection, written: set[str]) -> list[str]:
    """Dirty days older than the newest day just written and not written to now."""
    if not written:
        return []
    dirty = [row[0] for row in conn.execute("SELECT day FROM rollup_dirty WHERE day < ?", (max(written),))]
    return sorted(day for day in dirty if day not in written)


def open_reader(target: Target) -> Connection:
    """Open a read-only connection to the store `target` (a `Database`, or a SQLite file), for the calling thread.

    Raises:
        StoreError: There is no database there, it is damaged or unreachable, or it is from a newer version.
    """
    return as_database(target).open_reader()


def prepare_rows(batches: Sequence[RecordBatch], zone: DayZone, instance: str,
                 counters: Sequence[tuple[str, int]] = ()) -> Rows:
    """Return `batches` as the rows `UsageStore.write_rows` stores, with `counters` ((name, delta)) to add.

    Days are in `zone`; events name `instance`.
    """
    return Rows(
        counters=list(counters),
        usage=[(*usage_row(e, zone), instance) for b in batches for e in b.usage],
        telemetry=[(*telemetry_row(e, zone), instance) for b in batches for e in b.telemetry],
        quotas=_latest_quotas(batches),
        connections=[connection_row(c) for b in batches for c in b.connections],
        tools=[(*TOOL_CALL_TABLE.row(t, zone), instance) for b in batches for t in b.tool_calls],
        metrics=[METRIC_TABLE.row(p, zone) for b in batches for p in b.metric_points],
    )


def _latest_quotas(batches: Sequence[RecordBatch]) -> list[tuple[object, ...]]:
    """One `UPSERT_QUOTA` row per developer and quota: the one upserting them all in order would leave.

    Every response repeats its quotas; the upsert keeps the newest reading (the later one of equal times).
    """
    latest: dict[tuple[str, str], tuple[float, QuotaSnapshot]] = {}
    for snapshot in (q for b in batches for q in b.quotas):
        seconds, key = epoch_seconds(snapshot.observed_at), (snapshot.developer, snapshot.quota)
        kept = latest.get(key)
        if kept is None or seconds >= kept[0]:
            latest[key] = (seconds, snapshot)
    return [quota_row(snapshot) for _, snapshot in latest.values()]


def migrate(database: Database, conn: Connection) -> None:
    """Bring the store on the write connection `conn` to `SCHEMA_VERSION`, in one write transaction.

    The transaction takes the write lock first (on PostgreSQL every instance's), and the version is
    read again under it: instances starting together migrate once.
    """
    with _transaction(conn):
        version = database.stored_version(conn)
        refuse_newer(database.label, version)
        conn.execute(CREATE_VERSION_TABLE)
        if 0 < version < SCHEMA_VERSION:
            logger.info("Upgrading the usage database %s from schema %d to %d (a few seconds per million "
                        "requests)", database.label, version, SCHEMA_VERSION)
        for number in range(version, SCHEMA_VERSION):
            MIGRATIONS[number](conn)
            conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", (number + 1, time.time()))
            # A new database goes through every migration: that is news only when upgrading one.
            logger.log(logging.INFO if version else logging.DEBUG, "Usage database %s migrated to schema %d",
                       database.label, number + 1)


write_transaction = _transaction
"""One write transaction on a write connection, taking the (on PostgreSQL every instance's) write lock first."""


# --- the store --------------------------------------------------------------------------------------


class UsageStore:
    """The usage database, written by one writer thread; see the module docstring for threads."""

    def __init__(self, database: Database, conn: Connection, zone: DayZone, instance: str = "") -> None:
        """Wrap an open write connection; use `UsageStore.open` instead."""
        self.database = database
        self.instance = instance
        self.path = database.label  # how messages name the store
        self.zone = zone
        self._conn: Connection | None = conn
        self._lock = threading.RLock()

    # Opening -------------------------------------------------------------------------------------

    @classmethod
    def open(cls, target: Target, time_zone: str = "", progress: Progress | None = None, instance: str = "") -> Self:
        """Open (creating and migrating as needed) the store `target`.

        Args:
            target: A `Database`, or a SQLite file (its folder is created private (0700), the file 0600).
            time_zone: IANA zone name the `day` columns follow; '' is the machine's local zone.
            progress: Called as `progress(done, total)` (in days) during long maintenance at open:
                recomputing days after a time-zone change, then summarising them. Each phase counts
                from 0 again.
            instance: The name the rows this store writes carry (which proxy recorded them).

        Raises:
            StoreError: Unknown zone, damaged file, or a database from a newer version.
        """
        zone = resolve_zone(time_zone)
        database = as_database(target)
        store = cls(database, database.open_writer(), zone, instance)
        try:
            store._prepare(progress)
        except DATABASE_ERRORS as exc:
            store.close()
            raise database.describe(exc, "opened") from exc
        except BaseException:
            store.close()
            raise
        return store

    @staticmethod
    def reader(target: Target) -> Connection:
        """Open a read-only connection to the store `target` for the calling thread (see `open_reader`)."""
        return open_reader(target)

    def read_connection(self) -> Connection:
        """Open a read-only connection to this store for the calling thread; the caller closes it."""
        return self.database.open_reader()

    def _prepare(self, progress: Progress | None) -> None:
        conn = self._connection()
        refuse_newer(self.path, self.database.stored_version(conn))  # before changing anything
        self.database.prepare_writer(conn)
        self._migrate()
        self._follow_time_zone(progress)
        self.refresh_rollups(progress)

    def _migrate(self) -> None:
        migrate(self.database, self._connection())

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

    def _relabel_day(self, conn: Connection, day: date) -> None:
        low, high = self.zone.start_of(day), self.zone.start_of(day + timedelta(days=1))
        text = day.isoformat()
        conn.execute("UPDATE usage_events SET day = ? WHERE started_at >= ? AND started_at < ? AND day <> ?",
                     (text, low, high, text))
        conn.execute("UPDATE telemetry_events SET day = ? WHERE occurred_at >= ? AND occurred_at < ? AND day <> ?",
                     (text, low, high, text))
        conn.execute("UPDATE otel_tool_calls SET day = ? WHERE started_at >= ? AND started_at < ? AND day <> ?",
                     (text, low, high, text))

    # Writing -------------------------------------------------------------------------------------

    def write(self, batch: RecordBatch) -> None:
        """Store one batch in one transaction (content records are not the store's business)."""
        self.write_many((batch,))

    def write_many(self, batches: Sequence[RecordBatch], counters: Sequence[tuple[str, int]] = ()) -> None:
        """Store `batches` in one transaction; events already stored (same source_id) are skipped.

        `counters` are (name, delta) pairs added to the store's counters in the same transaction.

        Afterwards, days that stopped receiving events are summarised (a failure there is logged:
        the events are safe and readers compute unsummarised days themselves).

        Raises:
            StoreError: The database could not be written (disk full, damaged file, ...).
        """
        self.write_rows(prepare_rows(batches, self.zone, self.instance, counters))

    def write_rows(self, rows: Rows) -> None:
        """Store prepared `rows` in one transaction (see `write_many`); the spool replays them through here."""
        usage, telemetry, quotas, connections = rows.usage, rows.telemetry, rows.quotas, rows.connections
        days = rows.days()
        if rows.empty:
            return
        with self._writing("written") as conn:
            insert_usage(conn, usage)
            conn.executemany(INSERT_TELEMETRY, telemetry)
            conn.executemany(INSERT_TOOL_CALL, rows.tools)
            conn.executemany(INSERT_METRIC, rows.metrics)
            conn.executemany(UPSERT_QUOTA, quotas)
            conn.executemany(UPSERT_DEVELOPER, seen_rows(usage, telemetry))
            conn.executemany(UPSERT_INSTANCE, seen_rows(usage, telemetry, key=-1))
            conn.executemany(MARK_DIRTY, [(day,) for day in days])
            if connections:
                conn.executemany(UPSERT_CONNECTION, connections)
                conn.executemany(CLEAR_UPSTREAM_FAILURES, recoveries(connections))
                conn.execute(TRIM_CONNECTIONS)
            conn.executemany(ADD_COUNTER, rows.counters)
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

        The writer calls this after a write, at most once a minute (`capture.pipeline.ROLLUP_INTERVAL`), so
        readers find even today mostly summarised.
        """
        with self._lock:
            days = [row[0] for row in self._connection().execute("SELECT day FROM rollup_dirty ORDER BY day")]
            for start in range(0, len(days), REFRESH_DAYS_PER_TRANSACTION):
                with self._writing("summarised") as conn:
                    refresh_days(conn, days[start:start + REFRESH_DAYS_PER_TRANSACTION])
                if progress is not None:
                    progress(min(start + REFRESH_DAYS_PER_TRANSACTION, len(days)), len(days))
        return len(days)

    def purge(self, events_before: datetime) -> int:
        """Delete usage and telemetry events, OpenTelemetry tool calls and metric points older than `events_before`.

        Returns how many usage and telemetry events went.

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
            conn.execute("DELETE FROM otel_tool_calls WHERE started_at < ?", (cutoff,))
            conn.execute("DELETE FROM otel_metric_points WHERE observed_at < ?", (cutoff,))
            for table in (*ROLLUP_TABLES, "rollup_dirty"):
                conn.execute(f"DELETE FROM {table} WHERE day < ?", (cutoff_day,))  # noqa: S608 - constant names
            refresh_days(conn, [cutoff_day])
        return int(usage) + int(telemetry)

    @contextlib.contextmanager
    def _writing(self, doing: str) -> Iterator[Connection]:
        with self._lock:
            conn = self._connection()
            try:
                with _transaction(conn):
                    yield conn
            except DATABASE_ERRORS as exc:
                raise self.database.describe(exc, doing) from exc

    # Closing -------------------------------------------------------------------------------------

    def _connection(self) -> Connection:
        if self._conn is None:
            raise StoreError(f"The usage database {self.path} is closed.")
        return self._conn

    def close(self) -> None:
        """Close the write connection (idempotent); readers opened separately stay open."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is None:
            return
        self.database.close_writer(conn)

    def __enter__(self) -> Self:
        """Use the store as a context manager that closes it."""
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        """Close the store."""
        self.close()
