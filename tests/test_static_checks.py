"""The linters are part of the test run: ruff, mypy (strict on core, capture and proxy) and import-linter."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    tool = BIN / command[0]
    executable = str(tool) if tool.exists() else shutil.which(command[0])
    assert executable, f"{command[0]} is not installed (it is in the project's dev extras)"
    return subprocess.run([executable, *command[1:]], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)


@pytest.mark.parametrize("command", [
    ("ruff", "check", "desktop_app", "tests", "installers"),
    ("mypy",),
    ("lint-imports",),
], ids=["ruff", "mypy", "import-linter"])
def test_static_check_passes(command):
    result = _run(*command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_imports_neither_qt_nor_mitmproxy():
    code = ("import sys, desktop_app.core.team.settings, desktop_app.core.team.directory, "
            "desktop_app.core.team.secrets, desktop_app.core.dispatch, desktop_app.core.logging_setup; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('mitmproxy', 'PySide6')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
