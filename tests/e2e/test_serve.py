"""`copilot-insight serve` as an administrator runs it: a real process, real signals, real logs."""

import os
import socket
import stat
import time
from pathlib import Path

import httpx

from tests.e2e.harness import BEARER, COPILOT_API, COPILOT_PROXY, chat_body, completion_body
from tests.e2e.served import cli, start_serve


def test_serve_headless_end_to_end(tmp_path, pki, upstream):
    served = start_serve(tmp_path, pki, upstream)
    env, data, log = served.env, served.data, served.log
    secret_file = Path(env["COPILOT_INSIGHT_SECRET_FILE"])
    password = served.passwords["alice"]
    assert cli("users", "show", "alice", "--password-only", env=env).stdout.strip() == password
    try:
        with httpx.Client(proxy=served.proxy_url("alice"), verify=served.trust(), timeout=10) as client:
            assert client.post(f"{COPILOT_API}/chat/completions", json=chat_body(),
                               headers={"Authorization": f"Bearer {BEARER}"}).status_code == 200
            assert client.post(f"{COPILOT_PROXY}/v1/engines/gpt-4o-copilot/completions",
                               json=completion_body()).status_code == 200
            # a body the recorder cannot decode still reaches Copilot, and is counted
            assert client.post(f"{COPILOT_API}/chat/completions", content=b"not gzip at all",
                               headers={"Content-Encoding": "gzip"}).status_code == 200
        with httpx.Client(proxy=f"http://127.0.0.1:{served.port}", timeout=10) as anonymous:
            assert anonymous.get("http://example.invalid/").status_code == 407
        log.wait_for("alice completion POST copilot-proxy.githubusercontent.com/v1/engines/gpt-4o-copilot/"
                     "completions 200")
    finally:
        code = served.stop()
    text = log.drain()
    assert code == 0, text
    assert "alice model_call unknown POST api.githubcopilot.com/chat/completions 200" in text
    assert "Stopped. 3 request(s) recorded, 0 dropped, 1 unparsed, 0 unrecorded." in text
    status = cli("status", env=env)
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
        result = cli("serve", "--listen-port", str(taken.getsockname()[1]), env=env)
    assert result.returncode == 1
    assert "already in use" in result.stderr


def test_no_keyring_is_explained(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "COPILOT_INSIGHT_SECRET_FILE"}
    env |= {"COPILOT_INSIGHT_HOME": str(tmp_path), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = cli("users", "add", "alice", env=env)
    assert result.returncode == 1
    assert "--secret-file" in result.stderr and "keyring" in result.stderr
    assert not (tmp_path / "settings.json").exists()  # nothing changed


def test_secret_file_readable_by_others_is_refused(tmp_path):
    secret = tmp_path / "secret"
    env = {**os.environ, "COPILOT_INSIGHT_HOME": str(tmp_path), "COPILOT_INSIGHT_SECRET_FILE": str(secret)}
    assert cli("users", "add", "alice", env=env).returncode == 0
    secret.chmod(0o644)
    result = cli("users", "show", "alice", env=env)
    assert result.returncode == 1
    assert "chmod 600" in result.stderr


def test_serve_logs_each_mitmproxy_error_once(tmp_path, pki, upstream):
    script = tmp_path / "failing_addon.py"
    script.write_text("def running():\n    raise RuntimeError('synthetic addon failure 7f3a')\n")
    served = start_serve(tmp_path, pki, upstream, extra_args=("-s", str(script)))
    try:  # the failure may be logged just before or after "Proxy listening", which start_serve waited for
        deadline = time.monotonic() + 15
        while "7f3a" not in served.log.drain() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        code = served.stop()
    text = served.log.drain()
    assert code == 0, text
    lines = [line for line in text.splitlines() if "ERROR" in line and "7f3a" in line]
    assert len(lines) == 1, text
