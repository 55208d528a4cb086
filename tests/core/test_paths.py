import os
import stat
from pathlib import Path

import platformdirs
import pytest

from desktop_app.core.paths import HOME_ENV, create_dirs_privately, ensure_private_dir, resolve_paths


def test_explicit_dir_wins_over_the_environment(tmp_path):
    explicit = tmp_path / "explicit"
    paths = resolve_paths(explicit, environ={HOME_ENV: str(tmp_path / "from-env")})
    assert paths.config_dir == paths.data_dir == explicit
    assert paths.settings_file == explicit / "settings.json"
    assert paths.database == explicit / "usage.sqlite3"
    assert paths.log_dir == explicit / "logs"
    assert paths.confdir == explicit / "mitmproxy"
    assert paths.content_dir == explicit / "logs" / "usage"


def test_environment_variable_moves_everything(tmp_path):
    home = tmp_path / "from-env"
    paths = resolve_paths(environ={HOME_ENV: str(home)})
    assert paths.config_dir == paths.data_dir == home


def test_override_is_made_absolute_and_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert resolve_paths(Path("~/ci")).data_dir == tmp_path / "ci"
    assert resolve_paths(environ={HOME_ENV: "relative"}).data_dir == tmp_path / "relative"


@pytest.mark.parametrize("environ", [{}, {HOME_ENV: ""}], ids=["unset", "empty"])
def test_platform_defaults(environ):
    paths = resolve_paths(environ=environ)
    assert "copilot-insight" in paths.config_dir.parts
    assert "copilot-insight" in paths.data_dir.parts
    assert paths.config_dir == Path(platformdirs.user_config_dir("copilot-insight", appauthor=False))
    assert paths.data_dir == Path(platformdirs.user_data_dir("copilot-insight", appauthor=False))


def test_process_environment_is_the_default(tmp_path, monkeypatch):
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "proc"))
    assert resolve_paths().data_dir == tmp_path / "proc"


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_ensure_private_dir_tightens_an_existing_folder(tmp_path):
    folder = tmp_path / "a" / "b"
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    assert ensure_private_dir(folder) == folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    fresh = ensure_private_dir(tmp_path / "fresh" / "nested")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700


def test_folders_for_a_file_leave_existing_folders_alone(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o1777)
    created = create_dirs_privately(shared / "a" / "b")
    assert created.is_dir()
    if os.name == "posix":
        assert stat.S_IMODE(shared.stat().st_mode) == 0o1777  # e.g. /tmp or a home folder: untouched
        assert stat.S_IMODE((shared / "a").stat().st_mode) == 0o700
        assert stat.S_IMODE(created.stat().st_mode) == 0o700
