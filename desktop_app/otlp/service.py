"""The OpenTelemetry receiver beside the proxy: whether it runs, on which port, and why not.

Like the setup page, the receiver is an extra: when it cannot start (its port is taken, say) the
proxy runs all the same, the reason is logged and kept in `problem` for the GUI to show.
"""

import logging

from desktop_app.core.netinfo import Address, listen_error
from desktop_app.otlp.intake import OtlpIntake
from desktop_app.otlp.receiver import OtlpReceiver

logger = logging.getLogger(__name__)



class OtlpService:
    """Starts and stops the receiver for one proxy run."""

    def __init__(self, intake: OtlpIntake, listen_host: str, port: int, *, any_free_port: bool = False) -> None:
        """Serve on `listen_host:port`; `port` 0 means off; `any_free_port` binds any free port instead."""
        self.intake = intake
        self._host, self._port, self._any = listen_host, port, any_free_port
        self._receiver: OtlpReceiver | None = None
        self.address: Address | None = None
        self.problem = ""

    @property
    def enabled(self) -> bool:
        """Whether the receiver is configured to run (a port other than 0)."""
        return self._port != 0

    def start(self) -> None:
        """Start receiving; on failure, log and keep the reason."""
        if not self.enabled:
            return
        port = 0 if self._any else self._port
        receiver = OtlpReceiver(self.intake, self._host, port)
        try:
            self.address = receiver.start()
        except (OSError, OverflowError, ValueError) as exc:
            self.problem = listen_error(exc, self._host or "0.0.0.0", port).user_message  # noqa: S104
            logger.warning("The OpenTelemetry receiver could not start: %s The proxy runs without it.", self.problem)
            return
        self._receiver = receiver

    def stop(self) -> None:
        """Stop receiving (idempotent)."""
        receiver, self._receiver = self._receiver, None
        if receiver is not None:
            receiver.stop()
        self.address = None
