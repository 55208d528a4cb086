"""Developer passwords: derived from the secret, never stored, checked in constant time.

password = HMAC-SHA256(secret, name NUL generation), truncated to 120 bits and written in
lower-case Crockford base32 in groups of four (`k3p9-...`), which avoids look-alike letters and
is safe inside a proxy URL. Typing is forgiving: case, dashes and spaces do not matter, and
o/i/l are read as 0/1/1.
"""

import hashlib
import hmac
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from desktop_app.core.team.settings import Developer

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
PASSWORD_BITS = 120
GROUP = 4
_TYPING_FIXES = str.maketrans({"o": "0", "i": "1", "l": "1", "-": None, " ": None})


def derive_password(secret: bytes, name: str, generation: int) -> str:
    """Return the password of developer `name` at `generation` for this installation's secret."""
    message = f"{name}\x00{generation}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    number = int.from_bytes(digest[: PASSWORD_BITS // 8], "big")
    chars = [ALPHABET[(number >> shift) & 31] for shift in range(PASSWORD_BITS - 5, -1, -5)]
    text = "".join(chars)
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def normalize_password(typed: str) -> str:
    """Return `typed` in canonical form: lower case, no separators, look-alikes fixed."""
    return typed.strip().lower().translate(_TYPING_FIXES)


class AuthResult(Enum):
    """The outcome of checking one name and password."""

    OK = "ok"
    WRONG_PASSWORD = "wrong password"  # noqa: S105 - a label, not a password
    UNKNOWN_USER = "unknown user"
    DISABLED = "developer disabled"


@dataclass(frozen=True)
class _Entry:
    canonical: str
    password: bytes
    enabled: bool


class CredentialChecker:
    """Checks proxy credentials against the developer list; built once, queried per connection."""

    def __init__(self, secret: bytes, developers: Iterable[Developer]) -> None:
        """Precompute each developer's expected password (kept in memory only)."""
        self._entries = {
            d.name.casefold(): _Entry(
                d.name, normalize_password(derive_password(secret, d.name, d.generation)).encode(), d.enabled)
            for d in developers
        }
        self._decoy = normalize_password(derive_password(secret, "\x00decoy", 0)).encode()

    def check(self, name: str, password: str) -> tuple[AuthResult, str | None]:
        """Return the result and, when OK, the developer's canonical name.

        The comparison runs in constant time and also for unknown names, so timing does not
        reveal which names exist.
        """
        entry = self._entries.get(name.casefold())
        typed = normalize_password(password).encode()
        matches = hmac.compare_digest(typed, entry.password if entry else self._decoy)
        if entry is None:
            return AuthResult.UNKNOWN_USER, None
        if not matches:
            return AuthResult.WRONG_PASSWORD, None
        if not entry.enabled:
            return AuthResult.DISABLED, None
        return AuthResult.OK, entry.canonical


def proxy_url(host: str, port: int, name: str, password: str) -> str:
    """Return `http://name:password@host:port` with both parts quoted for a URL."""
    user = urllib.parse.quote(name, safe="")
    secret = urllib.parse.quote(password, safe="")
    shown_host = f"[{host}]" if ":" in host else host
    return f"http://{user}:{secret}@{shown_host}:{port}"
