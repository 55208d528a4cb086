"""The tray icon and its menu: it shows state and emits what the user asked for, nothing more.

The tray never reads the store or settings and never starts anything itself; the controller
listens to its intent signals and tells it what to show. Every action has an `objectName`
(the tests and the screenshots in the closing notes find them by it).
"""

from collections import deque

from PySide6.QtCore import QObject, Signal, SignalInstance, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from desktop_app.core.reports.periods import EXPORT_PERIODS
from desktop_app.ui.icons import TrayState, state_icon


class Tray(QObject):
    """The `QSystemTrayIcon`, its menu and the notifications it shows."""

    toggle_proxy_requested = Signal()
    dashboard_requested = Signal()
    team_requested = Signal()
    ca_guide_requested = Signal()
    export_requested = Signal(str)  # one of EXPORT_PERIODS
    settings_requested = Signal()
    setup_requested = Signal()  # the first-run wizard, until it was finished once
    open_data_folder_requested = Signal()
    about_requested = Signal()
    status_details_requested = Signal()  # the status line clicked while it says why the proxy is not running
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        """Build the icon and the menu (hidden until `show()`)."""
        super().__init__(parent)
        self.menu = QMenu()
        self.menu.setObjectName("tray_menu")
        self.icon = QSystemTrayIcon(state_icon(TrayState.STOPPED), self)
        self.icon.setObjectName("tray_icon")
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self.toggle_proxy = self._action("toggle_proxy", self.tr("Start proxy"), self.toggle_proxy_requested)
        self.status_line = self._action("status_line", self.tr("Proxy stopped"), self.status_details_requested)
        self.status_line.setEnabled(False)
        self.setup_action = self._action("open_setup", self.tr("Set up…"), self.setup_requested)
        self.setup_action.setVisible(False)
        self.menu.addSeparator()
        self._action("open_dashboard", self.tr("Dashboard…"), self.dashboard_requested)
        self._action("open_team", self.tr("Team && credentials…"), self.team_requested)
        self._action("open_ca_guide", self.tr("CA certificate guide…"), self.ca_guide_requested)
        self.export_menu = self._export_menu()
        self.menu.addSeparator()
        self._action("open_settings", self.tr("Settings…"), self.settings_requested)
        self._action("open_data_folder", self.tr("Open data folder"), self.open_data_folder_requested)
        self._action("open_about", self.tr("About Copilot Insight"), self.about_requested)
        self.menu.addSeparator()
        self._action("quit", self.tr("Quit"), self.quit_requested)
        self.notifications: deque[tuple[str, str]] = deque(maxlen=50)  # the latest, for the tests

    def _action(self, name: str, text: str, signal: SignalInstance | None = None, menu: QMenu | None = None) -> QAction:
        action = QAction(text, self.menu)
        action.setObjectName(name)
        if signal is not None:
            action.triggered.connect(signal.emit)
        (menu or self.menu).addAction(action)
        return action

    def _export_menu(self) -> QMenu:
        menu = self.menu.addMenu(self.tr("Export report"))
        menu.setObjectName("export_menu")
        labels = (self.tr("This week…"), self.tr("Last week…"), self.tr("This month…"), self.tr("Last month…"),
                  self.tr("Custom period…"))
        for period, label in zip(EXPORT_PERIODS, labels, strict=True):
            action = self._action(f"export_{period}", label, menu=menu)
            action.triggered.connect(lambda _checked=False, p=period: self.export_requested.emit(p))
        return menu

    def show_setup(self, needed: bool) -> None:
        """Offer "Set up…" (the first-run wizard) while no setup was finished."""
        self.setup_action.setVisible(needed)

    def show(self) -> None:
        """Put the icon in the tray."""
        self.icon.show()

    def hide(self) -> None:
        """Take the icon out of the tray (before quitting)."""
        self.icon.hide()

    def set_state(self, state: TrayState, *, recording_content: bool, status: str, tooltip: str,
                  run_by: str = "", details: bool = False) -> None:
        """Show `state` in the icon, the status line, the tooltip and the start/stop action.

        `run_by` names another process whose proxy the tray shows: it cannot be stopped from here.
        `details`: the status line says why the proxy is not running, and clicking it shows the error.
        """
        self.icon.setIcon(state_icon(state, recording_content=recording_content))
        self.status_line.setText(status)
        self.status_line.setEnabled(details)
        self.icon.setToolTip(tooltip)
        busy = state in (TrayState.STARTING, TrayState.STOPPING)
        self.toggle_proxy.setEnabled(not busy)
        running = state in (TrayState.RUNNING, TrayState.UNREACHABLE, TrayState.STARTING)
        self.toggle_proxy.setText(self.tr("Stop proxy") if running else self.tr("Start proxy"))
        if run_by and running:
            self.toggle_proxy.setEnabled(False)
            self.toggle_proxy.setText(self.tr("Proxy run by {who}").format(who=run_by))

    def notify(self, title: str, message: str, *, warning: bool = False) -> None:
        """Show a desktop notification from the tray icon."""
        self.notifications.append((title, message))
        kind = QSystemTrayIcon.MessageIcon.Warning if warning else QSystemTrayIcon.MessageIcon.Information
        if QSystemTrayIcon.supportsMessages() and self.icon.isVisible():
            self.icon.showMessage(title, message, kind, 8000)

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.dashboard_requested.emit()
