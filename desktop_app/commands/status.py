"""`copilot-insight status`: the data, the running proxy, today, Copilot's reachability, anything lost or waiting."""

import argparse
import contextlib
from datetime import UTC, datetime

from desktop_app.commands.common import out
from desktop_app.core.errors import StoreError
from desktop_app.core.paths import AppPaths
from desktop_app.core.proxy_state import running_proxy
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.dayzone import resolve_zone
from desktop_app.core.store.engine import SqliteDatabase, database_of
from desktop_app.core.store.queries import (
    activity_on,
    connection_summaries,
    counters,
    developers_seen,
    instance_requests_on,
    instances_seen,
)
from desktop_app.core.store.spool import SPOOL_FILE, Backlog, spool_backlog
from desktop_app.core.team.diagnostics import UPSTREAM_WINDOW, local_time, upstream_failures
from desktop_app.core.team.settings import load_settings

LOSS_COUNTERS = {
    "unparsed": "requests whose body was not understood (recorded with what could be read)",
    "unrecorded": "requests that could not be stored (e.g. the disk was full)",
    "dropped": "requests dropped because the recorder fell behind",
}


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def describe_backlog(backlog: Backlog) -> str:
    """One sentence about what waits in the local spool (also the tray's words)."""
    if backlog.empty and not backlog.refused_events:
        return "empty (everything recorded here is in the database)"
    text = f"{backlog.events} event(s) in {backlog.batches} batch(es) wait for the database"
    if backlog.oldest is not None:
        text += f", the oldest since {_when(datetime.fromtimestamp(backlog.oldest).astimezone())}"
    if backlog.refused_events:
        text += f"; {backlog.refused_events} event(s) were NOT recorded because the spool was full"
    return text


def status(_args: argparse.Namespace, paths: AppPaths) -> int:
    """Print the data locations, the running proxy, today's figures, upstream failures, the loss counters, the spool."""
    settings = load_settings(paths.settings_file)
    database = database_of(paths)
    out(f"Settings:  {paths.settings_file}")
    out(f"Database:  {database.label}")
    out(f"Proxy:     {settings.proxy.listen_host}:{settings.proxy.listen_port}, recording "
        f"{settings.recording.level}, {len(settings.developers)} developer(s)")
    other = running_proxy(paths.data_dir)
    out(f"Running:   {other.describe()}" if other is not None else "Running:   no proxy runs on this data folder")
    if not isinstance(database, SqliteDatabase):
        backlog = spool_backlog(paths.data_dir / SPOOL_FILE)
        out(f"Spool:     {describe_backlog(backlog or Backlog())}")
    if not database.exists():
        out("No usage recorded yet.")
        return 0
    now = datetime.now(UTC)
    day = resolve_zone(settings.time_zone).day_of(now.timestamp())
    try:
        with contextlib.closing(UsageStore.reader(database)) as conn:
            today = activity_on(conn, day)
            failures = upstream_failures(connection_summaries(conn, now - UPSTREAM_WINDOW))
            seen = developers_seen(conn)
            counts = counters(conn)
            instances = instances_seen(conn)
            instances_today = instance_requests_on(conn, day)
    except StoreError as exc:
        out(f"The database cannot be read now: {exc.user_message}")
        return 1
    out(f"Today:     {sum(a.requests for a in today.values())} request(s) from {len(today)} developer(s) ({day})")
    if failures:
        out("Copilot could not be reached in the last hour:")
        for host, count, last, reason in failures:
            out(f"  {host:32} {count} failed connection(s), last {local_time(last)}: {reason}")
    else:
        out("Copilot:   no failed connection to Copilot in the last hour")
    for developer, last in seen:
        out(f"  {developer:24} last seen {_when(last)}")
    if len(instances) > 1 or not isinstance(database, SqliteDatabase):
        out("Instances (proxies recording here):" + ("" if instances else " none yet"))
        for instance, last in instances:
            out(f"  {instance or '(unnamed)':24} last event {_when(last)}, "
                f"{instances_today.get(instance, 0):,} request(s) today")
    for name, meaning in LOSS_COUNTERS.items():
        out(f"{name.capitalize():11} {counts.get(name, 0)}  ({meaning})")
    return 0
