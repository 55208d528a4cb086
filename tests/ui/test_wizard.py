"""The first-run wizard: every page, the result it emits, and the credentials it hands out."""

import platform
import socket
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QWizard,
)

from desktop_app.core.netinfo import bind_problem
from desktop_app.core.team.settings import DEFAULT_PORT, Developer, ProxySettings, RecordingSettings, Settings
from desktop_app.ui.dialogs.wizard import FirstRunWizard, WizardResult

LAN = ("2001:db8::5", "192.168.1.20", "10.0.0.7")
PAGES = ["page_welcome", "page_network", "page_recording", "page_developers", "page_credentials"]
MASK = "••••••"


def passwords(name):
    return f"pw/{name}"


class Ports:
    """A fake bind check: every address is this computer's, the ports in `taken` are in use."""

    def __init__(self) -> None:
        self.taken: set[int] = set()

    def __call__(self, host, port):
        return f"Port {port} is already in use by another program on this computer." if port in self.taken else None


@pytest.fixture
def ports():
    return Ports()


@pytest.fixture
def make_wizard(qtbot, ports):
    def make(defaults=None, lan=LAN, password_for=passwords, bind_check=ports):
        wizard = FirstRunWizard(defaults or Settings(), lan, "leads-laptop", password_for, bind_check=bind_check)
        qtbot.addWidget(wizard)
        wizard.show()
        return wizard
    return make


def go_to(wizard, page_name):
    for _ in PAGES:
        if wizard.currentPage().objectName() == page_name:
            return wizard.currentPage()
        wizard.next()
    raise AssertionError(f"never reached {page_name}; stuck on {wizard.currentPage().objectName()}")


def add_developer(wizard, name, *, enter=False, qtbot=None):
    edit = wizard.findChild(QLineEdit, "developer_name")
    edit.setText(name)
    if enter:
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    else:
        wizard.findChild(QPushButton, "add_developer_button").click()


def finish(wizard, qtbot):
    assert wizard.currentPage().objectName() == "page_credentials"
    with qtbot.waitSignal(wizard.completed, timeout=2000) as blocker:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    return blocker.args[0]


# --- the whole walk ------------------------------------------------------------------------------


def test_walking_every_page_with_defaults_and_finishing_emits_the_defaults(make_wizard, qtbot):
    wizard = make_wizard()
    assert wizard.objectName() == "first_run_wizard"
    assert wizard.windowTitle() == "Welcome to Copilot Insight"
    visited = [wizard.currentPage().objectName()]
    while wizard.currentPage().objectName() != "page_credentials":
        wizard.next()
        visited.append(wizard.currentPage().objectName())
    assert visited == PAGES

    result = finish(wizard, qtbot)

    assert result == WizardResult(listen_host="127.0.0.1", listen_port=DEFAULT_PORT, recording_level="metadata",
                                  developers=(), start_proxy=True)
    assert wizard.result() == QWizard.DialogCode.Accepted


def test_finishing_emits_what_each_page_says(make_wizard, qtbot):
    wizard = make_wizard()
    go_to(wizard, "page_network")
    combo = wizard.findChild(QComboBox, "listen_host")
    combo.setCurrentIndex(combo.findData("0.0.0.0"))
    wizard.findChild(QSpinBox, "listen_port").setValue(9443)
    go_to(wizard, "page_recording")
    wizard.findChild(QRadioButton, "record_content").setChecked(True)
    go_to(wizard, "page_developers")
    add_developer(wizard, "alice")
    add_developer(wizard, "Bob.Smith")
    go_to(wizard, "page_credentials")
    wizard.findChild(QCheckBox, "start_proxy").setChecked(False)

    result = finish(wizard, qtbot)

    assert result == WizardResult(listen_host="0.0.0.0", listen_port=9443, recording_level="content",
                                  developers=("alice", "Bob.Smith"), start_proxy=False, then_open="team")


def test_pages_start_from_the_given_settings(make_wizard):
    defaults = Settings(proxy=ProxySettings(listen_host="192.168.1.20", listen_port=3128),
                        recording=RecordingSettings(level="content"))
    wizard = make_wizard(defaults)
    assert wizard.result_value() == WizardResult(listen_host="192.168.1.20", listen_port=3128,
                                                 recording_level="content", developers=(), start_proxy=True)


def test_start_proxy_is_checked_and_unchecking_it_reaches_the_result(make_wizard, qtbot):
    wizard = make_wizard()
    go_to(wizard, "page_credentials")
    start = wizard.findChild(QCheckBox, "start_proxy")
    assert start.isChecked()
    assert start.text() == "Start the proxy now"
    start.setChecked(False)
    assert finish(wizard, qtbot).start_proxy is False


def test_cancel_emits_nothing(make_wizard, qtbot):
    wizard = make_wizard()
    go_to(wizard, "page_credentials")
    emitted = []
    wizard.completed.connect(emitted.append)
    with qtbot.assertNotEmitted(wizard.completed, wait=50):
        wizard.button(QWizard.WizardButton.CancelButton).click()
    assert emitted == []
    assert wizard.result() == QWizard.DialogCode.Rejected


# --- network -------------------------------------------------------------------------------------


def test_network_page_lists_the_lan_addresses(make_wizard):
    wizard = make_wizard(lan=(*LAN, "127.0.0.1", "192.168.1.20"))  # loopback and repeats are left out
    go_to(wizard, "page_network")
    combo = wizard.findChild(QComboBox, "listen_host")
    offered = [combo.itemData(i) for i in range(combo.count())]
    assert offered == [*LAN, "0.0.0.0", "127.0.0.1"]  # the network first, loopback last
    assert combo.itemText(combo.count() - 1) == "127.0.0.1 — only this computer (nobody else can connect)"
    assert combo.itemText(1) == "192.168.1.20 — your network: developers' computers connect here"
    label = wizard.findChild(QLabel, "lan_addresses_label").text()
    assert label.startswith("Developers on your network reach this computer at ")
    assert all(address in label for address in LAN)


def test_network_page_without_lan_addresses_says_only_this_computer_can_connect(make_wizard):
    wizard = make_wizard(lan=("127.0.0.1",))
    go_to(wizard, "page_network")
    combo = wizard.findChild(QComboBox, "listen_host")
    assert combo.count() == 2
    assert wizard.findChild(QLabel, "lan_addresses_label").text() == (
        "No network address found: only this computer can connect")


def test_local_only_warning_follows_the_host(make_wizard):
    wizard = make_wizard()
    page = go_to(wizard, "page_network")
    combo = wizard.findChild(QComboBox, "listen_host")
    warning = wizard.findChild(QLabel, "local_only_warning")
    assert "your developers' computers cannot connect" in warning.text()
    assert warning.isVisible()
    combo.setCurrentIndex(combo.findData("0.0.0.0"))
    assert not warning.isVisible()
    combo.setCurrentIndex(combo.findData("192.168.1.20"))
    assert not warning.isVisible()
    combo.setEditText("localhost")
    assert warning.isVisible()
    assert page.isComplete()


def test_invalid_host_blocks_next_with_a_sentence(make_wizard):
    wizard = make_wizard()
    page = go_to(wizard, "page_network")
    problem = wizard.findChild(QLabel, "network_problem")
    assert page.isComplete()
    assert not problem.isVisible()

    wizard.findChild(QComboBox, "listen_host").setEditText("proxy.example.com")

    assert not page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert problem.isVisible()
    assert problem.text() == ("'proxy.example.com' is not an IP address (use 127.0.0.1 for this computer only, "
                              "0.0.0.0 for all).")
    assert not wizard.findChild(QLabel, "local_only_warning").isVisible()
    wizard.next()
    assert wizard.currentPage() is page

    wizard.findChild(QComboBox, "listen_host").setEditText("10.0.0.7")
    assert page.isComplete()
    assert not problem.isVisible()
    wizard.next()
    assert wizard.currentPage().objectName() == "page_recording"


def test_typed_address_is_the_result_host(make_wizard):
    wizard = make_wizard()
    go_to(wizard, "page_network")
    wizard.findChild(QComboBox, "listen_host").setEditText(" 10.0.0.7 ")
    assert wizard.result_value().listen_host == "10.0.0.7"


# --- recording -----------------------------------------------------------------------------------


def test_recording_explanation_changes_with_the_level_and_says_what_is_never_recorded(make_wizard):
    defaults = Settings(recording=RecordingSettings(content_retention_days=14))
    wizard = make_wizard(defaults)
    go_to(wizard, "page_recording")
    metadata = wizard.findChild(QRadioButton, "record_metadata")
    content = wizard.findChild(QRadioButton, "record_content")
    explanation = wizard.findChild(QLabel, "recording_explanation")
    assert metadata.isChecked()
    metadata_text = explanation.text()

    content.setChecked(True)
    content_text = explanation.text()

    assert metadata_text != content_text
    for text in (metadata_text, content_text):
        assert "Passwords, GitHub tokens and cookies are never recorded." in text
    for word in ("completion, chat, agent", "model", "tokens", "AI credits", "status and time"):
        assert word in metadata_text
    assert "Prompts, code and answers are never recorded." in metadata_text
    assert "prompts and answers" in content_text
    assert "redacted" in content_text
    assert "14 days" in content_text
    assert "setup page" in content_text
    assert wizard.result_value().recording_level == "content"

    metadata.setChecked(True)
    assert explanation.text() == metadata_text
    assert wizard.result_value().recording_level == "metadata"


# --- developers ----------------------------------------------------------------------------------


def test_developers_are_added_by_button_and_by_enter(make_wizard, qtbot):
    wizard = make_wizard()
    page = go_to(wizard, "page_developers")
    names = wizard.findChild(QListWidget, "developer_list")
    edit = wizard.findChild(QLineEdit, "developer_name")

    add_developer(wizard, "alice")
    assert edit.text() == ""
    add_developer(wizard, "  bob  ", enter=True, qtbot=qtbot)

    assert [names.item(i).text() for i in range(names.count())] == ["alice", "bob"]
    assert edit.text() == ""
    assert wizard.currentPage() is page  # Enter added the name; it did not press Next
    assert wizard.result_value().developers == ("alice", "bob")


@pytest.mark.parametrize(("name", "sentence"), [
    ("ALICE", "'ALICE' is already in the list (names are not case-sensitive)."),
    ("alice smith", ("'alice smith' is not a valid developer name: use 1 to 64 letters, digits, dots, dashes or "
                     "underscores, starting with a letter or digit.")),
    ("-alice", "'-alice' is not a valid developer name"),
    ("", "Type the developer's name first."),
])
def test_duplicate_and_invalid_names_are_refused_with_a_sentence(make_wizard, qtbot, name, sentence):
    wizard = make_wizard()
    go_to(wizard, "page_developers")
    problem = wizard.findChild(QLabel, "developer_problem")
    add_developer(wizard, "alice")
    assert not problem.isVisible()

    add_developer(wizard, name, enter=True, qtbot=qtbot)

    assert wizard.result_value().developers == ("alice",)
    assert problem.isVisible()
    assert problem.text().startswith(sentence)
    assert wizard.findChild(QLineEdit, "developer_name").text() == name  # kept, to be corrected

    add_developer(wizard, "carol")
    assert not problem.isVisible()
    assert wizard.result_value().developers == ("alice", "carol")


def test_no_developers_is_allowed_but_noted_and_remove_works(make_wizard):
    wizard = make_wizard()
    page = go_to(wizard, "page_developers")
    note = wizard.findChild(QLabel, "no_developers_note")
    remove = wizard.findChild(QPushButton, "remove_developer_button")
    names = wizard.findChild(QListWidget, "developer_list")
    assert page.isComplete()
    assert note.isVisible()
    assert "refuses every request" in note.text()

    add_developer(wizard, "alice")
    add_developer(wizard, "bob")
    assert not note.isVisible()
    assert not remove.isEnabled()
    names.setCurrentRow(0)
    assert remove.isEnabled()
    remove.click()
    assert wizard.result_value().developers == ("bob",)
    assert not note.isVisible()
    names.setCurrentRow(0)
    remove.click()
    assert wizard.result_value().developers == ()
    assert note.isVisible()
    assert page.isComplete()


def test_developers_from_the_settings_are_listed(make_wizard):
    defaults = Settings(developers=(Developer(name="dana", created="2026-01-31T09:00:00+00:00"),))
    wizard = make_wizard(defaults)
    go_to(wizard, "page_developers")
    assert wizard.result_value().developers == ("dana",)
    assert not wizard.findChild(QLabel, "no_developers_note").isVisible()


# --- credentials ---------------------------------------------------------------------------------


def to_credentials(wizard, names, defaults_host=None):
    if defaults_host is not None:
        go_to(wizard, "page_network")
        combo = wizard.findChild(QComboBox, "listen_host")
        combo.setCurrentIndex(combo.findData(defaults_host))
    go_to(wizard, "page_developers")
    for name in names:
        add_developer(wizard, name)
    return go_to(wizard, "page_credentials")


def test_credentials_are_masked_until_show_passwords(make_wizard):
    wizard = make_wizard()
    to_credentials(wizard, ["alice", "bob"], defaults_host="0.0.0.0")
    alice = wizard.findChild(QLabel, "credential_url_alice")
    bob = wizard.findChild(QLabel, "credential_url_bob")
    assert alice.text() == f"http://alice:{MASK}@192.168.1.20:{DEFAULT_PORT}"
    assert bob.text() == f"http://bob:{MASK}@192.168.1.20:{DEFAULT_PORT}"
    assert all("pw" not in label.text() for label in wizard.findChildren(QLabel))

    wizard.findChild(QCheckBox, "show_passwords").setChecked(True)
    assert alice.text() == f"http://alice:pw%2Falice@192.168.1.20:{DEFAULT_PORT}"
    assert bob.text() == f"http://bob:pw%2Fbob@192.168.1.20:{DEFAULT_PORT}"

    wizard.findChild(QCheckBox, "show_passwords").setChecked(False)
    assert alice.text() == f"http://alice:{MASK}@192.168.1.20:{DEFAULT_PORT}"
    assert not wizard.findChild(QLabel, "credentials_problem").isVisible()


def test_copy_button_puts_the_exact_url_on_the_clipboard(make_wizard):
    wizard = make_wizard(Settings(proxy=ProxySettings(listen_host="0.0.0.0", listen_port=3128)))
    to_credentials(wizard, ["alice", "bob"])
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("")

    wizard.findChild(QPushButton, "copy_url_bob").click()
    assert clipboard.text() == "http://bob:pw%2Fbob@192.168.1.20:3128"  # the first private IPv4 address
    wizard.findChild(QPushButton, "copy_url_alice").click()
    assert clipboard.text() == "http://alice:pw%2Falice@192.168.1.20:3128"


def test_a_specific_listen_address_is_the_url_host(make_wizard):
    wizard = make_wizard()
    to_credentials(wizard, ["alice"], defaults_host="10.0.0.7")
    wizard.findChild(QPushButton, "copy_url_alice").click()
    assert QGuiApplication.clipboard().text() == f"http://alice:pw%2Falice@10.0.0.7:{DEFAULT_PORT}"


def test_credentials_page_is_rebuilt_when_entered_again(make_wizard):
    wizard = make_wizard()
    to_credentials(wizard, ["alice"], defaults_host="0.0.0.0")
    wizard.back()
    wizard.findChild(QListWidget, "developer_list").setCurrentRow(0)
    wizard.findChild(QPushButton, "remove_developer_button").click()
    add_developer(wizard, "bob")
    wizard.back()
    wizard.back()
    wizard.findChild(QSpinBox, "listen_port").setValue(9000)

    go_to(wizard, "page_credentials")

    assert wizard.findChild(QPushButton, "copy_url_alice") is None
    wizard.findChild(QPushButton, "copy_url_bob").click()
    assert QGuiApplication.clipboard().text() == "http://bob:pw%2Fbob@192.168.1.20:9000"


def test_unavailable_secret_shows_credentials_problem(make_wizard):
    asked = []

    def unavailable(name):
        asked.append(name)

    wizard = make_wizard(password_for=unavailable)
    to_credentials(wizard, ["alice"])
    problem = wizard.findChild(QLabel, "credentials_problem")
    assert asked == ["alice"]
    assert problem.isVisible()
    assert "credential secret is unavailable" in problem.text()
    assert "Team & credentials" in problem.text()
    assert not wizard.findChild(QPushButton, "copy_url_alice").isEnabled()
    assert wizard.findChild(QLabel, "credential_url_alice").text() == "unavailable"


def test_credentials_page_without_developers(make_wizard):
    wizard = make_wizard()
    go_to(wizard, "page_credentials")
    assert wizard.findChild(QLabel, "no_credentials_note").isVisible()
    assert not wizard.findChild(QLabel, "credentials_problem").isVisible()


def test_the_last_page_shows_the_setup_page_to_send_developers(make_wizard):
    wizard = make_wizard(Settings(proxy=ProxySettings(listen_host="0.0.0.0", listen_port=3128)))
    to_credentials(wizard, ["alice"])
    url = wizard.findChild(QLabel, "setup_page_url")
    assert url.isVisible() and url.text() == "http://192.168.1.20:3129/"
    assert "Send every developer this page" in wizard.findChild(QLabel, "setup_page_text").text()
    wizard.findChild(QPushButton, "copy_setup_url").click()
    assert QGuiApplication.clipboard().text() == "http://192.168.1.20:3129/"
    assert not wizard.findChild(QLabel, "credential_url_alice").wordWrap()  # never broken inside a password
    assert not url.wordWrap()


def test_the_setup_page_line_says_when_it_is_off_or_local(make_wizard):
    wizard = make_wizard(Settings(proxy=ProxySettings(setup_page=False)))
    go_to(wizard, "page_credentials")
    assert not wizard.findChild(QLabel, "setup_page_url").isVisible()
    assert "turned off in Settings" in wizard.findChild(QLabel, "setup_page_text").text()
    local = make_wizard()
    go_to(local, "page_credentials")
    assert "only this computer can open it" in local.findChild(QLabel, "setup_page_text").text()


def test_finish_says_which_window_opens_next(make_wizard, qtbot):
    wizard = make_wizard()
    go_to(wizard, "page_credentials")
    assert finish(wizard, qtbot).then_open == "team"
    other = make_wizard()
    go_to(other, "page_credentials")
    combo = other.findChild(QComboBox, "then_open")
    combo.setCurrentIndex(combo.findData("ca_guide"))
    assert finish(other, qtbot).then_open == "ca_guide"


def test_a_taken_port_blocks_next_and_a_taken_setup_port_is_said(make_wizard, ports):
    ports.taken = {8080}
    wizard = make_wizard()
    page = go_to(wizard, "page_network")
    problem = wizard.findChild(QLabel, "network_problem")
    assert not page.isComplete()
    assert problem.text() == "Port 8080 is already in use by another program on this computer."
    wizard.findChild(QSpinBox, "listen_port").setValue(8079)  # its setup page would be on 8080
    assert page.isComplete() and not problem.isVisible()
    note = wizard.findChild(QLabel, "port_note")
    assert note.isVisible() and "uses port 8080, which is taken" in note.text()
    wizard.findChild(QSpinBox, "listen_port").setValue(9000)
    assert not note.isVisible()


def test_the_real_port_check_finds_a_listening_program(make_wizard):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        wizard = make_wizard(Settings(proxy=ProxySettings(listen_host="127.0.0.1", listen_port=port)),
                             bind_check=bind_problem)
        page = go_to(wizard, "page_network")
        assert not page.isComplete()
        assert f"Port {port} is already in use" in wizard.findChild(QLabel, "network_problem").text()
    page.validatePage()  # checked again on Next: now it is free
    assert page.isComplete()
    assert bind_problem("192.0.2.1", port) == "192.0.2.1 is not an address of this computer."


def test_the_firewall_note_names_both_ports_with_this_systems_command(make_wizard):
    wizard = make_wizard()
    go_to(wizard, "page_network")
    note, command = wizard.findChild(QLabel, "firewall_note"), wizard.findChild(QPlainTextEdit, "firewall_command")
    assert not note.isVisible()  # loopback: no firewall in the way
    combo = wizard.findChild(QComboBox, "listen_host")
    combo.setCurrentIndex(combo.findData("192.168.1.20"))
    assert note.isVisible() and "8080, 8081" in note.text()
    expected = {"Linux": "sudo ufw allow 8080/tcp; sudo ufw allow 8081/tcp", "Windows": "-LocalPort 8080,8081",
                "Darwin": "socketfilterfw --unblockapp"}[platform.system()]
    assert expected in command.toPlainText() and command.isVisible()
    assert command.lineWrapMode() == QPlainTextEdit.LineWrapMode.NoWrap


def test_result_value_reads_the_pages_now(make_wizard):
    wizard = make_wizard()
    before = wizard.result_value()
    wizard.findChild(QSpinBox, "listen_port").setValue(1)
    assert wizard.result_value() == replace(before, listen_port=1)


def test_screenshots_of_the_network_and_last_pages(make_wizard, tmp_path):
    """The pages as a lead sees them (`COPILOT_INSIGHT_SCREENSHOTS=DIR` keeps the PNGs)."""
    import os
    from pathlib import Path

    folder = Path(os.environ.get("COPILOT_INSIGHT_SCREENSHOTS") or tmp_path)
    wizard = make_wizard()
    wizard.resize(720, 560)
    go_to(wizard, "page_network")
    combo = wizard.findChild(QComboBox, "listen_host")
    combo.setCurrentIndex(combo.findData("192.168.1.20"))
    assert wizard.grab().save(str(folder / "wizard-network.png"))
    to_credentials(wizard, ["alice", "bob.smith"])
    assert wizard.grab().save(str(folder / "wizard-last-page.png"))
    wizard.findChild(QCheckBox, "show_passwords").setChecked(True)
    assert wizard.grab().save(str(folder / "wizard-last-page-passwords.png"))
