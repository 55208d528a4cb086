"""Tray → Export report: the window, a real export on a worker, progress, cancel, refusals, open file."""

import csv
import threading
from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt

from desktop_app.core.reports import export as export_module
from desktop_app.core.reports.periods import export_range
from tests.ui.driving import action, record, running_app


@pytest.fixture
def app(make_app, qtbot, paths):
    return running_app(make_app, qtbot, paths)


def open_export(app, qtbot, period="this_month"):
    action(app, f"export_{period}").trigger()
    window = app.controller.export.window
    assert window is not None and window.isVisible()
    qtbot.addWidget(window)
    return window


def export_to(window, qtbot, path, fmt="csv"):
    window.format.setCurrentIndex(window.format.findData(fmt))
    window.path.setText(str(path))
    window.path.textEdited.emit(str(path))
    qtbot.mouseClick(window.export, Qt.MouseButton.LeftButton)


def test_the_menu_opens_the_window_on_its_period_with_the_team(app, qtbot):
    window = open_export(app, qtbot, "last_week")
    days = export_range("last_week", date.today())
    assert (window.first_day.date(), window.last_day.date()) == (
        QDate(days.first.year, days.first.month, days.first.day), QDate(days.last.year, days.last.month, days.last.day))
    assert not window.first_day.isEnabled()
    assert [window.developer.itemText(i) for i in range(window.developer.count())] == ["Everyone", "alice", "bob"]
    assert window.format.currentData() == "xlsx"
    assert window.path.text().endswith(f"copilot-usage_{days.first}_{days.last}.xlsx")
    window.format.setCurrentIndex(window.format.findData("pdf"))
    assert window.path.text().endswith(".pdf")
    window.period.setCurrentIndex(window.period.findData("custom"))
    assert window.first_day.isEnabled() and window.last_day.isEnabled()


def test_prompts_are_offered_only_where_they_can_go(app, qtbot):
    window = open_export(app, qtbot)
    window.format.setCurrentIndex(window.format.findData("csv"))
    assert not window.include_prompts.isEnabled()
    window.format.setCurrentIndex(window.format.findData("xlsx"))
    assert window.include_prompts.isEnabled()
    window.pseudonymize.setChecked(True)
    assert not window.include_prompts.isEnabled()
    assert "never into a pseudonymized one" in window.include_prompts.toolTip()


def test_an_export_runs_off_the_gui_thread_and_offers_the_file(app, qtbot, paths, tmp_path, fake_os):
    record(paths, app.bridge, "alice", "bob", "alice")
    window = open_export(app, qtbot, "this_week")
    target = tmp_path / "week.csv"
    export_to(window, qtbot, target)
    assert window.running and not window.export.isEnabled() and window.cancel.text() == "Cancel"
    qtbot.waitUntil(lambda: not window.running, timeout=10_000)
    assert window.status.text().startswith(f"Saved {target} (")
    assert "2 developers, 2 developer-day(s)" in window.status.text()
    assert window.progress.value() == 100
    rows = list(csv.DictReader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert {(r["developer"], r["requests"]) for r in rows} == {("alice", "2"), ("bob", "1")}
    qtbot.mouseClick(window.open_file, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.show_folder, Qt.MouseButton.LeftButton)
    assert [url.toLocalFile() for url in fake_os.opened] == [str(target), str(tmp_path)]


def test_one_developer_pseudonymized(app, qtbot, paths, tmp_path):
    record(paths, app.bridge, "alice", "bob")
    window = open_export(app, qtbot, "this_week")
    window.developer.setCurrentIndex(window.developer.findData("bob"))
    window.pseudonymize.setChecked(True)
    target = tmp_path / "bob.csv"
    export_to(window, qtbot, target)
    qtbot.waitUntil(lambda: not window.running, timeout=10_000)
    text = target.read_text(encoding="utf-8-sig")
    assert "bob" not in text and "alice" not in text
    assert len(text.splitlines()) == 2


def test_no_data_in_the_period_is_said_in_the_window(app, qtbot, paths, tmp_path):
    record(paths, app.bridge, "alice")
    window = open_export(app, qtbot, "custom")
    window.first_day.setDate(QDate(2020, 1, 1))
    window.last_day.setDate(QDate(2020, 1, 31))
    target = tmp_path / "empty.xlsx"
    export_to(window, qtbot, target, "xlsx")
    qtbot.waitUntil(lambda: not window.running, timeout=10_000)
    assert window.status.text() == ("No Copilot traffic was recorded between 2020-01-01 and 2020-01-31; "
                                    "choose another period.")
    assert not window.progress.isVisible()
    assert not target.exists()
    assert window.export.isEnabled()


def test_refusals_before_anything_runs(app, qtbot, tmp_path):
    window = open_export(app, qtbot, "custom")
    window.first_day.setDate(QDate(2026, 5, 2))
    window.last_day.setDate(QDate(2026, 5, 1))
    export_to(window, qtbot, tmp_path / "r.csv")
    assert window.status.text() == "The period ends before it starts; correct the dates."
    assert not window.running
    window.last_day.setDate(QDate(2026, 5, 3))
    export_to(window, qtbot, tmp_path / "missing" / "r.csv")
    qtbot.waitUntil(lambda: not window.running, timeout=10_000)
    assert window.status.text().startswith(f"The folder {tmp_path / 'missing'} does not exist")


def export_held_at_the_store(app, qtbot, paths, target):
    """A JSON export of this week, started and waiting at its store read (see `held_export`)."""
    record(paths, app.bridge, "alice")
    window = open_export(app, qtbot, "this_week")
    export_to(window, qtbot, target, "json")
    qtbot.waitUntil(lambda: window.status.text() == "Reading the usage store…", timeout=5000)
    return window


def test_cancel_stops_the_export_and_writes_nothing(app, qtbot, paths, tmp_path, held_export):
    target = tmp_path / "r.json"
    window = export_held_at_the_store(app, qtbot, paths, target)
    qtbot.mouseClick(window.cancel, Qt.MouseButton.LeftButton)
    assert window.status.text() == "Cancelling…"
    held_export.set()
    qtbot.waitUntil(lambda: not window.running, timeout=10_000)
    assert window.status.text() == "The report was cancelled; no file was written."
    assert not target.exists()
    assert window.cancel.text() == "Close"
    export_to(window, qtbot, target, "json")  # the next export is not cancelled by the last one's cancel
    qtbot.waitUntil(lambda: not window.running, timeout=10_000)
    assert target.exists()


@pytest.fixture
def held_export(monkeypatch):
    """Holds each export's store read until the test releases it (set the returned event)."""
    release = threading.Event()
    real_load = export_module.load_report

    def slow_load(*args, **kwargs):
        assert release.wait(10)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(export_module, "load_report", slow_load)
    return release


def test_closing_the_window_cancels_a_running_export(app, qtbot, paths, tmp_path, held_export):
    target = tmp_path / "r.json"
    window = export_held_at_the_store(app, qtbot, paths, target)
    window.close()
    held_export.set()
    qtbot.waitUntil(lambda: not window.running, timeout=10_000)
    assert not target.exists()


def test_quitting_cancels_a_running_export(app, qtbot, paths, tmp_path, held_export):
    target = tmp_path / "r.json"
    window = export_held_at_the_store(app, qtbot, paths, target)
    app.controller.quit()
    held_export.set()
    qtbot.waitUntil(lambda: not window.running, timeout=10_000)
    assert window.status.text() == "The report was cancelled; no file was written."
    assert not target.exists()


def test_a_chosen_name_follows_the_format_and_a_bare_name_goes_to_the_suggested_folder(app, qtbot, tmp_path):
    window = open_export(app, qtbot)
    window.ask_save_path = lambda suggested, file_filter: str(tmp_path / "november.xlsx")
    qtbot.mouseClick(window.choose, Qt.MouseButton.LeftButton)
    window.format.setCurrentIndex(window.format.findData("pdf"))
    assert window.path.text() == str(tmp_path / "november.pdf")
    window.path.setText("team.csv")
    window.path.textEdited.emit("team.csv")
    window.format.setCurrentIndex(window.format.findData("csv"))
    assert window.choice().path == window.default_folder / "team.csv"


def test_a_fresh_installation_says_how_to_get_data(app, qtbot, tmp_path):
    window = open_export(app, qtbot, "this_month")
    target = tmp_path / "r.xlsx"
    export_to(window, qtbot, target, "xlsx")
    qtbot.waitUntil(lambda: not window.running, timeout=10_000)
    assert window.status.text() == ("Nothing has been recorded yet, so there is nothing to report. Point a developer's "
                                    "IDE at the proxy first (Team & credentials, CA certificate guide).")
    assert not target.exists()


def test_the_suggested_report_folder_exists(monkeypatch, tmp_path):
    from PySide6.QtCore import QStandardPaths

    from desktop_app.ui.dialogs.ca_guide import standard_folder
    from desktop_app.ui.export_presenter import report_folder

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    documents = QStandardPaths.StandardLocation.DocumentsLocation
    assert standard_folder(documents, platform="linux") is None  # never invented on Linux
    assert not (tmp_path / "Documents").exists()
    assert report_folder() == tmp_path  # neither Documents nor Downloads: the home folder
    assert standard_folder(documents, platform="win32") == tmp_path / "Documents"  # every account has one there
    (tmp_path / "Downloads").mkdir()
    assert report_folder() == tmp_path / "Documents"
