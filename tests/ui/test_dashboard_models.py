"""The dashboard's item models, checked by Qt's model tester and read without any view."""

from contextlib import closing
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QPersistentModelIndex, Qt

from desktop_app.core.figures import DAILY_KEYS, DEVELOPER_KEYS, NO_TELEMETRY, UNKNOWN, counts_text, figure
from desktop_app.core.store.dashboard import DayRange, load_dashboard
from desktop_app.core.store.database import UsageStore
from desktop_app.core.store.drilldown import Interaction, RequestRecord, read_requests
from desktop_app.ui.dashboard_models import (
    SORT_ROLE,
    DailyTableModel,
    DeveloperTableModel,
    ErrorTableModel,
    InteractionTreeModel,
    QuotaTableModel,
    entitlement_text,
)
from tests.benchmarks.synthetic import SyntheticSpec, chunked, generate_batches

SPEC = SyntheticSpec(usage_events=2000, developers=3, first_day=date(2026, 5, 4), days=5, seed=5)
DAYS = DayRange(SPEC.first_day, SPEC.first_day + timedelta(days=SPEC.days - 1))


def stored(tmp_path):
    path = tmp_path / "usage.sqlite3"
    with UsageStore.open(path, "UTC") as store:
        for chunk in chunked(generate_batches(SPEC), 500):
            store.write_many(chunk)
    return path


def dashboard_of(tmp_path):
    from desktop_app.core.store.dashboard import DashboardQuery
    with closing(UsageStore.reader(stored(tmp_path))) as conn:
        return load_dashboard(conn, DashboardQuery(DAYS))


def test_the_daily_table_passes_the_model_tester_and_reads_every_figure(qtmodeltester, tmp_path):
    data = dashboard_of(tmp_path)
    model = DailyTableModel()
    model.set_rows(data.rows)
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 15 and model.columnCount() == len(model.columns)
    titles = [c.title for c in model.columns]
    assert titles == [figure(key).title for key in DAILY_KEYS]  # the figures' definitions, in order
    assert model.headerData(titles.index("Completions shown"), Qt.Orientation.Horizontal) == "Completions\nshown"
    first = data.rows[0]
    assert model.index(0, titles.index("Requests")).data() == f"{first.requests:,}"
    assert model.index(0, titles.index("Requests")).data(SORT_ROLE) == first.requests
    assert model.index(0, titles.index("AI credits")).data() == f"{first.ai_credits:,.2f}"
    alignment = model.index(0, titles.index("Requests")).data(Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & Qt.AlignmentFlag.AlignRight
    assert model.index(0, titles.index("Interactions by mode")).data() == counts_text(first.interactions_by_mode)
    tokens = model.index(0, titles.index("Prompt tokens"))
    assert tokens.data(Qt.ItemDataRole.ToolTipRole) in (None, f"{first.prompt_tokens:,}")


def test_unknown_acceptance_reads_as_a_dash_and_says_why(tmp_path):
    data = dashboard_of(tmp_path)
    model = DailyTableModel()
    model.set_rows([replace(data.rows[0], completions_accepted=None, acceptance_rate=None)])
    titles = [c.title for c in model.columns]
    for title in ("Completions accepted", "Acceptance rate"):
        cell = model.index(0, titles.index(title))
        assert cell.data() == UNKNOWN
        assert cell.data(Qt.ItemDataRole.ToolTipRole) == NO_TELEMETRY


def test_the_developer_table_adds_up_each_developers_days(qtmodeltester, tmp_path):
    data = dashboard_of(tmp_path)
    model = DeveloperTableModel()
    model.set_rows(data.developers)
    qtmodeltester.check(model, force_py=True)
    assert [c.figure.key for c in model.columns if c.figure] == list(DEVELOPER_KEYS)
    assert model.rowCount() == 3
    requests = [c.title for c in model.columns].index("Requests")
    total = sum(model.index(n, requests).data(SORT_ROLE) for n in range(3))
    assert total == sum(r.requests for r in data.rows)
    tokens = model.index(0, [c.title for c in model.columns].index("Tokens"))
    exact = f"{data.developers[0].summary.tokens:,}"
    assert tokens.data(Qt.ItemDataRole.ToolTipRole) in (exact, None)  # rounded text, the exact value on hover
    assert model.index(0, model.columnCount() - 1).data()  # the trend sparkline


def test_the_error_table_passes_the_model_tester(qtmodeltester, tmp_path):
    data = dashboard_of(tmp_path)
    model = ErrorTableModel()
    model.set_rows(data.errors)
    qtmodeltester.check(model, force_py=True)
    assert sum(e.count for e in data.errors) == data.summary.errors


def test_sorting_keeps_persistent_indexes_on_their_rows(qtmodeltester, tmp_path):
    data = dashboard_of(tmp_path)
    model = DailyTableModel()
    model.set_rows(data.rows)
    qtmodeltester.check(model, force_py=True)
    requests = [c.title for c in model.columns].index("Requests")
    pinned = QPersistentModelIndex(model.index(0, 1))
    pinned_row = model.rows[0]
    model.sort(requests, Qt.SortOrder.DescendingOrder)
    assert model.rows[pinned.row()] is pinned_row
    assert [r.requests for r in model.rows] == sorted((r.requests for r in data.rows), reverse=True)
    model.set_rows(data.rows)  # new rows keep the chosen order
    assert [r.requests for r in model.rows] == sorted((r.requests for r in data.rows), reverse=True)


def test_the_quota_table_passes_the_model_tester(qtmodeltester, tmp_path):
    data = dashboard_of(tmp_path)
    model = QuotaTableModel()
    model.set_rows(data.quotas)
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 3
    assert model.index(0, 1).data() == "premium interactions"
    assert model.index(0, 2).data().endswith(" %")
    assert entitlement_text(-1) == "unlimited" and entitlement_text(300.0) == "300"


def test_the_interaction_tree_passes_the_model_tester_and_nests_follow_ups(qtmodeltester, tmp_path):
    with closing(UsageStore.reader(stored(tmp_path))) as conn:
        page = read_requests(conn, "dev01", DAYS)
    model = InteractionTreeModel()
    model.set_interactions(page.interactions)
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == len(page.interactions)
    nested = next(n for n, i in enumerate(page.interactions) if len(i.follow_ups) >= 2)
    parent = model.index(nested, 0)
    assert model.rowCount(parent) == len(page.interactions[nested].follow_ups)
    child = model.index(1, 2, parent)
    assert child.parent() == parent
    assert model.record_at(child) is page.interactions[nested].follow_ups[1]
    assert model.rowCount(model.index(0, 0, parent)) == 0  # follow-ups have no children


def _record(seconds, initiator, interaction, **fields):
    base = {"started_at": datetime(2026, 5, 4, 9, tzinfo=UTC) + timedelta(seconds=seconds), "kind": "model_call",
            "mode": "agent", "model": "gpt-5.4", "initiator": initiator, "interaction_id": interaction,
            "prompt_tokens": 100, "completion_tokens": 20, "ai_credits": 0.5, "duration_ms": 1500.0, "status": 200,
            "error": None, "method": "POST", "host": "api.githubcopilot.com", "path": "/responses", "language": "",
            "cancelled": False}
    base.update(fields)
    return RequestRecord(**base)


def test_a_tree_cell_reads_as_the_lead_saw_it():
    lead = _record(0, "user", "t")
    failed = _record(5, "agent", "t", status=None, error="upstream closed", ai_credits=None)
    model = InteractionTreeModel()
    model.set_interactions([Interaction(lead, (failed,))])
    titles = [c.title for c in model.columns]
    top = model.index(0, titles.index("Tokens"))
    assert top.data() == "120"
    assert model.index(0, titles.index("Latency")).data() == "1,500 ms"
    child_status = model.index(0, titles.index("Status"), model.index(0, 0)).data()
    assert child_status == "upstream closed"
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == (
        "2 requests in this interaction: 240 tokens, 0.50 AI credits")


def test_descending_sorts_still_put_rows_without_a_value_last(tmp_path):
    data = dashboard_of(tmp_path)
    model = DailyTableModel()
    rows = list(data.rows)
    rows[0] = replace(rows[0], acceptance_rate=None)
    model.set_rows(rows)
    rate = [c.title for c in model.columns].index("Acceptance rate")
    model.sort(rate, Qt.SortOrder.DescendingOrder)
    rates = [model.index(n, rate).data(SORT_ROLE) for n in range(model.rowCount())]
    assert rates[-1] is None
    assert rates[:-1] == sorted(rates[:-1], reverse=True)


def test_the_same_rows_with_new_figures_update_in_place(qtbot, tmp_path):
    data = dashboard_of(tmp_path)
    model = DailyTableModel()
    model.set_rows(data.rows)
    pinned = QPersistentModelIndex(model.index(4, 2))
    busier = [replace(r, requests=r.requests + 1) for r in data.rows]
    with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(model.dataChanged):
        model.set_rows(busier)
    assert pinned.isValid() and pinned.data(SORT_ROLE) == data.rows[4].requests + 1
    with qtbot.waitSignal(model.modelReset):
        model.set_rows(busier[:-1])  # a row went away: the rows are new
