"""The local spool: what a proxy records while its shared database is away, kept until it is back.

With a PostgreSQL store, the writer writes through `SpooledStore`. While the database answers,
rows go straight to it (after any backlog). When it cannot be reached (server down, network cut,
credentials refused), each prepared batch (`schema.Rows`, JSON) is appended to the spool, a SQLite
file in the data folder (`spool.sqlite3`, private to the user), and the proxy keeps proxying. A
drain thread retries every few seconds; once the database answers, the backlog is replayed in
order, one spooled batch per transaction, each deleted from the spool after its commit. Replaying
is safe to repeat: every event carries a globally unique id and the store's writes are upserts by
it. The spool survives a restart (the next start drains it). It holds at most `MAX_SPOOL_EVENTS`
events; beyond that a batch is refused, counted in the spool (`refused_events`) and said in the
log and in `copilot-insight status`, never silently dropped.
"""

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from desktop_app.core.errors import StoreError
from desktop_app.core.models import RecordBatch
from desktop_app.core.store.database import Progress, UsageStore, prepare_rows
from desktop_app.core.store.dayzone import DayZone, resolve_zone
from desktop_app.core.store.engine import Database, SqliteDatabase, StoreUnavailableError
from desktop_app.core.store.schema import Rows

logger = logging.getLogger(__name__)

MAX_SPOOL_EVENTS: Final = 500_000
RETRY_SECONDS: Final = 5.0
DRAIN_BATCHES_PER_TURN: Final = 200
SPOOL_FILE: Final = "spool.sqlite3"
_SCHEMA: Final = (
    ("CREATE TABLE IF NOT EXISTS spooled (id INTEGER PRIMARY KEY AUTOINCREMENT, spooled_at REAL NOT NULL, "
     "events INTEGER NOT NULL, rows TEXT NOT NULL)"),
    "CREATE TABLE IF NOT EXISTS spool_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
)


class SpoolFullError(StoreError):
    """The spool holds `MAX_SPOOL_EVENTS` events already: a batch was refused (and counted)."""


@dataclass(frozen=True)
class Backlog:
    """What waits in a spool for the shared database."""

    batches: int = 0
    events: int = 0
    refused_events: int = 0  # refused because the spool was full
    oldest: float | None = None  # epoch seconds of the oldest spooled batch

    @property
    def empty(self) -> bool:
        """Whether nothing waits."""
        return self.batches == 0


class Spool:
    """The spool file; every method runs under the caller's lock (one connection, any thread)."""

    def __init__(self, path: Path, capacity: int = MAX_SPOOL_EVENTS) -> None:
        """Open (creating it private) the spool at `path`."""
        self.path, self.capacity = path, capacity
        self._conn = SqliteDatabase(path).open_writer()
        try:
            self._conn.execute("PRAGMA journal_mode = WAL")
            for statement in _SCHEMA:
                self._conn.execute(statement)
        except sqlite3.Error as exc:
            self._conn.close()
            raise SqliteDatabase(path).describe(exc, "opened") from exc

    def backlog(self) -> Backlog:
        """Count what waits."""
        return read_backlog(self._conn)

    def add(self, rows: Rows) -> None:
        """Append one batch of rows.

        Raises:
            SpoolFullError: The spool is full; the refusal is counted.
            StoreError: The spool file could not be written (disk full, ...).
        """
        try:
            waiting = int(self._conn.execute("SELECT COALESCE(SUM(events), 0) FROM spooled").fetchone()[0])
            if waiting + rows.events > self.capacity:
                self._conn.execute("INSERT INTO spool_meta (key, value) VALUES ('refused_events', ?) ON CONFLICT "
                                   "(key) DO UPDATE SET value = value + excluded.value", (rows.events,))
                raise SpoolFullError(
                    f"The local spool {self.path} is full ({waiting} events wait for the shared database): "
                    f"{rows.events} new event(s) were not recorded. Bring the database back (see `copilot-insight "
                    "status`); the spool drains by itself.")
            self._conn.execute("INSERT INTO spooled (spooled_at, events, rows) VALUES (?, ?, ?)",
                               (time.time(), rows.events, rows.to_json()))
        except sqlite3.Error as exc:
            raise SqliteDatabase(self.path).describe(exc, "written") from exc

    def oldest(self, limit: int) -> list[tuple[int, Rows]]:
        """The `limit` oldest batches, oldest first."""
        found = self._conn.execute("SELECT id, rows FROM spooled ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [(int(key), Rows.from_json(text)) for key, text in found]

    def remove(self, key: int) -> None:
        """Forget a batch the database has committed."""
        self._conn.execute("DELETE FROM spooled WHERE id = ?", (key,))

    def close(self) -> None:
        """Close the file."""
        self._conn.close()


def read_backlog(conn: sqlite3.Connection) -> Backlog:
    """Count what waits in the spool open on `conn`."""
    batches, events, oldest = conn.execute("SELECT COUNT(*), COALESCE(SUM(events), 0), MIN(spooled_at) "
                                           "FROM spooled").fetchone()
    refused = conn.execute("SELECT value FROM spool_meta WHERE key = 'refused_events'").fetchone()
    return Backlog(int(batches), int(events), int(refused[0]) if refused else 0, oldest)


def spool_backlog(path: Path) -> Backlog | None:
    """What waits in the spool file at `path` (read-only), or None when there is no spool.

    Raises:
        StoreError: The spool exists but cannot be read.
    """
    if not path.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)) as conn:
            return read_backlog(conn)
    except sqlite3.Error as exc:
        raise SqliteDatabase(path).describe(exc, "read") from exc


class SpooledStore:
    """The writer's store when the database is shared: the database while it answers, the spool while not.

    It offers what the recording pipeline uses of a `UsageStore` (`write_many`,
    `refresh_rollups`, `purge`, `close`, `zone`), from any thread (one lock).
    """

    def __init__(self, database: Database, spool: Spool, zone: DayZone, instance: str,
                 retry_seconds: float = RETRY_SECONDS) -> None:
        """Write to `database`, falling back to `spool`; use `SpooledStore.open` instead."""
        self.database, self.zone, self.instance = database, zone, instance
        self._spool = spool
        self._retry = retry_seconds
        self._lock = threading.RLock()
        self._primary: UsageStore | None = None
        self._next_attempt = 0.0
        self._problem: str = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain_loop, name="spool-drain", daemon=True)

    @classmethod
    def open(cls, database: Database, spool_path: Path, time_zone: str = "", instance: str = "",
             retry_seconds: float = RETRY_SECONDS) -> Self:
        """Open the spool and try the database once (its absence is no error: recording goes to the spool).

        Raises:
            StoreError: Unknown zone, an unusable spool file, or a database that refuses for another reason
                (a newer schema, ...).
        """
        store = cls(database, Spool(spool_path), resolve_zone(time_zone), instance, retry_seconds)
        try:
            with store._lock:
                store._connected(force=True)
        except BaseException:
            store.close()
            raise
        store._thread.start()
        return store

    # The database, or not ---------------------------------------------------------------------------

    def _lost(self, exc: StoreError) -> None:
        if self._primary is not None:
            with contextlib.suppress(Exception):
                self._primary.close()
            self._primary = None
        self._next_attempt = time.monotonic() + self._retry
        if exc.user_message != self._problem:
            self._problem = exc.user_message
            logger.warning("%s Recording continues into the local spool %s.", exc.user_message, self._spool.path)

    def _connected(self, *, force: bool = False) -> UsageStore | None:
        """Connect (when due) and replay the backlog; the database if it takes writes now."""
        if self._primary is None:
            if not force and time.monotonic() < self._next_attempt:
                return None
            try:
                self._primary = UsageStore.open(self.database, self.zone.key, instance=self.instance)
            except StoreUnavailableError as exc:
                self._lost(exc)
                return None
            if self._problem:
                logger.info("The database %s is back.", self.database.label)
                self._problem = ""
        return self._drain(self._primary)

    def _drain(self, primary: UsageStore) -> UsageStore | None:
        """Replay spooled batches, oldest first, one transaction each; None if the database went away."""
        for _ in range(DRAIN_BATCHES_PER_TURN):
            waiting = self._spool.oldest(1)
            if not waiting:
                break
            key, rows = waiting[0]
            try:
                primary.write_rows(rows)
            except StoreUnavailableError as exc:
                self._lost(exc)
                return None
            except StoreError as exc:  # refused for another reason: it stays, new rows still go through
                logger.error("The database refused a spooled batch (%s); it stays in the spool %s and is "  # noqa: TRY400
                             "tried again later.", exc.user_message, self._spool.path)
                break
            self._spool.remove(key)  # after the commit: a crash in between replays it, adding nothing
        return primary

    def _drain_loop(self) -> None:
        while not self._stop.wait(self._retry / 2):
            try:
                with self._lock:
                    if not self._spool.backlog().empty:
                        self._connected()
            except Exception:
                logger.exception("Replaying the spool failed; will try again.")

    # What the pipeline calls ------------------------------------------------------------------------

    def _write(self, rows: Rows) -> None:
        if rows.empty:
            return
        with self._lock:
            primary = self._connected()
            if primary is not None:
                try:
                    primary.write_rows(rows)
                except StoreUnavailableError as exc:
                    self._lost(exc)
                else:
                    return
            self._spool.add(rows)

    def write_many(self, batches: Sequence[RecordBatch], counters: Sequence[tuple[str, int]] = ()) -> None:
        """Store `batches` (and add to `counters`, see `UsageStore.write_many`) in the database, or spool them.

        Raises:
            SpoolFullError: The database is away and the spool is full (the refusal is counted).
            StoreError: The database refused the rows for another reason, or the spool file failed.
        """
        self._write(prepare_rows(batches, self.zone, self.instance, counters))

    def _maintain(self, work: Callable[[UsageStore], int]) -> int:
        """Run database-only upkeep; while the database is away there is nothing to do (0)."""
        with self._lock:
            primary = self._connected()
            if primary is None:
                return 0
            try:
                return work(primary)
            except StoreUnavailableError as exc:
                self._lost(exc)
                return 0

    def refresh_rollups(self, progress: Progress | None = None) -> int:
        """Summarise unsummarised days in the database (nothing while it is away)."""
        return self._maintain(lambda primary: primary.refresh_rollups(progress))

    def purge(self, events_before: datetime) -> int:
        """Apply the retention period in the database (nothing while it is away)."""
        return self._maintain(lambda primary: primary.purge(events_before))

    def close(self) -> None:
        """Stop the drain thread, try a last replay, and close the database and the spool (idempotent)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        with self._lock:
            if self._primary is not None:
                with contextlib.suppress(StoreError):
                    self._drain(self._primary)
            if self._primary is not None:
                self._primary.close()
                self._primary = None
            self._spool.close()

    def __enter__(self) -> Self:
        """Use the store as a context manager that closes it."""
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        """Close the store."""
        self.close()


RecordingStore = UsageStore | SpooledStore
"""What the recording pipeline writes to."""


def open_recording_store(database: Database, data_dir: Path, time_zone: str = "", instance: str = "",
                         retry_seconds: float = RETRY_SECONDS) -> RecordingStore:
    """The writer's store: the SQLite file itself, or a shared database behind the spool in `data_dir`."""
    if isinstance(database, SqliteDatabase):
        return UsageStore.open(database, time_zone, instance=instance)
    return SpooledStore.open(database, data_dir / SPOOL_FILE, time_zone, instance, retry_seconds)
