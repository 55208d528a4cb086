"""The team dialog shows who is stuck and why: the Connection column, the details, unknown names."""

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from desktop_app.core.store.queries import ConnectionSummary, DayActivity
from desktop_app.core.team.directory import add_developer
from desktop_app.core.team.settings import Settings
from desktop_app.ui.activity import TodayActivity
from desktop_app.ui.dialogs.team import CONNECTION_COLUMN, TeamDialog, TeamRow
from desktop_app.ui.team_presenter import team_rows, unknown_name_lines

NOW = datetime.now(UTC)


def summary(kind, username, minutes_ago=5, host="api.githubcopilot.com", source="192.0.2.7", count=2):
    at = NOW - timedelta(minutes=minutes_ago)
    return ConnectionSummary(kind, username, source, host, count, at, at, "tlsv1 alert unknown ca")


@pytest.fixture
def settings():
    result = Settings()
    for name in ("alice", "bob", "carol"):
        result = add_developer(result, name)
    return result


def test_rows_carry_each_developers_current_problem_and_details(settings):
    today = TodayActivity(
        day=NOW.date().isoformat(),
        developers={"bob": DayActivity(3, NOW - timedelta(minutes=1))},
        last_seen={"carol": NOW - timedelta(days=3), "bob": NOW - timedelta(minutes=1)},
        connections=(summary("untrusted_ca", "alice"), summary("wrong_password", "bob", minutes_ago=10),
                     summary("check_passed", "carol", host="insight.check"), summary("unknown_user", "mallory")))
    rows = {row.name: row for row in team_rows(settings, today)}
    assert rows["alice"].connection.startswith("Does not trust the CA (")
    assert "does not trust the proxy's CA" in rows["alice"].connection_details[0]
    assert rows["bob"].connection == ""  # a request after the wrong password: it is solved
    assert rows["bob"].connection_details[0].startswith("2 wrong passwords")
    assert rows["carol"].connection.startswith("Check passed (")
    assert rows["carol"].last_seen == NOW - timedelta(days=3)  # not today, but seen before
    assert rows["alice"].last_seen is None
    [line] = unknown_name_lines(settings, today)
    assert line.startswith("'mallory': 2 attempts (from 192.0.2.7")


def test_the_dialog_shows_the_problem_in_the_table_and_the_details_panel(qtbot):
    dialog = TeamDialog(lambda _name: None)
    qtbot.addWidget(dialog)
    details = ("2 TLS handshakes to api.githubcopilot.com failed: the client does not trust the proxy's CA",)
    dialog.set_rows([TeamRow("alice", True, "2026-01-01T00:00:00+00:00", 0, None, "Does not trust the CA (10:41)",
                             details),
                     TeamRow("bob", True, "2026-01-01T00:00:00+00:00", 1, NOW)])
    model = dialog.model
    assert model.index(0, CONNECTION_COLUMN).data() == "Does not trust the CA (10:41)"
    assert model.index(0, CONNECTION_COLUMN).data(Qt.ItemDataRole.ToolTipRole) == details[0]
    assert model.headerData(CONNECTION_COLUMN, Qt.Orientation.Horizontal) == "Connection"
    dialog.select("alice")
    assert "does not trust the proxy's CA" in dialog.connection_details.text()
    dialog.select("bob")
    assert dialog.connection_details.text() == "No refused logins or failed TLS handshakes recently."
    assert dialog.unknown_names.isHidden()
    dialog.set_unknown_names(["'mallory': 3 attempts (from 192.0.2.9, last 2026-11-25 10:00)"])
    assert not dialog.unknown_names.isHidden()
    assert "'mallory'" in dialog.unknown_names.text()
    dialog.set_unknown_names([])
    assert dialog.unknown_names.isHidden()
