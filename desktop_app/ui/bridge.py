"""The one road from the proxy's threads to the GUI thread.

The engine calls the `EngineBridge` methods from its own threads (the writer thread after a batch is
stored, the proxy thread when mitmproxy logs an error or refused logins pile up); each method only
emits a Qt signal. Because the bridge lives on the GUI thread, Qt queues every emission and the
connected slots run there.
Nothing else crosses threads, and no slot ever runs on a proxy thread.
"""

from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal

from desktop_app.core.auth_log import Burst
from desktop_app.core.models import UsageEvent


class EngineBridge(QObject):
    """Thread-safe entry points for the engine; signals delivered on the GUI thread."""

    usage_recorded = Signal(object)  # tuple[UsageEvent, ...], already in the store
    engine_error = Signal(str)  # a message mitmproxy logged at ERROR level
    auth_burst = Signal(object)  # core.auth_log.Burst: many refused logins in a short time

    def on_usage(self, events: Sequence[UsageEvent]) -> None:
        """Called by the writer thread after `events` were stored."""
        self.usage_recorded.emit(tuple(events))

    def on_auth_burst(self, burst: Burst) -> None:
        """Called from the proxy thread when refused logins pile up."""
        self.auth_burst.emit(burst)

    def on_error(self, message: str) -> None:
        """Called from the proxy thread with an error mitmproxy logged."""
        self.engine_error.emit(message)
