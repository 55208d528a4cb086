"""A table view whose first columns stay in view when it scrolls sideways (Qt's frozen-column pattern).

A second, borderless view over the left edge shows the same model, selection and sort indicator
for only the first `frozen` columns; the two scroll together vertically. Used for the daily table,
whose Day and Developer must stay visible beside thirty figures.
"""

from typing import override

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget


class FrozenColumnsTable(QTableView):
    """A `QTableView` with its first `frozen` columns pinned on the left."""

    def __init__(self, frozen: int, parent: QWidget | None = None) -> None:
        """Pin `frozen` columns once a model is set."""
        super().__init__(parent)
        self.frozen = frozen
        self.pinned = QTableView(self)
        self.pinned.setObjectName("frozen_columns")
        self.pinned.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pinned.verticalHeader().hide()
        self.pinned.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pinned.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pinned.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.pinned.setStyleSheet("QTableView { border: none; }")
        self.viewport().stackUnder(self.pinned)
        self.horizontalHeader().sectionResized.connect(self._on_resized)
        self.verticalHeader().sectionResized.connect(
            lambda index, _old, size: self.pinned.setRowHeight(index, size))
        self.pinned.verticalScrollBar().valueChanged.connect(self.verticalScrollBar().setValue)
        self.verticalScrollBar().valueChanged.connect(self.pinned.verticalScrollBar().setValue)
        self.pinned.horizontalHeader().sectionClicked.connect(self._on_pinned_header)

    @override
    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        self.pinned.setModel(model)
        self.pinned.setSelectionModel(self.selectionModel())
        self.pinned.setSelectionBehavior(self.selectionBehavior())
        self.pinned.setAlternatingRowColors(self.alternatingRowColors())
        self.pinned.verticalHeader().setDefaultSectionSize(self.verticalHeader().defaultSectionSize())
        self.pinned.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.pinned.doubleClicked.connect(self.doubleClicked)
        self._pin_columns()

    def _pin_columns(self) -> None:
        model = self.model()
        if model is None:
            return
        for column in range(model.columnCount()):
            self.pinned.setColumnHidden(column, column >= self.frozen)
            if column < self.frozen:
                self.pinned.setColumnWidth(column, self.columnWidth(column))
        self._place()

    def _on_resized(self, index: int, _old: int, size: int) -> None:
        if index < self.frozen:
            self.pinned.setColumnWidth(index, size)
            self._place()

    def _on_pinned_header(self, section: int) -> None:
        """Sort by a pinned column as a click on the main header would."""
        header = self.horizontalHeader()
        same = header.sortIndicatorSection() == section
        order = Qt.SortOrder.DescendingOrder if same and header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder \
            else Qt.SortOrder.AscendingOrder
        self.sortByColumn(section, order)
        self.pinned.horizontalHeader().setSortIndicator(section, order)

    def _place(self) -> None:
        self.pinned.horizontalHeader().setFixedHeight(self.horizontalHeader().height())  # rows line up
        width = sum(self.columnWidth(c) for c in range(self.frozen))
        self.pinned.setGeometry(self.verticalHeader().width() + self.frameWidth(), self.frameWidth(), width,
                                self.viewport().height() + self.horizontalHeader().height())

    @override
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()

    @override
    def scrollTo(self, index: QModelIndex, hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible) -> None:  # type: ignore[override]  # noqa: E501
        if index.column() >= self.frozen:
            super().scrollTo(index, hint)
