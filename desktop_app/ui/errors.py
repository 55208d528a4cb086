"""The one place errors reach the user: a dialog with the message, the details and "Copy details".

Everything that fails in the GUI ends here: `AppError`s from core (with their user text), mitmproxy's
logged errors, and uncaught exceptions on any thread (through the hooks `install_hooks` sets). With
`--no-error-dialogs` errors are logged instead, so tests and smoke tests never block on a window.
`report()` may be called from any thread; the dialog is always built on the GUI thread.
"""

import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import AppError, ConfigError, ProxyStartError, SecretStoreError, StoreError
from desktop_app.ui.widgets import named

logger = logging.getLogger(__name__)

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]
ThreadExceptHook = Callable[[threading.ExceptHookArgs], object]


def describe(error: BaseException) -> tuple[str, str]:
    """Return (what the user reads, the technical details) for `error`."""
    trace = "".join(traceback.format_exception(error)).strip()
    if isinstance(error, AppError):
        details = "\n\n".join(part for part in (error.details, trace if error.__cause__ else "") if part)
        return error.user_message, details
    return f"Something unexpected went wrong: {type(error).__name__}: {error}", trace


SHORT_LIMIT = 70
"""The longest first sentence a tray status line shows as it is; longer ones get their kind's short words."""


def short_reason(error: BaseException) -> str:
    """A few words for a status line ("no keyring", "port 8080 in use"): never a sentence cut in two."""
    message = describe(error)[0]
    first = re.split(r"(?<=[.!?:])\s", message.strip(), maxsplit=1)[0].rstrip(".:")
    if len(first) <= SHORT_LIMIT and "\n" not in first:
        return first
    if isinstance(error, SecretStoreError):
        return "no keyring" if "keyring" in message.lower() else "the credential secret is unavailable"
    if isinstance(error, ConfigError):
        return "the settings cannot be used"
    if isinstance(error, StoreError):
        return "the usage database cannot be used"
    if isinstance(error, ProxyStartError):
        return "the proxy could not start"
    return "an unexpected error"


class ErrorDialog(QDialog):
    """A non-modal dialog: the message, collapsible details, "Copy details" and "Close"."""

    def __init__(self, title: str, message: str, details: str, parent: QWidget | None = None) -> None:
        """Build the dialog; it is shown by the caller."""
        super().__init__(parent)
        self.setObjectName("error_dialog")
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message = named(QLabel(message, wordWrap=True), "error_message")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = named(QPlainTextEdit(details, readOnly=True), "error_details")
        self.details.setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.toggle = named(QPushButton(self.tr("Show details")), "toggle_details")
        self.toggle.setCheckable(True)
        self.toggle.toggled.connect(self._on_toggle)
        self.copy = named(QPushButton(self.tr("Copy details")), "copy_details")
        self.copy.clicked.connect(self._on_copy)
        for button in (self.toggle, self.copy):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.toggle.setEnabled(bool(details))
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.details)
        layout.addWidget(buttons)

    @Slot(bool)
    def _on_toggle(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.toggle.setText(self.tr("Hide details") if shown else self.tr("Show details"))
        self.adjustSize()

    @Slot()
    def _on_copy(self) -> None:
        text = f"{self.windowTitle()}\n{self.message.text()}\n\n{self.details.toPlainText()}".strip()
        QGuiApplication.clipboard().setText(text)


class ErrorPresenter(QObject):
    """Shows errors in `ErrorDialog`s, or logs them when dialogs are off."""

    reported = Signal(object, str)

    def __init__(self, *, dialogs: bool, parent: QObject | None = None) -> None:
        """`dialogs=False` (from `--no-error-dialogs`) logs instead of opening windows."""
        super().__init__(parent)
        self.dialogs_enabled = dialogs
        self.dialogs: list[ErrorDialog] = []
        self.reported.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._previous_hooks: tuple[ExceptHook, ThreadExceptHook] | None = None

    def report(self, error: BaseException, title: str = "") -> None:
        """Show `error` to the user (safe from any thread; the dialog opens on the GUI thread)."""
        self.reported.emit(error, title)

    @Slot(object, str)
    def _show(self, error: BaseException, title: str) -> None:
        message, details = describe(error)
        title = title or self.tr("Copilot Insight: error")
        if not self.dialogs_enabled:
            logger.error("%s: %s\n%s", title, message, details)
            return
        logger.warning("%s: %s", title, message)
        dialog = ErrorDialog(title, message, details)
        dialog.destroyed.connect(lambda: self.dialogs.remove(dialog) if dialog in self.dialogs else None)
        self.dialogs.append(dialog)
        dialog.show()
        dialog.raise_()

    def install_hooks(self) -> None:
        """Route uncaught exceptions of every thread to `report` (and the log)."""

        def on_exception(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
            if issubclass(kind, KeyboardInterrupt):
                sys.__excepthook__(kind, error, trace)
                return
            logger.critical("Uncaught exception", exc_info=(kind, error, trace))
            self.report(error)

        def on_thread_exception(hook: threading.ExceptHookArgs) -> None:
            if hook.exc_value is not None:
                on_exception(hook.exc_type, hook.exc_value, hook.exc_traceback)

        self._previous_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = on_exception
        threading.excepthook = on_thread_exception

    def uninstall_hooks(self) -> None:
        """Put back the hooks `install_hooks` replaced."""
        if self._previous_hooks is not None:
            sys.excepthook, threading.excepthook = self._previous_hooks
            self._previous_hooks = None
