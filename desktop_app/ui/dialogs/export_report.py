"""The Export report window: period, format, whose figures, pseudonyms, prompts, where; progress and cancel.

It only shows and asks: the presenter (`export_presenter`) runs the export on a worker and tells the
window how far it got, whether it was cancelled, failed or where the file went. `ask_save_path` is
an attribute so tests replace the native file dialog.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.reports.formats import FORMAT_INFO, ReportFormat, suggested_name
from desktop_app.core.reports.periods import EXPORT_PERIODS, ExportPeriod, export_range
from desktop_app.core.store.dashboard import DayRange
from desktop_app.ui.icons import app_icon
from desktop_app.ui.widgets import named

SavePathAsker = Callable[[str, str], str]


@dataclass(frozen=True)
class ExportChoice:
    """What the person asked to export."""

    fmt: ReportFormat
    days: DayRange
    developer: str | None  # None: everyone
    pseudonymize: bool
    include_prompts: bool
    path: Path
    instance: str | None = None  # None: every instance


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class ExportReportWindow(QDialog):
    """Non-modal: the lead can keep using the tray while a long export runs."""

    export_requested = Signal(object)  # ExportChoice
    cancel_requested = Signal()
    open_url_requested = Signal(QUrl)

    def __init__(self, today: date, default_folder: Path, parent: QWidget | None = None) -> None:
        """Build the form; `default_folder` is where the file is suggested until the person picks one."""
        super().__init__(parent)
        self.setObjectName("export_window")
        self.setWindowTitle(self.tr("Export report"))
        self.setWindowIcon(app_icon())
        self.ask_save_path: SavePathAsker = self._ask_save_path
        self.today = today
        self.default_folder = default_folder
        self._path_chosen = False
        self._saved: Path | None = None
        self._running = False
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_form())
        layout.addLayout(self._build_progress())
        layout.addLayout(self._build_buttons())
        self.setMinimumWidth(560)
        self._on_period_changed()
        self._on_options_changed()

    # --- building ------------------------------------------------------------------------------------

    def _build_form(self) -> QFormLayout:
        form = QFormLayout()
        form.addRow(self.tr("Period:"), self._build_period())
        self.format = named(QComboBox(), "export_format")
        for fmt in FORMAT_INFO:  # documents for people first, data for tools after
            self.format.addItem(self.tr(FORMAT_INFO[fmt].label), fmt)
        self.format.currentIndexChanged.connect(self._on_options_changed)
        form.addRow(self.tr("Format:"), self.format)
        self.developer = named(QComboBox(), "export_developer")
        self.developer.addItem(self.tr("Everyone"), None)
        form.addRow(self.tr("Developers:"), self.developer)
        self.instance = named(QComboBox(), "export_instance")  # shown when the dashboard was filtered by one
        self.instance.addItem(self.tr("Every instance"), None)
        form.addRow(self.tr("Instance:"), self.instance)
        form.setRowVisible(self.instance, False)
        self._form = form
        self.pseudonymize = named(QCheckBox(self.tr("Replace names by stable aliases (pseudonymize)")),
                                  "export_pseudonymize")
        self.pseudonymize.toggled.connect(self._on_options_changed)
        form.addRow("", self.pseudonymize)
        self.include_prompts = named(QCheckBox(self.tr("Include the recorded prompts and answers")),
                                     "export_include_prompts")
        form.addRow("", self.include_prompts)
        form.addRow(self.tr("Save as:"), self._build_path())
        return form

    def _build_period(self) -> QHBoxLayout:
        self.period = named(QComboBox(), "export_period")
        labels = (self.tr("This week"), self.tr("Last week"), self.tr("This month"), self.tr("Last month"),
                  self.tr("Custom"))
        for period, label in zip(EXPORT_PERIODS, labels, strict=True):
            self.period.addItem(label, period)
        self.first_day = named(_date_edit(), "export_from")
        self.last_day = named(_date_edit(), "export_to")
        self.period.currentIndexChanged.connect(self._on_period_changed)
        self.first_day.dateChanged.connect(self._suggest_path)
        self.last_day.dateChanged.connect(self._suggest_path)
        row = QHBoxLayout()
        row.addWidget(self.period)
        row.addWidget(QLabel(self.tr("from")))
        row.addWidget(self.first_day)
        row.addWidget(QLabel(self.tr("to")))
        row.addWidget(self.last_day)
        return row

    def _build_path(self) -> QHBoxLayout:
        self.path = named(QLineEdit(), "export_path")
        self.path.textEdited.connect(self._on_path_edited)
        self.choose = named(QPushButton(self.tr("Choose…")), "export_choose")
        self.choose.clicked.connect(self._on_choose)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.choose)
        return row

    def _build_progress(self) -> QVBoxLayout:
        self.progress = named(QProgressBar(), "export_progress")
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        self.status = named(QLabel(""), "export_status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column = QVBoxLayout()
        column.addWidget(self.progress)
        column.addWidget(self.status)
        return column

    def _build_buttons(self) -> QHBoxLayout:
        self.open_file = named(QPushButton(self.tr("Open file")), "export_open_file")
        self.show_folder = named(QPushButton(self.tr("Show in folder")), "export_show_folder")
        self.export = named(QPushButton(self.tr("Export")), "export_start")
        self.cancel = named(QPushButton(self.tr("Close")), "export_cancel")
        self.export.setDefault(True)
        self.open_file.clicked.connect(lambda: self._open(self._saved))
        self.show_folder.clicked.connect(lambda: self._open(self._saved.parent if self._saved else None))
        self.export.clicked.connect(self._on_export)
        self.cancel.clicked.connect(self._on_cancel)
        row = QHBoxLayout()
        for button in (self.open_file, self.show_folder):
            button.setVisible(False)
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.export)
        row.addWidget(self.cancel)
        return row

    # --- what the presenter tells it --------------------------------------------------------------------

    def use(self, period: ExportPeriod, developers: list[str]) -> None:
        """Start from `period` and offer `developers` (a running export is left alone)."""
        if self._running:
            return
        current = self.developer.currentData()
        while self.developer.count() > 1:
            self.developer.removeItem(1)
        for name in developers:
            self.developer.addItem(name, name)
        self.developer.setCurrentIndex(max(self.developer.findData(current), 0))
        self._use_instance(None)
        self.period.setCurrentIndex(EXPORT_PERIODS.index(period))
        self._on_period_changed()

    def use_days(self, days: DayRange, developer: str | None, instance: str | None = None) -> None:
        """Choose exactly `days` (a custom period), `developer` and `instance` (None: all), as the dashboard shows."""
        if self._running:
            return
        self.period.setCurrentIndex(EXPORT_PERIODS.index("custom"))
        self.first_day.setDate(_qdate(days.first))
        self.last_day.setDate(_qdate(days.last))
        if developer is not None and self.developer.findData(developer) < 0:
            self.developer.addItem(developer, developer)  # seen in traffic, not (or no longer) in the team
        self.developer.setCurrentIndex(max(self.developer.findData(developer), 0))
        self._use_instance(instance)
        self._on_period_changed()

    def _use_instance(self, instance: str | None) -> None:
        """Offer `instance` (and every instance); the row shows only when there is one to offer."""
        while self.instance.count() > 1:
            self.instance.removeItem(1)
        if instance is not None:
            self.instance.addItem(instance or self.tr("(unnamed)"), instance)
            self.instance.setCurrentIndex(1)
        self._form.setRowVisible(self.instance, instance is not None)

    def show_progress(self, fraction: float, what: str) -> None:
        """Move the bar and say what is being done."""
        if self._running:
            self.progress.setValue(round(fraction * 100))
            self.status.setText(self.tr("{what}…").format(what=self.tr(what)))

    def show_done(self, path: Path, summary: str) -> None:
        """Say where the report went and offer to open it."""
        self._set_running(False)
        self._saved = path
        self.progress.setValue(100)
        self.status.setText(self.tr("Saved {path} ({summary}).").format(path=path, summary=summary))
        self.open_file.setVisible(True)
        self.show_folder.setVisible(True)

    def show_stopped(self, message: str) -> None:
        """The export was cancelled or refused: say why; the form stays as it was."""
        self._set_running(False)
        self.progress.setVisible(False)
        self.status.setText(message)

    # --- the person's actions ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether an export is under way."""
        return self._running

    def choice(self) -> ExportChoice:
        """What the form says now."""
        fmt: ReportFormat = self.format.currentData()
        return ExportChoice(fmt=fmt, days=DayRange(_pydate(self.first_day.date()), _pydate(self.last_day.date())),
                            developer=self.developer.currentData(), pseudonymize=self.pseudonymize.isChecked(),
                            include_prompts=self.include_prompts.isEnabled() and self.include_prompts.isChecked(),
                            path=self.default_folder / Path(self.path.text().strip()).expanduser(),
                            instance=self.instance.currentData())

    @Slot()
    def _on_export(self) -> None:
        if not self.path.text().strip():
            self.status.setText(self.tr("Choose where to save the report."))
            return
        if self.last_day.date() < self.first_day.date():
            self.status.setText(self.tr("The period ends before it starts; correct the dates."))
            return
        try:
            choice = self.choice()
        except ValueError as exc:  # DayRange refuses an overlong period with a sentence
            self.status.setText(str(exc))
            return
        self._set_running(True)
        self.export_requested.emit(choice)

    def reject(self) -> None:
        """Escape or the window's close button: cancel a running export (nothing is written), then close."""
        if self._running:
            self.cancel_requested.emit()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Closing the window cancels a running export: a report nobody waits for is not written."""
        if self._running:
            self.cancel_requested.emit()
        super().closeEvent(event)

    @Slot()
    def _on_cancel(self) -> None:
        if self._running:
            self.status.setText(self.tr("Cancelling…"))
            self.cancel_requested.emit()
        else:
            self.close()

    def _set_running(self, running: bool) -> None:
        self._running = running
        for widget in (self.period, self.format, self.developer, self.instance, self.pseudonymize, self.path,
                       self.choose, self.export):
            widget.setEnabled(not running)
        if not running:
            self._on_period_changed()
        self._on_options_changed()
        self.cancel.setText(self.tr("Cancel") if running else self.tr("Close"))
        if running:
            self.progress.setValue(0)
            self.progress.setVisible(True)
            self.open_file.setVisible(False)
            self.show_folder.setVisible(False)

    def _open(self, path: Path | None) -> None:
        if path is not None:
            self.open_url_requested.emit(QUrl.fromLocalFile(str(path)))

    @Slot()
    def _on_period_changed(self) -> None:
        period: ExportPeriod = self.period.currentData()
        custom = period == "custom"
        for edit in (self.first_day, self.last_day):
            edit.setEnabled(custom and not self._running)
        if not custom:
            days = export_range(period, self.today)
            self.first_day.setDate(_qdate(days.first))
            self.last_day.setDate(_qdate(days.last))
        self._suggest_path()

    @Slot()
    def _on_options_changed(self) -> None:
        fmt: ReportFormat = self.format.currentData()
        room = FORMAT_INFO[fmt].carries_prompts and not self.pseudonymize.isChecked()
        self.include_prompts.setEnabled(room and not self._running)
        self.include_prompts.setToolTip("" if room else self.tr(
            "Prompts go only into Excel, PDF and HTML reports, and never into a pseudonymized one "
            "(their text can name people)."))
        self._suggest_path()

    def _on_path_edited(self, _text: str) -> None:
        self._path_chosen = True

    def _suggest_path(self) -> None:
        fmt: ReportFormat = self.format.currentData()
        if self._path_chosen:
            self._swap_suffix(FORMAT_INFO[fmt].suffix)
            return
        name = suggested_name(fmt, _pydate(self.first_day.date()), _pydate(self.last_day.date()))
        self.path.setText(str(self.default_folder / name))

    def _swap_suffix(self, suffix: str) -> None:
        """Keep a chosen name but give it the format's suffix when it has another format's."""
        text = self.path.text().strip()
        current = Path(text)
        known = {info.suffix for info in FORMAT_INFO.values()}
        if text and current.suffix.lower() in known and current.suffix.lower() != suffix:
            self.path.setText(str(current.with_suffix(suffix)))

    @Slot()
    def _on_choose(self) -> None:
        fmt: ReportFormat = self.format.currentData()
        info = FORMAT_INFO[fmt]
        chosen = self.ask_save_path(self.path.text(), f"{self.tr(info.label)} (*{info.suffix})")
        if chosen:
            self._path_chosen = True
            self.path.setText(chosen)

    def _ask_save_path(self, suggested: str, file_filter: str) -> str:
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Save the report"), suggested, file_filter)
        return path
