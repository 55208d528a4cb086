"""The dashboard, wired into the tray app over a real store: empty state, filters, table, drill-down, live."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QPushButton, QWidget

from desktop_app.core.models import ContentRecord, RecordBatch, UsageEvent
from desktop_app.core.store.content_log import ContentLog
from desktop_app.core.store.dashboard import RangePreset
from desktop_app.core.store.database import UsageStore
from desktop_app.ui.dashboard_models import SORT_ROLE
from desktop_app.ui.dialogs.dashboard import DashboardWindow
from tests.benchmarks.synthetic import SyntheticSpec, chunked, generate_batches
from tests.ui.driving import action, running_app

ZONE = "UTC"  # the synthetic traffic is laid out on UTC days
TODAY = datetime.now(UTC).date()
SPEC = SyntheticSpec(usage_events=3000, developers=4, first_day=TODAY - timedelta(days=9), days=10, seed=11)


def fill(paths, spec=SPEC):
    with UsageStore.open(paths.database, ZONE) as store:
        for chunk in chunked(generate_batches(spec), 500):
            store.write_many(chunk)
        store.refresh_rollups()


def open_dashboard(app, qtbot) -> DashboardWindow:
    action(app, "open_dashboard").trigger()
    window = app.controller.dashboard.window
    assert window is not None
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.data is not None, timeout=5000)
    return window


def card(window, key) -> str:
    return window.findChild(QLabel, f"card_{key}").text()


def choose(combo: QComboBox, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


@pytest.fixture
def dashboard(make_app, qtbot, paths):
    fill(paths)
    app = running_app(make_app, qtbot, paths, time_zone=ZONE)
    return app, open_dashboard(app, qtbot)


def test_a_fresh_data_dir_says_there_is_no_data_yet_and_how_to_get_some(make_app, qtbot, paths):
    app = running_app(make_app, qtbot, paths)
    window = open_dashboard(app, qtbot)
    assert window.pages.currentWidget().objectName() == "empty_state"
    text = window.findChild(QLabel, "empty_text").text()
    assert "No Copilot traffic recorded yet" in text
    assert "CA certificate guide" in text and "Team &amp; credentials" in text
    assert not paths.database.exists()  # looking does not create the store

    window.findChild(QPushButton, "empty_ca_guide_button").click()
    guide = app.controller.ca_guide.window
    assert guide is not None and guide.isVisible()
    qtbot.addWidget(guide)
    window.findChild(QPushButton, "empty_team_button").click()
    team = app.controller.team.dialog
    assert team is not None and team.isVisible()
    qtbot.addWidget(team)


def test_the_thirty_day_view_shows_every_developer_and_day(dashboard):
    _app, window = dashboard
    data = window.data
    assert window.pages.currentWidget().objectName() == "dashboard_content"
    assert data.query.days.length == 30 and data.query.developers is None
    assert {r.developer for r in data.rows} == {"dev00", "dev01", "dev02", "dev03"}
    assert window.daily_model.rowCount() == len(data.rows) == 40
    assert card(window, "requests") == f"{SPEC.usage_events:,}"
    assert card(window, "active_developers") == "4"
    assert int(card(window, "user_interactions").replace(",", "")) == sum(r.user_interactions for r in data.rows) > 0
    assert window.quota_model.rowCount() == 4  # one premium_interactions snapshot per developer


def test_the_first_table_is_per_developer_and_the_daily_table_pins_day_and_developer(dashboard, qtbot):
    _app, window = dashboard
    assert window.tabs.currentWidget() is window.developer_table
    model = window.developer_model
    assert model.rowCount() == 4
    requests = [c.title for c in model.columns].index("Requests")
    counts = [model.index(n, requests).data(SORT_ROLE) for n in range(4)]
    assert counts == sorted(counts, reverse=True) and sum(counts) == SPEC.usage_events  # the busiest first
    pinned = window.daily_table.pinned
    assert [pinned.isColumnHidden(n) for n in range(4)] == [False, False, True, True]
    window.tabs.setCurrentWidget(window.daily_table)
    window.daily_table.horizontalScrollBar().setValue(window.daily_table.horizontalScrollBar().maximum())
    qtbot.waitUntil(pinned.isVisible)
    assert pinned.geometry().left() < window.daily_table.columnWidth(0)  # Day stays at the left edge


def test_the_errors_card_opens_the_failures_by_status_host_and_developer(dashboard, qtbot):
    _app, window = dashboard
    assert window.data.summary.errors > 0  # the synthetic traffic has failures
    qtbot.mouseClick(window.cards.cards["errors"], Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.errors_page
    total = sum(window.error_model.index(n, 0).data(SORT_ROLE) for n in range(window.error_model.rowCount()))
    assert total == window.data.summary.errors
    assert "failed requests" in window.error_note.text()


def test_export_opens_with_the_dashboards_days_and_developer(dashboard, qtbot):
    app, window = dashboard
    choose(window.filters.developer, "dev02")
    qtbot.waitUntil(lambda: window.data.query.developers == ("dev02",), timeout=3000)
    window.filters.export.click()
    export = app.controller.export.window
    assert export is not None and export.isVisible()
    qtbot.addWidget(export)
    days = window.data.query.days
    assert export.period.currentData() == "custom"
    assert (export.first_day.date().toString("yyyy-MM-dd"), export.last_day.date().toString("yyyy-MM-dd")) == (
        days.first.isoformat(), days.last.isoformat())
    assert export.developer.currentData() == "dev02"


def test_today_is_charted_by_hour(dashboard, qtbot):
    _app, window = dashboard
    choose(window.filters.preset, RangePreset.TODAY.value)
    qtbot.waitUntil(lambda: window.data.query.days.length == 1, timeout=3000)
    assert window.data.daily.hours == tuple(range(24))
    assert sum(map(sum, window.data.daily.values)) == window.data.summary.requests


def test_filters_change_the_query(dashboard, qtbot):
    app, window = dashboard
    presenter = app.controller.dashboard
    choose(window.filters.developer, "dev01")
    qtbot.waitUntil(lambda: presenter.query.developers == ("dev01",) and window.data.query.developers == ("dev01",),
                    timeout=3000)
    assert {r.developer for r in window.data.rows} == {"dev01"}
    assert {window.daily_model.index(n, 1).data() for n in range(window.daily_model.rowCount())} == {"dev01"}

    choose(window.filters.preset, RangePreset.TODAY.value)
    qtbot.waitUntil(lambda: window.data.query.days.length == 1, timeout=3000)
    assert window.data.query.days.first == presenter.today() == TODAY
    assert {r.day for r in window.data.rows} == {TODAY}

    first = presenter.today() - timedelta(days=3)
    window.filters.first.setDate(QDate(first.year, first.month, first.day))
    qtbot.waitUntil(lambda: window.data.query.days.first == first, timeout=3000)
    assert window.filters.selected_preset() is RangePreset.CUSTOM
    assert {r.day for r in window.data.rows} == {first + timedelta(days=n) for n in range(4)}


def test_an_inverted_custom_range_is_refused_with_a_sentence(dashboard, qtbot):
    _app, window = dashboard
    shown = window.data
    choose(window.filters.preset, RangePreset.CUSTOM.value)
    qtbot.waitUntil(lambda: window.data is not shown, timeout=3000)
    window.filters.last.setDate(window.filters.first.date().addDays(-2))
    assert "before it starts" in window.filters.status.text()


def test_a_range_longer_than_three_years_is_refused_and_the_presets_still_work(dashboard, qtbot):
    _app, window = dashboard
    window.filters.first.setDate(window.filters.last.date().addYears(-4))
    assert window.filters.selected_preset() is RangePreset.CUSTOM
    assert "choose at most" in window.filters.status.text()
    choose(window.filters.preset, RangePreset.LAST_7_DAYS.value)
    qtbot.waitUntil(lambda: window.data.query.days.length == 7, timeout=3000)


def test_the_daily_table_sorts_in_place(dashboard):
    _app, window = dashboard
    model = window.daily_model
    requests = [c.title for c in model.columns].index("Requests")
    window.daily_table.sortByColumn(requests, Qt.SortOrder.DescendingOrder)
    values = [model.index(n, requests).data(SORT_ROLE) for n in range(model.rowCount())]
    assert values == sorted(values, reverse=True)
    rate = [c.title for c in model.columns].index("Acceptance rate")
    window.daily_table.sortByColumn(rate, Qt.SortOrder.AscendingOrder)
    rates = [model.index(n, rate).data(SORT_ROLE) for n in range(model.rowCount())]
    known = [r for r in rates if r is not None]
    assert known == sorted(known) and rates[: len(known)] == known  # no rate sorts last


def test_double_clicking_a_day_drills_down_with_agent_follow_ups_under_their_prompt(dashboard, qtbot):
    _app, window = dashboard
    row = next(n for n, r in enumerate(window.daily_model.rows) if r.agent_requests > 0)
    chosen = window.daily_model.rows[row]
    window.daily_table.doubleClicked.emit(window.daily_model.index(row, 3))
    assert window.tabs.currentWidget() is window.requests
    tree = window.requests.model
    qtbot.waitUntil(lambda: tree.rowCount() > 0, timeout=3000)
    assert window.requests.selected_developer() == chosen.developer
    assert {r.started_at.date() for i in tree.interactions for r in i.requests} == {chosen.day}
    turns = [n for n, i in enumerate(tree.interactions) if i.follow_ups and i.lead.mode == "agent"]
    assert turns
    parent = tree.index(turns[0], 0)
    assert tree.rowCount(parent) == len(tree.interactions[turns[0]].follow_ups)
    assert tree.index(0, 4, parent).data() == "agent"
    assert tree.index(turns[0], 4).data() == "user"
    assert tree.index(turns[0], 1).data() == f"model call · {tree.rowCount(parent)} follow-ups"
    assert tree.index(0, 1, parent).data() == "model call"
    assert "requests in this interaction" in tree.index(turns[0], 0).data(Qt.ItemDataRole.ToolTipRole)
    assert window.requests.status.text().startswith(f"{chosen.day} to {chosen.day}:")


def test_a_selected_request_shows_its_recorded_prompt_and_answer(make_app, qtbot, paths):
    started = datetime.now(UTC).replace(microsecond=123456)
    event = UsageEvent(developer="alice", started_at=started, method="POST", host="api.githubcopilot.com",
                       path="/chat/completions", host_family="api", kind="model_call", status=200, duration_ms=900.0,
                       ttfb_ms=80.0, request_bytes=10, response_bytes=10, http_version="HTTP/2.0", streamed=True,
                       mode="ask", initiator="user", interaction_id="i-1", model="gpt-4.1")
    with UsageStore.open(paths.database, "") as store:
        store.write(RecordBatch(usage=(event, _later(event, 5, "i-2"))))
    document = {"request": {"content": {"messages": [{"role": "user", "content": "Explain the retry loop"}]}},
                "response": {"content": [{"choices": [{"delta": {"content": "It retries "}}]},
                                         {"choices": [{"delta": {"content": "three times."}}]}, ""]}}
    ContentLog(paths.content_dir).write(ContentRecord("alice", started, "chat", document))
    app = running_app(make_app, qtbot, paths)
    window = open_dashboard(app, qtbot)
    window.tabs.setCurrentWidget(window.requests)
    window.requests.choose("alice")
    window.drill_requested.emit("alice", None)
    tree = window.requests.model
    qtbot.waitUntil(lambda: tree.rowCount() == 2, timeout=3000)
    recorded = next(n for n in range(2) if tree.interactions[n].lead.interaction_id == "i-1")
    window.requests.tree.setCurrentIndex(tree.index(recorded, 0))
    qtbot.waitUntil(lambda: window.requests.response.toPlainText() == "It retries three times.", timeout=3000)
    assert window.requests.prompt.toPlainText() == "Explain the retry loop"

    window.requests.tree.setCurrentIndex(tree.index(1 - recorded, 0))
    qtbot.waitUntil(lambda: "No prompt or answer was recorded" in window.requests.conversation_status.text(),
                    timeout=3000)
    assert window.requests.prompt.toPlainText() == ""


def _later(event, seconds, interaction):
    from dataclasses import replace
    return replace(event, started_at=event.started_at + timedelta(seconds=seconds), interaction_id=interaction)


def test_new_traffic_appears_within_two_seconds(dashboard, qtbot, paths):
    app, window = dashboard
    before = window.data.summary.requests
    now = datetime.now(UTC)
    events = tuple(UsageEvent(developer="dev02", started_at=now, method="POST", host="api.githubcopilot.com",
                              path="/chat/completions", host_family="api", kind="model_call", status=200,
                              duration_ms=10.0, ttfb_ms=None, request_bytes=1, response_bytes=1,
                              http_version="HTTP/2.0", streamed=True) for _ in range(3))
    with UsageStore.open(paths.database, ZONE) as store:
        store.write(RecordBatch(usage=events))
    writer = threading.Thread(target=app.bridge.on_usage, args=(events,))
    writer.start()
    writer.join()
    qtbot.waitUntil(lambda: window.data.summary.requests == before + 3, timeout=2000)
    assert card(window, "requests") == f"{before + 3:,}"


def test_a_damaged_database_is_reported_once_and_the_window_stays_usable(make_app, qtbot, paths, caplog):
    paths.database.parent.mkdir(parents=True, exist_ok=True)
    paths.database.write_bytes(b"this is not a database" * 100)
    app = running_app(make_app, qtbot, paths)
    action(app, "open_dashboard").trigger()
    window = app.controller.dashboard.window
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "Could not read" in window.filters.status.text(), timeout=3000)
    app.controller.dashboard.refresh()
    qtbot.waitUntil(lambda: not app.controller.dashboard._reading, timeout=3000)
    reported = [r for r in caplog.records if "dashboard cannot read" in r.getMessage()]
    assert len(reported) == 1
    assert window.isVisible()


def test_the_window_is_one_and_comes_forward(dashboard):
    app, window = dashboard
    action(app, "open_dashboard").trigger()
    assert [w for w in QApplication.topLevelWidgets() if w.objectName() == "dashboard_window"] == [window]
    assert isinstance(window.findChild(QWidget, "dashboard_tabs"), QWidget)
    room = window.screen().availableGeometry()
    assert window.width() <= room.width() and window.height() <= room.height()  # never larger than the screen
    assert date.fromisoformat(window.filters.last.date().toString("yyyy-MM-dd")) == app.controller.dashboard.today()


def _distinct_colours(image, step=7) -> int:
    return len({image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)})


def test_every_view_renders_offscreen(dashboard, qtbot, tmp_path):
    _app, window = dashboard
    qtbot.waitUntil(lambda: window.charts_ready, timeout=5000)
    out = tmp_path / "renders"
    out.mkdir()
    window.resize(1200, 800)
    for n in range(window.tabs.count()):
        window.tabs.setCurrentIndex(n)
        if window.tabs.currentWidget() is window.requests:
            window.requests.choose("dev00")
            window.drill_requested.emit("dev00", None)
            qtbot.waitUntil(lambda: window.requests.model.rowCount() > 0, timeout=3000)
        image = window.grab().toImage()
        assert image.save(str(out / f"dashboard_{n}.png"))
        assert _distinct_colours(image) > 8, window.tabs.tabText(n)
    charts = window.charts
    assert set(charts) == {"daily", "modes", "models", "languages", "editors"}
    assert not charts["daily"].is_empty and not charts["models"].is_empty
    assert charts["daily"].legend_names[0] == window.data.daily.developers[0]


def test_the_tray_never_imports_the_chart_library_until_the_dashboard_opens():
    import subprocess
    import sys
    code = ("import sys; import desktop_app.app, desktop_app.ui.controller, desktop_app.ui.dashboard_presenter; "
            "print('pyqtgraph' in sys.modules, 'numpy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_the_first_developer_can_be_chosen_in_the_requests_tab(dashboard, qtbot):
    _app, window = dashboard
    combo = window.requests.developer
    assert combo.currentIndex() == -1 and combo.placeholderText() == "Choose a developer"
    combo.setCurrentIndex(combo.findData("dev00"))
    qtbot.waitUntil(lambda: window.requests.model.rowCount() > 0, timeout=3000)
    assert window.requests.shown_developer == "dev00"


def test_the_drill_down_follows_the_days_unless_opened_on_one_day(dashboard, qtbot):
    _app, window = dashboard
    pane = window.requests
    choose(pane.developer, "dev01")
    qtbot.waitUntil(lambda: pane.status.text().startswith(f"{TODAY - timedelta(days=29)} to {TODAY}:"), timeout=3000)
    choose(window.filters.preset, RangePreset.TODAY.value)
    qtbot.waitUntil(lambda: pane.status.text().startswith(f"{TODAY} to {TODAY}:"), timeout=3000)

    choose(window.filters.preset, RangePreset.LAST_7_DAYS.value)
    qtbot.waitUntil(lambda: window.data.query.days.length == 7, timeout=3000)
    row = next(n for n, r in enumerate(window.daily_model.rows) if r.day == TODAY - timedelta(days=2))
    day = window.daily_model.rows[row].day
    window.daily_table.doubleClicked.emit(window.daily_model.index(row, 0))
    qtbot.waitUntil(lambda: pane.status.text().startswith(f"{day} to {day}:"), timeout=3000)
    window.filters.refresh.click()
    assert pane.status.text() == "Reading requests…"
    qtbot.waitUntil(lambda: pane.status.text() != "Reading requests…", timeout=3000)
    assert pane.status.text().startswith(f"{day} to {day}:")


def test_a_live_refresh_keeps_the_selected_row(dashboard, qtbot, paths):
    app, window = dashboard
    window.tabs.setCurrentWidget(window.daily_table)
    window.daily_table.selectRow(3)
    selected = window.daily_model.rows[3]
    before = window.data
    app.controller.dashboard.refresh()
    qtbot.waitUntil(lambda: window.data is not before, timeout=3000)
    rows = window.daily_table.selectionModel().selectedRows()
    assert [window.daily_model.rows[i.row()] for i in rows] == [selected]


def test_the_presets_move_on_at_midnight_without_traffic(dashboard, qtbot):
    app, window = dashboard
    presenter = app.controller.dashboard
    choose(window.filters.preset, RangePreset.TODAY.value)
    qtbot.waitUntil(lambda: window.data.query.days.first == TODAY, timeout=3000)
    presenter._check_day()
    assert not presenter._reading  # the same day: nothing to read
    real_clock = presenter._clock
    presenter._clock = lambda: real_clock() + 86_400
    presenter._check_day()
    qtbot.waitUntil(lambda: window.data.query.days.first == TODAY + timedelta(days=1), timeout=3000)
    assert window.data.rows == ()


def test_with_content_recording_on_a_missing_file_is_explained_differently(make_app, qtbot, paths):
    from desktop_app.core.team.settings import RecordingSettings
    fill(paths)
    app = running_app(make_app, qtbot, paths, time_zone=ZONE, recording=RecordingSettings(level="content"))
    window = open_dashboard(app, qtbot)
    choose(window.requests.developer, "dev00")
    qtbot.waitUntil(lambda: window.requests.model.rowCount() > 0, timeout=3000)
    window.requests.tree.setCurrentIndex(window.requests.model.index(0, 0))
    qtbot.waitUntil(lambda: "No prompt or answer is on file" in window.requests.conversation_status.text(),
                    timeout=3000)
    assert "retention period" in window.requests.conversation_status.text()


def test_a_window_deleted_while_its_charts_are_being_built_stops_building(qtbot):
    import shiboken6

    from desktop_app.ui import charts
    window = DashboardWindow()
    window.build_charts(charts)
    shiboken6.delete(window)
    qtbot.wait(50)  # the pending chart steps must not touch the deleted layout


def test_cards_mark_acceptance_counted_on_some_days_and_say_why_it_is_unknown(qtbot):
    from desktop_app.core.figures import NO_TELEMETRY, UNKNOWN
    from desktop_app.core.store.dashboard import Summary
    from desktop_app.ui.dialogs.dashboard_parts import SummaryCards

    cards = SummaryCards()
    qtbot.addWidget(cards)
    cards.show_summary(Summary(requests=50, completions_shown=40, completions_accepted=4, acceptance_rate=0.4,
                               prompt_tokens=320_093_395, developer_days=2, telemetry_days=1))
    assert cards.values["acceptance_rate"].text() == "40.0% *"
    assert "1 of 2 developer-days" in cards.cards["acceptance_rate"].toolTip()
    assert cards.values["tokens"].text() == "320 M"
    assert cards.cards["tokens"].toolTip().startswith("320,093,395")
    cards.show_summary(Summary(requests=50, completions_shown=40, developer_days=2, telemetry_days=0))
    assert cards.values["completions_accepted"].text() == cards.values["acceptance_rate"].text() == UNKNOWN
    assert NO_TELEMETRY in cards.cards["acceptance_rate"].toolTip()


def test_the_instance_filter_shows_only_for_several_instances_and_follows_into_the_export(make_app, qtbot, paths,
                                                                                         tmp_path):
    batches = list(generate_batches(SPEC))
    half = len(batches) // 2
    with UsageStore.open(paths.database, ZONE, instance="berlin") as store:
        store.write_many(batches[:half])
    app = running_app(make_app, qtbot, paths, time_zone=ZONE)
    window = open_dashboard(app, qtbot)
    assert window.filters.instance.isHidden()  # one instance: nothing to choose
    with UsageStore.open(paths.database, ZONE, instance="lisbon") as store:
        store.write_many(batches[half:])
    window.filters.refresh.click()
    qtbot.waitUntil(lambda: window.data.instances_known == ("berlin", "lisbon"), timeout=5000)
    assert not window.filters.instance.isHidden()
    everyone = window.data.summary.requests
    assert everyone == SPEC.usage_events
    choose(window.filters.instance, "lisbon")
    qtbot.waitUntil(lambda: window.data.query.instances == ("lisbon",), timeout=5000)
    lisbon = sum(len(b.usage) for b in batches[half:])  # all within the last 30 days
    assert 0 < window.data.summary.requests == lisbon < everyone
    window.resize(1400, 800)
    qtbot.waitUntil(lambda: window.charts_ready, timeout=5000)
    assert window.grab().save(str(tmp_path / "dashboard_instance.png"))
    window.filters.export.click()
    export = app.controller.export.window
    qtbot.addWidget(export)
    assert export.instance.currentData() == "lisbon" and export.choice().instance == "lisbon"
    assert not export.instance.isHidden()


def test_live_refreshes_skip_what_is_unchanged_and_hidden_charts_wait_for_their_tab(dashboard, qtbot):
    import dataclasses

    _app, window = dashboard
    qtbot.waitUntil(lambda: window.charts_ready, timeout=5000)
    data = window.data
    window.tabs.setCurrentWidget(window.developer_table)
    busier = dataclasses.replace(data, daily=dataclasses.replace(
        data.daily, values=tuple((*v[:-1], v[-1] + 100) for v in data.daily.values)))
    window.show_data(busier, "12:00:01")
    assert window.charts["daily"].displayed != busier.daily  # the hidden charts are not drawn ...
    window.tabs.setCurrentWidget(window.chart_page)
    assert window.charts["daily"].displayed == busier.daily  # ... until their tab is shown

    resets = []
    window.developer_model.modelReset.connect(lambda: resets.append("reset"))
    window.developer_model.dataChanged.connect(lambda *_: resets.append("changed"))
    window.show_data(dataclasses.replace(busier), "12:00:02")  # the same figures read again
    assert resets == [] and window.filters.status.text() == "Updated 12:00:02"
