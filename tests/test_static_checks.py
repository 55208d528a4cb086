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


def test_import_logs_loads_no_mitmproxy_module(tmp_path):
    """`import-logs` runs where mitmproxy may not be wanted: it reads, parses and stores, nothing more."""
    from tests.fixtures.seed import write_seed_tree  # an empty folder is refused ("no seed log files found")

    write_seed_tree(tmp_path / "logs")
    code = ("import sys, runpy; sys.argv = ['copilot-insight', 'import-logs', sys.argv[1]]\n"
            "try:\n    runpy.run_module('desktop_app', run_name='__main__')\n"
            "except SystemExit as exit:\n    assert not exit.code, exit.code\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'mitmproxy'); print(len(bad), bad[:5])\n"
            "sys.exit(3 if bad else 0)")
    env = {"PATH": "/usr/bin:/bin", "COPILOT_INSIGHT_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "logs")], capture_output=True, text=True,
                            timeout=120, check=False, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Read 3 file(s)" in result.stdout


def test_the_setup_page_loads_no_mitmproxy_module(tmp_path):
    """The setup page and its CA downloads are served with `cryptography` alone."""
    from desktop_app.proxy.certs import ensure_ca

    confdir = tmp_path / "conf"
    ensure_ca(confdir, "test-pc")  # made by the proxy, as `ProxyService` does before the page starts
    code = (
        "import sys, urllib.request\n"
        "from pathlib import Path\n"
        "from desktop_app.ca.certificate import describe_ca\n"
        "from desktop_app.core.guide.ca_guide import GuideContext\n"
        "from desktop_app.core.guide.setup_page import SetupPage\n"
        "from desktop_app.setup_page.service import SetupPageService\n"
        "from desktop_app.setup_page.server import SetupServer\n"
        "ca = describe_ca(Path(sys.argv[1]))\n"
        "page = SetupPage(GuideContext('127.0.0.1', 8080, ca.common_name, ca.fingerprint), 'metadata', 30, '1')\n"
        "server = SetupServer(Path(sys.argv[1]), page, '127.0.0.1', 0)\n"
        "host, port = server.start()\n"
        "body = urllib.request.urlopen(f'http://127.0.0.1:{port}/ca/copilot-insight-ca.pem', timeout=10).read()\n"
        "server.stop()\n"
        "assert b'BEGIN CERTIFICATE' in body\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'mitmproxy'); print(len(bad), bad[:5])\n"
        "sys.exit(3 if bad else 0)")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "no_proxy": "*"}
    result = subprocess.run([sys.executable, "-c", code, str(confdir)], capture_output=True, text=True,
                            timeout=120, check=False, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_proxy_loads_protobuf_only_with_the_first_opentelemetry_export():
    """`opentelemetry-proto` and protobuf (about 3.5 MB of a running proxy) wait for a developer who exports."""
    code = (
        "import sys\n"
        "from desktop_app.otlp.intake import OtlpIntake\n"
        "import desktop_app.commands.serve, desktop_app.proxy.service\n"
        "def loaded():\n"
        "    return sorted(m for m in sys.modules if m.split('.')[0] in ('google', 'opentelemetry'))\n"
        "before = loaded()\n"
        "intake = OtlpIntake(lambda n, p: (None, None), lambda batch: None, lambda: 0.0, None,\n"
        "                    record_content=False)\n"
        "intake.export('logs', 'alice', b'{}', 'application/json', '')\n"
        "print(before[:5], len(loaded()))\n"
        "sys.exit(3 if before or not loaded() else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
