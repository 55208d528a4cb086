"""Pieces of the dashboard window: the filter bar, the summary cards and the empty state.

Passive widgets: they show what they are given and emit what the lead asks for. Stable
objectNames: `range_preset`, `range_from`, `range_to`, `developer_filter`, `instance_filter` (shown only
when more than one proxy records into the store), `refresh_button`,
`dashboard_status`, `export_button`; `card_<key>` (the value label of each summary card) in
`card_frame_<key>`; `empty_state` with
`empty_team_button` and `empty_ca_guide_button`.
"""

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import QDate, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QFont, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.figures import SUMMARY_KEYS, UNKNOWN, display_text, exact_text, figure
from desktop_app.core.store.dashboard import DayRange, RangePreset, Summary
from desktop_app.ui.dashboard_models import FIGURES_CONTEXT
from desktop_app.ui.i18n import tr
from desktop_app.ui.widgets import named

CONTEXT = "Dashboard"
EVERYONE = ""
EVERY_INSTANCE = "\0every"
"""The instance filter's "every instance" (an instance may be named '': events recorded before names)."""
UNNAMED = "(unnamed)"
"""How the instance '' reads (`status` says the same)."""
RANGE_DASH = "\N{EN DASH}"
NO_FIGURE = UNKNOWN
ERRORS_CARD = "errors"
PARTIAL_MARK = " *"
"""After a figure telemetry covered on only some developer-days (the card's tooltip says how many)."""


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _date_edit(name: str) -> QDateEdit:
    edit = named(QDateEdit(), name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class FilterBar(QWidget):
    """Range preset, custom dates, developer, instance, refresh; emits `changed` when the selection changes."""

    changed = Signal()
    refresh_requested = Signal()
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Last 30 days, everyone."""
        super().__init__(parent)
        self.preset = named(QComboBox(), "range_preset")
        for preset, label in self._preset_labels():
            self.preset.addItem(label, preset.value)
        self.preset.setCurrentIndex(self.preset.findData(RangePreset.LAST_30_DAYS.value))
        self.first = _date_edit("range_from")
        self.last = _date_edit("range_to")
        self.developer = named(QComboBox(), "developer_filter")
        self.developer.addItem(tr(CONTEXT, "Everyone"), EVERYONE)
        self.instance_label = QLabel(tr(CONTEXT, "Instance:"))
        self.instance = named(QComboBox(), "instance_filter")
        self.instance.addItem(tr(CONTEXT, "Every instance"), EVERY_INSTANCE)
        self.instance.setToolTip(tr(CONTEXT, "Only what one proxy (office) recorded into the shared database"))
        self.refresh = named(QPushButton(tr(CONTEXT, "Refresh")), "refresh_button")
        self.export = named(QPushButton(tr(CONTEXT, "Export…")), "export_button")
        self.export.setToolTip(tr(CONTEXT, "Export a report of these days and these filters"))
        self.status = named(QLabel(), "dashboard_status")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the window
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel(tr(CONTEXT, "Days:")), self.preset, self.first, QLabel(RANGE_DASH), self.last,
                       QLabel(tr(CONTEXT, "Developer:")), self.developer, self.instance_label, self.instance,
                       self.refresh, self.export):
            layout.addWidget(widget)
        layout.addWidget(self.status, 1)
        self.preset.currentIndexChanged.connect(self._on_preset)
        self.first.dateChanged.connect(self._on_custom_date)
        self.last.dateChanged.connect(self._on_custom_date)
        self.developer.currentIndexChanged.connect(lambda _index: self.changed.emit())
        self.instance.currentIndexChanged.connect(lambda _index: self.changed.emit())
        self._show_instances(False)
        self.refresh.clicked.connect(self.refresh_requested)
        self.export.clicked.connect(self.export_requested)
        self._custom_enabled()

    @staticmethod
    def _preset_labels() -> list[tuple[RangePreset, str]]:
        return [(RangePreset.TODAY, tr(CONTEXT, "Today")), (RangePreset.LAST_7_DAYS, tr(CONTEXT, "Last 7 days")),
                (RangePreset.LAST_30_DAYS, tr(CONTEXT, "Last 30 days")),
                (RangePreset.THIS_MONTH, tr(CONTEXT, "This month")),
                (RangePreset.LAST_MONTH, tr(CONTEXT, "Last month")), (RangePreset.CUSTOM, tr(CONTEXT, "Custom"))]

    def selected_preset(self) -> RangePreset:
        """The chosen range preset."""
        return RangePreset(self.preset.currentData())

    def custom_range(self) -> DayRange:
        """The custom dates.

        Raises:
            ValueError: They are inverted or span more than the dashboard reads (a sentence to show).
        """
        return DayRange(_day(self.first.date()), _day(self.last.date()))

    def selected_developers(self) -> tuple[str, ...] | None:
        """The developer filter: None for everyone."""
        name = self.developer.currentData()
        return (name,) if name else None

    def show_range(self, days: DayRange) -> None:
        """Show the days a preset resolved to in the date fields (without emitting `changed`)."""
        with QSignalBlocker(self.first), QSignalBlocker(self.last):
            self.first.setDate(_qdate(days.first))
            self.last.setDate(_qdate(days.last))

    def selected_instances(self) -> tuple[str, ...] | None:
        """The instance filter: None for every instance."""
        name = self.instance.currentData()
        return None if name == EVERY_INSTANCE else (name,)

    def set_developers(self, names: Sequence[str]) -> None:
        """Offer `names` (keeping the current choice when it is still there)."""
        _offer(self.developer, (tr(CONTEXT, "Everyone"), EVERYONE), names, self.changed.emit)

    def set_instances(self, names: Sequence[str]) -> None:
        """Offer the instances `names`; the filter shows only when there is more than one to choose from."""
        _offer(self.instance, (tr(CONTEXT, "Every instance"), EVERY_INSTANCE), names, self.changed.emit)
        self._show_instances(len(names) > 1 or self.instance.currentData() != EVERY_INSTANCE)

    def _show_instances(self, shown: bool) -> None:
        self.instance_label.setVisible(shown)
        self.instance.setVisible(shown)

    def _on_preset(self) -> None:
        self._custom_enabled()
        self.changed.emit()

    def _on_custom_date(self) -> None:
        if self.selected_preset() is not RangePreset.CUSTOM:
            self.preset.setCurrentIndex(self.preset.findData(RangePreset.CUSTOM.value))  # emits through _on_preset
            return
        self.changed.emit()

    def _custom_enabled(self) -> None:
        custom = self.selected_preset() is RangePreset.CUSTOM
        for edit in (self.first, self.last):
            edit.setToolTip("" if custom else tr(CONTEXT, "Change a date to choose a custom range."))


def _offer(combo: QComboBox, everyone: tuple[str, str], names: Sequence[str], changed: Callable[[], None]) -> None:
    """Offer `everyone` (label, data) and `names` in `combo`, keeping its choice; `changed` when that went away."""
    current = combo.currentData()
    wanted = [everyone[1], *names]
    if [combo.itemData(i) for i in range(combo.count())] == wanted:
        return
    with QSignalBlocker(combo):
        combo.clear()
        combo.addItem(*everyone)
        for name in names:
            combo.addItem(name or UNNAMED, name)
        found = combo.findData(current)
        combo.setCurrentIndex(max(found, 0))
    if found < 0 and current != everyone[1]:
        changed()


class _Card(QFrame):
    """A summary card; clickable (`clicked`) when it opens more detail."""

    clicked = Signal()

    def __init__(self, *, clickable: bool) -> None:
        super().__init__(frameShape=QFrame.Shape.StyledPanel)
        self._clickable = clickable
        if clickable:
            self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        """Emit `clicked` for a left click on a clickable card."""
        if self._clickable and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class SummaryCards(QWidget):
    """The row of summary figures (`figures.SUMMARY_KEYS`); the errors card opens their breakdown."""

    errors_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Every card reads a dash until the first figures arrive."""
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.values: dict[str, QLabel] = {}
        self.cards: dict[str, QFrame] = {}
        for n, key in enumerate(SUMMARY_KEYS):
            fig = figure(key)
            card = _Card(clickable=key == ERRORS_CARD)
            card.setObjectName(f"card_frame_{key}")
            card.setToolTip(tr(FIGURES_CONTEXT, fig.help))
            inner = QVBoxLayout(card)
            value = named(QLabel(NO_FIGURE), f"card_{key}")
            font = QFont(value.font())
            font.setPointSizeF(font.pointSizeF() * 1.6)
            font.setBold(True)
            value.setFont(font)
            inner.addWidget(value)
            inner.addWidget(QLabel(tr(FIGURES_CONTEXT, fig.title), wordWrap=True))
            layout.addWidget(card, n // 5, n % 5)
            self.values[key] = value
            self.cards[key] = card
        self.cards[ERRORS_CARD].clicked.connect(self.errors_requested)  # type: ignore[attr-defined]

    def show_summary(self, summary: Summary) -> None:
        """Show `summary`'s figures: rounded where the figure says so, unknown as a dash, details on hover."""
        for key in SUMMARY_KEYS:
            fig, value = figure(key), summary.value(key)
            partial = fig.needs_telemetry and value is not None and bool(summary.acceptance_note)
            self.values[key].setText((display_text(value, fig) or NO_FIGURE) + (PARTIAL_MARK if partial else ""))
            tips = [tr(FIGURES_CONTEXT, fig.help)]
            exact = exact_text(value, fig.kind)
            if exact and exact != display_text(value, fig):
                tips.insert(0, exact)
            if fig.needs_telemetry and summary.acceptance_note:
                tips.append(tr(FIGURES_CONTEXT, summary.acceptance_note))
            if key == ERRORS_CARD and summary.errors:
                tips.append(tr(CONTEXT, "Click for the failures by status, host and developer."))
            self.cards[key].setToolTip("\n".join(tips))


class EmptyState(QWidget):
    """What a fresh installation shows: no traffic yet, and the two steps that bring some."""

    team_requested = Signal()
    ca_guide_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """The explanation and its two buttons."""
        super().__init__(parent)
        self.setObjectName("empty_state")
        text = named(QLabel(tr(CONTEXT,
            "<h2>No Copilot traffic recorded yet</h2>"
            "<p>The dashboard fills in as soon as a developer's Copilot goes through the proxy:</p>"
            "<ol><li><b>Team &amp; credentials</b>: add each developer and send them their proxy URL "
            "(it carries their name and password).</li>"
            "<li><b>CA certificate guide</b>: each developer trusts this installation's CA certificate and "
            "sets the proxy in their editor, with a copyable command for every system and editor.</li>"
            "<li>Their next Copilot request appears here within two seconds; "
            "<code>insight.check</code> in their browser confirms the set-up.</li></ol>"), wordWrap=True),
            "empty_text")
        text.setTextFormat(Qt.TextFormat.RichText)
        team = named(QPushButton(tr(CONTEXT, "Team && credentials…")), "empty_team_button")
        guide = named(QPushButton(tr(CONTEXT, "CA certificate guide…")), "empty_ca_guide_button")
        team.clicked.connect(self.team_requested)
        guide.clicked.connect(self.ca_guide_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(team)
        buttons.addWidget(guide)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(buttons)
        layout.addStretch(1)
