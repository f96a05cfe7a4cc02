"""The data drawn over the boundary: where each point sits, its fill (training or test), the
misclassified rings and the sizes by loss.

Every per-point array holds all rows, but the scatter items draw at most
:data:`~lab_app.widgets.point_sample.POINT_BUDGET` of them (:func:`~lab_app.widgets.point_sample.drawn_rows`:
all of small data; of big data a fixed share, which stays put while the weights change), and the
rings mark the misclassified points, drawn or not (of big data at most
:data:`~lab_app.widgets.point_sample.SAMPLE_SIZE` of them). Which points the weights misclassify comes from the training thread's logits when a snapshot
brings them; otherwise small data are evaluated here and big data in a background task, so the GUI
thread never runs the model over every point.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from engine.evaluation import threshold_predictions
from engine.forensics import loss_sizes, losses_from_logits
from engine.metrics import predictions
from lab_app.document.snapshot import column_pair
from lab_app.training.point_logits import PointLogits
from lab_app.widgets import palette
from lab_app.widgets.point_sample import POINT_BUDGET, capped, drawn_rows, nearest_row
from lab_app.widgets.styled_scatter import StyledScatter, class_codes, class_styles

__all__ = ["POINT_PX", "RING_PX", "PointLayer"]

POINT_PX = 9
RING_PX = POINT_PX + 7  # the misclassified ring around a point


class PointLayer:
    """One run's points (one scatter item per style) and rings, and every per-point array they are drawn from.

    :meth:`set_data` rebuilds all per-point arrays together, so they always share one length
    (``len(layer)``): ``X`` (n, n_inputs) raw inputs, ``y`` (n,) class codes, ``xy`` (n, 2) drawn
    positions, ``test_mask`` and ``miss_mask`` (n,) bool. ``drawn`` (m,) are the rows the points
    item shows, in its order (all rows up to the budget); ``ringed`` (r,) the rows the rings show.

    Attributes
    ----------
    points_item : a :class:`~lab_app.widgets.styled_scatter.StyledScatter`, filled = training, hollow = test
        (one item per class and fill: a restyle costs a few ms per 10,000 points, not ~40; the
        styles, not the rows, set which point is drawn over which). miss_item : rings around
        misclassified points.
    dataset : the ``engine.data.Dataset`` drawn (point probabilities from the training thread fit only it).

    Parameters
    ----------
    runner : a ``lab_app.tasks.TaskRunner`` for judging big data (forward pass, predictions); its results go to
        :meth:`take_judged`.
    """

    def __init__(self, runner):
        self.points_item = StyledScatter(POINT_PX, antialias=True)
        self.miss_item = pg.ScatterPlotItem(
            size=RING_PX, symbol="o", brush=None, pen=pg.mkPen(palette.INK, width=1.8), antialias=True
        )
        self._runner = runner
        self.dataset = None
        self.X = np.zeros((0, 2))
        self.y = np.zeros(0, dtype=np.int64)
        self.xy = np.zeros((0, 2))
        self.test_mask = np.zeros(0, dtype=bool)
        self.miss_mask = np.zeros(0, dtype=bool)
        self.drawn = np.zeros(0, dtype=np.int64)
        self.ringed = np.zeros(0, dtype=np.int64)
        self.test_shown = True  # False: the test split's points (and their rings) are hidden
        self._rings_hidden = False  # the ring item has hidden spots now
        self._colors = ()
        self._logits: np.ndarray | None = None  # (n, n_outputs) of the last ringed weights
        self._n_classes = 2
        self._model = None
        self._evaluator = PointLogits()  # small data, this thread
        self._pending = None  # the dataset a background judgement (see judge) is of, while it runs
        self._background = PointLogits()  # called by the runner's tasks only (they take turns)

    def __len__(self) -> int:
        return len(self.y)

    @property
    def big(self) -> bool:
        """More points than one view draws: the model is evaluated over them in the background."""
        return len(self.y) > POINT_BUDGET

    def set_data(self, model, dataset, test_idx, columns, one_d: bool, colors) -> None:
        """Draw ``dataset``'s points for ``model`` (an ``engine.model.Model``): ``test_idx`` rows
        hollow, the view pair ``columns`` as x and y (1-D: x and the class level), ``colors`` one
        QColor per class. The rings wait for :meth:`update_misclassified`."""
        self.dataset = dataset
        self.X = np.asarray(dataset.X, dtype=np.float64)
        self.y = np.asarray(dataset.y, dtype=np.int64)
        n = len(self.y)
        self.test_mask = np.zeros(n, dtype=bool)
        if test_idx is not None and len(test_idx) and int(np.max(test_idx)) < n:
            self.test_mask[np.asarray(test_idx, dtype=np.int64)] = True
        self.miss_mask = np.zeros(n, dtype=bool)
        self.ringed = np.zeros(0, dtype=np.int64)
        self._logits = self._pending = None
        self._runner.cancel(quiet=True)  # a pass over the old points must not ring these
        self.miss_item.setData([], [])
        self._rings_hidden = False
        self._model = model  # None: points drawn before any run (no rings, losses or sizes)
        self._n_classes = model.network.n_classes if model is not None else dataset.n_classes
        self.drawn = drawn_rows(n)
        self.place(columns, one_d)
        self.style(colors)

    @property
    def judged(self) -> bool:
        """True when the points are drawn for a model (rings, losses); False when drawn plainly."""
        return self._model is not None

    def fits(self, dataset, proba: np.ndarray) -> bool:
        """True if class probabilities ``proba`` (n, k), computed for ``dataset``, are of these points."""
        return dataset is self.dataset and proba.shape == (len(self.y), self._n_classes)

    def place(self, columns, one_d: bool) -> None:
        """Where the points are drawn: the view pair's columns, or (x, class level) for 1-D data."""
        i, j = columns
        if one_d or i == j:
            self.xy = np.column_stack([self.X[:, i], self.y / max(self._n_classes - 1, 1) if one_d else self.X[:, j]])
        else:  # a view (O(1)): a new run on a million points builds no (n, 2) array here
            self.xy = column_pair(self.X, i, j)

    def style(self, colors=None) -> None:
        """Fill and outline each drawn point in its class colour (``colors``, one QColor per class;
        default the last ones); test points hollow."""
        if colors is not None:
            self._colors = tuple(colors)
        colors = self._colors
        styles = class_styles(
            [pg.mkBrush(c) for c in colors],
            [pg.mkPen(palette.outline(c), width=1) for c in colors],
            [pg.mkPen(c.darker(125), width=2.2) for c in colors],
        )
        rows = self.drawn
        test = self.test_mask[rows]
        xy = self.xy[rows]
        self.points_item.set(xy[:, 0], xy[:, 1], class_codes(self.y[rows], test), styles)
        self._apply_visibility()

    def draw_rings(self) -> None:
        """Ring the points of :attr:`miss_mask` where they are drawn now (at most the budget of them)."""
        self.ringed = capped(np.flatnonzero(self.miss_mask), len(self.y))
        self._rings_hidden = False  # setData shows every spot again
        self.miss_item.setData(x=self.xy[self.ringed, 0], y=self.xy[self.ringed, 1])
        self._apply_visibility()

    def show_test(self, on: bool) -> None:
        """Draw the test split's points (hollow) with the others, or hide them and their rings."""
        self.test_shown = bool(on)
        self._apply_visibility()

    @property
    def visible_mask(self) -> np.ndarray:
        """(n,) bool: the points shown (all but the test split's while it is hidden)."""
        return np.ones(len(self.y), dtype=bool) if self.test_shown else ~self.test_mask

    def _apply_visibility(self) -> None:
        """Hide the drawn test points and their rings while the test split is hidden. The ring item
        is touched only while something is or was hidden (setting every spot's visibility costs as
        much as drawing it); the points' group touches only the items whose visibility changes."""
        hide = not self.test_shown and bool(self.test_mask.any())
        self.points_item.set_shown(~self.test_mask[self.drawn] if hide else None)
        item, rows = self.miss_item, self.ringed
        if len(item.data) != len(rows) or not (hide or self._rings_hidden):
            return
        item.setPointsVisible(~self.test_mask[rows] if hide else np.ones(len(rows), dtype=bool))
        self._rings_hidden = hide

    def update_misclassified(self, params, proba=None, logits=None, threshold: float = 0.5) -> None:
        """Ring the points ``params`` misclassify: binary, on the other side of P(class 1) =
        ``threshold`` (the drawn contour); else not of the most probable class. ``logits`` (n,
        n_outputs) or ``proba`` (n, k), when given, were already computed (in the training thread).
        Big data are judged in the background (the forward pass if needed, the predictions and
        the comparison: each O(n)) and ringed when that is done."""
        self._logits = self._pending = None
        if len(self.y) == 0 or self._model is None:  # no points, or points the model on show cannot judge
            self.miss_mask = np.zeros(0, dtype=bool)
            self.miss_item.setData([], [])
            return
        if self.big:
            self._judge_in_background(np.array(params), logits, proba, threshold)
            return
        self._runner.cancel(quiet=True)
        if logits is None and proba is not None and (threshold == 0.5 or proba.shape[1] > 2):
            self._set_miss(np.argmax(proba, axis=1) != self.y)
            return
        logits = logits if logits is not None else self._evaluator(self._model, self.X, params)
        self._logits = logits  # kept: a new threshold for the same weights needs no forward pass
        self._set_miss(misclassified(logits, None, self.y, threshold))

    def take_judged(self, result) -> None:
        """A background judgement (:func:`judge`'s ``(logits, miss)``) is done: ring its points,
        unless the points changed meanwhile."""
        logits, miss = result
        pending, self._pending = self._pending, None
        if self._model is None or pending is None or pending is not self.dataset or len(miss) != len(self.y):
            return
        self._logits = logits  # kept: a new threshold for the same weights needs no forward pass
        self._set_miss(miss)

    def rethreshold(self, params, threshold: float) -> None:
        """Ring the points on the wrong side of P(class 1) = ``threshold`` under ``params``, the
        weights last given to :meth:`update_misclassified` (their logits are reused when kept)."""
        logits = self._logits
        if logits is not None and len(logits) == len(self.y):
            if logits.shape[1] == 1:
                if self.big:
                    self._judge_in_background(np.array(params), logits, None, threshold)
                else:
                    self._set_miss(misclassified(logits, None, self.y, threshold))
            return
        self.update_misclassified(params, threshold=threshold)

    def _judge_in_background(self, params, logits, proba, threshold) -> None:
        self._pending = self.dataset
        self._runner.start(judge, self._background, self._model, self.X, params, logits, proba, self.y, threshold)

    def _set_miss(self, miss: np.ndarray) -> None:
        if np.array_equal(miss, self.miss_mask):
            return
        self.miss_mask = miss
        self.draw_rings()

    def losses(self, params, rows=None) -> np.ndarray:
        """Loss −log P(true class) under ``params`` (the weights on show) of the points ``rows``
        (default all, (n,)): from the kept logits when there are some, else by a forward pass here
        (of big data, the view asks only for the drawn rows)."""
        rows = slice(None) if rows is None else rows
        if self._model is None:
            return np.zeros(len(self.y[rows]))
        if self._logits is not None and len(self._logits) == len(self.y):
            z = self._logits[rows]
        elif not self.big:
            z = self._evaluator(self._model, self.X, params)[rows]
        else:
            z = PointLogits()(self._model, self.X[rows], params)
        return _losses(z, self.y[rows])

    def set_sizes(self, loss: np.ndarray | None) -> None:
        """Size the drawn points (and their rings) by ``loss`` (one per drawn row, :attr:`drawn`),
        or all alike when None."""
        if loss is None:  # per-point sizes stay until replaced, so set them all (a scalar would not)
            self.points_item.set_sizes(None)
            self.miss_item.setSize(np.full(len(self.ringed), float(RING_PX)))
            return
        sizes = loss_sizes(loss)
        self.points_item.set_sizes(sizes)
        at = np.searchsorted(self.drawn, self.ringed)
        ring_sizes = np.full(len(self.ringed), float(POINT_PX))
        inside = (at < len(self.drawn)) & (self.drawn[np.minimum(at, len(self.drawn) - 1)] == self.ringed)
        ring_sizes[inside] = sizes[at[inside]]
        self.miss_item.setSize(ring_sizes + (RING_PX - POINT_PX))

    def size_of(self, i: int) -> float:
        """Point ``i``'s marker diameter in pixels as drawn (the default size if it is not drawn)."""
        at = int(np.searchsorted(self.drawn, i))
        drawn = at < len(self.drawn) and self.drawn[at] == i and at < len(self.points_item)
        return self.points_item.size_at(at) if drawn else float(POINT_PX)

    def nearest(self, x: float, y: float, pixel: tuple[float, float], max_px: float) -> int | None:
        """The point nearest to (x, y) within ``max_px`` screen pixels (``pixel`` = data units per
        pixel along x and y), drawn or not, hidden test points excepted; else None."""
        hidden = None if self.test_shown else self.test_mask
        return nearest_row(self.xy[:, 0], self.xy[:, 1], x, y, pixel, max_px, hidden)


def _losses(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return losses_from_logits(logits, y)


def misclassified(logits, proba, y: np.ndarray, threshold: float) -> np.ndarray:
    """(n,) bool: the points of class codes ``y`` that ``logits`` (n, n_outputs) misclassify at
    ``threshold`` (binary), or, without logits, that ``proba`` (n, k) does (most probable class)."""
    if logits is None:
        return np.argmax(proba, axis=1) != y
    return (threshold_predictions(logits, threshold) if logits.shape[1] == 1 else predictions(logits)) != y


def judge(evaluate, model, X, params, logits, proba, y, threshold, **_task) -> tuple:
    """``(logits, miss)`` for a background task: ``logits`` given or computed with ``evaluate``
    (a :class:`~lab_app.training.point_logits.PointLogits`), and :func:`misclassified`."""
    needs_logits = proba is None or (proba.shape[1] == 2 and threshold != 0.5)
    if logits is None and needs_logits:
        logits = evaluate(model, X, params)
    return logits, misclassified(logits, proba, y, threshold)
