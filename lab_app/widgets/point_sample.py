"""Bounded point drawing: which rows a scatter draws, and which row lies under the pointer.

A pyqtgraph scatter costs Python work per drawn point on every ``setData`` and style change
(measured here, with a pen and a brush per point: 200,000 points froze the window ~13 s,
1,000,000 ~40 s; one item per style, :mod:`lab_app.widgets.styled_scatter`, cuts that 3–4×).
Views therefore draw at most :data:`POINT_BUDGET` points: every point while the data fit, else
:data:`SAMPLE_SIZE` of them, a fixed, evenly spaced share of the rows plus the rows that must stay
visible (selected, misclassified). Picking, hover and erase never look at what is drawn:
:func:`nearest_row` searches every row with NumPy (~5 ms for 1,000,000 points), so a click acts
on the real nearest point.
"""

from __future__ import annotations

import numpy as np

__all__ = ["POINT_BUDGET", "SAMPLE_SIZE", "capped", "drawn_rows", "nearest_row"]

#: Data up to this many points are drawn whole, exactly as before; no scatter draws more.
POINT_BUDGET = 20_000
#: Points (and at most as many rings) a scatter draws of bigger data: each drawn point costs
#: ~1 µs of Python when new (:class:`~lab_app.widgets.styled_scatter.StyledScatter`: 20,000 new
#: points ~18 ms; ~3 µs, ~60 ms, with a pen and a brush per point), less on a restyle.
SAMPLE_SIZE = 8_000


def drawn_rows(n: int, keep=()) -> np.ndarray:
    """Sorted row indices a view of ``n`` points draws (at most :data:`POINT_BUDGET`).

    ``n ≤ POINT_BUDGET``: every row. Otherwise :data:`SAMPLE_SIZE` rows: an evenly spaced base of
    half of them, which depends on ``n`` alone (so it stays put while the model's marks change),
    plus the rows of each ``keep`` mask ((n,) bool, most important first) that are not in the
    base, while they fit; a mask that does not fit whole gets an evenly spaced share of what is left.
    """
    if n <= POINT_BUDGET:
        return np.arange(n)
    budget = SAMPLE_SIZE
    base = np.arange(0, n, -(-n // (budget // 2)))
    chosen = np.zeros(n, dtype=bool)
    chosen[base] = True
    room = budget - len(base)
    for mask in keep:
        if mask is None or len(mask) != n or room <= 0:
            continue
        extra = _spread(np.flatnonzero(mask & ~chosen), room)
        chosen[extra] = True
        room -= len(extra)
    return np.flatnonzero(chosen)


def capped(rows: np.ndarray, n: int) -> np.ndarray:
    """The marks (rings, halos) to draw of ``rows``, some of ``n`` points: all while the points
    are drawn whole, else an evenly spaced :data:`SAMPLE_SIZE` of them at most."""
    return rows if n <= POINT_BUDGET else _spread(rows, SAMPLE_SIZE)


def _spread(rows: np.ndarray, budget: int) -> np.ndarray:
    """``rows`` if there are at most ``budget`` of them, else an evenly spaced ``budget`` of them."""
    if len(rows) <= budget:
        return rows
    return rows[np.linspace(0, len(rows) - 1, budget).astype(np.int64)]


def nearest_row(
    xs: np.ndarray, ys: np.ndarray, x: float, y: float, pixel: tuple[float, float], max_px: float, hidden=None
) -> int | None:
    """The row of ``xs``, ``ys`` (n,) nearest on screen to (``x``, ``y``), within ``max_px`` pixels
    (``pixel`` = data units per pixel along x and y, the axes may differ); rows where ``hidden``
    (n,) bool is True cannot be picked. None if no row is that close."""
    if len(xs) == 0:
        return None
    px, py = pixel
    d2 = np.square((xs - x) * (1.0 / px))
    d2 += np.square((ys - y) * (1.0 / py))
    if hidden is not None and len(hidden) == len(d2):
        d2[hidden] = np.inf
    i = int(np.argmin(d2))
    return i if d2[i] <= max_px**2 else None
