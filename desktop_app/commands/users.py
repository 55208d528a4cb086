"""`copilot-insight users add|remove|disable|enable|rotate|list|show NAME`."""

import argparse
from collections.abc import Callable

from desktop_app.commands.common import out, secret_for
from desktop_app.core.credentials import derive_password, proxy_url
from desktop_app.core.netinfo import host_name, lan_addresses
from desktop_app.core.paths import AppPaths
from desktop_app.core.secrets import CachedSecret
from desktop_app.core.settings import Developer, Settings, load_settings, update_settings
from desktop_app.core.snippets import advertised_host
from desktop_app.core.team import (
    add_developer,
    remove_developer,
    require_developer,
    rotate_developer,
    set_enabled,
)

DONE = {"add": "added", "remove": "removed", "disable": "disabled", "enable": "enabled",
        "rotate": "given a new password (the old one no longer works)"}


def _reachable_host(settings: Settings, override: str | None) -> str:
    return override or advertised_host(settings.proxy.listen_host, lan_addresses(), host_name())


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


def _list(settings: Settings) -> None:
    if not settings.developers:
        out("No developers yet. Add one with: copilot-insight users add NAME")
    for d in settings.developers:
        state = "enabled " if d.enabled else "disabled"
        out(f"{d.name:24} {state}  generation {d.generation}  added {d.created}")


def _change(args: argparse.Namespace) -> Callable[[Settings], Settings]:
    name = args.name
    return {
        "add": lambda s: add_developer(s, name),
        "remove": lambda s: remove_developer(s, name),
        "disable": lambda s: set_enabled(s, name, enabled=False),
        "enable": lambda s: set_enabled(s, name, enabled=True),
        "rotate": lambda s: rotate_developer(s, name),
    }[args.action]


def users(args: argparse.Namespace, paths: AppPaths) -> int:
    """Run one `users` action; print credentials after add, rotate and show."""
    secret = secret_for(args)
    if args.action == "list":
        _list(load_settings(paths.settings_file))
        return 0
    if args.action == "show":
        settings = load_settings(paths.settings_file)
        _print_credentials(args, secret, settings, require_developer(settings, args.name))
        return 0
    if args.action in ("add", "rotate"):
        secret()  # fail before changing anything if the secret is unusable
    settings = update_settings(paths.settings_file, _change(args))
    if not args.password_only:
        out(f"Developer '{args.name}' {DONE[args.action]}.")
    if args.action in ("add", "rotate"):
        _print_credentials(args, secret, settings, require_developer(settings, args.name))
    return 0
