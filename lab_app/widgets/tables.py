"""Read-only number tables for the panels: made one way, sized to show every row."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSizePolicy, QTableWidget

__all__ = ["fit_height", "number_table"]


def number_table(name: str) -> QTableWidget:
    """A table named ``name`` that cannot be edited, selected or focused, columns stretched."""
    table = QTableWidget(objectName=name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return table


def fit_height(table: QTableWidget) -> None:
    """Show every row without a scroll bar (the tables hold at most 8 rows or a few coefficients)."""
    height = table.horizontalHeader().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(i) for i in range(table.rowCount()))
    table.setFixedHeight(height)
