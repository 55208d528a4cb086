"""Launch at login: write, detect and remove this application's autostart entry, one branch per OS.

Owns the three places an application starts from at login: an XDG autostart Desktop Entry on Linux
and the BSDs, a LaunchAgent property list on macOS, and a value under the current user's `Run`
registry key on Windows. Every branch takes the platform, environment and home folder as
parameters, so tests exercise all three on any machine. Failures become `AppError`s with a sentence.
This module must not import Qt or the proxy layer, and never touches another application's entry.
"""

import configparser
import os
import plistlib
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from desktop_app import APP_ID, APP_NAME
from desktop_app.core.errors import AppError
from desktop_app.core.fileio import atomic_write_bytes, atomic_write_text

DESKTOP_FILE_NAME = f"{APP_ID}.desktop"
LAUNCH_AGENT_LABEL = f"io.github.{APP_ID}"
RUN_KEY_PATH = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE_NAME = APP_NAME

# The Desktop Entry specification's reserved characters: an argument holding one must be quoted.
_EXEC_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
# Inside a quoted argument these four are escaped with a backslash.
_EXEC_ESCAPED = frozenset('"`$\\')


@dataclass(frozen=True)
class LaunchCommand:
    """The program started at login and its arguments.

    Attributes:
        program: Absolute path of the executable (a frozen build) or of the Python interpreter.
        arguments: What follows the program, e.g. ("-m", "desktop_app") or ("--data-dir", "/x").
    """

    program: str
    arguments: tuple[str, ...] = ()

    @property
    def argv(self) -> list[str]:
        """The program followed by its arguments."""
        return [self.program, *self.arguments]


class RunKey(Protocol):
    """The string values of Windows' per-user `Run` registry key (a dict in tests)."""

    def read(self, name: str) -> str | None:
        """Return the value called `name`, or None when there is none."""
        ...

    def write(self, name: str, value: str) -> None:
        """Create or replace the string value called `name`."""
        ...

    def delete(self, name: str) -> None:
        """Remove the value called `name`; a missing value is not an error."""
        ...


class _WinregRunKey:
    """`RunKey` on the real registry: HKEY_CURRENT_USER, via `winreg` (imported only on Windows)."""

    def read(self, name: str) -> str | None:
        if sys.platform != "win32":
            raise OSError("the Windows registry exists only on Windows")
        import winreg  # noqa: PLC0415 - Windows only

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY_PATH) as key:
                value, _kind = winreg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return str(value)

    def write(self, name: str, value: str) -> None:
        if sys.platform != "win32":
            raise OSError("the Windows registry exists only on Windows")
        import winreg  # noqa: PLC0415 - Windows only

        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY_PATH, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def delete(self, name: str) -> None:
        if sys.platform != "win32":
            raise OSError("the Windows registry exists only on Windows")
        import winreg  # noqa: PLC0415 - Windows only

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY_PATH, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            return


def windows_run_key() -> RunKey:
    """Return the current user's `Run` key (tests replace this function with a dict-backed fake)."""
    return _WinregRunKey()


# --- the command ----------------------------------------------------------------------------------


def launch_command(data_dir_override: Path | None = None) -> LaunchCommand:
    """Return the command that starts this application as it runs now.

    A frozen build is its own executable; otherwise the current interpreter runs `-m desktop_app`.
    `data_dir_override` (from `--data-dir` or `COPILOT_INSIGHT_HOME`) is passed on as `--data-dir`,
    made absolute, so the login launch uses the same data.

    Raises:
        AppError: Python cannot tell which program is running (an embedded interpreter).
    """
    if not sys.executable:
        raise AppError("Could not turn on launch at login: cannot tell which program is running.",
                       "sys.executable is empty")
    program = str(Path(sys.executable).absolute())
    arguments: tuple[str, ...] = () if getattr(sys, "frozen", False) else ("-m", "desktop_app")
    if data_dir_override is not None:
        arguments += ("--data-dir", str(data_dir_override.expanduser().absolute()))
    return LaunchCommand(program, arguments)


# --- where the entry lives ------------------------------------------------------------------------


def _kind(platform: str) -> str:
    if platform == "win32":
        return "windows"
    if platform == "darwin":
        return "macos"
    return "xdg"  # Linux, the BSDs and other desktops that follow freedesktop.org


def _home(home: Path | None) -> Path:
    return Path.home() if home is None else home


def _xdg_desktop_file(environ: Mapping[str, str] | None, home: Path | None) -> Path:
    env = os.environ if environ is None else environ
    config_home = env.get("XDG_CONFIG_HOME", "")
    # The XDG Base Directory spec ignores relative paths in its variables.
    base = Path(config_home) if config_home and Path(config_home).is_absolute() else _home(home) / ".config"
    return base / "autostart" / DESKTOP_FILE_NAME


def _launch_agent_file(home: Path | None) -> Path:
    return _home(home) / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"


def _entry_file(platform: str, environ: Mapping[str, str] | None, home: Path | None) -> Path:
    if _kind(platform) == "macos":
        return _launch_agent_file(home)
    return _xdg_desktop_file(environ, home)


def _shown(path: Path, home: Path | None) -> str:
    """`path` as people write it: `~/...` when it is inside the home folder."""
    try:
        return "~/" + path.relative_to(_home(home)).as_posix()
    except ValueError:
        return str(path)


def autostart_location(platform: str = sys.platform, environ: Mapping[str, str] | None = None,
                       home: Path | None = None) -> str:
    """Return where the launch-at-login entry is written, for people (e.g. a tooltip)."""
    if _kind(platform) == "windows":
        return rf"HKEY_CURRENT_USER\{RUN_KEY_PATH} (value '{RUN_VALUE_NAME}')"
    return _shown(_entry_file(platform, environ, home), home)


# --- the Desktop Entry ----------------------------------------------------------------------------


def _exec_argument(argument: str) -> str:
    """Quote one Exec argument per the Desktop Entry spec (before the string-value escapes)."""
    if argument and not _EXEC_RESERVED.intersection(argument):
        return argument
    return '"' + "".join("\\" + char if char in _EXEC_ESCAPED else char for char in argument) + '"'


def _string_value(text: str) -> str:
    """Apply the Desktop Entry string-value escapes (a backslash is doubled, control characters named)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def exec_line(command: LaunchCommand) -> str:
    """Return the Desktop Entry `Exec` value that runs `command` (quoted, `%` doubled, escaped)."""
    quoted = " ".join(_exec_argument(argument) for argument in command.argv)
    return _string_value(quoted.replace("%", "%%"))


def desktop_entry(command: LaunchCommand) -> str:
    """Return the text of the XDG autostart Desktop Entry that runs `command`."""
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.5",
        f"Name={APP_NAME}",
        "Comment=Records your team's GitHub Copilot usage through an authenticating proxy",
        f"Exec={exec_line(command)}",
        f"Icon={APP_ID}",
        "Terminal=false",
        "X-GNOME-Autostart-enabled=true",
        "Categories=Development;Network;",
    ]
    return "\n".join(lines) + "\n"


def _desktop_entry_active(path: Path) -> bool:
    """Whether the Desktop Entry at `path` would start at login (not hidden, not switched off)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (configparser.Error, UnicodeDecodeError):
        return False  # a damaged entry is not started by the session either
    if not parser.has_section("Desktop Entry"):
        return False
    section = parser["Desktop Entry"]
    return (section.get("Hidden", "false").strip() != "true"
            and section.get("X-GNOME-Autostart-enabled", "true").strip() != "false")


# --- switching it on and off ----------------------------------------------------------------------


def _failure(action: str, verb: str, where: str, exc: OSError) -> AppError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return AppError(f"Could not {action} launch at login: cannot {verb} {where} ({reason}).", repr(exc))


def is_enabled(platform: str = sys.platform, environ: Mapping[str, str] | None = None,
               home: Path | None = None) -> bool:
    """Return whether this application is set to start at login.

    Raises:
        AppError: The entry cannot be read.
    """
    where = autostart_location(platform, environ, home)
    try:
        if _kind(platform) == "windows":
            return windows_run_key().read(RUN_VALUE_NAME) is not None
        path = _entry_file(platform, environ, home)
        if _kind(platform) == "macos":
            return path.is_file()
        return _desktop_entry_active(path)
    except OSError as exc:
        raise _failure("check", "read", where, exc) from exc


def enable(command: LaunchCommand, platform: str = sys.platform, environ: Mapping[str, str] | None = None,
           home: Path | None = None) -> None:
    """Start `command` at every login from now on (replacing an older entry of ours).

    Raises:
        AppError: The entry cannot be written.
    """
    where = autostart_location(platform, environ, home)
    try:
        if _kind(platform) == "windows":
            windows_run_key().write(RUN_VALUE_NAME, subprocess.list2cmdline(command.argv))
        elif _kind(platform) == "macos":
            agent = {
                "Label": LAUNCH_AGENT_LABEL,
                "ProgramArguments": command.argv,
                "RunAtLoad": True,
                "ProcessType": "Interactive",
            }
            atomic_write_bytes(_launch_agent_file(home), plistlib.dumps(agent, fmt=plistlib.FMT_XML))
        else:
            atomic_write_text(_xdg_desktop_file(environ, home), desktop_entry(command))
    except OSError as exc:
        raise _failure("turn on", "write", where, exc) from exc


def disable(platform: str = sys.platform, environ: Mapping[str, str] | None = None,
            home: Path | None = None) -> None:
    """Stop starting at login; nothing to remove is fine.

    Raises:
        AppError: The entry exists but cannot be removed.
    """
    where = autostart_location(platform, environ, home)
    try:
        if _kind(platform) == "windows":
            windows_run_key().delete(RUN_VALUE_NAME)
        else:
            _entry_file(platform, environ, home).unlink(missing_ok=True)
    except OSError as exc:
        raise _failure("turn off", "remove", where, exc) from exc
