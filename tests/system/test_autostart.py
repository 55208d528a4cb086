import configparser
import os
import plistlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.core.errors import AppError
from desktop_app.system import autostart
from desktop_app.system.autostart import LaunchCommand

LINUX = "linux"
TRICKY = LaunchCommand(
    "/opt/Copilot Insight/bin/python3",
    ("-m", "desktop_app", "--data-dir", '/data/My "Team" $HOME `x` 100% \\back\\slash it\'s', "", "a\tb"),
)


@pytest.fixture
def home(tmp_path):
    folder = tmp_path / "fake-home"
    folder.mkdir()
    return folder


@pytest.fixture
def env():
    """An environment without XDG_CONFIG_HOME (the default ~/.config applies)."""
    return {}


def desktop_file(home):
    return home / ".config" / "autostart" / "copilot-insight.desktop"


def read_entry(path):
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # Desktop Entry keys are case-sensitive
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def unescape_string(value):
    """Undo the Desktop Entry string-value escapes (\\s, \\n, \\t, \\r, \\\\)."""
    return re.sub(r"\\(.)", lambda match: ESCAPES[match.group(1)], value, flags=re.DOTALL)


def split_exec(value):
    """Undo an Exec value independently of the code under test: string escapes, quoting, then %%."""
    arguments, current, quoted, started = [], [], False, False
    chars = iter(unescape_string(value))
    for char in chars:
        if quoted and char == "\\":
            following = next(chars)
            assert following in '"`$\\', f"invalid escape \\{following} inside quotes"
            current.append(following)
        elif char == '"':
            quoted, started = not quoted, True
        elif quoted:
            assert char not in "`$", f"{char!r} must be escaped inside quotes"
            current.append(char)
        elif char == " ":
            if started:
                arguments.append("".join(current))
            current, started = [], False
        else:
            assert char not in "\t\n'\\><~|&;$*?#()`", f"reserved character {char!r} outside quotes"
            current.append(char)
            started = True
    assert not quoted, "unterminated quote"
    if started:
        arguments.append("".join(current))
    return [argument.replace("%%", "%") for argument in arguments]


# --- launch_command -------------------------------------------------------------------------------


def test_launch_command_runs_the_package_with_the_interpreter_when_not_frozen(monkeypatch, tmp_path):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "executable", "/usr/bin/python3")
    assert autostart.launch_command() == LaunchCommand("/usr/bin/python3", ("-m", "desktop_app"))
    data = tmp_path / "data dir"
    assert autostart.launch_command(data) == LaunchCommand(
        "/usr/bin/python3", ("-m", "desktop_app", "--data-dir", str(data)))


def test_launch_command_of_a_frozen_build_is_the_executable_itself(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/Applications/Copilot Insight.app/Contents/MacOS/copilot-insight")
    assert autostart.launch_command() == LaunchCommand(
        "/Applications/Copilot Insight.app/Contents/MacOS/copilot-insight", ())
    assert autostart.launch_command(tmp_path).arguments == ("--data-dir", str(tmp_path))


def test_launch_command_makes_program_and_data_dir_absolute(monkeypatch, tmp_path):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "executable", "venv/bin/python")
    monkeypatch.chdir(tmp_path)
    command = autostart.launch_command(Path("relative/data"))
    assert command.program == str(tmp_path / "venv" / "bin" / "python")
    assert command.arguments[-1] == str(tmp_path / "relative" / "data")


def test_launch_command_without_a_known_executable_is_an_app_error(monkeypatch):
    monkeypatch.setattr(sys, "executable", "")
    with pytest.raises(AppError, match="cannot tell which program is running"):
        autostart.launch_command()


# --- XDG ------------------------------------------------------------------------------------------


def test_xdg_entry_is_a_valid_desktop_entry(home, env):
    autostart.enable(LaunchCommand("/usr/bin/python3", ("-m", "desktop_app")), LINUX, env, home)
    entry = read_entry(desktop_file(home))
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Copilot Insight"
    assert entry["Comment"]
    assert entry["Exec"] == "/usr/bin/python3 -m desktop_app"
    assert entry["Icon"] == "copilot-insight"
    assert entry["Terminal"] == "false"
    assert entry["X-GNOME-Autostart-enabled"] == "true"
    assert entry["Categories"] == "Development;Network;"


def test_xdg_exec_round_trips_arguments_with_spaces_quotes_and_specials(home, env):
    autostart.enable(TRICKY, LINUX, env, home)
    exec_value = read_entry(desktop_file(home))["Exec"]
    assert split_exec(exec_value) == TRICKY.argv
    assert "%%" in exec_value  # a literal percent is never read as a field code


def test_xdg_entry_is_private_and_written_atomically(home, env):
    autostart.enable(TRICKY, LINUX, env, home)
    folder = desktop_file(home).parent
    assert [p.name for p in folder.iterdir()] == ["copilot-insight.desktop"]  # no temporary left behind
    if os.name == "posix":
        assert desktop_file(home).stat().st_mode & 0o777 == 0o600


def test_xdg_enable_replaces_an_older_entry(home, env):
    autostart.enable(LaunchCommand("/old/python", ()), LINUX, env, home)
    autostart.enable(LaunchCommand("/new/python", ("-m", "desktop_app")), LINUX, env, home)
    assert read_entry(desktop_file(home))["Exec"] == "/new/python -m desktop_app"


def test_xdg_is_enabled_toggles(home, env):
    assert autostart.is_enabled(LINUX, env, home) is False
    autostart.enable(TRICKY, LINUX, env, home)
    assert autostart.is_enabled(LINUX, env, home) is True
    autostart.disable(LINUX, env, home)
    assert autostart.is_enabled(LINUX, env, home) is False
    assert not desktop_file(home).exists()


def test_xdg_entry_switched_off_by_the_desktop_counts_as_disabled(home, env):
    autostart.enable(TRICKY, LINUX, env, home)
    path = desktop_file(home)
    path.write_text(path.read_text(encoding="utf-8").replace("X-GNOME-Autostart-enabled=true",
                                                             "X-GNOME-Autostart-enabled=false"), encoding="utf-8")
    assert autostart.is_enabled(LINUX, env, home) is False
    path.write_text("[Desktop Entry]\nType=Application\nExec=x\nHidden=true\n", encoding="utf-8")
    assert autostart.is_enabled(LINUX, env, home) is False


def test_xdg_config_home_is_respected(home, tmp_path):
    config_home = tmp_path / "elsewhere"
    env = {"XDG_CONFIG_HOME": str(config_home)}
    autostart.enable(TRICKY, LINUX, env, home)
    assert (config_home / "autostart" / "copilot-insight.desktop").is_file()
    assert not desktop_file(home).exists()
    assert autostart.is_enabled(LINUX, env, home) is True
    assert autostart.is_enabled(LINUX, {}, home) is False
    assert autostart.autostart_location(LINUX, env, home) == str(config_home / "autostart" / "copilot-insight.desktop")


def test_relative_or_empty_xdg_config_home_is_ignored(home):
    for value in ("relative/config", ""):
        location = autostart.autostart_location(LINUX, {"XDG_CONFIG_HOME": value}, home)
        assert location == "~/.config/autostart/copilot-insight.desktop"


def test_bsd_uses_the_xdg_entry(home, env):
    autostart.enable(TRICKY, "freebsd14", env, home)
    assert desktop_file(home).is_file()


def test_disable_is_idempotent(home, env):
    autostart.disable(LINUX, env, home)  # nothing there yet
    autostart.enable(TRICKY, LINUX, env, home)
    autostart.disable(LINUX, env, home)
    autostart.disable(LINUX, env, home)
    assert autostart.is_enabled(LINUX, env, home) is False


def test_unwritable_autostart_folder_is_an_app_error_with_a_sentence(home, env, monkeypatch):
    def refuse(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(autostart, "atomic_write_text", refuse)
    with pytest.raises(AppError) as caught:
        autostart.enable(TRICKY, LINUX, env, home)
    assert caught.value.user_message == (
        "Could not turn on launch at login: cannot write ~/.config/autostart/copilot-insight.desktop "
        "(Permission denied).")
    assert "PermissionError" in caught.value.details


def test_autostart_path_blocked_by_a_file_is_an_app_error(home, env):
    (home / ".config").mkdir()
    (home / ".config" / "autostart").write_text("not a folder", encoding="utf-8")
    with pytest.raises(AppError, match=r"^Could not turn on launch at login: cannot write "
                                       r"~/\.config/autostart/copilot-insight\.desktop \(.+\)\.$"):
        autostart.enable(TRICKY, LINUX, env, home)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions enforced (not root)")
def test_read_only_config_folder_is_an_app_error(home, env):
    config = home / ".config"
    config.mkdir()
    config.chmod(0o500)
    try:
        with pytest.raises(AppError, match=r"cannot write .*\(Permission denied\)\.$"):
            autostart.enable(TRICKY, LINUX, env, home)
    finally:
        config.chmod(0o700)


def test_entry_that_cannot_be_removed_is_an_app_error(home, env):
    blocker = desktop_file(home)
    blocker.mkdir(parents=True)
    (blocker / "keep").write_text("x", encoding="utf-8")
    with pytest.raises(AppError, match=r"^Could not turn off launch at login: cannot remove "):
        autostart.disable(LINUX, env, home)


# --- macOS ----------------------------------------------------------------------------------------


def test_macos_launch_agent_parses_back(home, env):
    autostart.enable(TRICKY, "darwin", env, home)
    path = home / "Library" / "LaunchAgents" / "io.github.copilot-insight.plist"
    with path.open("rb") as handle:
        agent = plistlib.load(handle)
    assert agent == {
        "Label": "io.github.copilot-insight",
        "ProgramArguments": TRICKY.argv,
        "RunAtLoad": True,
        "ProcessType": "Interactive",
    }
    assert not desktop_file(home).exists()


def test_macos_is_enabled_toggles_and_disable_is_idempotent(home, env):
    assert autostart.is_enabled("darwin", env, home) is False
    autostart.enable(TRICKY, "darwin", env, home)
    assert autostart.is_enabled("darwin", env, home) is True
    assert autostart.is_enabled(LINUX, env, home) is False
    autostart.disable("darwin", env, home)
    autostart.disable("darwin", env, home)
    assert autostart.is_enabled("darwin", env, home) is False
    assert autostart.autostart_location("darwin", env, home) == "~/Library/LaunchAgents/io.github.copilot-insight.plist"


# --- Windows --------------------------------------------------------------------------------------


class FakeRunKey:
    def __init__(self, values=None, error=None):
        self.values = {} if values is None else values
        self.error = error

    def read(self, name):
        if self.error:
            raise self.error
        return self.values.get(name)

    def write(self, name, value):
        if self.error:
            raise self.error
        self.values[name] = value

    def delete(self, name):
        if self.error:
            raise self.error
        self.values.pop(name, None)


@pytest.fixture
def run_key(monkeypatch):
    fake = FakeRunKey({"Other App": r"C:\other.exe"})
    monkeypatch.setattr(autostart, "windows_run_key", lambda: fake)
    return fake


def test_windows_writes_the_run_value(run_key, home, env):
    command = LaunchCommand(r"C:\Program Files\Copilot Insight\copilot-insight.exe",
                            ("--data-dir", r"C:\Users\Ann Lee\data"))
    autostart.enable(command, "win32", env, home)
    assert run_key.values["Copilot Insight"] == (
        r'"C:\Program Files\Copilot Insight\copilot-insight.exe" --data-dir "C:\Users\Ann Lee\data"')
    assert run_key.values["Other App"] == r"C:\other.exe"
    assert not desktop_file(home).exists()


def test_windows_command_line_round_trips_tricky_arguments(run_key, home, env):
    autostart.enable(TRICKY, "win32", env, home)
    assert run_key.values["Copilot Insight"] == subprocess.list2cmdline(TRICKY.argv)


def test_windows_is_enabled_toggles_and_disable_is_idempotent(run_key, home, env):
    assert autostart.is_enabled("win32", env, home) is False
    autostart.enable(TRICKY, "win32", env, home)
    assert autostart.is_enabled("win32", env, home) is True
    autostart.disable("win32", env, home)
    autostart.disable("win32", env, home)
    assert autostart.is_enabled("win32", env, home) is False
    assert run_key.values == {"Other App": r"C:\other.exe"}


def test_windows_registry_failure_is_an_app_error(monkeypatch, home, env):
    denied = PermissionError(13, "Access is denied")
    monkeypatch.setattr(autostart, "windows_run_key", lambda: FakeRunKey(error=denied))
    with pytest.raises(AppError) as caught:
        autostart.enable(TRICKY, "win32", env, home)
    assert caught.value.user_message == (
        "Could not turn on launch at login: cannot write "
        r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run (value 'Copilot Insight') "
        "(Access is denied).")
    with pytest.raises(AppError, match=r"^Could not check launch at login"):
        autostart.is_enabled("win32", env, home)
    with pytest.raises(AppError, match=r"^Could not turn off launch at login"):
        autostart.disable("win32", env, home)


@pytest.mark.skipif(sys.platform == "win32", reason="the real registry is only absent off Windows")
def test_real_registry_off_windows_fails_cleanly(home, env):
    with pytest.raises(AppError, match="only on Windows"):
        autostart.is_enabled("win32", env, home)
