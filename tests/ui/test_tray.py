"""The tray menu: every action exists, has a name, and emits what it stands for."""

import pytest
from PySide6.QtGui import QAction

from desktop_app.ui.icons import TrayState
from desktop_app.ui.tray import EXPORT_PERIODS, Tray

PLAIN_ACTIONS = {
    "toggle_proxy": "toggle_proxy_requested",
    "open_dashboard": "dashboard_requested",
    "open_team": "team_requested",
    "open_ca_guide": "ca_guide_requested",
    "open_settings": "settings_requested",
    "open_setup": "setup_requested",
    "open_data_folder": "open_data_folder_requested",
    "open_about": "about_requested",
    "quit": "quit_requested",
}


@pytest.fixture
def tray(qtbot):
    tray = Tray()
    yield tray
    tray.hide()


def action(tray, name) -> QAction:
    found = tray.menu.findChild(QAction, name)
    assert found is not None, f"no action named {name!r}"
    return found


def test_menu_lists_the_entries_in_order(tray):
    names = [a.objectName() or ("---" if a.isSeparator() else a.text()) for a in tray.menu.actions()]
    assert names == ["toggle_proxy", "status_line", "open_setup", "---", "open_dashboard", "open_team", "open_ca_guide",
                     "Export report", "---", "open_settings", "open_data_folder", "open_about", "---", "quit"]
    assert not action(tray, "status_line").isEnabled()
    assert not action(tray, "open_setup").isVisible()  # only until the first-run wizard was finished
    tray.show_setup(True)
    assert action(tray, "open_setup").isVisible()


@pytest.mark.parametrize(("name", "signal"), PLAIN_ACTIONS.items())
def test_each_action_emits_its_intent(qtbot, tray, name, signal):
    with qtbot.waitSignal(getattr(tray, signal), timeout=1000):
        action(tray, name).trigger()


@pytest.mark.parametrize("period", EXPORT_PERIODS)
def test_each_export_period_emits_its_name(qtbot, tray, period):
    assert tray.export_menu.objectName() == "export_menu"
    with qtbot.waitSignal(tray.export_requested, timeout=1000) as caught:
        action(tray, f"export_{period}").trigger()
    assert caught.args == [period]


def test_state_changes_text_icon_and_tooltip(tray):
    tray.show()
    stopped = tray.icon.icon().pixmap(32).toImage()
    tray.set_state(TrayState.RUNNING, recording_content=False, status="Running on x:1", tooltip="tip one")
    assert action(tray, "toggle_proxy").text() == "Stop proxy"
    assert action(tray, "status_line").text() == "Running on x:1"
    assert tray.icon.toolTip() == "tip one"
    assert tray.icon.icon().pixmap(32).toImage() != stopped
    tray.set_state(TrayState.STARTING, recording_content=False, status="Starting", tooltip="t")
    assert not action(tray, "toggle_proxy").isEnabled()
    tray.set_state(TrayState.ERROR, recording_content=False, status="Not running: x", tooltip="t")
    assert action(tray, "toggle_proxy").text() == "Start proxy"
    assert action(tray, "toggle_proxy").isEnabled()


def test_notifications_are_kept_for_inspection_and_bounded(tray):
    for i in range(60):
        tray.notify("Title", f"message {i}")
    assert len(tray.notifications) == 50
    assert tray.notifications[-1] == ("Title", "message 59")
