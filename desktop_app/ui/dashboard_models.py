"""The dashboard's Qt item models: per developer, per day, errors, quotas, the drill-down tree.

Each model holds plain rows from `core` (`DeveloperTotals`, `DailyUsage`, `ErrorCount`,
`QuotaSnapshot`, `Interaction`) and says how every column reads, sorts and aligns. The figures'
columns follow their definitions (`core.figures`: title, help, format; tokens rounded with the
exact value on hover; unknown figures "—" with the reason on hover). Sorting happens in the model
on Python values (a sort proxy would call back into Python for every comparison), so a year of
rows sorts in a few milliseconds. The models never query anything: the presenter hands them rows read on a worker.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, override

from PySide6.QtCore import QAbstractItemModel, QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from desktop_app.core.charts import sparkline
from desktop_app.core.figures import (
    DAILY_KEYS,
    DEVELOPER_KEYS,
    TREND_HELP,
    TREND_TITLE,
    Figure,
    Value,
    display_text,
    exact_text,
    figure,
)
from desktop_app.core.figures import counts_text as figure_counts_text
from desktop_app.core.models import QuotaSnapshot, kind_title
from desktop_app.core.store.dashboard import DeveloperTotals
from desktop_app.core.store.drilldown import Interaction, RequestRecord
from desktop_app.core.store.errors import ErrorCount
from desktop_app.core.store.queries import SHOWN_FROM_PROXY, DailyUsage
from desktop_app.ui.i18n import tr

CONTEXT = "Dashboard"
FIGURES_CONTEXT = "Figures"
"""The catalogue section of the figures' titles and help texts (`core.figures`)."""
SORT_ROLE: Final = Qt.ItemDataRole.UserRole + 1
"""The raw value a column sorts by (a number, a date or a string; None sorts last)."""

Index = QModelIndex | QPersistentModelIndex
KIND_COLUMN: Final = 1
"""The drill-down tree's Kind column."""
_RIGHT: Final = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT: Final = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def number_format(pattern: str) -> Callable[[object], str]:
    """A formatter writing a number with `pattern` (a `str.format` pattern) and anything else as ''."""
    def text(value: object) -> str:
        number = _number(value)
        return "" if number is None else pattern.format(number)
    return text


count_text = number_format("{:,.0f}")  # a count with thousands separators
credits_text = number_format("{:,.2f}")  # AI credits
millis_text = number_format("{:,.0f} ms")  # a duration
remaining_text = number_format("{:.1f} %")  # a quota's remaining percentage


def entitlement_text(value: object) -> str:
    """A quota's entitlement: 'unlimited' for -1."""
    return tr(CONTEXT, "unlimited") if value == -1 else count_text(value)


def local_moment(value: object) -> str:
    """A UTC moment as `YYYY-MM-DD HH:MM:SS` in this computer's time zone ('' for anything else)."""
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else ""


@dataclass(frozen=True)
class Column[Row]:
    """How one column of a row model reads: its title, its value to sort by, its text and alignment."""

    title: str
    value: Callable[[Row], object]
    text: Callable[[object], str] = str
    numeric: bool = True
    tooltip: str = ""
    figure: Figure | None = None  # the figure the column shows, if it is one

    def display(self, row: Row) -> str:
        """The cell's text."""
        return self.text(self.value(row))


WRAP_TITLES_FROM: Final = 13
"""Column titles longer than this are shown on two lines (narrow columns, nothing cut off)."""


def two_lines(title: str) -> str:
    """`title` on two lines, broken at the space nearest its middle, when it is long."""
    if len(title) <= WRAP_TITLES_FROM or " " not in title:
        return title
    middle = len(title) / 2
    cut = min((n for n, char in enumerate(title) if char == " "), key=lambda n: abs(n - middle))
    return f"{title[:cut]}\n{title[cut + 1:]}"


def _known(value: object) -> bool:
    return value is not None and value != ""


class RowTableModel[Row](QAbstractTableModel):
    """A read-only table of `Row`s described by `Column`s, sortable in place."""

    def __init__(self, columns: Sequence[Column[Row]], key: Callable[[Row], object],
                 parent: QObject | None = None) -> None:
        """Show `columns`; `key` names a row across refreshes (so a refresh keeps the selection)."""
        super().__init__(parent)
        self.columns = tuple(columns)
        self.key = key
        self.rows: list[Row] = []
        self._sorted_by: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Replace every row (kept in the current sort order).

        When the same rows come back in the same order (a live refresh of the same days), only their
        figures change: views keep their selection and scroll position.
        """
        fresh = self._ordered(list(rows))
        if fresh and [self.key(r) for r in fresh] == [self.key(r) for r in self.rows]:
            self.rows = fresh
            self.dataChanged.emit(self.index(0, 0), self.index(len(fresh) - 1, len(self.columns) - 1))
            return
        self.beginResetModel()
        self.rows = fresh
        self.endResetModel()

    @override
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    @override
    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.columns)

    @override
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self.rows) or index.column() >= len(self.columns):
            return None
        column, row = self.columns[index.column()], self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(row)
        if role == SORT_ROLE:
            return column.value(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column.numeric else _LEFT
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, index.column())
        return None

    def tooltip(self, row: Row, column: int) -> str | None:
        """A cell's tooltip: why a figure is unknown, a rounded figure's exact value, long text whole."""
        col = self.columns[column]
        value, text = col.value(row), col.display(row)
        fig = col.figure
        if fig is not None and value is None and fig.help_unknown:
            return tr(FIGURES_CONTEXT, fig.help_unknown)
        if fig is not None and isinstance(value, int | float):
            exact = exact_text(value, fig.kind)
            return exact if exact != text else None
        return text if len(text) > 30 else None

    @override
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return two_lines(self.columns[section].title)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tooltip or None
        return None

    @override
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        moved = [(index, self.rows[index.row()]) for index in before]
        self._sorted_by = (column, order)
        self.rows = self._ordered(self.rows)
        position = {id(row): n for n, row in enumerate(self.rows)}
        self.changePersistentIndexList(
            before, [self.index(position[id(row)], index.column()) for index, row in moved])
        self.layoutChanged.emit()

    def _ordered(self, rows: list[Row]) -> list[Row]:
        """`rows` in the chosen sort order; rows without a value in the sort column always come last."""
        if self._sorted_by is None:
            return rows
        column, order = self._sorted_by
        value = self.columns[column].value
        known = [row for row in rows if _known(value(row))]
        known.sort(key=value, reverse=order == Qt.SortOrder.DescendingOrder)  # type: ignore[arg-type]
        return known + [row for row in rows if not _known(value(row))]


def figure_column[Row](fig: Figure, value: Callable[[Row], object]) -> Column[Row]:
    """The column showing `fig` (translated title and help; rounded, unknown and breakdown text as `figures` says)."""
    def text(raw: object) -> str:
        if isinstance(raw, dict):
            return figure_counts_text(raw)
        return display_text(raw, fig)  # type: ignore[arg-type]
    return Column(tr(FIGURES_CONTEXT, fig.title), value, text, fig.numeric, tr(FIGURES_CONTEXT, fig.help), fig)


def _daily_value(key: str) -> Callable[[DailyUsage], Value]:
    return lambda row: getattr(row, key)


def _daily_columns() -> list[Column[DailyUsage]]:
    return [figure_column(figure(key), _daily_value(key)) for key in DAILY_KEYS]


TREND_BARS: Final = 15
"""The per-developer table's trend has at most this many bars (it fits its column)."""
FROZEN_COLUMNS: Final = 2
"""The daily table's Day and Developer columns stay in view when it scrolls sideways."""


class DailyTableModel(RowTableModel[DailyUsage]):
    """One row per developer per day, a column for every daily figure (`figures.FIGURES`)."""

    def __init__(self, parent: QObject | None = None) -> None:
        """An empty table."""
        super().__init__(_daily_columns(), lambda row: (row.day, row.developer), parent)

    @override
    def tooltip(self, row: DailyUsage, column: int) -> str | None:
        fig = self.columns[column].figure
        if fig is not None and fig.key == "completions_shown" and row.shown_source == SHOWN_FROM_PROXY:
            return tr(CONTEXT, "The IDE sent no telemetry this day: suggestions returned by the proxy are counted.")
        return super().tooltip(row, column)


def _developer_value(key: str) -> Callable[[DeveloperTotals], Value]:
    return lambda totals: totals.value(key)


def _developer_columns() -> list[Column[DeveloperTotals]]:
    columns = [figure_column(figure(key), _developer_value(key)) for key in DEVELOPER_KEYS]
    columns.append(Column(tr(FIGURES_CONTEXT, TREND_TITLE), lambda t: sparkline(t.trend, TREND_BARS), numeric=False,
                          tooltip=tr(FIGURES_CONTEXT, TREND_HELP)))
    return columns


class DeveloperTableModel(RowTableModel[DeveloperTotals]):
    """One row per developer over the chosen days (busiest first): the dashboard's first table."""

    def __init__(self, parent: QObject | None = None) -> None:
        """An empty table."""
        super().__init__(_developer_columns(), lambda row: row.developer, parent)


def _error_columns() -> list[Column[ErrorCount]]:
    return [
        Column(tr(CONTEXT, "Failures"), lambda e: e.count, count_text),
        Column(tr(CONTEXT, "Status"), lambda e: e.status_text, numeric=False),
        Column(tr(CONTEXT, "Developer"), lambda e: e.developer, numeric=False),
        Column(tr(CONTEXT, "Host"), lambda e: e.host, numeric=False),
        Column(tr(CONTEXT, "Error"), lambda e: e.error, numeric=False),
        Column(tr(CONTEXT, "Last"), lambda e: e.last_at, local_moment, numeric=False),
        Column(tr(CONTEXT, "Likely cause"), lambda e: tr(CONTEXT, e.cause), numeric=False),
    ]


class ErrorTableModel(RowTableModel[ErrorCount]):
    """The chosen days' failed requests by status, host and developer, largest first."""

    def __init__(self, parent: QObject | None = None) -> None:
        """An empty table."""
        super().__init__(_error_columns(), lambda e: (e.status, e.error, e.host, e.developer), parent)


def _quota_columns() -> list[Column[QuotaSnapshot]]:
    return [
        Column(tr(CONTEXT, "Developer"), lambda q: q.developer, numeric=False),
        Column(tr(CONTEXT, "Quota"), lambda q: q.quota.replace("_", " "), numeric=False),
        Column(tr(CONTEXT, "Remaining"), lambda q: q.remaining_percent, remaining_text),
        Column(tr(CONTEXT, "Entitlement"), lambda q: q.entitlement, entitlement_text),
        Column(tr(CONTEXT, "Overage"), lambda q: q.overage, count_text),
        Column(tr(CONTEXT, "Resets"), lambda q: q.reset_at[:10], numeric=False),
        Column(tr(CONTEXT, "Seen"), lambda q: q.observed_at, local_moment, numeric=False),
    ]


class QuotaTableModel(RowTableModel[QuotaSnapshot]):
    """The latest quota snapshot per developer and quota."""

    def __init__(self, parent: QObject | None = None) -> None:
        """An empty table."""
        super().__init__(_quota_columns(), lambda row: (row.developer, row.quota), parent)


def _status_text(record: RequestRecord) -> str:
    if record.error:
        return record.error if record.status is None else f"{record.status} · {record.error}"
    text = "" if record.status is None else str(record.status)
    return f"{text} {tr(CONTEXT, '(cancelled)')}".strip() if record.cancelled else text


def _request_columns() -> list[Column[RequestRecord]]:
    return [
        Column(tr(CONTEXT, "Time"), lambda r: r.started_at, local_moment, numeric=False),
        Column(tr(CONTEXT, "Kind"), lambda r: kind_title(r.kind), numeric=False),
        Column(tr(CONTEXT, "Mode"), lambda r: r.mode, numeric=False),
        Column(tr(CONTEXT, "Model"), lambda r: r.model, numeric=False),
        Column(tr(CONTEXT, "Initiator"), lambda r: r.initiator, numeric=False),
        Column(tr(CONTEXT, "Tokens"), lambda r: r.tokens or None, count_text),
        Column(tr(CONTEXT, "AI credits"), lambda r: r.ai_credits, credits_text),
        Column(tr(CONTEXT, "Latency"), lambda r: r.duration_ms, millis_text),
        Column(tr(CONTEXT, "Status"), _status_text, numeric=False),
    ]


class InteractionTreeModel(QAbstractItemModel):
    """A developer's interactions: the request that opened each, its follow-ups beneath it.

    Top-level rows are interactions (newest first); an interaction's children are its follow-ups in
    time order. A child index's internal id is its parent's row + 1; top-level indexes carry 0.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        """An empty tree."""
        super().__init__(parent)
        self.columns = tuple(_request_columns())
        self.interactions: list[Interaction] = []

    def set_interactions(self, interactions: Sequence[Interaction]) -> None:
        """Replace every interaction."""
        self.beginResetModel()
        self.interactions = list(interactions)
        self.endResetModel()

    def record_at(self, index: Index) -> RequestRecord | None:
        """The request an index shows (None for an invalid index)."""
        if not index.isValid():
            return None
        parent_row = index.internalId() - 1
        if parent_row < 0:
            return self.interactions[index.row()].lead if index.row() < len(self.interactions) else None
        follow_ups = self.interactions[parent_row].follow_ups
        return follow_ups[index.row()] if index.row() < len(follow_ups) else None

    @override
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008 - Qt's
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)

    @override
    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, 0)

    @override
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        if not parent.isValid():
            return len(self.interactions)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        return len(self.interactions[parent.row()].follow_ups)

    @override
    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return len(self.columns)

    @override
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        record = self.record_at(index)
        if record is None or index.column() >= len(self.columns):
            return None
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(index, column, record)
        if role == SORT_ROLE:
            return column.value(record)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column.numeric else _LEFT
        if role == Qt.ItemDataRole.ToolTipRole and index.internalId() == 0:
            return self._interaction_tooltip(self.interactions[index.row()])
        return None

    def _display(self, index: Index, column: Column[RequestRecord], record: RequestRecord) -> str:
        """A cell's text; an interaction's Kind also says how many follow-ups it has."""
        text = column.display(record)
        if index.internalId() != 0 or index.column() != KIND_COLUMN:
            return text
        follow_ups = len(self.interactions[index.row()].follow_ups)
        return tr(CONTEXT, "{kind} · {count} follow-ups").format(kind=text, count=follow_ups) if follow_ups else text

    def _interaction_tooltip(self, interaction: Interaction) -> str | None:
        if not interaction.follow_ups:
            return None
        return tr(CONTEXT, "{count} requests in this interaction: {tokens} tokens, {credits} AI credits").format(
            count=len(interaction.requests), tokens=count_text(interaction.tokens),
            credits=credits_text(interaction.ai_credits) or "0")

    @override
    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.columns):
            return self.columns[section].title
        return None
