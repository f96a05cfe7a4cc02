"""Numbers as R prints them, and the read-only tables the reference view fills."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget

__all__ = ["DASH", "MINUS", "fixed", "make_table", "p_value", "sci"]

MINUS = "\u2212"
DASH = "\u2014"


def make_table(name: str, columns) -> QTableWidget:
    """A read-only table with ``columns`` as headers and no row numbers (objectName ``name``)."""
    table = QTableWidget(0, len(columns), objectName=name)
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    table.verticalHeader().setDefaultSectionSize(22)  # compact rows: the tables fit a short dock
    return table


def fixed(x, decimals: int) -> str:
    """Fixed decimals as R prints them; scientific outside [10⁻⁴, 10⁵); minus as U+2212."""
    if x is None:
        return ""
    x = float(x)
    if not np.isfinite(x):
        return "\u221e" if x > 0 else (f"{MINUS}\u221e" if x < 0 else DASH)
    text = f"{x:.3e}" if x != 0 and not 1e-4 <= abs(x) < 1e5 else f"{x:.{decimals}f}"
    return text.replace("-", MINUS)


def p_value(x) -> str:
    if x is None:
        return ""
    return sci(x) if 0 <= x < 1e-3 else f"{x:.3g}"


def sci(x) -> str:
    if x is None:
        return ""
    x = float(x)
    if not np.isfinite(x):
        return DASH
    return (f"{x:.2e}" if x != 0 else "0").replace("-", MINUS)
