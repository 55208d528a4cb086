"""The dashboard's figures: date ranges, the developer and instance filters, summary cards and chart series.

Pure data built from the store's read API (`usage_query`): the dashboard window shows it and the
reports reuse it. `load_dashboard` is one blocking read (run it on a worker); everything else is
arithmetic over `DailyUsage` rows. Days are the store's local days.
"""

import contextlib
import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from desktop_app.core.figures import NO_TELEMETRY, Value, period_totals
from desktop_app.core.models import QuotaSnapshot
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.dayzone import resolve_zone
from desktop_app.core.store.engine import Connection, Target, as_database
from desktop_app.core.store.errors import ErrorCount, error_counts
from desktop_app.core.store.queries import (
    DailyUsage,
    daily_usage,
    developers_seen,
    instances_seen,
    latest_quotas,
    reading_store,
    store_time_zone,
)
from desktop_app.core.store.rollup import restriction, snapshot

MAX_RANGE_DAYS: Final = 3 * 366
"""The longest range the dashboard reads at once (three years)."""


class RangePreset(StrEnum):
    """The date ranges offered by the dashboard."""

    TODAY = "today"
    LAST_7_DAYS = "7d"
    LAST_30_DAYS = "30d"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    CUSTOM = "custom"


@dataclass(frozen=True)
class DayRange:
    """Local days from `first` to `last`, inclusive."""

    first: date
    last: date

    def __post_init__(self) -> None:
        """Refuse an inverted or overlong range with a sentence a person can act on."""
        if self.last < self.first:
            raise ValueError(f"The range ends ({self.last}) before it starts ({self.first}).")
        if self.length > MAX_RANGE_DAYS:
            raise ValueError(f"The range is {self.length} days long; choose at most {MAX_RANGE_DAYS} days.")

    @property
    def length(self) -> int:
        """How many days the range holds."""
        return (self.last - self.first).days + 1

    def days(self) -> list[date]:
        """Every day of the range, in order."""
        return [self.first + timedelta(days=n) for n in range(self.length)]


def preset_range(preset: RangePreset, today: date, custom: DayRange | None = None) -> DayRange:
    """The days `preset` means on `today`; CUSTOM returns `custom` (today alone when None)."""
    match preset:
        case RangePreset.TODAY:
            return DayRange(today, today)
        case RangePreset.LAST_7_DAYS:
            return DayRange(today - timedelta(days=6), today)
        case RangePreset.LAST_30_DAYS:
            return DayRange(today - timedelta(days=29), today)
        case RangePreset.THIS_MONTH:
            return DayRange(today.replace(day=1), today)
        case RangePreset.LAST_MONTH:
            last = today.replace(day=1) - timedelta(days=1)
            return DayRange(last.replace(day=1), last)
        case RangePreset.CUSTOM:
            return custom or DayRange(today, today)


@dataclass(frozen=True)
class DashboardQuery:
    """What the dashboard shows: a range of days and, optionally, only some developers and instances."""

    days: DayRange
    developers: tuple[str, ...] | None = None  # None: everyone
    instances: tuple[str, ...] | None = None  # None: every proxy recording into the store


@dataclass(frozen=True)
class Summary:
    """The totals of some developer-days, each added up by its figure's rule (`figures.period_totals`).

    The attributes are `figures.SUMMARY_KEYS` (and `lines_accepted`); `developer_days` and
    `telemetry_days` say over how many developer-days they were added up and how many of those had
    IDE telemetry: the acceptance figures and rate count only those (None when there were none).
    """

    active_developers: int = 0
    requests: int = 0
    completions_shown: int = 0
    completions_accepted: int | None = None
    acceptance_rate: float | None = None
    lines_accepted: int | None = None
    user_interactions: int = 0
    agent_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ai_credits: float = 0.0
    errors: int = 0
    developer_days: int = 0
    telemetry_days: int = 0

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens

    def value(self, key: str) -> Value:
        """The figure named `key` (a `figures.SUMMARY_KEYS` entry)."""
        value: Value = getattr(self, key)
        return value

    @property
    def acceptance_note(self) -> str:
        """Why acceptance is unknown or counts only some days ('' when telemetry covered every day)."""
        if not self.developer_days or self.telemetry_days == self.developer_days:
            return ""
        if not self.telemetry_days:
            return NO_TELEMETRY
        return (f"Acceptance counts the {self.telemetry_days:,} of {self.developer_days:,} developer-days whose IDE "
                "sent Copilot telemetry; on the others what was accepted cannot be known.")


_SUMMED: Final = tuple(f.name for f in fields(Summary) if f.name not in ("active_developers", "developer_days",
                                                                          "telemetry_days"))


def summarize(rows: Iterable[DailyUsage]) -> Summary:
    """Add up `rows` by each figure's rule; rates only over the developer-days telemetry covered."""
    rows = list(rows)
    totals = period_totals(rows, _SUMMED)
    return Summary(
        active_developers=len({r.developer for r in rows if r.requests}),
        developer_days=len(rows), telemetry_days=sum(1 for r in rows if r.telemetry),
        **{key: totals[key] for key in _SUMMED},  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class DeveloperTotals:
    """One developer's figures over a period: the per-developer table's row.

    `trend` is their requests on each day of the period (oldest first), for a sparkline.
    """

    developer: str
    active_days: int
    last_active: date | None
    summary: Summary
    trend: tuple[int, ...] = ()

    def value(self, key: str) -> Value:
        """The figure named `key` (a `figures.DEVELOPER_KEYS` entry)."""
        if key in ("developer", "active_days", "last_active"):
            value: Value = getattr(self, key)
            return value
        return self.summary.value(key)


def developer_totals(rows: Iterable[DailyUsage], days: "DayRange | None" = None) -> tuple[DeveloperTotals, ...]:
    """Per developer, the period's totals (busiest first, then by name), with a daily trend over `days`."""
    per: dict[str, list[DailyUsage]] = {}
    for row in rows:
        per.setdefault(row.developer, []).append(row)
    all_days = days.days() if days is not None else []
    totals = []
    for name, own in per.items():
        active = [r.day for r in own if r.requests]
        requests = {r.day: r.requests for r in own}
        totals.append(DeveloperTotals(name, len(active), max(active, default=None), summarize(own),
                                      tuple(requests.get(day, 0) for day in all_days)))
    return tuple(sorted(totals, key=lambda t: (-t.summary.requests, t.developer)))


UNKNOWN_NAME: Final = "(unknown)"
Breakdown = tuple[tuple[str, int], ...]
"""(name, count) pairs, largest first."""


def breakdown(counts: Iterable[Mapping[str, int]]) -> Breakdown:
    """Add up per-day counts by name; largest first, ties by name; empty names read '(unknown)'."""
    total: dict[str, int] = {}
    get = total.get
    for day_counts in counts:
        for name, n in day_counts.items():
            key = name or UNKNOWN_NAME
            total[key] = get(key, 0) + n
    return tuple(sorted(((name, n) for name, n in total.items() if n), key=lambda p: (-p[1], p[0])))


@dataclass(frozen=True)
class DailySeries:
    """One value per slot per developer, for the stacked chart: a slot is a day, or an hour of one day.

    Without `hours` the slots are `days`; with them (a one-day range) they are the hours of `days[0]`.
    """

    days: tuple[date, ...]
    developers: tuple[str, ...]  # busiest first
    values: tuple[tuple[int, ...], ...]  # values[i][s]: developers[i] in slot s
    hours: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether there is nothing to draw."""
        return not any(any(v) for v in self.values)

    @property
    def slots(self) -> int:
        """How many bars the chart has."""
        return len(self.hours) if self.hours else len(self.days)

    def slot_label(self, index: int) -> str:
        """'2026-11-03' for a day, '2026-11-03 14:00' for an hour (tooltips)."""
        if self.hours:
            return f"{self.days[0].isoformat()} {self.hours[index]:02d}:00"
        return self.days[index].isoformat()


def daily_series(rows: Iterable[DailyUsage], days: DayRange) -> DailySeries:
    """Requests per developer per day over every day of `days` (days without traffic are 0).

    Developers without a request in the range are left out.
    """
    all_days = days.days()
    index = {day: n for n, day in enumerate(all_days)}
    per_developer: dict[str, list[int]] = {}
    for row in rows:
        if row.day in index:
            per_developer.setdefault(row.developer, [0] * len(all_days))[index[row.day]] += row.requests
    return _series(tuple(all_days), per_developer)


def _series(days: tuple[date, ...], per_developer: Mapping[str, Sequence[int]], hours: tuple[int, ...] = ()
            ) -> DailySeries:
    order = sorted((name for name, values in per_developer.items() if any(values)),
                   key=lambda name: (-sum(per_developer[name]), name))
    return DailySeries(days, tuple(order), tuple(tuple(per_developer[name]) for name in order), hours)


HOURS: Final = tuple(range(24))
_HOURLY_SQL: Final = "SELECT developer, started_at FROM usage_events WHERE day = ?{who}"
"""The day's raw request times: bucketed by hour here, as SQLite and PostgreSQL cast a float differently."""


def hourly_series(conn: Connection, day: date, developers: Sequence[str] | None,
                  instances: Sequence[str] | None = None) -> DailySeries:
    """Requests per developer per local hour of `day` (the 'Today' chart), from the raw events.

    Raises:
        StoreError: The database could not be read.
    """
    start = resolve_zone(store_time_zone(conn)).start_of(day)
    per_developer: dict[str, list[int]] = {}
    who, params = restriction(developers, instances)
    with reading_store():
        rows = conn.execute(_HOURLY_SQL.format(who=who), (day.isoformat(), *params))
        for developer, started_at in rows:
            hour = math.floor((float(started_at) - start) / 3600)
            slot = min(max(hour, 0), len(HOURS) - 1)  # a 25-hour day of a clock change ends in the last slot
            per_developer.setdefault(developer, [0] * len(HOURS))[slot] += 1
    return _series((day,), per_developer, HOURS)


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard shows for one query."""

    query: DashboardQuery
    rows: tuple[DailyUsage, ...] = ()
    summary: Summary = Summary()
    developers: tuple[DeveloperTotals, ...] = ()
    daily: DailySeries = DailySeries((), (), ())
    modes: Breakdown = ()
    models: Breakdown = ()
    languages: Breakdown = ()
    editors: Breakdown = ()
    quotas: tuple[QuotaSnapshot, ...] = ()
    errors: tuple[ErrorCount, ...] = ()  # the failed requests by status, host and developer (largest first)
    developers_known: tuple[str, ...] = field(default=())  # everyone who ever sent traffic, for the filter
    instances_known: tuple[str, ...] = field(default=())  # every proxy that recorded here, for the filter

    @property
    def ever_recorded(self) -> bool:
        """Whether the store holds any traffic at all (False: the dashboard explains how to get some)."""
        return bool(self.developers_known)


def dashboard_data(query: DashboardQuery, rows: Sequence[DailyUsage], quotas: Sequence[QuotaSnapshot],
                   developers_known: Sequence[str]) -> DashboardData:
    """Build the cards, charts and table of `query` from its rows (pure)."""
    return DashboardData(
        query=query, rows=tuple(rows), summary=summarize(rows), developers=developer_totals(rows, query.days),
        daily=daily_series(rows, query.days),
        modes=breakdown(r.interactions_by_mode for r in rows), models=breakdown(r.models for r in rows),
        languages=breakdown(r.languages for r in rows), editors=breakdown(r.editors for r in rows),
        quotas=tuple(quotas), developers_known=tuple(developers_known),
    )


def load_dashboard(conn: Connection, query: DashboardQuery) -> DashboardData:
    """Read and build `query`'s dashboard (blocking: run it on a worker).

    Raises:
        StoreError: The database could not be read.
    """
    with snapshot(conn):
        rows = daily_usage(conn, query.days.first, query.days.last, query.developers, query.instances)
        quotas = latest_quotas(conn, query.developers)  # a developer's quota is their account's, on every instance
        known = [name for name, _ in developers_seen(conn)]
        instances = tuple(name for name, _ in instances_seen(conn))
        data = dashboard_data(query, rows, quotas, known)
        hourly = (hourly_series(conn, query.days.first, query.developers, query.instances)
                  if query.days.length == 1 else None)
        errors = error_counts(conn, query.days, query.developers, query.instances) if data.summary.errors else ()
    return dataclasses.replace(data, daily=hourly or data.daily, errors=errors, instances_known=instances)


def load_dashboard_file(database: Target, query: DashboardQuery) -> DashboardData:
    """`load_dashboard` on the store at `database`; an empty dashboard when nothing was recorded yet.

    Raises:
        StoreError: The database exists but could not be read.
    """
    if not as_database(database).exists():
        return DashboardData(query)
    with contextlib.closing(UsageStore.reader(database)) as conn:
        return load_dashboard(conn, query)
