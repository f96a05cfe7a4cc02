"""The Evaluation panel's three plots: ROC, precision–recall and the reliability diagram.

Every item is made once (:class:`CurvePlots`); a new frame only swaps data into them. Binary runs
draw the training split solid and the test split dashed, each with its operating point at the
threshold; softmax runs draw one curve per class (one-vs-rest) for the chosen split.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from lab_app.widgets import palette
from lab_app.widgets.plots import TEXT_PEN, make_plot

__all__ = ["CurvePlots"]

_SPLIT_STYLE = {"train": Qt.PenStyle.SolidLine, "test": Qt.PenStyle.DashLine}
_SPLIT_NAME = {"train": "training", "test": "test"}
#: Points drawn per curve, at most (the scores come from every point; see :func:`_thin`).
MAX_DRAWN = 2000
_MARK_COLORS = ("#E69F00", "#56B4E9")  # Okabe–Ito orange (training) and sky blue (test) operating points


class CurvePlots:
    """ROC (``roc``), precision–recall (``pr``) and reliability (``cal``) plots.

    Attributes
    ----------
    widgets : the three ``PlotWidget`` (objectNames ``evaluationRoc``, ``evaluationPr``, ``evaluationReliability``).
    curves : {plot: [PlotDataItem] * MAX_CLASSES}: per split (binary: items 0 = training, 1 = test)
        or per class (softmax).
    points : {plot: [training, test] ScatterPlotItem}: the operating points at the threshold (ROC
        and PR; binary only).
    """

    def __init__(self):
        self.widgets, self.items, self.curves, self.legends = {}, {}, {}, {}
        for key, name, title, xlabel, ylabel in (
            ("roc", "evaluationRoc", "ROC", "false-positive rate", "true-positive rate"),
            ("pr", "evaluationPr", "Precision–recall", "recall", "precision"),
            ("cal", "evaluationReliability", "Reliability", "mean predicted P", "share positive"),
        ):
            widget, item = make_plot(name, min_size=(90, 100), grid=0.15)
            item.setTitle(title, color=TEXT_PEN, size="9pt")
            item.setLabel("bottom", xlabel)
            item.setLabel("left", ylabel)
            item.setRange(xRange=(0, 1), yRange=(0, 1.02), padding=0.02)
            item.getViewBox().setMouseEnabled(x=False, y=False)
            # Corners the curves leave free: bottom right (ROC, reliability), bottom left (PR).
            offset = {"roc": (-6, -6), "pr": (6, -6), "cal": (-6, -6)}[key]
            legend = item.addLegend(offset=offset, labelTextSize="8pt", labelTextColor=TEXT_PEN)
            legend.setBrush(pg.mkBrush(255, 255, 255, 215))
            self.legends[key] = legend
            self.widgets[key], self.items[key] = widget, item
            if key != "pr":  # chance (ROC) and perfect calibration: the diagonal
                diag = pg.PlotDataItem([0, 1], [0, 1], pen=pg.mkPen("#aaaaaa", width=1, style=Qt.PenStyle.DotLine))
                item.addItem(diag)
            curves = []
            for _ in range(palette.MAX_CLASSES):
                curve = pg.PlotDataItem(antialias=True)
                item.addItem(curve)
                curves.append(curve)
            self.curves[key] = curves
        self.points = {}  # {plot: [training, test] ScatterPlotItem}
        for key in ("roc", "pr"):
            self.points[key] = []
            for color in _MARK_COLORS:
                scatter = pg.ScatterPlotItem(size=11, pen=pg.mkPen(palette.INK, width=1.5), brush=pg.mkBrush(color))
                scatter.setZValue(10)
                self.items[key].addItem(scatter)
                self.points[key].append(scatter)

    def clear(self) -> None:
        for key, curves in self.curves.items():
            for curve in curves:
                curve.setData([], [])
            self.legends[key].clear()
        for scatters in self.points.values():
            for scatter in scatters:
                scatter.setData([], [])

    def draw_binary(self, evaluations: dict) -> None:
        """``evaluations`` {"train" | "test": Evaluation} (a split without points is absent)."""
        for key in self.curves:
            self.legends[key].clear()
            for j, split in enumerate(("train", "test")):
                curve = self.curves[key][j]
                e = evaluations.get(split)
                if e is None:
                    curve.setData([], [])
                    continue
                pen = pg.mkPen(palette.INK if split == "train" else "#0072B2", width=2, style=_SPLIT_STYLE[split])
                curve.setPen(pen)
                if key == "cal":
                    c = e.calibration[0]
                    curve.setData(c.prob_pred, c.prob_true, symbol="o", symbolSize=5, symbolBrush=pen.color())
                    label = f"{_SPLIT_NAME[split]}  Brier {_num(e.brier)}"
                else:
                    c = (e.roc if key == "roc" else e.pr)[0]
                    curve.setData(*_thin(c.x, c.y), symbol=None)
                    label = f"{_SPLIT_NAME[split]}  {'AUC' if key == 'roc' else 'AP'} {_num(c.score)}"
                self.legends[key].addItem(curve, label)
            if key == "roc":
                for j, split in enumerate(("train", "test")):
                    if split in evaluations:
                        self.legends[key].addItem(self.points[key][j], f"{_SPLIT_NAME[split]} at t")
            for curve in self.curves[key][2:]:
                curve.setData([], [])
        self.mark(evaluations)

    def mark(self, reports: dict) -> None:
        """Operating points of {"train" | "test": ThresholdReport or Evaluation} on ROC and PR."""
        for j, split in enumerate(("train", "test")):
            r = reports.get(split)
            r = getattr(r, "report", r)
            roc_mark, pr_mark = self.points["roc"][j], self.points["pr"][j]
            if r is None:
                roc_mark.setData([], [])
                pr_mark.setData([], [])
                continue
            roc_mark.setData(*(([r.fpr], [r.recall]) if math.isfinite(r.fpr) else ([], [])))
            # Precision needs a predicted positive, recall a true one.
            defined = r.confusion[:, 1].sum() and r.confusion[1].sum()
            pr_mark.setData(*(([r.recall], [r.precision]) if defined else ([], [])))

    def draw_classes(self, e, names: list, colors: list) -> None:
        """One-vs-rest curves of each class of ``e`` (Evaluation, or None) in its colour."""
        for scatters in self.points.values():
            for scatter in scatters:
                scatter.setData([], [])
        for key, curves in self.curves.items():
            self.legends[key].clear()
            for j, curve in enumerate(curves):
                if e is None or j >= e.n_classes:
                    curve.setData([], [])
                    continue
                pen = pg.mkPen(palette.outline(colors[j]), width=2)
                curve.setPen(pen)
                if key == "cal":
                    c = e.calibration[j]
                    curve.setData(c.prob_pred, c.prob_true, symbol="o", symbolSize=5, symbolBrush=pen.color())
                    label = f"{names[j]}"
                else:
                    c = (e.roc if key == "roc" else e.pr)[j]
                    curve.setData(*_thin(c.x, c.y), symbol=None)
                    label = f"{names[j]}  {'AUC' if key == 'roc' else 'AP'} {_num(c.score)}"
                self.legends[key].addItem(curve, label)
            if key == "cal" and e is not None:
                self.items[key].setTitle(f"Reliability · Brier {_num(e.brier)}", color=TEXT_PEN, size="9pt")

    def set_reliability_title(self, text: str) -> None:
        self.items["cal"].setTitle(text, color=TEXT_PEN, size="9pt")


def _thin(x: np.ndarray, y: np.ndarray, at_most: int = MAX_DRAWN):
    """At most ``at_most`` evenly spaced points of a curve (first and last kept): a curve has a
    point per distinct score, and drawing a million of them costs the GUI thread seconds."""
    if len(x) <= at_most:
        return x, y
    idx = np.unique(np.linspace(0, len(x) - 1, at_most).round().astype(np.int64))
    return x[idx], y[idx]


def _num(v: float) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:.3f}"
