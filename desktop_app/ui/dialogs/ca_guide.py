"""The CA guide window: the installation's CA, its exports, the setup page's address and the guide.

A passive view. `ui.ca_guide_presenter` hands it the CA's description, the guide sections from
`core.ca_guide` and the setup page's state; the window emits what the lead asks for (save the CA
in a format to a path, open a URL). Every instruction comes from the sections' data, so this window
and the developers' setup page always say the same thing; the window adds only its own labels.

Stable objectNames, besides the fixed ones in the code: the section tree `guide_sections` (each
section's item carries its key in `Qt.UserRole`); on the shown section `section_title`,
`section_summary`, `section_references`; per step `step_<key>_<n>` (the sentence),
`command_<key>_<n>` (the command box) and `copy_<key>_<n>` (its Copy button), with n counting
from 1; check steps and undo steps insert `check` or `remove`: `copy_<key>_check_<n>`,
`copy_<key>_remove_<n>`.
"""

import contextlib
import html
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, QStandardPaths, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.ca import CA_FILE_STEM, CHECK_HOST, CaCertificate, CaFormat
from desktop_app.core.guide.ca_guide import GuideSection, Step
from desktop_app.ui.icons import app_icon
from desktop_app.ui.widgets import named

SavePathAsker = Callable[[str, str], str]
"""(suggested path, file-type filter) -> the chosen path, or "" when the user cancels."""

KEY_ROLE = Qt.ItemDataRole.UserRole
MAX_COMMAND_LINES = 14
EXPORT_FORMATS: tuple[CaFormat, ...] = ("pem", "cer", "p12")


def platform_section(platform: str = sys.platform) -> str:
    """The OS section matching `platform` (`sys.platform`): windows, macos, else debian."""
    if platform.startswith(("win", "cygwin")):
        return "windows"
    return "macos" if platform == "darwin" else "debian"


def standard_folder(location: QStandardPaths.StandardLocation, platform: str = sys.platform) -> Path | None:
    """The user's folder for `location` if it exists, else None.

    On Windows and macOS these folders are part of every account, so a missing one is created; on
    Linux only the desktop's own setup makes them (xdg-user-dirs), so a missing one is not invented.
    """
    text = QStandardPaths.writableLocation(location)
    if not text:
        return None
    folder = Path(text)
    if not folder.is_dir() and platform in ("win32", "darwin") and folder.parent == Path.home():
        with contextlib.suppress(OSError):
            folder.mkdir()
    return folder if folder.is_dir() else None


def download_folder() -> Path:
    """Where exports are suggested: the user's Downloads folder if there is one, else their home."""
    return standard_folder(QStandardPaths.StandardLocation.DownloadLocation) or Path.home()


def _label(text: str, name: str, *, selectable: bool = True) -> QLabel:
    label = named(QLabel(text), name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _heading(text: str, name: str) -> QLabel:
    label = _label(text, name, selectable=False)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def _button(text: str, name: str, slot: Callable[[], None]) -> QPushButton:
    button = named(QPushButton(text), name)
    button.setAutoDefault(False)
    button.clicked.connect(slot)
    return button


def _read_only_line(name: str) -> QLineEdit:
    line = named(QLineEdit(), name)
    line.setReadOnly(True)
    return line


def command_box(command: str, name: str) -> QPlainTextEdit:
    """A read-only, unwrapped, monospace box just tall enough for `command` (up to a limit)."""
    box = named(QPlainTextEdit(command), name)
    box.setReadOnly(True)
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    box.setTabChangesFocus(True)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    lines = command.count("\n") + 1
    if lines <= MAX_COMMAND_LINES:
        box.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    margins = 2 * (box.frameWidth() + int(box.document().documentMargin())) + 4
    scroll_bar = box.horizontalScrollBar().sizeHint().height()
    box.setFixedHeight(box.fontMetrics().lineSpacing() * min(lines, MAX_COMMAND_LINES) + margins + scroll_bar)
    return box


class CaGuideWindow(QDialog):
    """The CA certificate, its exports, the setup page and the per-OS and per-tool guide (non-modal).

    `ask_save_path` asks where to save an export; tests replace it so no native dialog opens.
    """

    export_requested = Signal(str, str)  # the CaFormat, the chosen path
    open_url_requested = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Build the window empty: the presenter fills in the CA, the setup page and the sections."""
        super().__init__(parent)
        self.setObjectName("ca_guide_window")
        self.setWindowTitle(self.tr("CA certificate guide"))
        self.setWindowIcon(app_icon())
        self.setModal(False)
        self.ask_save_path: SavePathAsker = self._ask_save_path
        self._sections: dict[str, GuideSection] = {}
        self._items: dict[str, QTreeWidgetItem] = {}
        self._setup_url = ""
        self._saved_folder = ""
        self._fingerprint = ""
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        named(buttons.button(QDialogButtonBox.StandardButton.Close), "ca_guide_close").setAutoDefault(False)
        self.copy_status = _label("", "copy_status", selectable=False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.copy_status, 1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_ca_box())
        layout.addWidget(self._build_guide(), 1)
        layout.addLayout(bottom)
        self.set_certificate(None)
        self.set_setup_page(None, "")
        self.resize(980, 640)

    # --- building -------------------------------------------------------------------------------

    def _build_ca_box(self) -> QGroupBox:
        box = named(QGroupBox(self.tr("This installation's CA certificate")), "ca_box")
        self.ca_name = _label("", "ca_name")
        self.ca_fingerprint = _read_only_line("ca_fingerprint")
        self.ca_fingerprint.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_fingerprint = _button(self.tr("Copy"), "copy_fingerprint", self._on_copy_fingerprint)
        self.ca_expiry = _label("", "ca_expiry")
        fingerprint = QHBoxLayout()
        fingerprint.addWidget(self.ca_fingerprint, 1)
        fingerprint.addWidget(self.copy_fingerprint)
        form = QFormLayout()
        form.addRow(self.tr("Name:"), self.ca_name)
        form.addRow(self.tr("SHA-256 fingerprint:"), fingerprint)
        form.addRow(self.tr("Valid until:"), self.ca_expiry)
        form.addRow(self.tr("Save for developers:"), self._build_exports())
        form.addRow(self.tr("Setup page for developers:"), self._build_setup_line())
        self.ca_status = _label("", "ca_status")
        check = _label(self.tr("Through the proxy, http://{host}/ and https://{host}/ answer with the developer's "
                               "name; the HTTPS one loads only when the CA is trusted.").format(host=CHECK_HOST),
                       "connection_check")
        column = QVBoxLayout(box)
        column.addWidget(self.ca_status)
        column.addLayout(form)
        column.addWidget(check)
        return box

    def _build_exports(self) -> QHBoxLayout:
        texts = {"pem": self.tr("Save as .pem…"), "cer": self.tr("Save as .cer…"), "p12": self.tr("Save as .p12…")}
        self.export_buttons = {fmt: _button(texts[fmt], f"export_{fmt}", self._exporter(fmt)) for fmt in EXPORT_FORMATS}
        self.export_status = _label("", "export_status")
        self.show_export_folder = _button(self.tr("Show in folder"), "show_export_folder", self._on_show_folder)
        self.show_export_folder.setVisible(False)
        row = QHBoxLayout()
        for button in self.export_buttons.values():
            row.addWidget(button)
        row.addWidget(self.export_status, 1)
        row.addWidget(self.show_export_folder)
        return row

    def _build_setup_line(self) -> QWidget:
        self.setup_url = _read_only_line("setup_url")
        self.copy_setup_url = _button(self.tr("Copy"), "copy_setup_url", self._on_copy_setup_url)
        self.open_setup_url = _button(self.tr("Open"), "open_setup_url", self._on_open_setup_url)
        self.setup_note = _label("", "setup_note")
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.setup_url, self.copy_setup_url, self.open_setup_url, self.setup_note):
            row.addWidget(widget)
        row.setStretch(0, 1)
        row.setStretch(3, 1)
        return holder

    def _build_guide(self) -> QSplitter:
        self.tree = named(QTreeWidget(), "guide_sections")
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(1)
        self.tree.currentItemChanged.connect(self._on_current_item)
        self.page = named(QScrollArea(), "guide_page")
        self.page.setWidgetResizable(True)
        self.page.setWidget(self._placeholder_page())
        splitter = named(QSplitter(Qt.Orientation.Horizontal), "guide_splitter")
        splitter.addWidget(self.tree)
        splitter.addWidget(self.page)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([270, 690])
        return splitter

    def _placeholder_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(_label(self.tr("Reading the CA certificate…"), "section_placeholder", selectable=False))
        column.addStretch(1)
        return page

    # --- what the presenter shows ---------------------------------------------------------------

    def set_certificate(self, ca: CaCertificate | None) -> None:
        """Show the CA's name, fingerprint and expiry; None while it is being read."""
        self._fingerprint = ca.fingerprint if ca is not None else ""
        self.ca_name.setText(ca.common_name if ca is not None else "")
        self.ca_fingerprint.setText(self._fingerprint)
        self.ca_fingerprint.setToolTip(self._fingerprint)
        self.ca_fingerprint.setCursorPosition(0)
        self.ca_expiry.setText(ca.not_after.astimezone().strftime("%Y-%m-%d") if ca is not None else "")
        self.copy_fingerprint.setEnabled(ca is not None)
        self.ca_status.setText("" if ca is not None else self.tr("Reading the CA certificate…"))
        self.ca_status.setVisible(ca is None)

    def set_certificate_problem(self, message: str) -> None:
        """Say that the CA could not be read (the details went to the error presenter)."""
        self.ca_status.setText(message)
        self.ca_status.setVisible(True)

    def set_setup_page(self, url: str | None, why: str) -> None:
        """Show the setup page's URL with Copy and Open, or `why` it does not run."""
        self._setup_url = url or ""
        self.setup_url.setText(self._setup_url)
        for widget in (self.setup_url, self.copy_setup_url, self.open_setup_url):
            widget.setVisible(url is not None)
        self.setup_note.setText("" if url is not None else why)
        self.setup_note.setVisible(url is None)

    def set_sections(self, system: Sequence[GuideSection], clients: Sequence[GuideSection]) -> None:
        """List the sections (keeping the selected one, else the lead's own OS) and show the selection."""
        keep = self.selected_key() or platform_section()
        self._sections = {section.key: section for section in (*system, *clients)}
        self._items = {}
        with QSignalBlocker(self.tree):
            self.tree.clear()
            for title, sections in ((self.tr("Operating systems"), system), (self.tr("Editors and tools"), clients)):
                self._add_group(title, sections)
            self.tree.expandAll()
        if not self.select_section(keep) and self._sections:
            self.select_section(next(iter(self._sections)))

    def _add_group(self, title: str, sections: Sequence[GuideSection]) -> None:
        group = QTreeWidgetItem(self.tree, [title])
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)
        for section in sections:
            item = QTreeWidgetItem(group, [section.title])
            item.setData(0, KEY_ROLE, section.key)
            item.setToolTip(0, section.summary)
            self._items[section.key] = item

    def section_keys(self) -> list[str]:
        """The listed sections' keys, in the order shown."""
        return list(self._sections)

    def selected_key(self) -> str | None:
        """The key of the section shown, or None."""
        item = self.tree.currentItem()
        key = item.data(0, KEY_ROLE) if item is not None else None
        return key if isinstance(key, str) else None

    def select_section(self, key: str) -> bool:
        """Show the section `key`; False when there is none."""
        item = self._items.get(key)
        if item is None:
            return False
        with QSignalBlocker(self.tree):
            self.tree.setCurrentItem(item)
        self._show_section(key)
        return True

    def set_exporting(self, busy: bool) -> None:
        """Disable the export buttons while a file is being written."""
        for button in self.export_buttons.values():
            button.setEnabled(not busy)

    def show_saved(self, path: Path) -> None:
        """Say where the export went, with a button to show its folder."""
        self.set_exporting(False)
        self._saved_folder = str(path.parent)
        self.export_status.setText(self.tr("Saved {path}").format(path=path))
        self.show_export_folder.setVisible(True)

    def show_export_failed(self) -> None:
        """Clear the export line after a failure (the error presenter explains it)."""
        self.set_exporting(False)
        self.export_status.setText(self.tr("Not saved; see the error message."))
        self.show_export_folder.setVisible(False)

    # --- the section page -----------------------------------------------------------------------

    def _show_section(self, key: str) -> None:
        section = self._sections[key]
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(_heading(section.title, "section_title"))
        if section.summary:
            column.addWidget(_label(section.summary, "section_summary"))
        for title, steps, part in ((self.tr("Steps"), section.steps, "steps"),
                                   (self.tr("Check"), section.check, "check"),
                                   (self.tr("Undo"), section.remove, "remove")):
            if steps:
                column.addWidget(_heading(title, f"heading_{part}_{key}"))
                prefix = key if part == "steps" else f"{key}_{part}"
                for number, step in enumerate(steps, start=1):
                    self._add_step(column, step, f"{prefix}_{number}", number)
        if section.references:
            column.addWidget(_heading(self.tr("References"), f"heading_references_{key}"))
            column.addWidget(self._references(section.references))
        column.addStretch(1)
        self.page.setWidget(page)

    def _add_step(self, column: QVBoxLayout, step: Step, suffix: str, number: int) -> None:
        column.addWidget(_label(f"{number}. {step.text}", f"step_{suffix}"))
        if step.command is None:
            return
        box = command_box(step.command, f"command_{suffix}")
        command = step.command
        copy = _button(self.tr("Copy"), f"copy_{suffix}", lambda: self._copy(command))
        copy.setToolTip(self.tr("Copy this to the clipboard"))
        row = QHBoxLayout()
        row.addWidget(box, 1)
        row.addWidget(copy, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(row)

    def _references(self, references: Sequence[str]) -> QLabel:
        links = "<br>".join(f'<a href="{html.escape(url, quote=True)}">{html.escape(url)}</a>' for url in references)
        label = named(QLabel(links), "section_references")
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                      | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        label.linkActivated.connect(lambda link: self.open_url_requested.emit(QUrl(link)))
        return label

    # --- actions --------------------------------------------------------------------------------

    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.copy_status.setText(self.tr("Copied to the clipboard."))

    def _ask_save_path(self, suggested: str, file_filter: str) -> str:
        path, _chosen_filter = QFileDialog.getSaveFileName(self, self.tr("Save the CA certificate"), suggested,
                                                           file_filter)
        return path

    def _filters(self) -> dict[CaFormat, str]:
        return {"pem": self.tr("PEM certificate (*.pem)"), "cer": self.tr("DER certificate (*.cer)"),
                "p12": self.tr("PKCS#12 certificate, no key (*.p12)")}

    def _exporter(self, fmt: CaFormat) -> Callable[[], None]:
        def export() -> None:
            path = self.ask_save_path(str(download_folder() / f"{CA_FILE_STEM}.{fmt}"), self._filters()[fmt])
            if path:
                self.set_exporting(True)
                self.export_status.setText(self.tr("Saving…"))
                self.export_requested.emit(fmt, path)

        return export

    @Slot()
    def _on_copy_fingerprint(self) -> None:
        if self._fingerprint:
            self._copy(self._fingerprint)

    @Slot()
    def _on_copy_setup_url(self) -> None:
        if self._setup_url:
            self._copy(self._setup_url)

    @Slot()
    def _on_open_setup_url(self) -> None:
        if self._setup_url:
            self.open_url_requested.emit(QUrl(self._setup_url))

    @Slot()
    def _on_show_folder(self) -> None:
        if self._saved_folder:
            self.open_url_requested.emit(QUrl.fromLocalFile(self._saved_folder))

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _on_current_item(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        key = current.data(0, KEY_ROLE) if current is not None else None
        if isinstance(key, str) and key in self._sections:
            self._show_section(key)
