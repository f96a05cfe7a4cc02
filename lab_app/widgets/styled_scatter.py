"""Many points in a few styles, drawn by one pyqtgraph scatter item per style.

A ``ScatterPlotItem`` given a pen and a brush per point does Python work per point on every
``setData`` (~40 ms per 10,000 points here: a stalled window on an edit, an import or an opened
session). Given one pen and brush for all its points, the same ``setData`` costs a fraction of
that (8,000 points: ~22 ms -> ~6 ms). The views' points come in a few styles only (each class
filled, each class hollow for the test split), so :class:`StyledScatter` keeps one item per style.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsItem

from lab_app.widgets.palette import MAX_CLASSES

__all__ = ["N_STYLES", "Spots", "StyledScatter", "class_codes", "class_styles"]

#: Styles of a view's points: each class filled (training), then each class hollow (test).
N_STYLES = 2 * MAX_CLASSES


def class_codes(labels: np.ndarray, hollow) -> np.ndarray:
    """(m,) style codes of :func:`class_styles` for points of class codes ``labels``, hollow where
    ``hollow`` ((m,) bool, or None: none) is True."""
    labels = np.asarray(labels, dtype=np.int64)
    return labels if hollow is None else labels + MAX_CLASSES * np.asarray(hollow, dtype=np.int64)


def class_styles(fills, pens, hollow_pens) -> dict:
    """{style code: (pen, brush)}: class ``k`` filled with ``fills[k]`` outlined by ``pens[k]``, and
    hollow (white) outlined by ``hollow_pens[k]``."""
    white = QBrush(QColor("white"))
    styles = {k: (pen, brush) for k, (pen, brush) in enumerate(zip(pens, fills))}
    styles.update({MAX_CLASSES + k: (pen, white) for k, pen in enumerate(hollow_pens)})
    return styles


@dataclass(frozen=True)
class Spots:
    """The points as drawn, one entry per position given to :meth:`StyledScatter.set`: ``x``, ``y``
    (m,), ``fill`` (m,) colour names (``#rrggbb``), ``pen`` (m,) QPens, ``size`` (m,) diameters in
    pixels, ``shown`` (m,) bool (False: hidden, e.g. a test point while the test split is hidden)."""

    x: np.ndarray
    y: np.ndarray
    fill: list
    pen: list
    size: np.ndarray
    shown: np.ndarray


class StyledScatter(pg.ItemGroup):
    """Points drawn in one of :data:`N_STYLES` styles each, as one child ``ScatterPlotItem`` per
    style with a single pen and brush (see the module's docstring for why).

    Points of a later style code are drawn over those of earlier ones, not in the order given
    (hollow test points over filled ones, a class over the classes before it): the price of one
    item per style. A point's *position* is its index in the arrays given to :meth:`set`; per-point
    access (:meth:`set_shown`, :meth:`set_sizes`, :meth:`size_at`, :meth:`spots`) goes through positions.
    """

    def __init__(self, size: float, antialias: bool = False):
        super().__init__()
        self._size = float(size)
        self.items = [pg.ScatterPlotItem(size=size, symbol="o", antialias=antialias) for _ in range(N_STYLES)]
        for item in self.items:
            # The points stay put while the image under them changes ~30 times a second: repaint
            # them from a pixmap (measured: a repaint with 10,000 points 10–12 ms -> 4.5–5.5 ms).
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.addItem(item)
        self.clear()

    def __len__(self) -> int:
        return len(self._x)

    def clear(self) -> None:
        """Draw no points."""
        self.set(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64), {})

    def set(self, x, y, codes, styles: dict) -> None:
        """Draw points at ``x``, ``y`` (m,) in the styles ``styles[codes]`` (``styles``: {code:
        (pen, brush)}), all shown and of the default size. An item whose points stay put is not
        rebuilt (an edit, a new split of the same rows, a new colour: each item's setData
        allocates and styles every one of its points again)."""
        self._x, self._y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self._codes = np.asarray(codes, dtype=np.int64)
        order = np.argsort(self._codes, kind="stable")  # positions grouped by item, in order within each
        by_item = self._codes[order]
        bounds = np.searchsorted(by_item, np.arange(N_STYLES + 1))
        self._index = np.empty(len(order), dtype=np.int64)  # a position's index in its item
        self._index[order] = np.arange(len(order)) - np.searchsorted(by_item, by_item)
        self._rows = [order[bounds[k] : bounds[k + 1]] for k in range(N_STYLES)]
        for k, (item, rows) in enumerate(zip(self.items, self._rows)):
            x, y = self._x[rows], self._y[rows]
            pen, brush = styles.get(k, (item.opts["pen"], item.opts["brush"]))
            restyled = pen != item.opts["pen"] or brush != item.opts["brush"]
            if restyled:
                item.setPen(pen, update=False)
                item.setBrush(brush, update=False)
            item.setVisible(len(rows) > 0)  # an empty item is left out of paints and exports
            if not _holds(item, x, y):
                item.setData(x=x, y=y)
            elif restyled or np.any(item.data["size"] >= 0) or not np.all(item.data["visible"]):
                item.setSize(np.full(len(x), -1.0), update=False)  # -1: the item's size
                item.setPointsVisible(True)  # and the spots are drawn again in their look

    def set_shown(self, shown) -> None:
        """Show the positions where ``shown`` (m,) bool is True, hide the others (None: show all).
        Only items whose points' visibility changes are touched."""
        for item, rows in zip(self.items, self._rows):
            if len(rows):
                visible = np.ones(len(rows), dtype=bool) if shown is None else np.asarray(shown, dtype=bool)[rows]
                if not np.array_equal(item.data["visible"], visible):
                    item.setPointsVisible(visible)

    def set_sizes(self, sizes: np.ndarray | None) -> None:
        """Point diameters in pixels, (m,) one per position; None: all the default size."""
        for item, rows in zip(self.items, self._rows):
            if len(rows):
                item.setSize(np.full(len(rows), self._size) if sizes is None else np.asarray(sizes)[rows])

    def size_at(self, position: int) -> float:
        """The diameter in pixels the point at ``position`` is drawn with."""
        item = self.items[self._codes[position]]
        size = float(item.data["size"][self._index[position]])
        return size if size > 0 else float(item.opts["size"])

    def spots(self) -> Spots:
        """Every position's place and look as drawn, in position order (for checks that should not
        read pyqtgraph's internals)."""
        items = [self.items[k] for k in self._codes]
        return Spots(
            x=self._x.copy(),
            y=self._y.copy(),
            fill=[item.opts["brush"].color().name() for item in items],
            pen=[QPen(item.opts["pen"]) for item in items],
            size=np.array([self.size_at(p) for p in range(len(items))], dtype=np.float64),
            shown=np.array([item.data["visible"][i] for item, i in zip(items, self._index)], dtype=bool),
        )


def _holds(item: pg.ScatterPlotItem, x: np.ndarray, y: np.ndarray) -> bool:
    """True if ``item`` draws exactly the points ``x``, ``y``, in this order."""
    xs, ys = item.getData()
    return len(xs) == len(x) and np.array_equal(xs, x) and np.array_equal(ys, y)
