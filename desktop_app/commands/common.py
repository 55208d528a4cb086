"""Helpers shared by the commands: output and the secret."""

import argparse
import sys

from desktop_app.core.secrets import load_or_create_secret, open_secret_store


def out(text: str) -> None:
    """Print one line of command output (stdout is the command's result, logs go to stderr)."""
    sys.stdout.write(text + "\n")


class SecretLoader:
    """Loads the secret once per process from the store the arguments chose."""

    def __init__(self, args: argparse.Namespace) -> None:
        """Remember which store to use; nothing is read yet."""
        self._secret_file = args.secret_file
        self._secret: bytes | None = None

    def __call__(self) -> bytes:
        """Return the secret, creating it on first use."""
        if self._secret is None:
            self._secret = load_or_create_secret(open_secret_store(self._secret_file))
        return self._secret
