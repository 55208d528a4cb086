"""The team dialog: who may use the proxy, their state and usage, and the credentials to give them.

A passive view: it shows the rows a controller hands to `set_rows` and emits intent signals (add,
remove, enable or disable, new password, new secret); the controller persists the change and calls
`set_rows` again. Passwords come from the `access_for` callable and are shown only on demand; the
dialog never touches files, the keyring or the network.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.guide.snippets import CLIENTS, ProxyAccess
from desktop_app.core.team import diagnostics
from desktop_app.core.team.settings import validate_developer_name
from desktop_app.ui.widgets import named

NAME_COLUMN, STATE_COLUMN, REQUESTS_COLUMN, LAST_SEEN_COLUMN, CONNECTION_COLUMN = range(5)

AccessSource = Callable[[str], ProxyAccess | None]
"""Developer name -> their access (with the derived password), or None when the secret is not available."""

Snippet = Callable[[ProxyAccess], str]


@dataclass(frozen=True)
class TeamRow:
    """One developer as the dialog shows them; `last_seen` is an aware datetime, None when never seen.

    `connection` is a short status (a current problem, a passed check, or ''); `connection_details`
    are sentences about each recent refused login or failed TLS handshake, newest first.
    """

    name: str
    enabled: bool
    created: str
    requests_today: int
    last_seen: datetime | None
    connection: str = ""
    connection_details: tuple[str, ...] = ()
    warning: bool = False  # `connection` is a current problem


def local_time(moment: datetime | None) -> str:
    """`moment` in local time as `YYYY-MM-DD HH:MM`, or "never" for None."""
    if moment is None:
        return QCoreApplication.translate("TeamDialog", "never")
    return diagnostics.local_time(moment)





def _label(name: str, text: str = "") -> QLabel:
    label = named(QLabel(text), name)
    label.setWordWrap(True)
    return label


def _button(text: str, name: str, slot: Callable[[], None]) -> QPushButton:
    button = named(QPushButton(text), name)
    button.clicked.connect(slot)
    return button


class TeamTableModel(QAbstractTableModel):
    """The developers as a table: name, state, requests today and when they were last seen."""

    def __init__(self, parent: QObject | None = None) -> None:
        """Start empty; `set_rows` fills the table."""
        super().__init__(parent)
        self._rows: list[TeamRow] = []
        self._headers = (self.tr("Developer"), self.tr("State"), self.tr("Requests today"), self.tr("Last seen"),
                         self.tr("Connection"))

    def set_rows(self, rows: Sequence[TeamRow]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, index: int) -> TeamRow:
        """The developer in row `index`."""
        return self._rows[index]

    def find(self, name: str) -> int | None:
        """The row of the developer called `name`, or None."""
        return next((i for i, row in enumerate(self._rows) if row.name == name), None)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """The number of developers (a table has no children)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        """Five columns (a table has no children)."""
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """The column titles."""
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return super().headerData(section, orientation, role)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Text, alignment and tooltips per cell; `UserRole` gives the whole `TeamRow`."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, index.column())
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == CONNECTION_COLUMN and row.warning:
            return QColor("#a85d00")
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == REQUESTS_COLUMN:
            return int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None

    def _text(self, row: TeamRow, column: int) -> str | None:
        texts = {
            NAME_COLUMN: row.name,
            STATE_COLUMN: self.tr("Enabled") if row.enabled else self.tr("Disabled"),
            REQUESTS_COLUMN: str(row.requests_today),
            LAST_SEEN_COLUMN: local_time(row.last_seen),
            CONNECTION_COLUMN: row.connection,
        }
        return texts.get(column)

    def _tooltip(self, row: TeamRow, column: int) -> str | None:
        if column == NAME_COLUMN:
            return self.tr("Added {created}").format(created=row.created)
        if column == STATE_COLUMN and not row.enabled:
            return self.tr("A disabled developer's password is refused by the proxy.")
        if column == LAST_SEEN_COLUMN and row.last_seen is not None:
            return row.last_seen.astimezone().isoformat(sep=" ", timespec="seconds")
        if column == CONNECTION_COLUMN and row.connection_details:
            return "\n".join(row.connection_details)
        return None


class TeamDialog(QDialog):
    """Add, remove, enable and disable developers, give them new passwords, and copy their settings.

    `confirm(title, question)` asks before anything that stops a password working; tests replace it.
    """

    add_requested = Signal(str)
    remove_requested = Signal(str)
    enabled_change_requested = Signal(str, bool)
    rotate_requested = Signal(str)
    rotate_secret_requested = Signal()

    def __init__(self, access_for: AccessSource, parent: QWidget | None = None) -> None:
        """Build the dialog, empty until `set_rows`; `access_for` gives a developer's credentials."""
        super().__init__(parent)
        self.setObjectName("team_dialog")
        self.setWindowTitle(self.tr("Team & credentials"))
        self.access_for = access_for
        self.confirm: Callable[[str, str], bool] = self._ask
        self._shown_name: str | None = None
        self._access: ProxyAccess | None = None
        self.model = TeamTableModel(self)
        columns = QHBoxLayout()
        columns.addLayout(self._build_team(), 3)
        columns.addWidget(self._build_details(), 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(buttons)
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)  # Enter in the name field adds; it must not close the dialog
        self._on_name_edited("")
        self._show_selected()
        self.resize(960, 560)  # room for the wrapped help text beside the table

    def _build_team(self) -> QVBoxLayout:
        self.table = named(QTableView(), "team_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.new_name = named(QLineEdit(), "new_developer_name")
        self.new_name.setPlaceholderText(self.tr("New developer's name"))
        self.new_name.textChanged.connect(self._on_name_edited)
        self.new_name.returnPressed.connect(self._on_add)
        self.add_button = _button(self.tr("Add"), "add_developer", self._on_add)
        self.name_problem = _label("name_problem")
        self.remove_button = _button(self.tr("Remove"), "remove_developer", self._on_remove)
        self.toggle_button = _button(self.tr("Disable"), "toggle_enabled", self._on_toggle_enabled)
        self.rotate_button = _button(self.tr("New password"), "rotate_password", self._on_rotate)
        self.rotate_secret_button = _button(self.tr("New passwords for everyone"), "rotate_secret",
                                            self._on_rotate_secret)
        adding = QHBoxLayout()
        adding.addWidget(self.new_name, 1)
        adding.addWidget(self.add_button)
        actions = QHBoxLayout()
        for button in (self.remove_button, self.toggle_button, self.rotate_button, self.rotate_secret_button):
            actions.addWidget(button)
        self.unknown_names = _label("unknown_names")
        self.unknown_names.setVisible(False)
        self.upstream_banner = _label("upstream_banner")
        self.upstream_banner.setStyleSheet("QLabel { background: #fff1d6; color: #5c3b00; border: 1px solid #e08a00;"
                                           " border-radius: 4px; padding: 6px; }")
        self.upstream_banner.setVisible(False)
        layout = QVBoxLayout()
        layout.addWidget(self.upstream_banner)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.unknown_names)
        layout.addLayout(adding)
        layout.addWidget(self.name_problem)
        layout.addLayout(actions)
        return layout

    def _copy_actions(self) -> list[tuple[str, str, str, Snippet, bool]]:
        """(objectName, button text, what the status line says was copied, text builder, needs the CA)."""
        return [
            ("copy_proxy_url", self.tr("Proxy URL"), self.tr("the proxy URL"), lambda access: access.url, False),
            *((f"copy_{key}", self.tr(client.button), self.tr(client.what), client.build, client.needs_ca)
              for key, client in CLIENTS.items()),
        ]

    def _build_details(self) -> QGroupBox:
        box = QGroupBox(self.tr("Selected developer"))
        self.summary = _label("developer_summary")
        self.url = named(QLineEdit(), "proxy_url")
        self.url.setReadOnly(True)
        self.show_password = named(QCheckBox(self.tr("Show password")), "show_password")
        self.show_password.toggled.connect(self._on_show_password)
        copies = QGridLayout()
        self.copy_buttons: list[QPushButton] = []
        self._needs_ca: list[QPushButton] = []
        for i, (name, text, what, snippet, needs_ca) in enumerate(self._copy_actions()):
            button = _button(text, name, self._copier(what, snippet))
            button.setToolTip(self.tr("Copy {what} (with the password)").format(what=what))
            copies.addWidget(button, i // 2, i % 2)
            self.copy_buttons.append(button)
            if needs_ca:
                self._needs_ca.append(button)
        self.copy_status = _label("copy_status")
        self.local_only = _label("local_only_warning")
        self.local_only.setVisible(False)
        self.connection_details = _label("connection_details")
        self.connection_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        help_text = _label("team_help", self.tr(
            "To give a developer access: select them, copy the settings for their tools and send them "
            "privately; the password is part of the proxy URL. The shell and PowerShell variables fetch the "
            "CA certificate from the setup page and check it before they set anything; for VS Code and "
            "JetBrains IDEs the developer trusts the CA certificate as the setup page explains; one who "
            "cannot install it uses the OpenTelemetry settings instead (Copilot's own telemetry: no inline "
            "completions). A disabled developer or a new password locks the old one out at once."))
        layout = QVBoxLayout(box)
        layout.addWidget(self.summary)
        layout.addWidget(self.local_only)
        layout.addWidget(self.url)
        layout.addWidget(self.show_password)
        layout.addLayout(copies)
        layout.addWidget(self.copy_status)
        layout.addWidget(self.connection_details)
        layout.addWidget(help_text)
        layout.addStretch(1)
        return box


    def set_rows(self, rows: Sequence[TeamRow]) -> None:
        """Show `rows`, keeping the selected developer selected if still there, else selecting the first."""
        keep = self.selected_name()
        self.model.set_rows(rows)
        if keep is not None and self.model.find(keep) is not None:
            self.select(keep)
        elif rows:
            self.select(rows[0].name)
        self._show_selected(refresh=True)
        self._on_name_edited(self.new_name.text())

    def set_upstream_problem(self, text: str) -> None:
        """Say above the table that the proxy cannot reach Copilot (for everyone), or hide the note ('')."""
        self.upstream_banner.setVisible(bool(text))
        self.upstream_banner.setText(text)

    def set_local_only(self, listen_host: str | None) -> None:
        """Warn that these settings work only on this computer (the proxy listens on `listen_host`), or not."""
        self.local_only.setVisible(listen_host is not None)
        self.local_only.setText(self.tr(
            "The proxy listens on {host}: only this computer can use these settings. For developers on other "
            "computers, choose this computer's network address in Settings.").format(host=listen_host)
            if listen_host is not None else "")

    def set_unknown_names(self, lines: Sequence[str]) -> None:
        """Show attempts with names that are not developers here (one sentence each), or hide the note."""
        self.unknown_names.setVisible(bool(lines))
        self.unknown_names.setText(self.tr("Names that are not developers here tried to connect:\n{lines}").format(
            lines="\n".join(f"• {line}" for line in lines)) if lines else "")

    def selected_name(self) -> str | None:
        """The selected developer's name, or None."""
        selected = self.table.selectionModel().selectedRows()
        return self.model.row_at(selected[0].row()).name if selected else None

    def select(self, name: str) -> None:
        """Select the developer called `name` (nothing happens if there is none)."""
        row = self.model.find(name)
        if row is not None:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.table.selectionModel().setCurrentIndex(self.model.index(row, 0), flags)


    def _ask(self, title: str, question: str) -> bool:
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = QMessageBox.question(self, title, question, buttons, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _selected_row(self) -> TeamRow | None:
        row = self.model.find(self._shown_name) if self._shown_name is not None else None
        return None if row is None else self.model.row_at(row)

    def _show_selected(self, *, refresh: bool = False) -> None:
        """Bring the buttons and the details panel in line with the selection; a new selection masks again."""
        name = self.selected_name()
        if name != self._shown_name or refresh:
            if name != self._shown_name:
                self.show_password.setChecked(False)
                self.copy_status.clear()
            self._shown_name = name
            self._access = None if name is None else self.access_for(name)
        row = self._selected_row()
        for button in (self.remove_button, self.toggle_button, self.rotate_button):
            button.setEnabled(row is not None)
        self.toggle_button.setText(self.tr("Enable") if row is not None and not row.enabled else self.tr("Disable"))
        for widget in (*self.copy_buttons, self.show_password):
            widget.setEnabled(self._access is not None)
        for button in self._needs_ca:  # until the CA's fingerprint is known
            button.setEnabled(self._access is not None and self._access.ca is not None)
        self.summary.setText(self._summary(row))
        self.connection_details.setText(self._connection_text(row))
        self._show_url()

    def _summary(self, row: TeamRow | None) -> str:
        if row is None:
            return self.tr("Select a developer to see their details.")
        return self.tr("{name}: {state}, {count} requests today, last seen {seen}.").format(
            name=row.name, state=self.tr("enabled") if row.enabled else self.tr("disabled"),
            count=row.requests_today, seen=local_time(row.last_seen))

    def _connection_text(self, row: TeamRow | None) -> str:
        if row is None:
            return ""
        if not row.connection_details:
            return self.tr("No refused logins or failed TLS handshakes recently.")
        return self.tr("Recently, when connecting:\n{lines}").format(
            lines="\n".join(f"• {line}" for line in row.connection_details))

    def _show_url(self) -> None:
        if self._shown_name is None:
            self.url.clear()
        elif self._access is None:
            self.url.setText(self.tr("The credential secret is not available; see the error message."))
        else:
            self.url.setText(self._access.url if self.show_password.isChecked() else self._access.masked_url)

    def _copier(self, what: str, snippet: Snippet) -> Callable[[], None]:
        """A slot that puts `snippet` of the selected developer's access on the clipboard."""

        def copy() -> None:
            if self._access is not None:
                QGuiApplication.clipboard().setText(snippet(self._access))
                self.copy_status.setText(self.tr("Copied {what} for {name}.").format(what=what, name=self._access.name))

        return copy


    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._show_selected()

    @Slot(bool)
    def _on_show_password(self, _shown: bool) -> None:
        self._show_url()

    @Slot(str)
    def _on_name_edited(self, text: str) -> None:
        name = text.strip()
        problem = validate_developer_name(name) if name else None
        taken = {self.model.row_at(i).name.casefold() for i in range(self.model.rowCount())}
        if problem is None and name.casefold() in taken:
            problem = self.tr("A developer named {name} already exists.").format(name=name)
        self.name_problem.setText(problem or "")
        self.name_problem.setVisible(problem is not None)
        self.add_button.setEnabled(bool(name) and problem is None)

    @Slot()
    def _on_add(self) -> None:
        if not self.add_button.isEnabled():
            return
        name = self.new_name.text().strip()
        self.new_name.clear()
        self.add_requested.emit(name)

    @Slot()
    def _on_remove(self) -> None:
        name = self._shown_name
        question = self.tr("Remove {name}? Their password stops working at once; their recorded usage stays.")
        if name is not None and self.confirm(self.tr("Remove developer"), question.format(name=name)):
            self.remove_requested.emit(name)

    @Slot()
    def _on_toggle_enabled(self) -> None:
        row = self._selected_row()
        if row is not None:
            self.enabled_change_requested.emit(row.name, not row.enabled)

    @Slot()
    def _on_rotate(self) -> None:
        name = self._shown_name
        question = self.tr("{name}'s current password stops working at once. Give them the new one.")
        if name is not None and self.confirm(self.tr("New password"), question.format(name=name)):
            self.rotate_requested.emit(name)

    @Slot()
    def _on_rotate_secret(self) -> None:
        question = self.tr("Every developer needs a new password: all current passwords stop working at once. "
                           "Give each developer their new settings.")
        if self.confirm(self.tr("New passwords for everyone"), question):
            self.rotate_secret_requested.emit()
