"""The grid the model is evaluated on: its extent and columns, the evaluator, the colour buffers and the image's place."""

from __future__ import annotations

import numpy as np

from engine.model import GridEvaluator
from lab_app.panels.boundary.heatmap import GridPainter, image_rect

__all__ = [
    "MAX_SCALE_RATIO",
    "Y_RANGE_1D",
    "BoundaryGrid",
    "data_ranges",
    "equal_scale",
    "grid_probabilities",
    "training_means",
]

Y_RANGE_1D = (-0.15, 1.15)  # the designer's 1-D y range: points at class levels 0..1
#: Axes whose scales would differ more than this (unscaled inputs: metres against kilometres)
#: each fill the plot; a single scale would squash the plane into a strip.
MAX_SCALE_RATIO = 4.0


class BoundaryGrid:
    """Everything one grid sizes, built again when the run, the extent or the columns change.

    Parameters
    ----------
    model : the run's ``engine.model.Model``.
    xlim, ylim : the extent (1-D runs ignore ``ylim``: their one row spans the class levels).
    shape : (H, W) grid points.
    fixed : values of the inputs the grid does not vary (None for up to two inputs).
    columns : the two inputs the grid varies.

    Attributes
    ----------
    evaluator : the :class:`~engine.model.GridEvaluator`; spec : its description for the grid probe.
    ys : (H,) the grid's y values; painter : the :class:`~.heatmap.GridPainter` of its image.
    probs : (W, k) float32 buffer of a 1-D run's last probabilities (None for 2-D runs).
    rect : ``(x0, y0, width, height)`` of the image in data units; yrange : the y range on show.
    """

    def __init__(self, model, xlim, ylim, shape, fixed, columns):
        H, W = shape
        one_d = model.n_inputs == 1
        k = model.network.n_classes
        self.one_d = one_d
        self.evaluator = ev = GridEvaluator(model, xlim, ylim, shape=(H, W), fixed=fixed, columns=columns)
        self.spec = (ev.xlim, ev.ylim, (H, W), columns, fixed)
        self.ys = np.linspace(*ylim, H)
        self.painter = GridPainter(1 if one_d else H, W, k, contours=not one_d)
        self.probs = np.empty((W, k), dtype=np.float32) if one_d else None
        self.yrange = Y_RANGE_1D if one_d else ylim
        self.rect = image_rect(xlim, self.yrange, (H, W), one_d)
        self.probe_shape = ((W,) if one_d else (H, W)) + (k,)  # the probabilities a probe must bring

    def fits(self, spec, P: np.ndarray) -> bool:
        """True if probabilities ``P`` evaluated (by the training thread's probe) on grid ``spec`` are this grid's."""
        return spec == self.spec and P.shape == self.probe_shape

    def covers(self, xlim, ylim, columns) -> bool:
        """True if this grid already spans ``xlim`` × ``ylim`` over ``columns``."""
        ev = self.evaluator
        return (
            ev.xlim == tuple(map(float, xlim))
            and ev.columns == columns
            and (self.one_d or ev.ylim == tuple(map(float, ylim)))
        )


def data_ranges(X: np.ndarray, columns) -> tuple[tuple[float, float], tuple[float, float]]:
    """(xlim, ylim) of ``X`` (n, d)'s ``columns`` plus a margin (1-D: the class levels' y range)."""
    lims = []
    for j in columns[: min(2, X.shape[1])]:
        lo, hi = (float(X[:, j].min()), float(X[:, j].max())) if len(X) else (-3.0, 3.0)
        pad = 0.12 * (hi - lo) if hi > lo else 1.0
        lims.append((lo - pad, hi + pad))
    return lims[0], (lims[1] if len(lims) > 1 else Y_RANGE_1D)


def equal_scale(xlim, ylim, pixels) -> tuple[tuple[float, float], tuple[float, float]]:
    """``xlim``, ``ylim`` widened about their centres along one axis, so that a plot of ``pixels``
    (width, height) shows both with one scale (data units per pixel) and still shows all of both;
    unchanged when the plot has no size yet or the two scales differ more than MAX_SCALE_RATIO."""
    (x0, x1), (y0, y1) = (float(v) for v in xlim), (float(v) for v in ylim)
    w, h = float(pixels[0]), float(pixels[1])
    if w < 1 or h < 1:
        return (x0, x1), (y0, y1)
    sx, sy = (x1 - x0) / w, (y1 - y0) / h
    if max(sx, sy) > MAX_SCALE_RATIO * min(sx, sy):
        return (x0, x1), (y0, y1)
    s = max(sx, sy)
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, s * w / 2, s * h / 2
    return (cx - hw, cx + hw) if sx < s else (x0, x1), (cy - hh, cy + hh) if sy < s else (y0, y1)


def training_means(run_info) -> tuple[float, ...]:
    """The mean of each raw input over the run's training split (all rows without one): the values
    the grid holds the inputs it does not show at."""
    X = np.asarray(run_info.dataset.X, dtype=np.float64)
    idx = np.asarray(getattr(run_info, "train_idx", ()), dtype=np.int64)
    rows = X[idx] if len(idx) else X
    return tuple(float(v) for v in rows.mean(axis=0)) if len(rows) else (0.0,) * X.shape[1]


def grid_probabilities(model, grid: BoundaryGrid, params, points, **_task) -> tuple:
    """``(params, grid, P, points)``: ``model``'s probabilities with ``params`` on a grid like
    ``grid`` (its own evaluator: the view's reuses its buffers; ``model`` a copy for this thread),
    for a :class:`~lab_app.tasks.TaskRunner` task; ``points`` passes through."""
    xlim, ylim, shape, columns, fixed = grid.spec
    return (
        params,
        grid,
        BoundaryGrid(model, xlim, ylim, shape, fixed, columns).evaluator.evaluate(params).copy(),
        points,
    )
