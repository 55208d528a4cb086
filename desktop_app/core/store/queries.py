"""The read API over the usage store: per-developer daily figures, quotas, counters, who was seen.

Every function takes a read connection (`UsageStore.reader(path)` or `store.read_connection()`),
opened by, and used only on, the calling thread. The figures follow copilot-protocol.md §5.3 and
§6.3; each is defined once in `core.figures` (name, title, unit, format, what it counts, how it
adds up), the SQL of the underlying sums in the daily summary, `rollup.compute_day_totals`.
"""

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Final

from desktop_app.core.errors import StoreError
from desktop_app.core.figures import DAILY_KEYS, SHOWN_SOURCE_WORDS, daily_rate
from desktop_app.core.models import QuotaSnapshot
from desktop_app.core.store.engine import DATABASE_ERRORS, Connection
from desktop_app.core.store.rollup import (
    DIM_EDITOR,
    DIM_LANGUAGE,
    DIM_MCP_SERVER,
    DIM_MODE,
    DIM_MODEL,
    DIM_SOURCE,
    DIM_TOOL,
    TELEMETRY_SUMS,
    DayTotals,
    read_day_totals,
    restriction,
)
from desktop_app.core.store.schema import META_TIME_ZONE

NANO_AIU_PER_CREDIT = 1e9
SHOWN_FROM_TELEMETRY = "telemetry"
SHOWN_FROM_PROXY = "proxy"
SHOWN_SOURCE_TEXT: Final = SHOWN_SOURCE_WORDS
"""How `shown_source` reads for people, under the heading "Shown counted from" (`figures.SHOWN_SOURCE_WORDS`)."""


@dataclass(slots=True)
class DailyUsage:
    """One developer's Copilot usage on one local day (in the store's time zone).

    One attribute per daily figure, in `figures.DAILY_KEYS` order; what each counts, how it is
    titled, written and added up is its `figures.Figure` (checked below). The sums come from the
    daily summary (`rollup.compute_day_totals`). Figures that need IDE telemetry are None on a day
    whose IDE sent none (`telemetry` False): unknown, not zero.

    Treat it as read-only. It is not frozen because a year's read builds 9,000 of them, and a frozen
    dataclass's `__init__` (an `object.__setattr__` per field) took 8 µs each against 1 µs.
    """

    day: date
    developer: str
    requests: int
    completions_requested: int
    completions_returned: int
    completions_shown: int
    shown_source: str
    completions_accepted: int | None
    acceptance_rate: float | None
    lines_suggested: int
    lines_accepted: int | None
    chat_acceptances: int | None
    nes_shown: int | None
    nes_accepted: int | None
    user_interactions: int
    interactions_by_mode: dict[str, int]
    agent_requests: int
    model_calls: int
    models: dict[str, int]
    languages: dict[str, int]
    editors: dict[str, int]
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    ai_credits: float
    errors: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    model_call_sources: dict[str, int]
    tools: dict[str, int]
    mcp_servers: dict[str, int]

    @property
    def telemetry(self) -> bool:
        """Whether the developer's IDE sent telemetry this day (the acceptance figures are known)."""
        return self.completions_accepted is not None

    @property
    def tokens(self) -> int:
        """Prompt and output tokens together."""
        return self.prompt_tokens + self.completion_tokens


if tuple(f.name for f in fields(DailyUsage)) != DAILY_KEYS:  # pragma: no cover - a programming error
    raise TypeError("DailyUsage must have one attribute per figures.DAILY_KEYS entry, in that order")


@contextlib.contextmanager
def reading_store() -> Iterator[None]:
    """Turn a failure in the middle of a read into a StoreError a person can act on (every read API uses it)."""
    try:
        yield
    except DATABASE_ERRORS as exc:
        raise StoreError(f"The usage database could not be read: {exc}.",
                         details=f"{type(exc).__name__}: {exc}") from exc


_TELEMETRY_SUMS: Final = attrgetter(*TELEMETRY_SUMS)


def _daily_usage(totals: DayTotals) -> DailyUsage:
    """`totals` as people read it; its counts are taken over, not copied (`totals` is this read's alone)."""
    from_telemetry = totals.telemetry_shown > 0
    shown = totals.telemetry_shown if from_telemetry else totals.completions_returned
    telemetry = any(_TELEMETRY_SUMS(totals))

    def known(value: int) -> int | None:
        return value if telemetry else None

    counts = totals.counts
    return DailyUsage(
        day=date.fromisoformat(totals.day), developer=totals.developer, requests=totals.requests,
        completions_requested=totals.completions_requested, completions_returned=totals.completions_returned,
        completions_shown=shown, shown_source=SHOWN_FROM_TELEMETRY if from_telemetry else SHOWN_FROM_PROXY,
        completions_accepted=known(totals.completions_accepted),
        acceptance_rate=daily_rate(known(totals.completions_accepted), shown),
        lines_suggested=totals.lines_suggested, lines_accepted=known(totals.lines_accepted),
        chat_acceptances=known(totals.chat_acceptances), nes_shown=known(totals.nes_shown),
        nes_accepted=known(totals.nes_accepted),
        user_interactions=totals.user_interactions, interactions_by_mode=counts.get(DIM_MODE) or {},
        agent_requests=totals.agent_requests, model_calls=totals.model_calls,
        models=counts.get(DIM_MODEL) or {}, languages=counts.get(DIM_LANGUAGE) or {},
        editors=counts.get(DIM_EDITOR) or {}, prompt_tokens=totals.prompt_tokens,
        completion_tokens=totals.completion_tokens, cached_tokens=totals.cached_tokens,
        reasoning_tokens=totals.reasoning_tokens, ai_credits=totals.nano_aiu / NANO_AIU_PER_CREDIT,
        errors=totals.errors, latency_p50_ms=totals.latency_p50_ms, latency_p95_ms=totals.latency_p95_ms,
        model_call_sources=counts.get(DIM_SOURCE) or {}, tools=counts.get(DIM_TOOL) or {},
        mcp_servers=counts.get(DIM_MCP_SERVER) or {},
    )


def daily_usage(conn: Connection, first_day: date, last_day: date, developers: Sequence[str] | None = None,
                instances: Sequence[str] | None = None) -> list[DailyUsage]:
    """Return each developer's figures for each day from `first_day` to `last_day` (inclusive).

    Only (day, developer) pairs with recorded activity appear; the list is sorted by (day, developer).

    Args:
        conn: A read connection owned by the calling thread.
        first_day: The first local day.
        last_day: The last local day.
        developers: Only these developers; None means everyone.
        instances: Only the events these proxies recorded; None means every instance.

    Raises:
        StoreError: The database could not be read.
    """
    with reading_store():
        return [_daily_usage(t) for t in read_day_totals(conn, first_day, last_day, developers, instances)]


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def latest_quotas(conn: Connection, developers: Sequence[str] | None = None) -> list[QuotaSnapshot]:
    """Return the latest quota snapshot per (developer, quota), sorted by developer then quota.

    Raises:
        StoreError: The database could not be read.
    """
    where, params = restriction(developers)
    columns = "developer, quota, observed_at, entitlement, remaining_percent, overage, overage_permitted, reset_at"
    sql = f"SELECT {columns} FROM quota_snapshots WHERE 1 = 1{where} ORDER BY developer, quota"  # noqa: S608 - placeholders
    with reading_store():
        rows = conn.execute(sql, params).fetchall()
    return [
        QuotaSnapshot(developer=developer, quota=quota, observed_at=_from_epoch(observed), entitlement=entitlement,
                      remaining_percent=remaining, overage=overage,
                      overage_permitted=None if permitted is None else bool(permitted), reset_at=reset_at)
        for developer, quota, observed, entitlement, remaining, overage, permitted, reset_at in rows
    ]


def counters(conn: Connection) -> dict[str, int]:
    """Return the store's counters (unparsed, unrecorded, dropped, ...) by name.

    Raises:
        StoreError: The database could not be read.
    """
    with reading_store():
        return {name: int(value) for name, value in conn.execute("SELECT name, value FROM counters ORDER BY name")}


def store_time_zone(conn: Connection) -> str:
    """Return the time zone the store's days are computed in ('local:...' when it has no IANA name).

    Raises:
        StoreError: The database could not be read.
    """
    with reading_store():
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_TIME_ZONE,)).fetchone()
    return str(row[0]) if row else ""


def developers_seen(conn: Connection) -> list[tuple[str, datetime]]:
    """Return (developer, last seen, UTC) for everyone who ever sent traffic, sorted by developer.

    Raises:
        StoreError: The database could not be read.
    """
    with reading_store():
        rows = conn.execute("SELECT developer, last_seen FROM developers ORDER BY developer").fetchall()
    return [(developer, _from_epoch(last_seen)) for developer, last_seen in rows]


def instances_seen(conn: Connection) -> list[tuple[str, datetime]]:
    """Return (instance, last event, UTC) for every proxy that recorded into this store, sorted by name.

    Raises:
        StoreError: The database could not be read.
    """
    with reading_store():
        rows = conn.execute("SELECT instance, last_seen FROM instances ORDER BY instance").fetchall()
    return [(instance, _from_epoch(last_seen)) for instance, last_seen in rows]


def instance_requests_on(conn: Connection, day: str) -> dict[str, int]:
    """Return how many requests each instance (proxy) recorded on `day` ('YYYY-MM-DD'); idle ones are absent.

    Raises:
        StoreError: The database could not be read.
    """
    with reading_store():
        rows = conn.execute("SELECT instance, COUNT(*) FROM usage_events WHERE day = ? GROUP BY instance",
                            (day,)).fetchall()
    return {instance: int(count) for instance, count in rows}


@dataclass(frozen=True)
class DayActivity:
    """How much one developer used Copilot on one day, for the tray and the team dialog."""

    requests: int
    last_seen: datetime


def activity_on(conn: Connection, day: str) -> dict[str, DayActivity]:
    """Return each active developer's request count and last request (UTC) on `day` ('YYYY-MM-DD').

    Raises:
        StoreError: The database could not be read.
    """
    with reading_store():
        rows = conn.execute("SELECT developer, COUNT(*), MAX(started_at) FROM usage_events WHERE day = ? "
                            "GROUP BY developer ORDER BY developer", (day,)).fetchall()
    return {developer: DayActivity(int(count), _from_epoch(last)) for developer, count, last in rows}


@dataclass(frozen=True)
class ConnectionSummary:
    """Connection events of one kind, name, source and host, counted (see `models.ConnectionEvent`)."""

    kind: str
    username: str
    source: str
    host: str
    count: int
    first_at: datetime  # UTC
    last_at: datetime  # UTC
    detail: str


def connection_summaries(conn: Connection, since: datetime | None = None) -> list[ConnectionSummary]:
    """Return the connection diagnostics last seen at or after `since` (all when None), newest first.

    Raises:
        StoreError: The database could not be read.
    """
    cutoff = since.timestamp() if since is not None else 0.0
    with reading_store():
        rows = conn.execute("SELECT kind, username, source, host, count, first_at, last_at, detail "
                            "FROM connection_events WHERE last_at >= ? ORDER BY last_at DESC, kind, username",
                            (cutoff,)).fetchall()
    return [ConnectionSummary(kind, username, source, host, int(count), _from_epoch(first), _from_epoch(last), detail)
            for kind, username, source, host, count, first, last, detail in rows]


def imported_records(conn: Connection) -> int:
    """How many usage records came from an import (they carry a `source_id`; live ones do not).

    Raises:
        StoreError: The database could not be read.
    """
    with reading_store():
        row = conn.execute("SELECT COUNT(*) FROM usage_events WHERE source_id IS NOT NULL").fetchone()
    return int(row[0])
