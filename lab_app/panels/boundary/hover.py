"""The hover card: a point's logit, probabilities, loss and gradient norm while the pointer is over it."""

from __future__ import annotations

import pyqtgraph as pg

from lab_app.panels.boundary.points import POINT_PX
from lab_app.widgets.plots import TEXT_PEN

__all__ = ["HOVER_PX", "HoverCard"]

#: A hover picks the nearest point within this many pixels.
HOVER_PX = 12


class HoverCard:
    """A text card and a ring on the hovered point of a :class:`~lab_app.panels.boundary.points.PointLayer`.

    Parameters
    ----------
    plot_widget, plot_item : the boundary's plot (the card and the ring are added to it).
    layer : the points (their drawn positions and sizes).
    describe : ``describe(i) -> (PointInfo, html)`` of point ``i`` under the weights on show, or
        None when there is nothing to describe (no run, no image yet).
    """

    def __init__(self, plot_widget, plot_item, layer, describe):
        self._widget, self._plot, self._layer, self._describe = plot_widget, plot_item, layer, describe
        self._enabled = False
        self._items = None
        #: The hovered point's row (None when nothing is hovered).
        self.index: int | None = None
        #: Its :class:`~engine.forensics.PointInfo` (None when nothing is hovered).
        self.info = None

    @property
    def label(self):
        """The card's ``pg.TextItem`` (None until hovering is first enabled)."""
        return self._items[0] if self._items else None

    def set_enabled(self, on: bool) -> None:
        """Follow the pointer (or stop, hiding the card)."""
        on = bool(on)
        if on == self._enabled:
            return
        self._enabled = on
        scene = self._widget.scene()
        if on:
            if self._items is None:
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
            scene.sigMouseMoved.connect(self._on_mouse_moved)
        else:
            scene.sigMouseMoved.disconnect(self._on_mouse_moved)
            self.show_point(None)

    def show_point(self, index: int | None, valid: bool = True):
        """Show point ``index``'s card (None, or ``valid`` False, hides it); returns its PointInfo."""
        ok = valid and index is not None and 0 <= index < len(self._layer)
        self.index = index if ok else None
        return self.refresh()

    def refresh(self):
        """Redraw the card of the hovered point (the weights on show changed); returns its PointInfo."""
        if self._items is None:
            return None
        label, ring = self._items
        i = self.index
        described = None if i is None else self._describe(i)
        if described is None:
            self.info = None
            label.hide()
            ring.hide()
            return None
        self.info, html = described
        label.setHtml(f'<div style="font-size:9pt">{html}</div>')
        x, y = self._layer.xy[i]
        (x0, x1), (y0, y1) = self._plot.getViewBox().viewRange()
        label.setAnchor((0 if x < (x0 + x1) / 2 else 1, 1 if y < (y0 + y1) / 2 else 0))
        label.setPos(x, y)
        ring.setData([x], [y], size=self._layer.size_of(i) + 10)
        label.show()
        ring.show()
        return self.info

    def _on_mouse_moved(self, scene_pos) -> None:
        vb = self._plot.getViewBox()
        if not len(self._layer) or not vb.sceneBoundingRect().contains(scene_pos):
            if self.index is not None:
                self.show_point(None)
            return
        p = vb.mapSceneToView(scene_pos)
        index = self._layer.nearest(p.x(), p.y(), vb.viewPixelSize(), HOVER_PX)
        if index != self.index:
            self.show_point(index)
