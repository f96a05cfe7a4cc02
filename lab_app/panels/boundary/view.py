"""The decision boundary: what the model predicts everywhere in the view, under the data.

One ``ImageItem`` shows the class probabilities over a 200×200 grid (binary: a diverging map
class-0 colour ↔ white ↔ class-1 colour centred at P = 0.5; more classes: the class colours
blended by probability and faded to white where the model is unsure). The 0.5 contour and the
multi-class boundaries come from ``contourpy`` as NaN-separated polylines in one curve item
(pyqtgraph's ``IsocurveItem`` is ~10× slower, DESIGN.md §6). Training points are filled, test
points hollow, misclassified points ringed. 1-D data show p(x) curves over the points instead.

Every item is created once; :meth:`BoundaryView.show` only evaluates the model when the weights
changed, into the :class:`~engine.model.GridEvaluator`'s buffers, and colours the image in a
preallocated RGBA buffer with ``out=`` arithmetic.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from contourpy import contour_generator
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

from engine.forensics import loss_sizes, losses_from_logits, point_info
from engine.model import GridEvaluator
from engine.network import Workspace, augment
from lab_app.training.probes import GRID_PROBE, POINTS_PROBE, GridProbe
from lab_app.widgets import palette
from lab_app.widgets.plots import AXIS_PEN, TEXT_PEN, make_plot

__all__ = ["GRID_SHAPE", "STRENGTH", "Y_RANGE_1D", "BoundaryView", "binary_lut", "tint"]

GRID_SHAPE = (200, 200)
#: Share of a class colour where the model is certain; the rest is white, so filled points stay visible.
STRENGTH = 0.6
Y_RANGE_1D = (-0.15, 1.15)  # the designer's 1-D y range: points at class levels 0..1
POINT_PX = 9
_NAN_ROW = np.full((1, 2), np.nan)
_INK_RGB = QColor(palette.INK).getRgb()[:3]


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


class BoundaryView(QWidget):
    """Decision regions of the current run's model over its data.

    Attributes
    ----------
    plot_widget, plot_item : the pyqtgraph plot (``plot_item`` for export).
    image_item : the one probability image; contour_item : the 0.5 contour / class boundaries.
    points_item, miss_item : the data (filled = training, hollow = test) and the misclassified rings.
    render_count : how many times the image was recomputed (tests and benchmarks read it).
    grid_probe : the :class:`~lab_app.training.probes.GridProbe` to register with the training controller
        (as ``GRID_PROBE``): snapshots then bring their grid, evaluated in the training thread.
    """

    def __init__(self, parent: QWidget | None = None, grid_shape=GRID_SHAPE):
        super().__init__(parent)
        self.setObjectName("boundaryView")
        self.grid_shape = (int(grid_shape[0]), int(grid_shape[1]))
        self.render_count = 0
        self.grid_probe = GridProbe()
        self.run_info = None
        self._doc = None
        self._model = None
        self._evaluator: GridEvaluator | None = None
        self._columns = (0, 1)  # the inputs the grid varies (the document's view pair)
        self._fixed: tuple | None = None  # the other inputs' values on the grid (the training means)
        self._rgba: np.ndarray | None = None
        self._rect: tuple[float, float, float, float] | None = None
        self._last_params: np.ndarray | None = None
        self._have_image = False
        self._test_mask = np.zeros(0, dtype=bool)
        self._miss_mask = np.zeros(0, dtype=bool)
        self._build_plot()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.plot_widget)
        # Range edits arrive in bursts (wheel zoom in the designer); rebuild the grid once per burst.
        self._regrid_timer = QTimer(self, singleShot=True, interval=0, timeout=self._regrid)

    # ------------------------------------------------------------ public API
    @property
    def last_image(self) -> np.ndarray | None:
        """The current (H, W, 4) uint8 RGBA image (row 0 = bottom), or None before the first render."""
        return self._rgba if self._have_image else None

    @property
    def test_mask(self) -> np.ndarray:
        """(n_points,) bool: points drawn hollow (the run's test split)."""
        return self._test_mask.copy()

    @property
    def misclassified_mask(self) -> np.ndarray:
        """(n_points,) bool: points ringed as misclassified by the last shown weights."""
        return self._miss_mask.copy()

    def set_run(self, run_info, document=None) -> None:
        """Show a new run: ``run_info`` (RunInfo) gives the model template, data and split;
        ``document`` (LabDocument or None) the view range, the mode and the class colours/names."""
        self._connect_document(document)
        self.run_info = run_info
        self._model = run_info.model.copy()
        net = self._model.network
        self._binary = net.n_classes == 2
        self._one_d = self._model.n_inputs == 1
        self._columns = self._view_pair()
        self._fixed = _training_means(run_info) if self._model.n_inputs > 2 else None
        self._last_params = np.empty_like(net.params)
        self._update_colors()
        self._set_data(run_info.dataset, getattr(run_info, "test_idx", None))
        self._build_grid()
        self._update_decorations()
        self._render(run_info.model.network.params, force=True)

    def show(self, snapshot=None) -> None:
        """Render ``snapshot`` (Snapshot: its ``params``); ``show()`` without arguments shows the widget."""
        if snapshot is None:
            super().show()
            return
        self.show_snapshot(snapshot)

    def show_snapshot(self, snapshot) -> bool:
        """Render the weights ``snapshot.params`` (newest wins); returns False when they did not change."""
        if self._model is None:
            return False
        if self._pinned:  # time travel shows an earlier epoch: keep the newest for follow_live()
            self._held = snapshot
            self.liveSnapshotHeld.emit(snapshot)
            return False
        grid, points = self._probed(snapshot)
        return self._render(snapshot.params, probs=grid, point_probs=points)

    def set_data(self, dataset, test_idx=None) -> None:
        """Draw other points (e.g. after the data were re-snapshotted); ``test_idx`` rows are hollow."""
        self._set_data(dataset, test_idx)
        if self._have_image:
            self._update_points(self._last_params)
            self._refresh_insight()

    def overlay_rgba(self):
        """``(rgba, rect)`` for ``DataDesigner.set_overlay(*...)``: a copy of the (H, W, 4) uint8 image
        (row 0 at the bottom) and ``rect = (x0, y0, width, height)`` in data units (pixel edges, so
        pixel centres sit on the grid points); None before the first render."""
        if not self._have_image:
            return None
        return self._rgba.copy(), self._rect

    def probability_curve(self):
        """1-D runs: ``(xs (W,), P (W, n_classes))`` of the last render (copies); else None."""
        if not (self._have_image and self._one_d):
            return None
        return self._evaluator.xs.copy(), self._probs.copy()

    @property
    def threshold(self) -> float | None:
        """1-D linear binary runs: the decision threshold x = −b/w of the last render, else None."""
        return self._threshold_x

    # ------------------------------------------------------------- building
    def _build_plot(self) -> None:
        self.plot_widget, item = make_plot("boundaryPlot")
        self.plot_item = item
        item.setContentsMargins(4, 4, 10, 4)
        vb = item.getViewBox()
        vb.disableAutoRange()
        vb.setMouseEnabled(x=False, y=False)  # the designer owns the view range; this view follows it

        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.contour_item = pg.PlotDataItem(pen=pg.mkPen(palette.INK, width=2), connect="finite", antialias=True)
        self.curve_items = [pg.PlotDataItem(antialias=True) for _ in range(palette.MAX_CLASSES)]
        self.threshold_line = pg.InfiniteLine(
            angle=90,
            movable=False,
            pen=pg.mkPen(palette.INK, width=1.5, style=Qt.PenStyle.DashLine),
            label="x = {value:.3g}",
            labelOpts={"position": 0.88, "color": TEXT_PEN, "fill": pg.mkBrush(255, 255, 255, 210)},
        )
        self.points_item = pg.ScatterPlotItem(size=POINT_PX, symbol="o", antialias=True)
        # The points stay put while the image under them changes ~30 times a second: repaint them
        # from a pixmap (measured: a repaint with 10,000 points 10–12 ms -> 4.5–5.5 ms).
        self.points_item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.miss_item = pg.ScatterPlotItem(
            size=POINT_PX + 7, symbol="o", brush=None, pen=pg.mkPen(palette.INK, width=1.8), antialias=True
        )
        for z, it in enumerate(
            [
                self.image_item,
                self.contour_item,
                *self.curve_items,
                self.threshold_line,
                self.points_item,
                self.miss_item,
            ]
        ):
            it.setZValue(z - 100 if it is self.image_item else z)
            item.addItem(it, ignoreBounds=True)
        for it in [*self.curve_items, self.threshold_line]:
            it.hide()
        self._threshold_x: float | None = None

        # A one-row key above the plot (in the title's place), so it never covers the data.
        self.legend = pg.LegendItem(colCount=8, horSpacing=14, labelTextColor=TEXT_PEN, labelTextSize="9pt")
        item.layout.removeItem(item.titleLabel)
        item.titleLabel.hide()
        item.layout.addItem(self.legend, 0, 1, Qt.AlignmentFlag.AlignHCenter)
        self._legend_samples: list = []
        self._decor_key = None
        self.color_bar: pg.ColorBarItem | None = None  # created for the first binary 2-D run

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

    # ---------------------------------------------------------- grid + data
    def _ranges(self):
        """(xlim, ylim) of the grid: the document's view, else the data plus a margin."""
        if self._doc is not None:
            return tuple(self._doc.xlim), tuple(self._doc.ylim)
        X = self.run_info.dataset.X
        lims = []
        for j in self._columns[: min(2, X.shape[1])]:
            lo, hi = (float(X[:, j].min()), float(X[:, j].max())) if len(X) else (-3.0, 3.0)
            pad = 0.12 * (hi - lo) if hi > lo else 1.0
            lims.append((lo - pad, hi + pad))
        return lims[0], (lims[1] if len(lims) > 1 else Y_RANGE_1D)

    def _build_grid(self) -> None:
        xlim, ylim = self._ranges()
        H, W = self.grid_shape
        self._evaluator = GridEvaluator(self._model, xlim, ylim, shape=(H, W), fixed=self._fixed, columns=self._columns)
        self.grid_probe.spec = (self._evaluator.xlim, self._evaluator.ylim, (H, W), self._columns, self._fixed)
        h = 1 if self._one_d else H
        k = self._model.network.n_classes
        self._ys = np.linspace(*ylim, H)
        self._rgba = np.full((h, W, 4), 255, dtype=np.uint8)
        self._scaled = np.empty((h, W), dtype=np.float32)
        self._index = np.empty((h, W), dtype=np.intp)
        self._ink = np.empty((h * W, 3), dtype=np.float32)
        self._certainty = np.empty((h * W, 1), dtype=np.float32)
        self._top1 = np.empty(h * W, dtype=np.float32)  # largest probability per pixel
        self._top2 = np.empty(h * W, dtype=np.float32)  # second largest
        self._scratch = np.empty(h * W, dtype=np.float32)
        n_fields = 0 if self._one_d else (1 if self._binary else k - 1)
        self._fields = [np.empty((H, W), dtype=np.float64) for _ in range(n_fields)]  # contourpy's dtype
        self._probs = np.empty((W, k), dtype=np.float32) if self._one_d else None
        dx = (xlim[1] - xlim[0]) / max(W - 1, 1)
        if self._one_d:  # one row stretched over the class levels
            y0, y1 = Y_RANGE_1D
            self._rect = (xlim[0] - dx / 2, y0, xlim[1] - xlim[0] + dx, y1 - y0)
            yrange = Y_RANGE_1D
        else:  # pixel centres on the grid points
            dy = (ylim[1] - ylim[0]) / max(H - 1, 1)
            self._rect = (xlim[0] - dx / 2, ylim[0] - dy / 2, xlim[1] - xlim[0] + dx, ylim[1] - ylim[0] + dy)
            yrange = ylim
        self._rect_dirty = True  # applied after the next setImage: setRect scales by the image's size
        self.plot_item.getViewBox().setRange(xRange=xlim, yRange=yrange, padding=0)

    def _on_ranges_changed(self) -> None:
        self._regrid_timer.start()

    def _regrid(self) -> None:
        if self._model is None:
            return
        xlim, ylim = self._ranges()
        ev = self._evaluator
        if (
            ev is not None
            and ev.xlim == tuple(map(float, xlim))
            and ev.columns == self._columns
            and (self._one_d or ev.ylim == tuple(map(float, ylim)))
        ):
            return  # already there (set_run was called for the new range)
        self._build_grid()
        self._render(self._last_params, force=True)

    def _set_data(self, dataset, test_idx) -> None:
        self._dataset = dataset  # the training thread's point probabilities fit only this object
        self._X = np.asarray(dataset.X, dtype=np.float64)
        self._y = np.asarray(dataset.y, dtype=np.int64)
        n = len(self._y)
        self._test_mask = np.zeros(n, dtype=bool)
        if test_idx is not None and len(test_idx) and int(np.max(test_idx)) < n:
            self._test_mask[np.asarray(test_idx, dtype=np.int64)] = True
        self._miss_mask = np.zeros(n, dtype=bool)
        self.miss_item.setData([], [])
        net = self._model.network
        self._pt_inputs = augment(self._model.features(self._X), net.dtype)
        self._pt_workspace = Workspace(net, max(n, 1))
        self._place_points()
        self._style_points()

    def _place_points(self) -> None:
        """Where the points are drawn: the view pair's columns, or (x, class level) for 1-D data."""
        i, j = self._columns
        level = self._y / max(self._model.network.n_classes - 1, 1)
        self._pt_xy = np.column_stack([self._X[:, i], level if self._one_d else self._X[:, j]])

    def _view_pair(self) -> tuple[int, int]:
        """The document's view pair when it fits this run's inputs, else the first two inputs."""
        pair = tuple(self._doc.view_columns) if self._doc is not None else (0, 1)
        return pair if not self._one_d and max(pair) < self._model.n_inputs else (0, 1)

    def _on_view_columns_changed(self) -> None:
        """The designer shows another pair of columns: show the same pair (the rest held at the means)."""
        if self._model is None or self._view_pair() == self._columns:
            return
        self._columns = self._view_pair()
        self._place_points()
        self._style_points()
        self.miss_item.setData(x=self._pt_xy[self._miss_mask, 0], y=self._pt_xy[self._miss_mask, 1])
        self._build_grid()
        self._update_decorations()
        self._render(self._last_params, force=True)
        if self._ref_item is not None:
            self._draw_reference()

    def _on_points_changed(self) -> None:
        """The user edited the data: draw the document's points if they still fit this model."""
        if self._model is None or self._doc is None:
            return
        try:
            ds = self._doc.dataset()
        except ValueError:
            return
        if ds.classes != self._model.classes or ds.n_features != self._model.n_inputs:
            return
        same_rows = ds.n_samples == len(self._y)
        self.set_data(ds, getattr(self.run_info, "test_idx", None) if same_rows else None)

    def _on_classes_changed(self) -> None:
        if self._model is None:
            return
        self._update_colors()
        self._style_points()
        self._update_decorations()
        self._render(self._last_params, force=True)

    # -------------------------------------------------------------- colours
    def _update_colors(self) -> None:
        classes = self._model.classes
        colors, names = [], []
        for i, c in enumerate(classes):
            if self._doc is not None:
                try:
                    info = self._doc.classes[self._doc.class_index(c)]
                    colors.append(QColor(info.color))
                    names.append(info.name)
                    continue
                except (KeyError, IndexError):
                    pass
            colors.append(palette.qcolor(i))
            names.append(_label(c))
        self._qcolors, self._names = colors, names
        rgb = np.array([(c.red(), c.green(), c.blue()) for c in colors], dtype=np.float32)
        self._lut = binary_lut(rgb[0], rgb[-1]) if len(rgb) == 2 else None
        # ink = white − colour: a blend of inks scaled by certainty, subtracted from white.
        self._class_ink = (255.0 - rgb).astype(np.float32)

    def _style_points(self) -> None:
        fills = np.array([pg.mkBrush(c) for c in self._qcolors], dtype=object)
        pens = np.array([pg.mkPen(palette.outline(c), width=1) for c in self._qcolors], dtype=object)
        hollow_pens = np.array([pg.mkPen(c.darker(125), width=2.2) for c in self._qcolors], dtype=object)
        fill, pen = fills[self._y], pens[self._y]
        t = self._test_mask
        fill[t] = pg.mkBrush("w")
        pen[t] = hollow_pens[self._y[t]]
        self.points_item.setData(x=self._pt_xy[:, 0], y=self._pt_xy[:, 1], brush=list(fill), pen=list(pen))

    def _update_decorations(self) -> None:
        """Axis labels, the key and the colour bar (binary 2-D only); rebuilt only when they change."""
        if self._model is None:
            return
        names = list(self._doc.feature_names) if self._doc is not None else list(self._model.input_names)
        names = [names[c] if c < len(names) else f"x{c + 1}" for c in self._columns]
        key = (
            tuple(names),
            tuple(self._names),
            tuple(c.name() for c in self._qcolors),
            self._binary,
            self._one_d,
            bool(self._test_mask.any()),
        )
        if key == self._decor_key:
            return
        self._decor_key = key
        item = self.plot_item
        item.setLabel("bottom", names[0], color=TEXT_PEN)
        if self._one_d:
            item.setLabel("left", "probability  ·  class", color=TEXT_PEN)
        else:
            item.setLabel("left", names[1], color=TEXT_PEN)
        self.legend.clear()
        self._legend_samples = []
        for color, name in zip(self._qcolors, self._names):
            self._add_key(
                pg.ScatterPlotItem(
                    symbol="o", size=POINT_PX, brush=pg.mkBrush(color), pen=pg.mkPen(palette.outline(color), width=1)
                ),
                name,
            )
        if self._test_mask.any():
            self._add_key(
                pg.ScatterPlotItem(symbol="o", size=POINT_PX, brush=pg.mkBrush("w"), pen=pg.mkPen("#777777", width=2)),
                "test",
            )
        self._add_key(
            pg.ScatterPlotItem(symbol="o", size=POINT_PX + 5, brush=None, pen=pg.mkPen(palette.INK, width=1.8)),
            "misclassified",
        )
        if not self._one_d:
            self._add_key(
                pg.PlotDataItem(pen=pg.mkPen(palette.INK, width=2)), "P = 0.5" if self._binary else "boundary"
            )
        self._update_color_bar()

    def _add_key(self, sample, name: str) -> None:
        self._legend_samples.append(sample)  # the legend keeps only a weak hold on the sample's style
        self.legend.addItem(sample, name)

    def _update_color_bar(self) -> None:
        """The diverging colour bar of P(positive class) beside binary 2-D plots; out of the layout otherwise."""
        want = self._binary and not self._one_d
        layout = self.plot_item.layout
        if not want:
            if self.color_bar is not None and self.color_bar.isVisible():
                layout.removeItem(self.color_bar)
                layout.setColumnFixedWidth(4, 0)
                self.color_bar.hide()
            return
        stops = self._lut[[0, 128, 255], :3]
        cmap = pg.ColorMap(pos=[0.0, 0.5, 1.0], color=stops)
        if self.color_bar is None:
            self.color_bar = pg.ColorBarItem(
                values=(0.0, 1.0), colorMap=cmap, interactive=False, width=12, pen=AXIS_PEN, colorMapMenu=False
            )
            axis = self.color_bar.axis
            axis.setPen(pg.mkPen(AXIS_PEN))
            axis.setTextPen(pg.mkPen(TEXT_PEN))
            axis.setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
            self.color_bar.hide()
        else:
            self.color_bar.setColorMap(cmap)
        self.color_bar.axis.setLabel(f"P({self._names[-1]})", color=TEXT_PEN)
        if not self.color_bar.isVisible():
            layout.addItem(self.color_bar, 2, 5)
            layout.setColumnFixedWidth(4, 6)
            self.color_bar.show()

    # ------------------------------------------------------------ rendering
    def _render(self, params, force: bool = False, probs=None, point_probs=None) -> bool:
        """Evaluate ``params`` on the grid and the points (or take ``probs`` and ``point_probs``,
        those probabilities computed in the training thread) and redraw; skipped when they
        equal the last rendered ones."""
        if params is None:
            return False
        if not force and self._have_image and np.array_equal(params, self._last_params):
            return False
        if params is not self._last_params:
            np.copyto(self._last_params, params)
        # (H, W, k) or (W, k) float32
        P = self._evaluator.evaluate(params) if probs is None else probs
        if self._one_d:
            self._probs[...] = P
            P = P[None]
        if self._binary:
            self._color_binary(P[..., 1])
        else:
            self._color_blend(P)
        self.image_item.setImage(self._rgba, autoLevels=False)  # uint8 RGBA: passed through, no levels scan
        if self._rect_dirty:
            self.image_item.setRect(QRectF(*self._rect))
            self._rect_dirty = False
        self._have_image = True
        self.render_count += 1
        if self._one_d:
            self._draw_1d(self._probs)
        else:
            self._draw_contours(P)
        self._update_points(params, point_probs)
        self._refresh_insight()
        return True

    def _probed(self, snapshot):
        """``(grid P, point probabilities)`` the training thread computed for ``snapshot``
        (:mod:`lab_app.training.probes`), each None unless it fits this run's grid and points."""
        extras = getattr(snapshot, "extras", None) or {}
        if getattr(snapshot, "run_id", None) != getattr(self.run_info, "run_id", None):
            return None, None
        grid, points = extras.get(GRID_PROBE), extras.get(POINTS_PROBE)
        k = self._model.network.n_classes
        want = (self.grid_shape[1],) if self._one_d else self.grid_shape
        if grid is not None and (grid.spec != self.grid_probe.spec or grid.P.shape != (*want, k)):
            grid = None
        if points is not None and (points.dataset is not self._dataset or points.proba.shape != (len(self._y), k)):
            points = None
        return (None if grid is None else grid.P), (None if points is None else points.proba)

    def _color_binary(self, p1: np.ndarray) -> None:
        s = self._scaled
        np.multiply(p1, 255.0, out=s)
        np.add(s, 0.5, out=s)  # round half up: index = floor(255·p + 0.5)
        np.copyto(self._index, s, casting="unsafe")
        np.take(self._lut, self._index, axis=0, out=self._rgba)

    def _color_blend(self, P: np.ndarray) -> None:
        k = P.shape[-1]
        flat = P.reshape(-1, k)
        self._top_two(flat)
        c = self._certainty
        np.subtract(self._top1, 1.0 / k, out=c[:, 0])  # certainty = (max P − 1/k) / (1 − 1/k), scaled
        np.multiply(c, STRENGTH / (1.0 - 1.0 / k), out=c)
        ink = self._ink
        np.matmul(flat, self._class_ink, out=ink)  # P @ (white − colours)
        np.multiply(ink, c, out=ink)
        np.subtract(255.5, ink, out=ink)  # + 0.5 rounds on the cast below
        np.copyto(self._rgba.reshape(-1, 4)[:, :3], ink, casting="unsafe")

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

    def _draw_contours(self, P: np.ndarray) -> None:
        xs, ys = self._evaluator.xs, self._ys
        if self._binary:
            np.copyto(self._fields[0], P[..., 1])
            level = 0.5
        else:
            # Class j's region ends where P_j − max_{i≠j} P_i crosses 0; classes 0..k−2 cover every edge.
            # max_{i≠j} P_i is the top probability, or the second one where P_j is the top.
            flat = P.reshape(-1, P.shape[-1])
            gap = self._scratch
            np.subtract(self._top1, self._top2, out=gap)
            for j, field in enumerate(self._fields):
                d = field.reshape(-1)
                np.subtract(flat[:, j], self._top1, out=d)
                np.copyto(d, gap, where=d >= 0.0)
            level = 0.0
        pieces = []
        for z in self._fields:
            for chunk in contour_generator(xs, ys, z, line_type="ChunkCombinedNan").lines(level)[0]:
                if chunk is not None and len(chunk):
                    pieces += [chunk, _NAN_ROW]
        if pieces:
            xy = np.concatenate(pieces)
            self.contour_item.setData(xy[:, 0], xy[:, 1])
        else:
            self.contour_item.setData([], [])

    def _draw_1d(self, probs: np.ndarray) -> None:
        xs = self._evaluator.xs
        k = probs.shape[1]
        curves = (
            [(probs[:, 1], palette.INK)]
            if self._binary
            else [(probs[:, j], palette.outline(self._qcolors[j])) for j in range(k)]
        )
        for j, curve in enumerate(self.curve_items):
            if j < len(curves):
                ys, color = curves[j]
                curve.setPen(pg.mkPen(color, width=2.5))
                curve.setData(xs, ys)
                curve.show()
            else:
                curve.hide()
        self._threshold_x = None
        model = self._model
        if self._binary and model.is_linear and model.feature_names == list(model.input_names):
            model.network.params[...] = self._last_params
            coef, intercept = model.coef_intercept()
            if coef[0, 0] != 0:
                self._threshold_x = float(-intercept[0] / coef[0, 0])
        if self._threshold_x is not None:
            self.threshold_line.show()
            self.threshold_line.setValue(self._threshold_x)
            self.threshold_line.label.valueChanged()  # the label only reformats itself while visible
            self.contour_item.setData([], [])
            return
        self.threshold_line.hide()
        # Elsewhere: vertical marks where the predicted class changes (linear interpolation).
        top = np.argmax(probs, axis=1)
        change = np.flatnonzero(top[1:] != top[:-1])
        if len(change) == 0:
            self.contour_item.setData([], [])
            return
        xm = 0.5 * (xs[change] + xs[change + 1])
        y0, y1 = Y_RANGE_1D
        seg = np.column_stack([xm, np.full_like(xm, y0), xm, np.full_like(xm, y1), xm, np.full_like(xm, np.nan)])
        self.contour_item.setData(seg[:, 0::2].ravel(), seg[:, 1::2].ravel())

    def _update_points(self, params, proba=None) -> None:
        n = len(self._y)
        if n == 0:
            self._miss_mask = np.zeros(0, dtype=bool)
            self.miss_item.setData([], [])
            return
        if proba is not None:  # (n, k) from the training thread
            pred = np.argmax(proba, axis=1)
        else:
            z = self._pt_workspace.forward(self._pt_inputs, params)
            pred = (z[:, 0] > 0) if z.shape[1] == 1 else np.argmax(z, axis=1)
        miss = pred != self._y
        if np.array_equal(miss, self._miss_mask):
            return
        self._miss_mask = miss
        self.miss_item.setData(x=self._pt_xy[miss, 0], y=self._pt_xy[miss, 1])

    # ------------------------------------- the exact optimum (lab_app.panels.reference)
    #: Dashed, grey: drawn over the learner's solid contour, it stays visible where the two meet.
    REFERENCE_PEN = ("#5a5a5a", 2.4)
    _ref_item = None
    _reference = None
    _ref_evaluator = None
    _ref_key = None
    _ref_sample = None

    @property
    def reference_item(self):
        """The dashed optimum curve (a ``PlotDataItem``), or None before the first reference."""
        return self._ref_item

    def set_reference_params(self, params) -> None:
        """Draw the exact optimum dashed: its 0.5 contour (softmax: class boundaries; 1-D: its
        p(x) curves). ``params`` is (n_params,) in the current run's network layout, i.e. the
        optimum in the model's standardized space; None hides it. A new run hides it too."""
        if self._ref_item is None:
            color, width = self.REFERENCE_PEN
            pen = pg.mkPen(color, width=width, style=Qt.PenStyle.DashLine)
            self._ref_item = pg.PlotDataItem(pen=pen, connect="finite", antialias=True)
            self._ref_item.setZValue(self.contour_item.zValue() + 0.5)
            self.plot_item.addItem(self._ref_item, ignoreBounds=True)
            self._ref_sample = pg.PlotDataItem(pen=pen)
            self._regrid_timer.timeout.connect(self._draw_reference)  # follow the view's range
        if params is None or self._model is None:
            self._reference = None
        else:
            self._reference = (self._model, np.array(params, dtype=self._model.network.dtype))
        self._draw_reference()

    def _draw_reference(self) -> None:
        item, ref = self._ref_item, self._reference
        if ref is None or ref[0] is not self._model:  # none, or it belongs to an older run
            item.setData([], [])
            item.hide()
            self.legend.removeItem(self._ref_sample)
            return
        model, params = ref
        xlim, ylim = self._ranges()
        key = (id(model), tuple(xlim), tuple(ylim), self.grid_shape, self._columns)
        if key != self._ref_key:
            self._ref_evaluator = GridEvaluator(
                model, xlim, ylim, shape=self.grid_shape, fixed=self._fixed, columns=self._columns
            )
            self._ref_key = key
        ev = self._ref_evaluator
        P = np.asarray(ev.evaluate(params), dtype=np.float64)
        if model.n_inputs == 1:
            columns = [P[:, -1]] if P.shape[1] == 2 else [P[:, j] for j in range(P.shape[1])]
            xs = np.concatenate([np.append(ev.xs, np.nan) for _ in columns])
            ys = np.concatenate([np.append(c, np.nan) for c in columns])
        else:
            gx, gy = ev.xs, np.linspace(*ylim, self.grid_shape[0])
            if P.shape[-1] == 2:
                fields, level = [P[..., 1]], 0.5
            else:  # class j's region ends where P_j − max_{i≠j} P_i crosses 0
                fields, level = [], 0.0
                for j in range(P.shape[-1] - 1):
                    others = np.delete(P, j, axis=-1).max(axis=-1)
                    fields.append(P[..., j] - others)
            pieces = []
            for z in fields:
                for chunk in contour_generator(gx, gy, z, line_type="ChunkCombinedNan").lines(level)[0]:
                    if chunk is not None and len(chunk):
                        pieces += [chunk, _NAN_ROW]
            xy = np.concatenate(pieces) if pieces else np.empty((0, 2))
            xs, ys = xy[:, 0], xy[:, 1]
        item.setData(xs, ys)
        item.show()
        if not any(getattr(sample, "item", None) is self._ref_sample for sample, _ in self.legend.items):
            self._add_key(self._ref_sample, "optimum")

    # ------------------------- time travel, onion skin, point forensics (lab_app.panels.history)
    #: Emitted instead of rendering while an earlier epoch is pinned (the newest snapshot is kept).
    liveSnapshotHeld = Signal(object)
    #: Grid of the onion-skin contours: coarser than the image, they are faint hints.
    SKIN_SHAPE = (120, 120)
    MAX_SKINS = 8
    #: A hover picks the nearest point within this many pixels.
    HOVER_PX = 12
    _pinned = False
    _held = None
    _live_params = None
    pinned_epoch = None
    _skin_params: tuple = ()
    _skin_items: list | None = None
    _skin_cache: dict | None = None
    _skin_evaluator = None
    _skin_key = None
    _size_by_loss = False
    _hover_on = False
    _hover_index = None
    _hover_items = None
    #: The last hovered point's :class:`~engine.forensics.PointInfo` (None when nothing is hovered).
    hover_info = None

    @property
    def pinned(self) -> bool:
        """True while an earlier epoch is on show (:meth:`show_params`); live snapshots are held."""
        return self._pinned

    @property
    def shown_params(self) -> np.ndarray | None:
        """(n_params,) copy of the weights on show (pinned or newest), None before the first render."""
        return self._last_params.copy() if self._have_image else None

    def show_params(self, params, epoch: int | None = None) -> bool:
        """Pin the view to ``params`` (an earlier epoch's weights): live snapshots are held, not
        drawn, until :meth:`follow_live`. Returns False if there is no run."""
        if self._model is None:
            return False
        if not self._pinned:
            self._pinned = True
            self._live_params = self._last_params.copy()
        self.pinned_epoch = epoch
        return self._render(np.asarray(params))

    def follow_live(self, render: bool = True) -> bool:
        """Unpin and draw the newest snapshot held meanwhile (or the weights shown before pinning).
        ``render=False`` only unpins (a new run is about to be set)."""
        if not self._pinned:
            return False
        held, live = self._held, self._live_params
        self._pinned, self._held, self._live_params, self.pinned_epoch = False, None, None, None
        params = held.params if held is not None else live
        if not render or self._model is None or params is None or params.shape != self._last_params.shape:
            return False
        return self._render(params)

    def set_onion_skins(self, params_list) -> None:
        """Faint 0.5 contours (softmax: class boundaries; 1-D: p(x) curves) of earlier weights,
        oldest first and faintest; ``[]`` clears them. At most :attr:`MAX_SKINS` are drawn."""
        self._skin_params = tuple(np.asarray(p) for p in list(params_list)[-self.MAX_SKINS :])
        self._draw_onion_skins()

    @property
    def onion_items(self) -> list:
        """The onion-skin curve items (``PlotDataItem``), drawn or not."""
        return list(self._skin_items or [])

    def set_size_by_loss(self, on: bool) -> None:
        """Size points by their loss −log P(true class) under the weights on show (or not)."""
        self._size_by_loss = bool(on)
        self._apply_loss_sizes()

    def point_losses(self) -> np.ndarray | None:
        """(n_points,) loss −log P(true class) of each point under the weights on show."""
        if not self._have_image or not len(self._y):
            return None
        z = self._pt_workspace.forward(self._pt_inputs, self._last_params)
        return losses_from_logits(z, self._y)

    def set_hover_enabled(self, on: bool) -> None:
        """Show a point's logit, probabilities, loss and gradient norm when the mouse is over it."""
        on = bool(on)
        if on == self._hover_on:
            return
        self._hover_on = on
        scene = self.plot_widget.scene()
        if on:
            if self._hover_items is None:
                label = pg.TextItem(
                    anchor=(0, 1), color=TEXT_PEN, fill=pg.mkBrush(255, 255, 255, 235), border=pg.mkPen("#9a9a9a")
                )
                ring = pg.ScatterPlotItem(
                    size=POINT_PX + 10, symbol="o", brush=None, pen=pg.mkPen("#D55E00", width=2.2), antialias=True
                )
                for z, it in ((60, ring), (61, label)):
                    it.setZValue(z)
                    it.hide()
                    self.plot_item.addItem(it, ignoreBounds=True)
                self._hover_items = (label, ring)
            scene.sigMouseMoved.connect(self._on_hover_moved)
        else:
            scene.sigMouseMoved.disconnect(self._on_hover_moved)
            self.hover_point(None)

    @property
    def hover_label(self):
        """The hover's ``pg.TextItem`` (None until hovering is enabled)."""
        return self._hover_items[0] if self._hover_items else None

    def hover_point(self, index: int | None):
        """Show the forensics of point ``index`` (None hides them); returns its PointInfo."""
        n = len(self._y) if self._model is not None else 0
        self._hover_index = index if index is not None and 0 <= index < n and self._have_image else None
        return self._update_hover()

    # insight internals
    def _refresh_insight(self) -> None:
        """After every render: redraw what depends on the weights on show (cheap when all off)."""
        if self._skin_params:
            self._draw_onion_skins()
        if self._size_by_loss:
            self._apply_loss_sizes()
        if self._hover_index is not None:
            self._update_hover()

    def _draw_onion_skins(self) -> None:
        if self._skin_items is None:
            if not self._skin_params:
                return
            self._skin_items = []
        params = self._skin_params if self._model is not None and self._have_image else ()
        params = [p for p in params if p.shape == self._last_params.shape]
        while len(self._skin_items) < len(params):
            item = pg.PlotDataItem(connect="finite", antialias=True)
            item.setZValue(self.contour_item.zValue() - 0.5)
            self.plot_item.addItem(item, ignoreBounds=True)
            self._skin_items.append(item)
        if params:
            ev = self._evaluator
            key = (id(self._model), ev.xlim, ev.ylim, ev.columns)
            if key != self._skin_key:
                self._skin_evaluator = GridEvaluator(
                    self._model, ev.xlim, ev.ylim, shape=self.SKIN_SHAPE, fixed=self._fixed, columns=ev.columns
                )
                self._skin_key, self._skin_cache = key, {}
        n = len(params)
        for i, item in enumerate(self._skin_items):
            if i >= n:
                item.setData([], [])
                item.hide()
                continue
            p = params[i]
            cache_key = p.tobytes()
            xy = self._skin_cache.get(cache_key)
            if xy is None:
                if len(self._skin_cache) > 64:
                    self._skin_cache.clear()
                xy = self._skin_cache[cache_key] = self._skin_lines(p)
            alpha = int(round(45 + 125 * (i + 1) / n))  # oldest faintest
            item.setPen(pg.mkPen(QColor(*_INK_RGB, alpha), width=1.4))
            item.setData(xy[:, 0], xy[:, 1])
            item.show()

    def _skin_lines(self, params) -> np.ndarray:
        """(m, 2) NaN-separated polyline of ``params``'s decision boundary (1-D: its p(x) curves)."""
        ev = self._skin_evaluator
        P = np.asarray(ev.evaluate(params), dtype=np.float64)
        if self._one_d:
            cols = [P[:, 1]] if self._binary else [P[:, j] for j in range(P.shape[1])]
            return np.concatenate([np.column_stack([np.append(ev.xs, np.nan), np.append(c, np.nan)]) for c in cols])
        if self._binary:
            fields, level = [P[..., 1]], 0.5
        else:  # class j's region ends where P_j − max_{i≠j} P_i crosses 0
            fields, level = [P[..., j] - np.delete(P, j, axis=-1).max(axis=-1) for j in range(P.shape[-1] - 1)], 0.0
        ys = np.linspace(*ev.ylim, ev.shape[0])
        pieces = [np.empty((0, 2))]
        for z in fields:
            for chunk in contour_generator(ev.xs, ys, z, line_type="ChunkCombinedNan").lines(level)[0]:
                if chunk is not None and len(chunk):
                    pieces += [chunk, _NAN_ROW]
        return np.concatenate(pieces)

    def _apply_loss_sizes(self) -> None:
        if self._model is None:
            return
        loss = self.point_losses() if self._size_by_loss else None
        if loss is None:  # per-point sizes stay until replaced, so set them all (a scalar would not)
            self.points_item.setSize(np.full(len(self._y), float(POINT_PX)))
            self.miss_item.setSize(np.full(int(self._miss_mask.sum()), POINT_PX + 7.0))
            return
        sizes = loss_sizes(loss)
        self.points_item.setSize(sizes)
        self.miss_item.setSize(sizes[self._miss_mask] + 7)

    def _on_hover_moved(self, scene_pos) -> None:
        vb = self.plot_item.getViewBox()
        if self._model is None or not len(self._y) or not vb.sceneBoundingRect().contains(scene_pos):
            if self._hover_index is not None:
                self.hover_point(None)
            return
        p = vb.mapSceneToView(scene_pos)
        px, py = vb.viewPixelSize()
        d2 = ((self._pt_xy[:, 0] - p.x()) / px) ** 2 + ((self._pt_xy[:, 1] - p.y()) / py) ** 2
        i = int(np.argmin(d2))
        index = i if d2[i] <= self.HOVER_PX**2 else None
        if index != self._hover_index:
            self.hover_point(index)

    def _update_hover(self):
        if self._hover_items is None:
            return None
        label, ring = self._hover_items
        i = self._hover_index
        if i is None:
            self.hover_info = None
            label.hide()
            ring.hide()
            return None
        info = point_info(self._model, self._last_params, self._X[i], self._y[i], i)
        self.hover_info = info
        names = list(self._doc.feature_names) if self._doc is not None else list(self._model.input_names)
        split = "test" if self._test_mask[i] else "training"
        label.setHtml(f'<div style="font-size:9pt">{info.html(self._names, names[: self._X.shape[1]], split)}</div>')
        x, y = self._pt_xy[i]
        (x0, x1), (y0, y1) = self.plot_item.getViewBox().viewRange()
        label.setAnchor((0 if x < (x0 + x1) / 2 else 1, 1 if y < (y0 + y1) / 2 else 0))
        label.setPos(x, y)
        size = float(self.points_item.data["size"][i]) if i < len(self.points_item.data) else -1.0
        ring.setData([x], [y], size=(size if size > 0 else POINT_PX) + 10)
        label.show()
        ring.show()
        return info


def _training_means(run_info) -> tuple[float, ...]:
    """The mean of each raw input over the run's training split (all rows without one): the values
    the grid holds the inputs it does not show at."""
    X = np.asarray(run_info.dataset.X, dtype=np.float64)
    idx = np.asarray(getattr(run_info, "train_idx", ()), dtype=np.int64)
    rows = X[idx] if len(idx) else X
    return tuple(float(v) for v in rows.mean(axis=0)) if len(rows) else (0.0,) * X.shape[1]


def _label(value) -> str:
    """A class label as users read it: integral floats without ".0"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
