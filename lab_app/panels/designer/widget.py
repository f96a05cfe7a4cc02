"""The Data designer widget: one pyqtgraph plot of the document's labelled points, with its tool bar,
class row and range boxes. The mouse gestures, the tools and their keys, the tool bar and the class
row are :mod:`lab_app.widgets.drawing`'s, shared with the decision boundary view (one tool, one
class, one selection for both).

The panel is a view of :class:`~lab_app.document.LabDocument`: it redraws on the document's signals
and changes data only through the document's edit methods, so every gesture lands on the undo stack
(one gesture, one step).  It also shows what training produced — a boundary image, test/misclassified
marks, the 1-D probability curve — through ``set_*`` methods the main window calls; none of that is
document state. The wheel (zoom) and the middle button (pan) reach pyqtgraph; the new view range
is written back to the document.

Data with more than two columns (imports) show one pair at a time: two combo boxes under the plot
choose it (``LabDocument.set_view_columns``); the axes are named after the pair.

Just over 500 lines: one widget's public face (points, range boxes, column pair, training marks);
its gestures, tools and class row already live in :mod:`lab_app.widgets.drawing`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QBrush
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from lab_app.document import MAX_CLASSES, MIN_CLASSES, LabDocument
from lab_app.tasks import Debouncer
from lab_app.widgets import palette
from lab_app.widgets.drawing.class_bar import ClassBar
from lab_app.widgets.drawing.gestures import Gestures, display_xy, view_to_viewport, viewport_to_view
from lab_app.widgets.drawing.toolbar import build_toolbar
from lab_app.widgets.drawing.tools import TOOLS, DrawingTools
from lab_app.widgets.plots import make_plot
from lab_app.widgets.point_sample import POINT_BUDGET, capped, drawn_rows, nearest_row
from lab_app.widgets.rows import rows_kept
from lab_app.widgets.styled_scatter import StyledScatter, class_codes, class_styles

__all__ = ["POINT_PX", "TOOLS", "Y_RANGE_1D", "DataDesigner"]

POINT_PX = 9  # marker diameter
Y_RANGE_1D = (-0.15, 1.15)


class DataDesigner(QWidget):
    """Draw labelled points into ``document``; tools Place (P), Brush (B), Erase (E), Select (S).

    ``tools`` is the :class:`~lab_app.widgets.drawing.tools.DrawingTools` the window's canvases
    share (default: the designer's own).
    """

    def __init__(self, document: LabDocument, parent: QWidget | None = None, tools: DrawingTools | None = None):
        super().__init__(parent)
        self.setObjectName("dataDesigner")
        self._doc = document
        self.tools = tools if tools is not None else DrawingTools(document, (MIN_CLASSES, MAX_CLASSES), self)
        self._rows = (document.X, document.labels)  # the points the marks (test, misclassified) describe
        self._test_mask: np.ndarray | None = None
        self._test_shown = True  # False: the test split's points are hidden
        self._miscl_mask: np.ndarray | None = None
        self._drawn = np.zeros(0, dtype=np.int64)  # rows the points item draws
        self._redraw = Debouncer(0, self._draw_points, parent=self)  # big data: see _refresh_points
        self._updating_ranges = False

        self._build_plot()
        self._build_layout()
        self.tools.attach(self)
        self._gestures = Gestures(self, z=self._rings.zValue() + 1)
        # The designer itself filters the viewport, not a separate object: the viewport dies inside
        # the designer's destructor, when PySide no longer calls the designer's Python eventFilter; a
        # separate filter would still be called then, on half-destroyed widgets (a segfault seen here).
        self.plot_widget.viewport().installEventFilter(self)

        document.pointsChanged.connect(self._on_points_changed)
        document.classesChanged.connect(self._on_classes_changed)
        document.modeChanged.connect(self._on_mode_changed)
        document.rangesChanged.connect(self._on_ranges_changed)
        document.featureNamesChanged.connect(self._update_axis_labels)
        document.featureNamesChanged.connect(self._sync_view_combos)
        document.viewColumnsChanged.connect(self._on_view_columns_changed)
        self.tools.selectionChanged.connect(self._refresh_points)
        self._on_classes_changed()
        self._on_mode_changed(document.mode)
        # The canvas first, so digit keys pick a class instead of typing into the spread box.
        QWidget.setTabOrder(self.plot_widget, self.spread_spin)
        self.plot_widget.setFocus()

    # ------------------------------------------------------------ public API
    @property
    def document(self) -> LabDocument:
        return self._doc

    @property
    def view_box(self) -> pg.ViewBox:
        return self.plot_widget.getPlotItem().getViewBox()

    @property
    def tool(self) -> str:
        return self.tools.tool

    def set_tool(self, tool: str) -> None:
        self.tools.set_tool(tool)

    @property
    def tool_actions(self) -> dict[str, QAction]:
        """Checkable tool actions by tool name (shortcuts P, B, E, S)."""
        return dict(self.tools.actions.tools)

    @property
    def select_all_action(self) -> QAction:
        """Ctrl+A while a canvas has focus.  Put this action in the Edit menu rather than a second
        Ctrl+A action: two actions with one shortcut are ambiguous in Qt and then neither fires."""
        return self.tools.actions.select_all

    @property
    def class_actions(self) -> tuple[QAction, ...]:
        """Keys 1–9: the current class. They act while a canvas has focus; a main window that
        lists them in a menu makes them window-wide (``Qt.ShortcutContext.WindowShortcut``): a
        digit typed into a number field still types the digit, since text fields take it first."""
        return self.tools.actions.classes

    @property
    def delete_action(self) -> QAction:
        """Delete/Backspace: remove the selected points (same advice as :attr:`select_all_action`)."""
        return self.tools.actions.delete

    @property
    def relabel_action(self) -> QAction:
        """R: give the selected points the current class."""
        return self.tools.actions.relabel

    @property
    def brush_spread(self) -> float:
        """Standard deviation of the brush spray, in data units."""
        return self.tools.brush_spread

    def selection(self) -> np.ndarray:
        """Indices of the selected points, ascending."""
        return self.tools.selection()

    def set_selection(self, indices) -> None:
        self.tools.set_selection(indices)

    def select_all(self) -> None:
        self.tools.select_all()

    def clear_selection(self) -> None:
        self.tools.clear_selection()

    def delete_selected(self) -> None:
        self.tools.delete_selected()

    def relabel_selected(self) -> None:
        self.tools.relabel_selected()

    def set_test_mask(self, mask) -> None:
        """Draw points where ``mask`` (n,) is True hollow (the held-out test split); None: none."""
        self._test_mask = self._checked_mask(mask)
        self._refresh_points()

    def set_test_points_shown(self, on: bool) -> None:
        """Draw the test split's points (hollow), or hide them (and their rings)."""
        if bool(on) != self._test_shown:
            self._test_shown = bool(on)
            self._refresh_points()

    def visible_points_mask(self) -> np.ndarray:
        """(n_points,) bool: the points shown now (all but a hidden test split's), drawn or not."""
        hidden = self._hidden_mask()
        return np.ones(self._doc.n_points, dtype=bool) if hidden is None else ~hidden

    @property
    def drawn_rows(self) -> np.ndarray:
        """Rows the points item draws, in its order: every point up to
        :data:`~lab_app.widgets.point_sample.POINT_BUDGET`, else a fixed share plus the selected
        and misclassified ones (:func:`~lab_app.widgets.point_sample.drawn_rows`)."""
        self._redraw.flush()
        return self._drawn.copy()

    def drawn_spots(self):
        """The drawn rows' places and looks, in :attr:`drawn_rows` order (a
        :class:`~lab_app.widgets.styled_scatter.Spots`)."""
        self._redraw.flush()
        return self._points.spots()

    def nearest_point(self, x: float, y: float, max_px: float) -> int | None:
        """The shown point nearest on screen to (``x``, ``y``) (data units) within ``max_px``
        pixels, drawn or not; None if there is none that close. Every tool picks through this."""
        xy = self.display_xy()
        return nearest_row(xy[:, 0], xy[:, 1], x, y, self.view_box.viewPixelSize(), max_px, self._hidden_mask())

    def set_misclassified(self, mask) -> None:
        """Ring the points where ``mask`` (n,) is True (misclassified by the model); None: none."""
        self._miscl_mask = self._checked_mask(mask)
        self._refresh_points()

    def set_overlay(self, rgba: np.ndarray | None, rect=None) -> None:
        """Show ``rgba`` (H, W, 4) uint8 under the points over ``rect = (x0, y0, width, height)``.

        Row 0 is the bottom row (y = y0), as a grid built with ``np.linspace(y0, y1, H)`` comes out.
        """
        if rgba is None:
            self._overlay.hide()
            return
        self._overlay.setImage(rgba, autoLevels=False, levels=(0, 255))
        if rect is not None:
            self._overlay.setRect(QRectF(*[float(v) for v in rect]))
        self._overlay.show()

    def set_curve(self, xs, ps, colors=None) -> None:
        """1-D mode: draw p(x).  ``ps`` (n,) is one curve (the positive class, drawn in ink);
        (n, k) one per class, coloured by ``colors`` (one per column, e.g.
        ``document.colors_for(model.classes)``, since engine order may differ) or the document's."""
        if xs is None:
            for c in self._curves:
                c.hide()
            return
        ps = np.asarray(ps, dtype=np.float64)
        ps = ps[:, None] if ps.ndim == 1 else ps
        if colors is None:
            colors = [palette.INK] if ps.shape[1] == 1 else [c.color for c in self._doc.classes]
        for j, curve in enumerate(self._curves):
            if j < ps.shape[1]:
                color = colors[j] if ps.shape[1] == 1 else palette.outline(colors[j])
                curve.setPen(pg.mkPen(color, width=2.5))
                curve.setData(np.asarray(xs, dtype=np.float64), ps[:, j])
                curve.setVisible(self._doc.mode == "1d")
            else:
                curve.hide()

    def set_threshold(self, x: float | None) -> None:
        """1-D mode: mark the decision threshold x = −b/w with a vertical line; None hides it."""
        if x is None or not np.isfinite(x):
            self._threshold.hide()
        else:
            self._threshold.setValue(float(x))
            self._threshold.setVisible(self._doc.mode == "1d")

    def display_xy(self) -> np.ndarray:
        """(n, 2) where points are drawn: stored coordinates, or (x, class level) in 1-D mode."""
        return display_xy(self._doc)

    def data_to_widget_pos(self, x: float, y: float) -> QPoint:
        """Pixel position in ``plot_widget.viewport()`` (the widget that receives mouse events)."""
        return view_to_viewport(self.plot_widget, x, y)

    def widget_pos_to_data(self, pos: QPoint | QPointF) -> tuple[float, float]:
        """Inverse of :meth:`data_to_widget_pos` (viewport pixels to data coordinates)."""
        return viewport_to_view(self.plot_widget, pos)

    def fit_to_data(self) -> None:
        self._doc.fit_ranges()

    # ------------------------------------------------------------- building
    def _build_plot(self) -> None:
        self.plot_widget, item = make_plot("designerPlot", grid=0.12)
        self.plot_widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFocusProxy(self.plot_widget)  # focusing the panel focuses the canvas: keys work at once
        vb = self.view_box
        vb.setMouseMode(pg.ViewBox.PanMode)  # only middle drags reach it; left and right are ours
        vb.disableAutoRange()
        vb.sigRangeChangedManually.connect(self._on_view_range_changed_by_user)

        # Items are created once; afterwards only their data changes.
        self._overlay = pg.ImageItem(axisOrder="row-major")
        self._overlay.setZValue(-100)
        self._overlay.hide()
        self._halo = pg.ScatterPlotItem(size=POINT_PX + 10, pen=None, brush=palette.qcolor(palette.INK, 85))
        # One scatter item per class and fill (a restyle: a few ms per 10,000 points, not ~40; the
        # styles, not the rows, set which point is drawn over which), each repainted from a pixmap
        # unless its points change (the overlay under them is redrawn ~30 times a second while training).
        self._points = StyledScatter(POINT_PX)
        self._rings = pg.ScatterPlotItem(size=POINT_PX + 7, brush=None, pen=pg.mkPen(palette.INK, width=1.8))
        self._curves = [pg.PlotCurveItem() for _ in range(MAX_CLASSES)]
        self._threshold = pg.InfiniteLine(angle=90, pen=pg.mkPen(palette.INK, width=1.5, style=Qt.PenStyle.DashLine))
        # Read-only handles on the drawn items (exports and tests look at them; only this widget changes them).
        self.points_item, self.threshold_item, self.overlay_item = self._points, self._threshold, self._overlay
        self.curve_items = self._curves
        for z, it in enumerate(
            [
                self._overlay,
                *self._curves,
                self._threshold,
                self._halo,
                self._points,
                self._rings,
            ]
        ):
            it.setZValue(z - 100 if it is self._overlay else z)
            vb.addItem(it, ignoreBounds=True)
        for it in [*self._curves, self._threshold]:
            it.hide()

    def _build_layout(self) -> None:
        tools, self.spread_spin = build_toolbar(self.tools, "designer", self)
        self.class_bar = ClassBar(self.tools, "designer", self)
        self._class_buttons = self.class_bar.buttons  # the same list, kept in step by the bar

        self.coords_label = QLabel(objectName="designerCoords")
        self.coords_label.setMinimumWidth(150)
        self.coords_label.setStyleSheet("color: #444;")
        # The pair of columns on show, for data with more than two (hidden otherwise).
        self.view_pair_box = QWidget(objectName="designerViewPair")
        pair = QHBoxLayout(self.view_pair_box)
        pair.setContentsMargins(0, 0, 0, 0)
        pair.setSpacing(3)
        self.view_x_combo = QComboBox(objectName="designerViewX")
        self.view_y_combo = QComboBox(objectName="designerViewY")
        for axis, combo in (("x", self.view_x_combo), ("y", self.view_y_combo)):
            combo.setToolTip(f"The column shown along {axis}; the others are hidden (new points get their means)")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.activated.connect(self._on_view_combo)
            pair.addWidget(QLabel(f"{axis}:"))
            pair.addWidget(combo)
        self.view_pair_box.hide()
        self._range_spins = {}
        bottom = QHBoxLayout()
        bottom.addWidget(self.coords_label)
        bottom.addWidget(self.view_pair_box)
        bottom.addStretch(1)
        for axis in ("x", "y"):
            label = QLabel(axis)
            bottom.addWidget(label)
            for end in ("min", "max"):
                spin = QDoubleSpinBox(
                    objectName=f"designer{axis.upper()}{end.title()}",
                    decimals=2,
                    minimum=-1e6,
                    maximum=1e6,
                    singleStep=0.5,
                    keyboardTracking=False,
                )
                spin.setToolTip(f"{axis} axis {end}imum")
                spin.setFixedWidth(76)
                spin.valueChanged.connect(self._on_range_spin)
                bottom.addWidget(spin)
                self._range_spins[axis, end] = spin
            self._range_spins[axis, "label"] = label
        self.fit_action = QAction("Fit to data", self, objectName="designerFitRanges")
        self.fit_action.setToolTip("Set the axis ranges to the data")
        self.fit_action.triggered.connect(self.fit_to_data)
        fit = QToolButton(objectName="designerFitButton")
        fit.setDefaultAction(self.fit_action)
        bottom.addWidget(fit)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addWidget(tools)
        layout.addWidget(self.class_bar)
        layout.addWidget(self.plot_widget, 1)
        layout.addLayout(bottom)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # ------------------------------------------------------- document signals
    def _on_points_changed(self) -> None:
        X, labels = self._doc.X, self._doc.labels
        kept = rows_kept(*self._rows, X, labels)
        self._rows = (X, labels)
        if not kept:  # rows were added, removed or replaced: old indices mean other points now
            self._test_mask = self._miscl_mask = None
        self._refresh_points()

    def _on_classes_changed(self) -> None:
        classes = self._doc.classes
        self._styles = class_styles(
            [QBrush(c.qcolor()) for c in classes],
            [pg.mkPen(palette.outline(c.color), width=1) for c in classes],
            [pg.mkPen(c.qcolor(), width=2.2) for c in classes],
        )
        self._n_styled = len(classes)
        self._refresh_points()
        self._update_axis_labels()

    def _on_mode_changed(self, mode: str) -> None:
        one_d = mode == "1d"
        self.view_box.setMouseEnabled(x=True, y=not one_d)  # 1-D: the wheel zooms x only
        for key in (("y", "min"), ("y", "max"), ("y", "label")):
            self._range_spins[key].setVisible(not one_d)
        for it in [*self._curves, self._threshold]:
            if not one_d:
                it.hide()
        self._update_axis_labels()
        self._sync_view_combos()
        self._on_ranges_changed()
        self._refresh_points()

    def _on_view_columns_changed(self) -> None:
        self._sync_view_combos()
        self._update_axis_labels()
        self._refresh_points()

    def _sync_view_combos(self) -> None:
        """The combo boxes show the document's columns and pair (visible for more than two columns)."""
        doc = self._doc
        names = list(doc.column_names)
        for combo, column in zip((self.view_x_combo, self.view_y_combo), doc.view_columns):
            was = combo.blockSignals(True)
            if [combo.itemText(k) for k in range(combo.count())] != names:
                combo.clear()
                combo.addItems(names)
            combo.setCurrentIndex(column)
            combo.blockSignals(was)
        self.view_pair_box.setVisible(len(names) > 2 and doc.mode == "2d")

    def _on_view_combo(self, _index: int) -> None:
        """Show the chosen pair; choosing the other axis' column swaps the two."""
        i, j = self.view_x_combo.currentIndex(), self.view_y_combo.currentIndex()
        old_i, old_j = self._doc.view_columns
        if i == j:
            i, j = (i, old_i) if i != old_i else (old_j, j)
        self._doc.set_view_columns(i, j)
        self._sync_view_combos()

    def _on_ranges_changed(self) -> None:
        doc = self._doc
        ylim = Y_RANGE_1D if doc.mode == "1d" else doc.ylim
        self._updating_ranges = True
        try:
            self.view_box.setRange(xRange=doc.xlim, yRange=ylim, padding=0)
            for axis, lim in (("x", doc.xlim), ("y", doc.ylim)):
                for end, value in zip(("min", "max"), lim):
                    self._range_spins[axis, end].setValue(value)
        finally:
            self._updating_ranges = False

    def _update_axis_labels(self) -> None:
        doc = self._doc
        item = self.plot_widget.getPlotItem()
        names = doc.view_names  # both names, also in 1-D mode
        item.setLabel("bottom", names[0])
        if doc.mode == "1d" and doc.n_classes == 2:  # the curve is p of the positive (last) class
            item.setLabel("left", f"P({doc.label_name} = {doc.classes[-1].name} | {names[0]})")
        elif doc.mode == "1d":
            item.setLabel("left", f"P(class | {names[0]})")
        else:
            item.setLabel("left", names[1])

    # ----------------------------------------------------------- view -> doc
    def _on_view_range_changed_by_user(self, _mask) -> None:
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        if self._doc.mode == "1d":
            self._doc.set_ranges((x0, x1))
        else:
            self._doc.set_ranges((x0, x1), (y0, y1))

    def _on_range_spin(self, _value: float) -> None:
        if self._updating_ranges:
            return
        s = {key: spin.value() for key, spin in self._range_spins.items() if isinstance(spin, QDoubleSpinBox)}
        xlim, ylim = (s["x", "min"], s["x", "max"]), (s["y", "min"], s["y", "max"])
        if xlim[0] < xlim[1] and ylim[0] < ylim[1]:
            self._doc.set_ranges(xlim, ylim)
        else:  # an impossible range (min >= max): show the document's again
            self._on_ranges_changed()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is not self.plot_widget.viewport():
            return super().eventFilter(obj, event)
        return self._gestures.handle(event)

    def hideEvent(self, event) -> None:
        self._gestures.finish()  # a gesture must never stay open: an open undo macro would swallow every later edit
        super().hideEvent(event)

    # --------------------------------------------------------------- drawing
    def _refresh_points(self) -> None:
        """Redraw the points: small data at once; big data once per turn of the event loop, however
        many changes asked for it (an import or an opened session asks three times, each redraw of
        the sample tens of ms on the GUI thread)."""
        if self._doc.n_points > POINT_BUDGET:
            self._redraw.trigger()
        else:
            self._redraw.cancel()
            self._draw_points()

    def _draw_points(self) -> None:
        doc = self._doc
        if self._n_styled != doc.n_classes:  # a replace signalled points before classes
            self._on_classes_changed()  # rebuilds the colours, then calls back here
            return
        labels = doc.labels
        n = len(labels)
        sel = self.tools.selection_mask
        sel = sel if len(sel) == n else np.zeros(n, dtype=bool)
        # Masks of a previous run may not fit yet: documents signal classes before points.
        test = self._test_mask if self._test_mask is not None and len(self._test_mask) == n else None
        miss = self._miscl_mask if self._miscl_mask is not None and len(self._miscl_mask) == n else None
        hidden = test if test is not None and not self._test_shown else None
        if miss is not None and hidden is not None:
            miss = miss & ~hidden
        self._drawn = rows = drawn_rows(n, (sel, miss))
        xy = self.display_xy()
        hollow = test[rows] if test is not None else None  # white fill, thick class-coloured outline
        self._points.set(xy[rows, 0], xy[rows, 1], class_codes(labels[rows], hollow), self._styles)
        self._points.set_shown(~hidden[rows] if hidden is not None else None)
        halo = capped(np.flatnonzero(sel), n)
        self._halo.setData(x=xy[halo, 0], y=xy[halo, 1])
        ring = capped(np.flatnonzero(miss), n) if miss is not None else np.zeros(0, dtype=np.int64)
        self._rings.setData(x=xy[ring, 0], y=xy[ring, 1])

    def _hidden_mask(self) -> np.ndarray | None:
        """(n_points,) bool of the points hidden now (the test split while it is hidden), or None."""
        test = self._test_mask
        if self._test_shown or test is None or len(test) != self._doc.n_points:
            return None
        return test

    # --------------------------------------------------------------- helpers
    def _checked_mask(self, mask) -> np.ndarray | None:
        if mask is None:
            return None
        mask = np.asarray(mask, dtype=bool).reshape(-1)
        if len(mask) != self._doc.n_points:
            raise ValueError(f"mask has {len(mask)} entries for {self._doc.n_points} points")
        return mask
