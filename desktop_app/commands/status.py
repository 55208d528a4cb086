"""`copilot-insight status`: the running proxy, today's requests, Copilot's reachability, and anything lost."""

import argparse
import contextlib
from datetime import UTC, datetime

from desktop_app.commands.common import out
from desktop_app.core.paths import AppPaths
from desktop_app.core.proxy_state import running_proxy
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.dayzone import resolve_zone
from desktop_app.core.store.queries import activity_on, connection_summaries, counters, developers_seen
from desktop_app.core.team.diagnostics import UPSTREAM_WINDOW, local_time, upstream_failures
from desktop_app.core.team.settings import load_settings

LOSS_COUNTERS = {
    "unparsed": "requests whose body was not understood (recorded with what could be read)",
    "unrecorded": "requests that could not be stored (e.g. the disk was full)",
    "dropped": "requests dropped because the recorder fell behind",
}


def status(_args: argparse.Namespace, paths: AppPaths) -> int:
    """Print the data locations, the running proxy, today's figures, upstream failures and the loss counters."""
    settings = load_settings(paths.settings_file)
    out(f"Settings:  {paths.settings_file}")
    out(f"Database:  {paths.database}")
    out(f"Proxy:     {settings.proxy.listen_host}:{settings.proxy.listen_port}, recording "
        f"{settings.recording.level}, {len(settings.developers)} developer(s)")
    other = running_proxy(paths.data_dir)
    out(f"Running:   {other.describe()}" if other is not None else "Running:   no proxy runs on this data folder")
    if not paths.database.exists():
        out("No usage recorded yet.")
        return 0
    now = datetime.now(UTC)
    day = resolve_zone(settings.time_zone).day_of(now.timestamp())
    with contextlib.closing(UsageStore.reader(paths.database)) as conn:
        today = activity_on(conn, day)
        seen = developers_seen(conn)
        counts = counters(conn)
        failures = upstream_failures(connection_summaries(conn, now - UPSTREAM_WINDOW))
    out(f"Today:     {sum(a.requests for a in today.values())} request(s) from {len(today)} developer(s) ({day})")
    if failures:
        out("Copilot could not be reached in the last hour:")
        for host, count, last, reason in failures:
            out(f"  {host:32} {count} failed connection(s), last {local_time(last)}: {reason}")
    else:
        out("Copilot:   no failed connection to Copilot in the last hour")
    for developer, last in seen:
        out(f"  {developer:24} last seen {last.astimezone().strftime('%Y-%m-%d %H:%M')}")
    for name, meaning in LOSS_COUNTERS.items():
        out(f"{name.capitalize():11} {counts.get(name, 0)}  ({meaning})")
    return 0
