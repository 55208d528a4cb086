"""The Export report window's presenter: runs the export on a worker with progress and cancel.

One window; each export reads the store and writes the file on a worker (`core.reports.export`),
reports its progress through a queued signal and stops at the next step when the person cancels.
A refusal the person can act on (no data in the period, an unwritable folder) is said in the
window; anything unexpected goes to the error presenter as well.
"""

import threading
from datetime import date
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal

from desktop_app.core.errors import AppError
from desktop_app.core.reports.data import ReportOptions
from desktop_app.core.reports.export import ExportResult, export_report
from desktop_app.core.reports.periods import ExportPeriod
from desktop_app.core.reports.progress import Progress, ReportCancelled
from desktop_app.core.store.dashboard import DayRange
from desktop_app.core.team.settings import Settings
from desktop_app.ui.context import UiContext
from desktop_app.ui.dialogs.ca_guide import download_folder, standard_folder
from desktop_app.ui.dialogs.export_report import ExportChoice, ExportReportWindow


class _ProgressRelay(QObject):
    """Emitted on the worker, delivered on the GUI thread (a queued connection)."""

    progressed = Signal(float, str)


def report_folder() -> Path:
    """Where reports are suggested: Documents, else Downloads, else home (always a folder that exists)."""
    return standard_folder(QStandardPaths.StandardLocation.DocumentsLocation) or download_folder()


class ExportPresenter(QObject):
    """Opens the Export report window and runs what it asks for."""

    def __init__(self, ctx: UiContext, parent: QObject | None = None) -> None:
        """Nothing is created until the window first opens."""
        super().__init__(parent)
        self._ctx = ctx
        self.window: ExportReportWindow | None = None
        self._settings = Settings()
        self._cancel = threading.Event()  # the running export's; each export gets a fresh one
        self._relay = _ProgressRelay(self)

    def open(self, period: ExportPeriod, settings: Settings, today: date | None = None, *,
             days: DayRange | None = None, developer: str | None = None,
             instance: str | None = None) -> ExportReportWindow:
        """Show the window for `period` (or exactly `days`, `developer`, `instance`) with the team of `settings`."""
        self._settings = settings
        window = self.window
        if window is None:
            window = ExportReportWindow(today or date.today(), report_folder())
            window.export_requested.connect(self._on_export)
            window.cancel_requested.connect(self.cancel)
            window.open_url_requested.connect(self._ctx.services.open_url)
            self._relay.progressed.connect(window.show_progress)
            self.window = window
        window.today = today or date.today()
        window.use(period, [d.name for d in settings.developers])
        if days is not None:
            window.use_days(days, developer, instance)
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def _on_export(self, choice: ExportChoice) -> None:
        try:
            options = ReportOptions(days=choice.days, developers=(choice.developer,) if choice.developer else None,
                                    instances=None if choice.instance is None else (choice.instance,),
                                    pseudonymize=choice.pseudonymize, include_prompts=choice.include_prompts)
        except AppError as error:
            self._stopped(error)
            return
        self._cancel = threading.Event()
        progress = Progress(on_step=self._relay.progressed.emit, is_cancelled=self._cancel.is_set)
        job = partial(export_report, self._ctx.paths, choice.fmt, options, choice.path,
                      recording_level=self._settings.recording.level, progress=progress)
        self._ctx.tasks.submit(job, self._on_done, self._stopped, name="export report")

    def cancel(self) -> None:
        """Stop the running export at its next step (the window closing, the app quitting, Cancel)."""
        self._cancel.set()

    def _on_done(self, result: ExportResult) -> None:
        if self.window is not None:
            self.window.show_done(result.path, result.summary)

    def _stopped(self, error: BaseException) -> None:
        if self.window is None:
            return
        if isinstance(error, AppError):
            self.window.show_stopped(error.user_message)
            if isinstance(error, ReportCancelled):
                return
            if type(error) is not AppError:  # a store failure or the like: worth the full dialog
                self._ctx.errors.report(error, self.tr("The report could not be exported"))
            return
        self.window.show_stopped(self.tr("The report could not be exported; see the error message."))
        self._ctx.errors.report(error, self.tr("The report could not be exported"))
