"""The dashboard window: filters, summary cards, charts, the daily table, quotas and the drill-down.

A passive view. `ui.dashboard_presenter` reads the store on a worker and hands the window a
`DashboardData` (`show_data`), a `RequestPage` (`requests.show_page`) or a conversation; the window
emits what the lead asks for. The chart widgets come from `ui.charts`, which imports pyqtgraph: the
presenter imports it on a worker and calls `build_charts` when it is loaded, so opening the window
never waits for it; `charts_ready` says when all are built. Stable objectNames: `dashboard_window`,
`dashboard_pages` (the empty state or `dashboard_content`), `dashboard_tabs`, `developer_table`
(the first tab: per developer over the chosen days), `daily_table` (Day and Developer pinned),
`error_table` (the errors card opens it), `quota_table`, `charts_placeholder`, `chart_daily`,
`chart_modes`, `chart_models`, `chart_languages`, `chart_editors`, plus those of `dashboard_parts`
and `dashboard_requests`.
"""

from types import ModuleType

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGridLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.figures import figure
from desktop_app.core.store.dashboard import DashboardData, DayRange
from desktop_app.ui.dashboard_models import (
    FIGURES_CONTEXT,
    FROZEN_COLUMNS,
    KIND_COLUMN,
    TREND_BARS,
    DailyTableModel,
    DeveloperTableModel,
    ErrorTableModel,
    QuotaTableModel,
)
from desktop_app.ui.dialogs.dashboard_parts import EmptyState, FilterBar, SummaryCards
from desktop_app.ui.dialogs.dashboard_requests import RequestsPane
from desktop_app.ui.frozen_table import FrozenColumnsTable
from desktop_app.ui.i18n import tr
from desktop_app.ui.icons import app_icon
from desktop_app.ui.widgets import named

CONTEXT = "Dashboard"
COLUMN_WIDTH = 96
WINDOW_SIZE = (1180, 780)
MIN_COLUMN_WIDTH = 64
HEADER_PADDING = 28  # the sort indicator and margins
TIMESTAMP_SAMPLE = "2026-12-31 23:59:59"
TEXT_SAMPLE = "claude-sonnet-4.6"
HOST_SAMPLE = "proxy.business.githubcopilot.com"
KIND_SAMPLE = "next edit suggestion"  # the longest kind title, as the drill-down writes it


def _table(name: str, frozen: int = 0) -> QTableView:
    view = named(FrozenColumnsTable(frozen) if frozen else QTableView(), name)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # never per-row measuring
    view.horizontalHeader().setDefaultSectionSize(COLUMN_WIDTH)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def fit_headers(view: QTableView | QTreeView, first_sample: str = "") -> None:
    """Size the columns from their titles and typical contents, never by measuring the rows.

    The first column also fits `first_sample`; columns of text fit `TEXT_SAMPLE`.
    """
    header, metrics = view.header() if isinstance(view, QTreeView) else view.horizontalHeader(), view.fontMetrics()
    model = view.model()
    columns = getattr(model, "columns", ())
    for section in range(model.columnCount()):
        samples = str(model.headerData(section, Qt.Orientation.Horizontal) or "").split("\n")
        if section == 0:
            samples.append(first_sample)
        elif section < len(columns) and not columns[section].numeric:
            samples.append(TEXT_SAMPLE)
        wanted = max(metrics.horizontalAdvance(sample) for sample in samples)
        header.resizeSection(section, max(wanted + HEADER_PADDING, MIN_COLUMN_WIDTH))


class DashboardWindow(QDialog):
    """Per-developer daily usage, live."""

    filter_changed = Signal()
    refresh_requested = Signal()
    team_requested = Signal()
    ca_guide_requested = Signal()
    drill_requested = Signal(str, object)  # a developer, and a DayRange (None: the dashboard's days)
    export_requested = Signal(object, object, object)  # the DayRange shown, the developer and instance filters

    def __init__(self, parent: QWidget | None = None) -> None:
        """Build the window; charts wait for `build_charts`, figures for `show_data`."""
        super().__init__(parent)
        self.setObjectName("dashboard_window")
        self.setWindowTitle(tr(CONTEXT, "Copilot Insight — Dashboard"))
        self.setWindowIcon(app_icon())
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.setWindowFlag(Qt.WindowType.WindowMinimizeButtonHint, True)
        self.filters = FilterBar()
        self.cards = SummaryCards()
        self.developer_model = DeveloperTableModel(self)
        self.daily_model = DailyTableModel(self)
        self.error_model = ErrorTableModel(self)
        self.quota_model = QuotaTableModel(self)
        self.developer_table = _table("developer_table")
        self.developer_table.setModel(self.developer_model)
        self.developer_table.doubleClicked.connect(self._on_developer_double_click)
        self.daily_table = _table("daily_table", FROZEN_COLUMNS)
        self.daily_table.setModel(self.daily_model)
        self.daily_table.doubleClicked.connect(self._on_table_double_click)
        self.error_table = _table("error_table")
        self.error_table.setModel(self.error_model)
        self.quota_table = _table("quota_table")
        self.quota_table.setModel(self.quota_model)
        fit_headers(self.developer_table, TEXT_SAMPLE)
        self.developer_table.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # the busiest first
        trend = self.developer_model.columnCount() - 1
        self.developer_table.setColumnWidth(trend, self.fontMetrics().horizontalAdvance("█" * TREND_BARS)
                                            + HEADER_PADDING)
        fit_headers(self.daily_table, "2026-12-31")
        fit_headers(self.error_table, "12,345")
        metrics = self.fontMetrics()
        self.error_table.setColumnWidth(3, metrics.horizontalAdvance(HOST_SAMPLE) + HEADER_PADDING)
        self.error_table.setColumnWidth(5, metrics.horizontalAdvance(TIMESTAMP_SAMPLE) + HEADER_PADDING)
        fit_headers(self.quota_table)
        self.requests = RequestsPane()
        fit_headers(self.requests.tree, TIMESTAMP_SAMPLE + "    ")
        kind = self.fontMetrics().horizontalAdvance(tr(CONTEXT, "{kind} · {count} follow-ups").format(
            kind=KIND_SAMPLE, count=999))
        self.requests.tree.header().resizeSection(KIND_COLUMN, kind + HEADER_PADDING)  # the kind is never cut
        self.empty = EmptyState()
        self.charts: dict[str, QWidget] = {}
        self._chart_queue: list[tuple[str, type[QWidget], tuple[int, int, int, int]]] = []
        self.data: DashboardData | None = None
        self._build()
        self.filters.changed.connect(self.filter_changed)
        self.filters.refresh_requested.connect(self.refresh_requested)
        self.filters.export_requested.connect(self._on_export)
        self.cards.errors_requested.connect(self.show_errors)
        self.empty.team_requested.connect(self.team_requested)
        self.empty.ca_guide_requested.connect(self.ca_guide_requested)
        self.requests.developer_chosen.connect(lambda name: self.drill_requested.emit(name, None))
        self._fit_screen()

    def _fit_screen(self) -> None:
        """Open at a comfortable size, never larger than the screen (90 % of it at most)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        width, height = WINDOW_SIZE
        if screen is not None:
            room = screen.availableGeometry()
            width, height = min(width, int(room.width() * 0.9)), min(height, int(room.height() * 0.9))
        self.resize(width, height)

    def _build(self) -> None:
        self.chart_page = QWidget()
        self._charts_stale = False  # the charts tab is hidden and its charts wait for `data`
        self.chart_grid = QGridLayout(self.chart_page)
        self.chart_grid.addWidget(named(QLabel(tr(CONTEXT, "Loading the charts…")), "charts_placeholder"), 0, 0)
        quotas = QWidget()
        quota_layout = QVBoxLayout(quotas)
        quota_layout.addWidget(QLabel(tr(CONTEXT, "The latest quota each developer's Copilot reported (GitHub sends "
                                                  "it with responses); it does not depend on the days chosen."),
                                      wordWrap=True))
        quota_layout.addWidget(self.quota_table)
        errors = QWidget()
        error_layout = QVBoxLayout(errors)
        self.error_note = named(QLabel(wordWrap=True), "error_note")
        error_layout.addWidget(self.error_note)
        error_layout.addWidget(self.error_table)
        self.errors_page = errors
        self.tabs = named(QTabWidget(), "dashboard_tabs")
        self.tabs.addTab(self.developer_table, tr(CONTEXT, "Per developer"))
        self.tabs.addTab(self.chart_page, tr(CONTEXT, "Charts"))
        self.tabs.addTab(self.daily_table, tr(CONTEXT, "Per developer per day"))
        self.tabs.addTab(errors, tr(CONTEXT, "Errors"))
        self.tabs.addTab(quotas, tr(CONTEXT, "Quotas"))
        self.tabs.addTab(self.requests, tr(CONTEXT, "Requests"))
        self.tabs.currentChanged.connect(self._draw_stale_charts)
        content = named(QWidget(), "dashboard_content")
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(self.cards)
        content_layout.addWidget(self.tabs, 1)
        self.pages = named(QStackedWidget(), "dashboard_pages")
        self.pages.addWidget(content)
        self.pages.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filters)
        layout.addWidget(self.pages, 1)

    # --- charts ---------------------------------------------------------------------------------------

    def build_charts(self, charts: ModuleType) -> None:
        """Create the chart widgets from the loaded `ui.charts` module, one per event-loop turn, then draw.

        Each chart takes ~15 ms to build; spreading them keeps the GUI thread answering in between.
        """
        if self.charts or self._chart_queue:
            return
        placeholder = self.chart_page.findChild(QLabel, "charts_placeholder")
        if placeholder is not None:
            placeholder.deleteLater()
        self._chart_queue = [("daily", charts.StackedDailyChart, (0, 0, 1, 2))] + [
            (key, charts.BreakdownChart, (1 + n // 2, n % 2, 1, 1))
            for n, key in enumerate(("modes", "models", "languages", "editors"))]
        self.chart_grid.setRowStretch(0, 3)
        self.chart_grid.setRowStretch(1, 2)
        self.chart_grid.setRowStretch(2, 2)
        QTimer.singleShot(0, self, self._build_next_chart)  # cancelled if the window goes

    def show_charts_failed(self, message: str) -> None:
        """Say the charts cannot be shown (where they would be)."""
        placeholder = self.chart_page.findChild(QLabel, "charts_placeholder")
        if placeholder is not None:
            placeholder.setText(message)

    @property
    def charts_ready(self) -> bool:
        """Whether every chart exists (and shows the current data)."""
        return bool(self.charts) and not self._chart_queue

    def _build_next_chart(self) -> None:
        if not self._chart_queue:
            return
        key, kind, (row, column, rows, columns) = self._chart_queue.pop(0)
        chart = named(kind(), f"chart_{key}")
        self.chart_grid.addWidget(chart, row, column, rows, columns)
        self.charts[key] = chart
        if self._chart_queue:
            QTimer.singleShot(0, self, self._build_next_chart)  # cancelled if the window goes
        elif self.data is not None:
            self._draw_charts(self.data)

    def _draw_charts(self, data: DashboardData) -> None:
        """Draw `data` into the charts, or, while their tab is hidden, when it is shown (no work for hidden tabs)."""
        if not self.charts_ready:
            return
        self._charts_stale = self.tabs.currentWidget() is not self.chart_page
        if self._charts_stale:
            return
        self.charts["daily"].set_series(data.daily, tr(FIGURES_CONTEXT, figure("requests").unit))  # type: ignore[attr-defined]
        picks = {"modes": ("interactions_by_mode", data.modes), "models": ("models", data.models),
                 "languages": ("languages", data.languages), "editors": ("editors", data.editors)}
        for key, (name, items) in picks.items():
            fig = figure(name)
            self.charts[key].set_breakdown(tr(FIGURES_CONTEXT, fig.title), items,  # type: ignore[attr-defined]
                                           tr(FIGURES_CONTEXT, fig.unit))

    def _draw_stale_charts(self) -> None:
        if self._charts_stale and self.data is not None:
            self._draw_charts(self.data)

    # --- figures --------------------------------------------------------------------------------------

    def show_loading(self) -> None:
        """Say figures are being read (the current ones stay until the new ones arrive)."""
        self.filters.status.setText(tr(CONTEXT, "Reading…"))

    def show_range(self, days: DayRange) -> None:
        """Show the days the chosen preset means today."""
        self.filters.show_range(days)

    def show_data(self, data: DashboardData, updated: str) -> None:
        """Show `data` (cards, charts, tables) or the empty state when nothing was ever recorded.

        A live refresh that read the figures already shown only updates the time: nothing is laid out again.
        """
        self.filters.status.setText(tr(CONTEXT, "Updated {time}").format(time=updated))
        unchanged, self.data = data == self.data, data
        if unchanged:
            return
        self.filters.set_developers(data.developers_known)
        self.filters.set_instances(data.instances_known)
        self.requests.set_developers(data.developers_known)
        if not data.ever_recorded:
            self.pages.setCurrentWidget(self.empty)
            return
        self.pages.setCurrentIndex(0)
        self.cards.show_summary(data.summary)
        self.developer_model.set_rows(data.developers)
        self.daily_model.set_rows(data.rows)
        self.error_model.set_rows(data.errors)
        self.error_note.setText(self._error_text(data))
        self.quota_model.set_rows(data.quotas)
        self._draw_charts(data)

    def show_failure(self, message: str) -> None:
        """Say the figures could not be read (the last ones stay)."""
        self.filters.status.setText(message)

    @staticmethod
    def _error_text(data: DashboardData) -> str:
        if not data.summary.errors:
            return tr(CONTEXT, "No request failed in the chosen days.")
        return tr(CONTEXT, "{count} failed requests in the chosen days, by status, host and developer. An upstream "
                           "outage shows as 5xx for everyone, an exhausted quota as 429, one developer's broken "
                           "set-up as 401/407 or connection errors for one name.").format(
            count=f"{data.summary.errors:,}")

    def show_errors(self) -> None:
        """Show the breakdown of the failed requests (what the errors card opens)."""
        self.tabs.setCurrentWidget(self.errors_page)

    def _on_export(self) -> None:
        if self.data is not None:
            query = self.data.query
            self.export_requested.emit(query.days, query.developers[0] if query.developers else None,
                                       query.instances[0] if query.instances is not None else None)

    def _on_developer_double_click(self, index: QModelIndex) -> None:
        """Open that developer's requests of the chosen days."""
        if 0 <= index.row() < len(self.developer_model.rows):
            name = self.developer_model.rows[index.row()].developer
            self.tabs.setCurrentWidget(self.requests)
            self.requests.choose(name)
            self.drill_requested.emit(name, None)

    def _on_table_double_click(self, index: QModelIndex) -> None:
        """Open that developer's requests of that day."""
        if not 0 <= index.row() < len(self.daily_model.rows):
            return
        row = self.daily_model.rows[index.row()]
        self.tabs.setCurrentWidget(self.requests)
        self.requests.choose(row.developer)
        self.drill_requested.emit(row.developer, DayRange(row.day, row.day))
