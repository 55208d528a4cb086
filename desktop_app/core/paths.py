"""Where Copilot Insight keeps its files: the one override point for every path.

Without an override, settings live in the platform's config dir and data (database, logs, the
mitmproxy confdir with the CA) in its data dir, as `platformdirs` reports them. `--data-dir` or
`COPILOT_INSIGHT_HOME` moves everything into one folder, which tests and portable installs use.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from desktop_app import APP_ID

HOME_ENV = "COPILOT_INSIGHT_HOME"
DATABASE_ENV = "COPILOT_INSIGHT_DATABASE"
PRIVATE_DIR_MODE = 0o700


@dataclass(frozen=True)
class AppPaths:
    """The resolved folders and files of one installation."""

    config_dir: Path
    data_dir: Path
    database_url: str = ""  # `--database` or $COPILOT_INSIGHT_DATABASE; empty: the settings say (else SQLite)

    @property
    def settings_file(self) -> Path:
        """The JSON settings file (developers, listen address, recording level)."""
        return self.config_dir / "settings.json"

    @property
    def database(self) -> Path:
        """The SQLite usage store (`engine.database_of` says which store is configured)."""
        return self.data_dir / "usage.sqlite3"

    @property
    def log_dir(self) -> Path:
        """Diagnostic logs (never usage data, never secrets)."""
        return self.data_dir / "logs"

    @property
    def confdir(self) -> Path:
        """Mitmproxy's confdir: the installation's own CA lives here."""
        return self.data_dir / "mitmproxy"

    @property
    def ca_certificate(self) -> Path:
        """The CA certificate (never the key) that developers trust; the proxy creates it on first start."""
        return self.confdir / "mitmproxy-ca-cert.pem"

    @property
    def content_dir(self) -> Path:
        """Per-request content files, written only when content recording is on."""
        return self.data_dir / "logs" / "usage"


def resolve_paths(data_dir: Path | None = None, environ: Mapping[str, str] | None = None,
                  database: str | None = None) -> AppPaths:
    """Return the paths for `data_dir`, else `$COPILOT_INSIGHT_HOME`, else the platform defaults.

    `database` (`--database`), else `$COPILOT_INSIGHT_DATABASE`, names a shared database.
    """
    env = os.environ if environ is None else environ
    url = (database or env.get(DATABASE_ENV, "")).strip()
    override = data_dir or (Path(env[HOME_ENV]) if env.get(HOME_ENV) else None)
    if override is not None:
        folder = override.expanduser().absolute()
        return AppPaths(config_dir=folder, data_dir=folder, database_url=url)
    return AppPaths(
        config_dir=Path(platformdirs.user_config_dir(APP_ID, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP_ID, appauthor=False)),
        database_url=url,
    )


def ensure_private_dir(folder: Path) -> Path:
    """Create the application's own `folder` (and parents) readable by the current user only; return it.

    An existing `folder` is tightened too (the CA's folder, the logs); for a file's folder that may
    be the user's own (a secret file in `~`, an autostart entry), use `create_dirs_privately`.
    Missing parents are made private too (`--data-dir NEW/FOLDER`: the data folder itself is 0700).
    """
    create_dirs_privately(folder.parent)
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if os.name == "posix":
        folder.chmod(PRIVATE_DIR_MODE)
    return folder


def create_dirs_privately(folder: Path) -> Path:
    """Create `folder` and any missing parents readable by the current user only; leave existing ones alone.

    Writing a secret file to `~/secret` or an autostart entry must not make `~` or `/tmp` private
    (the created folders are chmod-ed explicitly, since the umask may loosen `mkdir`'s mode).
    """
    missing = [f for f in (folder, *folder.parents) if not f.exists()]
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if os.name == "posix":
        for created in missing:
            created.chmod(PRIVATE_DIR_MODE)
    return folder
