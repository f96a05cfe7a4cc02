"""The boundary view as a canvas: the shared drawing tools over it, its mouse turned into edits."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF

from lab_app.widgets.drawing.class_bar import ClassBar
from lab_app.widgets.drawing.gestures import Gestures, display_xy, view_to_viewport, viewport_to_view
from lab_app.widgets.drawing.toolbar import build_toolbar
from lab_app.widgets.point_sample import nearest_row

__all__ = ["CanvasMixin"]


class CanvasMixin:
    """Drawing on :class:`~lab_app.panels.boundary.view.BoundaryView` (put it before ``QWidget``):
    uses the view's ``plot_widget``, ``plot_item``, ``miss_item``, ``_layer`` and ``_layout``.
    The view's ``eventFilter`` hands the viewport's events to ``_gestures`` once drawing is on."""

    def _init_canvas(self) -> None:
        self.tools = None  # the shared DrawingTools once drawing is enabled
        self._gestures: Gestures | None = None
        self.coords_label = None  # the pointer's coordinates show in the designer only

    def enable_drawing(self, tools) -> None:
        """Draw into ``tools.document`` on this view (place, brush, erase, drag, select) with ``tools``,
        the :class:`~lab_app.widgets.drawing.tools.DrawingTools` the designer shares, under a tool
        bar (``boundaryToolBar``) and class row of its own."""
        if self.tools is not None:
            raise RuntimeError("drawing is already enabled")
        self.tools = tools
        bar, self.spread_spin = build_toolbar(tools, "boundary", self)
        self.class_bar = ClassBar(tools, "boundary", bar)
        bar.addSeparator()
        bar.addWidget(self.class_bar)
        self._layout.insertWidget(0, bar)
        tools.attach(self)
        self._gestures = Gestures(self, z=self.miss_item.zValue() + 1)

    @property
    def view_box(self) -> pg.ViewBox:
        return self.plot_item.getViewBox()

    def data_to_widget_pos(self, x: float, y: float) -> QPoint:
        """Pixel position of data (x, y) in ``plot_widget.viewport()`` (where mouse events go)."""
        return view_to_viewport(self.plot_widget, x, y)

    def widget_pos_to_data(self, pos: QPoint | QPointF) -> tuple[float, float]:
        """Inverse of :meth:`data_to_widget_pos`."""
        return viewport_to_view(self.plot_widget, pos)

    def nearest_point(self, x: float, y: float, max_px: float) -> int | None:
        """The document's shown point nearest on screen to (``x``, ``y``) within ``max_px`` pixels,
        drawn or not (what a gesture hits; hidden test points cannot be hit); None if none is that close."""
        xy = display_xy(self.tools.document)
        layer = self._layer
        hidden = layer.test_mask if not layer.test_shown and len(layer) == len(xy) else None
        return nearest_row(xy[:, 0], xy[:, 1], x, y, self.view_box.viewPixelSize(), max_px, hidden)

    def hideEvent(self, event) -> None:
        if self._gestures is not None:
            self._gestures.finish()  # an open undo macro would swallow every later edit
        super().hideEvent(event)
