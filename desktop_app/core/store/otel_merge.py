"""Never counted twice: a model call both the proxy and the client's OpenTelemetry saw is one row.

A developer whose traffic crosses the proxy *and* whose client exports OpenTelemetry produces two
records of one model call: the proxy's (`source` "proxy") and a `chat` span (`source` "otel"). They
are the same call when the developer and model are equal, they started within `MATCH_WINDOW`
seconds of each other, and they share the interaction id (or, when the span has none, the prompt's
token count). The proxy's row is kept (it knows status, bytes, editor and timing first-hand); the
span's id (`otel_span`) and turn id are written into it, so a re-sent span is recognised and the
dashboard can tell a call seen both ways. Spans usually arrive after the proxy's row (clients export
in batches); when one arrived first, the proxy's row replaces it.

Among several candidates (a tool round sends the same model twice in one interaction) the earliest
unmatched one is taken, so calls pair in order even when the developer's clock is off by seconds.
Runs inside the writer's transaction on the caller's connection; portable SQL.
"""

from collections.abc import Sequence
from typing import Final

from desktop_app.core.models import KIND_MODEL_CALL, SOURCE_OTEL, SOURCE_PROXY
from desktop_app.core.store.engine import Connection
from desktop_app.core.store.schema import INSERT_USAGE, USAGE_COLUMN, Row

MATCH_WINDOW: Final = 60.0
"""Seconds two records of one call may start apart (clock skew, client-side span start)."""

_C = USAGE_COLUMN
_SAME_CALL: Final = "developer = ? AND kind = ? AND model = ? AND started_at >= ? AND started_at <= ?"
_FIND_OTEL: Final = (
    f"SELECT source_id, turn_id FROM usage_events WHERE {_SAME_CALL} AND source = '{SOURCE_OTEL}' AND "  # noqa: S608
    "((interaction_id <> '' AND interaction_id = ?) OR (interaction_id = '' AND prompt_tokens = ?)) "
    "ORDER BY started_at LIMIT 1"
)
_FIND_PROXY: Final = (
    f"SELECT started_at FROM usage_events WHERE {_SAME_CALL} AND source = ? AND otel_span IS NULL AND "  # noqa: S608
    "(CASE WHEN ? <> '' THEN interaction_id = ? ELSE prompt_tokens = ? END) ORDER BY started_at LIMIT 1"
)
_MERGE_INTO_PROXY: Final = (
    "UPDATE usage_events SET otel_span = ?, turn_id = ? WHERE developer = ? AND started_at = ? AND source = ? "
    "AND otel_span IS NULL AND kind = ? AND model = ?"
)
_SEEN: Final = "SELECT 1 FROM usage_events WHERE source_id = ? OR otel_span = ?"
_ANY_OTEL: Final = (f"SELECT 1 FROM usage_events WHERE source = '{SOURCE_OTEL}' "  # noqa: S608 - a constant
                    "AND started_at >= ? AND started_at <= ? LIMIT 1")


def _started(row: Row) -> float:
    return float(str(row[_C["started_at"]]))


def _window(row: Row) -> tuple[object, ...]:
    started = _started(row)
    return (row[_C["developer"]], KIND_MODEL_CALL, row[_C["model"]], started - MATCH_WINDOW, started + MATCH_WINDOW)


def _mergeable(row: Row) -> bool:
    return row[_C["kind"]] == KIND_MODEL_CALL and bool(row[_C["model"]])


def _insert_proxy(conn: Connection, row: Row) -> None:
    """Insert a proxy row, taking over the span of the same call if it was stored first."""
    execute = conn.execute
    found = execute(_FIND_OTEL, (*_window(row), row[_C["interaction_id"]], row[_C["prompt_tokens"]])).fetchone()
    if found is not None:
        span, turn = found
        execute("DELETE FROM usage_events WHERE source_id = ?", (span,))
        row = tuple(span if i == _C["otel_span"] else turn if i == _C["turn_id"] else value
                    for i, value in enumerate(row))
    execute(INSERT_USAGE, row)


def _insert_otel(conn: Connection, row: Row) -> None:
    """Insert a span's row unless it is already stored or the proxy saw the same call."""
    execute = conn.execute
    span = row[_C["source_id"]]
    if execute(_SEEN, (span, span)).fetchone() is not None:
        return
    interaction = row[_C["interaction_id"]]
    found = execute(_FIND_PROXY, (*_window(row), SOURCE_PROXY, interaction, interaction,
                                  row[_C["prompt_tokens"]])).fetchone()
    if found is None:
        execute(INSERT_USAGE, row)
        return
    execute(_MERGE_INTO_PROXY, (span, row[_C["turn_id"]], row[_C["developer"]], found[0], SOURCE_PROXY,
                                KIND_MODEL_CALL, row[_C["model"]]))


def _may_merge(conn: Connection, calls: Sequence[Row]) -> bool:
    """Whether any of `calls` is a span, or a span is stored near their times."""
    if any(row[_C["source"]] == SOURCE_OTEL for row in calls):
        return True
    starts = [_started(row) for row in calls]
    first, last = min(starts), max(starts)
    return conn.execute(_ANY_OTEL, (first - MATCH_WINDOW, last + MATCH_WINDOW)).fetchone() is not None


def insert_usage(conn: Connection, rows: Sequence[Row]) -> None:
    """Insert prepared `usage_row`s inside the caller's transaction, merging calls seen both ways."""
    calls = [row for row in rows if _mergeable(row)]
    if not calls or not _may_merge(conn, calls):  # the usual case: nothing from OpenTelemetry near these calls
        conn.executemany(INSERT_USAGE, rows)
        return
    calls.sort(key=_started)
    conn.executemany(INSERT_USAGE, [row for row in rows if not _mergeable(row)])
    for row in calls:
        if row[_C["source"]] == SOURCE_OTEL:
            _insert_otel(conn, row)
        else:
            _insert_proxy(conn, row)
