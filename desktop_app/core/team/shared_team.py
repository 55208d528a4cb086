"""The team in a shared database: every instance's `users` changes apply to all, and every proxy follows them.

With a PostgreSQL store the developer list lives in its `team_developers` table (names, generation,
enabled, created: never a password). `users add|remove|...` on any instance change it in one write
transaction (`SharedTeam.update`, the same pure operations as on the settings file) and bump the
team's version in `meta`; each proxy's `SharedTeamDirectory` polls that version every few seconds on
a thread of its own (never on the proxy's event loop) and rebuilds its credential checker.

The local settings file mirrors the shared list whenever it is read, so a proxy that starts while the
database is away still knows the team. The first instance to use the database copies its local team
into it. The secret stays out of the database: every instance needs the same one, so each writes
and compares a fingerprint (`secret_fingerprint`, an HMAC of a fixed text, which reveals nothing of
the secret); a mismatch is explained (a developer's password would work on some instances only).
"""

import contextlib
import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Final

from desktop_app.core.errors import AppError, StoreError
from desktop_app.core.store.database import migrate, write_transaction
from desktop_app.core.store.engine import DATABASE_ERRORS, Connection, Database, SqliteDatabase
from desktop_app.core.team.credentials import AuthResult, CredentialChecker
from desktop_app.core.team.settings import Developer, Settings, load_settings, update_settings, with_developers

logger = logging.getLogger(__name__)

META_TEAM_VERSION: Final = "team_version"
META_FINGERPRINT: Final = "team_secret_fingerprint"
POLL_SECONDS: Final = 2.0
_FINGERPRINT_TEXT: Final = b"copilot-insight: the team's secret fingerprint"
_FOLLOW_ERRORS: Final[tuple[type[Exception], ...]] = (AppError, *DATABASE_ERRORS)


def secret_fingerprint(secret: bytes) -> str:
    """A short, non-reversible fingerprint of the credential secret, to tell instances' secrets apart."""
    return hmac.new(secret, _FINGERPRINT_TEXT, hashlib.sha256).hexdigest()[:16]


def secret_mismatch_message(database: Database) -> str:
    """What to say when this instance's secret is not the one the shared team was made with."""
    return (f"This computer's credential secret differs from the one the team in {database.label} was set up "
            "with, so developers' passwords shown here work only on instances with this secret. Copy the secret "
            "from the first instance (see README, 'Deployment: several proxies, one database') and restart.")


def _meta(conn: Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 (key, value))


def _read(conn: Connection) -> tuple[Developer, ...]:
    found = conn.execute("SELECT name, created, generation, enabled FROM team_developers ORDER BY name_key")
    return tuple(Developer(name=str(name), created=str(created), generation=int(generation), enabled=bool(enabled))
                 for name, created, generation, enabled in found)


def _write(conn: Connection, developers: tuple[Developer, ...]) -> None:
    conn.execute("DELETE FROM team_developers")
    rows = [(d.name, d.name.casefold(), d.created, d.generation, int(d.enabled)) for d in developers]
    conn.executemany("INSERT INTO team_developers (name, name_key, created, generation, enabled) "
                     "VALUES (?, ?, ?, ?, ?)", rows)
    version = int(_meta(conn, META_TEAM_VERSION) or 0)
    _set_meta(conn, META_TEAM_VERSION, str(version + 1))


class SharedTeam:
    """The team table of a shared database (each call opens and closes its own connection)."""

    def __init__(self, database: Database, settings_file: Path) -> None:
        """Use the team in `database`; `settings_file` seeds it once and mirrors it afterwards."""
        self.database, self._file = database, settings_file

    def _connected(self) -> Connection:
        conn = self.database.open_writer()
        try:
            migrate(self.database, conn)  # a first `users add` may come before any proxy started
        except DATABASE_ERRORS as exc:
            conn.close()
            raise self.database.describe(exc, "opened") from exc
        except BaseException:
            conn.close()
            raise
        return conn

    def _in_transaction[T](self, work: Callable[[Connection], T]) -> T:
        conn = self._connected()
        try:
            with write_transaction(conn):
                return work(conn)
        except DATABASE_ERRORS as exc:
            raise self.database.describe(exc, "written") from exc
        finally:
            conn.close()

    def _seeded(self, conn: Connection) -> tuple[Developer, ...]:
        """The shared team; the first time, this instance's local team becomes it."""
        if _meta(conn, META_TEAM_VERSION) is None:
            local = load_settings(self._file).developers
            _write(conn, local)
            if local:
                logger.info("The team of %s (%d developer(s)) now lives in %s.", self._file, len(local),
                            self.database.label)
            return local
        return _read(conn)

    def settings(self) -> Settings:
        """The local settings with the shared team (also mirrored into the settings file)."""
        developers = self._in_transaction(self._seeded)
        return self._mirror(developers)

    def update(self, change: Callable[[Settings], Settings]) -> Settings:
        """Apply `change` (e.g. `add_developer`) to the shared team in one transaction; return the new settings."""
        local = load_settings(self._file)

        def apply(conn: Connection) -> tuple[Developer, ...]:
            developers = change(with_developers(local, self._seeded(conn))).developers
            _write(conn, developers)
            return developers

        return self._mirror(self._in_transaction(apply))

    def check_secret(self, secret: bytes) -> bool:
        """Record the team's secret fingerprint (the first time) or compare with it; False on a mismatch."""
        mine = secret_fingerprint(secret)

        def compare(conn: Connection) -> bool:
            stored = _meta(conn, META_FINGERPRINT)
            if stored is None:
                _set_meta(conn, META_FINGERPRINT, mine)
                return True
            return hmac.compare_digest(stored, mine)

        return self._in_transaction(compare)

    def _mirror(self, developers: tuple[Developer, ...]) -> Settings:
        local = load_settings(self._file)
        if local.developers == developers:
            return local
        return update_settings(self._file, lambda s: replace(s, developers=developers))


class LocalTeam:
    """The team in the settings file (no shared database): the same calls as `SharedTeam`."""

    def __init__(self, settings_file: Path) -> None:
        """Use the team in `settings_file`."""
        self._file = settings_file

    def settings(self) -> Settings:
        """The settings, team included."""
        return load_settings(self._file)

    def update(self, change: Callable[[Settings], Settings]) -> Settings:
        """Apply `change` under the settings file's lock; return the new settings."""
        return update_settings(self._file, change)


def team_for(database: Database, settings_file: Path) -> LocalTeam | SharedTeam:
    """Where the team of an installation lives: the shared database's, else its settings file's."""
    return LocalTeam(settings_file) if isinstance(database, SqliteDatabase) else SharedTeam(database, settings_file)


def version_of(conn: Connection) -> str:
    """The shared team's version (changes with every `users` change)."""
    return _meta(conn, META_TEAM_VERSION) or ""


class SharedTeamDirectory:
    """A credential checker following the shared team: polled on a thread, checked without waiting."""

    def __init__(self, team: SharedTeam, load_secret: Callable[[], bytes], poll_seconds: float = POLL_SECONDS) -> None:
        """Load the team now (the local mirror when the database is away); a bad secret is the caller's to report."""
        self._team, self._load_secret, self._poll = team, load_secret, poll_seconds
        secret = load_secret()
        self.secret_matches = True
        try:
            settings = team.settings()
            self.secret_matches = team.check_secret(secret)
        except StoreError as exc:
            logger.warning("The shared team cannot be read now (%s); using the copy in %s until it can.",
                           exc.user_message, team._file)
            settings = load_settings(team._file)
        if not self.secret_matches:
            logger.error(secret_mismatch_message(team.database))
        self._checker = CredentialChecker(secret, settings.developers)
        self._version: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="team-follow", daemon=True)
        self._thread.start()

    def _reload(self, conn: Connection) -> None:
        version = version_of(conn)
        if version == self._version:
            return
        developers = _read(conn)
        self._checker = CredentialChecker(self._load_secret(), developers)
        if self._version is not None:
            logger.info("Developer list reloaded from %s (%d developer(s)).", self._team.database.label,
                        len(developers))
        self._version = version
        with contextlib.suppress(AppError, OSError):
            self._team._mirror(developers)

    def _follow(self) -> None:
        conn: Connection | None = None
        while not self._stop.wait(self._poll):
            try:
                if conn is None:
                    conn = self._team.database.open_reader()
                self._reload(conn)
            except _FOLLOW_ERRORS as exc:
                logger.debug("The shared team cannot be read now: %s", exc)
                if conn is not None:
                    with contextlib.suppress(*DATABASE_ERRORS):
                        conn.close()
                conn = None
        if conn is not None:
            with contextlib.suppress(*DATABASE_ERRORS):
                conn.close()

    def check(self, name: str, password: str) -> tuple[AuthResult, str | None]:
        """Check proxy credentials against the latest team read."""
        return self._checker.check(name, password)

    def close(self) -> None:
        """Stop following."""
        self._stop.set()
        self._thread.join(timeout=10)
