"""The tray application as a real process (`python -m desktop_app`), for the X11 and start-up tests."""

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.served import Lines, cli, free_port, serve_env


@dataclass
class LaunchedTray:
    process: subprocess.Popen
    log: Lines
    port: int

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, as a session logout would; return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise


def prepare_team(tmp_path: Path, port: int) -> dict[str, str]:
    """A data folder with one developer and the proxy on `port`; return the environment to use it."""
    env = serve_env(tmp_path)
    added = cli("users", "add", "alice", env=env)
    assert added.returncode == 0, added.stderr
    settings_file = Path(env["COPILOT_INSIGHT_HOME"]) / "settings.json"
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    settings["proxy"]["listen_port"] = port
    settings_file.write_text(json.dumps(settings), encoding="utf-8")
    return env


def launch_tray(tmp_path: Path, **extra_env: str) -> LaunchedTray:
    """Start the tray application on a free port with a prepared team; dialogs off."""
    port = free_port()
    env = {**prepare_team(tmp_path, port), **extra_env}
    process = subprocess.Popen([sys.executable, "-m", "desktop_app", "--no-error-dialogs"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    return LaunchedTray(process, Lines(process.stderr), port)


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")
