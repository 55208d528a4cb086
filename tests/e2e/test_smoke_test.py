"""`copilot-insight --smoke-test`: a real process that starts the engine and checks itself through the proxy."""

import os
import subprocess
import sys
import textwrap

import pytest

from desktop_app.commands import smoke
from desktop_app.core.errors import ProxyStartError
from desktop_app.proxy.service import ProxyService


def _env(tmp_path) -> dict[str, str]:
    """No keyring at all, and a private TMPDIR so the test sees what the smoke test leaves behind."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "COPILOT_INSIGHT_SECRET_FILE"}
    return env | {"COPILOT_INSIGHT_HOME": str(tmp_path / "home"), "TMPDIR": str(temp),
                  "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, env=env, check=False)


def test_smoke_test_passes_without_touching_any_data(tmp_path):
    env = _env(tmp_path)
    given = tmp_path / "given-data-dir"
    result = _run(["-m", "desktop_app", "--smoke-test", "--no-error-dialogs", "--data-dir", str(given)], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith("Smoke test passed in ")
    assert "answered https://insight.check/ for developer 'smoke-test' through its own CA" in lines[0]
    # a fresh temporary folder, deleted afterwards; neither the given nor the default data folder is made
    assert not given.exists()
    assert not (tmp_path / "home").exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_client_that_does_not_trust_the_ca_fails_the_smoke_test(tmp_path, pki):
    """What a bundle with a broken TLS or CA stack looks like: the client refuses the proxy's certificate."""
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from desktop_app.commands import smoke
        smoke.trusted_ca = lambda paths: Path({str(pki.ca_cert)!r})  # some other CA than the proxy's
        from desktop_app.app import main
        sys.exit(main(["--smoke-test", "--no-error-dialogs"]))
    """)
    result = _run(["-c", code], _env(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    assert "Smoke test failed: the TLS handshake with https://insight.check/ through the proxy failed" in result.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr
    assert list((tmp_path / "tmp").iterdir()) == []


def test_smoke_test_takes_no_command(tmp_path):
    result = _run(["-m", "desktop_app", "--smoke-test", "users", "list"], _env(tmp_path))
    assert result.returncode == 2
    assert "--smoke-test runs on its own, without a command" in result.stderr


def test_a_proxy_that_cannot_start_is_a_failed_smoke_test(monkeypatch):
    def refuse(self, timeout=10.0):
        raise ProxyStartError("The proxy could not listen on 127.0.0.1 (test).")

    monkeypatch.setattr(ProxyService, "start", refuse)
    result = smoke.run_smoke_test(timeout=5)
    assert not result.passed
    assert result.message == "Smoke test failed: The proxy could not listen on 127.0.0.1 (test)."


def test_an_unexpected_error_is_reported_as_a_failure(monkeypatch):
    def broken(folder):
        raise ModuleNotFoundError("No module named 'mitmproxy_rs'")

    monkeypatch.setattr(smoke, "make_team", broken)
    result = smoke.run_smoke_test(timeout=5)
    assert not result.passed
    assert result.message == "Smoke test failed: ModuleNotFoundError: No module named 'mitmproxy_rs'"


@pytest.mark.parametrize(("answer", "reason"), [
    ({"developer": "alice", "tls": True}, "answered for 'alice', not 'smoke-test'"),
    ({"developer": "smoke-test", "tls": False}, "did not see the check over TLS"),
])
def test_an_answer_for_someone_else_or_without_tls_fails(answer, reason):
    with pytest.raises(smoke.SmokeTestError, match=reason):
        smoke.verify_answer(answer)
