"""Stable pseudonyms for developers in reports: the same name always gets the same alias here.

An alias is an HMAC of the name under a random key kept in the data folder (readable by the user
only), so it is stable across reports from one installation yet cannot be reversed by trying
likely names, as a plain hash of the name could.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from desktop_app.core.errors import AppError
from desktop_app.core.fileio import atomic_write_bytes, file_lock

ALIAS_KEY_FILE: Final = "report-alias.key"
_KEY_BYTES: Final = 32
_PREFIX: Final = "developer-"


def alias_key(data_dir: Path) -> bytes:
    """The installation's alias key, created on first use (once, even when two exports start together).

    Raises:
        AppError: The key cannot be read or created, or it is damaged (replacing it would silently
            give every developer a new alias).
    """
    path = data_dir / ALIAS_KEY_FILE
    try:
        with file_lock(path):
            if not path.exists():
                atomic_write_bytes(path, secrets.token_bytes(_KEY_BYTES))
            key = path.read_bytes()
    except OSError as exc:
        raise AppError(f"The pseudonym key {path} could not be read or created: {exc.strerror or exc}.",
                       details=repr(exc)) from exc
    if len(key) != _KEY_BYTES:
        raise AppError(f"The pseudonym key {path} is damaged ({len(key)} bytes instead of {_KEY_BYTES}). Restore it "
                       "from a backup to keep the aliases of earlier reports, or delete it to start new aliases.")
    return key


def _alias(key: bytes, name: str, length: int) -> str:
    digest = hmac.new(key, name.encode("utf-8"), hashlib.sha256).digest()
    return _PREFIX + base64.b32encode(digest).decode("ascii").lower()[:length]


def aliases(key: bytes, names: Iterable[str]) -> dict[str, str]:
    """Map each name to its alias; aliases grow longer in the (unlikely) case two would collide."""
    unique = sorted(set(names))
    for length in range(6, 53):
        mapping = {name: _alias(key, name, length) for name in unique}
        if len(set(mapping.values())) == len(unique):
            return mapping
    raise AssertionError("HMAC-SHA256 collided on every length")  # pragma: no cover - impossible in practice
