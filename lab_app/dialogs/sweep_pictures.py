"""The pictures of a sweep (:mod:`lab_app.dialogs.sweep`): each cell's boundary thumbnail and title,
and the heatmap of the final losses."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel

from engine.sweep import SweepCell
from lab_app.dialogs.sweep_task import SweepOutcome
from lab_app.widgets.plots import TEXT_PEN, make_plot

__all__ = ["SETTING_NAMES", "THUMB", "LossHeatmap", "cell_title", "header", "settings_text", "thumbnail"]

#: The settings offered, in the order of the menus, with their names as users read them.
SETTING_NAMES = {
    "lr": "Learning rate",
    "batch_size": "Batch size",
    "l2": "L2",
    "hidden": "Hidden layers",
    "optimizer": "Optimizer",
}
#: Pixels of each cell's picture.
THUMB = 110


class LossHeatmap:
    """The final training loss over the grid: rows the first setting, columns the second.

    Parameters
    ----------
    on_click : called with (row, column) when a square is clicked with the left button.
    """

    def __init__(self, on_click):
        self.widget, self.plot = make_plot("sweepHeatmap", min_size=(260, 220))
        self.plot.invertY(True)
        self.plot.setTitle("final training loss", color=TEXT_PEN)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.plot.setMouseEnabled(False, False)
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self._labels: list[pg.TextItem] = []
        self._shape = (0, 0)
        self._on_click = on_click

    def position(self, row: int, column: int):
        """Where square (row, column) is in the widget's viewport."""
        scene = self.plot.getViewBox().mapViewToScene(QPointF(column, row))
        return self.widget.mapFromScene(scene)

    def draw(self, outcome: SweepOutcome) -> None:
        """Show ``outcome``'s final losses, one square per cell, its value written on it."""
        loss = outcome.loss_grid()
        rows, cols = self._shape = loss.shape
        finite = loss[np.isfinite(loss)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if hi <= lo:
            hi = lo + 1e-12
        lut = pg.colormap.get("viridis").getLookupTable(nPts=256)
        self.image.setImage(np.nan_to_num(loss.T, nan=hi), levels=(lo, hi), lut=lut)
        self.image.setRect(QRectF(-0.5, -0.5, cols, rows))
        for item in self._labels:
            self.plot.removeItem(item)
        self._labels = []
        for i in range(rows):
            for j in range(cols):
                v = loss[i, j]
                dark = not np.isfinite(v) or (v - lo) / (hi - lo) < 0.6
                item = pg.TextItem(
                    "—" if not np.isfinite(v) else f"{v:.3g}", color="w" if dark else "k", anchor=(0.5, 0.5)
                )
                item.setPos(j, i)
                self.plot.addItem(item)
                self._labels.append(item)
        axes = outcome.axes
        first = axes[0]
        if len(axes) == 1:
            bottom = [(j, first.label(v)) for j, v in enumerate(first.values)]
            left = [(0, "")]
            self.plot.setLabel("bottom", SETTING_NAMES[first.name])
            self.plot.setLabel("left", "")
        else:
            second = axes[1]
            bottom = [(j, second.label(v)) for j, v in enumerate(second.values)]
            left = [(i, first.label(v)) for i, v in enumerate(first.values)]
            self.plot.setLabel("bottom", SETTING_NAMES[second.name])
            self.plot.setLabel("left", SETTING_NAMES[first.name])
        self.plot.getAxis("bottom").setTicks([bottom])
        self.plot.getAxis("left").setTicks([left])
        self.plot.setRange(xRange=(-0.5, cols - 0.5), yRange=(-0.5, rows - 0.5), padding=0)

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.plot.getViewBox().mapSceneToView(event.scenePos())
        row, column = round(point.y()), round(point.x())
        if 0 <= row < self._shape[0] and 0 <= column < self._shape[1]:
            self._on_click(row, column)


def header(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("color: #555; font-weight: bold;")
    return label


def cell_title(cell: SweepCell, axes) -> str:
    r = cell.report
    loss = "—" if r["train_loss"] is None else f"{r['train_loss']:.3g}"
    if r["test_accuracy"] is not None:
        acc = f"test {r['test_accuracy']:.0%}"
    else:
        acc = "train " + ("—" if r["train_accuracy"] is None else f"{r['train_accuracy']:.0%}")
    mark = " ✕" if r["stopped_because"] == "diverged" else ""
    return f"loss {loss} · {acc}{mark}"


def settings_text(outcome: SweepOutcome, cell: SweepCell) -> str:
    return ", ".join(f"{SETTING_NAMES[a.name].lower()} {a.label(cell.settings[a.name])}" for a in outcome.axes)


def thumbnail(rgba: np.ndarray, outcome: SweepOutcome, colors) -> QPixmap:
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
