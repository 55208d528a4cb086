"""The error dialog and presenter: user text, details, Copy details, logging without dialogs, hooks."""

import logging
import sys
import threading

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPushButton

from desktop_app.core.errors import ProxyStartError
from desktop_app.ui.errors import ErrorDialog, ErrorPresenter, describe


def test_describe_uses_the_user_message_of_app_errors():
    message, details = describe(ProxyStartError("Port 8080 is in use. Choose another port.", "errno 98"))
    assert message == "Port 8080 is in use. Choose another port."
    assert details == "errno 98"
    message, details = describe(KeyError("x"))
    assert message.startswith("Something unexpected went wrong: KeyError")
    assert "Traceback" in details or "KeyError" in details


def test_dialog_copies_message_and_details(qtbot):
    dialog = ErrorDialog("Title", "Port 8080 is in use.", "errno 98 details")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.details.isVisible()
    dialog.findChild(QPushButton, "toggle_details").click()
    assert dialog.details.isVisible()
    dialog.findChild(QPushButton, "copy_details").click()
    copied = QGuiApplication.clipboard().text()
    assert "Port 8080 is in use." in copied
    assert "errno 98 details" in copied


def test_presenter_shows_one_dialog_per_error(qtbot):
    presenter = ErrorPresenter(dialogs=True)
    presenter.report(ProxyStartError("Port in use.", "d"), "The proxy could not start")
    qtbot.waitUntil(lambda: len(presenter.dialogs) == 1, timeout=2000)
    dialog = presenter.dialogs[0]
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "The proxy could not start"
    assert dialog.message.text() == "Port in use."
    assert dialog.isVisible()


def test_without_dialogs_errors_are_logged(qtbot, caplog):
    presenter = ErrorPresenter(dialogs=False)
    with caplog.at_level(logging.ERROR):
        presenter.report(ProxyStartError("Port in use.", "errno 98"))
        qtbot.waitUntil(lambda: "Port in use." in caplog.text, timeout=2000)
    assert presenter.dialogs == []
    assert "errno 98" in caplog.text


def test_hooks_route_uncaught_exceptions_from_any_thread(qtbot, caplog):
    presenter = ErrorPresenter(dialogs=False)
    before = (sys.excepthook, threading.excepthook)
    presenter.install_hooks()
    assert sys.excepthook is not before[0]
    try:
        with caplog.at_level(logging.ERROR):
            worker = threading.Thread(target=lambda: 1 / 0)
            worker.start()
            worker.join()
            qtbot.waitUntil(lambda: "ZeroDivisionError" in caplog.text, timeout=2000)
    finally:
        presenter.uninstall_hooks()
    assert (sys.excepthook, threading.excepthook) == before
