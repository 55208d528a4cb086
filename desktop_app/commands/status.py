"""`copilot-insight status`: where the data is, who was seen, and whether anything was lost."""

import argparse
import contextlib

from desktop_app.commands.common import out
from desktop_app.core.paths import AppPaths
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.queries import counters, developers_seen
from desktop_app.core.team.settings import load_settings

LOSS_COUNTERS = {
    "unparsed": "requests whose body was not understood (recorded with what could be read)",
    "unrecorded": "requests that could not be stored (e.g. the disk was full)",
    "dropped": "requests dropped because the recorder fell behind",
}


def status(_args: argparse.Namespace, paths: AppPaths) -> int:
    """Print the data locations, each developer's last activity and the loss counters."""
    settings = load_settings(paths.settings_file)
    out(f"Settings:  {paths.settings_file}")
    out(f"Database:  {paths.database}")
    out(f"Proxy:     {settings.proxy.listen_host}:{settings.proxy.listen_port}, recording "
        f"{settings.recording.level}, {len(settings.developers)} developer(s)")
    if not paths.database.exists():
        out("No usage recorded yet.")
        return 0
    with contextlib.closing(UsageStore.reader(paths.database)) as conn:
        seen = developers_seen(conn)
        counts = counters(conn)
    for developer, last in seen:
        out(f"  {developer:24} last seen {last.astimezone().strftime('%Y-%m-%d %H:%M')}")
    for name, meaning in LOSS_COUNTERS.items():
        out(f"{name.capitalize():11} {counts.get(name, 0)}  ({meaning})")
    return 0
