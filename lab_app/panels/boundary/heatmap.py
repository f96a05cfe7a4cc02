"""Colours of the probability grid (diverging table, class blends) and the lines where the predicted class changes.

The image is coloured in preallocated buffers with ``out=`` arithmetic (:class:`GridPainter`); the
lines come from ``contourpy`` as NaN-separated polylines, ~10× faster than pyqtgraph's
``IsocurveItem`` (docs/design.md §6).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from contourpy import contour_generator
from PySide6.QtGui import QColor

from lab_app.widgets import palette

__all__ = [
    "STRENGTH",
    "ClassStyle",
    "GridPainter",
    "binary_lut",
    "class_style",
    "curve_lines",
    "decision_lines",
    "image_rect",
    "tint",
]

#: Share of a class colour where the model is certain; the rest is white, so filled points stay visible.
STRENGTH = 0.6
_NAN_ROW = np.full((1, 2), np.nan)


def tint(rgb, strength: float = STRENGTH) -> np.ndarray:
    """(…, 3) float colour(s) moved toward white: ``white + strength · (rgb − white)``."""
    rgb = np.asarray(rgb, dtype=np.float64)
    return 255.0 + strength * (rgb - 255.0)


def binary_lut(rgb0, rgb1, strength: float = STRENGTH, n: int = 256) -> np.ndarray:
    """(n, 4) uint8 diverging table for P(class 1) in [0, 1]: tinted class 0 → white at 0.5 → class 1."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    side = np.where(t < 0.5, 1.0, 0.0)
    end = side * np.asarray(rgb0, float) + (1.0 - side) * np.asarray(rgb1, float)
    rgb = 255.0 + strength * np.abs(2.0 * t - 1.0) * (end - 255.0)
    lut = np.full((n, 4), 255, dtype=np.uint8)
    lut[:, :3] = np.rint(rgb)
    return lut


@dataclass(frozen=True)
class ClassStyle:
    """How a run's classes look, in the model's class order."""

    colors: list  # QColor per class
    names: list  # the names users gave them
    lut: np.ndarray | None  # (256, 4) uint8 diverging table for two classes, else None
    ink: np.ndarray  # (k, 3) float32 white − colour: a blend of inks scaled by certainty, subtracted from white


def class_style(classes, document=None) -> ClassStyle:
    """Colours and names of the model's ``classes``: the ``document``'s (LabDocument) where it has
    the class, else the palette's and the label itself."""
    colors, names = [], []
    for i, c in enumerate(classes):
        if document is not None:
            try:
                info = document.classes[document.class_index(c)]
                colors.append(QColor(info.color))
                names.append(info.name)
                continue
            except (KeyError, IndexError):
                pass
        colors.append(palette.qcolor(i))
        names.append(_label(c))
    rgb = np.array([(c.red(), c.green(), c.blue()) for c in colors], dtype=np.float32)
    lut = binary_lut(rgb[0], rgb[-1]) if len(rgb) == 2 else None
    return ClassStyle(colors, names, lut, (255.0 - rgb).astype(np.float32))


def image_rect(xlim, ylim, shape, one_d: bool) -> tuple[float, float, float, float]:
    """``(x0, y0, width, height)`` of a grid image over ``xlim`` × ``ylim`` with ``shape`` (H, W):
    pixel centres on the grid points; 1-D, one row stretched over ``ylim`` (the class levels)."""
    H, W = shape
    dx = (xlim[1] - xlim[0]) / max(W - 1, 1)
    if one_d:
        return (xlim[0] - dx / 2, ylim[0], xlim[1] - xlim[0] + dx, ylim[1] - ylim[0])
    dy = (ylim[1] - ylim[0]) / max(H - 1, 1)
    return (xlim[0] - dx / 2, ylim[0] - dy / 2, xlim[1] - xlim[0] + dx, ylim[1] - ylim[0] + dy)


def decision_lines(xs: np.ndarray, ys: np.ndarray, P: np.ndarray) -> np.ndarray:
    """(m, 2) NaN-separated polylines where the class predicted by ``P`` (H, W, k) changes: the 0.5
    contour of P(class 1) for two classes, else where P_j − max_{i≠j} P_i crosses 0 (j < k − 1)."""
    if P.shape[-1] == 2:
        return _trace(xs, ys, [P[..., 1]], 0.5)
    fields = [P[..., j] - np.delete(P, j, axis=-1).max(axis=-1) for j in range(P.shape[-1] - 1)]
    return _trace(xs, ys, fields, 0.0)


def curve_lines(xs: np.ndarray, P: np.ndarray) -> np.ndarray:
    """(m, 2) NaN-separated p(x) curves of a 1-D grid ``P`` (W, k): P(class 1) for two classes, else one per class."""
    columns = [P[:, 1]] if P.shape[1] == 2 else [P[:, j] for j in range(P.shape[1])]
    return np.concatenate([np.column_stack([np.append(xs, np.nan), np.append(c, np.nan)]) for c in columns])


class GridPainter:
    """Preallocated buffers that turn an (h, W, k) probability grid into an (h, W, 4) uint8 image
    (``h = 1`` for 1-D runs: one row stretched over the class levels) and, for 2-D grids, into the
    boundary polylines of the same probabilities.

    Parameters
    ----------
    h, W : the grid's rows and columns.
    n_classes : k.
    contours : whether :meth:`lines` will be asked for (2-D grids).
    """

    def __init__(self, h: int, W: int, n_classes: int, contours: bool):
        self.rgba = np.full((h, W, 4), 255, dtype=np.uint8)
        self._scaled = np.empty((h, W), dtype=np.float32)
        self._index = np.empty((h, W), dtype=np.intp)
        self._ink = np.empty((h * W, 3), dtype=np.float32)
        self._certainty = np.empty((h * W, 1), dtype=np.float32)
        self._top1 = np.empty(h * W, dtype=np.float32)  # largest probability per pixel
        self._top2 = np.empty(h * W, dtype=np.float32)  # second largest
        self._scratch = np.empty(h * W, dtype=np.float32)
        n_fields = 0 if not contours else (1 if n_classes == 2 else n_classes - 1)
        self._fields = [np.empty((h, W), dtype=np.float64) for _ in range(n_fields)]  # contourpy's dtype

    def paint(
        self,
        P: np.ndarray,
        lut: np.ndarray | None,
        class_ink: np.ndarray,
        *,
        discrete: bool = False,
        threshold: float = 0.5,
    ) -> np.ndarray:
        """Colour ``P`` (h, W, k) into :attr:`rgba`: through ``lut`` (binary, P of class 1), else a
        blend of ``class_ink`` (k, 3) = white − class colours, scaled by certainty. With
        ``discrete``, each pixel takes its predicted class's colour at full tint (:data:`STRENGTH`):
        binary, class 1 where P(class 1) ≥ ``threshold``; else the most probable class. Returns :attr:`rgba`."""
        if discrete:
            self._color_discrete(P, class_ink, threshold)
        elif lut is not None:
            self._color_binary(P[..., 1], lut)
        else:
            self._color_blend(P, class_ink)
        return self.rgba

    def lines(self, xs: np.ndarray, ys: np.ndarray, P: np.ndarray, level: float = 0.5) -> np.ndarray:
        """(m, 2) NaN-separated boundary of ``P`` (H, W, k) over the grid ``xs`` (W,), ``ys`` (H,):
        for two classes the ``level`` contour of P(class 1) (the decision threshold). Call it after
        :meth:`paint` of the same ``P``: more than two classes reuse its top two."""
        if len(self._fields) == 1:
            np.copyto(self._fields[0], P[..., 1])
            return _trace(xs, ys, self._fields, level)
        # Class j's region ends where P_j − max_{i≠j} P_i crosses 0; classes 0..k−2 cover every edge.
        # max_{i≠j} P_i is the top probability, or the second one where P_j is the top.
        flat = P.reshape(-1, P.shape[-1])
        gap = self._scratch
        np.subtract(self._top1, self._top2, out=gap)
        for j, field in enumerate(self._fields):
            d = field.reshape(-1)
            np.subtract(flat[:, j], self._top1, out=d)
            np.copyto(d, gap, where=d >= 0.0)
        return _trace(xs, ys, self._fields, 0.0)

    def relevel(self, xs: np.ndarray, ys: np.ndarray, level: float) -> np.ndarray | None:
        """Two classes: the ``level`` contour of the P(class 1) that the last :meth:`lines` traced
        (a new threshold, same weights: no new evaluation); None for more classes."""
        if len(self._fields) != 1:
            return None
        return _trace(xs, ys, self._fields, level)

    def _color_binary(self, p1: np.ndarray, lut: np.ndarray) -> None:
        s = self._scaled
        np.multiply(p1, 255.0, out=s)
        np.add(s, 0.5, out=s)  # round half up: index = floor(255·p + 0.5)
        np.copyto(self._index, s, casting="unsafe")
        np.take(lut, self._index, axis=0, out=self.rgba)

    def repaint_discrete(self, threshold: float, class_ink: np.ndarray) -> np.ndarray | None:
        """Two classes: repaint the hard regions of the P(class 1) that the last :meth:`lines` traced at
        a new ``threshold`` (same weights: no new evaluation); None for more classes. Returns :attr:`rgba`."""
        if len(self._fields) != 1:
            return None
        p1 = self._fields[0].astype(np.float32)  # compared as the float32 probabilities were
        self._color_discrete(np.stack([1.0 - p1, p1], axis=-1), class_ink, threshold)
        return self.rgba

    def _color_discrete(self, P: np.ndarray, class_ink: np.ndarray, threshold: float) -> None:
        k = P.shape[-1]
        flat = P.reshape(-1, k)
        if k == 2:
            np.greater_equal(flat[:, 1], threshold, out=self._index.reshape(-1), casting="unsafe")
        else:
            np.argmax(flat, axis=1, out=self._index.reshape(-1))
        colors = np.full((k, 4), 255, dtype=np.uint8)
        colors[:, :3] = np.rint(255.0 - STRENGTH * np.asarray(class_ink, dtype=np.float64))
        np.take(colors, self._index, axis=0, out=self.rgba)

    def _color_blend(self, P: np.ndarray, class_ink: np.ndarray) -> None:
        k = P.shape[-1]
        flat = P.reshape(-1, k)
        self._top_two(flat)
        c = self._certainty
        np.subtract(self._top1, 1.0 / k, out=c[:, 0])  # certainty = (max P − 1/k) / (1 − 1/k), scaled
        np.multiply(c, STRENGTH / (1.0 - 1.0 / k), out=c)
        ink = self._ink
        np.matmul(flat, class_ink, out=ink)  # P @ (white − colours)
        np.multiply(ink, c, out=ink)
        np.subtract(255.5, ink, out=ink)  # + 0.5 rounds on the cast below
        np.copyto(self.rgba.reshape(-1, 4)[:, :3], ink, casting="unsafe")

    def _top_two(self, flat: np.ndarray) -> None:
        """Largest and second-largest probability per pixel, column by column: for a handful of
        classes this is ~10× faster than a reduction or a sort along the short last axis."""
        t1, t2, tmp = self._top1, self._top2, self._scratch
        np.copyto(t1, flat[:, 0])
        t2.fill(-1.0)
        for j in range(1, flat.shape[1]):
            col = flat[:, j]
            np.minimum(t1, col, out=tmp)
            np.maximum(t2, tmp, out=t2)
            np.maximum(t1, col, out=t1)


def _trace(xs, ys, fields, level: float) -> np.ndarray:
    """The ``level`` contours of each (H, W) field, one NaN row after each piece; (0, 2) when none."""
    pieces = [np.empty((0, 2))]
    for z in fields:
        for chunk in contour_generator(xs, ys, z, line_type="ChunkCombinedNan").lines(level)[0]:
            if chunk is not None and len(chunk):
                pieces += [chunk, _NAN_ROW]
    return np.concatenate(pieces)


def _label(value) -> str:
    """A class label as users read it: integral floats without ".0"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
