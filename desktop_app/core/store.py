"""The usage store: the SQLite file, its schema and migrations, the single writer and read connections.

`UsageStore` owns the database file (`AppPaths.database`): it creates it privately (0600 in a 0700
folder), runs it in WAL mode, applies the ordered `MIGRATIONS`, computes each event's local `day`
in the configured time zone, and writes `RecordBatch`es in one transaction per call. It also owns
the daily summary (`daily_rollup`): its definition (`compute_day_totals`) and its upkeep.

Thread rules (sqlite3 connections belong to one thread at a time):

* The writer owns the write connection: one thread (the batching writer thread) calls `write`,
  `write_many`, `add_counter`, `purge` and `refresh_rollups` (when idle, so readers find today
  summarised too). `open` may run on another thread; the connection is guarded by a lock, but
  interleaving writers gains nothing, batch instead.
* Every reading thread opens its own read-only connection with `UsageStore.reader(path)` (or
  `store.read_connection()`), uses it from that thread only, and closes it. WAL lets readers run
  while the writer commits; a reader sees the last committed transaction.

The SQL stays portable to PostgreSQL (TEXT/INTEGER/REAL columns, `ON CONFLICT`, no SQLite-only
functions in queries); only the connection setup (PRAGMAs) and the bootstrap check are SQLite's.
"""

import contextlib
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop_app.core.errors import AppError
from desktop_app.core.fileio import PRIVATE_FILE_MODE
from desktop_app.core.models import (
    CHAT_ACCEPTED_COPY,
    CHAT_ACCEPTED_INSERT,
    CHAT_APPLIED_CODEBLOCK,
    COMPLETION_ACCEPTED,
    COMPLETION_SHOWN,
    KIND_COMPLETION,
    KIND_MODEL_CALL,
    NES_ACCEPTED,
    NES_SHOWN,
    QuotaSnapshot,
    RecordBatch,
    TelemetryEvent,
    UsageEvent,
)
from desktop_app.core.paths import ensure_private_dir

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Row = tuple[object, ...]

BUSY_TIMEOUT_MS: Final = 10_000
RECOMPUTE_DAYS_PER_TRANSACTION: Final = 31
META_TIME_ZONE: Final = "time_zone"
_READ_CACHE_KIB: Final = 65_536
_READ_MMAP_BYTES: Final = 1 << 30


class StoreError(AppError):
    """The usage database cannot be opened, migrated, read or written."""


# --- time zones -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayZone:
    """The time zone the `day` columns are computed in.

    Attributes:
        key: The zone's stable name, stored in `meta` (an IANA name, or `local:<names>` when the
            machine's zone has no IANA name we can find).
        tz: The zone; None means the C library's local time.
    """

    key: str
    tz: tzinfo | None

    def day_of(self, epoch: float) -> str:
        """Return the 'YYYY-MM-DD' day that UTC epoch seconds `epoch` falls on in this zone."""
        return datetime.fromtimestamp(epoch, self.tz).date().isoformat()

    def start_of(self, day: date) -> float:
        """Return the UTC epoch seconds at which local `day` begins."""
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp()


def resolve_zone(name: str) -> DayZone:
    """Return the zone called `name` (an IANA name such as 'Europe/Berlin'); '' is the machine's zone.

    Raises:
        StoreError: `name` is not a time zone this machine knows.
    """
    if not name:
        return _local_zone()
    try:
        return DayZone(name, ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise StoreError(
            f"'{name}' is not a known time zone. Use a name such as 'Europe/Berlin' or 'UTC', "
            "or leave it empty for this computer's zone (on Windows, install the 'tzdata' package).",
            details=repr(exc),
        ) from exc


def _local_zone() -> DayZone:
    for candidate in _local_zone_names():
        try:
            return DayZone(candidate, ZoneInfo(candidate))
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    return DayZone("local:" + "/".join(time.tzname), None)


def _local_zone_names() -> Iterator[str]:
    if tz_env := os.environ.get("TZ", "").lstrip(":"):
        yield tz_env
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            yield target.split("zoneinfo/", 1)[1]
    with contextlib.suppress(OSError):
        yield Path("/etc/timezone").read_text(encoding="utf-8").strip()


def epoch_seconds(moment: datetime) -> float:
    """Return UTC epoch seconds for `moment`; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


# --- schema -----------------------------------------------------------------------------------------

_USAGE_COLUMNS: Final = (
    "developer", "started_at", "day", "method", "host", "path", "host_family", "kind", "status",
    "duration_ms", "ttfb_ms", "request_bytes", "response_bytes", "http_version", "streamed", "error",
    "mode", "api", "initiator", "initiator_source", "interaction_id", "intent", "model", "language",
    "editor", "editor_version", "plugin", "plugin_version", "integration_id", "speculative",
    "prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens", "nano_aiu",
    "finish_reason", "has_text", "lines_suggested", "cancelled", "parse_status", "source_id",
)
_TELEMETRY_COLUMNS: Final = (
    "developer", "occurred_at", "day", "event", "suggestion_key", "language", "model", "editor",
    "chars", "lines", "comp_type", "source_id",
)
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


def _migrate_to_1(conn: sqlite3.Connection) -> None:
    """Create every table and index of the first schema."""
    for statement in _SCHEMA_V1:
        conn.execute(statement)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_to_1]
"""Ordered schema migrations: entry i upgrades a database from version i to version i + 1."""

SCHEMA_VERSION: Final = len(MIGRATIONS)

_CREATE_VERSION_TABLE: Final = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
)


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


_INSERT_USAGE: Final = (
    f"INSERT INTO usage_events ({', '.join(_USAGE_COLUMNS)}) "  # noqa: S608 - constant column names
    f"VALUES ({_placeholders(len(_USAGE_COLUMNS))}) ON CONFLICT DO NOTHING"
)
_INSERT_TELEMETRY: Final = (
    f"INSERT INTO telemetry_events ({', '.join(_TELEMETRY_COLUMNS)}) "  # noqa: S608 - constant column names
    f"VALUES ({_placeholders(len(_TELEMETRY_COLUMNS))}) ON CONFLICT DO NOTHING"
)
_UPSERT_QUOTA: Final = (
    f"INSERT INTO quota_snapshots ({', '.join(_QUOTA_COLUMNS)}) "  # noqa: S608 - constant column names
    f"VALUES ({_placeholders(len(_QUOTA_COLUMNS))}) "
    "ON CONFLICT (developer, quota) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _QUOTA_COLUMNS[2:])
    + " WHERE excluded.observed_at >= quota_snapshots.observed_at"
)
_UPSERT_DEVELOPER: Final = (
    "INSERT INTO developers (developer, first_seen, last_seen) VALUES (?, ?, ?) "
    "ON CONFLICT (developer) DO UPDATE SET "
    "first_seen = CASE WHEN excluded.first_seen < developers.first_seen "
    "THEN excluded.first_seen ELSE developers.first_seen END, "
    "last_seen = CASE WHEN excluded.last_seen > developers.last_seen "
    "THEN excluded.last_seen ELSE developers.last_seen END"
)
_ADD_COUNTER: Final = (
    "INSERT INTO counters (name, value) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value"
)
_SET_META: Final = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"


# --- rows -------------------------------------------------------------------------------------------


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _usage_row(event: UsageEvent, zone: DayZone) -> Row:
    started = epoch_seconds(event.started_at)
    e = event
    return (
        e.developer, started, zone.day_of(started), e.method, e.host, e.path, e.host_family, e.kind,
        e.status, e.duration_ms, e.ttfb_ms, e.request_bytes, e.response_bytes, e.http_version,
        int(e.streamed), e.error, e.mode, e.api, e.initiator, e.initiator_source, e.interaction_id,
        e.intent, e.model, e.language, e.editor, e.editor_version, e.plugin, e.plugin_version,
        e.integration_id, int(e.speculative), e.prompt_tokens, e.completion_tokens, e.cached_tokens,
        e.reasoning_tokens, e.nano_aiu, e.finish_reason, _flag(e.has_text), e.lines_suggested,
        int(e.cancelled), e.parse_status, e.source_id or None,
    )


def _telemetry_row(event: TelemetryEvent, zone: DayZone) -> Row:
    occurred = epoch_seconds(event.occurred_at)
    e = event
    return (
        e.developer, occurred, zone.day_of(occurred), e.event, e.suggestion_key, e.language, e.model,
        e.editor, e.chars, e.lines, e.comp_type, e.source_id or None,
    )


def _quota_row(snapshot: QuotaSnapshot) -> Row:
    s = snapshot
    return (
        s.developer, s.quota, epoch_seconds(s.observed_at), s.entitlement, s.remaining_percent,
        s.overage, _flag(s.overage_permitted), s.reset_at,
    )


def _seen_rows(usage: Sequence[Row], telemetry: Sequence[Row]) -> list[Row]:
    """Return (developer, first_seen, last_seen) for each developer in the prepared rows."""
    seen: dict[str, tuple[float, float]] = {}
    for row in (*usage, *telemetry):
        developer, moment = row[0], row[1]
        if isinstance(developer, str) and isinstance(moment, float):
            first, last = seen.get(developer, (moment, moment))
            seen[developer] = (min(first, moment), max(last, moment))
    return [(developer, first, last) for developer, (first, last) in seen.items()]


# --- daily totals: the rollup and its definition ------------------------------------------------------
#
# Queries over months of raw events are too slow for a dashboard (a month of a 25-person team is
# ~500,000 rows), so each (day, developer) is summarised once into `daily_rollup` (+ its counts by
# model, language, editor and mode). The summary is always recomputed from the raw events by the
# GROUP BY queries below, never incremented, so it cannot drift: a write marks its days in
# `rollup_dirty`; the writer recomputes dirty days once they stop receiving events (and at open,
# after a purge or a time-zone change, or on `refresh_rollups`); readers compute the still-dirty
# days (normally just today) from the raw events and take the rest from the rollup.

DIM_MODE: Final = "mode"
DIM_MODEL: Final = "model"
DIM_LANGUAGE: Final = "language"
DIM_EDITOR: Final = "editor"
INITIATOR_USER: Final = "user"
INITIATOR_AGENT: Final = "agent"
MODE_UTILITY: Final = "other"
REFRESH_DAYS_PER_TRANSACTION: Final = 7
_CHAT_ACCEPTANCES: Final = (CHAT_ACCEPTED_INSERT, CHAT_ACCEPTED_COPY, CHAT_APPLIED_CODEBLOCK)


@dataclass
class DayTotals:
    """One developer's day, summarised: the row `daily_rollup` keeps (and its counts by dimension).

    `counts` maps a dimension (`DIM_MODE`: user interactions by mode, `DIM_MODEL`: model calls by
    model, `DIM_LANGUAGE`: counted completion requests by language, `DIM_EDITOR`: requests by
    editor) to value → count.
    """

    day: str
    developer: str
    requests: int = 0
    completions_requested: int = 0
    completions_returned: int = 0
    lines_suggested: int = 0
    model_calls: int = 0
    agent_requests: int = 0
    user_interactions: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    nano_aiu: int = 0
    errors: int = 0
    telemetry_shown: int = 0
    completions_accepted: int = 0
    lines_accepted: int = 0
    chat_acceptances: int = 0
    nes_shown: int = 0
    nes_accepted: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # A new field needs a migration adding its daily_rollup column and marking every day dirty.


_ROLLUP_FIELDS: Final = tuple(f.name for f in fields(DayTotals) if f.name != "counts")


@dataclass(frozen=True)
class _Scope:
    """A WHERE fragment choosing days and (optionally) developers, with its parameters."""

    sql: str
    params: tuple[object, ...]

    @classmethod
    def days(cls, days: Sequence[str], developers: Sequence[str] | None) -> "_Scope":
        return cls(f"day IN ({_placeholders(len(days))})", tuple(days)).restrict(developers)

    @classmethod
    def between(cls, first: str, last: str, developers: Sequence[str] | None) -> "_Scope":
        return cls("day >= ? AND day <= ?", (first, last)).restrict(developers)

    def restrict(self, developers: Sequence[str] | None) -> "_Scope":
        if developers is None:
            return self
        return _Scope(f"{self.sql} AND developer IN ({_placeholders(len(developers))})",
                      (*self.params, *developers))


# (DayTotals field, SQL aggregate, its parameters): one GROUP BY day, developer per table.
_Part = tuple[str, str, tuple[object, ...]]
# A user-initiated interaction: a distinct interaction id among user model calls (utility calls in
# mode 'other' excluded; 'extension:<id>' kept); a call without an id is an interaction of its own.
_INTERACTIONS: Final = (
    "COUNT(DISTINCT CASE WHEN interaction_id <> '' THEN interaction_id END)"
    " + SUM(CASE WHEN interaction_id = '' THEN 1 ELSE 0 END)"
)
_USER_CALLS: Final = "kind = ? AND initiator = ? AND mode <> ?"
_USER_CALL_PARAMS: Final = (KIND_MODEL_CALL, INITIATOR_USER, MODE_UTILITY)
_USER_INTERACTIONS: Final = (
    f"COUNT(DISTINCT CASE WHEN {_USER_CALLS} AND interaction_id <> '' THEN interaction_id END)"
    f" + SUM(CASE WHEN {_USER_CALLS} AND interaction_id = '' THEN 1 ELSE 0 END)"
)
_COUNTED_COMPLETION: Final = "kind = ? AND speculative = 0 AND status = 200"
_RETURNED_COMPLETION: Final = f"{_COUNTED_COMPLETION} AND has_text = 1"
_USAGE_PARTS: Final[tuple[_Part, ...]] = (
    ("requests", "COUNT(*)", ()),
    ("completions_requested", f"SUM(CASE WHEN {_COUNTED_COMPLETION} THEN 1 ELSE 0 END)", (KIND_COMPLETION,)),
    ("completions_returned", f"SUM(CASE WHEN {_RETURNED_COMPLETION} THEN 1 ELSE 0 END)", (KIND_COMPLETION,)),
    ("lines_suggested", f"SUM(CASE WHEN {_RETURNED_COMPLETION} THEN COALESCE(lines_suggested, 0) ELSE 0 END)",
     (KIND_COMPLETION,)),
    ("model_calls", "SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END)", (KIND_MODEL_CALL,)),
    ("agent_requests", "SUM(CASE WHEN kind = ? AND initiator = ? THEN 1 ELSE 0 END)",
     (KIND_MODEL_CALL, INITIATOR_AGENT)),
    ("prompt_tokens", "COALESCE(SUM(prompt_tokens), 0)", ()),
    ("completion_tokens", "COALESCE(SUM(completion_tokens), 0)", ()),
    ("cached_tokens", "COALESCE(SUM(cached_tokens), 0)", ()),
    ("reasoning_tokens", "COALESCE(SUM(reasoning_tokens), 0)", ()),
    ("nano_aiu", "COALESCE(SUM(nano_aiu), 0)", ()),
    ("errors", "SUM(CASE WHEN status >= 400 OR error IS NOT NULL THEN 1 ELSE 0 END)", ()),
    ("user_interactions", _USER_INTERACTIONS, _USER_CALL_PARAMS * 2),
)
_DISTINCT_SUGGESTIONS: Final = (
    "COUNT(DISTINCT CASE WHEN event = ? AND suggestion_key <> '' THEN suggestion_key END)"
    " + SUM(CASE WHEN event = ? AND suggestion_key = '' THEN 1 ELSE 0 END)"
)
_TELEMETRY_PARTS: Final[tuple[_Part, ...]] = (
    ("telemetry_shown", _DISTINCT_SUGGESTIONS, (COMPLETION_SHOWN, COMPLETION_SHOWN)),
    ("completions_accepted", _DISTINCT_SUGGESTIONS, (COMPLETION_ACCEPTED, COMPLETION_ACCEPTED)),
    ("lines_accepted", "SUM(CASE WHEN event = ? AND suggestion_key = '' THEN COALESCE(lines, 0) ELSE 0 END)",
     (COMPLETION_ACCEPTED,)),
    ("chat_acceptances", "SUM(CASE WHEN event IN (?, ?, ?) THEN 1 ELSE 0 END)", _CHAT_ACCEPTANCES),
    ("nes_shown", _DISTINCT_SUGGESTIONS, (NES_SHOWN, NES_SHOWN)),
    ("nes_accepted", _DISTINCT_SUGGESTIONS, (NES_ACCEPTED, NES_ACCEPTED)),
)
# (dimension, grouped column, aggregate, filter, filter parameters)
_DIMENSIONS: Final[tuple[tuple[str, str, str, str, tuple[object, ...]], ...]] = (
    (DIM_MODE, "mode", _INTERACTIONS, _USER_CALLS, _USER_CALL_PARAMS),
    (DIM_MODEL, "model", "COUNT(*)", "kind = ?", (KIND_MODEL_CALL,)),
    (DIM_LANGUAGE, "language", "COUNT(*)", _COUNTED_COMPLETION, (KIND_COMPLETION,)),
    (DIM_EDITOR, "editor", "COUNT(*)", "1 = 1", ()),
)
_LINES_ACCEPTED_SQL: Final = (
    "SELECT day, developer, SUM(most) FROM ("
    " SELECT day, developer, suggestion_key, MAX(COALESCE(lines, 0)) AS most FROM telemetry_events"
    " WHERE {scope} AND event = ? AND suggestion_key <> '' GROUP BY day, developer, suggestion_key"
    ") AS per_suggestion GROUP BY day, developer"
)
_DURATIONS_SQL: Final = (
    "SELECT day, developer, duration_ms FROM usage_events"
    " WHERE {scope} AND kind IN (?, ?) AND status IS NOT NULL AND cancelled = 0"
)


class _Tally:
    """DayTotals by (day, developer), filled in by one query after another."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], DayTotals] = {}

    def get(self, day: str, developer: str) -> DayTotals:
        totals = self.by_key.get((day, developer))
        if totals is None:
            totals = self.by_key[day, developer] = DayTotals(day, developer)
        return totals

    def add(self, rows: Iterable[Sequence[Any]], names: Sequence[str]) -> None:
        """Add each row's values (after day, developer) to the fields `names`."""
        for day, developer, *values in rows:
            totals = self.get(day, developer)
            for name, value in zip(names, values, strict=True):
                setattr(totals, name, getattr(totals, name) + (value or 0))

    def count(self, dimension: str, rows: Iterable[Sequence[Any]]) -> None:
        """Record (day, developer, name, count) rows under `dimension`."""
        for day, developer, name, value in rows:
            self.get(day, developer).counts.setdefault(dimension, {})[name] = int(value)


def _aggregate(conn: sqlite3.Connection, table: str, parts: Sequence[_Part], scope: _Scope) -> list[Any]:
    columns = ", ".join(expression for _, expression, _ in parts)
    sql = (f"SELECT day, developer, {columns} FROM {table} "  # noqa: S608 - constant fragments only
           f"WHERE {scope.sql} GROUP BY day, developer")
    params = tuple(p for _, _, part_params in parts for p in part_params) + scope.params
    return conn.execute(sql, params).fetchall()


def _count_dimensions(conn: sqlite3.Connection, scope: _Scope, tally: _Tally) -> None:
    for dimension, column, expression, where, params in _DIMENSIONS:
        sql = (f"SELECT day, developer, {column}, {expression} FROM usage_events "  # noqa: S608 - constants
               f"WHERE {scope.sql} AND {where} GROUP BY day, developer, {column}")
        tally.count(dimension, conn.execute(sql, scope.params + params))


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile of the sorted, non-empty `ordered`."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _add_latencies(conn: sqlite3.Connection, scope: _Scope, tally: _Tally) -> None:
    """Set p50/p95 of model-call and completion durations (those that got a response, not cancelled)."""
    durations: dict[tuple[str, str], list[float]] = {}
    sql = _DURATIONS_SQL.format(scope=scope.sql)
    for day, developer, duration in conn.execute(sql, (*scope.params, KIND_MODEL_CALL, KIND_COMPLETION)):
        durations.setdefault((day, developer), []).append(duration)
    for (day, developer), values in durations.items():
        values.sort()
        totals = tally.get(day, developer)
        totals.latency_p50_ms = _percentile(values, 0.50)
        totals.latency_p95_ms = _percentile(values, 0.95)


def compute_day_totals(conn: sqlite3.Connection, days: Sequence[str],
                       developers: Sequence[str] | None = None) -> list[DayTotals]:
    """Summarise `days` ('YYYY-MM-DD') from the raw events, for `developers` (None: everyone).

    This is the definition of every daily figure; the rollup only caches its results.
    """
    if not days or (developers is not None and not developers):
        return []
    scope = _Scope.days(days, developers)
    tally = _Tally()
    tally.add(_aggregate(conn, "usage_events", _USAGE_PARTS, scope), [p[0] for p in _USAGE_PARTS])
    tally.add(_aggregate(conn, "telemetry_events", _TELEMETRY_PARTS, scope), [p[0] for p in _TELEMETRY_PARTS])
    lines_sql = _LINES_ACCEPTED_SQL.format(scope=scope.sql)
    tally.add(conn.execute(lines_sql, (*scope.params, COMPLETION_ACCEPTED)), ["lines_accepted"])
    _count_dimensions(conn, scope, tally)
    _add_latencies(conn, scope, tally)
    return sorted(tally.by_key.values(), key=lambda t: (t.day, t.developer))


_INSERT_ROLLUP: Final = (
    f"INSERT INTO daily_rollup ({', '.join(_ROLLUP_FIELDS)}) "  # noqa: S608 - constant column names
    f"VALUES ({_placeholders(len(_ROLLUP_FIELDS))})"
)
_INSERT_ROLLUP_COUNT: Final = (
    "INSERT INTO daily_rollup_counts (day, developer, dimension, name, value) VALUES (?, ?, ?, ?, ?)"
)
_MARK_DIRTY: Final = "INSERT INTO rollup_dirty (day) VALUES (?) ON CONFLICT DO NOTHING"


def refresh_days(conn: sqlite3.Connection, days: Sequence[str]) -> None:
    """Recompute the rollup of `days` from the raw events, inside the caller's write transaction."""
    if not days:
        return
    totals = compute_day_totals(conn, days)
    scope = _Scope.days(days, None)
    for table in ("daily_rollup", "daily_rollup_counts", "rollup_dirty"):
        conn.execute(f"DELETE FROM {table} WHERE {scope.sql}", scope.params)  # noqa: S608 - constant names
    conn.executemany(_INSERT_ROLLUP, [tuple(getattr(t, name) for name in _ROLLUP_FIELDS) for t in totals])
    conn.executemany(_INSERT_ROLLUP_COUNT, [
        (t.day, t.developer, dimension, name, value)
        for t in totals for dimension, values in t.counts.items() for name, value in values.items()
    ])


def _read_rollup(conn: sqlite3.Connection, scope: _Scope) -> list[DayTotals]:
    tally = _Tally()
    sql = f"SELECT {', '.join(_ROLLUP_FIELDS)} FROM daily_rollup WHERE {scope.sql}"  # noqa: S608 - constants
    for row in conn.execute(sql, scope.params):
        tally.by_key[row[0], row[1]] = DayTotals(*row)
    counts = "SELECT day, developer, dimension, name, value FROM daily_rollup_counts WHERE "
    for day, developer, dimension, name, value in conn.execute(counts + scope.sql, scope.params):
        tally.get(day, developer).counts.setdefault(dimension, {})[name] = value
    return list(tally.by_key.values())


@contextlib.contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """Run several SELECTs against one consistent snapshot (unless the caller already holds one)."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def read_day_totals(conn: sqlite3.Connection, first_day: date, last_day: date,
                    developers: Sequence[str] | None = None) -> list[DayTotals]:
    """Return the DayTotals of `first_day`..`last_day` (inclusive), sorted by (day, developer).

    Summarised days come from the rollup; days still being written are computed from the events.
    """
    if developers is not None and not developers:
        return []
    first, last = first_day.isoformat(), last_day.isoformat()
    with _snapshot(conn):
        dirty = [row[0] for row in conn.execute("SELECT day FROM rollup_dirty WHERE day >= ? AND day <= ?",
                                                (first, last))]
        skip = set(dirty)
        rolled = [t for t in _read_rollup(conn, _Scope.between(first, last, developers)) if t.day not in skip]
        fresh = compute_day_totals(conn, dirty, developers)
    return sorted([*rolled, *fresh], key=lambda t: (t.day, t.developer))


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


def _stored_version(conn: sqlite3.Connection) -> int:
    """Return the schema version of `conn`'s database (0 for a brand-new file)."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" not in tables:
        if tables:
            raise sqlite3.DatabaseError("file is not a Copilot Insight database (no schema_version table)")
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def _refuse_newer(path: Path, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The usage database {path} was written by a newer version of Copilot Insight "
            f"(schema {version}; this version understands up to {SCHEMA_VERSION}). "
            "Update Copilot Insight to open it.",
            details=f"schema_version={version} supported={SCHEMA_VERSION}",
        )


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
        _refuse_newer(path, _stored_version(conn))
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
        _refuse_newer(self.path, _stored_version(conn))  # before changing anything in the file
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
            version = _stored_version(conn)  # again, under the write lock
            _refuse_newer(self.path, version)
            conn.execute(_CREATE_VERSION_TABLE)
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
            for table in ("daily_rollup", "daily_rollup_counts", "rollup_dirty"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - constant table names
            conn.executemany(_MARK_DIRTY, [(day.isoformat(),) for day in days])
            conn.execute(_SET_META, (META_TIME_ZONE, self.zone.key))

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
        usage = [_usage_row(e, zone) for b in batches for e in b.usage]
        telemetry = [_telemetry_row(e, zone) for b in batches for e in b.telemetry]
        quotas = [_quota_row(q) for b in batches for q in b.quotas]
        days = {str(row[2]) for row in usage} | {str(row[2]) for row in telemetry}
        if not (usage or telemetry or quotas):
            return
        with self._writing("written") as conn:
            conn.executemany(_INSERT_USAGE, usage)
            conn.executemany(_INSERT_TELEMETRY, telemetry)
            conn.executemany(_UPSERT_QUOTA, quotas)
            conn.executemany(_UPSERT_DEVELOPER, _seen_rows(usage, telemetry))
            conn.executemany(_MARK_DIRTY, [(day,) for day in days])
        if days:
            self._summarise_finished_days(days)

    def _summarise_finished_days(self, written: set[str]) -> None:
        """Summarise dirty days older than the newest day just written and not written to now."""
        try:
            with self._writing("summarised") as conn:
                dirty = [row[0] for row in conn.execute("SELECT day FROM rollup_dirty WHERE day < ?",
                                                        (max(written),))]
                refresh_days(conn, sorted(day for day in dirty if day not in written))
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
            conn.execute(_ADD_COUNTER, (name, delta))

    def purge(self, events_before: datetime) -> int:
        """Delete usage and telemetry events older than `events_before`; return how many went.

        Summaries of the removed days go too; the day of the cut-off is summarised again. Quota
        snapshots (latest values), counters and developers' first/last seen are kept.
        """
        cutoff = epoch_seconds(events_before)
        cutoff_day = self.zone.day_of(cutoff)
        with self._writing("purged") as conn:
            usage = conn.execute("DELETE FROM usage_events WHERE started_at < ?", (cutoff,)).rowcount
            telemetry = conn.execute("DELETE FROM telemetry_events WHERE occurred_at < ?", (cutoff,)).rowcount
            for table in ("daily_rollup", "daily_rollup_counts", "rollup_dirty"):
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
