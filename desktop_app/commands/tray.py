"""`copilot-insight` with no command: the tray application, wired to the real engine and the OS.

This is the only place that joins the GUI (`desktop_app.ui`) to the proxy (`desktop_app.proxy`)
and the OS integration (`desktop_app.system`): the UI sees them only through `Engine`,
`DesktopServices` and `CertificateAuthority`.
"""

import argparse
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from desktop_app.commands.common import secret_for
from desktop_app.core.netinfo import host_name, lan_addresses
from desktop_app.core.paths import AppPaths, ensure_private_dir
from desktop_app.core.proxy_state import running_proxy
from desktop_app.core.team.secrets import CachedSecret
from desktop_app.core.team.settings import load_settings, recording_text
from desktop_app.proxy.certs import InstallationCa
from desktop_app.proxy.service import ProxyService, ServiceOptions
from desktop_app.system import autostart
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.engine import DesktopServices, EngineStatus

logger = logging.getLogger(__name__)


class ServiceEngine:
    """The GUI's `Engine`: a fresh `ProxyService` per start, built from the settings on disk."""

    def __init__(self, paths: AppPaths, secret: CachedSecret, bridge: EngineBridge, *,
                 set_options: tuple[str, ...] = (), scripts: tuple[Path, ...] = ()) -> None:
        """Run against `paths`; `set_options` and `scripts` are mitmproxy extras, as for `serve`."""
        self._paths, self._secret, self._bridge = paths, secret, bridge
        self._extras = (set_options, scripts)
        self._service: ProxyService | None = None

    def start(self) -> EngineStatus:
        """Start a proxy with the current settings; raise `AppError` with the fix if it cannot listen."""
        self.stop()
        other = running_proxy(self._paths.data_dir)
        if other is not None:  # `serve` runs on this data folder: show that one, never a second recorder
            logger.info("Showing the proxy that %s runs on this data folder.", other.describe())
            return EngineStatus(other.host, other.port, records_content=other.records_content,
                                setup_port=other.setup_port, run_by=f"{other.program} (process {other.pid})")
        settings = load_settings(self._paths.settings_file)
        set_options, scripts = self._extras
        options = ServiceOptions(settings.proxy.listen_host, settings.proxy.listen_port,
                                 set_options=set_options, scripts=scripts, program="the tray application")
        service = ProxyService(self._paths, settings, self._secret, options,
                               listeners=[self._bridge.on_usage], on_error=self._bridge.on_error)
        host, port = service.start()
        self._service = service
        logger.info("Proxy on %s:%d for %d developer(s); recording %s.", host, port, len(settings.developers),
                    recording_text(service.record))
        setup = service.setup_page
        otlp = service.otlp
        return EngineStatus(host, port, records_content=service.record == "content",
                            setup_port=setup.address[1] if setup.address else None, setup_problem=setup.problem,
                            otlp_port=otlp.address[1] if otlp.address else None, otlp_problem=otlp.problem)

    def stop(self) -> None:
        """Stop the running proxy, if any, after recording what is queued."""
        service, self._service = self._service, None
        if service is not None:
            service.stop()
            logger.info("Proxy stopped; %d request(s) recorded.", service.recording.stored)


class _Remembered:
    """A reading kept for a while: the GUI asks for the LAN addresses often, and a resolver can be slow."""

    def __init__(self, read: Callable[[], list[str]], seconds: float) -> None:
        self._read, self._seconds = read, seconds
        self._lock = threading.Lock()
        self._value: list[str] | None = None
        self._read_at = 0.0

    def __call__(self) -> list[str]:
        with self._lock:
            now = time.monotonic()
            if self._value is None or now - self._read_at > self._seconds:
                self._value, self._read_at = self._read(), now
            return list(self._value)


def _set_launch_at_login(paths: AppPaths, data_dir_given: bool) -> Callable[[bool], None]:
    def apply(enabled: bool) -> None:
        if enabled:
            autostart.enable(autostart.launch_command(paths.data_dir if data_dir_given else None))
        else:
            autostart.disable()

    return apply


def desktop_services(paths: AppPaths, data_dir_given: bool) -> DesktopServices:
    """The real OS services: the desktop's URL opener, the login items, this computer's addresses."""
    from PySide6.QtGui import QDesktopServices  # noqa: PLC0415 - Qt loads only for the GUI

    return DesktopServices(open_url=QDesktopServices.openUrl,
                           set_launch_at_login=_set_launch_at_login(paths, data_dir_given),
                           autostart_location=autostart.autostart_location,
                           lan_addresses=_Remembered(lan_addresses, 60.0), host_name=host_name)


def tray(args: argparse.Namespace, paths: AppPaths) -> int:
    """Run the tray application until the user quits."""
    from desktop_app.ui.application import run_tray  # noqa: PLC0415 - Qt loads only for the GUI

    secret = secret_for(args, paths)
    return run_tray(paths, secret, lambda bridge: ServiceEngine(paths, secret, bridge),
                    desktop_services(paths, args.data_dir is not None),
                    ca=InstallationCa(ensure_private_dir(paths.confdir), host_name()),
                    error_dialogs=not args.no_error_dialogs)
