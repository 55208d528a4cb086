"""Fixtures for the GUI tests: fake OS services, a fake engine, and a fully wired tray application."""

import threading
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QUrl

from desktop_app.core.paths import resolve_paths
from desktop_app.core.team.secrets import CachedSecret, KeyringSecretStore
from desktop_app.proxy.certs import InstallationCa
from desktop_app.ui.application import TrayApplication
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.engine import DesktopServices, EngineStatus


@dataclass
class FakeOs:
    """Records what the app asked of the OS instead of doing it."""

    opened: list[QUrl] = field(default_factory=list)
    launch_at_login: list[bool] = field(default_factory=list)
    addresses: list[str] = field(default_factory=lambda: ["192.168.1.20"])
    can_open: bool = True  # False: a desktop with no program to open URLs and folders

    def services(self) -> DesktopServices:
        def open_url(url: QUrl) -> bool:
            self.opened.append(url)
            return self.can_open

        return DesktopServices(open_url=open_url, set_launch_at_login=self.launch_at_login.append,
                               autostart_location=lambda: "~/.config/autostart/copilot-insight.desktop",
                               lan_addresses=lambda: list(self.addresses), host_name=lambda: "lead-laptop")


class FakeEngine:
    """An engine that starts instantly (or fails as told) and records which thread called it."""

    def __init__(self, bridge: EngineBridge) -> None:
        self.bridge = bridge
        self.failure: BaseException | None = None
        self.status = EngineStatus("0.0.0.0", 8080, records_content=False, setup_port=8081)
        self.calls: list[tuple[str, str]] = []
        self.running = False

    def start(self) -> EngineStatus:
        self.calls.append(("start", threading.current_thread().name))
        if self.failure is not None:
            raise self.failure
        self.running = True
        return self.status

    def stop(self) -> None:
        self.calls.append(("stop", threading.current_thread().name))
        self.running = False


@pytest.fixture
def fake_os():
    return FakeOs()


@pytest.fixture
def paths(isolated_home):
    return resolve_paths(isolated_home)


@pytest.fixture
def make_app(qtbot, paths, fake_os):
    """Build a `TrayApplication` with a fake engine; dialogs off unless asked."""
    built: list[TrayApplication] = []

    def make(*, error_dialogs: bool = False, engine_factory=FakeEngine, secret=None, ca=None) -> TrayApplication:
        app = TrayApplication(paths, secret or CachedSecret(KeyringSecretStore()), engine_factory,
                              fake_os.services(), ca=ca or InstallationCa(paths.confdir, "test-pc"),
                              error_dialogs=error_dialogs)
        built.append(app)
        return app

    yield make
    for app in built:
        app.shutdown()
