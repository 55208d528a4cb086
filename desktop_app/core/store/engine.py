"""Where the usage store lives: the engine seam between the store's SQL and SQLite or PostgreSQL.

A `Database` names one store (the SQLite file in the data folder, or a PostgreSQL URL) and opens its
connections, already set up for the store: the write connection (`open_writer`) and read-only ones
(`open_reader`). The store's SQL is written once, in SQLite's dialect (`?` placeholders, `BEGIN
IMMEDIATE` for a write transaction, TEXT/INTEGER/REAL columns), and runs unchanged on SQLite; the
PostgreSQL connection (`postgres.PgConnection`) translates it as it goes. Everything above this module
works on the `Connection` protocol and catches `DATABASE_ERRORS`; nothing else knows which engine runs.

`database_of` turns what a person configured (`--database URL`, `$COPILOT_INSIGHT_DATABASE`, the
settings' `database` field) into a `Database`; without a URL it is the SQLite file of the data folder.
"""

import contextlib
import logging
import os
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

from desktop_app.core.errors import StoreError
from desktop_app.core.fileio import PRIVATE_FILE_MODE
from desktop_app.core.paths import AppPaths, ensure_private_dir

POSTGRES_SCHEMES: Final = ("postgresql://", "postgres://")
BUSY_TIMEOUT_MS: Final = 10_000
# FULL, chosen deliberately (README, "What a crash or a power loss can cost"): every commit is on the disk
# before the writer goes on, so a power loss costs at most the batch being written. The writer commits one
# batch per wake-up (`core.dispatch.LINGER_SECONDS`: at most about 200 a second when the proxy is saturated),
# each fsync off the proxy thread. NORMAL would save those fsyncs (measured: 0.04-0.08 ms of CPU per request
# at saturation) but may lose everything since the last WAL checkpoint (up to ~4 MB of records) when the
# power goes.
SYNCHRONOUS: Final = "FULL"
_READ_CACHE_KIB: Final = 65_536
_READ_MMAP_BYTES: Final = 1 << 30


class Cursor(Protocol):
    """What the store uses of a cursor (sqlite3's and psycopg's both fit)."""

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        ...

    def fetchone(self) -> Any:  # noqa: ANN401 - a row of any column types
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        ...

    def __iter__(self) -> Iterator[Any]:
        """Iterate over the remaining rows."""
        ...


class Connection(Protocol):
    """What the store uses of a connection: sqlite3.Connection as it is, `PgConnection` for PostgreSQL."""

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open."""
        ...

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor:
        """Run one statement (SQLite's dialect, `?` placeholders)."""
        ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        """Run one statement once per parameter row."""
        ...

    def close(self) -> None:
        """Close the connection."""
        ...


class DatabaseError(Exception):
    """A database failure from an engine other than SQLite (SQLite raises `sqlite3.Error`)."""


class UnreachableError(DatabaseError):
    """The database server cannot be reached right now (down, network cut, credentials refused)."""


class StoreUnavailableError(StoreError):
    """The configured database is unreachable; what is recorded waits in the local spool."""


DATABASE_ERRORS: Final[tuple[type[Exception], ...]] = (sqlite3.Error, DatabaseError)
"""Every error a connection of either engine raises for a failed statement."""


class Database(ABC):
    """One usage store and how to connect to it."""

    kind: str
    """'sqlite' or 'postgresql'."""

    @property
    @abstractmethod
    def label(self) -> str:
        """The store as messages name it (a path, or a URL without its password)."""

    @abstractmethod
    def exists(self) -> bool:
        """Whether there may be data to read (False only where nothing was ever recorded)."""

    @abstractmethod
    def open_writer(self) -> Connection:
        """Create (if needed) and open the store for writing, in autocommit mode; set up for the store."""

    @abstractmethod
    def connect_reader(self) -> Connection:
        """Connect read-only (set up, not yet checked); raise StoreError when that fails."""

    def open_reader(self) -> Connection:
        """Open a read-only connection for the calling thread, refusing a store from a newer version."""
        from desktop_app.core.store.schema import refuse_newer  # noqa: PLC0415 - schema imports this module

        conn = self.connect_reader()
        try:
            refuse_newer(self.label, self.stored_version(conn))
        except DATABASE_ERRORS as exc:
            conn.close()
            raise self.describe(exc, "read") from exc
        except StoreError:
            conn.close()
            raise
        return conn

    @abstractmethod
    def stored_version(self, conn: Connection) -> int:
        """The schema version of the store (0 when empty)."""

    @abstractmethod
    def describe(self, exc: Exception, doing: str) -> StoreError:
        """Turn a failed statement into an error a person can act on."""

    def prepare_writer(self, conn: Connection) -> None:  # noqa: B027 - optional hook
        """Set the write connection up after the version check (journal mode, ...)."""

    def close_writer(self, conn: Connection) -> None:
        """Close the write connection."""
        conn.close()

    def __str__(self) -> str:
        """The label."""
        return self.label


# --- SQLite -----------------------------------------------------------------------------------------


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


def sqlite_version(conn: Connection) -> int:
    """Return the schema version of a SQLite store (0 for a brand-new file)."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" not in tables:
        if tables:
            raise sqlite3.DatabaseError("file is not a Copilot Insight database (no schema_version table)")
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


class SqliteDatabase(Database):
    """The embedded default: one SQLite file (WAL), private to the user."""

    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        """Name the file at `path`."""
        self.path = path

    @property
    def label(self) -> str:
        """The file's path."""
        return str(self.path)

    def exists(self) -> bool:
        """Whether the file exists."""
        return self.path.exists()

    def open_writer(self) -> sqlite3.Connection:
        """Create the private file if needed and open it (checked against other threads by the store's lock)."""
        _create_private_file(self.path)
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            raise self.describe(exc, "opened") from exc
        return conn

    def prepare_writer(self, conn: Connection) -> None:
        """WAL mode, so readers run while the writer commits; synchronous FULL (see `SYNCHRONOUS`)."""
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            logging.getLogger(__name__).warning("SQLite refused WAL mode for %s (journal mode %s)", self.path, mode)
        conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")

    def close_writer(self, conn: Connection) -> None:
        """Let SQLite refresh its statistics, then close."""
        with contextlib.suppress(sqlite3.Error):
            conn.execute("PRAGMA optimize")
        conn.close()

    def connect_reader(self) -> sqlite3.Connection:
        """Open the file read-only (a missing file is an error: nothing was recorded yet)."""
        if not self.path.exists():
            raise StoreError(f"There is no usage database at {self.path} yet: start the proxy first.")
        try:
            conn = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode=ro", uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise self.describe(exc, "opened") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute(f"PRAGMA cache_size = -{_READ_CACHE_KIB}")
            conn.execute(f"PRAGMA mmap_size = {_READ_MMAP_BYTES}")
            conn.execute("PRAGMA temp_store = MEMORY")
        except sqlite3.Error as exc:
            conn.close()
            raise self.describe(exc, "read") from exc
        return conn

    def stored_version(self, conn: Connection) -> int:
        """Read SQLite's catalogue and the schema_version table."""
        return sqlite_version(conn)

    def describe(self, exc: Exception, doing: str) -> StoreError:
        """Name a damaged or foreign file as such; anything else with SQLite's words."""
        name = getattr(exc, "sqlite_errorname", "")
        if name in {"SQLITE_NOTADB", "SQLITE_CORRUPT"}:
            message = (f"The usage database {self.path} is damaged or is not a Copilot Insight database. "
                       "It was left untouched: move it aside (or restore a backup) and start again.")
        else:
            message = f"The usage database {self.path} could not be {doing}: {exc}."
        return StoreError(message, details=f"{type(exc).__name__} ({name or 'no code'}): {exc}")


# --- choosing ---------------------------------------------------------------------------------------


def is_postgres_url(url: str) -> bool:
    """Whether `url` names a PostgreSQL database (a libpq URL)."""
    return url.startswith(POSTGRES_SCHEMES)


def database_for(url: str, default: Path) -> Database:
    """Return the store `url` names: PostgreSQL for a libpq URL, the SQLite file `default` when empty.

    Raises:
        StoreError: `url` is neither a PostgreSQL URL nor empty, or psycopg is not installed.
    """
    url = url.strip()
    if not url:
        return SqliteDatabase(default)
    if not is_postgres_url(url):
        raise StoreError(f"The database {url!r} is not a PostgreSQL URL: use postgresql://user:password@host:port/"
                         "dbname (or leave it out for the SQLite file in the data folder).")
    from desktop_app.core.store.postgres import PostgresDatabase  # noqa: PLC0415 - psycopg only when asked for

    return PostgresDatabase(url)


def database_of(paths: AppPaths) -> Database:
    """The store of an installation: `paths.database_url`, else the SQLite file in its data folder.

    The URL is `--database`, else $COPILOT_INSIGHT_DATABASE, else the settings' `database` field
    (`app` fills it in at start).

    Raises:
        StoreError: The URL is not a PostgreSQL URL, or psycopg is not installed.
    """
    return database_for(paths.database_url, paths.database)


type Target = Database | Path
"""A store to open: a `Database`, or a path meaning that SQLite file."""


def as_database(target: Target) -> Database:
    """Return `target` as a `Database` (a path is a SQLite file)."""
    return target if isinstance(target, Database) else SqliteDatabase(target)
