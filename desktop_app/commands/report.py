"""`copilot-insight report --from DATE --to DATE --format FMT -o FILE [--developers a,b]`."""

import argparse
import contextlib
import json
from datetime import date

from desktop_app.commands.common import out
from desktop_app.core.errors import AppError
from desktop_app.core.fileio import atomic_write_text
from desktop_app.core.paths import AppPaths
from desktop_app.core.seed_format import seed_daily_metrics
from desktop_app.core.store import UsageStore


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise AppError(f"{option} must be a date such as 2026-11-01 (found '{text}').") from exc


def report(args: argparse.Namespace, paths: AppPaths) -> int:
    """Write a report; `json` is the seed's daily metrics shape, one object per day."""
    first, last = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    if last < first:
        raise AppError("--to is before --from.")
    if args.format != "json":
        raise AppError(f"The {args.format} report format is not available in this version yet; "
                       "`--format json` (the seed's daily metrics shape) is.")
    if not paths.database.exists():
        raise AppError(f"There is no usage data yet in {paths.data_dir}.")
    developers = [d.strip() for d in args.developers.split(",") if d.strip()] if args.developers else None
    with contextlib.closing(UsageStore.reader(paths.database)) as conn:
        days = seed_daily_metrics(conn, first, last, developers)
    if not days:
        raise AppError(f"No usage between {first} and {last}; nothing was written.")
    try:
        atomic_write_text(args.output, json.dumps(days, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise AppError(f"Cannot write {args.output}: {exc.strerror}.") from exc
    out(f"Wrote {len(days)} day(s) to {args.output}.")
    return 0
