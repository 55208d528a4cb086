"""Which process runs the proxy on a data folder: a lock held while it runs, and what it tells others.

A proxy (the tray's or `serve`'s) takes `proxy.lock` in the data folder before it listens and holds
it until it stops; the operating system lets go of the lock when the process ends, however it ends,
so a crash leaves nothing that looks alive. Beside it, `proxy-running.json` says where it listens
and since when. The tray reads it to show a proxy that `serve` already runs instead of starting a
second one on the same data; `copilot-insight status` reads it; a second proxy is refused with it.
"""

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Final

from desktop_app.core.errors import ProxyStartError
from desktop_app.core.fileio import PRIVATE_FILE_MODE, atomic_write_text
from desktop_app.core.paths import create_dirs_privately

LOCK_FILE: Final = "proxy.lock"
STATE_FILE: Final = "proxy-running.json"
STARTING_SECONDS: Final = 10.0


@dataclass(frozen=True)
class RunningProxy:
    """A proxy running on a data folder, as that proxy described itself."""

    pid: int
    program: str  # "copilot-insight serve" or "the tray application"
    host: str
    port: int
    started_at: datetime  # UTC
    setup_port: int | None = None
    records_content: bool = False

    def describe(self) -> str:
        """E.g. "copilot-insight serve (process 4242) on 0.0.0.0:8080 since 2026-12-07 13:05"."""
        since = self.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
        return f"{self.program} (process {self.pid}) on {self.host}:{self.port} since {since}"


def _try_lock(handle: IO[bytes]) -> bool:
    """Take the lock without waiting; False when another process (or open file) holds it."""
    try:
        if os.name == "posix":
            import fcntl  # noqa: PLC0415 - POSIX only

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            import msvcrt  # noqa: PLC0415 - Windows only

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
    except OSError:
        return False
    return True


def _open_lock(data_dir: Path) -> IO[bytes]:
    create_dirs_privately(data_dir)
    path = data_dir / LOCK_FILE
    handle = path.open("a+b")
    if os.name == "posix":
        path.chmod(PRIVATE_FILE_MODE)
    return handle


def _read_state(data_dir: Path) -> RunningProxy | None:
    try:
        raw = json.loads((data_dir / STATE_FILE).read_text(encoding="utf-8"))
        return RunningProxy(pid=int(raw["pid"]), program=str(raw["program"]), host=str(raw["host"]),
                            port=int(raw["port"]), started_at=datetime.fromisoformat(str(raw["started_at"])),
                            setup_port=None if raw.get("setup_port") is None else int(raw["setup_port"]),
                            records_content=bool(raw.get("records_content", False)))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # being written, or left by a crash: the lock decides whether anyone runs


def running_proxy(data_dir: Path, wait: float = STARTING_SECONDS) -> RunningProxy | None:
    """The proxy another process runs on `data_dir`, or None when none does.

    A proxy that is still starting holds the lock before it knows its address: its description is
    waited for, at most `wait` seconds.
    """
    if not (data_dir / LOCK_FILE).exists():
        return None
    with _open_lock(data_dir) as handle:
        if _try_lock(handle):
            return None  # nobody holds it (closing the file lets go of it again)
    deadline = time.monotonic() + wait
    while (state := _read_state(data_dir)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if state is None:
        return RunningProxy(pid=0, program="another Copilot Insight", host="?", port=0, started_at=datetime.now(UTC))
    return state


class ProxyClaim:
    """This process's hold on a data folder while its proxy runs."""

    def __init__(self, data_dir: Path) -> None:
        """Take the data folder's proxy lock; raise `ProxyStartError` naming the proxy that holds it."""
        self._dir = data_dir
        self._handle: IO[bytes] | None = _open_lock(data_dir)
        if not _try_lock(self._handle):
            self._handle.close()
            self._handle = None
            other = _read_state(data_dir)
            who = other.describe() if other is not None else "another Copilot Insight process"
            raise ProxyStartError(
                f"A Copilot Insight proxy already runs on this data folder: {who}. Two proxies on one data "
                "folder would record separately; stop that one first, or use another --data-dir.",
                details=f"lock held: {data_dir / LOCK_FILE}")
        with contextlib.suppress(OSError):
            (data_dir / STATE_FILE).unlink(missing_ok=True)  # left by a process that crashed

    def publish(self, state: RunningProxy) -> None:
        """Tell other processes where this proxy listens."""
        data = {**asdict(state), "started_at": state.started_at.isoformat()}
        atomic_write_text(self._dir / STATE_FILE, json.dumps(data, indent=2) + "\n")

    def release(self) -> None:
        """Say that the proxy stopped and let go of the lock (idempotent)."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            (self._dir / STATE_FILE).unlink(missing_ok=True)
        handle.close()  # closing the file releases the lock
