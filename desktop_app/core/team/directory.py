"""The team: adding, removing, disabling and rotating developers, and a live credential directory.

The operations are pure functions over `Settings`; `TeamDirectory` gives the proxy a checker that
follows the settings file, so `copilot-insight users add` takes effect in a running proxy within
a second, without a restart. The reload (keyring, settings file, one HMAC per developer) runs on a
thread of its own: `check` runs on the proxy's event loop and keeps answering with the previous
list until the new one is ready.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from desktop_app.core.errors import AppError, TeamError
from desktop_app.core.team.credentials import AuthResult, CredentialChecker
from desktop_app.core.team.settings import (
    Developer,
    Settings,
    load_settings,
    validate_developer_name,
    with_developers,
)

logger = logging.getLogger(__name__)


def add_developer(settings: Settings, name: str, now: datetime | None = None) -> Settings:
    """Return `settings` with a new, enabled developer `name`."""
    if (why := validate_developer_name(name)) is not None:
        raise TeamError(why[0].upper() + why[1:] + ".")
    if settings.developer(name) is not None:
        raise TeamError(f"A developer called '{name}' already exists.")
    created = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return with_developers(settings, (*settings.developers, Developer(name=name, created=created)))


def require_developer(settings: Settings, name: str) -> Developer:
    """Return the developer called `name` or raise a `TeamError` listing who exists."""
    developer = settings.developer(name)
    if developer is None:
        known = ", ".join(d.name for d in settings.developers) or "none yet"
        raise TeamError(f"There is no developer called '{name}' (developers: {known}).")
    return developer


def _replace_developer(settings: Settings, name: str, change: Callable[[Developer], Developer]) -> Settings:
    target = require_developer(settings, name)
    return with_developers(settings, tuple(change(d) if d is target else d for d in settings.developers))


def remove_developer(settings: Settings, name: str) -> Settings:
    """Return `settings` without developer `name`."""
    target = require_developer(settings, name)
    return with_developers(settings, tuple(d for d in settings.developers if d is not target))


def set_enabled(settings: Settings, name: str, enabled: bool) -> Settings:
    """Return `settings` with developer `name` enabled or disabled."""
    return _replace_developer(settings, name, lambda d: replace(d, enabled=enabled))


def rotate_developer(settings: Settings, name: str) -> Settings:
    """Return `settings` with developer `name` on a new generation: their old password stops working."""
    return _replace_developer(settings, name, lambda d: replace(d, generation=d.generation + 1))


Job = Callable[[], None]


def _on_a_thread(job: Job) -> None:
    threading.Thread(target=job, name="team-reload", daemon=True).start()


class TeamDirectory:
    """A credential checker that reloads when the settings file changes (checked at most once a second)."""

    def __init__(self, settings_file: Path, load_secret: Callable[[], bytes],
                 clock: Callable[[], float] = time.monotonic, background: Callable[[Job], None] = _on_a_thread,
                 ) -> None:
        """Load the developers and the secret now; a failure here is the caller's to report.

        Later reloads are handed to `background` (by default a short-lived thread).
        """
        self._file = settings_file
        self._load_secret = load_secret
        self._clock = clock
        self._background = background
        self._reloading = False
        self._stamp = self._file_stamp()
        self._checked_at = clock()
        self._checker = CredentialChecker(load_secret(), load_settings(settings_file).developers)

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            info = self._file.stat()
        except FileNotFoundError:
            return None
        return info.st_mtime_ns, info.st_size

    def _refresh(self) -> None:
        now = self._clock()
        if now - self._checked_at < 1.0:
            return
        self._checked_at = now
        stamp = self._file_stamp()
        if stamp == self._stamp or self._reloading:
            return
        self._stamp = stamp  # a change during the reload is seen by a later check
        self._reloading = True
        self._background(self._reload)

    def _reload(self) -> None:
        try:
            checker = CredentialChecker(self._load_secret(), load_settings(self._file).developers)
        except AppError as exc:
            logger.error("Keeping the previous developer list: %s", exc.user_message)  # noqa: TRY400
        except Exception as exc:  # noqa: BLE001 - a keyring that went away may raise anything (D-Bus, OS errors)
            logger.error("Keeping the previous developer list: could not read the credential secret (%s).",  # noqa: TRY400
                         type(exc).__name__)
        else:
            self._checker = checker  # one assignment: a concurrent check sees the old or the new list
            logger.info("Developer list reloaded from %s.", self._file)
        finally:
            self._reloading = False

    def check(self, name: str, password: str) -> tuple[AuthResult, str | None]:
        """Check proxy credentials against the current developer list."""
        self._refresh()
        return self._checker.check(name, password)
