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
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
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
from lab_app.dialogs.sweep_task import SweepOutcome, sweep_task
from lab_app.panels.boundary.grid import data_ranges
from lab_app.panels.boundary.heatmap import GridPainter, class_style
from lab_app.tasks import TaskRunner
from lab_app.training.config import effective_config
from lab_app.widgets.plots import TEXT_PEN, make_plot

__all__ = ["DEFAULT_VALUES", "MAX_CELLS", "SETTING_NAMES", "SweepDialog"]

#: The settings offered, in the order of the menus, with their names as users read them.
SETTING_NAMES = {
    "lr": "Learning rate",
    "batch_size": "Batch size",
    "l2": "L2",
    "hidden": "Hidden layers",
    "optimizer": "Optimizer",
}
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
#: Pixels of each cell's picture.
THUMB = 110
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
        self.heatmap_widget, self.heatmap_plot = make_plot("sweepHeatmap", min_size=(260, 220))
        self.heatmap_plot.invertY(True)
        self.heatmap_plot.setTitle("final training loss", color=TEXT_PEN)
        self.heatmap_image = pg.ImageItem()
        self.heatmap_plot.addItem(self.heatmap_image)
        self.heatmap_plot.setMouseEnabled(False, False)
        self.heatmap_plot.scene().sigMouseClicked.connect(self._on_heatmap_clicked)
        self._heat_labels: list[pg.TextItem] = []
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
        self._draw_heatmap(outcome)
        best = min(outcome.cells, key=lambda c: np.inf if np.isnan(c.final_loss) else c.final_loss)
        diverged = sum(c.report["stopped_because"] == "diverged" for c in outcome.cells)
        self._say(
            f"{len(outcome.cells)} runs in {outcome.seconds:.2f} s. Lowest loss: {_settings_text(outcome, best)}"
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

    def _on_heatmap_clicked(self, event) -> None:
        """A click on a heatmap cell loads that run, as a click on its picture does."""
        if self.outcome is None or event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.heatmap_plot.getViewBox().mapSceneToView(event.scenePos())
        row, column = round(point.y()), round(point.x())
        cell = self.cell_at(row, column)
        if cell is not None:
            self.request_load(cell)

    def heatmap_position(self, row: int, column: int):
        """Where cell (row, column) is in the heatmap widget's viewport (tests click there)."""
        scene = self.heatmap_plot.getViewBox().mapViewToScene(QPointF(column, row))
        return self.heatmap_widget.mapFromScene(scene)

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
                self.cells_layout.addWidget(_header(f"{SETTING_NAMES[axes[1].name]} {axes[1].label(value)}"), 0, j + 1)
        for i in range(rows):
            text = (
                SETTING_NAMES[axes[0].name]
                if len(axes) == 1
                else f"{SETTING_NAMES[axes[0].name]}\n{axes[0].label(axes[0].values[i])}"
            )
            self.cells_layout.addWidget(_header(text), i + 1, 0)
        style = class_style(outcome.dataset.classes, self._document)
        painter = None
        for cell, P in zip(outcome.cells, outcome.probabilities):
            if painter is None:
                painter = GridPainter(P.shape[0], P.shape[1], P.shape[2], contours=False)
            rgba = painter.paint(P, style.lut, style.ink).copy()
            row, col = outcome.place(cell)
            button = QToolButton(objectName=f"sweepCell_{row}_{col}")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIcon(QIcon(_thumbnail(rgba, outcome, style.colors)))
            button.setIconSize(QSize(THUMB, THUMB))
            button.setText(_title(cell, axes))
            button.setToolTip(
                f"{_settings_text(outcome, cell)}, seed {cell.config.seed}, {cell.report['epochs_run']} epochs "
                f"({cell.report['stopped_because']})\nClick to load this run into the window."
            )
            button.setAutoRaise(True)
            button.clicked.connect(lambda _checked=False, cell=cell: self.request_load(cell))
            self.cells_layout.addWidget(button, row + 1, col + 1)
            self.cell_buttons[(row, col)] = button
        self.cells_layout.setRowStretch(rows + 1, 1)
        self.cells_layout.setColumnStretch(cols + 1, 1)

    def _draw_heatmap(self, outcome: SweepOutcome) -> None:
        loss = outcome.loss_grid()
        rows, cols = loss.shape
        finite = loss[np.isfinite(loss)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if hi <= lo:
            hi = lo + 1e-12
        lut = pg.colormap.get("viridis").getLookupTable(nPts=256)
        self.heatmap_image.setImage(np.nan_to_num(loss.T, nan=hi), levels=(lo, hi), lut=lut)
        self.heatmap_image.setRect(QRectF(-0.5, -0.5, cols, rows))
        for item in self._heat_labels:
            self.heatmap_plot.removeItem(item)
        self._heat_labels = []
        for i in range(rows):
            for j in range(cols):
                v = loss[i, j]
                dark = not np.isfinite(v) or (v - lo) / (hi - lo) < 0.6
                item = pg.TextItem(
                    "—" if not np.isfinite(v) else f"{v:.3g}", color="w" if dark else "k", anchor=(0.5, 0.5)
                )
                item.setPos(j, i)
                self.heatmap_plot.addItem(item)
                self._heat_labels.append(item)
        axes = outcome.axes
        first = axes[0]
        if len(axes) == 1:
            bottom = [(j, first.label(v)) for j, v in enumerate(first.values)]
            left = [(0, "")]
            self.heatmap_plot.setLabel("bottom", SETTING_NAMES[first.name])
            self.heatmap_plot.setLabel("left", "")
        else:
            second = axes[1]
            bottom = [(j, second.label(v)) for j, v in enumerate(second.values)]
            left = [(i, first.label(v)) for i, v in enumerate(first.values)]
            self.heatmap_plot.setLabel("bottom", SETTING_NAMES[second.name])
            self.heatmap_plot.setLabel("left", SETTING_NAMES[first.name])
        self.heatmap_plot.getAxis("bottom").setTicks([bottom])
        self.heatmap_plot.getAxis("left").setTicks([left])
        self.heatmap_plot.setRange(xRange=(-0.5, cols - 0.5), yRange=(-0.5, rows - 0.5), padding=0)


def _same_data(a, b) -> bool:
    return a.classes == b.classes and a.X.shape == b.X.shape and np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)


def _header(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("color: #555; font-weight: bold;")
    return label


def _title(cell: SweepCell, axes) -> str:
    r = cell.report
    loss = "—" if r["train_loss"] is None else f"{r['train_loss']:.3g}"
    if r["test_accuracy"] is not None:
        acc = f"test {r['test_accuracy']:.0%}"
    else:
        acc = "train " + ("—" if r["train_accuracy"] is None else f"{r['train_accuracy']:.0%}")
    mark = " ✕" if r["stopped_because"] == "diverged" else ""
    return f"loss {loss} · {acc}{mark}"


def _settings_text(outcome: SweepOutcome, cell: SweepCell) -> str:
    return ", ".join(f"{SETTING_NAMES[a.name].lower()} {a.label(cell.settings[a.name])}" for a in outcome.axes)


def _thumbnail(rgba: np.ndarray, outcome: SweepOutcome, colors) -> QPixmap:
    """The cell's probabilities (row 0 at the bottom) with the training data drawn on top."""
    h, w = rgba.shape[:2]
    flipped = np.ascontiguousarray(rgba[::-1])
    image = QImage(flipped.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
    pixmap = QPixmap.fromImage(image).scaled(
        THUMB, THUMB, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    ds = outcome.dataset
    if ds.n_features < 2:
        return pixmap
    (x0, x1), (y0, y1) = outcome.xlim, outcome.ylim
    i, j = outcome.columns
    px = (ds.X[:, i] - x0) / (x1 - x0) * THUMB
    py = (1.0 - (ds.X[:, j] - y0) / (y1 - y0)) * THUMB
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(40, 40, 40, 160))
    for k, color in enumerate(colors):
        painter.setBrush(color)
        for x, y in zip(px[ds.y == k], py[ds.y == k]):
            painter.drawEllipse(QPointF(x, y), 1.8, 1.8)
    painter.end()
    return pixmap
