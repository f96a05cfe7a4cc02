"""Lines drawn over the boundary for other panels: onion skins (history scrubber), the exact optimum
(reference panel), pinned runs' boundaries and, for 1-D data, the p(x) curves with their decision
threshold."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from engine.model import GridEvaluator
from lab_app.panels.boundary.heatmap import curve_lines, decision_lines
from lab_app.widgets import palette
from lab_app.widgets.plots import TEXT_PEN

__all__ = [
    "OneDCurves",
    "OnionSkins",
    "PinnedContours",
    "ReferenceContour",
    "class_change_marks",
    "linear_threshold",
]

_INK_RGB = QColor(palette.INK).getRgb()[:3]


def boundary_of(evaluator: GridEvaluator, params) -> np.ndarray:
    """(m, 2) NaN-separated decision boundary of ``params`` on ``evaluator``'s grid (1-D: its p(x) curves)."""
    with np.errstate(over="ignore", invalid="ignore"):  # a grid far out (1e39): inf logits, no warning
        P = np.asarray(evaluator.evaluate(params), dtype=np.float64)
    if P.ndim == 2:  # (W, k): a 1-D grid
        return curve_lines(evaluator.xs, P)
    return decision_lines(evaluator.xs, np.linspace(*evaluator.ylim, evaluator.shape[0]), P)


class OnionSkins:
    """Faint boundaries of earlier weights (oldest faintest), for the history scrubber."""

    #: Grid of the onion-skin contours: coarser than the image, they are faint hints.
    SHAPE = (120, 120)
    MAX_SKINS = 8

    def __init__(self, plot_item, z: float):
        self._plot, self._z = plot_item, z
        self.params: tuple = ()
        self.items: list = []
        self._cache: dict = {}
        self._evaluator = None
        self._key = None

    def set_params(self, params_list) -> None:
        """Keep the newest :attr:`MAX_SKINS` of ``params_list`` (oldest first) to draw."""
        self.params = tuple(np.asarray(p) for p in list(params_list)[-self.MAX_SKINS :])

    def draw(self, model, grid: GridEvaluator | None, fixed, n_params: int | None) -> None:
        """Draw :attr:`params` that fit ``model`` (``n_params`` weights) over ``grid``'s extent and
        columns; ``grid`` None (no image yet) draws none."""
        params = [p for p in self.params if p.shape == (n_params,)] if grid is not None else []
        while len(self.items) < len(params):
            item = pg.PlotDataItem(connect="finite", antialias=True)
            item.setZValue(self._z)
            self._plot.addItem(item, ignoreBounds=True)
            self.items.append(item)
        if params:
            key = (id(model), grid.xlim, grid.ylim, grid.columns)
            if key != self._key:
                self._evaluator = GridEvaluator(
                    model, grid.xlim, grid.ylim, shape=self.SHAPE, fixed=fixed, columns=grid.columns
                )
                self._key, self._cache = key, {}
        n = len(params)
        for i, item in enumerate(self.items):
            if i >= n:
                item.setData([], [])
                item.hide()
                continue
            p = params[i]
            cache_key = p.tobytes()
            xy = self._cache.get(cache_key)
            if xy is None:
                if len(self._cache) > 64:
                    self._cache.clear()
                xy = self._cache[cache_key] = boundary_of(self._evaluator, p)
            alpha = int(round(45 + 125 * (i + 1) / n))  # oldest faintest
            item.setPen(pg.mkPen(QColor(*_INK_RGB, alpha), width=1.4))
            item.setData(xy[:, 0], xy[:, 1])
            item.show()


class ReferenceContour:
    """The exact optimum's boundary (softmax: class boundaries; 1-D: its p(x) curves), for the reference panel."""

    #: Dashed, grey: drawn over the learner's solid contour, it stays visible where the two meet.
    PEN = ("#5a5a5a", 2.4)

    def __init__(self, plot_item, z: float, pen: tuple[str, float] | None = None):
        color, width = pen or self.PEN
        pen = pg.mkPen(color, width=width, style=Qt.PenStyle.DashLine)
        self.item = pg.PlotDataItem(pen=pen, connect="finite", antialias=True)
        self.item.setZValue(z)
        plot_item.addItem(self.item, ignoreBounds=True)
        self.sample = pg.PlotDataItem(pen=pen)  # its key in the legend
        self.shown = False
        self._reference = None
        self._evaluator = None
        self._key = None

    def set(self, model, params) -> None:
        """The optimum ``params`` (n_params,) of ``model``'s run (its standardized space); None: none."""
        self._reference = None if params is None or model is None else (model, np.array(params, model.network.dtype))

    def fits(self, model) -> bool:
        """True if there is an optimum and it belongs to ``model``'s run (not an older one)."""
        return self._reference is not None and self._reference[0] is model

    def draw(self, xlim, ylim, shape, fixed, columns) -> None:
        """Draw the optimum on a ``shape`` grid over ``xlim`` × ``ylim`` (call when :meth:`fits`)."""
        model, params = self._reference
        key = (id(model), tuple(xlim), tuple(ylim), shape, columns)
        if key != self._key:
            self._evaluator = GridEvaluator(model, xlim, ylim, shape=shape, fixed=fixed, columns=columns)
            self._key = key
        xy = boundary_of(self._evaluator, params)
        self.item.setData(xy[:, 0], xy[:, 1])
        self.item.show()
        self.shown = True

    def clear(self) -> None:
        self.item.setData([], [])
        self.item.hide()
        self.shown = False


class PinnedContours:
    """Pinned runs' boundaries (``lab_app.training.pinned.PinnedRun``), each dashed in its slot's
    colour: a :class:`ReferenceContour` of the pinned model and its final weights."""

    WIDTH = 2.0

    def __init__(self, plot_item, z: float):
        self._plot, self._z = plot_item, z
        self.runs: tuple = ()
        self.contours: list[ReferenceContour] = []
        self.shown = True
        #: The key "pinned" in the legend: a dashed line in the first pinned run's colour.
        self.sample = pg.PlotDataItem(pen=pg.mkPen(palette.pin_color(0), width=self.WIDTH, style=Qt.PenStyle.DashLine))

    def set_runs(self, runs) -> None:
        """Draw these pinned runs from now on (call :meth:`draw` afterwards)."""
        for contour in self.contours:
            self._plot.removeItem(contour.item)
        self.runs = tuple(runs)
        self.contours = [
            ReferenceContour(self._plot, self._z, pen=(palette.pin_color(run.slot), self.WIDTH)) for run in self.runs
        ]
        for contour, run in zip(self.contours, self.runs):
            contour.set(run.model, run.model.network.params)
        if self.runs:
            color = palette.pin_color(self.runs[0].slot)
            self.sample.setPen(pg.mkPen(color, width=self.WIDTH, style=Qt.PenStyle.DashLine))

    def draw(self, model, xlim, ylim, shape, fixed, columns) -> None:
        """Draw each pinned run whose model takes the same inputs and classes as ``model`` (the run
        on show) over its grid; the others, and all while not :attr:`shown`, are hidden."""
        for contour, run in zip(self.contours, self.runs):
            fits = model is not None and run.model.n_inputs == model.n_inputs and run.model.classes == model.classes
            if self.shown and fits:
                contour.draw(xlim, ylim, shape, fixed, columns)
            else:
                contour.clear()

    def clear(self) -> None:
        for contour in self.contours:
            contour.clear()

    @property
    def any_drawn(self) -> bool:
        return any(contour.shown for contour in self.contours)


class OneDCurves:
    """1-D runs: p(x) curves (binary: P of the positive class in ink; else one per class) and the
    dashed decision threshold x = −b/w with its "x = …" label."""

    def __init__(self, plot_item, z: float):
        self.curve_items = [pg.PlotDataItem(antialias=True) for _ in range(palette.MAX_CLASSES)]
        self.threshold_line = pg.InfiniteLine(
            angle=90,
            movable=False,
            pen=pg.mkPen(palette.INK, width=1.5, style=Qt.PenStyle.DashLine),
            label="x = {value:.3g}",
            labelOpts={"position": 0.88, "color": TEXT_PEN, "fill": pg.mkBrush(255, 255, 255, 210)},
        )
        self.threshold: float | None = None
        for dz, it in enumerate([*self.curve_items, self.threshold_line]):
            it.setZValue(z + dz)
            plot_item.addItem(it, ignoreBounds=True)
            it.hide()

    @property
    def z_top(self) -> float:
        """The z value of the topmost item (the threshold line)."""
        return self.threshold_line.zValue()

    def hide(self) -> None:
        """Draw nothing (a 2-D run): no curve, no threshold line and no "x = …" label."""
        for it in [*self.curve_items, self.threshold_line]:
            it.hide()
        self.threshold = None

    def draw(self, xs: np.ndarray, probs: np.ndarray, colors, threshold: float | None) -> None:
        """Curves of ``probs`` (W, k) over ``xs`` (W,); ``colors`` one QColor per class (k > 2);
        ``threshold`` the x to mark, or None."""
        k = probs.shape[1]
        curves = (
            [(probs[:, 1], palette.INK)] if k == 2 else [(probs[:, j], palette.outline(colors[j])) for j in range(k)]
        )
        for j, curve in enumerate(self.curve_items):
            if j < len(curves):
                ys, color = curves[j]
                curve.setPen(pg.mkPen(color, width=2.5))
                curve.setData(xs, ys)
                curve.show()
            else:
                curve.hide()
        self.threshold = threshold
        if threshold is None:
            self.threshold_line.hide()
            return
        self.threshold_line.show()
        self.threshold_line.setValue(threshold)
        self.threshold_line.label.valueChanged()  # the label only reformats itself while visible


def linear_threshold(model, params, level: float = 0.5) -> float | None:
    """The x where P(class 1) = ``level`` of a binary linear ``model`` on its raw input with weights
    ``params`` (x = −b/w at ½), else None."""
    if not (model.network.n_classes == 2 and model.is_linear and model.feature_names == list(model.input_names)):
        return None
    model.network.params[...] = params
    coef, intercept = model.coef_intercept()
    logit = 0.0 if level == 0.5 else math.log(level / (1.0 - level))
    return float((logit - intercept[0]) / coef[0, 0]) if coef[0, 0] != 0 else None


def class_change_marks(xs: np.ndarray, probs: np.ndarray, y_range, level: float = 0.5) -> np.ndarray:
    """(m, 2) NaN-separated vertical marks (over ``y_range``) where the predicted class of ``probs``
    (W, k) changes along ``xs`` (W,), halfway between grid points: for two classes where P(class 1)
    crosses ``level``, else where the top class changes."""
    top = probs[:, 1] > level if probs.shape[1] == 2 else np.argmax(probs, axis=1)
    change = np.flatnonzero(top[1:] != top[:-1])
    xm = 0.5 * (xs[change] + xs[change + 1])
    y0, y1 = y_range
    seg = np.column_stack([xm, np.full_like(xm, y0), xm, np.full_like(xm, y1), xm, np.full_like(xm, np.nan)])
    return np.column_stack([seg[:, 0::2].ravel(), seg[:, 1::2].ravel()])
