"""One report's figures, read from the store once and shared by every format.

`load_report` is one blocking read (run it off the GUI thread): the per-developer per-day rows, the
period's summary, per-developer totals, the daily series and breakdowns the dashboard also shows
(`core.dashboard`), the seed's daily shape, and, only when asked for and recorded, the prompts.
With `pseudonymize`, every developer name is replaced by its stable alias before any writer sees it.
"""

import contextlib
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop_app.core.errors import AppError
from desktop_app.core.reports.aliases import aliases
from desktop_app.core.reports.ide_totals import DayBreakdown, IdeDay, read_day_breakdowns, read_ide_days
from desktop_app.core.reports.prompts import ContentFolders, PromptEntry, content_recorded, read_prompts
from desktop_app.core.seed_format import seed_daily_metrics
from desktop_app.core.store.dashboard import (
    Breakdown,
    DailySeries,
    DayRange,
    DeveloperTotals,
    Summary,
    breakdown,
    daily_series,
    developer_totals,
    summarize,
)
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.engine import Connection, Target, as_database
from desktop_app.core.store.queries import (
    DailyUsage,
    daily_usage,
    instances_seen,
    reading_store,
    store_time_zone,
)
from desktop_app.core.store.rollup import snapshot


@dataclass(frozen=True)
class ReportOptions:
    """What to report: which days, whose, and how."""

    days: DayRange
    developers: tuple[str, ...] | None = None  # None: everyone
    instances: tuple[str, ...] | None = None  # None: every proxy recording into the store
    pseudonymize: bool = False
    include_prompts: bool = False

    def __post_init__(self) -> None:
        """Refuse prompts in a pseudonymized report: prompt text can name people."""
        if self.pseudonymize and self.include_prompts:
            raise AppError("A pseudonymized report cannot include prompts: their text can name people. "
                           "Choose one or the other.")


@dataclass(frozen=True)
class ReportData:
    """Everything any report format shows for one period."""

    options: ReportOptions
    time_zone: str
    recording_level: str
    generated_at: datetime
    rows: tuple[DailyUsage, ...]
    summary: Summary
    developers: tuple[DeveloperTotals, ...]
    daily: DailySeries
    modes: Breakdown
    models: Breakdown
    languages: Breakdown
    editors: Breakdown
    seed_days: tuple[dict[str, Any], ...]
    prompts: tuple[PromptEntry, ...] = ()
    prompts_truncated: bool = False  # older prompts of the period were left out (MAX_PROMPTS)
    prompts_unreadable: int = 0  # content files skipped because they could not be read
    ide_days: tuple[IdeDay, ...] = ()  # per developer, day and IDE (the GitHub-shaped report's splits)
    day_breakdowns: tuple[DayBreakdown, ...] = ()  # per developer and day, by language and by model (ditto)

    @property
    def period_text(self) -> str:
        """'2026-11-01 to 2026-11-30' (or the one day)."""
        days = self.options.days
        return days.first.isoformat() if days.length == 1 else f"{days.first} to {days.last}"


def _rename_seed_day(day: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    usage = {names[name]: figures for name, figures in day["usage"].items()}
    return {**day, "usage": dict(sorted(usage.items()))}


def build_report(options: ReportOptions, rows: Sequence[DailyUsage], seed_days: Sequence[dict[str, Any]], *,
                 time_zone: str, recording_level: str, alias_key: bytes | None = None,
                 ide_days: Sequence[IdeDay] = (), day_breakdowns: Sequence[DayBreakdown] = ()) -> ReportData:
    """Build the report from rows already read (pure); pseudonymizes when the options say so."""
    names = {r.developer for r in rows}
    for day in seed_days:
        names.update(day["usage"])
    names.update(d.developer for d in ide_days)
    names.update(d.developer for d in day_breakdowns)
    if options.pseudonymize:
        if alias_key is None:
            raise ValueError("pseudonymizing needs the installation's alias key")
        mapping = aliases(alias_key, names)
        rows = sorted((dataclasses.replace(r, developer=mapping[r.developer]) for r in rows),
                      key=lambda r: (r.day, r.developer))
        seed_days = [_rename_seed_day(day, mapping) for day in seed_days]
        ide_days = sorted((dataclasses.replace(d, developer=mapping[d.developer]) for d in ide_days),
                          key=lambda d: (d.day, d.developer, d.ide))
        day_breakdowns = sorted((dataclasses.replace(d, developer=mapping[d.developer]) for d in day_breakdowns),
                                key=lambda d: (d.day, d.developer))
    return ReportData(
        options=options, time_zone=time_zone, recording_level=recording_level,
        generated_at=datetime.now().astimezone(), rows=tuple(rows), summary=summarize(rows),
        developers=developer_totals(rows, options.days), daily=daily_series(rows, options.days),
        modes=breakdown(r.interactions_by_mode for r in rows), models=breakdown(r.models for r in rows),
        languages=breakdown(r.languages for r in rows), editors=breakdown(r.editors for r in rows),
        seed_days=tuple(seed_days), ide_days=tuple(ide_days), day_breakdowns=tuple(day_breakdowns),
    )


def load_report(database: Target, content_dir: Path, options: ReportOptions, *, recording_level: str,
                alias_key: bytes | None = None, per_ide: bool = False, seed_shape: bool = False) -> ReportData:
    """Read the period's report from the store at `database` (blocking: run it on a worker).

    Two parts are read only for the format that needs them (from the daily summary's splits, still
    a second for a year): `per_ide` the per-IDE splits (`ide_days`, the GitHub-shaped report),
    `seed_shape` the seed's daily objects (`seed_days`, JSON).

    Raises:
        AppError: Nothing was recorded in the period (or at all), or prompts were asked for and
            none was recorded.
        StoreError: The database could not be read.
    """
    if not as_database(database).exists():
        raise AppError("Nothing has been recorded yet, so there is nothing to report. Point a developer's "
                       "IDE at the proxy first (Team & credentials, CA certificate guide).")
    days = options.days
    folders = ContentFolders(content_dir)
    with contextlib.closing(UsageStore.reader(database)) as conn, reading_store(), snapshot(conn):
        report = _read_report(conn, folders, options, recording_level=recording_level, alias_key=alias_key,
                              per_ide=per_ide, seed_shape=seed_shape)
        if not options.include_prompts:
            return report
        selection = read_prompts(conn, folders, days, sorted({r.developer for r in report.rows}))
    if not selection.entries:
        raise AppError(f"No prompts were recorded between {days.first} and {days.last}: prompts are kept only "
                       "while recording is set to 'usage, prompts and answers' (Settings), and only for the "
                       "retention period. Export without prompts, or choose a period when they were recorded.")
    return dataclasses.replace(report, prompts=selection.entries, prompts_truncated=selection.truncated,
                               prompts_unreadable=selection.unreadable)


def check_instances(conn: Connection, instances: Sequence[str] | None) -> None:
    """Refuse instance names no proxy recorded under, saying which ones did.

    Raises:
        AppError: An instance in `instances` never recorded into this store.
    """
    if instances is None:
        return
    known = [name for name, _ in instances_seen(conn)]
    unknown = [name for name in instances if name not in known]
    if unknown:
        listed = ", ".join(f"'{name}'" if name else "(unnamed)" for name in known) or "none yet"
        raise AppError(f"No proxy recorded here as {', '.join(repr(n) for n in unknown)}; "
                       f"the instances recording into this database are: {listed}.")


def _read_report(conn: Connection, folders: ContentFolders, options: ReportOptions, *, recording_level: str,
                 alias_key: bytes | None, per_ide: bool, seed_shape: bool) -> ReportData:
    """Every read but the prompts, inside the caller's snapshot."""
    days = options.days
    check_instances(conn, options.instances)
    rows = daily_usage(conn, days.first, days.last, options.developers, options.instances)
    if not rows:
        whose = f" for {', '.join(options.developers)}" if options.developers else ""
        whose += f" by {', '.join(options.instances)}" if options.instances else ""
        raise AppError(f"No Copilot traffic was recorded between {days.first} and {days.last}{whose}; "
                       "choose another period.")
    seed_days = (seed_daily_metrics(conn, days.first, days.last, options.developers, options.instances)
                 if seed_shape else [])
    ide_days = read_ide_days(conn, days, options.developers, options.instances) if per_ide else ()
    day_breakdowns = read_day_breakdowns(conn, days, options.developers, options.instances) if per_ide else ()
    if content_recorded(folders, days, sorted({r.developer for r in rows})):
        recording_level = "content"  # whatever the setting says now, prompts were recorded then
    return build_report(options, rows, seed_days, time_zone=store_time_zone(conn), recording_level=recording_level,
                        alias_key=alias_key, ide_days=ide_days, day_breakdowns=day_breakdowns)
