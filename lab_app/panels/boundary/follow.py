"""The boundary view follows its document (:class:`~lab_app.document.LabDocument`): edits, new
classes, colours, ranges and the column pair on show are drawn as they happen, also when no run
fits the points yet (after File ▸ New, or a point of a new class: drawn plainly, unjudged).

A mixin of :class:`~lab_app.panels.boundary.view.BoundaryView` (put it before ``QWidget``), kept
apart so the view's module stays its public face; it uses the view's ``_doc``, ``_model``,
``_layer``, ``_hover`` and drawing helpers.
"""

from __future__ import annotations

import numpy as np

from lab_app.panels.boundary.grid import Y_RANGE_1D, equal_scale
from lab_app.panels.boundary.heatmap import class_style
from lab_app.widgets.point_sample import POINT_BUDGET
from lab_app.widgets.rows import rows_kept

__all__ = ["DocumentFollower"]


class DocumentFollower:
    """What :class:`~lab_app.panels.boundary.view.BoundaryView` does when its document changes."""

    def _connect_document(self, document) -> None:
        if document is self._doc:
            return
        if self._doc is not None:
            for signal, slot in self._doc_slots():
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        self._doc = document
        if document is not None:
            for signal, slot in self._doc_slots():
                signal.connect(slot)

    def _doc_slots(self):
        d = self._doc
        return [
            (d.rangesChanged, self._on_ranges_changed),
            (d.classesChanged, self._on_classes_changed),
            (d.pointsChanged, self._on_points_changed),
            (d.featureNamesChanged, self._update_decorations),
            (d.viewColumnsChanged, self._on_view_columns_changed),
        ]

    def _on_view_columns_changed(self) -> None:
        """The designer shows another pair of columns: show the same pair (the rest held at the means)."""
        if self._model is None or self._view_pair() == self._columns:
            return
        self._columns = self._view_pair()
        self._layer.place(self._columns, self._one_d)
        self._layer.style(self._qcolors)
        self._layer.draw_rings()
        self._build_grid()
        self._update_decorations()
        self._render(self._last_params, force=True)
        if self._ref is not None:
            self._draw_reference()
        self._draw_pinned()

    def _on_points_changed(self) -> None:
        """The user edited the data: draw the document's points (big data: soon, once per burst)."""
        if self._doc is None:
            return
        if self._model is None:  # no run on show (File ▸ New): the boundary is still the canvas
            self._draw_plain_points()
            return
        if self._doc.n_points > POINT_BUDGET:
            self._edit_redraw.trigger()
        else:
            self._draw_edited_points()

    def _draw_edited_points(self) -> None:
        """Draw the document's points if they still fit this model."""
        if self._model is None or self._doc is None:
            return
        try:
            ds = self._doc.dataset()
        except ValueError:
            return
        if ds.classes != self._model.classes or ds.n_features != self._model.n_inputs:
            self._draw_plain_points()  # a new class or column: drawn, though this model cannot judge it
            return
        layer = self._layer  # the test marks follow moved or relabelled points, never other points
        self.set_data(ds, np.flatnonzero(layer.test_mask) if rows_kept(layer.X, layer.y, ds.X, ds.y) else None)

    def _draw_plain_points(self) -> None:
        """The document's points without a model: class colours, no heatmap, rings or test marks."""
        d = self._doc
        try:
            ds = d.dataset()
        except ValueError:  # no points (or none that make a data set): nothing to draw
            ds = None
        vb = self.plot_item.getViewBox()
        one_d = d.n_dims == 1
        xlim, ylim = (d.xlim, d.ylim) if one_d else equal_scale(d.xlim, d.ylim, (vb.width(), vb.height()))
        vb.setRange(xRange=xlim, yRange=Y_RANGE_1D if one_d else ylim, padding=0)  # the document's plane
        if ds is None or len(ds.y) == 0:
            self._layer.points_item.clear()
            self._hover.show_point(None)
            return
        columns = (0, 1) if one_d or max(d.view_columns) >= ds.n_features else tuple(d.view_columns)
        self._layer.set_data(None, ds, None, columns, one_d, class_style(ds.classes, d).colors)
        self._hover.check_point()

    def _on_classes_changed(self) -> None:
        if self._model is None:
            if self._doc is not None:
                self._draw_plain_points()  # new colours
            return
        self._update_colors()
        y = self._layer.y
        if len(y) and y.max() >= len(self._qcolors):
            # The points on show are the document's new ones with more classes than this run has
            # (a new run is being built in the training thread): draw them plainly until it comes.
            self._draw_plain_points()
            return
        self._layer.style(self._qcolors)
        self._update_decorations()
        self._render(self._last_params, force=True)
