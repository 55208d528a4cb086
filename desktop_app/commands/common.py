"""Helpers shared by the commands: output and the secret."""

import argparse
import sys

from desktop_app.core.paths import AppPaths
from desktop_app.core.team.secrets import CachedSecret, open_secret_store


def out(text: str) -> None:
    """Print one line of command output (stdout is the command's result, logs go to stderr)."""
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    """Print advice for the person at the terminal (stderr, so stdout stays the command's result)."""
    sys.stderr.write(text + "\n")


def secret_for(args: argparse.Namespace, paths: AppPaths) -> CachedSecret:
    """Return the secret from the store chosen: `--secret-file`, the data folder's secret file, else the keyring."""
    return CachedSecret(open_secret_store(args.secret_file, paths.data_dir))
