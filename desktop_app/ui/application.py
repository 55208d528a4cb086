"""The tray application's composition: the Qt application, the shared services and their wiring.

`TrayApplication` builds every part around an existing `QApplication` (tests use pytest-qt's);
`run_tray` is what `copilot-insight` with no command runs: one instance per user and data folder,
translations, error hooks, then the event loop until Quit.
"""

import logging
import signal
import sys
from types import FrameType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from desktop_app import APP_ID, APP_NAME, __version__
from desktop_app.core.paths import AppPaths
from desktop_app.core.team.secrets import CachedSecret
from desktop_app.ui import long_lived
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.context import UiContext
from desktop_app.ui.controller import TrayController
from desktop_app.ui.engine import CertificateAuthority, DesktopServices, EngineFactory
from desktop_app.ui.errors import ErrorPresenter
from desktop_app.ui.i18n import install_translator
from desktop_app.ui.icons import app_icon
from desktop_app.ui.proxy_control import ProxyControl
from desktop_app.ui.single_instance import SingleInstance, instance_key
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.tray import Tray

logger = logging.getLogger(__name__)


class TrayApplication:
    """Every long-lived part of the GUI, built and connected."""

    def __init__(self, paths: AppPaths, secret: CachedSecret, engine_factory: EngineFactory,
                 services: DesktopServices, *, ca: CertificateAuthority, error_dialogs: bool = True) -> None:
        """Build the parts (inside a running `QApplication`); nothing starts until `launch()`."""
        self.errors = ErrorPresenter(dialogs=error_dialogs)
        self.tasks = TaskRunner()
        self.ctx = UiContext(paths, secret, self.tasks, self.errors, services, ca)
        self.bridge = EngineBridge()
        self.proxy = ProxyControl(engine_factory(self.bridge))
        self.tray = Tray()
        self.controller = TrayController(self.ctx, self.tray, self.proxy, self.bridge)

    def launch(self) -> None:
        """Show the tray and start as the settings say (or run the first-run wizard)."""
        self.controller.launch()

    def shutdown(self) -> None:
        """Stop the proxy and the workers (blocking; at exit only)."""
        self.proxy.shutdown()
        self.tasks.close()
        self.tray.hide()
        long_lived.release()


def _qt_application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    return app


def _quit_on_signals(controller: TrayController) -> QTimer:
    """SIGINT/SIGTERM quit like the menu does (Python sees signals only when the event loop lets it run)."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("Received %s, quitting.", signal.Signals(signum).name)
        QTimer.singleShot(0, controller.quit)

    for name in ("SIGINT", "SIGTERM"):
        signal.signal(getattr(signal, name), on_signal)
    wake = QTimer(interval=250)
    wake.timeout.connect(lambda: None)
    wake.start()
    return wake


def run_tray(paths: AppPaths, secret: CachedSecret, engine_factory: EngineFactory, services: DesktopServices,
             *, ca: CertificateAuthority, error_dialogs: bool = True) -> int:
    """Run the tray application until Quit; return the exit code (0 also when another instance runs)."""
    app = _qt_application()
    install_translator(app)
    guard = SingleInstance(instance_key(paths.data_dir))
    if not guard.claim():
        logger.info("Copilot Insight is already running for %s; brought it forward.", paths.data_dir)
        sys.stderr.write("Copilot Insight is already running; it has been brought forward.\n")
        return 0
    tray_app = TrayApplication(paths, secret, engine_factory, services, ca=ca, error_dialogs=error_dialogs)
    tray_app.errors.install_hooks()
    guard.activated.connect(tray_app.controller.bring_forward)
    app.aboutToQuit.connect(tray_app.shutdown)
    wake = _quit_on_signals(tray_app.controller)
    tray_app.launch()
    logger.info("Tray icon shown (system tray available: %s).", QSystemTrayIcon.isSystemTrayAvailable())
    try:
        return app.exec()
    finally:
        wake.stop()
        guard.release()
        tray_app.errors.uninstall_hooks()
