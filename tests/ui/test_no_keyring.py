"""No OS keyring: the tray offers, in a window, to keep the secret in a private file in the data folder."""

import logging
import os
import stat

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from desktop_app.core.team.secrets import CachedSecret, FileSecretStore, KeyringSecretStore, open_secret_store
from desktop_app.ui.icons import TrayState
from tests.ui.conftest import FakeEngine
from tests.ui.driving import action, configured


class SecretEngine(FakeEngine):
    """Like the real engine, it needs the secret to start."""

    def __init__(self, bridge, secret) -> None:
        super().__init__(bridge)
        self.secret = secret

    def start(self):
        self.secret()
        return super().start()


@pytest.fixture
def no_keyring():
    keyring.set_keyring(keyring.backends.fail.Keyring())  # the autouse fixture restores the previous one


def build(make_app):
    secret = CachedSecret(KeyringSecretStore())
    return make_app(engine_factory=lambda bridge: SecretEngine(bridge, secret), secret=secret)


def choice(qtbot, app):
    qtbot.waitUntil(lambda: app.controller.secret.dialog is not None and app.controller.secret.dialog.isVisible(),
                    timeout=3000)
    return app.controller.secret.dialog


def test_first_launch_without_a_keyring_offers_the_file_before_the_wizard(make_app, qtbot, paths, no_keyring,
                                                                         caplog):
    app = build(make_app)
    with caplog.at_level(logging.WARNING):
        app.launch()
        dialog = choice(qtbot, app)
    assert caplog.records == []  # no error report: the window explains it
    assert app.controller.setup.wizard is None  # the wizard waits: its passwords need the secret
    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    secret_file = paths.data_dir / "credential-secret"
    assert dialog.path.text() == str(secret_file)
    assert "readable only by you" in texts and "can compute every developer's password" in texts
    assert "No recommended backend was available" in texts  # the library's reason, once, muted
    dialog.findChild(QPushButton, "keep_in_file").click()
    qtbot.waitUntil(lambda: app.controller.setup.wizard is not None, timeout=3000)
    qtbot.addWidget(app.controller.setup.wizard)
    assert app.ctx.secret.loaded
    if os.name == "posix":
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    remembered = open_secret_store(None, paths.data_dir)  # the next start and every command use it
    assert isinstance(remembered, FileSecretStore) and remembered.load() == app.ctx.secret()


def test_the_choice_is_remembered_across_starts(make_app, qtbot, paths, no_keyring):
    configured(paths)
    first = build(make_app)
    first.launch()
    choice(qtbot, first).findChild(QPushButton, "keep_in_file").click()
    qtbot.waitUntil(lambda: first.proxy.state is TrayState.RUNNING, timeout=3000)
    secret = first.ctx.secret()
    second_secret = CachedSecret(open_secret_store(None, paths.data_dir))  # what `copilot-insight` builds
    second = make_app(engine_factory=lambda bridge: SecretEngine(bridge, second_secret), secret=second_secret)
    second.launch()
    qtbot.waitUntil(lambda: second.proxy.state is TrayState.RUNNING, timeout=3000)
    assert second.controller.secret.dialog is None
    assert second_secret() == secret


def test_not_now_is_not_asked_again_until_the_lead_starts_the_proxy(make_app, qtbot, paths, no_keyring):
    configured(paths)
    app = build(make_app)
    app.launch()
    choice(qtbot, app).findChild(QPushButton, "not_now").click()
    status = "Not running: no keyring for the secret — open for details"
    qtbot.waitUntil(lambda: action(app, "status_line").text() == status, timeout=3000)
    assert app.controller.secret.dialog is None
    assert any("Start it again to keep the secret in a file" in m for _t, m in app.tray.notifications)
    assert not (paths.data_dir / "credential-secret").exists()
    action(app, "toggle_proxy").trigger()  # the lead asks: the choice comes back, and "keep" starts it
    choice(qtbot, app).findChild(QPushButton, "keep_in_file").click()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=3000)


def test_screenshot_of_the_no_keyring_choice(make_app, qtbot, paths, no_keyring, tmp_path_factory):
    app = build(make_app)
    app.launch()
    dialog = choice(qtbot, app)
    QApplication.processEvents()
    folder = os.environ.get("COPILOT_INSIGHT_SCREENSHOTS")
    target = (tmp_path_factory.mktemp("shots") if not folder else __import__("pathlib").Path(folder))
    assert dialog.grab().save(str(target / "no-keyring-choice.png"))
    dialog.reject()


def test_the_status_line_offers_the_choice_again(make_app, qtbot, paths, no_keyring):
    configured(paths)
    app = build(make_app)
    app.launch()
    choice(qtbot, app).findChild(QPushButton, "not_now").click()
    qtbot.waitUntil(lambda: action(app, "status_line").text().endswith("open for details"), timeout=3000)
    action(app, "status_line").trigger()  # "open for details"
    assert choice(qtbot, app) is not None
