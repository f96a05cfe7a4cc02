"""The Pinned runs panel: each pinned run's name, settings and final numbers, with a remove button.

It shows what the window hands it (:meth:`PinnedRunsView.set_runs`) and asks for removals with a
signal; the owner is :class:`lab_app.training.pinned.PinnedRuns`.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.comparison import config_summary
from lab_app.widgets.palette import pin_color

__all__ = ["COLUMNS", "PinnedRunsView"]

#: The table's columns; the last holds each row's remove button.
COLUMNS = ("run", "settings", "epochs", "train loss", "test loss", "train acc.", "test acc.", "")
_DASH = "\u2014"


class PinnedRunsView(QWidget):
    """A table of pinned runs (oldest first): the label (what differs from the live run) in the run's
    colour, its settings, epochs, and final training/test loss and accuracy; ``removeRequested(i)``
    from a row's × button, ``clearRequested`` from "Remove all"."""

    removeRequested = Signal(int)
    clearRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pinnedView")
        self.table = QTableWidget(0, len(COLUMNS), objectName="pinnedTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.note = QLabel("No pinned runs: Train ▸ Pin this run keeps the current run to compare with.")
        self.note.setObjectName("pinnedNote")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555;")
        self.clear_button = QPushButton("Remove all", objectName="pinnedClear")
        self.clear_button.clicked.connect(self.clearRequested)
        bar = QHBoxLayout()
        bar.addWidget(self.note, 1)
        bar.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table, 1)
        layout.addLayout(bar)
        self.remove_buttons: list[QPushButton] = []
        self.set_runs((), ())

    def set_runs(self, runs: Sequence, labels: Sequence[str]) -> None:
        """Show ``runs`` (``PinnedRun``) named ``labels``."""
        self.table.setRowCount(len(runs))
        self.remove_buttons = []
        for row, (run, label) in enumerate(zip(runs, labels)):
            final = run.final()
            cells = (
                label,
                config_summary(run.config),
                str(run.n_epochs),
                _number(final["train_loss"], "{:.4g}"),
                _number(final["test_loss"], "{:.4g}"),
                _number(final["train_accuracy"], "{:.1%}"),
                _number(final["test_accuracy"], "{:.1%}"),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
            first = self.table.item(row, 0)
            first.setForeground(QColor(pin_color(run.slot)).darker(130))
            first.setToolTip("Drawn dashed in this colour in the Loss view and the boundary")
            self.table.item(row, 1).setToolTip(config_summary(run.config))
            button = QPushButton("×", objectName=f"pinnedRemove_{row}")
            button.setToolTip("Unpin this run")
            button.setFixedWidth(28)
            button.clicked.connect(lambda _=False, i=row: self.removeRequested.emit(i))
            self.table.setCellWidget(row, len(COLUMNS) - 1, button)
            self.remove_buttons.append(button)
        self.note.setVisible(not runs)
        self.clear_button.setEnabled(bool(runs))

    def table_text(self) -> list[dict[str, str]]:
        """Each row as ``{column: text}`` (what the user reads)."""
        return [
            {name: self.table.item(row, col).text() for col, name in enumerate(COLUMNS[:-1])}
            for row in range(self.table.rowCount())
        ]


def _number(value, fmt: str) -> str:
    return _DASH if value is None else fmt.format(value)
