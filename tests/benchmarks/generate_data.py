"""Benchmark data folders: a year of a team's synthetic Copilot traffic in a real Copilot Insight data dir.

This module owns turning a `SyntheticSpec` (see `synthetic`) into a data folder the app can open:
the usage database at `resolve_paths(folder).database` (days in UTC, summaries refreshed) and,
optionally, a settings file whose team lists the generated developers (names only, never a
password; its time zone is UTC too, so opening the folder never relabels the days). It also owns
the benchmark cache: `cached_data_dir(spec)` generates one folder per spec once and reuses it.

Command line (exit 2 when the database already exists, unless `--force`):

    python -m tests.benchmarks.generate_data --data-dir DIR [--events 5000000] [--days 365]
        [--developers 25] [--last-day YYYY-MM-DD] [--seed N] [--team] [--force] [--cache]

`--cache` generates into (or reuses) the cache folder of the spec and makes DIR a symlink to it.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from desktop_app.core.paths import resolve_paths
from desktop_app.core.store.database import UsageStore
from desktop_app.core.team.directory import add_developer
from desktop_app.core.team.settings import Settings, update_settings
from tests.benchmarks.synthetic import SyntheticSpec, chunked, generate_batches

TIME_ZONE = "UTC"
WRITE_CHUNK = 1_000
PROGRESS_STEPS = 20  # report at most every 5 %
CACHE_ENV = "COPILOT_INSIGHT_BENCH_CACHE"
DEFAULT_CACHE = Path("~/.cache/copilot-insight-bench")
COMPLETE_MARKER = "complete"
SPEC_FILE = "synthetic-spec.json"
EXIT_REFUSED = 2

Progress = Callable[[int, int], None]  # (usage events written, usage events in the spec)


@dataclass(frozen=True)
class GenerationStats:
    """What one generation wrote and how long it took."""

    usage_events: int
    telemetry_events: int
    seconds: float
    database_bytes: int

    @property
    def rows_per_second(self) -> float:
        """Usage plus telemetry rows written per second (generation included)."""
        return (self.usage_events + self.telemetry_events) / self.seconds if self.seconds else 0.0


class DataDirError(Exception):
    """The data folder cannot be (re)generated as asked; the message says why and what to do."""


# --- specs ----------------------------------------------------------------------------------------


def year_spec(last_day: date, events: int = 5_000_000, developers: int = 25) -> SyntheticSpec:
    """Return a spec for the 365 days ending with `last_day` (seed: the synthetic default)."""
    return SyntheticSpec(usage_events=events, developers=developers, first_day=last_day - timedelta(days=364),
                         days=365)


def last_day_of(spec: SyntheticSpec) -> date:
    """Return the spec's last day."""
    return spec.first_day + timedelta(days=spec.days - 1)


def developer_names(spec: SyntheticSpec) -> list[str]:
    """Return the names `synthetic` gives the spec's developers (dev00, dev01, ...)."""
    return [f"dev{n:02d}" for n in range(spec.developers)]


def _spec_fields(spec: SyntheticSpec) -> dict[str, object]:
    return {**asdict(spec), "first_day": spec.first_day.isoformat()}


# --- filling a folder -----------------------------------------------------------------------------


def database_files(database: Path) -> list[Path]:
    """Return the database file and its WAL and shared-memory companions."""
    return [database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")]


def remove_database(database: Path) -> None:
    """Delete the database and its -wal/-shm files, if present."""
    for file in database_files(database):
        file.unlink(missing_ok=True)


def _database_bytes(database: Path) -> int:
    return sum(f.stat().st_size for f in database_files(database) if f.exists())


def _write_all(store: UsageStore, spec: SyntheticSpec, progress: Progress | None) -> tuple[int, int]:
    """Write every synthetic exchange in chunks; return (usage, telemetry) rows written."""
    usage = telemetry = 0
    step = max(1, spec.usage_events // PROGRESS_STEPS)
    next_report = step
    for chunk in chunked(generate_batches(spec), WRITE_CHUNK):
        store.write_many(chunk)
        usage += sum(len(b.usage) for b in chunk)
        telemetry += sum(len(b.telemetry) for b in chunk)
        if progress is not None and usage >= next_report:
            progress(usage, spec.usage_events)
            next_report = (usage // step + 1) * step
    return usage, telemetry


def fill_data_dir(data_dir: Path, spec: SyntheticSpec, *, progress: Progress | None = None) -> GenerationStats:
    """Write `spec`'s traffic into the (new) database of `data_dir` and summarise every day.

    The folder is created as needed; a database already there is written into (its events are kept),
    so callers wanting a fresh one remove it first (`remove_database`). `progress(done, total)` is
    called at most every 5 % of the usage events.
    """
    database = resolve_paths(data_dir).database
    start = time.perf_counter()
    with UsageStore.open(database, TIME_ZONE) as store:
        usage, telemetry = _write_all(store, spec, progress)
        store.refresh_rollups()
    seconds = time.perf_counter() - start
    (database.parent / SPEC_FILE).write_text(json.dumps(_spec_fields(spec), indent=2) + "\n", encoding="utf-8")
    return GenerationStats(usage, telemetry, seconds, _database_bytes(database))


def write_team_settings(data_dir: Path, spec: SyntheticSpec) -> Path:
    """Add the spec's developers (names only) to the folder's settings, days in UTC; return the file."""
    settings_file = resolve_paths(data_dir).settings_file
    created = datetime(spec.first_day.year, spec.first_day.month, spec.first_day.day, tzinfo=UTC)

    def add_team(settings: Settings) -> Settings:
        for name in developer_names(spec):
            if settings.developer(name) is None:
                settings = add_developer(settings, name, now=created)
        return replace(settings, time_zone=TIME_ZONE)

    update_settings(settings_file, add_team)
    return settings_file


# --- the benchmark cache --------------------------------------------------------------------------


def cache_root() -> Path:
    """Return `$COPILOT_INSIGHT_BENCH_CACHE`, else ~/.cache/copilot-insight-bench."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else DEFAULT_CACHE.expanduser()


def cache_path(spec: SyntheticSpec) -> Path:
    """Return the cache folder for `spec` (named from a short hash of its fields); nothing is created."""
    digest = hashlib.sha256(json.dumps(_spec_fields(spec), sort_keys=True).encode()).hexdigest()[:12]
    return cache_root() / f"spec-{digest}"


def is_complete(folder: Path) -> bool:
    """Tell whether `folder` holds a finished generation (its marker is written last)."""
    return (folder / COMPLETE_MARKER).is_file()


def _generate_cached(folder: Path, spec: SyntheticSpec, progress: Progress | None) -> GenerationStats:
    """Generate `spec` into `folder` from scratch (team settings included), then mark it complete."""
    if folder.exists():
        shutil.rmtree(folder)
    stats = fill_data_dir(folder, spec, progress=progress)
    write_team_settings(folder, spec)
    (folder / COMPLETE_MARKER).write_text(f"{datetime.now(UTC).isoformat(timespec='seconds')}\n", encoding="utf-8")
    return stats


def cached_data_dir(spec: SyntheticSpec) -> Path:
    """Return a complete data folder for `spec`, generating it (once, from scratch) when needed."""
    folder = cache_path(spec)
    if not is_complete(folder):
        _generate_cached(folder, spec, None)
    return folder


# --- command line ---------------------------------------------------------------------------------


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-03-31") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.generate_data",
                                     description="Fill a Copilot Insight data folder with synthetic usage.")
    parser.add_argument("--data-dir", type=Path, required=True, help="the folder (created if missing)")
    parser.add_argument("--events", type=int, default=5_000_000, help="usage events (default 5,000,000)")
    parser.add_argument("--days", type=int, default=365, help="days of traffic (default 365)")
    parser.add_argument("--developers", type=int, default=25, help="developers dev00... (default 25)")
    parser.add_argument("--last-day", type=_day, default=None, help="the last day (default: today, local)")
    parser.add_argument("--seed", type=int, default=SyntheticSpec.seed, help="random seed")
    parser.add_argument("--team", action="store_true", help="also list the developers in the settings file")
    parser.add_argument("--force", action="store_true", help="replace an existing database")
    parser.add_argument("--cache", action="store_true",
                        help="generate into (or reuse) the benchmark cache folder, team included, "
                             "and make --data-dir a symlink to it")
    return parser


def _spec_from(args: argparse.Namespace) -> SyntheticSpec:
    if args.events < 1 or args.days < 1 or not 1 <= args.developers <= 100:
        raise DataDirError("--events and --days must be at least 1, --developers from 1 to 100.")
    last_day: date = args.last_day or date.today()
    return SyntheticSpec(usage_events=args.events, developers=args.developers,
                         first_day=last_day - timedelta(days=args.days - 1), days=args.days, seed=args.seed)


def _stderr_progress(start: float) -> Progress:
    def report(done: int, total: int) -> None:
        elapsed = time.perf_counter() - start
        print(f"{done:>12,} / {total:,} usage events ({done / total:4.0%}), {elapsed:7.1f} s, "
              f"{done / elapsed if elapsed else 0:,.0f} events/s", file=sys.stderr, flush=True)
    return report


def _summary(stats: GenerationStats, where: Path) -> str:
    return (f"wrote {stats.usage_events:,} usage events + {stats.telemetry_events:,} telemetry rows in "
            f"{stats.seconds:.1f} s ({stats.rows_per_second:,.0f} rows/s, "
            f"{stats.usage_events / stats.seconds:,.0f} usage events/s); "
            f"database {stats.database_bytes / 1e6:,.0f} MB at {resolve_paths(where).database}")


def _prepare_plain(data_dir: Path, force: bool) -> None:
    database = resolve_paths(data_dir).database
    if database.exists() and not force:
        raise DataDirError(f"{database} already exists; use --force to replace it.")
    remove_database(database)


def _check_linkable(data_dir: Path) -> None:
    if data_dir.exists() and not data_dir.is_symlink():
        raise DataDirError(f"{data_dir} exists and is not a symlink; remove it or choose another --data-dir "
                           "to link to the cache.")


def _link(data_dir: Path, target: Path) -> None:
    """Make `data_dir` a symlink to `target` (replacing an older symlink, never a real folder)."""
    _check_linkable(data_dir)
    if data_dir.is_symlink():
        data_dir.unlink()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    data_dir.symlink_to(target, target_is_directory=True)


def _run_cached(args: argparse.Namespace, spec: SyntheticSpec, progress: Progress) -> GenerationStats | None:
    """Generate the cache folder unless complete (or --force), link --data-dir to it; None when reused."""
    folder = cache_path(spec)
    data_dir: Path = args.data_dir
    _check_linkable(data_dir)  # before anything is generated
    stats = _generate_cached(folder, spec, progress) if args.force or not is_complete(folder) else None
    _link(data_dir, folder)
    return stats


def _run(args: argparse.Namespace) -> int:
    spec = _spec_from(args)
    progress = _stderr_progress(time.perf_counter())
    print(f"generating {spec.usage_events:,} usage events for {spec.developers} developers, "
          f"{spec.first_day}..{last_day_of(spec)} (seed {spec.seed}) for {args.data_dir}", file=sys.stderr)
    if args.cache:
        stats = _run_cached(args, spec, progress)
        if stats is None:
            print(f"reused the complete cache folder {cache_path(spec)}; {args.data_dir} links to it", file=sys.stderr)
            return 0
    else:
        _prepare_plain(args.data_dir, args.force)
        stats = fill_data_dir(args.data_dir, spec, progress=progress)
        if args.team:
            print(f"team of {spec.developers} written to {write_team_settings(args.data_dir, spec)}", file=sys.stderr)
    print(_summary(stats, args.data_dir), file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (2 when refused)."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except DataDirError as exc:
        print(f"generate_data: {exc}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
