"""The developers' setup page beside the proxy: whether it runs, on which port, and what it says.

The page is a convenience: when it cannot start (its port is taken, say) the proxy runs all the
same, the reason is logged and kept in `problem` for the GUI to show.
"""

import logging
from pathlib import Path

from desktop_app import __version__
from desktop_app.ca.certificate import describe_ca
from desktop_app.core.errors import AppError
from desktop_app.core.guide.ca_guide import GuideContext, url_host
from desktop_app.core.guide.setup_page import SetupPage
from desktop_app.core.guide.snippets import advertised_host
from desktop_app.core.netinfo import Address, host_name, lan_addresses
from desktop_app.core.team.settings import RecordingLevel, Settings, setup_port_for
from desktop_app.setup_page.server import SetupServer

logger = logging.getLogger(__name__)


class SetupPageService:
    """Starts and stops the setup page for one proxy run."""

    def __init__(self, confdir: Path, settings: Settings, listen: Address, *, enabled: bool, port: int,
                 record: RecordingLevel) -> None:
        """Serve on `listen`'s host when `enabled`; `port` 0 means the proxy port + 1."""
        self._confdir, self._settings, self._record = confdir, settings, record
        self._listen_host, self._requested_proxy_port = listen
        self._enabled, self._port = enabled, port
        self._server: SetupServer | None = None
        self.address: Address | None = None
        self.problem = ""

    def start(self, proxy: Address, otlp_port: int | None = None) -> None:
        """Start serving next to the proxy bound at `proxy` (and the OpenTelemetry receiver on `otlp_port`).

        On failure, log and keep the reason.
        """
        if not self._enabled:
            return
        computer = host_name()
        ca = describe_ca(self._confdir)  # the proxy made it before it started
        host = advertised_host(self._listen_host, lan_addresses(), computer)
        guide = GuideContext(host, proxy[1], ca.common_name, ca.fingerprint, otlp_port=otlp_port)
        page = SetupPage(guide, self._record,
                         self._settings.recording.content_retention_days, __version__)
        # When the proxy was asked for any free port (as tests do), so is the setup page.
        port = 0 if self._requested_proxy_port == 0 and not self._port else setup_port_for(self._port, proxy[1])
        server = SetupServer(self._confdir, page, self._listen_host, port)
        try:
            self.address = server.start()
        except AppError as exc:
            self.problem = exc.user_message
            logger.warning("The setup page for developers could not start: %s The proxy runs without it.",
                           exc.user_message)
            return
        self._server = server
        logger.info("Setup page for developers: http://%s:%d/", url_host(host), self.address[1])

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        self.address = None
