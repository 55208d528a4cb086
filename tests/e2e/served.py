"""`copilot-insight serve` as a real process for end-to-end tests: start, log reading, stop."""

import os
import queue
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.harness import REDIRECT_SCRIPT


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desktop_app", *args], capture_output=True, text=True,
                          timeout=60, env=env, check=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lines:
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


def serve_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "COPILOT_INSIGHT_HOME": str(tmp_path / "data"),
            "COPILOT_INSIGHT_SECRET_FILE": str(tmp_path / "secret")}


@dataclass
class Served:
    process: subprocess.Popen
    log: Lines
    port: int
    env: dict[str, str]
    passwords: dict[str, str]

    @property
    def data(self) -> Path:
        return Path(self.env["COPILOT_INSIGHT_HOME"])

    def trust(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.data / "mitmproxy" / "mitmproxy-ca-cert.pem")

    def proxy_url(self, name: str) -> str:
        return f"http://{name}:{self.passwords[name]}@127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the process we started (by PID) and wait for it."""
        self.process.send_signal(sig)
        return self.process.wait(timeout=15)


def start_serve(tmp_path: Path, pki, upstream, developers=("alice",), extra_args=(), port=None, env=None,
                redirect=True) -> Served:
    """Add the developers with the CLI, then start `serve` on loopback (`port`, else a free one) routed to the fake.

    `redirect=False` leaves the upstream alone (and its trust to `extra_args`): for a company proxy that routes.
    """
    env = env or serve_env(tmp_path)
    passwords = {}
    for name in developers:
        added = cli("users", "add", name, "--password-only", env=env)
        assert added.returncode == 0, added.stderr
        passwords[name] = added.stdout.strip()
    port = port or free_port()
    routed = ("-s", str(REDIRECT_SCRIPT), "--set", f"fake_upstream=127.0.0.1:{upstream.port}",
              "--set", f"ssl_verify_upstream_trusted_ca={pki.ca_cert}") if redirect else ()
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "serve", "--listen-host", "127.0.0.1", "--listen-port", str(port),
         *routed, *extra_args],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    served = Served(process, Lines(process.stderr), port, env, passwords)
    try:
        served.log.wait_for("Proxy listening on 127.0.0.1")
    except BaseException:
        served.stop(signal.SIGKILL)
        raise
    return served
