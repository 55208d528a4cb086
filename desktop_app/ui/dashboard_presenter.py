"""The dashboard window's presenter: every store read on a worker, live refresh throttled.

It owns the one `DashboardWindow`. Opening it shows the window at once and then reads the figures
(`core.dashboard.load_dashboard_file`) and imports the chart module (pyqtgraph) on workers. While
the window is shown, recorded traffic (`schedule`, called for every stored batch) triggers at most
one read per `LIVE_REFRESH_MS`, so new requests appear within two seconds and the GUI thread only
ever applies finished results. The drill-down and a request's recorded content are read the same
way; a late answer for a selection or a drill-down that changed since is dropped. The drill-down
follows the dashboard's days unless it was opened on one day of the table.
"""

import importlib
import logging
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from types import ModuleType

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.core.store.content_view import Conversation, find_content, read_conversation
from desktop_app.core.store.dashboard import (
    DashboardData,
    DashboardQuery,
    DayRange,
    RangePreset,
    load_dashboard_file,
    preset_range,
)
from desktop_app.core.store.dayzone import DayZone, resolve_zone
from desktop_app.core.store.drilldown import RequestPage, RequestRecord, read_requests_file
from desktop_app.core.store.engine import database_of
from desktop_app.core.team.settings import Settings
from desktop_app.ui import long_lived
from desktop_app.ui.context import UiContext
from desktop_app.ui.dialogs.dashboard import DashboardWindow
from desktop_app.ui.errors import describe
from desktop_app.ui.i18n import tr

logger = logging.getLogger(__name__)

CONTEXT = "Dashboard"
LIVE_REFRESH_MS = 1000
DAY_CHECK_MS = 30_000  # "Today" and the other presets move on at midnight even without traffic
CHARTS_MODULE = "desktop_app.ui.charts"


def conversation_of(content_dir: Path, developer: str, record: RequestRecord,
                    missing: str) -> tuple[Conversation | None, str]:
    """The recorded prompt and answer of `record`, or None and `missing` when there is none (blocking)."""
    path = find_content(content_dir, developer, record.started_at)
    return (None, missing) if path is None else (read_conversation(path), "")


class DashboardPresenter(QObject):
    """Opens the dashboard and keeps it current."""

    team_requested = Signal()
    ca_guide_requested = Signal()
    export_requested = Signal(object, object, object)  # the DayRange shown, the developer and instance filters

    def __init__(self, ctx: UiContext, parent: QObject | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        """Present the store of `ctx.paths`; nothing is read until the window opens."""
        super().__init__(parent)
        self._ctx, self._clock = ctx, clock
        self.window: DashboardWindow | None = None
        self.settings = Settings()
        self._zone: DayZone | None = None  # resolved when first needed: it reads the system's zone files
        self.query: DashboardQuery | None = None
        self._timer = QTimer(self, singleShot=True, interval=LIVE_REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._day_watch = QTimer(self, interval=DAY_CHECK_MS)
        self._day_watch.timeout.connect(self._check_day)
        self._reading = self._again = self._charts_loading = False
        self._last_failure = ""
        self._drilled: tuple[str, DayRange | None] | None = None  # the drill-down's developer and explicit days
        self._drill_sequence = 0
        self._drill_days: DayRange | None = None
        self._selected: RequestRecord | None = None

    # --- opening and following ----------------------------------------------------------------------

    def open(self, settings: Settings) -> DashboardWindow:
        """Show the window (creating it on first use) and read its figures."""
        self._use(settings)
        window = self.window
        if window is None:
            window = self.window = self._create_window()
        window.show()
        window.raise_()
        window.activateWindow()
        self._load_charts(window)
        self._day_watch.start()
        self.refresh()
        return window

    def _create_window(self) -> DashboardWindow:
        window = DashboardWindow()
        window.filter_changed.connect(self.refresh)
        window.refresh_requested.connect(self._refresh_all)
        window.team_requested.connect(self.team_requested)
        window.ca_guide_requested.connect(self.ca_guide_requested)
        window.export_requested.connect(self.export_requested)
        window.drill_requested.connect(self._drill)
        window.requests.request_selected.connect(self._read_content)
        window.destroyed.connect(self._forget_window)
        return window

    def _forget_window(self) -> None:
        """The window is gone (closed for good): stop following the clock and the traffic for it."""
        self.window = None
        self._day_watch.stop()
        self._timer.stop()

    def follow(self, settings: Settings) -> None:
        """Use the settings' time zone and recording level from now on (re-read when the zone changed)."""
        changed = settings.time_zone != self.settings.time_zone
        self._use(settings)
        if changed:
            self.schedule()

    def _use(self, settings: Settings) -> None:
        if settings.time_zone != self.settings.time_zone:
            self._zone = None
        self.settings = settings

    def schedule(self) -> None:
        """Ask for a refresh soon, when the window is shown (called for every recorded batch; coalesced)."""
        if self.window is not None and self.window.isVisible() and not self._timer.isActive():
            self._timer.start()

    # --- the figures ----------------------------------------------------------------------------------

    def today(self) -> date:
        """Today in the store's time zone."""
        if self._zone is None:
            self._zone = resolve_zone(self.settings.time_zone)
        return date.fromisoformat(self._zone.day_of(self._clock()))

    def _check_day(self) -> None:
        window, query = self.window, self.query
        if window is None or not window.isVisible():
            self._day_watch.stop()
        elif query is not None and window.filters.selected_preset() is not RangePreset.CUSTOM \
                and preset_range(window.filters.selected_preset(), self.today()) != query.days:
            self.refresh()

    def _current_query(self, window: DashboardWindow) -> DashboardQuery | None:
        preset = window.filters.selected_preset()
        try:
            custom = window.filters.custom_range() if preset is RangePreset.CUSTOM else None
            days = preset_range(preset, self.today(), custom)
        except ValueError as exc:  # an inverted custom range, or one longer than the dashboard reads
            window.show_failure(str(exc))
            return None
        window.show_range(days)
        return DashboardQuery(days, window.filters.selected_developers(), window.filters.selected_instances())

    def refresh(self) -> None:
        """Read the figures of the window's current filter, on a worker (one read at a time)."""
        window = self.window
        if window is None:
            return
        if self._reading:
            self._again = True
            return
        query = self._current_query(window)
        if query is None:
            return
        self.query, self._reading = query, True
        window.show_loading()
        database = database_of(self._ctx.paths)
        self._ctx.tasks.submit(lambda: load_dashboard_file(database, query), self._on_loaded, self._on_failed,
                               name="read the dashboard")

    def _refresh_all(self) -> None:
        self.refresh()
        if self._drilled is not None:
            self._drill(*self._drilled)

    def _on_loaded(self, data: DashboardData) -> None:
        self._reading, self._last_failure = False, ""
        window = self.window
        if window is not None and not self._again:  # a newer filter is waiting: show its figures instead
            window.show_data(data, datetime.fromtimestamp(self._clock()).strftime("%H:%M:%S"))
            if self._drilled is not None and self._drilled[1] is None and self._drill_days != data.query.days:
                self._drill(self._drilled[0], None)  # the drill-down follows the dashboard's days
        self._after_read()

    def _on_failed(self, error: BaseException) -> None:
        self._reading = False
        message = describe(error)[0]
        if self.window is not None:
            self.window.show_failure(tr(CONTEXT, "Could not read the figures: see the error message."))
        if message != self._last_failure:  # live refreshes must not repeat the same dialog every second
            self._last_failure = message
            self._ctx.errors.report(error, tr(CONTEXT, "The dashboard cannot read the usage database"))
        self._after_read()

    def _after_read(self) -> None:
        if self._again:
            self._again = False
            self.refresh()

    # --- charts ---------------------------------------------------------------------------------------

    def _load_charts(self, window: DashboardWindow) -> None:
        if window.charts or self._charts_loading:
            return
        self._charts_loading = True
        self._ctx.tasks.submit(lambda: importlib.import_module(CHARTS_MODULE), self._on_charts, self._on_charts_failed,
                               name="load the charts")

    def _on_charts(self, module: ModuleType) -> None:
        self._charts_loading = False
        long_lived.settle()  # pyqtgraph and numpy are loaded: collections leave them alone from now on
        if self.window is not None:
            self.window.build_charts(module)

    def _on_charts_failed(self, error: BaseException) -> None:
        self._charts_loading = False
        if self.window is not None:
            self.window.show_charts_failed(tr(CONTEXT, "The charts cannot be shown: see the error message."))
        self._ctx.errors.report(error, tr(CONTEXT, "The charts cannot be shown"))

    # --- drill-down -----------------------------------------------------------------------------------

    def _drill(self, developer: str, days: DayRange | None) -> None:
        """Read `developer`'s requests of `days` (None: the dashboard's days); only the latest read is shown."""
        window = self.window
        chosen = days or (self.query.days if self.query is not None else None)
        if window is None or chosen is None:
            return
        self._drilled, self._drill_days = (developer, days), chosen
        self._drill_sequence += 1
        sequence, database = self._drill_sequence, database_of(self._ctx.paths)
        window.requests.show_loading()
        self._ctx.tasks.submit(lambda: read_requests_file(database, developer, chosen),
                               lambda page: self._on_page(sequence, page),
                               lambda error: self._on_page_failed(sequence, error),
                               name="read a developer's requests")

    def _on_page(self, sequence: int, page: RequestPage) -> None:
        if self.window is not None and sequence == self._drill_sequence:
            self._selected = None
            self.window.requests.show_page(page)

    def _on_page_failed(self, sequence: int, error: BaseException) -> None:
        if self.window is not None and sequence == self._drill_sequence:
            self.window.requests.show_failure(tr(CONTEXT, "Could not read the requests: see the error message."))
        self._ctx.errors.report(error, tr(CONTEXT, "The requests cannot be read"))

    def _no_content_note(self) -> str:
        if self.settings.recording.level == "content":
            return tr(CONTEXT, "No prompt or answer is on file for this request: it was sent before prompts and "
                               "answers were recorded, or its file was removed after the retention period.")
        return tr(CONTEXT, "No prompt or answer was recorded for this request, only its metadata. Content is "
                           "recorded when Settings is set to record \"Usage, prompts and answers\".")

    def _read_content(self, developer: str, record: RequestRecord) -> None:
        self._selected = record
        content_dir, missing = self._ctx.paths.content_dir, self._no_content_note()
        self._ctx.tasks.submit(lambda: conversation_of(content_dir, developer, record, missing),
                               lambda found: self._on_content(record, found),
                               lambda error: self._on_content(record, (None, describe(error)[0])),
                               name="read a recorded request")

    def _on_content(self, record: RequestRecord, found: tuple[Conversation | None, str]) -> None:
        if self.window is not None and record is self._selected:
            self.window.requests.show_conversation(*found)
