"""Blocking work off the GUI thread: run a function on a worker, get its result back on the GUI thread.

Keyring reads, store queries, settings saves and proxy start/stop all go through a `TaskRunner`, so
the GUI thread never waits on a disk, D-Bus or a socket. Callbacks always run on the GUI thread.
"""

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

logger = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class _Relay(QObject):
    """Lives on the GUI thread; workers emit into it and Qt queues the call to that thread."""

    finished = Signal(int, bool, object)


class _Job(QRunnable):
    def __init__(self, job_id: int, function: Callable[[], object], relay: _Relay) -> None:
        super().__init__()
        self._job_id, self._function, self._relay = job_id, function, relay

    def run(self) -> None:
        try:
            result = self._function()
        except BaseException as exc:  # noqa: BLE001 - every failure is handed to the GUI thread
            self._relay.finished.emit(self._job_id, False, exc)
        else:
            self._relay.finished.emit(self._job_id, True, result)


@dataclass(frozen=True)
class _Callbacks:
    done: Done | None
    failed: Failed | None
    name: str


class TaskRunner(QObject):
    """Runs functions on a private thread pool and calls back on the GUI thread.

    `serial=True` runs one job at a time, in submission order (for work that must not overlap, such
    as starting and stopping the proxy).
    """

    def __init__(self, parent: QObject | None = None, *, serial: bool = False) -> None:
        """Create the pool; `serial` limits it to one thread."""
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1 if serial else 4)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_finished)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Callbacks] = {}
        self._closed = False

    def submit(self, function: Callable[[], object], done: Done | None = None, failed: Failed | None = None,
               *, name: str = "") -> None:
        """Run `function` on a worker; then `done(result)` or `failed(exception)` on the GUI thread."""
        if self._closed:
            return
        job_id = next(self._ids)
        self._pending[job_id] = _Callbacks(done, failed, name or getattr(function, "__name__", "task"))
        self._pool.start(_Job(job_id, function, self._relay))

    @property
    def busy(self) -> bool:
        """Whether a submitted job has not called back yet."""
        return bool(self._pending)

    def close(self, timeout_ms: int = 30_000) -> None:
        """Wait for running jobs, then drop every callback still to come (the windows are going away)."""
        self._closed = True
        self._pool.waitForDone(timeout_ms)
        self._pending.clear()

    @Slot(int, bool, object)
    def _on_finished(self, job_id: int, ok: bool, value: object) -> None:
        callbacks = self._pending.pop(job_id, None)
        if callbacks is None or self._closed:
            return
        if ok:
            if callbacks.done is not None:
                callbacks.done(value)
            return
        error = value if isinstance(value, BaseException) else RuntimeError(repr(value))
        if callbacks.failed is not None:
            callbacks.failed(error)
        else:
            logger.error("Background task %s failed.", callbacks.name, exc_info=error)
