"""The wired tray application with a fake engine: launch, every menu action, errors, activity, quit."""

import logging
import threading

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QWidget

from desktop_app.core.errors import ProxyStartError, SecretStoreError
from desktop_app.core.guide.snippets import DeveloperCa
from desktop_app.core.team.directory import add_developer
from desktop_app.core.team.settings import Settings, load_settings
from desktop_app.ui.dialogs.wizard import WizardResult
from desktop_app.ui.engine import EngineStatus
from desktop_app.ui.errors import short_reason
from desktop_app.ui.icons import TrayState
from desktop_app.ui.setup_presenter import apply_wizard
from tests.ui.driving import action, configured, record, running_app


def test_first_launch_opens_the_wizard_and_does_not_start(make_app, qtbot, paths):
    app = make_app()
    app.launch()
    qtbot.waitUntil(lambda: app.controller.setup.wizard is not None, timeout=3000)  # after the secret is read
    wizard = app.controller.setup.wizard
    assert wizard is not None and wizard.isVisible()
    qtbot.addWidget(wizard)
    assert app.proxy.state is TrayState.STOPPED
    assert action(app, "status_line").text() == "Proxy stopped"


def test_finishing_the_wizard_saves_the_choices_and_starts(make_app, qtbot, paths):
    app = make_app()
    app.launch()
    qtbot.waitUntil(lambda: app.controller.setup.wizard is not None, timeout=3000)
    wizard = app.controller.setup.wizard
    qtbot.addWidget(wizard)
    result = WizardResult("0.0.0.0", 8123, "content", ("alice", "bob"), start_proxy=True)
    wizard.completed.emit(result)
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=3000)
    saved = load_settings(paths.settings_file)
    assert (saved.proxy.listen_host, saved.proxy.listen_port, saved.recording.level) == ("0.0.0.0", 8123, "content")
    assert [d.name for d in saved.developers] == ["alice", "bob"]


def test_finish_opens_the_chosen_window_and_cancel_leaves_set_up_in_the_menu(make_app, qtbot, paths, fake_os):
    app = make_app()
    app.launch()
    qtbot.waitUntil(lambda: app.controller.setup.wizard is not None, timeout=3000)
    wizard = app.controller.setup.wizard
    assert wizard.result_value().listen_host == "192.168.1.20"  # the LAN address is proposed
    setup = action(app, "open_setup")
    assert setup.isVisible() and setup.text() == "Set up…"
    wizard.reject()
    qtbot.waitUntil(lambda: app.controller.setup.wizard is None, timeout=3000)
    assert setup.isVisible()  # after Cancel the menu still offers the wizard
    setup.trigger()
    wizard = app.controller.setup.wizard
    assert wizard is not None and wizard.isVisible()
    qtbot.addWidget(wizard)
    wizard.completed.emit(WizardResult("127.0.0.1", 8123, "metadata", ("alice",), start_proxy=False))
    qtbot.waitUntil(lambda: app.controller.team.dialog is not None and app.controller.team.dialog.isVisible(),
                    timeout=3000)
    qtbot.addWidget(app.controller.team.dialog)
    assert not setup.isVisible()
    app.controller.setup.wizard_finished.emit(load_settings(paths.settings_file),
                                              WizardResult("127.0.0.1", 8123, "metadata", (), False, "ca_guide"))
    guide = app.controller.ca_guide.window
    assert guide is not None and guide.isVisible()
    qtbot.addWidget(guide)


def test_apply_wizard_keeps_existing_developers():
    existing = add_developer(Settings(), "Alice")
    result = apply_wizard(existing, WizardResult("127.0.0.1", 8080, "metadata", ("alice", "carol"), True))
    assert [d.name for d in result.developers] == ["Alice", "carol"]


def test_launch_starts_the_proxy_off_the_gui_thread(make_app, qtbot, paths):
    app = running_app(make_app, qtbot, paths)
    engine = app.proxy._engine
    assert engine.calls[0][0] == "start"
    assert engine.calls[0][1] != threading.main_thread().name
    assert action(app, "toggle_proxy").text() == "Stop proxy"
    assert action(app, "status_line").text() == "Running on 192.168.1.20:8080 · 0 active · 0 requests today"
    assert "Running on 192.168.1.20:8080" in app.tray.icon.toolTip()
    assert ("Copilot Insight", "The proxy is running on 192.168.1.20:8080.") in app.tray.notifications


def test_the_heap_alive_when_the_proxy_started_is_left_out_of_collections_until_shutdown(make_app, qtbot, paths):
    import gc

    app = running_app(make_app, qtbot, paths)
    assert gc.get_freeze_count() > 0  # long-lived: full collections do not walk it, so they stay short
    app.shutdown()
    assert gc.get_freeze_count() == 0


def test_launch_respects_start_proxy_on_launch_off(make_app, qtbot, paths):
    configured(paths, start_proxy_on_launch=False)
    app = make_app()
    app.launch()
    qtbot.wait(300)
    assert app.proxy.state is TrayState.STOPPED
    assert app.proxy._engine.calls == []


def test_toggle_stops_and_starts(make_app, qtbot, paths):
    app = running_app(make_app, qtbot, paths)
    action(app, "toggle_proxy").trigger()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.STOPPED, timeout=3000)
    assert not app.proxy._engine.running
    assert action(app, "toggle_proxy").text() == "Start proxy"
    assert any("stopped" in message for _title, message in app.tray.notifications)
    action(app, "toggle_proxy").trigger()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=3000)


def test_start_failure_shows_the_fix_in_a_dialog_and_the_status(make_app, qtbot, paths):
    configured(paths)

    def failing(bridge):
        from tests.ui.conftest import FakeEngine

        engine = FakeEngine(bridge)
        engine.failure = ProxyStartError("Port 8080 is already in use. Quit the other program or choose "
                                         "another port in Settings.", "errno 98")
        return engine

    app = make_app(error_dialogs=True, engine_factory=failing)
    app.launch()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.ERROR, timeout=3000)
    qtbot.waitUntil(lambda: len(app.errors.dialogs) == 1, timeout=3000)
    dialog = app.errors.dialogs[0]
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "The proxy could not start"
    assert "Port 8080 is already in use" in dialog.message.text()
    status = action(app, "status_line")
    assert status.text() == "Not running: Port 8080 is already in use — open for details"
    assert action(app, "toggle_proxy").text() == "Start proxy"
    assert status.isEnabled()
    dialog.close()
    status.trigger()  # "open for details" shows the error again
    qtbot.waitUntil(lambda: any(d.isVisible() for d in app.errors.dialogs), timeout=3000)


def test_unreadable_settings_are_reported_and_nothing_starts(make_app, qtbot, paths, caplog):
    paths.settings_file.parent.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text("{ not json", encoding="utf-8")
    app = make_app()
    with caplog.at_level(logging.ERROR):
        app.launch()
        qtbot.waitUntil(lambda: "not valid JSON" in caplog.text, timeout=3000)
    assert app.proxy.state is TrayState.STOPPED
    assert action(app, "status_line").text() == "Not running: the settings cannot be used — open for details"


@pytest.mark.parametrize(("error", "short"), [
    (SecretStoreError("No system keyring is available on this computer (the keyring library says: "
                      "No recommended backend was available. Install a recommended 3rd party backend …)."),
     "no keyring"),
    (ProxyStartError("Port 8080 on 127.0.0.1 is already in use by another program. Choose another port."),
     "Port 8080 on 127.0.0.1 is already in use by another program"),
    (RuntimeError("x" * 300), "Something unexpected went wrong"),
])
def test_status_lines_are_short_and_never_cut(error, short):
    assert short_reason(error) == short


def test_engine_errors_reach_the_user_as_a_throttled_notification(make_app, qtbot, paths):
    app = running_app(make_app, qtbot, paths)
    for i in range(3):
        threading.Thread(target=app.bridge.on_error, args=(f"TLS handshake failed {i}",)).start()
    qtbot.waitUntil(lambda: app.controller.last_engine_error == "TLS handshake failed 2", timeout=3000)
    warnings = [m for title, m in app.tray.notifications if title == "Proxy problem"]
    assert warnings == ["TLS handshake failed 0"]
    assert "Last problem: TLS handshake failed 2" in app.tray.icon.toolTip()


def test_recorded_usage_updates_the_status_and_announces_first_requests(make_app, qtbot, paths):
    app = running_app(make_app, qtbot, paths, notify_first_request=True)
    qtbot.waitUntil(lambda: app.controller.activity.today.day != "", timeout=3000)
    record(paths, app.bridge, "alice", "alice")
    qtbot.waitUntil(lambda: "1 active · 2 requests today" in action(app, "status_line").text(), timeout=5000)
    record(paths, app.bridge, "bob")
    qtbot.waitUntil(lambda: "2 active · 3 requests today" in action(app, "status_line").text(), timeout=5000)
    firsts = [m for _t, m in app.tray.notifications if "first Copilot request" in m]
    assert firsts == ["alice sent their first Copilot request today.", "bob sent their first Copilot request today."]


@pytest.mark.parametrize(("name", "window"), [
    ("open_dashboard", "dashboard_window"), ("open_ca_guide", "ca_guide_window"),
    ("export_this_month", "export_window"), ("open_about", "about_window"),
])
def test_informational_windows_open_and_come_forward_once(make_app, qtbot, paths, name, window):
    app = running_app(make_app, qtbot, paths)
    action(app, name).trigger()
    shown = [w for w in QApplication.topLevelWidgets() if w.objectName() == window and w.isVisible()]
    assert len(shown) == 1
    qtbot.addWidget(shown[0])
    action(app, name).trigger()
    assert len([w for w in QApplication.topLevelWidgets() if w.objectName() == window]) == 1


def test_team_action_opens_the_team_dialog_with_today(make_app, qtbot, paths):
    app = running_app(make_app, qtbot, paths)
    action(app, "open_team").trigger()
    dialog = app.controller.team.dialog
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.findChild(QWidget, "team_table").model().rowCount() == 2, timeout=3000)
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: app.ctx.secret.loaded and app.controller.team.certificate is not None, timeout=3000)
    access = app.controller.team.access_for("alice")
    assert access is not None
    assert (access.host, access.port) == ("127.0.0.1", 8080)
    warning = dialog.findChild(QLabel, "local_only_warning")
    assert warning.isVisible() and "only this computer can use these settings" in warning.text()
    # The snippets fetch the CA from the setup page and check this fingerprint; no path on this computer.
    assert access.ca == DeveloperCa(app.ctx.ca.describe().fingerprint, "http://127.0.0.1:8081/")
    dialog.set_rows([])  # the rows again, now that the secret and the CA are known
    app.controller.team.refresh_activity()
    assert dialog.findChild(QPushButton, "copy_shell").isEnabled()


def test_team_changes_are_saved_and_a_new_secret_restarts_the_proxy(make_app, qtbot, paths):
    app = running_app(make_app, qtbot, paths)
    app.tray.team_requested.emit()
    dialog = app.controller.team.dialog
    qtbot.addWidget(dialog)
    dialog.add_requested.emit("carol")
    qtbot.waitUntil(lambda: load_settings(paths.settings_file).developer("carol") is not None, timeout=3000)
    dialog.enabled_change_requested.emit("bob", False)
    qtbot.waitUntil(lambda: not load_settings(paths.settings_file).developer("bob").enabled, timeout=3000)
    dialog.add_requested.emit("carol")  # a duplicate: an error, nothing lost
    qtbot.waitUntil(lambda: True, timeout=100)
    before = app.ctx.secret()
    dialog.rotate_secret_requested.emit()
    qtbot.waitUntil(lambda: [c for c, _ in app.proxy._engine.calls].count("start") == 2, timeout=3000)
    assert app.ctx.secret() != before
    assert any("every developer needs" in m for _t, m in app.tray.notifications)


def test_settings_that_need_it_restart_the_proxy(make_app, qtbot, paths, fake_os):
    app = running_app(make_app, qtbot, paths)
    app.tray.settings_requested.emit()
    qtbot.waitUntil(lambda: app.controller.setup.settings_dialog is not None, timeout=3000)
    dialog = app.controller.setup.settings_dialog
    qtbot.addWidget(dialog)
    current = dialog.current_settings()
    from dataclasses import replace

    changed = replace(current, proxy=replace(current.proxy, listen_port=9099),
                      desktop=replace(current.desktop, launch_at_login=True))
    dialog.settings_accepted.emit(changed)
    qtbot.waitUntil(lambda: [c for c, _ in app.proxy._engine.calls].count("start") == 2, timeout=3000)
    saved = load_settings(paths.settings_file)
    assert saved.proxy.listen_port == 9099
    assert [d.name for d in saved.developers] == ["alice", "bob"]
    assert fake_os.launch_at_login == [True]


def test_open_data_folder_asks_the_desktop(make_app, qtbot, paths, fake_os):
    app = running_app(make_app, qtbot, paths)
    action(app, "open_data_folder").trigger()
    assert [url.toLocalFile() for url in fake_os.opened] == [str(paths.data_dir)]


def test_open_data_folder_without_a_file_manager_says_where_it_is(make_app, qtbot, paths, fake_os):
    app = running_app(make_app, qtbot, paths)
    shown = []
    app.ctx.errors.reported.connect(lambda error, title: shown.append((title, error.user_message)))
    fake_os.can_open = False
    action(app, "open_data_folder").trigger()
    assert shown and shown[0][0] == "The data folder cannot be opened here"
    assert str(paths.data_dir) in shown[0][1] and "no program that opens folders" in shown[0][1]


def test_quit_stops_the_proxy_first(make_app, qtbot, paths):
    app = running_app(make_app, qtbot, paths)
    exits = []
    app.controller.exit_application = lambda: exits.append(app.proxy.state)
    action(app, "quit").trigger()
    qtbot.waitUntil(lambda: exits == [TrayState.STOPPED], timeout=3000)
    assert not app.proxy._engine.running


def test_bring_forward_shows_the_team_and_says_so(make_app, qtbot, paths):
    app = running_app(make_app, qtbot, paths)
    app.controller.bring_forward()
    qtbot.addWidget(app.controller.team.dialog)
    assert app.controller.team.dialog.isVisible()
    assert "already running" in app.tray.notifications[-1][1]


def test_a_receiver_that_could_not_start_is_told_with_the_running_proxy(make_app, qtbot, paths):
    configured(paths)
    app = make_app()
    app.proxy._engine.status = EngineStatus("0.0.0.0", 8080, records_content=False,
                                            otlp_problem="Port 4318 on 0.0.0.0 is already in use.")
    app.launch()
    qtbot.waitUntil(lambda: app.proxy.state is TrayState.RUNNING, timeout=3000)
    told = ("The proxy is running on 192.168.1.20:8080. The OpenTelemetry receiver could not start: Port 4318 on "
            "0.0.0.0 is already in use.")
    assert ("Copilot Insight", told) in app.tray.notifications
