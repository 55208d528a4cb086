"""The installers: static checks of what cannot be built here, the Linux packaging, and (slow) the built bundle.

The default run never builds: it runs `installers/check_scripts.py`'s checks, shows that they catch
broken files, packs a stand-in bundle the way `build_linux.py` does and installs and uninstalls it
into a temporary prefix. `-m slow` also exercises `dist/copilot-insight/` when it has been built.
"""

import importlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "installers"))
bundle_config = importlib.import_module("bundle_config")
check_scripts = importlib.import_module("check_scripts")
build_linux = importlib.import_module("build_linux")


@pytest.mark.parametrize("name", list(check_scripts.CHECKS))
def test_installer_files_pass_their_static_checks(name):
    assert check_scripts.CHECKS[name]() == []


def test_icons_are_there_in_every_size():
    for size, png in bundle_config.icon_pngs().items():
        with Image.open(png) as image:
            assert image.size == (size, size)
            assert image.mode == "RGBA"
    with Image.open(bundle_config.ICON_ICO) as ico:
        assert {(256, 256), (48, 48), (16, 16)} <= set(ico.info["sizes"])
    with Image.open(bundle_config.ICON_ICNS) as icns:
        assert icns.format == "ICNS"


# --- the checks catch what they are for ---------------------------------------------------------------


def _broken_copy(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / source.parent.name / source.name  # same depth below the repository, for relative paths
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.fixture
def iss_copy(tmp_path):
    def make(old: str, new: str) -> Path:
        return _broken_copy(tmp_path, check_scripts.ISS, old, new)

    return make


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("\n[Code]\n", "\n[Kode]\n", "section [Code] is missing"),
    ('"{#Bundle}\\copilot-insight-cli.exe"', '"{#Bundle}\\copilot-insight-kli.exe"', "is neither in the repository"),
    ("Flags: ignoreversion\n", "Flags: ignoreversoin\n", "unknown flag ignoreversoin"),
    ('#define AppName "Copilot Insight"', '#define AppName "Copilot Insight"\n#define AppVersion "9.9.9"',
     "defines AppVersion itself"),
    ("copilot-insight.ico", "copilot-insight-missing.ico", "SetupIconFile"),
    ('#define RunValueName "Copilot Insight"', '#define RunValueName "CopilotInsight"', "Run key/value differ"),
    ("    DelTree(DataFolder(), True, True, True);\nend;", "    DelTree(DataFolder(), True, True, True);\n",
     "do not balance"),
])
def test_the_inno_setup_check_finds_mistakes(iss_copy, old, new, problem):
    problems = check_scripts.check_inno_setup(iss_copy(old, new), base=check_scripts.WINDOWS)
    assert any(problem in p for p in problems), problems


def test_the_powershell_check_finds_an_unclosed_block(tmp_path):
    broken = _broken_copy(tmp_path, check_scripts.BUILD_PS1, "finally {\n    Pop-Location\n}", "finally {\n")
    problems = check_scripts.check_powershell(broken)
    assert any("unclosed" in p for p in problems), problems


def test_the_plist_check_wants_a_tray_only_app(tmp_path):
    broken = _broken_copy(tmp_path, check_scripts.INFO_PLIST, "<key>LSUIElement</key>\n\t<true/>",
                          "<key>LSUIElement</key>\n\t<false/>")
    assert any("LSUIElement" in p for p in check_scripts.check_macos_plists(info=broken))
    garbled = tmp_path / "entitlements.plist"
    garbled.write_text("<plist><dict><key>x</key></plist>")
    assert any("does not parse" in p for p in check_scripts.check_macos_plists(entitlements=garbled))


def test_the_shell_check_runs_bash_n(tmp_path):
    broken = _broken_copy(tmp_path, check_scripts.LINUX / "install.sh", "fi\ncase", "case")
    broken.chmod(0o755)
    problems = check_scripts.check_shell_scripts((broken,))
    assert any("bash -n" in p for p in problems), problems


def test_the_desktop_entry_check_wants_the_app_icon(tmp_path):
    broken = _broken_copy(tmp_path, check_scripts.DESKTOP_FILE, "Icon=copilot-insight", "Icon=other")
    assert any("Icon" in p for p in check_scripts.check_desktop_entry(broken))


def test_an_excluded_module_imported_by_the_app_is_found(tmp_path):
    package = tmp_path / "desktop_app"
    package.mkdir()
    (package / "charts.py").write_text("from PySide6 import QtQml\nimport PySide6.QtCore\n")
    problems = check_scripts.check_exclusions(package)
    assert len(problems) == 1
    assert "imports PySide6.QtQml, which the bundle excludes" in problems[0]


# --- the Linux archive and its install scripts ------------------------------------------------------------


def _fake_bundle(folder: Path) -> Path:
    bundle = folder / "copilot-insight"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "copilot-insight").write_text("#!/bin/sh\necho fake copilot-insight \"$@\"\n")
    (bundle / "copilot-insight").chmod(0o755)
    (bundle / "_internal" / "libpython-stand-in.so").write_bytes(b"\x7fELF stand-in")
    return bundle


def _unpacked(tmp_path: Path) -> Path:
    root = build_linux.stage(_fake_bundle(tmp_path / "dist"), "0.0.0", into=tmp_path / "stage")
    archive = build_linux.pack(root, tmp_path / "out" / "copilot-insight-0.0.0-linux-x86_64.tar.gz")
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert all(m.uid == 0 and m.uname == "" for m in members.values())
        tar.extractall(tmp_path / "unpacked", filter="data")
    top = "copilot-insight-0.0.0"
    for name in ("copilot-insight", "_internal/libpython-stand-in.so", "install.sh", "uninstall.sh",
                 "share/applications/copilot-insight.desktop",
                 "share/icons/hicolor/256x256/apps/copilot-insight.png"):
        assert f"{top}/{name}" in members, name
    assert members[f"{top}/install.sh"].mode & 0o111
    return tmp_path / "unpacked" / top


def _user_env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": str(home)}


def test_the_archive_installs_and_uninstalls_keeping_data(tmp_path):
    unpacked = _unpacked(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = _user_env(home)
    installed = subprocess.run([str(unpacked / "install.sh")], env=env, capture_output=True, text=True, timeout=60,
                               check=False)
    assert installed.returncode == 0, installed.stderr
    lib = home / ".local" / "lib" / "copilot-insight"
    assert (lib / "copilot-insight").is_file()
    assert (home / ".local" / "bin" / "copilot-insight").resolve() == (lib / "copilot-insight").resolve()
    entry = (home / ".local" / "share" / "applications" / "copilot-insight.desktop").read_text()
    assert f'Exec="{lib}/copilot-insight"' in entry
    assert (home / ".local/share/icons/hicolor/48x48/apps/copilot-insight.png").is_file()
    # the data the app made, and the login entry its setting wrote
    data = home / ".local" / "share" / "copilot-insight"
    (data / "mitmproxy").mkdir(parents=True)
    (data / "usage.sqlite3").write_text("usage")
    autostart = home / ".config" / "autostart" / "copilot-insight.desktop"
    autostart.parent.mkdir(parents=True)
    autostart.write_text("[Desktop Entry]\n")

    kept = subprocess.run([str(lib / "uninstall.sh")], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert kept.returncode == 0, kept.stderr
    assert not lib.exists()
    assert not (home / ".local" / "bin" / "copilot-insight").exists()
    assert not (home / ".local" / "share" / "applications" / "copilot-insight.desktop").exists()
    assert not autostart.exists()
    assert (data / "usage.sqlite3").read_text() == "usage"
    assert "Kept your data" in kept.stdout


def test_uninstall_with_purge_deletes_the_data(tmp_path):
    unpacked = _unpacked(tmp_path)
    home = tmp_path / "home"
    prefix = tmp_path / "opt"
    env = _user_env(home)
    assert subprocess.run([str(unpacked / "install.sh"), "--prefix", str(prefix)], env=env, capture_output=True,
                          timeout=60, check=False).returncode == 0
    config = home / ".config" / "copilot-insight"
    config.mkdir(parents=True)
    (config / "settings.json").write_text("{}")
    purged = subprocess.run([str(prefix / "lib" / "copilot-insight" / "uninstall.sh"), "--purge-data"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert purged.returncode == 0, purged.stderr
    assert not config.exists()
    assert not (prefix / "lib" / "copilot-insight").exists()


# --- the built bundle (slow: needs `installers/build_linux.py` to have run) -------------------------------

BUNDLE = bundle_config.onedir(ROOT / "dist")
EXECUTABLE = BUNDLE / bundle_config.EXECUTABLE
needs_bundle = pytest.mark.skipif(not EXECUTABLE.is_file(), reason="build it first: installers/build_linux.py")


def _frozen(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXECUTABLE), *args], capture_output=True, text=True, timeout=120, env=env,
                          check=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"serve did not listen on {port} within {timeout} s")


@pytest.mark.slow
@needs_bundle
def test_the_built_bundle_passes_its_smoke_test(tmp_path):
    result = _frozen("--smoke-test", "--no-error-dialogs", env={**os.environ, "TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Smoke test passed in ")


@pytest.mark.slow
@needs_bundle
def test_the_built_bundle_records_and_reports_with_a_data_dir(tmp_path, pki, upstream):
    data = tmp_path / "data"
    env = {**os.environ, "COPILOT_INSIGHT_SECRET_FILE": str(tmp_path / "secret")}
    env.pop("COPILOT_INSIGHT_HOME", None)
    added = _frozen("--data-dir", str(data), "users", "add", "alice", "--password-only", env=env)
    assert added.returncode == 0, added.stderr
    password = added.stdout.strip()
    port = _free_port()
    redirect = ROOT / "tests" / "fakes" / "redirect.py"
    serve = subprocess.Popen(
        [str(EXECUTABLE), "--data-dir", str(data), "serve", "--listen-host", "127.0.0.1", "--listen-port", str(port),
         "--no-setup-page", "-s", str(redirect), "--set", f"fake_upstream=127.0.0.1:{upstream.port}",
         "--set", f"ssl_verify_upstream_trusted_ca={pki.ca_cert}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_port(port, serve)
        trust = ssl.create_default_context(cafile=data / "mitmproxy" / "mitmproxy-ca-cert.pem")
        with httpx.Client(proxy=f"http://alice:{password}@127.0.0.1:{port}", verify=trust, timeout=10) as client:
            answer = client.post("https://api.githubcopilot.com/chat/completions",
                                 json={"model": "gpt-4o", "stream": True,
                                       "messages": [{"role": "user", "content": "hello"}]})
            assert answer.status_code == 200
    finally:
        serve.send_signal(signal.SIGTERM)
        _, log = serve.communicate(timeout=30)
    assert serve.returncode == 0, log
    assert "Stopped. 1 request(s) recorded" in log
    report = tmp_path / "report.json"
    today = date.today()
    made = _frozen("--data-dir", str(data), "report", "--from", str(today - timedelta(days=1)),
                   "--to", str(today + timedelta(days=1)),
                   "--format", "json", "-o", str(report), env=env)
    assert made.returncode == 0, made.stderr
    assert "alice" in report.read_text()


# --- a real Inno Setup compiler, where one is installed (e.g. the npm package innosetup-compiler + wine) ------

ISCC = os.environ.get("COPILOT_INSIGHT_ISCC", "")
needs_iscc = pytest.mark.skipif(not ISCC, reason="set COPILOT_INSIGHT_ISCC to an ISCC.exe (wine runs it off Windows)")


@pytest.mark.slow
@needs_iscc
def test_inno_setup_compiles_the_script_without_warnings():
    assert check_scripts.compile_inno_setup(Path(ISCC)) == []


@pytest.mark.slow
@needs_iscc
def test_inno_setup_rejects_a_broken_script(tmp_path):
    broken = _broken_copy(tmp_path, check_scripts.ISS, "Result := False;\n  for I", "Result := False\n  for J")
    problems = check_scripts.compile_inno_setup(Path(ISCC), iss=broken)
    assert problems and "could not compile" in problems[0], problems
