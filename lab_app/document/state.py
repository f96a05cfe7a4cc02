"""Pure functions that build and check document values: no Qt object, no undo stack, no signals.

Owns the rules a :class:`~lab_app.document.types.State` must follow: what imported data may look
like (:func:`build_state`), valid axis ranges and view pairs, the ranges fitted to the data, and the
mapping between class names and the engine's labels (:func:`format_label`, :func:`same_number`), and
where a point drawn in the view's two columns goes in the stored columns (:func:`coerce_points`).
:class:`~lab_app.document.lab_document.LabDocument` calls these before it pushes a command.
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from lab_app.document.growth import with_room
from lab_app.document.snapshot import column_pair
from lab_app.document.types import MAX_CLASSES, MAX_FEATURES, MIN_CLASSES, ClassInfo, State
from lab_app.widgets import palette

__all__ = [
    "build_state",
    "check_class",
    "check_indices",
    "check_new_name",
    "check_range",
    "check_view",
    "coerce_points",
    "default_name",
    "empty_labels",
    "fitted_ranges",
    "format_label",
    "same_number",
]


def build_state(old: State, X, labels, classes, feature_names, label_name, fit, view=None) -> State:
    """``old`` with new points, classes and names (see ``LabDocument.replace_data``); ValueError
    saying what is wrong if the document cannot hold them.  ``fit`` fits the ranges to ``view``."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or not 1 <= X.shape[1] <= MAX_FEATURES:
        raise ValueError(f"the lab holds 1 to {MAX_FEATURES} features; got X of shape {X.shape} (choose columns)")
    if not np.isfinite(X).all():
        raise ValueError("coordinates must be finite numbers")
    codes = with_room(np.asarray(labels, dtype=np.int64).reshape(-1))  # a copy that point adds can grow
    if len(codes) != len(X):
        raise ValueError(f"{len(X)} points but {len(codes)} labels")
    infos = []
    for i, c in enumerate(classes):
        info = c if isinstance(c, ClassInfo) else ClassInfo(format_label(c))
        infos.append(info if info.color else replace(info, color=palette.hex_color(i)))
    while len(infos) < MIN_CLASSES:  # one-class data still gets a second class to draw with
        infos.append(ClassInfo(default_name([c.name for c in infos]), palette.next_color(c.color for c in infos)))
    if len(infos) > MAX_CLASSES:
        raise ValueError(f"{len(infos)} classes; the lab draws at most {MAX_CLASSES}")
    if len({c.name for c in infos}) != len(infos):
        raise ValueError("class names must be unique")
    if len(codes) and (codes.min() < 0 or codes.max() >= len(infos)):
        raise ValueError("labels must be codes 0..k-1 into classes")
    mode = "1d" if X.shape[1] == 1 else "2d"
    xy = with_room(np.column_stack([X[:, 0], np.zeros(len(X))]) if X.shape[1] == 1 else X)
    d = xy.shape[1]
    names = tuple(feature_names) if feature_names is not None else ()
    names = (tuple(names) + tuple(f"x{k + 1}" for k in range(len(names), d)))[:d]
    state = replace(
        old, xy=xy, labels=codes, classes=tuple(infos), feature_names=names, label_name=label_name, mode=mode
    )
    if fit:
        i, j = (0, 1) if mode == "1d" else check_view(view or (0, 1), d)
        xlim, ylim = fitted_ranges(column_pair(xy, i, j), 1 if mode == "1d" else 2, 0.15, old.xlim, old.ylim)
        state = replace(state, xlim=xlim, ylim=ylim)
    return state


def coerce_points(xy, stored: np.ndarray, mode: str, view: tuple[int, int], rows_from=None) -> np.ndarray:
    """Stored rows (k, d) for view coordinates ``xy`` (k, 2), or (k,) x values in 1-D mode.

    The pair ``view``'s columns take ``xy``; the other columns of ``stored`` (n, d) keep
    ``rows_from``'s values (moves) or take the column means (new points; 0 without points).
    In 1-D mode y is ignored: 0 for new points, unchanged for moved ones.
    """
    a = np.array(xy, dtype=np.float64, copy=True)
    if a.ndim == 1:  # 1-D mode: a vector of x values; 2-D mode: one point
        a = a.reshape(-1, 1) if mode == "1d" else a.reshape(1, -1)
    if a.ndim != 2 or a.shape[1] not in (1, 2) or (a.shape[1] == 1 and mode == "2d"):
        raise ValueError(f"points must have shape (k, 2) (or (k,) x values in 1-D), got {np.shape(xy)}")
    if a.shape[1] == 1:
        a = np.column_stack([a[:, 0], np.zeros(len(a))])
    if not np.isfinite(a).all():
        raise ValueError("point coordinates must be finite numbers")
    if mode == "1d":
        a[:, 1] = 0.0 if rows_from is None else stored[rows_from, 1]
    if stored.shape[1] == 2:
        return a
    if rows_from is None:
        fill = stored.mean(axis=0) if len(stored) else np.zeros(stored.shape[1])
        rows = np.repeat(fill[None, :], len(a), axis=0)
    else:
        rows = stored[rows_from].copy()
    i, j = view
    rows[:, i] = a[:, 0]
    if mode == "2d":
        rows[:, j] = a[:, 1]
    return rows


def check_indices(n_points: int, indices, keep_order: bool = False) -> np.ndarray:
    """``indices`` as int64 row numbers in 0..n_points-1, sorted and unique unless ``keep_order``."""
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    if len(idx) and (idx.min() < 0 or idx.max() >= n_points):
        raise IndexError(f"point indices must be in 0..{n_points - 1}")
    return idx if keep_order else np.unique(idx)


def check_class(n_classes: int, index: int) -> int:
    if not 0 <= int(index) < n_classes:
        raise IndexError(f"class index {index} out of range 0..{n_classes - 1}")
    return int(index)


def check_new_name(name: str, taken: Sequence[str]) -> None:
    if not name:
        raise ValueError("a class name cannot be empty")
    if name in taken:
        raise ValueError(f"there is already a class named {name!r}")


def check_range(lim, axis: str) -> tuple[float, float]:
    lo, hi = (float(v) for v in lim)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{axis} range must be two finite numbers with min < max, got {lim!r}")
    return lo, hi


def check_view(pair, n_columns: int) -> tuple[int, int]:
    i, j = (int(v) for v in pair)
    if not (0 <= i < n_columns and 0 <= j < n_columns and i != j):
        raise ValueError(f"view columns must be two different columns in 0..{n_columns - 1}, got {tuple(pair)}")
    return i, j


def fitted_ranges(xy, n_dims, margin, xlim, ylim):
    """Ranges around ``xy`` (k, 2) plus ``margin`` (a fraction of the span), rounded outward to a
    tidy step; ``xlim``/``ylim`` where there is nothing to fit (no points; y in 1-D)."""
    if len(xy) == 0:
        return xlim, ylim
    out = []
    for col in range(2):
        if col >= n_dims:
            out.append(ylim)
            continue
        lo, hi = float(xy[:, col].min()), float(xy[:, col].max())
        pad = max((hi - lo) * margin, 0.5)
        step = 10.0 ** math.floor(math.log10(hi - lo + 2 * pad)) / 5  # round outward to a tidy step
        lo, hi = math.floor((lo - pad) / step) * step, math.ceil((hi + pad) / step) * step
        out.append((float(f"{lo:.12g}"), float(f"{hi:.12g}")))  # 3.8, not 3.8000000000000003
    return out[0], out[1]


def format_label(value) -> str:
    """The class name for an engine label: ints and integral floats print without ".0"."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


def same_number(name: str, value) -> bool:
    """True if the class name ``name`` reads as the number ``value`` ("1.0" is 1)."""
    try:
        return float(name) == float(value)
    except (TypeError, ValueError):
        return False


def default_name(taken: Sequence[str]) -> str:
    """The first capital letter not in ``taken``."""
    return next(c for c in string.ascii_uppercase if c not in taken)


def empty_labels() -> np.ndarray:
    return np.empty(0, dtype=np.int64)
