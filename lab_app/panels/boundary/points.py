"""The data drawn over the boundary: where each point sits, its fill (training or test), the
misclassified rings and the sizes by loss."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

from engine.evaluation import threshold_predictions
from engine.forensics import loss_sizes, losses_from_logits
from engine.metrics import predictions
from engine.network import Workspace, augment
from lab_app.widgets import palette

__all__ = ["POINT_PX", "RING_PX", "PointLayer"]

POINT_PX = 9
RING_PX = POINT_PX + 7  # the misclassified ring around a point


class PointLayer:
    """One run's points as two scatter items, and every per-point array they are drawn from.

    :meth:`set_data` rebuilds all per-point arrays together, so they always share one length
    (``len(layer)``): ``X`` (n, n_inputs) raw inputs, ``y`` (n,) class codes, ``xy`` (n, 2) drawn
    positions, ``test_mask`` and ``miss_mask`` (n,) bool.

    Attributes
    ----------
    points_item : filled = training, hollow = test. miss_item : rings around misclassified points.
    dataset : the ``engine.data.Dataset`` drawn (point probabilities from the training thread fit only it).
    """

    def __init__(self):
        self.points_item = pg.ScatterPlotItem(size=POINT_PX, symbol="o", antialias=True)
        # The points stay put while the image under them changes ~30 times a second: repaint them
        # from a pixmap (measured: a repaint with 10,000 points 10–12 ms -> 4.5–5.5 ms).
        self.points_item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.miss_item = pg.ScatterPlotItem(
            size=RING_PX, symbol="o", brush=None, pen=pg.mkPen(palette.INK, width=1.8), antialias=True
        )
        self.dataset = None
        self.X = np.zeros((0, 2))
        self.y = np.zeros(0, dtype=np.int64)
        self.xy = np.zeros((0, 2))
        self.test_mask = np.zeros(0, dtype=bool)
        self.miss_mask = np.zeros(0, dtype=bool)
        self.test_shown = True  # False: the test split's points (and their rings) are hidden
        self._logits: np.ndarray | None = None  # (n, n_outputs) of the last ringed weights
        self._n_classes = 2
        self._inputs = None
        self._workspace = None

    def __len__(self) -> int:
        return len(self.y)

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
        self._logits = None
        self.miss_item.setData([], [])
        net = model.network
        self._n_classes = net.n_classes
        self._inputs = augment(model.features(self.X), net.dtype)
        self._workspace = Workspace(net, max(n, 1))
        self.place(columns, one_d)
        self.style(colors)

    def fits(self, dataset, proba: np.ndarray) -> bool:
        """True if class probabilities ``proba`` (n, k), computed for ``dataset``, are of these points."""
        return dataset is self.dataset and proba.shape == (len(self.y), self._n_classes)

    def place(self, columns, one_d: bool) -> None:
        """Where the points are drawn: the view pair's columns, or (x, class level) for 1-D data."""
        i, j = columns
        level = self.y / max(self._n_classes - 1, 1)
        self.xy = np.column_stack([self.X[:, i], level if one_d else self.X[:, j]])

    def style(self, colors) -> None:
        """Fill and outline each point in its class colour (``colors``, one QColor per class); test points hollow."""
        fills = np.array([pg.mkBrush(c) for c in colors], dtype=object)
        pens = np.array([pg.mkPen(palette.outline(c), width=1) for c in colors], dtype=object)
        hollow_pens = np.array([pg.mkPen(c.darker(125), width=2.2) for c in colors], dtype=object)
        fill, pen = fills[self.y], pens[self.y]
        t = self.test_mask
        fill[t] = pg.mkBrush("w")
        pen[t] = hollow_pens[self.y[t]]
        self.points_item.setData(x=self.xy[:, 0], y=self.xy[:, 1], brush=list(fill), pen=list(pen))
        self._apply_visibility()

    def draw_rings(self) -> None:
        """Ring the points of :attr:`miss_mask` where they are drawn now."""
        self.miss_item.setData(x=self.xy[self.miss_mask, 0], y=self.xy[self.miss_mask, 1])
        self._apply_visibility()

    def show_test(self, on: bool) -> None:
        """Draw the test split's points (hollow) with the others, or hide them and their rings."""
        self.test_shown = bool(on)
        self._apply_visibility()

    @property
    def visible_mask(self) -> np.ndarray:
        """(n,) bool: the points drawn (all but the test split's while it is hidden)."""
        return np.ones(len(self.y), dtype=bool) if self.test_shown else ~self.test_mask

    def _apply_visibility(self) -> None:
        if len(self.points_item.data) == len(self.y):
            self.points_item.setPointsVisible(self.visible_mask)
        if len(self.miss_mask) == len(self.y) and len(self.miss_item.data) == int(self.miss_mask.sum()):
            self.miss_item.setPointsVisible(self.visible_mask[self.miss_mask])

    def update_misclassified(self, params, proba=None, logits=None, threshold: float = 0.5) -> None:
        """Ring the points ``params`` misclassify: binary, on the other side of P(class 1) =
        ``threshold`` (the drawn contour); else not of the most probable class. ``logits`` (n,
        n_outputs) or ``proba`` (n, k), when given, were already computed (in the training thread)."""
        self._logits = None
        if len(self.y) == 0:
            self.miss_mask = np.zeros(0, dtype=bool)
            self.miss_item.setData([], [])
            return
        if logits is None and proba is not None and (threshold == 0.5 or proba.shape[1] > 2):
            self._ring(np.argmax(proba, axis=1))
            return
        if logits is None:
            with np.errstate(over="ignore", invalid="ignore"):  # points far out: inf logits, no warning
                z = self._workspace.forward(self._inputs, params).copy()
        else:
            z = logits
        self._logits = z  # kept: a new threshold for the same weights needs no forward pass
        self._ring(threshold_predictions(z, threshold) if z.shape[1] == 1 else predictions(z))

    def rethreshold(self, params, threshold: float) -> None:
        """Ring the points on the wrong side of P(class 1) = ``threshold`` under ``params``, the
        weights last given to :meth:`update_misclassified` (their logits are reused when kept)."""
        if self._logits is not None and len(self._logits) == len(self.y):
            if self._logits.shape[1] == 1:
                self._ring(threshold_predictions(self._logits, threshold))
            return
        self.update_misclassified(params, threshold=threshold)

    def _ring(self, pred: np.ndarray) -> None:
        miss = pred != self.y
        if np.array_equal(miss, self.miss_mask):
            return
        self.miss_mask = miss
        self.draw_rings()

    def losses(self, params) -> np.ndarray:
        """(n,) loss −log P(true class) of each point under ``params``."""
        with np.errstate(over="ignore", invalid="ignore"):  # points far out: inf logits, no warning
            z = self._workspace.forward(self._inputs, params)
            return losses_from_logits(z, self.y)

    def set_sizes(self, loss: np.ndarray | None) -> None:
        """Size the points (and their rings) by ``loss`` (n,), or all alike when None."""
        if loss is None:  # per-point sizes stay until replaced, so set them all (a scalar would not)
            self.points_item.setSize(np.full(len(self.y), float(POINT_PX)))
            self.miss_item.setSize(np.full(int(self.miss_mask.sum()), float(RING_PX)))
            return
        sizes = loss_sizes(loss)
        self.points_item.setSize(sizes)
        self.miss_item.setSize(sizes[self.miss_mask] + (RING_PX - POINT_PX))

    def size_of(self, i: int) -> float:
        """Point ``i``'s marker diameter in pixels as drawn."""
        data = self.points_item.data
        size = float(data["size"][i]) if i < len(data) else -1.0
        return size if size > 0 else float(POINT_PX)

    def nearest(self, x: float, y: float, pixel: tuple[float, float], max_px: float) -> int | None:
        """The point drawn nearest to (x, y) within ``max_px`` screen pixels (``pixel`` = data units
        per pixel along x and y), else None."""
        if len(self.y) == 0:
            return None
        px, py = pixel
        d2 = ((self.xy[:, 0] - x) / px) ** 2 + ((self.xy[:, 1] - y) / py) ** 2
        if not self.test_shown:
            d2[self.test_mask] = np.inf  # hidden points are not hovered
        i = int(np.argmin(d2))
        return i if d2[i] <= max_px**2 else None
