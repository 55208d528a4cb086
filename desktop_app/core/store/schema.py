"""The usage database's layout: tables, indexes, migrations, and how records become rows.

Owns the DDL and its ordered `MIGRATIONS` (`SCHEMA_VERSION`, the `schema_version` table, and the
check that refuses a database written by a newer version), the `meta` keys, the column order of
the event tables with the INSERT/UPSERT statements that write them, and the conversion of
`UsageEvent`, `TelemetryEvent`, `QuotaSnapshot` and `ConnectionEvent` into those rows (each event's local `day`
computed in a `DayZone`). The daily-summary tables are created here; their contents belong to
`rollup`.

The SQL stays portable to PostgreSQL (TEXT/INTEGER/REAL columns, `ON CONFLICT`, no SQLite-only
functions): `engine` runs it on SQLite and PostgreSQL alike.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import MISSING, Field, dataclass, field, fields
from datetime import datetime
from functools import cached_property
from operator import attrgetter
from typing import Any, Final, get_args, get_type_hints

from desktop_app.core.errors import StoreError
from desktop_app.core.models import (
    NULL_WHEN_EMPTY,
    ConnectionEvent,
    MetricPoint,
    QuotaSnapshot,
    TelemetryEvent,
    ToolCall,
    UsageEvent,
)
from desktop_app.core.store.dayzone import DayZone, epoch_seconds
from desktop_app.core.store.engine import Connection

Row = tuple[object, ...]

META_TIME_ZONE: Final = "time_zone"
"""The `meta` key holding the `DayZone.key` the `day` columns were computed in."""

# --- tables -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventTable:
    """An event table whose columns follow from an event dataclass: one column per field, plus `day`.

    The columns are the event's `developer`, its moment (`moment`, stored as epoch seconds), the
    local `day` of that moment, then every other field in declaration order. Each column's SQL type
    follows from the field's type (`str` TEXT, `int` and `bool` INTEGER, `float` and `datetime`
    REAL; NOT NULL unless the type allows None or the field is `NULL_WHEN_EMPTY`), and so does how a
    value is written (a flag as 0/1, '' as NULL where marked). `tests/core/store` checks that a
    migrated database has exactly these columns.
    """

    name: str
    event: type
    moment: str

    @cached_property
    def _fields(self) -> tuple[Field[Any], ...]:
        by_name = {f.name: f for f in fields(self.event)}
        rest = [f for f in fields(self.event) if f.name not in ("developer", self.moment)]
        return (by_name["developer"], by_name[self.moment], *rest)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The column names, in the order rows hold them."""
        names = [f.name for f in self._fields]
        return (*names[:2], "day", *names[2:])

    def column_type(self, name: str) -> str:
        """The SQL type of column `name` ('TEXT NOT NULL', 'INTEGER', ...)."""
        if name == "day":
            return "TEXT NOT NULL"
        found = next(f for f in self._fields if f.name == name)
        return _sql_type(self.event, found)

    def add_column(self, name: str) -> str:
        """The ALTER TABLE statement adding field `name` (existing rows get the field's default)."""
        found = next(f for f in self._fields if f.name == name)
        default = None if found.default is MISSING or found.metadata.get(NULL_WHEN_EMPTY) else found.default
        return f"ALTER TABLE {self.name} ADD COLUMN {name} {self.column_type(name)} DEFAULT {_sql_literal(default)}"

    def insert_with(self, *appended: str) -> str:
        """INSERT ... ON CONFLICT DO NOTHING, one parameter per column, then one per `appended` column.

        The store appends columns that are not the event's own (which instance recorded it).
        """
        columns = (*self.columns, *appended)
        return (f"INSERT INTO {self.name} ({', '.join(columns)}) "  # noqa: S608 - constant column names
                f"VALUES ({placeholders(len(columns))}) ON CONFLICT DO NOTHING")

    @cached_property
    def _writers(self) -> tuple[Callable[[Any], object] | None, ...]:
        return tuple(_writer(self.event, f) for f in self._fields[2:])

    @cached_property
    def _converted(self) -> tuple[tuple[int, Callable[[Any], object]], ...]:
        """(position among the event's values, writer) of the fields not written as they are."""
        return tuple((index, write) for index, write in enumerate(self._writers, start=2) if write is not None)

    @cached_property
    def _values(self) -> Callable[[Any], tuple[Any, ...]]:
        return attrgetter(*(f.name for f in self._fields))

    def row(self, event: object, zone: DayZone) -> Row:
        """`event` as an `insert_with` row (before any appended column), its `day` computed in `zone`."""
        values = list(self._values(event))
        for index, write in self._converted:
            values[index] = write(values[index])
        seconds = epoch_seconds(values[1])
        return (values[0], seconds, zone.day_of(seconds), *values[2:])


def add_columns(conn: Connection, table: EventTable, *names: str) -> None:
    """A migration step: add the fields `names` of `table`'s event as columns (their types and defaults follow)."""
    for name in names:
        conn.execute(table.add_column(name))


def _sql_literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _empty_to_null(value: str) -> str | None:
    return value or None


_SQL_TYPES: Final[dict[object, str]] = {str: "TEXT", int: "INTEGER", bool: "INTEGER", float: "REAL", datetime: "REAL"}


def _hint(event: type, found: Field[Any]) -> tuple[object, bool]:
    """(the field's base type, whether it may be None)."""
    hint = get_type_hints(event)[found.name]
    args = get_args(hint)
    if type(None) in args:
        (base,) = [a for a in args if a is not type(None)]
        return base, True
    return hint, False


def _sql_type(event: type, found: Field[Any]) -> str:
    base, optional = _hint(event, found)
    nullable = optional or bool(found.metadata.get(NULL_WHEN_EMPTY))
    return _SQL_TYPES[base] + ("" if nullable else " NOT NULL")


def _writer(event: type, found: Field[Any]) -> Callable[[Any], object] | None:
    base, optional = _hint(event, found)
    if found.metadata.get(NULL_WHEN_EMPTY):
        return _empty_to_null
    if base is bool:
        return _flag if optional else int
    if base is datetime:
        return epoch_seconds
    return None


USAGE_TABLE: Final = EventTable("usage_events", UsageEvent, "started_at")
"""`usage_events`: one row per `UsageEvent`."""
TELEMETRY_TABLE: Final = EventTable("telemetry_events", TelemetryEvent, "occurred_at")
"""`telemetry_events`: one row per `TelemetryEvent`."""
TOOL_CALL_TABLE: Final = EventTable("otel_tool_calls", ToolCall, "started_at")
"""`otel_tool_calls`: one row per OpenTelemetry `execute_tool` span (`ToolCall`)."""
METRIC_TABLE: Final = EventTable("otel_metric_points", MetricPoint, "observed_at")
"""`otel_metric_points`: one row per OpenTelemetry metric data point, as sent (`MetricPoint`)."""
USAGE_COLUMN: Final = {name: index for index, name in enumerate(USAGE_TABLE.columns)}
"""Each `usage_row` column's position, for code that reads prepared rows (the OpenTelemetry merge)."""
_QUOTA_COLUMNS: Final = (
    "developer", "quota", "observed_at", "entitlement", "remaining_percent", "overage",
    "overage_permitted", "reset_at",
)

_SCHEMA_V1: Final = (
    """CREATE TABLE usage_events (
        developer TEXT NOT NULL, started_at REAL NOT NULL, day TEXT NOT NULL,
        method TEXT NOT NULL, host TEXT NOT NULL, path TEXT NOT NULL, host_family TEXT NOT NULL,
        kind TEXT NOT NULL, status INTEGER, duration_ms REAL NOT NULL, ttfb_ms REAL,
        request_bytes INTEGER NOT NULL, response_bytes INTEGER NOT NULL, http_version TEXT NOT NULL,
        streamed INTEGER NOT NULL, error TEXT,
        mode TEXT NOT NULL, api TEXT NOT NULL, initiator TEXT NOT NULL, initiator_source TEXT NOT NULL,
        interaction_id TEXT NOT NULL, intent TEXT NOT NULL, model TEXT NOT NULL, language TEXT NOT NULL,
        editor TEXT NOT NULL, editor_version TEXT NOT NULL, plugin TEXT NOT NULL,
        plugin_version TEXT NOT NULL, integration_id TEXT NOT NULL, speculative INTEGER NOT NULL,
        prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER,
        reasoning_tokens INTEGER, nano_aiu INTEGER, finish_reason TEXT NOT NULL, has_text INTEGER,
        lines_suggested INTEGER, cancelled INTEGER NOT NULL, parse_status TEXT NOT NULL,
        source_id TEXT
    )""",
    "CREATE INDEX usage_events_day_developer ON usage_events (day, developer)",
    "CREATE INDEX usage_events_started_at ON usage_events (started_at)",
    "CREATE UNIQUE INDEX usage_events_source_id ON usage_events (source_id) WHERE source_id IS NOT NULL",
    """CREATE TABLE telemetry_events (
        developer TEXT NOT NULL, occurred_at REAL NOT NULL, day TEXT NOT NULL, event TEXT NOT NULL,
        suggestion_key TEXT NOT NULL, language TEXT NOT NULL, model TEXT NOT NULL, editor TEXT NOT NULL,
        chars INTEGER, lines INTEGER, comp_type TEXT NOT NULL, source_id TEXT
    )""",
    "CREATE INDEX telemetry_events_day_developer ON telemetry_events (day, developer)",
    "CREATE INDEX telemetry_events_occurred_at ON telemetry_events (occurred_at)",
    "CREATE UNIQUE INDEX telemetry_events_source_id ON telemetry_events (source_id) WHERE source_id IS NOT NULL",
    """CREATE TABLE quota_snapshots (
        developer TEXT NOT NULL, quota TEXT NOT NULL, observed_at REAL NOT NULL, entitlement REAL,
        remaining_percent REAL, overage REAL, overage_permitted INTEGER, reset_at TEXT NOT NULL,
        PRIMARY KEY (developer, quota)
    )""",
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE developers (
        developer TEXT PRIMARY KEY, first_seen REAL NOT NULL, last_seen REAL NOT NULL
    )""",
    """CREATE TABLE daily_rollup (
        day TEXT NOT NULL, developer TEXT NOT NULL, requests INTEGER NOT NULL,
        completions_requested INTEGER NOT NULL, completions_returned INTEGER NOT NULL,
        lines_suggested INTEGER NOT NULL, model_calls INTEGER NOT NULL, agent_requests INTEGER NOT NULL,
        user_interactions INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
        cached_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, nano_aiu INTEGER NOT NULL,
        errors INTEGER NOT NULL, telemetry_shown INTEGER NOT NULL, completions_accepted INTEGER NOT NULL,
        lines_accepted INTEGER NOT NULL, chat_acceptances INTEGER NOT NULL, nes_shown INTEGER NOT NULL,
        nes_accepted INTEGER NOT NULL, latency_p50_ms REAL, latency_p95_ms REAL,
        PRIMARY KEY (day, developer)
    )""",
    """CREATE TABLE daily_rollup_counts (
        day TEXT NOT NULL, developer TEXT NOT NULL, dimension TEXT NOT NULL, name TEXT NOT NULL,
        value INTEGER NOT NULL, PRIMARY KEY (day, developer, dimension, name)
    )""",
    "CREATE TABLE rollup_dirty (day TEXT PRIMARY KEY)",
)


def _migrate_to_1(conn: Connection) -> None:
    """Create every table and index of the first schema."""
    for statement in _SCHEMA_V1:
        conn.execute(statement)


def _migrate_to_2(conn: Connection) -> None:
    """Add the per-developer connection diagnostics (refused logins, failed TLS handshakes, checks)."""
    conn.execute("""CREATE TABLE connection_events (
        kind TEXT NOT NULL, username TEXT NOT NULL, source TEXT NOT NULL, host TEXT NOT NULL,
        count INTEGER NOT NULL, first_at REAL NOT NULL, last_at REAL NOT NULL, detail TEXT NOT NULL,
        PRIMARY KEY (kind, username, source, host)
    )""")
    conn.execute("CREATE INDEX connection_events_last_at ON connection_events (last_at)")


def _migrate_to_3(conn: Connection) -> None:
    """Index each developer's requests by time, for the dashboard's drill-down (newest first, any range)."""
    conn.execute("CREATE INDEX usage_events_developer_started_at ON usage_events (developer, started_at)")


FAILED: Final = "(status >= 400 OR error IS NOT NULL)"
"""The failed requests (the `errors` figure); the partial index `usage_events_errors` holds exactly these."""


def _migrate_to_4(conn: Connection) -> None:
    """Index the failed requests by day, for the errors breakdown: partial (they are few) and covering."""
    conn.execute("CREATE INDEX usage_events_errors ON usage_events "
                 f"(day, developer, status, host, error, started_at) WHERE {FAILED}")



def _migrate_to_5(conn: Connection) -> None:
    """Say which instance (proxy) recorded each event, so a shared database can be read per office."""
    for table in ("usage_events", "telemetry_events"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN instance TEXT NOT NULL DEFAULT ''")
    conn.execute("CREATE TABLE instances (instance TEXT PRIMARY KEY, first_seen REAL NOT NULL, "
                 "last_seen REAL NOT NULL)")


def _migrate_to_6(conn: Connection) -> None:
    """Keep the team in the database, for instances sharing one (the `meta` table holds its version)."""
    conn.execute("""CREATE TABLE team_developers (
        name TEXT PRIMARY KEY, name_key TEXT NOT NULL UNIQUE, created TEXT NOT NULL,
        generation INTEGER NOT NULL, enabled INTEGER NOT NULL
    )""")


def _create_table(conn: Connection, table: EventTable) -> None:
    columns = ", ".join(f"{name} {table.column_type(name)}" for name in table.columns)
    conn.execute(f"CREATE TABLE {table.name} ({columns})")


def _migrate_to_7(conn: Connection) -> None:
    """Receive Copilot's own OpenTelemetry: each model call's source, turn and merged span; tools; raw metrics.

    Every day is summarised again, for the new counts by source, tool and MCP server.
    """
    add_columns(conn, USAGE_TABLE, "source", "turn_id", "otel_span")
    conn.execute("CREATE INDEX usage_events_otel_span ON usage_events (otel_span) WHERE otel_span IS NOT NULL")
    # Spans waiting for the proxy's row of the same call: few, so the merge can skip the lookup cheaply.
    conn.execute("CREATE INDEX usage_events_otel_started_at ON usage_events (started_at) WHERE source = 'otel'")
    _create_table(conn, TOOL_CALL_TABLE)
    conn.execute("CREATE UNIQUE INDEX otel_tool_calls_source_id ON otel_tool_calls (source_id)")
    conn.execute("CREATE INDEX otel_tool_calls_day_developer ON otel_tool_calls (day, developer)")
    _create_table(conn, METRIC_TABLE)
    conn.execute("CREATE UNIQUE INDEX otel_metric_points_point ON otel_metric_points "
                 "(developer, service, name, observed_at, attributes)")
    conn.execute("CREATE INDEX otel_metric_points_observed_at ON otel_metric_points (observed_at)")
    conn.execute("INSERT INTO rollup_dirty (day) SELECT DISTINCT day FROM usage_events "
                 "WHERE day NOT IN (SELECT day FROM rollup_dirty)")


@dataclass(frozen=True)
class SplitTable:
    """A daily-summary table of one day's figures split by more keys than (day, developer).

    Its rows are exactly the rows of one GROUP BY day, developer, `keys` query over the raw events
    (`rollup.SPLITS` defines the queries and keeps the rows current): `keys` are TEXT, `values` are
    (name, SQL type). A change of layout needs a migration recreating the table and marking every day dirty.
    """

    name: str
    keys: tuple[str, ...]
    values: tuple[tuple[str, str], ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column, in order: day, developer, the keys, the values."""
        return ("day", "developer", *self.keys, *(name for name, _ in self.values))

    @property
    def create(self) -> str:
        """The CREATE TABLE statement (primary key: day, developer and the keys)."""
        keys = ("day", "developer", *self.keys)
        columns = [f"{name} TEXT NOT NULL" for name in keys] + [f"{name} {kind}" for name, kind in self.values]
        return f"CREATE TABLE {self.name} ({', '.join(columns)}, PRIMARY KEY ({', '.join(keys)}))"


def _counts(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, "INTEGER") for name in names)


SEED_CHAT_SPLIT: Final = SplitTable("daily_seed_chat", ("editor", "editor_version"), _counts("turns"))
"""The seed's chat turns by editor key (see `seed_format`)."""
SEED_COMPLETION_SPLIT: Final = SplitTable(
    "daily_seed_completions", ("editor", "editor_version", "language"), _counts("completions"))
"""The seed's returned completions by editor key and language."""
IDE_USAGE_SPLIT: Final = SplitTable(
    "daily_ide_usage", ("ide", "language", "editor_version", "plugin", "plugin_version"),
    (("last_started_at", "REAL"), *_counts(
        "requests", "model_calls", "user_model_calls", "agent_requests", "prompt_tokens", "completion_tokens",
        "nano_aiu", "completions_returned", "lines_suggested")))
"""Requests by IDE, language and versions (`reports.ide_totals`)."""
IDE_INTERACTION_SPLIT: Final = SplitTable("daily_ide_interactions", ("ide", "mode", "model"), _counts("interactions"))
"""User interactions by IDE, mode and model."""
IDE_TELEMETRY_SPLIT: Final = SplitTable(
    "daily_ide_telemetry", ("editor", "language", "model"),
    _counts("shown", "accepted", "lines_accepted", "chat_acceptances"))
"""IDE telemetry by the editor it named, language and model."""
SPLIT_TABLES: Final = (SEED_CHAT_SPLIT, SEED_COMPLETION_SPLIT, IDE_USAGE_SPLIT, IDE_INTERACTION_SPLIT,
                       IDE_TELEMETRY_SPLIT)
SPLITS_SINCE: Final = 8
"""The schema version that added `SPLIT_TABLES` (older files are read from the raw events)."""
MARK_ALL_DIRTY: Final = (
    "INSERT INTO rollup_dirty (day) SELECT day FROM"
    " (SELECT day FROM usage_events UNION SELECT day FROM telemetry_events) AS days WHERE 1 = 1"
    " ON CONFLICT DO NOTHING"
)


def _migrate_to_8(conn: Connection) -> None:
    """Summarise the per-IDE and per-editor splits too (reports read them instead of a year of raw events)."""
    for table in SPLIT_TABLES:
        conn.execute(table.create)
    conn.execute(MARK_ALL_DIRTY)


def _migrate_to_9(conn: Connection) -> None:
    """Say which instance recorded each OpenTelemetry tool call too, so one office's tool counts can be read."""
    conn.execute(f"ALTER TABLE {TOOL_CALL_TABLE.name} ADD COLUMN instance TEXT NOT NULL DEFAULT ''")


MIGRATIONS: list[Callable[[Connection], None]] = [
    _migrate_to_1, _migrate_to_2, _migrate_to_3, _migrate_to_4, _migrate_to_5, _migrate_to_6, _migrate_to_7,
    _migrate_to_8, _migrate_to_9,
]
"""Ordered schema migrations: entry i upgrades a database from version i to version i + 1."""

SCHEMA_VERSION: Final = len(MIGRATIONS)

CREATE_VERSION_TABLE: Final = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
)


def placeholders(count: int) -> str:
    """Return `count` SQL parameter placeholders: '?, ?, ...'."""
    return ", ".join("?" * count)


INSTANCE_COLUMN: Final = "instance"
"""Which proxy recorded an event: the store appends it to every `usage_row` and `telemetry_row`."""
INSERT_USAGE: Final = USAGE_TABLE.insert_with(INSTANCE_COLUMN)
INSERT_TELEMETRY: Final = TELEMETRY_TABLE.insert_with(INSTANCE_COLUMN)
INSERT_TOOL_CALL: Final = TOOL_CALL_TABLE.insert_with(INSTANCE_COLUMN)
INSERT_METRIC: Final = METRIC_TABLE.insert_with()
UPSERT_QUOTA: Final = (
    f"INSERT INTO quota_snapshots ({', '.join(_QUOTA_COLUMNS)}) "  # noqa: S608 - constant column names
    f"VALUES ({placeholders(len(_QUOTA_COLUMNS))}) "
    "ON CONFLICT (developer, quota) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _QUOTA_COLUMNS[2:])
    + " WHERE excluded.observed_at >= quota_snapshots.observed_at"
)
UPSERT_DEVELOPER: Final = (
    "INSERT INTO developers (developer, first_seen, last_seen) VALUES (?, ?, ?) "
    "ON CONFLICT (developer) DO UPDATE SET "
    "first_seen = CASE WHEN excluded.first_seen < developers.first_seen "
    "THEN excluded.first_seen ELSE developers.first_seen END, "
    "last_seen = CASE WHEN excluded.last_seen > developers.last_seen "
    "THEN excluded.last_seen ELSE developers.last_seen END"
)
UPSERT_INSTANCE: Final = UPSERT_DEVELOPER.replace("developers", "instances").replace("developer", "instance")
"""Remember when each instance (proxy) first and last recorded an event: `seen_rows` keyed by instance."""
ADD_COUNTER: Final = (
    "INSERT INTO counters (name, value) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value"
)
SET_META: Final = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
UPSERT_CONNECTION: Final = (
    "INSERT INTO connection_events (kind, username, source, host, count, first_at, last_at, detail) "
    "VALUES (?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (kind, username, source, host) DO UPDATE SET "
    "count = connection_events.count + 1, "
    "first_at = CASE WHEN excluded.first_at < connection_events.first_at "
    "THEN excluded.first_at ELSE connection_events.first_at END, "
    "last_at = CASE WHEN excluded.last_at > connection_events.last_at "
    "THEN excluded.last_at ELSE connection_events.last_at END, "
    "detail = excluded.detail"
)
CLEAR_UPSTREAM_FAILURES: Final = (
    "DELETE FROM connection_events WHERE kind = 'upstream_failed' AND host = ? AND last_at <= ?"
)
"""A host reached again ends its failures: the next failure starts a new count (and a new "since")."""
MAX_CONNECTION_ROWS: Final = 2000
"""Connection diagnostics kept at most (the oldest go first): names sent by strangers are unbounded."""
TRIM_CONNECTIONS: Final = (
    "DELETE FROM connection_events WHERE last_at < (SELECT last_at FROM connection_events "  # noqa: S608 - a constant
    f"ORDER BY last_at DESC LIMIT 1 OFFSET {MAX_CONNECTION_ROWS - 1})"
)


# --- rows -------------------------------------------------------------------------------------------


@dataclass
class Rows:
    """Records as rows, ready for the INSERT/UPSERT statements above (plain values: JSON can hold them)."""

    usage: list[Row] = field(default_factory=list)  # usage_row + instance
    telemetry: list[Row] = field(default_factory=list)  # telemetry_row + instance
    quotas: list[Row] = field(default_factory=list)
    connections: list[Row] = field(default_factory=list)
    counters: list[Row] = field(default_factory=list)  # (name, delta) for ADD_COUNTER
    tools: list[Row] = field(default_factory=list)  # TOOL_CALL_TABLE rows (OpenTelemetry) + instance
    metrics: list[Row] = field(default_factory=list)  # METRIC_TABLE rows (OpenTelemetry)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to write."""
        return not (self.usage or self.telemetry or self.quotas or self.connections or self.counters
                    or self.tools or self.metrics)

    @property
    def events(self) -> int:
        """Usage and telemetry events held."""
        return len(self.usage) + len(self.telemetry)

    def days(self) -> set[str]:
        """The local days the events fall on."""
        return {str(row[2]) for rows in (self.usage, self.telemetry, self.tools) for row in rows}

    def to_json(self) -> str:
        """Serialise (floats round-trip exactly)."""
        return json.dumps({name: [list(row) for row in getattr(self, name)] for name in _ROW_KINDS})

    @classmethod
    def from_json(cls, text: str) -> "Rows":
        """The inverse of `to_json`."""
        data = json.loads(text)
        return cls(**{name: [tuple(row) for row in data.get(name, [])] for name in _ROW_KINDS})


_ROW_KINDS: Final = ("usage", "telemetry", "quotas", "connections", "counters", "tools", "metrics")


def usage_row(event: UsageEvent, zone: DayZone) -> Row:
    """Return `event` as an `INSERT_USAGE` row, its `day` computed in `zone`."""
    return USAGE_TABLE.row(event, zone)


def telemetry_row(event: TelemetryEvent, zone: DayZone) -> Row:
    """Return `event` as an `INSERT_TELEMETRY` row, its `day` computed in `zone`."""
    return TELEMETRY_TABLE.row(event, zone)


def quota_row(snapshot: QuotaSnapshot) -> Row:
    """Return `snapshot` as an `UPSERT_QUOTA` row."""
    s = snapshot
    return (
        s.developer, s.quota, epoch_seconds(s.observed_at), s.entitlement, s.remaining_percent,
        s.overage, _flag(s.overage_permitted), s.reset_at,
    )


def connection_row(event: ConnectionEvent) -> Row:
    """Return `event` as an `UPSERT_CONNECTION` row."""
    at = epoch_seconds(event.at)
    return (event.kind, event.username, event.source, event.host, at, at, event.detail)


def recoveries(connections: Sequence[Row]) -> list[Row]:
    """(host, at) for each `upstream_ok` row among prepared `connection_row`s, for `CLEAR_UPSTREAM_FAILURES`."""
    return [(row[3], row[5]) for row in connections if row[0] == "upstream_ok"]


def seen_rows(usage: Sequence[Row], telemetry: Sequence[Row], key: int = 0) -> list[Row]:
    """Return (developer, first_seen, last_seen) for each developer in the prepared rows.

    With `key=-1`, the same for each instance (the last value of a prepared row).
    """
    seen: dict[str, tuple[float, float]] = {}
    for row in (*usage, *telemetry):
        developer, moment = row[key], row[1]
        if isinstance(developer, str) and isinstance(moment, float):
            first, last = seen.get(developer, (moment, moment))
            seen[developer] = (min(first, moment), max(last, moment))
    return [(developer, first, last) for developer, (first, last) in seen.items()]


# --- schema version ---------------------------------------------------------------------------------


def refuse_newer(path: object, version: int) -> None:
    """Raise StoreError if schema `version` (of the database `path` names) is newer than this code knows.

    Raises:
        StoreError: `version` is above `SCHEMA_VERSION`.
    """
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The usage database {path} was written by a newer version of Copilot Insight "
            f"(schema {version}; this version understands up to {SCHEMA_VERSION}). "
            "Update Copilot Insight to open it.",
            details=f"schema_version={version} supported={SCHEMA_VERSION}",
        )
