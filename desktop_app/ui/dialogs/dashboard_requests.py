"""The dashboard's drill-down tab: one developer's requests grouped by interaction, and their content.

A passive view: it shows a `RequestPage` in an `InteractionTreeModel` (agent follow-ups under the
prompt that started them) and, for the selected request, the recorded prompt and answer when
content recording was on. Stable objectNames: `drill_developer`, `drill_status`, `requests_tree`,
`conversation_status`, `prompt_text`, `response_text`.
"""

from collections.abc import Sequence

from PySide6.QtCore import QItemSelection, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.store.content_view import Conversation
from desktop_app.core.store.drilldown import RequestPage, RequestRecord
from desktop_app.ui.dashboard_models import InteractionTreeModel, count_text
from desktop_app.ui.i18n import tr
from desktop_app.ui.widgets import named

CONTEXT = "Dashboard"


class RequestsPane(QWidget):
    """Pick a developer; see their interactions in the dashboard's range; select one to read it."""

    developer_chosen = Signal(str)
    request_selected = Signal(str, object)  # the shown page's developer, a RequestRecord

    def __init__(self, parent: QWidget | None = None) -> None:
        """An empty pane asking for a developer."""
        super().__init__(parent)
        self.developer = named(QComboBox(), "drill_developer")
        self.developer.setPlaceholderText(tr(CONTEXT, "Choose a developer"))
        self.shown_developer = ""
        self.status = named(QLabel(tr(CONTEXT, "Choose a developer to see their requests.")), "drill_status")
        self.model = InteractionTreeModel(self)
        self.tree = named(QTreeView(), "requests_tree")
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.selectionModel().selectionChanged.connect(self._on_selection)
        self.conversation_status = named(QLabel(tr(CONTEXT, "Select a request to see what was asked and answered.")),
                                         "conversation_status")
        self.conversation_status.setWordWrap(True)
        self.prompt = named(QPlainTextEdit(readOnly=True), "prompt_text")
        self.response = named(QPlainTextEdit(readOnly=True), "response_text")
        self.prompt.setPlaceholderText(tr(CONTEXT, "Prompt"))
        self.response.setPlaceholderText(tr(CONTEXT, "Answer"))
        self._build()
        self.developer.currentIndexChanged.connect(self._on_developer)

    def _build(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel(tr(CONTEXT, "Developer:")))
        top.addWidget(self.developer)
        top.addWidget(self.status, 1)
        texts = QSplitter(Qt.Orientation.Horizontal)
        texts.addWidget(self.prompt)
        texts.addWidget(self.response)
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(self.conversation_status)
        content_layout.addWidget(texts, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        split.addWidget(content)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)

    def selected_developer(self) -> str:
        """The developer whose requests are shown ('' when none)."""
        return str(self.developer.currentData() or "")

    def set_developers(self, names: Sequence[str]) -> None:
        """Offer `names`, keeping the current choice when it is still there (no signal)."""
        current = self.selected_developer()
        if [self.developer.itemData(i) for i in range(self.developer.count())] == list(names):
            return
        with QSignalBlocker(self.developer):
            self.developer.clear()
            for name in names:
                self.developer.addItem(name, name)
            self.developer.setCurrentIndex(self.developer.findData(current) if current else -1)

    def choose(self, developer: str) -> None:
        """Select `developer` without emitting `developer_chosen` (the caller asks for the requests)."""
        with QSignalBlocker(self.developer):
            index = self.developer.findData(developer)
            if index < 0:
                self.developer.addItem(developer, developer)
                index = self.developer.count() - 1
            self.developer.setCurrentIndex(index)

    def show_loading(self) -> None:
        """Say the requests are being read."""
        self.status.setText(tr(CONTEXT, "Reading requests…"))

    def show_page(self, page: RequestPage) -> None:
        """Show `page` if it is still the chosen developer's."""
        if page.developer != self.selected_developer():
            return
        self.shown_developer = page.developer
        self.model.set_interactions(page.interactions)
        self.show_conversation(None, tr(CONTEXT, "Select a request to see what was asked and answered."))
        if not page.total:
            self.status.setText(tr(CONTEXT, "{name} sent no requests from {first} to {last}.").format(
                name=page.developer, first=page.days.first, last=page.days.last))
        elif page.truncated:
            self.status.setText(tr(CONTEXT, "{first} to {last}: the newest {shown} of {total} requests, in {count} "
                                            "interactions.").format(
                first=page.days.first, last=page.days.last, shown=count_text(page.shown),
                total=count_text(page.total), count=count_text(len(page.interactions))))
        else:
            self.status.setText(tr(CONTEXT, "{first} to {last}: {total} requests in {count} interactions.").format(
                first=page.days.first, last=page.days.last, total=count_text(page.total),
                count=count_text(len(page.interactions))))

    def show_failure(self, message: str) -> None:
        """Say the requests could not be read."""
        self.status.setText(message)

    def show_conversation(self, conversation: Conversation | None, note: str = "") -> None:
        """Show a request's prompt and answer, or `note` saying why there is none."""
        self.prompt.setPlainText(conversation.prompt if conversation else "")
        self.response.setPlainText(conversation.response if conversation else "")
        self.conversation_status.setText(note or (str(conversation.path) if conversation else ""))

    def _on_developer(self) -> None:
        name = self.selected_developer()
        if name:
            self.developer_chosen.emit(name)

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        record: RequestRecord | None = self.model.record_at(indexes[0]) if indexes else None
        if record is not None:
            self.request_selected.emit(self.shown_developer, record)
