"""`copilot-insight report --from DATE --to DATE --format FMT -o FILE [--developers a,b] [--instances x,y] ...`."""

import argparse
import contextlib
import logging
import sys
from datetime import date
from pathlib import Path

from desktop_app.commands.common import out
from desktop_app.core.errors import AppError
from desktop_app.core.paths import AppPaths
from desktop_app.core.reports.data import ReportOptions
from desktop_app.core.reports.export import export_report
from desktop_app.core.reports.formats import FORMAT_INFO, ReportFormat
from desktop_app.core.reports.progress import Progress
from desktop_app.core.store.dashboard import DayRange
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import developers_seen
from desktop_app.core.team.settings import load_settings

logger = logging.getLogger(__name__)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise AppError(f"{option} must be a date such as 2026-11-01 (found '{text}').") from exc


def _days(args: argparse.Namespace) -> DayRange:
    first, last = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    try:
        return DayRange(first, last)
    except ValueError as exc:
        raise AppError(str(exc)) from exc


def _names(text: str | None, option: str, what: str, everyone: str) -> tuple[str, ...] | None:
    if not text:
        return None
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise AppError(f"{option} names no {what}; leave it out to report on {everyone}.")
    return names


def _check_suffix(fmt: ReportFormat, output: Path) -> None:
    """Refuse `-o x.pdf --format csv`: a file named for one format holding another helps nobody."""
    named_for = next((f for f, info in FORMAT_INFO.items() if output.suffix.lower() == info.suffix), None)
    if named_for is not None and named_for != fmt:
        raise AppError(f"{output.name} is named like a {named_for} file, but --format is {fmt}: use --format "
                       f"{named_for}, or -o {output.with_suffix(FORMAT_INFO[fmt].suffix).name}.")


def _check_developers(database: Path, names: tuple[str, ...] | None) -> None:
    """Say which named developers have no data at all (a typo, usually), and who has."""
    if not names or not database.exists():
        return
    with contextlib.closing(UsageStore.reader(database)) as conn:
        known = [developer for developer, _ in developers_seen(conn)]
    missing = [name for name in names if name not in known]
    if not missing:
        return
    logger.warning("No request was ever recorded for %s (developers with data: %s).", ", ".join(missing),
                   ", ".join(known) or "nobody yet")


def _terminal_progress() -> Progress:
    if not sys.stderr.isatty():
        return Progress()

    def show(fraction: float, what: str) -> None:
        sys.stderr.write(f"\r{what}… {fraction:4.0%}\x1b[K")
        sys.stderr.flush()

    return Progress(on_step=show)


def report(args: argparse.Namespace, paths: AppPaths) -> int:
    """Write the period's report in the chosen format; refuse clearly when there is nothing to write."""
    options = ReportOptions(days=_days(args),
                            developers=_names(args.developers, "--developers", "developer", "everyone"),
                            instances=_names(args.instances, "--instances", "instance", "every instance"),
                            pseudonymize=args.pseudonymize, include_prompts=args.include_prompts)
    _check_suffix(args.format, args.output)
    _check_developers(paths.database, options.developers)
    settings = load_settings(paths.settings_file)
    try:
        result = export_report(paths, args.format, options, args.output, recording_level=settings.recording.level,
                               progress=_terminal_progress())
    finally:
        if sys.stderr.isatty():  # the progress line goes, whether the report was written or refused
            sys.stderr.write("\r\x1b[K")
    out(f"Wrote {result.path} ({args.format}, {result.size:,} bytes): {result.summary}.")
    return 0
