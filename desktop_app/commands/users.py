"""`copilot-insight users add|remove|disable|enable|rotate|list|show|snippet NAME`.

`snippet NAME --client CLIENT` prints what that developer pastes into their tool, the same text as
the team window's copy buttons (`core.guide.snippets.CLIENTS`).
`list` also shows, per developer, when they were last seen and what recently went wrong when they
connected (a client that does not trust the CA, wrong passwords), and names that are not developers
here with their source address, so the lead can help.
"""

import argparse
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from desktop_app.commands.common import note, out, secret_for
from desktop_app.core.errors import StoreError
from desktop_app.core.guide.snippets import (
    CLIENTS,
    advertised_host,
    configured_setup_url,
    developer_access,
    listens_only_locally,
)
from desktop_app.core.netinfo import host_name, lan_addresses
from desktop_app.core.paths import AppPaths, ensure_private_dir
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.engine import Database, StoreUnavailableError, database_of
from desktop_app.core.store.queries import ConnectionSummary, connection_summaries, developers_seen
from desktop_app.core.team.credentials import derive_password, proxy_url
from desktop_app.core.team.diagnostics import describe, for_developer, local_time, unknown_usernames
from desktop_app.core.team.directory import (
    add_developer,
    remove_developer,
    require_developer,
    rotate_developer,
    set_enabled,
)
from desktop_app.core.team.secrets import CachedSecret
from desktop_app.core.team.settings import Developer, Settings, load_settings
from desktop_app.core.team.shared_team import LocalTeam, SharedTeam, secret_mismatch_message, team_for

logger = logging.getLogger(__name__)
DIAGNOSTIC_DAYS = 30
MAX_LINES_PER_DEVELOPER = 6
MAX_UNKNOWN_LINES = 20

DONE = {"add": "added", "remove": "removed", "disable": "disabled", "enable": "enabled",
        "rotate": "given a new password (the old one no longer works)"}


def _reachable_host(settings: Settings, override: str | None) -> str:
    host = override or advertised_host(settings.proxy.listen_host, lan_addresses(), host_name())
    if override is None and listens_only_locally(settings.proxy.listen_host):
        note(f"Note: the proxy listens on {settings.proxy.listen_host}, so only this computer can use this. "
             "For developers on other computers, let it listen on the network: choose this computer's network "
             "address in the tray's Settings, or run `copilot-insight serve --listen-host 0.0.0.0`; then "
             "give them these settings again.")
    return host


def _print_credentials(args: argparse.Namespace, secret: CachedSecret, settings: Settings,
                       developer: Developer) -> None:
    password = derive_password(secret(), developer.name, developer.generation)
    if args.password_only:
        out(password)
        return
    host = _reachable_host(settings, args.host)
    out(f"Developer: {developer.name}{'' if developer.enabled else ' (disabled: the proxy refuses them)'}")
    out(f"Proxy URL: {proxy_url(host, settings.proxy.listen_port, developer.name, password)}")
    out(f"Password:  {password}")
    if (setup := configured_setup_url(settings.proxy, host)) is not None:
        out(f"Setup page: {setup} (send it to the developer: the CA certificate and the steps)")


def _print_snippet(args: argparse.Namespace, secret: CachedSecret, paths: AppPaths, developer: Developer) -> None:
    from desktop_app.proxy.certs import InstallationCa  # noqa: PLC0415 - only this action needs the CA (and mitmproxy)

    settings = load_settings(paths.settings_file)
    password = derive_password(secret(), developer.name, developer.generation)
    ca = InstallationCa(ensure_private_dir(paths.confdir), host_name()).describe()  # made on first use
    access = developer_access(settings.proxy, _reachable_host(settings, args.host), developer.name, password,
                              ca.fingerprint)
    out(CLIENTS[args.client].build(access))


def _connections(database: Database) -> tuple[list[ConnectionSummary], dict[str, datetime]]:
    """The recent connection diagnostics and everyone's last request, if the proxy has recorded any."""
    if not database.exists():
        return [], {}
    try:
        with contextlib.closing(UsageStore.reader(database)) as conn:
            since = datetime.now(UTC) - timedelta(days=DIAGNOSTIC_DAYS)
            return connection_summaries(conn, since), dict(developers_seen(conn))
    except StoreError as exc:
        logger.warning("Connection diagnostics are not available: %s", exc.user_message)
        return [], {}


def _list(settings: Settings, database: Database) -> None:
    if not settings.developers:
        out("No developers yet. Add one with: copilot-insight users add NAME")
    summaries, last_seen = _connections(database)
    for d in settings.developers:
        state = "enabled " if d.enabled else "disabled"
        seen = last_seen.get(d.name)
        out(f"{d.name:24} {state}  generation {d.generation}  added {d.created}  "
            f"last seen {local_time(seen) if seen else 'never'}")
        for row in for_developer(d.name, summaries)[:MAX_LINES_PER_DEVELOPER]:
            out(f"    {describe(row)}")
    strangers = unknown_usernames(summaries, (d.name for d in settings.developers))
    if strangers:
        out(f"Unknown usernames (not developers here), last {DIAGNOSTIC_DAYS} days:")
        for row in strangers[:MAX_UNKNOWN_LINES]:
            out(f"    {describe(row)}")


def _change(args: argparse.Namespace) -> Callable[[Settings], Settings]:
    name = args.name
    return {
        "add": lambda s: add_developer(s, name),
        "remove": lambda s: remove_developer(s, name),
        "disable": lambda s: set_enabled(s, name, enabled=False),
        "enable": lambda s: set_enabled(s, name, enabled=True),
        "rotate": lambda s: rotate_developer(s, name),
    }[args.action]


def _warn_on_secret_mismatch(team: SharedTeam | None, secret: CachedSecret) -> None:
    if team is None:
        return
    try:
        matches = team.check_secret(secret())
    except StoreUnavailableError:
        return  # said already, or about to be: the change itself needs the database
    if not matches:
        logger.warning(secret_mismatch_message(team.database))


def _readable(team: LocalTeam | SharedTeam, paths: AppPaths) -> Settings:
    """The team to show: the shared one, or this computer's copy of it while the database is away."""
    try:
        return team.settings()
    except StoreUnavailableError as exc:
        logger.warning("%s Showing this computer's copy of the team (changing it needs the database).",
                       exc.user_message)
        return LocalTeam(paths.settings_file).settings()


def users(args: argparse.Namespace, paths: AppPaths) -> int:
    """Run one `users` action; print credentials after add, rotate and show.

    With a shared database the team is the database's (see `shared_team`): every instance sees the change.
    """
    secret = secret_for(args, paths)
    database = database_of(paths)
    team = team_for(database, paths.settings_file)
    shared = team if isinstance(team, SharedTeam) else None
    if args.action == "list":
        _list(_readable(team, paths), database)
        return 0
    if args.action == "show":
        settings = _readable(team, paths)
        _warn_on_secret_mismatch(shared, secret)
        _print_credentials(args, secret, settings, require_developer(settings, args.name))
        return 0
    if args.action == "snippet":
        _print_snippet(args, secret, paths, require_developer(_readable(team, paths), args.name))
        return 0
    if args.action in ("add", "rotate"):
        secret()  # fail before changing anything if the secret is unusable
        _warn_on_secret_mismatch(shared, secret)
    settings = team.update(_change(args))
    if not args.password_only:
        out(f"Developer '{args.name}' {DONE[args.action]}.")
    if args.action in ("add", "rotate"):
        _print_credentials(args, secret, settings, require_developer(settings, args.name))
    return 0
