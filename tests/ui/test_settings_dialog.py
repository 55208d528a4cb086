from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
)

from desktop_app.core.team.settings import DesktopSettings, Developer, ProxySettings, RecordingSettings, Settings
from desktop_app.ui.dialogs.settings_dialog import SettingsDialog, proxy_restart_needed, split_hosts

DEVELOPERS = (
    Developer(name="alice", created="2026-01-31T09:00:00+00:00", generation=2),
    Developer(name="bob", created="2026-02-01T10:30:00+00:00", enabled=False),
)
ORIGINAL = Settings(
    proxy=ProxySettings(listen_host="192.168.1.20", listen_port=9090, copilot_only=True,
                        extra_hosts=("copilot.corp.example", "*.corp.example")),
    recording=RecordingSettings(level="content", content_retention_days=7, event_retention_days=90),
    desktop=DesktopSettings(start_proxy_on_launch=False, launch_at_login=True, notify_first_request=True),
    time_zone="Europe/Berlin",
    developers=DEVELOPERS,
)
LAN = ["192.168.1.20", "10.0.0.5", "10.0.0.5", "127.0.0.1", "::1", "0.0.0.0"]


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "Copilot Insight data"


AUTOSTART_WHERE = "~/.config/autostart/copilot-insight.desktop"


@pytest.fixture
def make_dialog(qtbot, data_dir):
    def make(settings=ORIGINAL, lan_addresses=LAN):
        dialog = SettingsDialog(settings, data_dir, lan_addresses, autostart_where=AUTOSTART_WHERE)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    return make


def child(dialog, kind, name):
    widget = dialog.findChild(kind, name)
    assert widget is not None, f"no {kind.__name__} named {name!r}"
    return widget


def ok_button(dialog):
    return child(dialog, QPushButton, "settings_ok")


def problems_text(dialog):
    label = child(dialog, QLabel, "problems_label")
    return label.text() if label.isVisible() else ""


# --- showing --------------------------------------------------------------------------------------


def test_form_shows_the_given_settings(make_dialog, data_dir):
    dialog = make_dialog()
    assert dialog.objectName() == "settings_dialog"
    assert dialog.windowTitle() == "Settings"
    host = child(dialog, QComboBox, "listen_host")
    assert host.isEditable()
    assert host.currentData() == "192.168.1.20"
    assert child(dialog, QSpinBox, "listen_port").value() == 9090
    assert child(dialog, QCheckBox, "copilot_only").isChecked()
    assert child(dialog, QLineEdit, "extra_hosts").text() == "copilot.corp.example, *.corp.example"
    assert child(dialog, QRadioButton, "record_content").isChecked()
    assert not child(dialog, QRadioButton, "record_metadata").isChecked()
    assert child(dialog, QSpinBox, "content_retention_days").value() == 7
    assert child(dialog, QSpinBox, "event_retention_days").value() == 90
    assert child(dialog, QComboBox, "time_zone").currentText() == "Europe/Berlin"
    assert not child(dialog, QCheckBox, "start_proxy_on_launch").isChecked()
    assert child(dialog, QCheckBox, "launch_at_login").isChecked()
    assert child(dialog, QCheckBox, "notify_first_request").isChecked()
    folder = child(dialog, QLineEdit, "data_folder")
    assert folder.text() == str(data_dir)
    assert folder.isReadOnly()
    assert dialog.current_settings() == ORIGINAL
    assert dialog.problems() == []
    assert ok_button(dialog).isEnabled()
    assert problems_text(dialog) == ""
    assert not child(dialog, QLabel, "restart_note").isVisible()


def test_defaults_show_local_host_metadata_and_this_computers_zone(make_dialog):
    dialog = make_dialog(Settings())
    host = child(dialog, QComboBox, "listen_host")
    assert host.currentData() == "127.0.0.1"
    assert "this computer only" in host.currentText()
    assert child(dialog, QRadioButton, "record_metadata").isChecked()
    zone = child(dialog, QComboBox, "time_zone")
    assert zone.currentIndex() == 0
    assert zone.currentText() == "This computer's time zone"
    assert zone.itemData(0) == ""
    assert dialog.current_settings() == Settings()


def test_listen_host_offers_local_all_and_each_lan_address_once(make_dialog):
    dialog = make_dialog()
    host = child(dialog, QComboBox, "listen_host")
    data = [host.itemData(i) for i in range(host.count())]
    assert data == ["127.0.0.1", "0.0.0.0", "192.168.1.20", "10.0.0.5"]
    assert "all network interfaces" in host.itemText(1)


def test_time_zone_lists_every_zone_sorted_after_this_computers(make_dialog):
    import zoneinfo

    dialog = make_dialog()
    zone = child(dialog, QComboBox, "time_zone")
    names = [zone.itemText(i) for i in range(1, zone.count())]
    assert names == sorted(zoneinfo.available_timezones())
    assert zone.isEditable()


def test_unlisted_host_and_zone_are_shown_as_typed(make_dialog):
    settings = replace(ORIGINAL, proxy=replace(ORIGINAL.proxy, listen_host="10.9.8.7"), time_zone="Mars/Olympus")
    dialog = make_dialog(settings)
    assert child(dialog, QComboBox, "listen_host").currentText() == "10.9.8.7"
    assert child(dialog, QComboBox, "time_zone").currentText() == "Mars/Olympus"
    assert dialog.current_settings() == settings
    assert not ok_button(dialog).isEnabled()  # the unknown zone from the file is flagged at once


def test_recording_levels_are_explained(make_dialog):
    dialog = make_dialog()
    metadata = child(dialog, QLabel, "record_metadata_help").text()
    content = child(dialog, QLabel, "record_content_help").text()
    for word in ("Who", "when", "feature", "model", "tokens", "credits", "status", "Never prompts or code"):
        assert word in metadata
    for word in ("prompts and answers", "redacted", "this computer"):
        assert word in content


def test_launch_at_login_says_where_it_is_written(make_dialog):
    dialog = make_dialog()
    assert AUTOSTART_WHERE in child(dialog, QCheckBox, "launch_at_login").toolTip()


def test_data_folder_note_names_both_ways_to_move_it(make_dialog):
    dialog = make_dialog()
    note = child(dialog, QLabel, "data_folder_note").text()
    assert "--data-dir" in note
    assert "COPILOT_INSIGHT_HOME" in note


# --- editing and OK -------------------------------------------------------------------------------


def test_editing_every_field_and_ok_emits_the_new_settings(qtbot, make_dialog):
    dialog = make_dialog()
    child(dialog, QComboBox, "listen_host").setCurrentIndex(1)
    port = child(dialog, QSpinBox, "listen_port")
    port.clear()
    qtbot.keyClicks(port, "8443")
    child(dialog, QCheckBox, "copilot_only").click()
    hosts = child(dialog, QLineEdit, "extra_hosts")
    hosts.clear()
    qtbot.keyClicks(hosts, "Copilot.Example.COM,  *.ghe.example ,")
    child(dialog, QRadioButton, "record_metadata").click()
    child(dialog, QSpinBox, "content_retention_days").setValue(14)
    child(dialog, QSpinBox, "event_retention_days").setValue(3650)
    child(dialog, QComboBox, "time_zone").setCurrentText("America/New_York")
    for name in ("start_proxy_on_launch", "launch_at_login", "notify_first_request"):
        child(dialog, QCheckBox, name).click()

    expected = Settings(
        proxy=ProxySettings(listen_host="0.0.0.0", listen_port=8443, copilot_only=False,
                            extra_hosts=("copilot.example.com", "*.ghe.example")),
        recording=RecordingSettings(level="metadata", content_retention_days=14, event_retention_days=3650),
        desktop=DesktopSettings(start_proxy_on_launch=True, launch_at_login=False, notify_first_request=False),
        time_zone="America/New_York",
        developers=DEVELOPERS,
    )
    with qtbot.waitSignal(dialog.settings_accepted, timeout=1000) as blocker:
        qtbot.mouseClick(ok_button(dialog), Qt.MouseButton.LeftButton)
    assert blocker.args == [expected]
    assert blocker.args[0].developers is ORIGINAL.developers
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.isVisible()


def test_typed_host_and_local_zone_are_saved_as_values_not_labels(qtbot, make_dialog):
    dialog = make_dialog()
    host = child(dialog, QComboBox, "listen_host")
    host.lineEdit().clear()
    qtbot.keyClicks(host.lineEdit(), " 10.1.2.3 ")
    child(dialog, QComboBox, "time_zone").setCurrentIndex(0)
    with qtbot.waitSignal(dialog.settings_accepted, timeout=1000) as blocker:
        ok_button(dialog).click()
    assert blocker.args[0].proxy.listen_host == "10.1.2.3"
    assert blocker.args[0].time_zone == ""


def test_clearing_extra_hosts_saves_none(qtbot, make_dialog):
    dialog = make_dialog()
    child(dialog, QLineEdit, "extra_hosts").clear()
    with qtbot.waitSignal(dialog.settings_accepted, timeout=1000) as blocker:
        ok_button(dialog).click()
    assert blocker.args[0].proxy.extra_hosts == ()


def test_split_hosts():
    assert split_hosts("") == ()
    assert split_hosts(" , ") == ()
    assert split_hosts(" A.example, b.example ,c.example,,a.example ,") == ("a.example", "b.example", "c.example")
    assert split_hosts("no way") == ("no way",)


# --- problems -------------------------------------------------------------------------------------


def test_invalid_listen_host_disables_ok_and_is_listed(make_dialog):
    dialog = make_dialog()
    host = child(dialog, QComboBox, "listen_host")
    host.setEditText("proxy.local")
    assert not ok_button(dialog).isEnabled()
    assert dialog.problems() == [
        "'proxy.local' is not an IP address (use 127.0.0.1 for this computer only, 0.0.0.0 for all)."]
    assert dialog.problems()[0] in problems_text(dialog)
    host.setEditText("")
    assert dialog.problems() == ["The listen address must be an IP address such as 127.0.0.1 or 0.0.0.0."]
    assert not ok_button(dialog).isEnabled()
    assert child(dialog, QLabel, "problems_label").isVisible()
    host.setEditText("10.0.0.7")
    assert ok_button(dialog).isEnabled()
    assert not child(dialog, QLabel, "problems_label").isVisible()


def test_unknown_time_zone_disables_ok_and_is_listed(make_dialog):
    dialog = make_dialog()
    zone = child(dialog, QComboBox, "time_zone")
    zone.setEditText("Europe/Atlantis")
    assert not ok_button(dialog).isEnabled()
    [problem] = dialog.problems()
    assert problem.startswith("'Europe/Atlantis' is not a time zone this computer knows")
    assert problem in problems_text(dialog)
    zone.setEditText("UTC")
    assert ok_button(dialog).isEnabled()


def test_bad_extra_host_disables_ok_and_is_listed(make_dialog):
    dialog = make_dialog()
    hosts = child(dialog, QLineEdit, "extra_hosts")
    hosts.setText("copilot.example.com, bad_host!, https://x.example")
    assert not ok_button(dialog).isEnabled()
    assert dialog.problems() == [
        "'bad_host!' is not a host name: use names such as copilot.example.com or *.example.com.",
        "'https://x.example' is not a host name: use names such as copilot.example.com or *.example.com.",
    ]
    for problem in dialog.problems():
        assert problem in problems_text(dialog)
    hosts.setText("copilot.example.com")
    assert ok_button(dialog).isEnabled()


def test_every_problem_is_listed_at_once(make_dialog):
    dialog = make_dialog()
    child(dialog, QComboBox, "listen_host").setEditText("nope")
    child(dialog, QLineEdit, "extra_hosts").setText("no way")
    child(dialog, QComboBox, "time_zone").setEditText("Nowhere/Land")
    problems = dialog.problems()
    assert len(problems) == 3
    assert problems_text(dialog).splitlines() == [f"• {problem}" for problem in problems]


def test_accept_with_problems_emits_nothing_and_stays_open(qtbot, make_dialog):
    dialog = make_dialog()
    child(dialog, QComboBox, "listen_host").setEditText("nope")
    with qtbot.assertNotEmitted(dialog.settings_accepted):
        dialog.accept()  # what Enter in a field would do
    assert dialog.isVisible()


# --- restart note ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "edit", "shown"), [
    ("listen_port", lambda w: w.setValue(9091), True),
    ("copilot_only", lambda w: w.setChecked(False), True),
    ("extra_hosts", lambda w: w.setText("copilot.corp.example"), True),
    ("record_metadata", lambda w: w.setChecked(True), True),
    ("content_retention_days", lambda w: w.setValue(8), True),
    ("event_retention_days", lambda w: w.setValue(91), True),
    ("time_zone", lambda w: w.setCurrentText("UTC"), True),
    ("launch_at_login", lambda w: w.setChecked(False), False),
    ("start_proxy_on_launch", lambda w: w.setChecked(True), False),
    ("notify_first_request", lambda w: w.setChecked(False), False),
    ("setup_page", lambda w: w.setChecked(False), True),
    ("setup_port", lambda w: w.setValue(9000), True),
    ("extra_hosts", lambda w: w.setText("*.corp.example, copilot.corp.example"), True),
    ("extra_hosts", lambda w: w.setText("COPILOT.corp.example,*.corp.example"), False),
])
def test_restart_note_shows_only_for_changes_the_proxy_needs(make_dialog, name, edit, shown):
    dialog = make_dialog()
    note = child(dialog, QLabel, "restart_note")
    assert not note.isVisible()
    edit(dialog.findChild(object, name))
    assert note.isVisible() is shown
    if shown:
        assert note.text() == "Saving restarts the proxy: developers' connections reconnect."


def test_restart_note_hides_again_when_the_change_is_undone(make_dialog):
    dialog = make_dialog()
    port, note = child(dialog, QSpinBox, "listen_port"), child(dialog, QLabel, "restart_note")
    port.setValue(1)
    assert note.isVisible()
    port.setValue(9090)
    assert not note.isVisible()


@pytest.mark.parametrize(("change", "needed"), [
    ({}, False),
    ({"proxy": replace(ORIGINAL.proxy, listen_host="0.0.0.0")}, True),
    ({"proxy": replace(ORIGINAL.proxy, listen_port=1)}, True),
    ({"proxy": replace(ORIGINAL.proxy, copilot_only=False)}, True),
    ({"proxy": replace(ORIGINAL.proxy, extra_hosts=())}, True),
    ({"recording": replace(ORIGINAL.recording, level="metadata")}, True),
    ({"recording": replace(ORIGINAL.recording, content_retention_days=1)}, True),
    ({"recording": replace(ORIGINAL.recording, event_retention_days=1)}, True),
    ({"time_zone": ""}, True),
    ({"proxy": replace(ORIGINAL.proxy, setup_page=False)}, True),
    ({"proxy": replace(ORIGINAL.proxy, setup_port=9000)}, True),
    ({"desktop": DesktopSettings()}, False),
    ({"desktop": replace(ORIGINAL.desktop, launch_at_login=False)}, False),
    ({"developers": ()}, False),
    ({"developers": (*DEVELOPERS, Developer(name="carol", created="2026-03-01T00:00:00+00:00"))}, False),
    ({"desktop": DesktopSettings(), "developers": (), "time_zone": "UTC"}, True),
])
def test_proxy_restart_needed(change, needed):
    assert proxy_restart_needed(ORIGINAL, replace(ORIGINAL, **change)) is needed
    assert proxy_restart_needed(replace(ORIGINAL, **change), ORIGINAL) is needed


# --- data folder and cancel -----------------------------------------------------------------------


def test_open_data_folder_button_emits(qtbot, make_dialog):
    dialog = make_dialog()
    with qtbot.waitSignal(dialog.open_data_folder_requested, timeout=1000):
        qtbot.mouseClick(child(dialog, QPushButton, "open_data_folder"), Qt.MouseButton.LeftButton)
    assert dialog.isVisible()


def test_cancel_emits_nothing_and_closes(qtbot, make_dialog):
    dialog = make_dialog()
    child(dialog, QSpinBox, "listen_port").setValue(1234)
    with qtbot.assertNotEmitted(dialog.settings_accepted), qtbot.waitSignal(dialog.rejected, timeout=1000):
        qtbot.mouseClick(child(dialog, QPushButton, "settings_cancel"), Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert not dialog.isVisible()


def test_window_grows_so_wrapped_texts_and_problems_are_whole(make_dialog):
    dialog = make_dialog()
    layout = dialog.layout()
    assert dialog.height() >= layout.totalHeightForWidth(dialog.width())
    before = dialog.height()
    child(dialog, QComboBox, "listen_host").setEditText("nope")
    child(dialog, QLineEdit, "extra_hosts").setText("bad host, worse host!, https://x.example")
    assert dialog.height() > before
    assert dialog.height() >= layout.totalHeightForWidth(dialog.width())


# --- the setup page -------------------------------------------------------------------------------


def test_setup_page_is_on_by_default_on_the_proxy_port_plus_one(make_dialog):
    dialog = make_dialog()
    assert child(dialog, QCheckBox, "setup_page").isChecked()
    port = child(dialog, QSpinBox, "setup_port")
    assert port.value() == 0
    assert port.text() == "proxy port + 1"
    assert port.isEnabled()
    assert child(dialog, QLabel, "setup_page_help").text() == (
        "Developers open http://192.168.1.20:9091/ in a browser to download the CA and read the guide; it never "
        "shows credentials or usage.")


def test_setup_page_help_follows_the_address_and_ports(make_dialog):
    dialog = make_dialog()
    help_label = child(dialog, QLabel, "setup_page_help")
    child(dialog, QComboBox, "listen_host").setCurrentIndex(1)  # 0.0.0.0: the first LAN address
    child(dialog, QSpinBox, "listen_port").setValue(8080)
    assert "http://192.168.1.20:8081/" in help_label.text()
    child(dialog, QSpinBox, "setup_port").setValue(8090)
    assert "http://192.168.1.20:8090/" in help_label.text()
    child(dialog, QComboBox, "listen_host").setEditText("::1")
    assert "http://[::1]:8090/" in help_label.text()


def test_turning_the_setup_page_off_and_choosing_its_port_are_saved(qtbot, make_dialog):
    dialog = make_dialog()
    port = child(dialog, QSpinBox, "setup_port")
    port.setValue(9999)
    child(dialog, QCheckBox, "setup_page").click()
    assert not port.isEnabled()
    with qtbot.waitSignal(dialog.settings_accepted, timeout=1000) as blocker:
        ok_button(dialog).click()
    assert blocker.args[0].proxy == replace(ORIGINAL.proxy, setup_page=False, setup_port=9999)


def test_a_setup_port_equal_to_the_proxy_port_is_a_problem(make_dialog):
    dialog = make_dialog()
    child(dialog, QSpinBox, "setup_port").setValue(9090)
    assert dialog.problems() == ["The setup page's port must differ from the proxy's port 9090."]
    assert dialog.problems()[0] in problems_text(dialog)
    assert not ok_button(dialog).isEnabled()
    child(dialog, QCheckBox, "setup_page").setChecked(False)  # no page, no clash
    assert dialog.problems() == []
    assert ok_button(dialog).isEnabled()
    child(dialog, QCheckBox, "setup_page").setChecked(True)
    child(dialog, QSpinBox, "listen_port").setValue(9091)
    assert ok_button(dialog).isEnabled()


def test_saved_setup_settings_are_shown(make_dialog):
    settings = replace(ORIGINAL, proxy=replace(ORIGINAL.proxy, setup_page=False, setup_port=8765))
    dialog = make_dialog(settings)
    assert not child(dialog, QCheckBox, "setup_page").isChecked()
    assert child(dialog, QSpinBox, "setup_port").value() == 8765
    assert not child(dialog, QSpinBox, "setup_port").isEnabled()
    assert dialog.current_settings() == settings


def test_the_opentelemetry_port_is_edited_checked_and_0_is_off(make_dialog):
    dialog = make_dialog()
    port = child(dialog, QSpinBox, "otlp_port")
    assert port.value() == ORIGINAL.proxy.otlp_port
    port.setValue(ORIGINAL.proxy.listen_port)
    proxy_port = ORIGINAL.proxy.listen_port
    assert dialog.problems() == [f"The OpenTelemetry port must differ from the proxy's port {proxy_port}."]
    assert not ok_button(dialog).isEnabled()
    port.setValue(0)
    assert port.text() == "off"
    assert dialog.problems() == [] and ok_button(dialog).isEnabled()
    assert dialog.current_settings().proxy.otlp_port == 0


def test_the_shared_database_is_a_postgresql_url_taken_at_the_next_start(make_dialog):
    dialog = make_dialog()
    field = child(dialog, QLineEdit, "database")
    note = child(dialog, QLabel, "database_note")
    assert field.text() == ""
    assert not note.isVisible()
    field.setText("mysql://db/insight")
    assert "PostgreSQL URL" in problems_text(dialog)
    assert not ok_button(dialog).isEnabled()
    field.setText(" postgresql://insight@db.example.com:5432/insight ")
    assert problems_text(dialog) == ""
    assert note.isVisible()
    assert dialog.current_settings().database == "postgresql://insight@db.example.com:5432/insight"


# --- the company proxy ----------------------------------------------------------------------------


def test_a_company_proxy_and_its_ca_are_edited_checked_and_saved(make_dialog, tmp_path, qtbot):
    dialog = make_dialog()
    url, ca = child(dialog, QLineEdit, "upstream_proxy"), child(dialog, QLineEdit, "upstream_ca")
    assert url.text() == "" and ca.text() == ""
    url.setText("socks5://proxy.corp:1080")
    assert "must start with http:// or https://" in problems_text(dialog)
    assert not ok_button(dialog).isEnabled()
    url.setText("http://svc@proxy.corp:3128")
    password = child(dialog, QLineEdit, "upstream_password")
    assert password.echoMode() == QLineEdit.EchoMode.Password
    password.setText("s3cret/:@")
    ca.setText(str(tmp_path / "missing.pem"))
    assert "missing.pem does not exist" in problems_text(dialog)
    (tmp_path / "corp.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    ca.setText(str(tmp_path / "corp.pem"))
    assert problems_text(dialog) == ""
    assert child(dialog, QLabel, "restart_note").isVisible()
    with qtbot.waitSignal(dialog.settings_accepted) as accepted:
        ok_button(dialog).click()
    proxy = accepted.args[0].proxy
    assert proxy.upstream_proxy == "http://svc:s3cret%2F%3A%40@proxy.corp:3128"
    reopened = make_dialog(accepted.args[0])
    assert child(reopened, QLineEdit, "upstream_proxy").text() == "http://svc@proxy.corp:3128"
    assert child(reopened, QLineEdit, "upstream_password").text() == "s3cret/:@"
    assert proxy.upstream_ca == str(tmp_path / "corp.pem")
