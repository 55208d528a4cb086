"""The credential secret in a real Secret Service: gnome-keyring inside a private D-Bus session."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.secret_service

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60

SNIPPET = """
import hashlib
import keyring
from desktop_app.core.team.secrets import KeyringSecretStore, load_or_create_secret
first = load_or_create_secret(KeyringSecretStore())
again = load_or_create_secret(KeyringSecretStore())
backend = type(keyring.get_keyring())
print("backend", backend.__module__ + "." + backend.__qualname__)
print("same", first == again, len(first))
print("digest", hashlib.sha256(first).hexdigest())
"""

# gnome-keyring-daemon reads the login keyring's password on stdin, creates and unlocks that
# keyring, registers org.freedesktop.secrets on this session bus and daemonizes; it exits with the bus.
SESSION = """
set -e
printf '%s' "$TEST_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
"$TEST_PYTHON" -c "$TEST_SNIPPET"
"$TEST_PYTHON" -c "$TEST_SNIPPET"
"""


def session_env(home):
    runtime = home / "run"
    runtime.mkdir(mode=0o700, parents=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_RUNTIME_DIR": str(runtime),
        "PYTHONPATH": str(ROOT),
        "TEST_PYTHON": sys.executable,
        "TEST_SNIPPET": SNIPPET,
        "TEST_KEYRING_PASSWORD": "test",
    }


def run_session(home):
    with subprocess.Popen(["dbus-run-session", "--", "sh", "-c", SESSION], env=session_env(home), cwd=home,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as process:
        try:
            stdout, stderr = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate(timeout=10)
            pytest.fail(f"the Secret Service session did not finish in {TIMEOUT} s:\n{stdout}\n{stderr}")
    return process.returncode, stdout, stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Secret Service is a Linux desktop API")
def test_secret_is_created_once_in_gnome_keyring(tmp_path):
    missing = [tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not found: install the Debian packages dbus and gnome-keyring "
                    "(apt-get install dbus gnome-keyring)")
    home = tmp_path / "home"
    returncode, stdout, stderr = run_session(home)
    assert returncode == 0, f"stdout:\n{stdout}\nstderr:\n{stderr}"
    lines = stdout.splitlines()
    assert lines.count("backend keyring.backends.SecretService.Keyring") == 2, stdout
    assert lines.count("same True 32") == 2, stdout
    digests = {line for line in lines if line.startswith("digest ")}
    assert len(digests) == 1, "the second process must read the secret the first one created"
    assert list((home / "data" / "keyrings").glob("*.keyring")), "the keyring must live in the temporary home"
