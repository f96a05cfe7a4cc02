"""Whether a change of the points kept the rows, so per-row marks (selection, test split, rings) still apply."""

from __future__ import annotations

import numpy as np

__all__ = ["rows_kept"]


def rows_kept(old_X, old_y, new_X, new_y) -> bool:
    """True if going from ``old_X`` (n, d), ``old_y`` (n,) to ``new_X``, ``new_y`` kept every row's point.

    Only two edits keep the rows: a relabel (the coordinates stay) and a drag (the labels stay and
    every changed row moves by one common offset). Anything else — points added or removed, data
    loaded or a load undone, even with as many points — leaves row ``i`` holding another point, so
    marks by row index would land on the wrong points. When the number of columns differs (1-D ↔ 2-D
    mode keeps the rows but shows one column), the leading common columns are compared.
    """
    old_X, new_X = np.asarray(old_X, dtype=np.float64), np.asarray(new_X, dtype=np.float64)
    if len(old_X) != len(new_X) or len(old_y) != len(new_y):
        return False
    if not len(old_X):
        return True  # no rows, no marks (an empty session opened into an empty window)
    d = min(old_X.shape[1], new_X.shape[1]) if old_X.ndim == new_X.ndim == 2 else 0
    old_X, new_X = old_X.reshape(len(old_X), -1)[:, :d], new_X.reshape(len(new_X), -1)[:, :d]
    if _same_memory(old_X, new_X):
        return True  # the very same rows (the document shares them): a relabel, or nothing changed
    changed = np.flatnonzero(np.any(old_X != new_X, axis=1))  # no (n, d) temporaries: a million points
    if not len(changed):
        return True  # a relabel, or nothing the rows show
    if not np.array_equal(old_y, new_y):
        return False
    head = changed[:64]  # other data of the same size differ everywhere: known from a few rows
    if not _one_offset(old_X[head], new_X[head]):
        return False
    return _one_offset(old_X[changed], new_X[changed])


def _one_offset(start: np.ndarray, end: np.ndarray) -> bool:
    """Every row moved from ``start`` to ``end`` by one common offset."""
    moved = end - start
    # start + offset − start is the offset only up to rounding: allow a few ulps of the coordinates.
    tol = 1e-9 * max(float(np.abs(start).max()), float(np.abs(end).max()), 1.0)
    return bool(np.all(np.abs(moved - moved[0]) <= tol))


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    """The same elements of the same memory (O(1)): the same start, shape, strides and type."""
    return (
        a.shape == b.shape
        and a.strides == b.strides
        and a.dtype == b.dtype
        and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    )
