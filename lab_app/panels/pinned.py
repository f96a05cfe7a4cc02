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

#: The table's columns: the first holds each row's remove button; the settings take the rest.
COLUMNS = ("", "run", "train loss", "test loss", "train acc.", "test acc.", "epochs", "settings")
_BUTTON, _RUN, _SETTINGS = 0, 1, len(COLUMNS) - 1
_DASH = "\u2014"


class PinnedRunsView(QWidget):
    """A table of pinned runs (oldest first): the label (what differs from the live run) in the run's
    colour, its final training/test loss and accuracy, epochs and settings; ``removeRequested(i)``
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
        header.setSectionResizeMode(_SETTINGS, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(28)
        self.table.setWordWrap(False)  # long settings are elided; the tooltip has them all
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
        self.table.setRowCount(0)  # drops the old rows' buttons with them
        self.table.setRowCount(len(runs))
        self.remove_buttons = []
        for row, (run, label) in enumerate(zip(runs, labels)):
            final = run.final()
            cells = (
                "",
                label,
                _number(final["train_loss"], "{:.4g}"),
                _number(final["test_loss"], "{:.4g}"),
                _number(final["train_accuracy"], "{:.1%}"),
                _number(final["test_accuracy"], "{:.1%}"),
                str(run.n_epochs),
                config_summary(run.config),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if _RUN < col < _SETTINGS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
            name = self.table.item(row, _RUN)
            name.setForeground(QColor(pin_color(run.slot)).darker(130))
            name.setToolTip("Drawn dashed in this colour in the Loss view and the boundary")
            self.table.item(row, _SETTINGS).setToolTip(config_summary(run.config))
            button = QPushButton("×", objectName=f"pinnedRemove_{row}")
            button.setToolTip("Unpin this run")
            button.setFixedWidth(28)
            button.clicked.connect(lambda _=False, i=row: self.removeRequested.emit(i))
            self.table.setCellWidget(row, _BUTTON, button)
            self.remove_buttons.append(button)
        self.note.setVisible(not runs)
        self.clear_button.setEnabled(bool(runs))

    def table_text(self) -> list[dict[str, str]]:
        """Each row as ``{column: text}`` (what the user reads)."""
        return [
            {name: self.table.item(row, col).text() for col, name in enumerate(COLUMNS) if col != _BUTTON}
            for row in range(self.table.rowCount())
        ]


def _number(value, fmt: str) -> str:
    return _DASH if value is None else fmt.format(value)
