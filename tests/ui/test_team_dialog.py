"""The team dialog: its table model, the intent signals, password masking and the copy buttons."""

import base64
import time
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPushButton, QTableView

from desktop_app.core.guide.snippets import (
    DeveloperCa,
    ProxyAccess,
    jetbrains_text,
    otel_snippet,
    powershell_exports,
    shell_exports,
    vscode_settings,
)
from desktop_app.core.team.settings import validate_developer_name
from desktop_app.ui.dialogs.team import TeamDialog, TeamRow, TeamTableModel

SEEN = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
ALICE = TeamRow("alice", enabled=True, created="2024-04-01T09:00:00+00:00", requests_today=42, last_seen=SEEN)
BOB = TeamRow("bob", enabled=False, created="2024-04-02T09:00:00+00:00", requests_today=0, last_seen=None)
CAROL = TeamRow("carol", enabled=True, created="2024-04-03T09:00:00+00:00", requests_today=7, last_seen=SEEN)
CA = DeveloperCa(":".join(["5E"] * 32), "http://10.0.0.5:8081/")
COPY_BUTTONS = ["copy_proxy_url", "copy_shell", "copy_powershell", "copy_vscode", "copy_jetbrains", "copy_otel"]


class Passwords:
    """A fake `access_for`: a password per developer, or None for the names in `missing`."""

    def __init__(self) -> None:
        self.passwords = {"alice": "pa:ss@word/1", "bob": "bob-secret-2", "carol": "carol-secret-3"}
        self.missing: set[str] = set()
        self.calls: list[str] = []
        self.ca: DeveloperCa | None = CA

    def __call__(self, name: str) -> ProxyAccess | None:
        self.calls.append(name)
        if name in self.missing:
            return None
        return ProxyAccess("10.0.0.5", 8080, name, self.passwords[name], self.ca, otlp_port=4318)


class Confirm:
    """A fake `confirm` that records each question and answers `answer`."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str]] = []

    def __call__(self, title: str, question: str) -> bool:
        self.asked.append((title, question))
        return self.answer


@pytest.fixture
def passwords():
    return Passwords()


@pytest.fixture
def dialog(qtbot, passwords):
    team = TeamDialog(passwords)
    qtbot.addWidget(team)
    team.set_rows([ALICE, BOB])
    return team


@pytest.fixture
def kolkata_time(monkeypatch):
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset to change the local time zone")
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def child[T](dialog: TeamDialog, kind: type[T], name: str) -> T:
    widget = dialog.findChild(kind, name)
    assert widget is not None, name
    return widget


def button(dialog: TeamDialog, name: str) -> QPushButton:
    return child(dialog, QPushButton, name)


def url_text(dialog: TeamDialog) -> str:
    return child(dialog, QLineEdit, "proxy_url").text()


def show_password(dialog: TeamDialog) -> QCheckBox:
    return child(dialog, QCheckBox, "show_password")


# --- the model ---------------------------------------------------------------------------------------


def test_model_passes_the_qt_model_tester(qtmodeltester):
    model = TeamTableModel()
    model.set_rows([ALICE, BOB, CAROL])
    qtmodeltester.check(model)
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 3
    assert model.columnCount() == 5


def test_model_shows_state_requests_and_never(qtbot):
    model = TeamTableModel()
    model.set_rows([ALICE, BOB])
    display = Qt.ItemDataRole.DisplayRole
    headers = [model.headerData(c, Qt.Orientation.Horizontal, display) for c in range(4)]
    assert headers == ["Developer", "State", "Requests today", "Last seen"]
    assert [model.data(model.index(1, c)) for c in range(4)] == ["bob", "Disabled", "0", "never"]
    assert model.data(model.index(0, 1)) == "Enabled"
    assert model.data(model.index(0, 2)) == "42"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.UserRole) == ALICE
    assert model.row_at(1) == BOB
    alignment = Qt.AlignmentFlag(model.data(model.index(0, 2), Qt.ItemDataRole.TextAlignmentRole))
    assert alignment & Qt.AlignmentFlag.AlignRight
    assert "2024-04-01" in model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)


@pytest.mark.usefixtures("kolkata_time")
def test_model_shows_last_seen_in_local_time():
    model = TeamTableModel()
    model.set_rows([ALICE])
    assert model.data(model.index(0, 3)) == "2024-05-01 15:30"  # 10:00 UTC is 15:30 in India


def test_set_rows_resets_the_model(qtbot):
    model = TeamTableModel()
    model.set_rows([ALICE, BOB])
    with qtbot.waitSignals([model.modelAboutToBeReset, model.modelReset]):
        model.set_rows([CAROL])
    assert model.rowCount() == 1
    assert model.data(model.index(0, 0)) == "carol"


# --- adding ------------------------------------------------------------------------------------------


def test_add_button_emits_the_name_and_clears_the_field(qtbot, dialog):
    field = child(dialog, QLineEdit, "new_developer_name")
    qtbot.keyClicks(field, "dave")
    assert button(dialog, "add_developer").isEnabled()
    with qtbot.waitSignal(dialog.add_requested) as signal:
        qtbot.mouseClick(button(dialog, "add_developer"), Qt.MouseButton.LeftButton)
    assert signal.args == ["dave"]
    assert field.text() == ""
    assert not button(dialog, "add_developer").isEnabled()


def test_enter_in_the_name_field_adds_and_keeps_the_dialog_open(qtbot, dialog):
    dialog.show()
    field = child(dialog, QLineEdit, "new_developer_name")
    qtbot.keyClicks(field, "erin.dev")
    with qtbot.waitSignal(dialog.add_requested) as signal:
        qtbot.keyClick(field, Qt.Key.Key_Return)
    assert signal.args == ["erin.dev"]
    assert dialog.isVisible()


@pytest.mark.parametrize("name", ["-dash-first", "has space", "x" * 65, "ümlaut"])
def test_an_invalid_name_disables_add_and_says_why(qtbot, dialog, name):
    field = child(dialog, QLineEdit, "new_developer_name")
    field.setText(name)  # as typed or pasted (keyClicks cannot type "ü")
    problem = child(dialog, QLabel, "name_problem")
    assert not button(dialog, "add_developer").isEnabled()
    assert problem.text() == validate_developer_name(name)
    assert not problem.isHidden()
    with qtbot.assertNotEmitted(dialog.add_requested):
        qtbot.keyClick(field, Qt.Key.Key_Return)


def test_an_existing_name_in_any_case_disables_add(qtbot, dialog):
    qtbot.keyClicks(child(dialog, QLineEdit, "new_developer_name"), "ALICE")
    assert not button(dialog, "add_developer").isEnabled()
    assert child(dialog, QLabel, "name_problem").text() == "A developer named ALICE already exists."


def test_the_problem_clears_once_the_name_is_valid(qtbot, dialog):
    field = child(dialog, QLineEdit, "new_developer_name")
    qtbot.keyClicks(field, "-x")
    qtbot.keyClick(field, Qt.Key.Key_Home)
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    assert field.text() == "x"
    assert button(dialog, "add_developer").isEnabled()
    assert child(dialog, QLabel, "name_problem").isHidden()


def test_a_name_becomes_a_duplicate_when_the_rows_change(qtbot, dialog):
    qtbot.keyClicks(child(dialog, QLineEdit, "new_developer_name"), "carol")
    assert button(dialog, "add_developer").isEnabled()
    dialog.set_rows([ALICE, BOB, CAROL])
    assert not button(dialog, "add_developer").isEnabled()


# --- remove, enable, new passwords -------------------------------------------------------------------


@pytest.mark.parametrize("answer", [True, False])
def test_remove_asks_and_emits_only_when_confirmed(qtbot, dialog, answer):
    dialog.confirm = confirm = Confirm(answer)
    with qtbot.waitSignal(dialog.remove_requested, timeout=100, raising=answer) as signal:
        button(dialog, "remove_developer").click()
    assert signal.signal_triggered is answer
    assert signal.args == (["alice"] if answer else None)
    assert confirm.asked == [
        ("Remove developer", "Remove alice? Their password stops working at once; their recorded usage stays.")]


@pytest.mark.parametrize("answer", [True, False])
def test_new_password_asks_and_emits_only_when_confirmed(qtbot, dialog, answer):
    dialog.select("bob")
    dialog.confirm = confirm = Confirm(answer)
    with qtbot.waitSignal(dialog.rotate_requested, timeout=100, raising=answer) as signal:
        button(dialog, "rotate_password").click()
    assert signal.signal_triggered is answer
    assert signal.args == (["bob"] if answer else None)
    assert confirm.asked[0][1] == "bob's current password stops working at once. Give them the new one."


@pytest.mark.parametrize("answer", [True, False])
def test_new_secret_asks_about_every_developer_and_emits_only_when_confirmed(qtbot, dialog, answer):
    dialog.confirm = confirm = Confirm(answer)
    with qtbot.waitSignal(dialog.rotate_secret_requested, timeout=100, raising=answer) as signal:
        button(dialog, "rotate_secret").click()
    assert signal.signal_triggered is answer
    assert len(confirm.asked) == 1
    question = confirm.asked[0][1].lower()
    assert "every developer" in question
    assert "all current passwords stop working" in question


def test_toggle_follows_the_selection_and_asks_for_the_opposite_state(qtbot, dialog):
    toggle = button(dialog, "toggle_enabled")
    assert dialog.selected_name() == "alice"
    assert toggle.text() == "Disable"
    with qtbot.waitSignal(dialog.enabled_change_requested) as signal:
        toggle.click()
    assert signal.args == ["alice", False]
    dialog.select("bob")
    assert toggle.text() == "Enable"
    with qtbot.waitSignal(dialog.enabled_change_requested) as signal:
        toggle.click()
    assert signal.args == ["bob", True]


def test_buttons_that_need_a_selection_are_disabled_without_one(qtbot, passwords):
    team = TeamDialog(passwords)
    qtbot.addWidget(team)
    team.set_rows([])
    assert team.objectName() == "team_dialog"
    assert team.windowTitle() == "Team & credentials"
    assert team.selected_name() is None
    for name in ["remove_developer", "toggle_enabled", "rotate_password", *COPY_BUTTONS]:
        assert not button(team, name).isEnabled(), name
    assert not show_password(team).isEnabled()
    assert button(team, "rotate_secret").isEnabled()
    assert child(team, QLabel, "developer_summary").text() == "Select a developer to see their details."
    assert passwords.calls == []


def test_the_summary_describes_the_selected_developer(dialog):
    dialog.select("bob")
    assert child(dialog, QLabel, "developer_summary").text() == "bob: disabled, 0 requests today, last seen never."


# --- the password: masked, shown on demand, copied ---------------------------------------------------


def test_the_url_is_masked_until_show_password_is_checked(dialog):
    assert url_text(dialog) == "http://alice:••••••@10.0.0.5:8080"
    assert not show_password(dialog).isChecked()
    show_password(dialog).setChecked(True)
    assert url_text(dialog) == "http://alice:pa%3Ass%40word%2F1@10.0.0.5:8080"
    show_password(dialog).setChecked(False)
    assert url_text(dialog) == "http://alice:••••••@10.0.0.5:8080"


def test_changing_the_selection_masks_again(qtbot, dialog):
    show_password(dialog).setChecked(True)
    table = child(dialog, QTableView, "team_table")
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    table.selectionModel().select(table.model().index(1, 0), flags)
    assert dialog.selected_name() == "bob"
    assert not show_password(dialog).isChecked()
    assert url_text(dialog) == "http://bob:••••••@10.0.0.5:8080"


def test_new_rows_for_the_same_developer_show_their_new_password(dialog, passwords):
    show_password(dialog).setChecked(True)
    passwords.passwords["alice"] = "rotated-password"
    dialog.set_rows([ALICE, BOB])
    assert show_password(dialog).isChecked()
    assert url_text(dialog) == "http://alice:rotated-password@10.0.0.5:8080"


@pytest.mark.parametrize(("name", "snippet", "what"), [
    ("copy_proxy_url", lambda access: access.url, "the proxy URL"),
    ("copy_vscode", vscode_settings, "the VS Code settings"),
    ("copy_jetbrains", jetbrains_text, "the JetBrains proxy settings"),
    ("copy_shell", shell_exports, "the shell variables"),
    ("copy_powershell", powershell_exports, "the PowerShell variables"),
])
def test_copy_buttons_put_the_full_text_on_the_clipboard(qtbot, dialog, passwords, name, snippet, what):
    QGuiApplication.clipboard().clear()
    dialog.select("bob")
    qtbot.mouseClick(button(dialog, name), Qt.MouseButton.LeftButton)
    expected = snippet(passwords("bob"))
    assert "bob-secret-2" in expected
    assert QGuiApplication.clipboard().text() == expected
    assert child(dialog, QLabel, "copy_status").text() == f"Copied {what} for bob."
    assert url_text(dialog) == "http://bob:••••••@10.0.0.5:8080"


def test_the_opentelemetry_button_copies_the_no_ca_settings_with_the_credentials(qtbot, dialog, passwords):
    QGuiApplication.clipboard().clear()
    dialog.select("bob")
    qtbot.mouseClick(button(dialog, "copy_otel"), Qt.MouseButton.LeftButton)
    text = QGuiApplication.clipboard().text()
    assert text == otel_snippet(passwords("bob"))
    assert "Basic " + base64.b64encode(b"bob:bob-secret-2").decode() in text
    assert "OTEL_EXPORTER_OTLP_ENDPOINT='http://10.0.0.5:4318'" in text
    status = child(dialog, QLabel, "copy_status").text()
    assert status == "Copied the OpenTelemetry settings for a computer without the CA for bob."


def test_without_the_secret_nothing_can_be_copied(qtbot, passwords):
    passwords.missing = {"bob"}
    team = TeamDialog(passwords)
    qtbot.addWidget(team)
    team.set_rows([ALICE, BOB])
    assert all(button(team, name).isEnabled() for name in COPY_BUTTONS)
    team.select("bob")
    for name in COPY_BUTTONS:
        assert not button(team, name).isEnabled(), name
    assert not show_password(team).isEnabled()
    assert url_text(team) == "The credential secret is not available; see the error message."
    assert button(team, "remove_developer").isEnabled()


def test_until_the_ca_is_read_only_the_snippets_without_a_ca_file_can_be_copied(qtbot, passwords):
    passwords.ca = None
    team = TeamDialog(passwords)
    qtbot.addWidget(team)
    team.set_rows([ALICE])
    enabled = {name for name in COPY_BUTTONS if button(team, name).isEnabled()}
    assert enabled == {"copy_proxy_url", "copy_vscode", "copy_jetbrains", "copy_otel"}  # no CA file needed
    passwords.ca = CA
    team.set_rows([ALICE])
    assert all(button(team, name).isEnabled() for name in COPY_BUTTONS)


# --- set_rows and the selection ----------------------------------------------------------------------


def test_set_rows_selects_the_first_row_when_nothing_was_selected(dialog):
    assert dialog.selected_name() == "alice"
    assert url_text(dialog).startswith("http://alice:")


def test_set_rows_keeps_the_selected_developer(dialog):
    dialog.select("bob")
    dialog.set_rows([CAROL, ALICE, BOB])
    assert dialog.selected_name() == "bob"
    dialog.set_rows([CAROL, ALICE])
    assert dialog.selected_name() == "carol"
    assert url_text(dialog) == "http://carol:••••••@10.0.0.5:8080"


def test_select_ignores_unknown_names(dialog):
    dialog.select("bob")
    dialog.select("zoe")
    assert dialog.selected_name() == "bob"


def test_settings_that_only_this_computer_can_use_are_flagged(dialog):
    warning = child(dialog, QLabel, "local_only_warning")
    assert not warning.isVisibleTo(dialog)
    dialog.set_local_only("127.0.0.1")
    assert warning.isVisibleTo(dialog)
    assert warning.text().startswith("The proxy listens on 127.0.0.1: only this computer")
    dialog.set_local_only(None)
    assert not warning.isVisibleTo(dialog)
