"""`copilot-insight serve` as an administrator runs it: a real process, real signals, real logs."""

import os
import queue
import signal
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time

import httpx

from tests.e2e.harness import BEARER, COPILOT_API, COPILOT_PROXY, REDIRECT_SCRIPT, chat_body, completion_body


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop_app", *args], capture_output=True, text=True,
                          timeout=60, env=env, check=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Lines:
    """Reads a process's stderr on a thread so waits can be bounded."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        with stream:
            for line in stream:
                self._queue.put(line)

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.1)
            except queue.Empty:
                continue
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not logged within {timeout} s; got:\n{''.join(self.lines)}")

    def drain(self) -> str:
        while not self._queue.empty():
            self.lines.append(self._queue.get_nowait())
        return "".join(self.lines)


def test_serve_headless_end_to_end(tmp_path, pki, upstream):
    data, secret_file = tmp_path / "data", tmp_path / "secret"
    env = {**os.environ, "COPILOT_INSIGHT_HOME": str(data), "COPILOT_INSIGHT_SECRET_FILE": str(secret_file)}
    added = _cli("users", "add", "alice", "--password-only", env=env)
    assert added.returncode == 0, added.stderr
    password = added.stdout.strip()
    assert _cli("users", "show", "alice", "--password-only", env=env).stdout.strip() == password

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "serve", "--listen-host", "127.0.0.1", "--listen-port", str(port),
         "-s", str(REDIRECT_SCRIPT), "--set", f"fake_upstream=127.0.0.1:{upstream.port}",
         "--set", f"ssl_verify_upstream_trusted_ca={pki.ca_cert}"],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    log = _Lines(process.stderr)
    try:
        log.wait_for("Proxy listening on 127.0.0.1")
        ca = data / "mitmproxy" / "mitmproxy-ca-cert.pem"
        proxy_url = f"http://alice:{password}@127.0.0.1:{port}"
        with httpx.Client(proxy=proxy_url, verify=ssl.create_default_context(cafile=ca), timeout=10) as client:
            assert client.post(f"{COPILOT_API}/chat/completions", json=chat_body(),
                               headers={"Authorization": f"Bearer {BEARER}"}).status_code == 200
            assert client.post(f"{COPILOT_PROXY}/v1/engines/gpt-4o-copilot/completions",
                               json=completion_body()).status_code == 200
            # a body the recorder cannot decode still reaches Copilot, and is counted
            assert client.post(f"{COPILOT_API}/chat/completions", content=b"not gzip at all",
                               headers={"Content-Encoding": "gzip"}).status_code == 200
        with httpx.Client(proxy=f"http://127.0.0.1:{port}", timeout=10) as anonymous:
            assert anonymous.get("http://example.invalid/").status_code == 407
        log.wait_for("alice completion POST copilot-proxy.githubusercontent.com/v1/engines/gpt-4o-copilot/"
                     "completions 200")
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=15)
    text = log.drain()
    assert code == 0, text
    assert "alice model_call unknown POST api.githubcopilot.com/chat/completions 200" in text
    assert "Stopped. 3 request(s) recorded, 0 dropped, 1 unparsed, 0 unrecorded." in text
    status = _cli("status", env=env)
    assert status.returncode == 0, status.stderr
    assert "alice" in status.stdout
    assert "Unparsed    1" in status.stdout
    assert "Dropped     0" in status.stdout
    log_file = (data / "logs" / "copilot-insight.log").read_text()
    for secret in (password, password.replace("-", ""), BEARER):
        assert secret not in text
        assert secret not in log_file
    for private in (data / "settings.json", secret_file, data / "logs" / "copilot-insight.log"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_serve_reports_a_port_in_use_and_exits_1(tmp_path):
    env = {**os.environ, "COPILOT_INSIGHT_HOME": str(tmp_path), "COPILOT_INSIGHT_SECRET_FILE": str(tmp_path / "s")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = _cli("serve", "--listen-port", str(taken.getsockname()[1]), env=env)
    assert result.returncode == 1
    assert "already in use" in result.stderr


def test_no_keyring_is_explained(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COPILOT_INSIGHT_SECRET_FILE"}
    env |= {"COPILOT_INSIGHT_HOME": str(tmp_path), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = _cli("users", "add", "alice", env=env)
    assert result.returncode == 1
    assert "--secret-file" in result.stderr and "keyring" in result.stderr
    assert not (tmp_path / "settings.json").exists()  # nothing changed


def test_secret_file_readable_by_others_is_refused(tmp_path):
    secret = tmp_path / "secret"
    env = {**os.environ, "COPILOT_INSIGHT_HOME": str(tmp_path), "COPILOT_INSIGHT_SECRET_FILE": str(secret)}
    assert _cli("users", "add", "alice", env=env).returncode == 0
    secret.chmod(0o644)
    result = _cli("users", "show", "alice", env=env)
    assert result.returncode == 1
    assert "chmod 600" in result.stderr
