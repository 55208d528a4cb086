"""The composition root: arguments → logging → paths → the command (or the tray application)."""

import dataclasses
import importlib
import logging
import os
import sys
from pathlib import Path

from desktop_app.cli import parse_args
from desktop_app.core.errors import AppError, ConfigError
from desktop_app.core.logging_setup import configure_logging
from desktop_app.core.paths import AppPaths, resolve_paths
from desktop_app.core.team.settings import load_settings

logger = logging.getLogger(__name__)

SMOKE_TEST = "--smoke-test"  # a flag rather than a command: the tray application's self-test

# Imported on demand: `users` must not pay for importing mitmproxy.
COMMANDS = {
    None: "desktop_app.commands.tray:tray",
    "serve": "desktop_app.commands.serve:serve",
    "users": "desktop_app.commands.users:users",
    "ca": "desktop_app.commands.ca:ca",
    "status": "desktop_app.commands.status:status",
    "report": "desktop_app.commands.report:report",
    "import-logs": "desktop_app.commands.import_logs:import_logs",
    SMOKE_TEST: "desktop_app.commands.smoke:smoke_test",
}


def _ensure_standard_streams() -> None:
    """Give a windowed (frozen, console-less) build somewhere to write.

    Without a console Python has no stdout/stderr, and the first message would become an
    AttributeError (and the frozen build's crash dialog) instead of the intended text.
    """
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, Path(os.devnull).open("w", encoding="utf-8"))  # noqa: SIM115 - lives with the process


def _with_configured_database(paths: AppPaths) -> AppPaths:
    """Fill in the settings' `database` URL unless `--database` or the environment chose one."""
    if paths.database_url:
        return paths
    try:
        url = load_settings(paths.settings_file).database
    except ConfigError:  # the command itself says what is wrong with the settings
        return paths
    return dataclasses.replace(paths, database_url=url)


def main(argv: list[str] | None = None) -> int:
    """Run `copilot-insight` with `argv`; return the process exit code."""
    _ensure_standard_streams()
    args = parse_args(argv)
    paths = _with_configured_database(resolve_paths(args.data_dir, database=args.database))
    level = getattr(logging, args.log_level.upper())
    key = SMOKE_TEST if args.smoke_test else args.command
    long_running = key in (None, "serve")
    configure_logging(paths.log_dir if long_running else None, level)
    try:
        module, _, function = COMMANDS[key].partition(":")
        command = getattr(importlib.import_module(module), function)
        return int(command(args, paths))
    except AppError as exc:
        sys.stderr.write(f"copilot-insight: {exc.user_message}\n")
        if exc.details:
            logger.debug("Details: %s", exc.details)
        return 1
    except KeyboardInterrupt:
        return 130
