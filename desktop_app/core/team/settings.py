"""The settings file: schema, defaults, validation, migrations and atomic saves.

Settings are a JSON object with a `schema_version`. Loading validates every field and reports all
problems at once, in sentences; a file written by a newer version is refused rather than
half-understood. Saves are atomic and private (see `fileio`). Passwords are never part of the
settings: only each developer's name, generation, state and creation time.
"""

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast

from desktop_app.core.errors import ConfigError
from desktop_app.core.fileio import atomic_write_text, file_lock
from desktop_app.core.upstream_proxy import parse_upstream_proxy

SCHEMA_VERSION = 6
RecordingLevel = Literal["metadata", "content"]
RECORDING_LEVELS: tuple[RecordingLevel, ...] = ("metadata", "content")
RECORDING_TEXT: dict[str, str] = {"metadata": "usage only", "content": "usage, prompts and answers"}
"""What is recorded at each level, in words a lead knows ("recording: usage only")."""


def recording_text(level: str) -> str:
    """'usage only' or 'usage, prompts and answers' (an unknown level as it is)."""
    return RECORDING_TEXT.get(level, level or "unknown")
DEVELOPER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
HOST_NAME = re.compile(r"(\*\.)?([A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}")
DEFAULT_PORT = 8080
DEFAULT_OTLP_PORT = 4318  # OTLP/HTTP's registered port, where Copilot's clients export by default

Problems = list[str]
JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Developer:
    """One developer the lead has added. The password is derived, never stored."""

    name: str
    created: str
    generation: int = 0
    enabled: bool = True


@dataclass(frozen=True)
class ProxySettings:
    """Where the proxy listens and what it lets through."""

    listen_host: str = "127.0.0.1"
    listen_port: int = DEFAULT_PORT
    copilot_only: bool = False
    extra_hosts: tuple[str, ...] = ()
    setup_page: bool = True  # the read-only page developers open to get the CA and the guide
    setup_port: int = 0  # 0: the proxy port + 1
    otlp_port: int = DEFAULT_OTLP_PORT  # the OpenTelemetry receiver, for developers without the CA; 0: off
    upstream_proxy: str = ""  # the company proxy all upstream traffic goes through, e.g. http://proxy.corp:3128
    upstream_ca: str = ""  # an extra CA file to trust upstream (a TLS-inspecting company proxy)

    @property
    def effective_setup_port(self) -> int:
        """The setup page's port: as configured, else the proxy port + 1 (see `setup_port_for`)."""
        return setup_port_for(self.setup_port, self.listen_port)


def setup_port_for(configured: int, proxy_port: int) -> int:
    """The setup page's port: `configured` if set, else `proxy_port` + 1 (- 1 at the top of the range)."""
    if configured:
        return configured
    return proxy_port + 1 if proxy_port < 65535 else proxy_port - 1


@dataclass(frozen=True)
class RecordingSettings:
    """What is recorded and for how long."""

    level: RecordingLevel = "metadata"
    content_retention_days: int = 30
    event_retention_days: int = 400


@dataclass(frozen=True)
class DesktopSettings:
    """How the tray application behaves (ignored by `serve`)."""

    start_proxy_on_launch: bool = True
    launch_at_login: bool = False
    notify_first_request: bool = False


@dataclass(frozen=True)
class Settings:
    """Everything the user can configure."""

    proxy: ProxySettings = field(default_factory=ProxySettings)
    recording: RecordingSettings = field(default_factory=RecordingSettings)
    desktop: DesktopSettings = field(default_factory=DesktopSettings)
    time_zone: str = ""  # empty: the computer's local time zone
    developers: tuple[Developer, ...] = ()
    database: str = ""  # a PostgreSQL URL several instances share; empty: the SQLite file in the data folder
    instance: str = ""  # the name this instance's rows carry; empty: the computer's host name

    def developer(self, name: str) -> Developer | None:
        """Return the developer called `name` (case-insensitive), if any."""
        folded = name.casefold()
        return next((d for d in self.developers if d.name.casefold() == folded), None)


# --- validation ---------------------------------------------------------------------------------


def _section(data: JsonObject, key: str, problems: Problems) -> JsonObject:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"'{key}' must be an object with named settings.")
        return {}
    return cast("JsonObject", value)


def _unknown_keys(data: JsonObject, known: set[str], where: str, problems: Problems) -> None:
    for key in sorted(set(data) - known):
        problems.append(f"'{where}{key}' is not a setting this version knows (a typo?).")


def _bool(data: JsonObject, key: str, default: bool, where: str, problems: Problems) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        problems.append(f"'{where}{key}' must be true or false (found {value!r}).")
        return default
    return value


def _int(data: JsonObject, key: str, default: int, bounds: tuple[int, int], *, where: str,
         problems: Problems) -> int:
    value = data.get(key, default)
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"'{where}{key}' must be a whole number from {low} to {high} (found {value!r}).")
        return default
    return value


def validate_listen_host(host: object) -> str | None:
    """Return a sentence saying why `host` cannot be a listen address, or None if it can."""
    if not isinstance(host, str) or not host:
        return "the listen address must be an IP address such as 127.0.0.1 or 0.0.0.0"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            return f"'{host}' is not an IP address (use 127.0.0.1 for this computer only, 0.0.0.0 for all)"
    return None


def validate_developer_name(name: object) -> str | None:
    """Return a sentence saying why `name` is not a valid developer name, or None."""
    if not isinstance(name, str) or not DEVELOPER_NAME.fullmatch(name):
        return (f"{name!r} is not a valid developer name: use 1 to 64 letters, digits, dots, dashes or "
                "underscores, starting with a letter or digit")
    return None


def _proxy_from(data: JsonObject, problems: Problems) -> ProxySettings:
    where = "proxy."
    _unknown_keys(data, {"listen_host", "listen_port", "copilot_only", "extra_hosts", "setup_page", "setup_port",
                         "otlp_port", "upstream_proxy", "upstream_ca"}, where, problems)
    host = data.get("listen_host", ProxySettings.listen_host)
    if (why := validate_listen_host(host)) is not None:
        problems.append(f"'proxy.listen_host': {why}.")
        host = ProxySettings.listen_host
    hosts = data.get("extra_hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) and HOST_NAME.fullmatch(h) for h in hosts):
        problems.append("'proxy.extra_hosts' must be a list of host names such as "
                        "'copilot.example.com' or '*.example.com'.")
        hosts = []
    proxy = ProxySettings(
        listen_host=cast("str", host),
        listen_port=_int(data, "listen_port", DEFAULT_PORT, (1, 65535), where=where, problems=problems),
        copilot_only=_bool(data, "copilot_only", False, where, problems),
        extra_hosts=tuple(h.lower() for h in hosts),
        setup_page=_bool(data, "setup_page", True, where, problems),
        setup_port=_int(data, "setup_port", 0, (0, 65535), where=where, problems=problems),
        otlp_port=_int(data, "otlp_port", DEFAULT_OTLP_PORT, (0, 65535), where=where, problems=problems),
        upstream_proxy=_upstream_proxy(data, problems),
        upstream_ca=_text(data, "upstream_ca", where, problems),
    )
    if proxy.setup_page and proxy.effective_setup_port == proxy.listen_port:
        problems.append(f"'proxy.setup_port' must differ from the proxy's port {proxy.listen_port}.")
    if (why := otlp_port_conflict(proxy)) is not None:
        problems.append(f"'proxy.otlp_port' {why}.")
    return proxy


def otlp_port_conflict(proxy: ProxySettings) -> str | None:
    """Why the OpenTelemetry receiver's port cannot be used beside the proxy's and the setup page's, or None."""
    if not proxy.otlp_port:
        return None
    if proxy.otlp_port == proxy.listen_port:
        return f"must differ from the proxy's port {proxy.listen_port}"
    if proxy.setup_page and proxy.otlp_port == proxy.effective_setup_port:
        return f"must differ from the setup page's port {proxy.effective_setup_port}"
    return None


def _text(data: JsonObject, key: str, where: str, problems: Problems) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        problems.append(f"'{where}{key}' must be text (found {value!r}).")
        return ""
    return value.strip()


def _upstream_proxy(data: JsonObject, problems: Problems) -> str:
    url = _text(data, "upstream_proxy", "proxy.", problems)
    if url:
        try:
            parse_upstream_proxy(url)
        except ConfigError as exc:
            problems.append(f"'proxy.upstream_proxy': {exc.user_message}")
            return ""
    return url


def _recording_from(data: JsonObject, problems: Problems) -> RecordingSettings:
    where = "recording."
    _unknown_keys(data, {"level", "content_retention_days", "event_retention_days"}, where, problems)
    level = data.get("level", "metadata")
    if level not in RECORDING_LEVELS:
        problems.append(f"'recording.level' must be 'metadata' or 'content' (found {level!r}).")
        level = "metadata"
    return RecordingSettings(
        level=cast("RecordingLevel", level),
        content_retention_days=_int(data, "content_retention_days", 30, (1, 3650), where=where, problems=problems),
        event_retention_days=_int(data, "event_retention_days", 400, (1, 36500), where=where, problems=problems),
    )


def _desktop_from(data: JsonObject, problems: Problems) -> DesktopSettings:
    where = "desktop."
    defaults = DesktopSettings()
    _unknown_keys(data, {"start_proxy_on_launch", "launch_at_login", "notify_first_request"}, where, problems)
    return DesktopSettings(
        start_proxy_on_launch=_bool(data, "start_proxy_on_launch", defaults.start_proxy_on_launch, where, problems),
        launch_at_login=_bool(data, "launch_at_login", defaults.launch_at_login, where, problems),
        notify_first_request=_bool(data, "notify_first_request", defaults.notify_first_request, where, problems),
    )


def _developer_from(item: object, index: int, problems: Problems) -> Developer | None:
    where = f"developers[{index}]."
    if not isinstance(item, dict):
        problems.append(f"'developers[{index}]' must be an object with a name.")
        return None
    data = cast("JsonObject", item)
    _unknown_keys(data, {"name", "generation", "enabled", "created"}, where, problems)
    if (why := validate_developer_name(data.get("name"))) is not None:
        problems.append(f"'{where}name': {why}.")
        return None
    created = data.get("created", "")
    try:
        datetime.fromisoformat(str(created))
    except ValueError:
        problems.append(f"'{where}created' must be a date and time such as 2026-01-31T09:00:00+00:00.")
        created = ""
    return Developer(
        name=cast("str", data["name"]),
        created=str(created),
        generation=_int(data, "generation", 0, (0, 1_000_000), where=where, problems=problems),
        enabled=_bool(data, "enabled", True, where, problems),
    )


def _developers_from(items: object, problems: Problems) -> tuple[Developer, ...]:
    if not isinstance(items, list):
        problems.append("'developers' must be a list.")
        return ()
    developers: list[Developer] = []
    for index, item in enumerate(items):
        developer = _developer_from(item, index, problems)
        if developer is None:
            continue
        if any(d.name.casefold() == developer.name.casefold() for d in developers):
            problems.append(f"the developer name '{developer.name}' appears twice.")
            continue
        developers.append(developer)
    return tuple(developers)


def settings_from_dict(data: JsonObject) -> Settings:
    """Validate a current-schema settings object; raise `ConfigError` listing every problem."""
    problems: Problems = []
    _unknown_keys(data, {"schema_version", "proxy", "recording", "desktop", "time_zone", "developers", "database",
                         "instance"}, "", problems)
    time_zone = data.get("time_zone", "")
    if not isinstance(time_zone, str):
        problems.append("'time_zone' must be a time zone name such as 'Europe/Berlin', or empty for local time.")
        time_zone = ""
    database, instance = data.get("database", ""), data.get("instance", "")
    if not isinstance(database, str) or (database and not database.startswith(("postgresql://", "postgres://"))):
        problems.append("'database' must be a PostgreSQL URL such as postgresql://user@host:5432/insight, "
                        "or empty for the SQLite file in the data folder.")
        database = ""
    if not isinstance(instance, str) or len(instance) > 64:
        problems.append("'instance' must be a short name for this proxy (at most 64 characters), or empty for "
                        "the computer's host name.")
        instance = ""
    settings = Settings(
        proxy=_proxy_from(_section(data, "proxy", problems), problems),
        recording=_recording_from(_section(data, "recording", problems), problems),
        desktop=_desktop_from(_section(data, "desktop", problems), problems),
        time_zone=time_zone,
        developers=_developers_from(data.get("developers", []), problems),
        database=database,
        instance=instance,
    )
    if problems:
        raise ConfigError("The settings have problems:\n" + "\n".join(f"  - {p}" for p in problems))
    return settings


def settings_to_dict(settings: Settings) -> JsonObject:
    """Return the JSON object written to disk."""
    return {
        "schema_version": SCHEMA_VERSION,
        "proxy": {
            "listen_host": settings.proxy.listen_host,
            "listen_port": settings.proxy.listen_port,
            "copilot_only": settings.proxy.copilot_only,
            "extra_hosts": list(settings.proxy.extra_hosts),
            "setup_page": settings.proxy.setup_page,
            "setup_port": settings.proxy.setup_port,
            "otlp_port": settings.proxy.otlp_port,
            "upstream_proxy": settings.proxy.upstream_proxy,
            "upstream_ca": settings.proxy.upstream_ca,
        },
        "recording": {
            "level": settings.recording.level,
            "content_retention_days": settings.recording.content_retention_days,
            "event_retention_days": settings.recording.event_retention_days,
        },
        "desktop": {
            "start_proxy_on_launch": settings.desktop.start_proxy_on_launch,
            "launch_at_login": settings.desktop.launch_at_login,
            "notify_first_request": settings.desktop.notify_first_request,
        },
        "time_zone": settings.time_zone,
        "developers": [
            {"name": d.name, "generation": d.generation, "enabled": d.enabled, "created": d.created}
            for d in settings.developers
        ],
        "database": settings.database,
        "instance": settings.instance,
    }


# --- migrations ---------------------------------------------------------------------------------

def _add_desktop_section(data: JsonObject) -> JsonObject:
    """Version 2 added the tray application's `desktop` section; version-1 files get its defaults."""
    return {**data, "desktop": settings_to_dict(Settings())["desktop"]}


def _same_layout(data: JsonObject) -> JsonObject:
    """Versions 3 to 5 only added optional settings, whose defaults apply.

    Version 3: `proxy.setup_page` and `proxy.setup_port`; version 4: `database` (a shared PostgreSQL
    URL) and `instance`; version 5: the company proxy's `proxy.upstream_proxy` and `proxy.upstream_ca`.
    """
    return dict(data)


def _otlp_receiver(data: JsonObject) -> JsonObject:
    """Version 6 added the optional `proxy.otlp_port` (the OpenTelemetry receiver, on by default)."""
    return dict(data)


# MIGRATIONS[n] turns a version-n object into a version-(n+1) object. Add one per schema change.
MIGRATIONS: dict[int, Callable[[JsonObject], JsonObject]] = {
    1: _add_desktop_section,
    2: _same_layout,
    3: _same_layout,  # version 4 added the optional `database` (a shared PostgreSQL URL) and `instance`
    4: _same_layout,  # version 5 added the company proxy: `proxy.upstream_proxy` and `proxy.upstream_ca`
    5: _otlp_receiver,
}


def migrate(data: JsonObject) -> JsonObject:
    """Bring a settings object of any known older schema to `SCHEMA_VERSION`."""
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError("The settings file has no valid 'schema_version'.",
                          f"schema_version = {version!r}")
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"The settings were written by a newer Copilot Insight (schema {version}; this version "
            f"understands up to {SCHEMA_VERSION}). Update Copilot Insight to use them.")
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["schema_version"] = version
    return data


# --- files --------------------------------------------------------------------------------------


def load_settings(path: Path) -> Settings:
    """Read and validate the settings at `path`; a missing file means the defaults."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise ConfigError(f"Cannot read the settings file {path}: {exc.strerror}.", repr(exc)) from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"The settings file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}). Fix it, or move it away to start with default settings.", repr(exc)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"The settings file {path} must contain a JSON object.")
    try:
        return settings_from_dict(migrate(data))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.user_message}", exc.details) from exc


def save_settings(path: Path, settings: Settings) -> None:
    """Write `settings` to `path` atomically, readable by the current user only."""
    atomic_write_text(path, json.dumps(settings_to_dict(settings), indent=2) + "\n")


def update_settings(path: Path, change: Callable[[Settings], Settings]) -> Settings:
    """Apply `change` to the settings at `path` under an inter-process lock and save the result."""
    with file_lock(path):
        new = change(load_settings(path))
        save_settings(path, new)
        return new


def with_developers(settings: Settings, developers: tuple[Developer, ...]) -> Settings:
    """Return `settings` with another developer list."""
    return replace(settings, developers=developers)
