"""PostgreSQL as the usage store's engine (psycopg 3, the `postgresql` extra): several proxies, one database.

`PostgresDatabase` opens `PgConnection`s, which run the store's SQL (written once, in SQLite's dialect;
see `engine`) by translating each statement once (cached):

* `?` placeholders become `%s` (a literal `%` is doubled);
* `BEGIN IMMEDIATE` (SQLite: take the write lock up front) becomes `BEGIN` plus a transaction-scoped
  advisory lock (`pg_advisory_xact_lock`), so write transactions of every instance run one at a time,
  as on SQLite: a day's summary is never recomputed while another instance writes to that day, and
  schema migrations run once when several instances start together (the version is read again
  under the lock);
* a plain `BEGIN` (a reader's consistent snapshot) becomes `BEGIN ISOLATION LEVEL REPEATABLE READ`;
* in `CREATE TABLE` / `ALTER TABLE`, REAL becomes DOUBLE PRECISION (SQLite's REAL is 8 bytes) and
  INTEGER becomes BIGINT (sums of nano-AIU outgrow 32 bits).

NUMERIC results (PostgreSQL's SUM of integers) load as int, or float when fractional, as on SQLite.
Failures become `engine.DatabaseError`; a lost or refused connection `engine.UnreachableError`.
"""

import functools
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Final

from desktop_app.core.errors import StoreError
from desktop_app.core.store.engine import Cursor, Database, DatabaseError, StoreUnavailableError, UnreachableError

try:
    import psycopg
    from psycopg.adapt import Loader
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    from psycopg.pq import TransactionStatus
except ImportError as missing:  # the `postgresql` extra is not installed
    raise StoreError(
        "A PostgreSQL database needs the psycopg driver, which is not installed. Install it with "
        "`pip install 'copilot-insight[postgresql]'` (in the environment Copilot Insight runs from).",
        details=repr(missing)) from missing

WRITE_LOCK_KEY: Final = 0x436F_7069_6C6F_7431  # 'Copilot1': the advisory lock every writer takes
_CONNECT_DEFAULTS: Final = {
    "connect_timeout": "5",
    "keepalives": "1", "keepalives_idle": "10", "keepalives_interval": "5", "keepalives_count": "3",
    "tcp_user_timeout": "20000",  # a cut network fails a statement in seconds, not after TCP's minutes
    "application_name": "copilot-insight",
}
_DDL: Final = re.compile(r"^\s*(CREATE|ALTER)\s+TABLE\b", re.IGNORECASE)
_TYPES: Final = ((re.compile(r"\bREAL\b"), "DOUBLE PRECISION"), (re.compile(r"\bINTEGER\b"), "BIGINT"))


@functools.lru_cache(maxsize=512)
def translate(sql: str) -> tuple[str, ...]:
    """Return the PostgreSQL statements that do what the SQLite statement `sql` does."""
    head = sql.strip().upper()
    if head == "BEGIN IMMEDIATE":
        return "BEGIN", f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"
    if head == "BEGIN":
        return ("BEGIN ISOLATION LEVEL REPEATABLE READ",)
    if _DDL.match(sql):
        for pattern, replacement in _TYPES:
            sql = pattern.sub(replacement, sql)
    return (sql.replace("%", "%%").replace("?", "%s"),)


class _NumberLoader(Loader):
    """NUMERIC as int when whole, float otherwise (never Decimal, which does not mix with float)."""

    def load(self, data: bytes | bytearray | memoryview) -> int | float:
        number = Decimal(bytes(data).decode())
        return int(number) if number == number.to_integral_value() else float(number)


def _connect(url: str, *, read_only: bool) -> "psycopg.Connection[Any]":
    params = conninfo_to_dict(url)
    for key, value in _CONNECT_DEFAULTS.items():
        params.setdefault(key, value)
    try:
        conn = psycopg.connect(make_conninfo("", **params), autocommit=True)
    except psycopg.Error as exc:  # libpq's first line says it all; its hints follow on further lines
        raise UnreachableError(str(exc).strip().splitlines()[0].rstrip(".")) from exc
    conn.adapters.register_loader("numeric", _NumberLoader)
    if read_only:
        conn.execute("SET default_transaction_read_only = on")
    return conn


class PgConnection:
    """A psycopg connection that takes the store's SQLite-dialect SQL (see the module docstring)."""

    def __init__(self, conn: "psycopg.Connection[Any]") -> None:
        """Wrap `conn` (autocommit: transactions are the store's explicit BEGIN/COMMIT)."""
        self._conn = conn

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (or failed and not yet rolled back)."""
        return self._conn.info.transaction_status not in (TransactionStatus.IDLE, TransactionStatus.UNKNOWN)

    def _failed(self, exc: Exception) -> DatabaseError:
        text = str(exc).strip() or type(exc).__name__
        if self._conn.broken or self._conn.closed:
            return UnreachableError(text)
        return DatabaseError(text)

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        """Run `sql` (translated), with `parameters` for its `?`s."""
        statements = translate(sql)
        try:
            cursor = self._conn.cursor()
            for statement in statements[:-1]:
                cursor.execute(statement)
            cursor.execute(statements[-1], parameters or None, prepare=False)
        except psycopg.Error as exc:
            raise self._failed(exc) from exc
        return cursor

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        """Run `sql` once per parameter row (pipelined by psycopg)."""
        (statement,) = translate(sql)
        rows = list(parameters)
        try:
            cursor = self._conn.cursor()
            if rows:
                cursor.executemany(statement, rows)
        except psycopg.Error as exc:
            raise self._failed(exc) from exc
        return cursor

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()


def _label(url: str) -> str:
    """`url` without its password (and without other parameters), for messages and `status`."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://(unreadable URL)"
    user = f"{params['user']}@" if params.get("user") else ""
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{user}{params.get('host', '')}{port}/{params.get('dbname', '')}"


class PostgresDatabase(Database):
    """A PostgreSQL database that several instances share."""

    kind = "postgresql"

    def __init__(self, url: str) -> None:
        """Name the database at the libpq `url` (checked now: a typo is said at once)."""
        try:
            conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise StoreError(f"The database URL is not valid: {str(exc).strip()}. Use postgresql://user:password@"
                             "host:port/dbname.") from exc
        self.url = url
        self._label = _label(url)

    @property
    def label(self) -> str:
        """The URL without its password."""
        return self._label

    def exists(self) -> bool:
        """Always: whether anything is there is the server's to say."""
        return True

    def open_writer(self) -> PgConnection:
        """Connect for writing.

        Raises:
            StoreUnavailableError: The server cannot be reached or refused the credentials.
        """
        try:
            return PgConnection(_connect(self.url, read_only=False))
        except DatabaseError as exc:
            raise self.describe(exc, "opened") from exc

    def connect_reader(self) -> PgConnection:
        """Connect read-only (every transaction of the session read-only)."""
        try:
            return PgConnection(_connect(self.url, read_only=True))
        except DatabaseError as exc:
            raise self.describe(exc, "opened") from exc

    def stored_version(self, conn: Any) -> int:  # noqa: ANN401 - any Connection
        """The highest applied migration, 0 before the first."""
        # pg_tables, not to_regclass: a plain query sees what committed before the write lock was taken,
        # while to_regclass may answer from the catalogue as it was when the transaction began.
        found = conn.execute("SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
                             "AND tablename = 'schema_version'").fetchone()[0]
        if not found:
            return 0
        return int(conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)

    def describe(self, exc: Exception, doing: str) -> StoreError:
        """Unreachable: say what to check; anything else: PostgreSQL's own words."""
        if isinstance(exc, UnreachableError):
            return StoreUnavailableError(
                f"The PostgreSQL database {self.label} cannot be reached: {exc}. Check that the server runs and "
                "is reachable from here and that the URL's user and password are still valid.",
                details=f"{type(exc).__name__}: {exc}")
        return StoreError(f"The PostgreSQL database {self.label} could not be {doing}: {exc}.",
                          details=f"{type(exc).__name__}: {exc}")
