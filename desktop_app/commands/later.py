"""Commands of the contract whose implementation arrives in a later version."""

import argparse

from desktop_app.core.errors import AppError
from desktop_app.core.paths import AppPaths


def report(_args: argparse.Namespace, _paths: AppPaths) -> int:
    """`report`: exports arrive with the usage store and the report issue."""
    raise AppError("`copilot-insight report` is not available in this version yet.")


def import_logs(_args: argparse.Namespace, _paths: AppPaths) -> int:
    """`import-logs`: arrives with the usage store."""
    raise AppError("`copilot-insight import-logs` is not available in this version yet.")
