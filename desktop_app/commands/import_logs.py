"""`copilot-insight import-logs DIR`: ingest a log tree written by the seed script."""

import argparse
import contextlib
import sys
import time

from desktop_app.capture.seed_import import SeedImporter
from desktop_app.commands.common import out
from desktop_app.core.errors import AppError
from desktop_app.core.paths import AppPaths
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.engine import database_of
from desktop_app.core.store.queries import imported_records
from desktop_app.core.team.settings import load_settings


class _ProgressLine:
    """A progress line on stderr, redrawn at most ten times a second."""

    def __init__(self) -> None:
        self._shown_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - self._shown_at > 0.1:
            self._shown_at = now
            sys.stderr.write(f"\rImporting seed logs: {done}/{total} files")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _imported(store: UsageStore) -> int:
    with contextlib.closing(store.read_connection()) as conn:
        return imported_records(conn)


def import_logs(args: argparse.Namespace, paths: AppPaths) -> int:
    """Import DIR into the usage store; importing the same tree again adds nothing."""
    root = args.directory.expanduser()
    if not root.is_dir():
        raise AppError(f"{root} is not a folder. Point import-logs at the seed's logs folder "
                       "(the one holding usage/ and metrics/).")
    settings = load_settings(paths.settings_file)
    started = time.monotonic()
    with UsageStore.open(database_of(paths), settings.time_zone) as store:
        before = _imported(store)
        result = SeedImporter(store, _ProgressLine()).run(root)
        added = _imported(store) - before
    seconds = time.monotonic() - started
    if not result.files:
        raise AppError(f"No seed log files found in {root}: import-logs reads the JSON layout of "
                       "copilot-proxy-insight, usage/<developer>/<kind>/*.json and metrics/copilot-usage_<day>.json.")
    out(f"Read {result.files} file(s) in {seconds:.1f} s: {result.requests} request(s) and "
        f"{result.summaries} daily summary(ies) of days without request files.")
    out(f"Added {added} new usage record(s) (a daily summary stands in with one per request it counts)." if added
        else "Added nothing new: these logs were imported before.")
    for problem in result.skipped[:20]:
        out(f"  skipped {problem}")
    if len(result.skipped) > 20:
        out(f"  ... and {len(result.skipped) - 20} more skipped file(s)")
    return 0
