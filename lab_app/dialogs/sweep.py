"""The Sweep dialog (Train ▸ Sweep…): train a grid of one or two settings and compare the runs.

The user picks one or two settings (learning rate, batch size, L2, hidden layers, optimizer) and
their values, in the command line's syntax (:func:`engine.sweep.parse_values`); every other
setting is the lab's current configuration, with a number of epochs. The grid trains in the
background (:class:`lab_app.tasks.TaskRunner`: progress, cancel; a cancelled sweep shows nothing)
and is shown as small multiples — each cell's probabilities over the plane with its final loss and
test accuracy — beside a heatmap of the final training loss. Clicking a cell (its picture or its
square in the heatmap) asks, through
``loadRequested``, for that run to be loaded into the window; the dialog never touches the
controller or the document itself.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.sweep import SweepAxis, SweepCell, parse_values
from lab_app.dialogs.sweep_pictures import (
    SETTING_NAMES,
    THUMB,
    LossHeatmap,
    cell_title,
    header,
    settings_text,
    thumbnail,
)
from lab_app.dialogs.sweep_task import SweepOutcome, sweep_task
from lab_app.panels.boundary.grid import data_ranges
from lab_app.panels.boundary.heatmap import GridPainter, class_style
from lab_app.tasks import TaskRunner
from lab_app.training.config import effective_config

__all__ = ["DEFAULT_VALUES", "MAX_CELLS", "SETTING_NAMES", "SweepDialog"]

#: What a setting's values start as when it is chosen (the command line's syntax).
DEFAULT_VALUES = {
    "lr": "1e-3:1e-1:3",
    "batch_size": "16,64,0",
    "l2": "0,1e-3,1e-2",
    "hidden": "none;8;16,16",
    "optimizer": "sgd,momentum,adam",
}
#: Runs one sweep may have: each is a picture in the grid.
MAX_CELLS = 100
_NONE = "(none)"


class SweepDialog(QDialog):
    """A non-modal dialog that runs and shows a sweep.

    Parameters
    ----------
    controller : the :class:`~lab_app.training.controller.TrainingController`; only its ``config`` is
        read (the base of the sweep).
    document : the :class:`~lab_app.document.LabDocument`; its ``dataset()`` is what the sweep trains
        on, its class colours and view pair are what the pictures show.

    Signals
    -------
    loadRequested(object) : a cell (:class:`~engine.sweep.SweepCell`) was clicked.
    sweepFinished(object) : a sweep ended and its :class:`~.sweep_task.SweepOutcome` is drawn.
    sweepCancelled() : a sweep was cancelled and has ended.

    Attributes
    ----------
    outcome : the :class:`SweepOutcome` on show, or None.
    """

    loadRequested = Signal(object)
    sweepFinished = Signal(object)
    sweepCancelled = Signal()

    def __init__(self, controller, document, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sweepDialog")
        self.setWindowTitle("Sweep")
        self.setModal(False)
        self._controller, self._document = controller, document
        self.outcome: SweepOutcome | None = None
        self.cell_buttons: dict[tuple[int, int], QToolButton] = {}
        self._runner = TaskRunner(self, name="logit-lab-sweep")
        self._runner.progress.connect(self._on_progress)
        self._runner.resultReady.connect(self._on_result)
        self._runner.failed.connect(self._on_failed)
        self._runner.cancelled.connect(self._on_cancelled)
        self._runner.busyChanged.connect(self._on_busy)
        self._build()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.resize(1100, 640)

    # ------------------------------------------------------------ public API
    @property
    def busy(self) -> bool:
        return self._runner.busy

    def set_axes(self, first: str, first_values: str, second: str | None = None, second_values: str = "") -> None:
        """Choose the swept settings and their values as text (what the controls hold)."""
        self.setting_boxes[0].setCurrentIndex(self.setting_boxes[0].findData(first))
        self.value_edits[0].setText(first_values)
        self.setting_boxes[1].setCurrentIndex(self.setting_boxes[1].findData(second))
        if second is not None:
            self.value_edits[1].setText(second_values)

    def axes(self) -> list[SweepAxis]:
        """The axes the controls describe; ValueError says what is wrong."""
        axes = []
        for box, edit in zip(self.setting_boxes, self.value_edits):
            name = box.currentData()
            if name is None:
                continue
            try:
                axes.append(SweepAxis(name, parse_values(name, edit.text())))
            except ValueError as exc:
                raise ValueError(f"{SETTING_NAMES[name]}: {exc}") from None
        if len(axes) == 2 and axes[0].name == axes[1].name:
            raise ValueError("choose two different settings")
        return axes

    def run(self) -> bool:
        """Start the sweep the controls describe on the document's points (False, with the reason
        on show, if it cannot start)."""
        try:
            axes = self.axes()
            dataset = self._document.dataset()
            base = effective_config(self._controller.config, dataset.n_features).with_(epochs=self.epochs.value())
            if dataset.n_classes < 2:
                raise ValueError("the sweep needs points of at least 2 classes")
            n = int(np.prod([len(a.values) for a in axes]))
            if n > MAX_CELLS:
                raise ValueError(f"{n} runs are too many to compare; choose at most {MAX_CELLS}")
        except ValueError as exc:
            self._say(str(exc), error=True)
            return False
        columns = tuple(self._document.view_columns) if dataset.n_features > 2 else (0, 1)
        xlim, ylim = data_ranges(dataset.X, columns)
        fixed = tuple(dataset.X.mean(axis=0)) if dataset.n_features > 2 else None
        self._say(f"Training {n} runs of {base.epochs} epochs (seed {base.seed})…")
        self.progress_bar.setValue(0)
        self._runner.start(sweep_task, dataset, base, axes, xlim, ylim, columns, fixed)
        return True

    def cancel(self) -> None:
        """Stop the sweep under way; nothing of it is shown."""
        self._runner.cancel()

    def shutdown(self) -> None:
        """Cancel and join the sweep (the window calls it when closing)."""
        self._runner.shutdown()

    def request_load(self, cell: SweepCell) -> bool:
        """Ask for ``cell``'s run to be loaded (``loadRequested``), if the document still holds the
        points the sweep trained on; otherwise say so (its weights and loss curve belong to them)."""
        try:
            current = self._document.dataset()
        except ValueError:
            current = None
        if self.outcome is None or current is None or not _same_data(current, self.outcome.dataset):
            self._say("The points changed since this sweep: press Run to sweep them again.", error=True)
            return False
        self.loadRequested.emit(cell)
        return True

    def cell_at(self, row: int, column: int) -> SweepCell | None:
        if self.outcome is None:
            return None
        for cell in self.outcome.cells:
            if self.outcome.place(cell) == (row, column):
                return cell
        return None

    # ------------------------------------------------------------ building
    def _build(self) -> None:
        self.setting_boxes, self.value_edits = [], []
        controls = QHBoxLayout()
        for k in range(2):
            box = QComboBox(objectName=f"sweepSetting{k + 1}")
            if k == 1:
                box.addItem(_NONE, None)
            for name, text in SETTING_NAMES.items():
                box.addItem(text, name)
            edit = QLineEdit(objectName=f"sweepValues{k + 1}")
            edit.setToolTip(
                "Comma-separated values; learning rates also LOW:HIGH:N (N on a log grid); "
                "hidden layers separated by ';' (none;8;16,16); batch size 0 = full batch"
            )
            box.currentIndexChanged.connect(
                lambda _i, box=box, edit=edit: edit.setText(DEFAULT_VALUES.get(box.currentData(), ""))
            )
            box.currentIndexChanged.connect(
                lambda _i, box=box, edit=edit: edit.setEnabled(box.currentData() is not None)
            )
            controls.addWidget(QLabel("Rows:" if k == 0 else "Columns:"))
            controls.addWidget(box)
            controls.addWidget(edit, 1)
            self.setting_boxes.append(box)
            self.value_edits.append(edit)
        self.setting_boxes[0].setCurrentIndex(self.setting_boxes[0].findData("lr"))
        self.value_edits[0].setText(DEFAULT_VALUES["lr"])
        self.setting_boxes[1].setCurrentIndex(self.setting_boxes[1].findData("batch_size"))
        self.epochs = QSpinBox(objectName="sweepEpochs")
        self.epochs.setRange(1, 100_000)
        epochs = self._controller.config.epochs
        self.epochs.setValue(epochs if epochs > 0 else 100)
        controls.addWidget(QLabel("Epochs:"))
        controls.addWidget(self.epochs)
        self.run_button = QPushButton("Run", objectName="sweepRun")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel", objectName="sweepCancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        controls.addWidget(self.run_button)
        controls.addWidget(self.cancel_button)

        status_row = QHBoxLayout()
        self.progress_bar = QProgressBar(objectName="sweepProgress")
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setMaximumWidth(220)
        self.status = QLabel("Choose one or two settings and press Run. Click a cell to load its run.")
        self.status.setObjectName("sweepStatus")
        self.status.setWordWrap(True)
        status_row.addWidget(self.progress_bar)
        status_row.addWidget(self.status, 1)

        self.cells_widget = QWidget(objectName="sweepCells")
        self.cells_layout = QGridLayout(self.cells_widget)
        self.cells_layout.setSpacing(4)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.cells_widget)
        self.heatmap = LossHeatmap(self._on_heatmap_clicked)
        self.heatmap_widget, self.heatmap_image = self.heatmap.widget, self.heatmap.image
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(self.heatmap_widget)
        splitter.setSizes([700, 360])

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(status_row)
        layout.addWidget(splitter, 1)

    # ------------------------------------------------------------ task outcome
    def _on_busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def _on_progress(self, percent) -> None:
        self.progress_bar.setValue(int(percent))

    def _on_result(self, outcome: SweepOutcome | None) -> None:
        if outcome is None:
            return
        self.outcome = outcome
        self.progress_bar.setValue(100)
        self._draw_cells(outcome)
        self.heatmap.draw(outcome)
        best = min(outcome.cells, key=lambda c: np.inf if np.isnan(c.final_loss) else c.final_loss)
        diverged = sum(c.report["stopped_because"] == "diverged" for c in outcome.cells)
        self._say(
            f"{len(outcome.cells)} runs in {outcome.seconds:.2f} s. Lowest loss: {settings_text(outcome, best)}"
            + (f"; {diverged} diverged" if diverged else "")
            + ". Click a cell to load its run."
        )
        self.sweepFinished.emit(outcome)

    def _on_failed(self, message: str, _exc) -> None:
        self.progress_bar.setValue(0)
        self._say(f"The sweep failed: {message}", error=True)

    def _on_cancelled(self) -> None:
        self.progress_bar.setValue(0)
        self._say("Sweep cancelled.")
        self.sweepCancelled.emit()

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020;" if error else "")

    def _on_heatmap_clicked(self, row: int, column: int) -> None:
        """A click on a heatmap square loads that run, as a click on its picture does."""
        cell = self.cell_at(row, column)
        if cell is not None:
            self.request_load(cell)

    def heatmap_position(self, row: int, column: int):
        """Where cell (row, column) is in the heatmap widget's viewport (tests click there)."""
        return self.heatmap.position(row, column)

    # ------------------------------------------------------------ drawing
    def _draw_cells(self, outcome: SweepOutcome) -> None:
        for button in self.cell_buttons.values():
            button.deleteLater()
        while self.cells_layout.count():
            item = self.cells_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.cell_buttons = {}
        rows, cols = outcome.shape
        axes = outcome.axes
        if len(axes) == 2:
            for j, value in enumerate(axes[1].values):
                self.cells_layout.addWidget(header(f"{SETTING_NAMES[axes[1].name]} {axes[1].label(value)}"), 0, j + 1)
        for i in range(rows):
            text = (
                SETTING_NAMES[axes[0].name]
                if len(axes) == 1
                else f"{SETTING_NAMES[axes[0].name]}\n{axes[0].label(axes[0].values[i])}"
            )
            self.cells_layout.addWidget(header(text), i + 1, 0)
        style = class_style(outcome.dataset.classes, self._document)
        painter = None
        for cell, P in zip(outcome.cells, outcome.probabilities):
            if painter is None:
                painter = GridPainter(P.shape[0], P.shape[1], P.shape[2], contours=False)
            rgba = painter.paint(P, style.lut, style.ink).copy()
            row, col = outcome.place(cell)
            button = QToolButton(objectName=f"sweepCell_{row}_{col}")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIcon(QIcon(thumbnail(rgba, outcome, style.colors)))
            button.setIconSize(QSize(THUMB, THUMB))
            button.setText(cell_title(cell, axes))
            button.setToolTip(
                f"{settings_text(outcome, cell)}, seed {cell.config.seed}, {cell.report['epochs_run']} epochs "
                f"({cell.report['stopped_because']})\nClick to load this run into the window."
            )
            button.setAutoRaise(True)
            button.clicked.connect(lambda _checked=False, cell=cell: self.request_load(cell))
            self.cells_layout.addWidget(button, row + 1, col + 1)
            self.cell_buttons[(row, col)] = button
        self.cells_layout.setRowStretch(rows + 1, 1)
        self.cells_layout.setColumnStretch(cols + 1, 1)


def _same_data(a, b) -> bool:
    return a.classes == b.classes and a.X.shape == b.X.shape and np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
