"""The dashboard's figures: date ranges, the developer filter, summary cards and chart series.

Pure data built from the store's read API (`usage_query`): the dashboard window shows it and the
reports reuse it. `load_dashboard` is one blocking read (run it on a worker); everything else is
arithmetic over `DailyUsage` rows. Days are the store's local days.
"""

import contextlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from desktop_app.core.models import QuotaSnapshot
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.engine import Connection, Target, as_database
from desktop_app.core.store.queries import DailyUsage, daily_usage, developers_seen, latest_quotas

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
    """What the dashboard shows: a range of days and, optionally, only some developers."""

    days: DayRange
    developers: tuple[str, ...] | None = None  # None: everyone


@dataclass(frozen=True)
class Summary:
    """The summary cards: totals over the query's rows."""

    active_developers: int = 0
    requests: int = 0
    completions_shown: int = 0
    completions_accepted: int = 0
    acceptance_rate: float | None = None
    user_interactions: int = 0
    agent_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ai_credits: float = 0.0
    errors: int = 0

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens


def summarize(rows: Iterable[DailyUsage]) -> Summary:
    """Add up `rows`; the acceptance rate is accepted / shown over them all (None when nothing was shown)."""
    rows = list(rows)
    shown = sum(r.completions_shown for r in rows)
    accepted = sum(r.completions_accepted for r in rows)
    return Summary(
        active_developers=len({r.developer for r in rows if r.requests}),
        requests=sum(r.requests for r in rows), completions_shown=shown, completions_accepted=accepted,
        acceptance_rate=accepted / shown if shown else None,
        user_interactions=sum(r.user_interactions for r in rows), agent_requests=sum(r.agent_requests for r in rows),
        prompt_tokens=sum(r.prompt_tokens for r in rows), completion_tokens=sum(r.completion_tokens for r in rows),
        ai_credits=sum(r.ai_credits for r in rows), errors=sum(r.errors for r in rows),
    )


UNKNOWN_NAME: Final = "(unknown)"
Breakdown = tuple[tuple[str, int], ...]
"""(name, count) pairs, largest first."""


def breakdown(counts: Iterable[Mapping[str, int]]) -> Breakdown:
    """Add up per-day counts by name; largest first, ties by name; empty names read '(unknown)'."""
    total: Counter[str] = Counter()
    for day_counts in counts:
        for name, n in day_counts.items():
            total[name or UNKNOWN_NAME] += n
    return tuple(sorted(((name, n) for name, n in total.items() if n), key=lambda p: (-p[1], p[0])))


@dataclass(frozen=True)
class DailySeries:
    """One value per day per developer, for the stacked daily chart."""

    days: tuple[date, ...]
    developers: tuple[str, ...]  # busiest first
    values: tuple[tuple[int, ...], ...]  # values[i][d]: developers[i] on days[d]

    @property
    def empty(self) -> bool:
        """Whether there is nothing to draw."""
        return not any(any(v) for v in self.values)


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
    order = sorted((name for name, values in per_developer.items() if any(values)),
                   key=lambda name: (-sum(per_developer[name]), name))
    return DailySeries(tuple(all_days), tuple(order), tuple(tuple(per_developer[name]) for name in order))


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard shows for one query."""

    query: DashboardQuery
    rows: tuple[DailyUsage, ...] = ()
    summary: Summary = Summary()
    daily: DailySeries = DailySeries((), (), ())
    modes: Breakdown = ()
    models: Breakdown = ()
    languages: Breakdown = ()
    editors: Breakdown = ()
    quotas: tuple[QuotaSnapshot, ...] = ()
    developers_known: tuple[str, ...] = field(default=())  # everyone who ever sent traffic, for the filter

    @property
    def ever_recorded(self) -> bool:
        """Whether the store holds any traffic at all (False: the dashboard explains how to get some)."""
        return bool(self.developers_known)


def dashboard_data(query: DashboardQuery, rows: Sequence[DailyUsage], quotas: Sequence[QuotaSnapshot],
                   developers_known: Sequence[str]) -> DashboardData:
    """Build the cards, charts and table of `query` from its rows (pure)."""
    return DashboardData(
        query=query, rows=tuple(rows), summary=summarize(rows), daily=daily_series(rows, query.days),
        modes=breakdown(r.interactions_by_mode for r in rows), models=breakdown(r.models for r in rows),
        languages=breakdown(r.languages for r in rows), editors=breakdown(r.editors for r in rows),
        quotas=tuple(quotas), developers_known=tuple(developers_known),
    )


def load_dashboard(conn: Connection, query: DashboardQuery) -> DashboardData:
    """Read and build `query`'s dashboard (blocking: run it on a worker).

    Raises:
        StoreError: The database could not be read.
    """
    rows = daily_usage(conn, query.days.first, query.days.last, query.developers)
    quotas = latest_quotas(conn, query.developers)
    known = [name for name, _ in developers_seen(conn)]
    return dashboard_data(query, rows, quotas, known)


def load_dashboard_file(database: Target, query: DashboardQuery) -> DashboardData:
    """`load_dashboard` on the store at `database`; an empty dashboard when nothing was recorded yet.

    Raises:
        StoreError: The database exists but could not be read.
    """
    if not as_database(database).exists():
        return DashboardData(query)
    with contextlib.closing(UsageStore.reader(database)) as conn:
        return load_dashboard(conn, query)
