"""The Lessons dock's From scratch box: pick an update (correct or with a classic bug), run it,
and see its 0.5 boundary and its loss beside the correct update's, with the gradient check.

A view only: "Run update" is announced as a signal; the window's lesson runner computes
(:mod:`engine.scratch`) and hands the results back through :meth:`ScratchBox.show_result`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from engine.scratch import BUGS
from lab_app.widgets.plots import make_plot

__all__ = ["ScratchBox"]

CORRECT_PEN = pg.mkPen("#222222", width=2)
BUGGY_PEN = pg.mkPen("#d62728", width=2, style=pg.QtCore.Qt.PenStyle.DashLine)


class ScratchBox(QGroupBox):
    """Bug chooser, Run button, the two boundaries over the points, the two loss curves.

    Signals
    -------
    runRequested(str) : "Run update" with the chosen key of :data:`engine.scratch.BUGS`.
    """

    runRequested = Signal(str)

    def __init__(self, parent=None):
        super().__init__("From scratch: batch gradient descent", parent)
        self.setObjectName("scratchBox")
        self.bugs = QComboBox(objectName="scratchBug")
        for key, label in BUGS.items():
            self.bugs.addItem(label, key)
        self.bugs.setToolTip("The update to run: the correct one, or one with a classic bug")
        self.run_button = QPushButton("Run update", objectName="scratchRun")
        self.run_button.clicked.connect(lambda: self.runRequested.emit(self.bug))
        top = QHBoxLayout()
        top.addWidget(self.bugs, 1)
        top.addWidget(self.run_button)
        self.boundary_widget, self.boundary = make_plot("scratchBoundary", min_size=(160, 150))
        self.loss_widget, self.loss = make_plot("scratchLoss", min_size=(160, 150), grid=0.3)
        self.loss.setLogMode(y=True)
        self.loss.setLabel("bottom", "epoch")
        self.loss.addLegend(offset=(-5, 5), labelTextColor="#333333", brush=pg.mkBrush(255, 255, 255, 200))
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen("#333333", width=0.5))
        self.boundary.addItem(self.points)
        self.correct_line = self.boundary.plot(pen=CORRECT_PEN, connect="finite")
        self.buggy_line = self.boundary.plot(pen=BUGGY_PEN, connect="finite")
        self.correct_curve = self.loss.plot(pen=CORRECT_PEN, name="correct")
        self.buggy_curve = self.loss.plot(pen=BUGGY_PEN, name="chosen update")
        plots = QHBoxLayout()
        plots.addWidget(self.boundary_widget)
        plots.addWidget(self.loss_widget)
        self.summary = QLabel(objectName="scratchSummary", wordWrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(plots)
        layout.addWidget(self.summary)

    @property
    def bug(self) -> str:
        return self.bugs.currentData()

    def choose(self, bug: str) -> None:
        self.bugs.setCurrentIndex(self.bugs.findData(bug))

    def show_result(self, X, brushes, grid, proba_correct, proba_buggy, losses_correct, losses_buggy, text) -> None:
        """Draw the points ``X`` (n, 2) with ``brushes``, the 0.5 contours of both updates'
        probabilities on ``grid`` = (xs, ys) (arrays of shape (len(ys), len(xs))), both loss curves."""
        self.points.setData(X[:, 0], X[:, 1], brush=brushes)
        xs, ys = grid
        for line, proba in ((self.correct_line, proba_correct), (self.buggy_line, proba_buggy)):
            line.setData(*_contour(xs, ys, proba))
        for curve, losses in ((self.correct_curve, losses_correct), (self.buggy_curve, losses_buggy)):
            finite = np.isfinite(losses) & (losses > 0)
            curve.setData(np.arange(len(losses))[finite], losses[finite])
        self.boundary.setRange(xRange=(xs[0], xs[-1]), yRange=(ys[0], ys[-1]), padding=0)
        self.summary.setText(text)


def _contour(xs: np.ndarray, ys: np.ndarray, proba: np.ndarray):
    """The P = 0.5 line(s) of ``proba`` (len(ys), len(xs)) in data coordinates, segments split by NaN."""
    proba = np.nan_to_num(proba, nan=0.5)
    segments = pg.functions.isocurve(proba.T, 0.5, connected=True)
    out_x, out_y = [], []
    for seg in segments:
        seg = np.asarray(seg, dtype=float)
        out_x.extend(np.interp(seg[:, 0], np.arange(len(xs)), xs))
        out_y.extend(np.interp(seg[:, 1], np.arange(len(ys)), ys))
        out_x.append(np.nan)
        out_y.append(np.nan)
    return np.asarray(out_x), np.asarray(out_y)
