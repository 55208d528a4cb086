"""The daily summary ("rollup"): what every daily figure means, and keeping `daily_rollup` current.

Queries over months of raw events are too slow for a dashboard (a month of a 25-person team is
~500,000 rows), so each (day, developer) is summarised once into `daily_rollup` (+ its counts by
model, language, editor and mode in `daily_rollup_counts`). The summary is always recomputed from
the raw events by the GROUP BY queries here (`compute_day_totals`, the definition of every daily
figure), never incremented, so it cannot drift: a write marks its days in `rollup_dirty`
(`MARK_DIRTY`); the writer (`store.UsageStore`) recomputes dirty days with `refresh_days` once they
stop receiving events (and at open, after a purge or a time-zone change, or on `refresh_rollups`);
readers (`read_day_totals`) compute the still-dirty days (normally just today) from the raw events
and take the rest from the rollup. The rollup sums every instance (proxy) together: a read of only
some instances computes its days from their events, through the same definitions.

Every function works on a connection its caller owns (writes inside the caller's transaction);
nothing here opens connections or knows about threads. The tables themselves are created in `schema`.
"""

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, Final

from desktop_app.core.models import (
    CHAT_ACCEPTED_COPY,
    CHAT_ACCEPTED_INSERT,
    CHAT_APPLIED_CODEBLOCK,
    CLI_INTEGRATION,
    COMPLETION_ACCEPTED,
    COMPLETION_SHOWN,
    KIND_COMPLETION,
    KIND_MODEL_CALL,
    NES_ACCEPTED,
    NES_SHOWN,
)
from desktop_app.core.store.engine import Connection
from desktop_app.core.store.schema import (
    FAILED,
    IDE_INTERACTION_SPLIT,
    IDE_TELEMETRY_SPLIT,
    IDE_USAGE_SPLIT,
    SEED_CHAT_SPLIT,
    SEED_COMPLETION_SPLIT,
    SPLITS_SINCE,
    SplitTable,
    placeholders,
)

DIM_MODE: Final = "mode"
DIM_MODEL: Final = "model"
DIM_LANGUAGE: Final = "language"
DIM_EDITOR: Final = "editor"
DIM_SOURCE: Final = "source"
DIM_TOOL: Final = "tool"
DIM_MCP_SERVER: Final = "mcp_server"
SOURCE_BOTH: Final = "proxy+otel"
"""A model call the proxy and the client's OpenTelemetry both saw (stored once, see `otel_merge`)."""
INITIATOR_USER: Final = "user"
INITIATOR_AGENT: Final = "agent"
MODE_UTILITY: Final = "other"
REFRESH_DAYS_PER_TRANSACTION: Final = 7
CHAT_ACCEPTANCES: Final = (CHAT_ACCEPTED_INSERT, CHAT_ACCEPTED_COPY, CHAT_APPLIED_CODEBLOCK)
TELEMETRY_SUMS: Final = ("telemetry_shown", "completions_accepted", "chat_acceptances", "nes_shown", "nes_accepted")
"""The DayTotals sums counted from IDE telemetry: a day where all are 0 had no telemetry (its figures are unknown)."""


@dataclass
class DayTotals:
    """One developer's day, summarised: the row `daily_rollup` keeps (and its counts by dimension).

    `counts` maps a dimension (`DIM_MODE`: user interactions by mode, `DIM_MODEL`: model calls by
    model, `DIM_LANGUAGE`: counted completion requests by language, `DIM_EDITOR`: requests by
    editor, `DIM_SOURCE`: model calls by where they were seen — "proxy", "otel" or `SOURCE_BOTH`,
    `DIM_TOOL` / `DIM_MCP_SERVER`: OpenTelemetry tool calls by tool and by MCP server) to value → count.
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


def restriction(developers: Sequence[str] | None, instances: Sequence[str] | None = None
                ) -> tuple[str, tuple[object, ...]]:
    """The ' AND ...' fragment (and its parameters) keeping only `developers` and `instances` (None: all).

    The one definition of "whose events" every read over the raw events appends to its WHERE; an empty
    list keeps nothing (`IN ()` is SQLite's leniency, not SQL).
    """
    sql, params = "", tuple[object, ...]()
    for column, names in (("developer", developers), ("instance", instances)):
        if names is None:
            continue
        if not names:
            return " AND 1 = 0", ()
        sql += f" AND {column} IN ({placeholders(len(names))})"
        params = (*params, *names)
    return sql, params


@dataclass(frozen=True)
class _Scope:
    """A WHERE fragment choosing days and (optionally) developers and instances, with its parameters."""

    sql: str
    params: tuple[object, ...]

    @classmethod
    def days(cls, days: Sequence[str], developers: Sequence[str] | None,
             instances: Sequence[str] | None = None) -> "_Scope":
        return cls(f"day IN ({placeholders(len(days))})", tuple(days)).restrict(developers, instances)

    @classmethod
    def between(cls, first: str, last: str, developers: Sequence[str] | None,
                instances: Sequence[str] | None = None) -> "_Scope":
        return cls("day >= ? AND day <= ?", (first, last)).restrict(developers, instances)

    def restrict(self, developers: Sequence[str] | None, instances: Sequence[str] | None = None) -> "_Scope":
        sql, params = restriction(developers, instances)
        return _Scope(self.sql + sql, (*self.params, *params))

    def excluding(self, days: Sequence[str]) -> "_Scope":
        if not days:
            return self
        return _Scope(f"{self.sql} AND day NOT IN ({placeholders(len(days))})", (*self.params, *days))


# (DayTotals field, SQL aggregate, its parameters): one GROUP BY day, developer per table.
_Part = tuple[str, str, tuple[object, ...]]
# A user-initiated interaction: a distinct interaction id among user model calls (utility calls in
# mode 'other' excluded; 'extension:<id>' kept); a call without an id is an interaction of its own.
_INTERACTIONS: Final = (
    "COUNT(DISTINCT CASE WHEN interaction_id <> '' THEN interaction_id END)"
    " + SUM(CASE WHEN interaction_id = '' THEN 1 ELSE 0 END)"
)
USER_CALLS: Final = "kind = ? AND initiator = ? AND mode <> ?"
"""The model calls `user_interactions` counts (with `USER_CALL_PARAMS`); reports split them by other keys."""
USER_CALL_PARAMS: Final = (KIND_MODEL_CALL, INITIATOR_USER, MODE_UTILITY)
_USER_INTERACTIONS: Final = (
    f"COUNT(DISTINCT CASE WHEN {USER_CALLS} AND interaction_id <> '' THEN interaction_id END)"
    f" + SUM(CASE WHEN {USER_CALLS} AND interaction_id = '' THEN 1 ELSE 0 END)"
)
_COUNTED_COMPLETION: Final = "kind = ? AND speculative = 0 AND status = 200"
RETURNED_COMPLETION: Final = f"{_COUNTED_COMPLETION} AND has_text = 1"
"""The completions `completions_returned` counts (its one parameter: KIND_COMPLETION)."""
_USAGE_PARTS: Final[tuple[_Part, ...]] = (
    ("requests", "COUNT(*)", ()),
    ("completions_requested", f"SUM(CASE WHEN {_COUNTED_COMPLETION} THEN 1 ELSE 0 END)", (KIND_COMPLETION,)),
    ("completions_returned", f"SUM(CASE WHEN {RETURNED_COMPLETION} THEN 1 ELSE 0 END)", (KIND_COMPLETION,)),
    ("lines_suggested", f"SUM(CASE WHEN {RETURNED_COMPLETION} THEN COALESCE(lines_suggested, 0) ELSE 0 END)",
     (KIND_COMPLETION,)),
    ("model_calls", "SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END)", (KIND_MODEL_CALL,)),
    ("agent_requests", "SUM(CASE WHEN kind = ? AND initiator = ? THEN 1 ELSE 0 END)",
     (KIND_MODEL_CALL, INITIATOR_AGENT)),
    ("prompt_tokens", "COALESCE(SUM(prompt_tokens), 0)", ()),
    ("completion_tokens", "COALESCE(SUM(completion_tokens), 0)", ()),
    ("cached_tokens", "COALESCE(SUM(cached_tokens), 0)", ()),
    ("reasoning_tokens", "COALESCE(SUM(reasoning_tokens), 0)", ()),
    ("nano_aiu", "COALESCE(SUM(nano_aiu), 0)", ()),
    ("errors", f"SUM(CASE WHEN {FAILED} THEN 1 ELSE 0 END)", ()),
    ("user_interactions", _USER_INTERACTIONS, USER_CALL_PARAMS * 2),
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
    ("chat_acceptances", "SUM(CASE WHEN event IN (?, ?, ?) THEN 1 ELSE 0 END)", CHAT_ACCEPTANCES),
    ("nes_shown", _DISTINCT_SUGGESTIONS, (NES_SHOWN, NES_SHOWN)),
    ("nes_accepted", _DISTINCT_SUGGESTIONS, (NES_ACCEPTED, NES_ACCEPTED)),
)
# (dimension, grouped column, aggregate, filter, filter parameters)
_DIMENSIONS: Final[tuple[tuple[str, str, str, str, tuple[object, ...]], ...]] = (
    (DIM_MODE, "mode", _INTERACTIONS, USER_CALLS, USER_CALL_PARAMS),
    (DIM_MODEL, "model", "COUNT(*)", "kind = ?", (KIND_MODEL_CALL,)),
    (DIM_LANGUAGE, "language", "COUNT(*)", _COUNTED_COMPLETION, (KIND_COMPLETION,)),
    (DIM_EDITOR, "editor", "COUNT(*)", "1 = 1", ()),
    (DIM_SOURCE, f"CASE WHEN otel_span IS NOT NULL THEN '{SOURCE_BOTH}' ELSE source END", "COUNT(*)", "kind = ?",
     (KIND_MODEL_CALL,)),
)
# (dimension, grouped column of otel_tool_calls, filter)
_TOOL_DIMENSIONS: Final = ((DIM_TOOL, "tool", "1 = 1"), (DIM_MCP_SERVER, "mcp_server", "mcp_server <> ''"))
_LINES_ACCEPTED_SQL: Final = (
    "SELECT day, developer, SUM(most) FROM ("
    " SELECT day, developer, suggestion_key, MAX(COALESCE(lines, 0)) AS most FROM telemetry_events"
    " WHERE {scope} AND event = ? AND suggestion_key <> '' GROUP BY day, developer, suggestion_key"
    ") AS per_suggestion GROUP BY day, developer"
)
# Nearest-rank p50 and p95 in SQL (rank = ceil(p/100 * n), in integer arithmetic), so summarising a busy
# day never pulls every duration of it into Python.
_LATENCIES_SQL: Final = (
    "WITH ranked AS (SELECT day, developer, duration_ms,"
    " ROW_NUMBER() OVER (PARTITION BY day, developer ORDER BY duration_ms) AS position,"
    " COUNT(*) OVER (PARTITION BY day, developer) AS n FROM usage_events"
    " WHERE {scope} AND kind IN (?, ?) AND status IS NOT NULL AND cancelled = 0)"
    " SELECT day, developer,"
    " MIN(CASE WHEN position >= (50 * n + 99) / 100 THEN duration_ms END),"
    " MIN(CASE WHEN position >= (95 * n + 99) / 100 THEN duration_ms END)"
    " FROM ranked GROUP BY day, developer"
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


def _aggregate(conn: Connection, table: str, parts: Sequence[_Part], scope: _Scope) -> list[Any]:
    columns = ", ".join(expression for _, expression, _ in parts)
    sql = (f"SELECT day, developer, {columns} FROM {table} "  # noqa: S608 - constant fragments only
           f"WHERE {scope.sql} GROUP BY day, developer")
    params = tuple(p for _, _, part_params in parts for p in part_params) + scope.params
    return conn.execute(sql, params).fetchall()


def _count_dimensions(conn: Connection, scope: _Scope, tally: _Tally) -> None:
    for dimension, column, expression, where, params in _DIMENSIONS:
        sql = (f"SELECT day, developer, {column}, {expression} FROM usage_events "  # noqa: S608 - constants
               f"WHERE {scope.sql} AND {where} GROUP BY day, developer, {column}")
        tally.count(dimension, conn.execute(sql, scope.params + params))
    for dimension, column, where in _TOOL_DIMENSIONS:
        sql = (f"SELECT day, developer, {column}, COUNT(*) FROM otel_tool_calls "  # noqa: S608 - constants
               f"WHERE {scope.sql} AND {where} GROUP BY day, developer, {column}")
        tally.count(dimension, conn.execute(sql, scope.params))


def _add_latencies(conn: Connection, scope: _Scope, tally: _Tally) -> None:
    """Set p50/p95 of model-call and completion durations (those that got a response, not cancelled)."""
    sql = _LATENCIES_SQL.format(scope=scope.sql)
    for day, developer, p50, p95 in conn.execute(sql, (*scope.params, KIND_MODEL_CALL, KIND_COMPLETION)):
        totals = tally.get(day, developer)
        totals.latency_p50_ms, totals.latency_p95_ms = p50, p95


def compute_day_totals(conn: Connection, days: Sequence[str], developers: Sequence[str] | None = None,
                       instances: Sequence[str] | None = None) -> list[DayTotals]:
    """Summarise `days` ('YYYY-MM-DD') from the raw events, for `developers` (None: everyone).

    This is the definition of every daily figure; the rollup only caches its results (of every
    instance together). With `instances`, only the events those proxies recorded count: the figures
    the rollup would hold if the store had only their events.
    """
    if not days:
        return []
    return _compute(conn, _Scope.days(days, developers, instances))


def _compute(conn: Connection, scope: _Scope) -> list[DayTotals]:
    tally = _Tally()
    tally.add(_aggregate(conn, "usage_events", _USAGE_PARTS, scope), [p[0] for p in _USAGE_PARTS])
    tally.add(_aggregate(conn, "telemetry_events", _TELEMETRY_PARTS, scope), [p[0] for p in _TELEMETRY_PARTS])
    lines_sql = _LINES_ACCEPTED_SQL.format(scope=scope.sql)
    tally.add(conn.execute(lines_sql, (*scope.params, COMPLETION_ACCEPTED)), ["lines_accepted"])
    _count_dimensions(conn, scope, tally)
    _add_latencies(conn, scope, tally)
    return sorted(tally.by_key.values(), key=lambda t: (t.day, t.developer))


# --- splits: a day's figures by more keys (IDE, editor key, language, ...) --------------------------

_SCOPE: Final = object()
"""Where a split query's scope parameters go among its own."""


@dataclass(frozen=True)
class Split:
    """A GROUP BY day, developer, `table.keys` query over the raw events, whose rows `table` keeps.

    `sql` has a `{scope}` (a WHERE fragment on day and developer) wherever it reads an event table;
    `params` are its parameters in order, `_SCOPE` standing for the scope's. Its result columns are
    `table.columns`, ordered by the keys.
    """

    table: SplitTable
    sql: str
    params: tuple[object, ...]

    def rows(self, scope: _Scope) -> tuple[str, tuple[object, ...]]:
        """The SQL and parameters computing the split's rows of `scope` from the raw events, unordered."""
        params = tuple(p for part in self.params for p in (scope.params if part is _SCOPE else (part,)))
        return self.sql.format(scope=scope.sql), params

    def query(self, scope: _Scope) -> tuple[str, tuple[object, ...]]:
        """The SQL and parameters computing the split's rows of `scope` from the raw events, ordered by the keys."""
        sql, params = self.rows(scope)
        return f"{sql} ORDER BY {', '.join(self.table.columns[:2 + len(self.table.keys)])}", params


CLI_IDE: Final = "copilot-cli"
"""The IDE of Copilot CLI traffic (whatever editor headers it sent)."""
_IDE_SQL: Final = f"CASE WHEN integration_id = '{CLI_INTEGRATION}' THEN '{CLI_IDE}' ELSE editor END"

SEED_CHAT: Final = Split(SEED_CHAT_SPLIT, f"""
    WITH user_calls AS (
        SELECT day, developer, editor, editor_version, interaction_id, started_at
        FROM usage_events
        WHERE {{scope}} AND {USER_CALLS}
    ), first_calls AS (
        SELECT day, developer, editor, editor_version,
               ROW_NUMBER() OVER (PARTITION BY day, developer, interaction_id
                                  ORDER BY started_at, editor, editor_version) AS nth
        FROM user_calls
        WHERE interaction_id <> ''
    )
    SELECT day, developer, editor, editor_version, COUNT(*) FROM (
        SELECT day, developer, editor, editor_version FROM first_calls WHERE nth = 1
        UNION ALL
        SELECT day, developer, editor, editor_version FROM user_calls WHERE interaction_id = ''
    ) AS turns
    GROUP BY day, developer, editor, editor_version""", (_SCOPE, *USER_CALL_PARAMS))  # noqa: S608 - constants
"""The seed's chat turns (`user_interactions`) by editor and version: each interaction id under its
earliest call (ties: editor, then version), each call without an id under its own."""
SEED_COMPLETIONS: Final = Split(SEED_COMPLETION_SPLIT, f"""
    SELECT day, developer, editor, editor_version, language, COUNT(*)
    FROM usage_events
    WHERE {{scope}} AND {RETURNED_COMPLETION}
    GROUP BY day, developer, editor, editor_version, language""", (_SCOPE, KIND_COMPLETION))  # noqa: S608
"""The seed's completions (`completions_returned`) by editor, version and language."""
IDE_USAGE: Final = Split(IDE_USAGE_SPLIT, (
    f"SELECT day, developer, {_IDE_SQL} AS ide, language, editor_version, plugin, plugin_version,"  # noqa: S608
    " MAX(started_at), COUNT(*),"
    " SUM(CASE WHEN kind = ? THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN kind = ? AND initiator = ? THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN kind = ? AND initiator = ? THEN 1 ELSE 0 END),"
    " COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(nano_aiu), 0),"
    f" SUM(CASE WHEN {RETURNED_COMPLETION} THEN 1 ELSE 0 END),"
    f" SUM(CASE WHEN {RETURNED_COMPLETION} THEN COALESCE(lines_suggested, 0) ELSE 0 END)"
    " FROM usage_events WHERE {scope} GROUP BY day, developer, ide, language, editor_version, plugin, plugin_version"
), (KIND_MODEL_CALL, KIND_MODEL_CALL, INITIATOR_USER, KIND_MODEL_CALL, INITIATOR_AGENT, KIND_COMPLETION,
    KIND_COMPLETION, _SCOPE))
"""Requests, model calls (user, agent), tokens, AI credits and returned completions with their lines,
by IDE (`CLI_IDE` for Copilot CLI traffic), language and the versions seen (with when last seen)."""
IDE_INTERACTIONS: Final = Split(IDE_INTERACTION_SPLIT, (
    "SELECT day, developer, ide, mode, model, COUNT(*) FROM ("  # noqa: S608 - constant fragments only
    f" SELECT day, developer, MIN({_IDE_SQL}) AS ide, MIN(mode) AS mode, MIN(model) AS model"
    f" FROM usage_events WHERE {{scope}} AND {USER_CALLS} AND interaction_id <> ''"
    " GROUP BY day, developer, interaction_id"
    " UNION ALL"
    f" SELECT day, developer, {_IDE_SQL} AS ide, mode, model"
    f" FROM usage_events WHERE {{scope}} AND {USER_CALLS} AND interaction_id = ''"
    ") AS interactions GROUP BY day, developer, ide, mode, model"
), (_SCOPE, *USER_CALL_PARAMS) * 2)
"""User interactions by IDE, mode and model: an interaction under the smallest of its calls' values."""
IDE_TELEMETRY: Final = Split(IDE_TELEMETRY_SPLIT, (
    "SELECT day, developer, editor, language, model,"
    " SUM(CASE WHEN event = ? THEN 1 ELSE 0 END), SUM(CASE WHEN event = ? THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN event = ? THEN lines ELSE 0 END), SUM(CASE WHEN event IN (?, ?, ?) THEN 1 ELSE 0 END)"
    " FROM ("
    "  SELECT day, developer, event, MIN(editor) AS editor, MIN(language) AS language, '' AS model,"
    "  MAX(COALESCE(lines, 0)) AS lines"
    "  FROM telemetry_events WHERE {scope} AND event IN (?, ?) AND suggestion_key <> ''"
    "  GROUP BY day, developer, event, suggestion_key"
    "  UNION ALL"
    "  SELECT day, developer, event, editor, language, CASE WHEN event IN (?, ?, ?) THEN model ELSE '' END,"
    "  COALESCE(lines, 0)"
    "  FROM telemetry_events"
    "  WHERE {scope} AND ((event IN (?, ?) AND suggestion_key = '') OR event IN (?, ?, ?))"
    " ) AS suggestions GROUP BY day, developer, editor, language, model"
), (COMPLETION_SHOWN, COMPLETION_ACCEPTED, COMPLETION_ACCEPTED, *CHAT_ACCEPTANCES,
    _SCOPE, COMPLETION_SHOWN, COMPLETION_ACCEPTED, *CHAT_ACCEPTANCES,
    _SCOPE, COMPLETION_SHOWN, COMPLETION_ACCEPTED, *CHAT_ACCEPTANCES))
"""Distinct suggestions shown and accepted (a key under its smallest editor and language), lines
accepted and chat acceptances (by model), by the editor telemetry named, language and model."""
SPLITS: Final = (SEED_CHAT, SEED_COMPLETIONS, IDE_USAGE, IDE_INTERACTIONS, IDE_TELEMETRY)
ROLLUP_TABLES: Final = ("daily_rollup", "daily_rollup_counts", *(s.table.name for s in SPLITS))
"""Every table of the daily summary (`rollup_dirty` aside)."""


def _refresh_split(conn: Connection, split: Split, scope: _Scope) -> None:
    sql, params = split.query(scope)
    columns = ", ".join(split.table.columns)
    conn.execute(f"INSERT INTO {split.table.name} ({columns}) {sql}", params)


_INSERT_ROLLUP: Final = (
    f"INSERT INTO daily_rollup ({', '.join(_ROLLUP_FIELDS)}) "  # noqa: S608 - constant column names
    f"VALUES ({placeholders(len(_ROLLUP_FIELDS))})"
)
_INSERT_ROLLUP_COUNT: Final = (
    "INSERT INTO daily_rollup_counts (day, developer, dimension, name, value) VALUES (?, ?, ?, ?, ?)"
)
MARK_DIRTY: Final = "INSERT INTO rollup_dirty (day) VALUES (?) ON CONFLICT DO NOTHING"
"""Mark a day ('YYYY-MM-DD') for summarising: the writer runs it for every day it writes to."""


def refresh_days(conn: Connection, days: Sequence[str]) -> None:
    """Recompute the rollup of `days` from the raw events, inside the caller's write transaction."""
    if not days:
        return
    totals = compute_day_totals(conn, days)
    scope = _Scope.days(days, None)
    for table in (*ROLLUP_TABLES, "rollup_dirty"):
        conn.execute(f"DELETE FROM {table} WHERE {scope.sql}", scope.params)  # noqa: S608 - constant names
    for split in SPLITS:
        _refresh_split(conn, split, scope)
    conn.executemany(_INSERT_ROLLUP, [tuple(getattr(t, name) for name in _ROLLUP_FIELDS) for t in totals])
    conn.executemany(_INSERT_ROLLUP_COUNT, [
        (t.day, t.developer, dimension, name, value)
        for t in totals for dimension, values in t.counts.items() for name, value in values.items()
    ])


def _read_rollup(conn: Connection, scope: _Scope) -> list[DayTotals]:
    tally = _Tally()
    sql = f"SELECT {', '.join(_ROLLUP_FIELDS)} FROM daily_rollup WHERE {scope.sql}"  # noqa: S608 - constants
    for row in conn.execute(sql, scope.params):
        tally.by_key[row[0], row[1]] = DayTotals(*row)
    counts = "SELECT day, developer, dimension, name, value FROM daily_rollup_counts WHERE "
    # A year holds over 100,000 counts, a day's in a row: look each (day, developer) up once.
    where, by_dimension = ("", ""), {}
    for day, developer, dimension, name, value in conn.execute(counts + scope.sql, scope.params):
        if where != (day, developer):
            where, by_dimension = (day, developer), tally.get(day, developer).counts
        values = by_dimension.get(dimension)
        if values is None:
            values = by_dimension[dimension] = {}
        values[name] = value
    return list(tally.by_key.values())


@contextlib.contextmanager
def snapshot(conn: Connection) -> Iterator[None]:
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


def read_day_totals(conn: Connection, first_day: date, last_day: date, developers: Sequence[str] | None = None,
                    instances: Sequence[str] | None = None) -> list[DayTotals]:
    """Return the DayTotals of `first_day`..`last_day` (inclusive), sorted by (day, developer).

    Summarised days come from the rollup; days still being written are computed from the events.
    The rollup has no instance dimension, so with `instances` every day is computed from their events.
    """
    first, last = first_day.isoformat(), last_day.isoformat()
    with snapshot(conn):
        if instances is not None:
            return _compute(conn, _Scope.between(first, last, developers, instances))
        dirty = _dirty_days(conn, first, last)
        skip = set(dirty)
        rolled = [t for t in _read_rollup(conn, _Scope.between(first, last, developers)) if t.day not in skip]
        fresh = compute_day_totals(conn, dirty, developers)
    return sorted([*rolled, *fresh], key=lambda t: (t.day, t.developer))


def _dirty_days(conn: Connection, first: str, last: str) -> list[str]:
    return [row[0] for row in conn.execute("SELECT day FROM rollup_dirty WHERE day >= ? AND day <= ? ORDER BY day",
                                           (first, last))]


def read_split(conn: Connection, split: Split, first_day: date, last_day: date,
               developers: Sequence[str] | None = None, *, instances: Sequence[str] | None = None) -> list[Any]:
    """Return `split`'s rows of `first_day`..`last_day` (inclusive), ordered by day, developer and keys.

    Summarised days come from the rollup; days still being written (and every day of a file older
    than the split tables, which only a read-only reader can meet) are computed from the events.
    """
    keys = ", ".join(split.table.columns[:2 + len(split.table.keys)])
    return read_grouped(conn, split, (", ".join(split.table.columns[2:]), None), first_day=first_day,
                        last_day=last_day, developers=developers, instances=instances, order=keys)


def read_grouped(conn: Connection, split: Split, grouping: tuple[str, str | None], *, first_day: date, last_day: date,
                 developers: Sequence[str] | None = None, instances: Sequence[str] | None = None,
                 order: str = "day, developer") -> list[Any]:
    """Return `SELECT day, developer, {select} ... GROUP BY {group} ORDER BY {order}` over `split`'s rows.

    `grouping` is (select, group). The rows are `read_split`'s (summarised days from the rollup, the
    others computed from the events), named by `split.table.columns`; `select`, `group` and `order`
    are constant SQL over them (`group` starting with day, developer; None: the rows as they are),
    so the database sums what a report splits by.
    """
    return list(iter_grouped(conn, split, grouping, first_day=first_day, last_day=last_day, developers=developers,
                             instances=instances, order=order))


def iter_grouped(conn: Connection, split: Split, grouping: tuple[str, str | None], *, first_day: date, last_day: date,
                 developers: Sequence[str] | None = None, instances: Sequence[str] | None = None,
                 order: str = "day, developer") -> Iterator[Any]:
    """`read_grouped`'s rows one at a time, for a reader that sums them as they come (iterate it to the end).

    A year's rows are never all held at once: less memory and less garbage-collector work.
    """
    if developers is not None and not developers:
        return
    select, group = grouping
    first, last = first_day.isoformat(), last_day.isoformat()
    with snapshot(conn):
        source, params = _split_source(conn, split, first, last, developers=developers, instances=instances)
        grouped = f" GROUP BY {group}" if group else ""
        sql = (f"WITH split_rows ({', '.join(split.table.columns)}) AS ({source}) "  # noqa: S608 - constants
               f"SELECT day, developer, {select} FROM split_rows{grouped} ORDER BY {order}")
        yield from conn.execute(sql, params)


def _split_source(conn: Connection, split: Split, first: str, last: str, *, developers: Sequence[str] | None,
                  instances: Sequence[str] | None) -> tuple[str, tuple[object, ...]]:
    """The SQL (and parameters) of `split`'s rows of `first`..`last`: from its table where summarised."""
    period = _Scope.between(first, last, developers, instances)
    # The split tables sum every instance, and a file older than them has none: compute from the events.
    if instances is not None or int(
            conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0) < SPLITS_SINCE:
        return split.rows(period)
    dirty = _dirty_days(conn, first, last)
    stored = period.excluding(dirty)
    sql = f"SELECT {', '.join(split.table.columns)} FROM {split.table.name} WHERE {stored.sql}"  # noqa: S608
    if not dirty:
        return sql, stored.params
    fresh, params = split.rows(_Scope.days(dirty, developers))
    return f"{sql} UNION ALL SELECT * FROM ({fresh}) AS fresh", (*stored.params, *params)  # noqa: S608
