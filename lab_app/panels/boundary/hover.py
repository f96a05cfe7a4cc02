"""The hover card: a point's logit, probabilities, loss and gradient norm while the pointer is over it."""

from __future__ import annotations

import weakref

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QTimer

from lab_app.panels.boundary.points import POINT_PX
from lab_app.widgets.plots import TEXT_PEN

__all__ = ["HOVER_PX", "HoverCard"]

#: A hover picks the nearest point within this many pixels.
HOVER_PX = 12
#: Mouse moves arrive in storms: the nearest point is looked up at most this often, always for
#: the newest position (pyqtgraph's own move signal drops moves that come too fast, the last one too).
PICK_MS = 16


class HoverCard(QObject):
    """A text card and a ring on the hovered point of a :class:`~lab_app.panels.boundary.points.PointLayer`.

    The card only ever shows a point that is there now: it hides when the pointer leaves the plot,
    and :meth:`refresh` (after every data change and render) drops it when its row no longer holds
    the point it was opened on (the point was erased, or rows were inserted or removed before it).

    Parameters
    ----------
    plot_widget, plot_item : the boundary's plot (the card and the ring are added to it).
    layer : the points (their inputs, drawn positions and sizes).
    describe : ``describe(i) -> (PointInfo, html)`` of point ``i`` under the weights on show.
    """

    def __init__(self, plot_widget, plot_item, layer, describe, parent: QObject | None = None):
        super().__init__(parent)
        self._widget, self._plot, self._layer = plot_widget, plot_item, layer
        # Weak: a bound method of the view would make a reference cycle with it, leaving the view and
        # its document to Python's cyclic collector (see lab_app.panels.designer.gestures.Gestures).
        self._describe = weakref.WeakMethod(describe)
        self._enabled = False
        self._items = None
        self._x: np.ndarray | None = None  # the hovered point's inputs: what its row must still hold
        self._pointer = None  # the newest pointer position (viewport pixels), not yet looked up
        self._pick_timer = QTimer(self, singleShot=True, interval=PICK_MS, timeout=self._pick)
        #: The hovered point's row (None when nothing is hovered).
        self.index: int | None = None
        #: Its :class:`~engine.forensics.PointInfo` (None when nothing is hovered).
        self.info = None

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def label(self):
        """The card's ``pg.TextItem`` (None until hovering is first enabled)."""
        return self._items[0] if self._items else None

    def set_enabled(self, on: bool) -> None:
        """Follow the pointer (fed by :meth:`handle`), or stop and hide the card."""
        self._enabled = bool(on)
        if self._enabled and self._items is None:
            label = pg.TextItem(
                anchor=(0, 1), color=TEXT_PEN, fill=pg.mkBrush(255, 255, 255, 235), border=pg.mkPen("#9a9a9a")
            )
            ring = pg.ScatterPlotItem(
                size=POINT_PX + 10, symbol="o", brush=None, pen=pg.mkPen("#D55E00", width=2.2), antialias=True
            )
            for z, it in ((60, ring), (61, label)):
                it.setZValue(z)
                it.hide()
                self._plot.addItem(it, ignoreBounds=True)
            self._items = (label, ring)
        if not self._enabled:
            self._pick_timer.stop()
            self.show_point(None)

    def handle(self, event: QEvent) -> None:
        """An event of the plot's viewport: a move looks up the point under the pointer (soon);
        leaving the plot, or the plot hiding, hides the card at once."""
        if not self._enabled:
            return
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            self._pointer = event.position()
            if not self._pick_timer.isActive():
                self._pick_timer.start()
        elif kind in (QEvent.Type.Leave, QEvent.Type.Hide):
            self._pointer = None
            self._pick_timer.stop()
            self.show_point(None)

    def show_point(self, index: int | None, valid: bool = True):
        """Show point ``index``'s card (None, or ``valid`` False, hides it); returns its PointInfo."""
        ok = valid and index is not None and 0 <= index < len(self._layer)
        self.index = index if ok else None
        self._x = self._layer.X[index].copy() if ok else None
        return self.refresh()

    def check_point(self) -> None:
        """After every change of the points: hide the card if its row no longer holds its point
        (the point was erased or moved, or rows were inserted or removed before it)."""
        i = self.index
        if i is not None and not (i < len(self._layer) and np.array_equal(self._layer.X[i], self._x)):
            self.show_point(None)

    def refresh(self):
        """Redraw the card for the weights on show; returns its PointInfo (None when hidden)."""
        self.check_point()
        i = self.index
        if self._items is None:
            return None
        label, ring = self._items
        if i is None:
            self.info = None
            label.hide()
            ring.hide()
            return None
        self.info, html = self._describe()(i)
        label.setHtml(f'<div style="font-size:9pt">{html}</div>')
        x, y = self._layer.xy[i]
        (x0, x1), (y0, y1) = self._plot.getViewBox().viewRange()
        label.setAnchor((0 if x < (x0 + x1) / 2 else 1, 1 if y < (y0 + y1) / 2 else 0))
        label.setPos(x, y)
        ring.setData([x], [y], size=self._layer.size_of(i) + 10)
        label.show()
        ring.show()
        return self.info

    def _pick(self) -> None:
        """Show the point nearest to the newest pointer position (within HOVER_PX), or none."""
        if self._pointer is None:
            return
        vb = self._plot.getViewBox()
        scene_pos = self._widget.mapToScene(self._pointer.toPoint())
        index = None
        if len(self._layer) and vb.sceneBoundingRect().contains(scene_pos):
            p = vb.mapSceneToView(scene_pos)
            index = self._layer.nearest(p.x(), p.y(), vb.viewPixelSize(), HOVER_PX)
        if index != self.index:
            self.show_point(index)
