"""The proxy's lifecycle as the GUI sees it: stopped → starting → running → stopping, or error.

Every start and stop runs on one serial worker, so they happen in the order asked and never on
the GUI thread; the state changes arrive as signals on the GUI thread.
"""

import logging

from PySide6.QtCore import QObject, Signal

from desktop_app.ui.engine import Engine, EngineStatus
from desktop_app.ui.icons import TrayState
from desktop_app.ui.tasks import TaskRunner

logger = logging.getLogger(__name__)


class ProxyControl(QObject):
    """Starts, stops and restarts the engine off the GUI thread and reports what happened."""

    state_changed = Signal(object)  # TrayState
    started = Signal(object)  # EngineStatus
    start_failed = Signal(object)  # BaseException (usually an AppError with the fix)
    stopped = Signal()

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        """Control `engine`; nothing starts until `start()`."""
        super().__init__(parent)
        self._engine = engine
        self._tasks = TaskRunner(self, serial=True)
        self.state = TrayState.STOPPED
        self.status: EngineStatus | None = None

    @property
    def running(self) -> bool:
        """Whether the proxy is listening."""
        return self.state is TrayState.RUNNING

    def _set_state(self, state: TrayState) -> None:
        self.state = state
        self.state_changed.emit(state)

    def start(self) -> None:
        """Start the proxy unless it is running or starting."""
        if self.state in (TrayState.RUNNING, TrayState.STARTING):
            return
        self._set_state(TrayState.STARTING)
        self._tasks.submit(self._engine.start, self._on_started, self._on_start_failed, name="start proxy")

    def stop(self) -> None:
        """Stop the proxy if it is running or starting."""
        if self.state in (TrayState.STOPPED, TrayState.STOPPING, TrayState.ERROR):
            return
        self._set_state(TrayState.STOPPING)
        self._tasks.submit(self._engine.stop, self._on_stopped, self._on_stop_failed, name="stop proxy")

    def restart(self) -> None:
        """Stop and start again (after settings that the running proxy cannot pick up changed)."""
        if self.state in (TrayState.RUNNING, TrayState.STARTING):
            self.stop()
        self.start()

    def shutdown(self, timeout_ms: int = 15_000) -> None:
        """Stop synchronously before the application exits (the only blocking call, at quit)."""
        self._tasks.close(timeout_ms)
        self._engine.stop()  # a no-op when stopped; covers a start whose callback never arrived
        self.state = TrayState.STOPPED

    def _on_started(self, status: EngineStatus) -> None:
        self.status = status
        self._set_state(TrayState.RUNNING)
        self.started.emit(status)

    def _on_start_failed(self, error: BaseException) -> None:
        self.status = None
        self._set_state(TrayState.ERROR)
        self.start_failed.emit(error)

    def _on_stopped(self, _result: object) -> None:
        self.status = None
        self._set_state(TrayState.STOPPED)
        self.stopped.emit()

    def _on_stop_failed(self, error: BaseException) -> None:
        logger.error("The proxy did not stop cleanly.", exc_info=error)
        self._on_stopped(None)
