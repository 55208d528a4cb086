"""Following a proxy that another process (`copilot-insight serve`) runs on the tray's data folder.

The tray then records nothing itself: what it shows comes from the store that the other process
writes. `OtherProxyWatch` looks every `POLL_MS` (on a worker, never blocking the GUI) whether that
process still holds the data folder's proxy lock and whether the store changed since the last look,
and says so with signals, so the tray's figures and the dashboard follow the other process's traffic.
"""

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.core.proxy_state import RunningProxy, running_proxy
from desktop_app.ui.tasks import TaskRunner

POLL_MS = 2000
Signature = tuple[tuple[int, int], ...]


def store_signature(database: Path) -> Signature:
    """(modification time, size) of the database and its write-ahead log: changes whenever a batch is written."""
    signature = []
    for path in (database, database.with_name(database.name + "-wal")):
        try:
            info = path.stat()
        except OSError:
            signature.append((0, 0))
        else:
            signature.append((info.st_mtime_ns, info.st_size))
    return tuple(signature)


class OtherProxyWatch(QObject):
    """Polls the other process's proxy and the store while the tray shows that proxy."""

    store_changed = Signal()
    ended = Signal()

    def __init__(self, data_dir: Path, database: Path, tasks: TaskRunner, parent: QObject | None = None) -> None:
        """Watch the proxy lock of `data_dir` and the store at `database`; idle until `start()`."""
        super().__init__(parent)
        self._data_dir, self._database, self._tasks = data_dir, database, tasks
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._signature: Signature | None = None
        self._in_flight = False

    @property
    def active(self) -> bool:
        """Whether the tray is following another process's proxy."""
        return self._timer.isActive()

    def start(self) -> None:
        """Begin following (after the tray found another process's proxy)."""
        self._signature = store_signature(self._database)
        self._timer.start()

    def stop(self) -> None:
        """Stop following."""
        self._timer.stop()

    def _poll(self) -> None:
        if self._in_flight:
            return
        self._in_flight = True
        data_dir, database = self._data_dir, self._database
        self._tasks.submit(lambda: (running_proxy(data_dir), store_signature(database)), self._on_polled,
                           self._on_failed, name="follow the other proxy")

    def _on_polled(self, result: tuple[RunningProxy | None, Signature]) -> None:
        self._in_flight = False
        if not self._timer.isActive():
            return
        other, signature = result
        if signature != self._signature:
            self._signature = signature
            self.store_changed.emit()
        if other is None:
            self._timer.stop()
            self.ended.emit()

    def _on_failed(self, _error: BaseException) -> None:
        self._in_flight = False
