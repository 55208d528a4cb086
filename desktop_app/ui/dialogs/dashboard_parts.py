"""Pieces of the dashboard window: the filter bar, the summary cards and the empty state.

Passive widgets: they show what they are given and emit what the lead asks for. Stable
objectNames: `range_preset`, `range_from`, `range_to`, `developer_filter`, `refresh_button`,
`dashboard_status`; `card_<key>` (the value label of each summary card); `empty_state` with
`empty_team_button` and `empty_ca_guide_button`.
"""

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.store.dashboard import DayRange, RangePreset, Summary
from desktop_app.ui.dashboard_models import count_text, credits_text, percent_text
from desktop_app.ui.i18n import tr
from desktop_app.ui.widgets import named

CONTEXT = "Dashboard"
EVERYONE = ""
RANGE_DASH = "\N{EN DASH}"
NO_FIGURE = "\N{EN DASH}"


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
    """Range preset, custom dates, developer, refresh; emits `changed` when the selection changes."""

    changed = Signal()
    refresh_requested = Signal()

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
        self.refresh = named(QPushButton(tr(CONTEXT, "Refresh")), "refresh_button")
        self.status = named(QLabel(), "dashboard_status")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel(tr(CONTEXT, "Days:")), self.preset, self.first, QLabel(RANGE_DASH), self.last,
                       QLabel(tr(CONTEXT, "Developer:")), self.developer, self.refresh):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.status)
        self.preset.currentIndexChanged.connect(self._on_preset)
        self.first.dateChanged.connect(self._on_custom_date)
        self.last.dateChanged.connect(self._on_custom_date)
        self.developer.currentIndexChanged.connect(lambda _index: self.changed.emit())
        self.refresh.clicked.connect(self.refresh_requested)
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

    def set_developers(self, names: Sequence[str]) -> None:
        """Offer `names` (keeping the current choice when it is still there)."""
        current = self.developer.currentData()
        wanted = [EVERYONE, *names]
        if [self.developer.itemData(i) for i in range(self.developer.count())] == wanted:
            return
        with QSignalBlocker(self.developer):
            self.developer.clear()
            self.developer.addItem(tr(CONTEXT, "Everyone"), EVERYONE)
            for name in names:
                self.developer.addItem(name, name)
            found = self.developer.findData(current)
            self.developer.setCurrentIndex(max(found, 0))
        if found < 0 and current:
            self.changed.emit()

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


class SummaryCards(QWidget):
    """The row of summary figures."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Every card reads a dash until the first figures arrive."""
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.values: dict[str, QLabel] = {}
        for n, (key, caption, tip) in enumerate(self._cards()):
            card = QFrame(frameShape=QFrame.Shape.StyledPanel)
            card.setToolTip(tip)
            inner = QVBoxLayout(card)
            value = named(QLabel(RANGE_DASH), f"card_{key}")
            font = QFont(value.font())
            font.setPointSizeF(font.pointSizeF() * 1.6)
            font.setBold(True)
            value.setFont(font)
            inner.addWidget(value)
            inner.addWidget(QLabel(caption, wordWrap=True))
            layout.addWidget(card, n // 5, n % 5)
            self.values[key] = value

    @staticmethod
    def _cards() -> list[tuple[str, str, str]]:
        return [
            ("active_developers", tr(CONTEXT, "Active developers"), tr(CONTEXT, "Developers with any request")),
            ("completions_shown", tr(CONTEXT, "Completions shown"),
             tr(CONTEXT, "Inline suggestions shown (IDE telemetry, else the proxy's count)")),
            ("completions_accepted", tr(CONTEXT, "Completions accepted"), ""),
            ("acceptance_rate", tr(CONTEXT, "Acceptance rate"), tr(CONTEXT, "Accepted ÷ shown")),
            ("user_interactions", tr(CONTEXT, "Interactions"),
             tr(CONTEXT, "Prompts developers sent in chat, edit, agent and CLI")),
            ("agent_requests", tr(CONTEXT, "Agent requests"),
             tr(CONTEXT, "Model calls the agent made on its own: tool loops and helpers")),
            ("tokens", tr(CONTEXT, "Tokens"), tr(CONTEXT, "Prompt and output tokens")),
            ("ai_credits", tr(CONTEXT, "AI credits"), tr(CONTEXT, "Reported by Copilot per request (1 credit = "
                                                                  "1e9 nano AIU)")),
            ("errors", tr(CONTEXT, "Errors"), tr(CONTEXT, "Requests that failed or got a status of 400 or more")),
            ("requests", tr(CONTEXT, "Requests"), tr(CONTEXT, "Every recorded request, of any kind")),
        ]

    def show_summary(self, summary: Summary) -> None:
        """Show `summary`'s figures."""
        texts = {
            "active_developers": count_text(summary.active_developers),
            "completions_shown": count_text(summary.completions_shown),
            "completions_accepted": count_text(summary.completions_accepted),
            "acceptance_rate": percent_text(summary.acceptance_rate) or NO_FIGURE,
            "user_interactions": count_text(summary.user_interactions),
            "agent_requests": count_text(summary.agent_requests),
            "tokens": count_text(summary.tokens),
            "ai_credits": credits_text(summary.ai_credits),
            "errors": count_text(summary.errors),
            "requests": count_text(summary.requests),
        }
        for key, text in texts.items():
            self.values[key].setText(text)


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
