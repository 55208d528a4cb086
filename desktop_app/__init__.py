"""Copilot Insight: per-developer GitHub Copilot usage for a small team.

This module holds only identity constants; it imports nothing heavy.
"""

from importlib.metadata import PackageNotFoundError, version

APP_NAME = "Copilot Insight"
APP_ID = "copilot-insight"

try:
    __version__ = version("copilot-insight")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
