"""The loss landscape's computations: plain functions, no Qt, safe in any thread.

The ``*_task`` functions are what the view runs in the background (:class:`lab_app.tasks.TaskRunner`
calls them with ``progress`` and ``cancelled``; the engine's grids cannot stop midway, so they
ignore both and a superseded answer is dropped). :func:`map_picture` turns a grid into what the
plot shows; :func:`map_ranges` and :func:`inside` decide where a map must reach.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from contourpy import contour_generator

from engine.landscape import Objective, PCASlice, ranges_around

__all__ = [
    "COMPARE_STEPS",
    "DEFAULT_COMPARE_EPOCHS",
    "N_LEVELS",
    "OPTIMIZER_COLORS",
    "SCOUT",
    "SLICE_ROWS",
    "MapPicture",
    "compare_plan",
    "compare_task",
    "grid_task",
    "inside",
    "map_picture",
    "map_ranges",
    "slice_task",
]

#: Minibatch steps per optimizer at most when comparing (the epochs are capped to fit).
COMPARE_STEPS = 20_000
#: Epochs compared when the trainer panel says "until stopped" (0).
DEFAULT_COMPARE_EPOCHS = 200
#: Training rows the PCA slice's loss is estimated on (a fixed-seed sample beyond that).
SLICE_ROWS = 500
#: A full-batch Adam run from the start that the first map also covers, so it shows the basin.
SCOUT = ("adam", 0.05, 150)
#: Contour lines per map.
N_LEVELS = 12
OPTIMIZER_COLORS = {"SGD": "#0072B2", "momentum": "#E69F00", "Adam": "#009E73"}  # Okabe–Ito
_NAN_ROW = np.full((1, 2), np.nan)


def grid_task(land, start, scout, base, extra, side: int, *, progress, cancelled):
    """(scout path, LandscapeGrid): the two-parameter map around ``base`` (the run's path and
    start) and the scout, widened for the ``extra`` compared paths."""
    s = scout if scout is not None else land.run_path(start, SCOUT[0], SCOUT[1], SCOUT[2])
    return s, land.grid(map_ranges([*base, s], extra), (side, side))


def compare_plan(cfg, n_rows: int) -> tuple[list, int, int, int]:
    """(runs, epochs, epochs wanted, batch size) to compare SGD, momentum and Adam with the
    TrainConfig ``cfg``'s settings on ``n_rows`` rows, capped at :data:`COMPARE_STEPS` steps each."""
    batch = cfg.batch_size if 0 < cfg.batch_size < n_rows else n_rows
    wanted = cfg.epochs or DEFAULT_COMPARE_EPOCHS
    epochs = max(1, min(wanted, COMPARE_STEPS // math.ceil(n_rows / batch)))
    runs = [
        ("sgd", cfg.lr),
        ("momentum", cfg.lr, {"momentum": cfg.momentum, "nesterov": cfg.nesterov}),
        ("adam", cfg.lr, {"beta1": cfg.beta1, "beta2": cfg.beta2, "epsilon": cfg.epsilon}),
    ]
    return runs, epochs, wanted, batch


def compare_task(land, start, runs, epochs: int, batch_size: int, seed: int, *, progress, cancelled):
    """{"SGD"|"momentum"|"Adam": (epochs + 1, 2)} paths from the same start."""
    return dict(zip(OPTIMIZER_COLORS, land.compare_paths(start, runs, epochs, batch_size, seed)))


def slice_task(params, epochs, net, X, y, l1: float, l2: float, side: int, rows: int, *, progress, cancelled):
    """(PCASlice, its grid, the last epoch recorded, ``rows``) through the recorded weights ``params``."""
    pca = PCASlice(params, Objective(net, X, y, l1, l2, max_rows=SLICE_ROWS))
    return pca, pca.grid(shape=(side, side)), int(epochs[-1]), rows


class MapPicture(NamedTuple):
    """What the plot shows of a grid: ``shade`` (ny, nx) in [0, 1], the image's ``rect``
    (x, y, width, height), ``contours`` (k, 2) NaN-separated lines and the grid ``minimum`` (2,)."""

    shade: np.ndarray
    rect: tuple[float, float, float, float]
    contours: np.ndarray
    minimum: np.ndarray


def map_picture(grid) -> MapPicture | None:
    """The picture of ``grid`` (a LandscapeGrid or the PCA slice's), or None if no loss is finite."""
    loss = np.asarray(grid.loss, dtype=np.float64)
    finite = loss[np.isfinite(loss)]
    if not finite.size:
        return None
    lo, hi = float(finite.min()), float(np.quantile(finite, 0.95))
    hi = hi if hi > lo else lo + 1.0
    # sqrt: equal steps in image colour and contours are equal steps of "distance" in a bowl.
    shade = np.sqrt(np.clip((np.nan_to_num(loss, nan=hi, posinf=hi) - lo) / (hi - lo), 0.0, 1.0))
    xs, ys = grid.xs, grid.ys
    dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
    dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
    rect = (xs[0] - dx / 2, ys[0] - dy / 2, len(xs) * dx, len(ys) * dy)
    gen = contour_generator(xs, ys, shade, line_type="ChunkCombinedNan")
    pieces = [np.empty((0, 2))]
    for level in np.linspace(1.0 / N_LEVELS, 1.0, N_LEVELS, endpoint=False):
        for chunk in gen.lines(level)[0]:
            if chunk is not None and len(chunk):
                pieces += [chunk, _NAN_ROW]
    return MapPicture(shade, rect, np.concatenate(pieces), np.asarray(grid.argmin()))


def map_ranges(base_sets, extra_sets):
    """((x0, x1), (y0, y1)) around ``base_sets`` (the run, its start, the scout), widened for the
    compared paths by at most three times the base's size (a diverging path may leave the map)."""
    base = ranges_around(*base_sets, margin=0.25, min_half_width=0.5)
    extra = [p for p in extra_sets if len(p)]
    if not extra:
        return base
    corners = np.array([[base[0][0], base[1][0]], [base[0][1], base[1][1]]])
    wide = ranges_around(corners, *extra, margin=0.1, min_half_width=0.5)
    out = []
    for (b0, b1), (w0, w1) in zip(base, wide):
        c, h = (b0 + b1) / 2, (b1 - b0) / 2
        out.append((max(w0, c - 3 * h), min(w1, c + 3 * h)))
    return tuple(out)


def inside(points, grid) -> bool:
    """True if every (…, 2) point lies on the map of ``grid``."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return bool(
        np.all((p[:, 0] >= grid.xs[0]) & (p[:, 0] <= grid.xs[-1]) & (p[:, 1] >= grid.ys[0]) & (p[:, 1] <= grid.ys[-1]))
    )
