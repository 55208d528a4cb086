#!/usr/bin/env python3
"""Set up a development environment and run the app or the tests: the README's two commands.

Runs under any Python 3.8+ (only the standard library), finds a Python 3.12+ interpreter
(mitmproxy 12 needs it), creates `.venv` beside `pyproject.toml`, installs the project with its
`dev` extras whenever `pyproject.toml` changed, then runs:

    python3 installers/dev.py run  [ARGS...]   # copilot-insight ARGS...
    python3 installers/dev.py test [ARGS...]   # python -m pytest ARGS...

A Python 3.12+ is looked for in this order: $COPILOT_INSIGHT_PYTHON, this interpreter,
python3.14 / python3.13 / python3.12 on PATH, then pyenv's installed versions.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

MINIMUM = (3, 12)
ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-from"


def _version_of(python: str) -> tuple[int, int] | None:
    """Return (major, minor) of an interpreter, or None if it does not run."""
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.stdout.split()
    if out.returncode != 0 or len(parts) != 2:
        return None
    return int(parts[0]), int(parts[1])


def _pyenv_candidates() -> list[str]:
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    versions = Path(root) / "versions"
    if not versions.is_dir():
        return []
    found = []
    for entry in versions.iterdir():
        match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", entry.name)
        if match and (int(match[1]), int(match[2])) >= MINIMUM:
            found.append(((int(match[1]), int(match[2]), int(match[3])), str(entry / "bin" / "python3")))
    return [path for _, path in sorted(found, reverse=True)]


def find_python() -> str:
    """Return the path of a Python 3.12+ interpreter, or exit with an explanation."""
    candidates = []
    if os.environ.get("COPILOT_INSIGHT_PYTHON"):
        candidates.append(os.environ["COPILOT_INSIGHT_PYTHON"])
    candidates.append(sys.executable)
    for name in ("python3.14", "python3.13", "python3.12"):
        path = shutil.which(name)
        if path:
            candidates.append(path)
    candidates.extend(_pyenv_candidates())
    for python in candidates:
        version = _version_of(python)
        if version is not None and version >= MINIMUM:
            return python
    sys.exit(
        "Copilot Insight needs Python 3.12 or newer and none was found.\n"
        "Install one (python.org, your package manager, or `pyenv install 3.12`) or point "
        "COPILOT_INSIGHT_PYTHON at it, then run this command again."
    )


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_environment() -> Path:
    """Create or refresh `.venv` and return its interpreter."""
    python = _venv_python()
    if python.exists() and (_version_of(str(python)) or (0, 0)) < MINIMUM:
        shutil.rmtree(VENV)
    if not python.exists():
        print(f"Creating {VENV} ...", file=sys.stderr)
        subprocess.run([find_python(), "-m", "venv", str(VENV)], check=True)
    fingerprint = _fingerprint()
    if not STAMP.exists() or STAMP.read_text().strip() != fingerprint:
        print("Installing Copilot Insight and its development tools into .venv ...", file=sys.stderr)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
        STAMP.write_text(fingerprint)
    return python


def main(argv: list[str]) -> int:
    """Dispatch `run` or `test`."""
    if not argv or argv[0] not in ("run", "test", "setup"):
        print(__doc__, file=sys.stderr)
        return 2
    python = ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "setup":
        return 0
    module = "desktop_app" if command == "run" else "pytest"
    args = [str(python), "-m", module, *rest]
    return subprocess.run(args, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
