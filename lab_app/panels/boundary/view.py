"""The decision boundary widget: what the model predicts everywhere in the view, under the data.

One ``ImageItem`` shows the class probabilities over a 200×200 grid (:mod:`.grid`; binary: a
diverging map class-0 colour ↔ white ↔ class-1 colour centred at P = 0.5; more classes: the class
colours blended by probability and faded to white where the model is unsure, :mod:`.heatmap`). The
decision contour (P = 0.5, or the threshold :meth:`BoundaryView.set_threshold` is given) and the
multi-class boundaries are NaN-separated polylines in one curve item. Training points are filled,
test points hollow, misclassified points ringed (:mod:`.points`). 1-D data show p(x) curves over
the points instead (:mod:`.overlays`, with the onion skins and the reference optimum other panels
ask for); :mod:`.hover` is the hover card, :mod:`.decorations` the key.

Every item is created once; :meth:`BoundaryView.show` only evaluates the model when the weights
changed, into the :class:`~engine.model.GridEvaluator`'s buffers, and colours the image in a
preallocated RGBA buffer with ``out=`` arithmetic.

It is also a canvas (:mod:`.canvas`): ``enable_drawing`` puts the shared drawing tools
(:mod:`lab_app.widgets.drawing`: tool bar, class row, gestures) over it, and the plane on show
keeps one scale on both axes (:func:`.grid.equal_scale`), rebuilt as the plot is resized.

About 680 lines: this module is the widget's public face (run, frame, threshold, discretize,
test-point visibility, skins, pinned and reference contours, hover) and their wiring; following the document's edits lives in :mod:`.follow` and the drawing
itself in the modules named above. Splitting the public methods further would scatter one
widget's API.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRectF, QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from engine.forensics import point_info
from engine.model import GridEvaluator
from lab_app.panels.boundary.canvas import CanvasMixin
from lab_app.panels.boundary.decorations import Decorations
from lab_app.panels.boundary.follow import DocumentFollower
from lab_app.panels.boundary.grid import (
    Y_RANGE_1D,
    BoundaryGrid,
    data_ranges,
    equal_scale,
    grid_probabilities,
    training_means,
)
from lab_app.panels.boundary.heatmap import class_style
from lab_app.panels.boundary.hover import HoverCard
from lab_app.panels.boundary.overlays import (
    OneDCurves,
    OnionSkins,
    PinnedContours,
    ReferenceContour,
    class_change_marks,
    linear_threshold,
)
from lab_app.panels.boundary.points import PointLayer
from lab_app.tasks import Debouncer, TaskRunner
from lab_app.training.probes import GRID_PROBE, POINTS_PROBE, GridProbe
from lab_app.widgets import palette
from lab_app.widgets.plots import make_plot

__all__ = ["GRID_SHAPE", "Y_RANGE_1D", "BoundaryView"]

GRID_SHAPE = (200, 200)
#: Big data: edits are redrawn at most this often, each in its own turn of the event loop (after
#: the designer has drawn the edit), so a drag over a million points never stacks redraws.
EDIT_REDRAW_MS = 40
#: Weights × grid points above which a new grid (zoom, pan, a resize) is evaluated in a background
#: thread: about 10–20 ms of the GUI thread (an MLP (16, 16) stays below, (32, 32) goes above).
GRID_COST_IN_THREAD = 20_000_000


class BoundaryView(CanvasMixin, DocumentFollower, QWidget):
    """Decision regions of the current run's model over its data.

    Attributes
    ----------
    plot_widget, plot_item : the pyqtgraph plot (``plot_item`` for export).
    image_item : the one probability image; contour_item : the contour at P = threshold (binary) / class boundaries.
    points_item, miss_item : the data (filled = training, hollow = test; see :meth:`drawn_spots`) and the misclassified rings.
    curve_items, threshold_line : 1-D runs' p(x) curves and decision threshold.
    grid_probe : the :class:`~lab_app.training.probes.GridProbe` to register with the training controller
        (as ``GRID_PROBE``): snapshots then bring their grid, evaluated in the training thread.
    """

    #: The probability image was recomputed (new weights, grid or colours).
    imageRendered = Signal()

    def __init__(self, parent: QWidget | None = None, grid_shape=GRID_SHAPE):
        super().__init__(parent)
        self.setObjectName("boundaryView")
        self.grid_shape = (int(grid_shape[0]), int(grid_shape[1]))
        self.grid_probe = GridProbe()
        self.run_info = None
        self._doc = None
        self._model = None
        self._evaluator: GridEvaluator | None = None
        self._columns = (0, 1)  # the inputs the grid varies (the document's view pair)
        self._fixed: tuple | None = None  # the other inputs' values on the grid (the training means)
        self._grid: BoundaryGrid | None = None
        self._last_params: np.ndarray | None = None
        self._have_image = False
        self._size_by_loss = False
        self._discrete = False  # hard class regions instead of probabilities
        self._threshold = 0.5  # P(class 1) of binary runs' drawn decision contour
        self._init_canvas()
        self._build_plot()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._layout.setSpacing(2)
        self._layout.addWidget(self.plot_widget, 1)
        # Range edits arrive in bursts (wheel zoom in the designer, resizing); rebuild the grid once per burst.
        self._regrid_timer = QTimer(self, singleShot=True, interval=0, timeout=self._regrid)
        self._regrid_timer.timeout.connect(self._draw_pinned)  # pinned boundaries follow the range
        self._edit_redraw = Debouncer.throttle(EDIT_REDRAW_MS, self._draw_edited_points, parent=self)
        self._first_render = Debouncer(0, self._render_unless_drawn, parent=self)  # see set_run
        self.plot_item.getViewBox().sigResized.connect(self._on_ranges_changed)  # the plane keeps one scale
        self._fit_timer = QTimer(self, singleShot=True, interval=0, timeout=self._fit_key_now)
        # The view itself filters the viewport (hover and drawing), not a helper: the viewport dies
        # inside the view's destructor, when PySide no longer calls the view's Python eventFilter.
        self.plot_widget.viewport().installEventFilter(self)

    # ------------------------------------------------------------ public API
    @property
    def grid_evaluator(self) -> GridEvaluator | None:
        """The evaluator of the grid on show: its ``xlim``, ``ylim``, ``xs`` and the ``columns`` it varies."""
        return self._evaluator

    @property
    def last_image(self) -> np.ndarray | None:
        """The current (H, W, 4) uint8 RGBA image (row 0 = bottom), or None before the first render."""
        return self._grid.painter.rgba if self._have_image else None

    @property
    def test_mask(self) -> np.ndarray:
        """(n_points,) bool: points drawn hollow (the run's test split)."""
        return self._layer.test_mask.copy()

    @property
    def drawn_rows(self) -> np.ndarray:
        """Rows the points item draws, in its order: every point up to
        :data:`~lab_app.widgets.point_sample.POINT_BUDGET`, else a fixed share (the rings mark every
        misclassified point, drawn or not, up to the same budget)."""
        return self._layer.drawn.copy()

    def drawn_spots(self):
        """The drawn rows' places and looks, in :attr:`drawn_rows` order (a
        :class:`~lab_app.widgets.styled_scatter.Spots`)."""
        return self.points_item.spots()

    @property
    def misclassified_mask(self) -> np.ndarray:
        """(n_points,) bool: points ringed as misclassified by the last shown weights."""
        return self._layer.miss_mask.copy()

    def set_run(self, run_info, document=None, *, first_frame_follows: bool = False) -> None:
        """Show a new run: ``run_info`` (RunInfo) gives the model template, data and split;
        ``document`` (LabDocument or None) the view range, the mode and the class colours/names.

        ``first_frame_follows``: the run's first snapshot comes next, with the grid's probabilities
        computed in the training thread; the heatmap is drawn from it then (or, if none came, at
        the next turn of the event loop), not evaluated here first: an MLP over the grid costs
        the GUI thread tens of ms."""
        self._connect_document(document)
        self.run_info = run_info
        self._model = run_info.model.copy()
        net = self._model.network
        self._one_d = self._model.n_inputs == 1
        if not self._one_d:  # a 2-D run after a 1-D one: its curves must not stay on show (or in exports)
            self._curves.hide()
        self._columns = self._view_pair()
        self._fixed = training_means(run_info) if self._model.n_inputs > 2 else None
        self._last_params = np.array(net.params)  # the weights on show until a snapshot brings others
        self._update_colors()
        self._set_data(run_info.dataset, getattr(run_info, "test_idx", None))
        self._build_grid()
        self._update_decorations()
        if first_frame_follows:
            self._have_image = False
            self._first_render.trigger()
        else:
            self._render(self._last_params, force=True)
        self._draw_pinned()

    def clear(self) -> None:
        """No run on show (File → New): no heatmap, contour, points, curves, skins or optimum."""
        self.hover_point(None)
        self.run_info, self._model, self._have_image = None, None, False
        self.image_item.clear()
        self.contour_item.setData([], [])
        self._curves.hide()
        self._skins.set_params([])
        if self._ref is not None:
            self._ref.clear()
        self._pinned.clear()
        self._point_runner.cancel(quiet=True)
        self._layer.points_item.clear()
        self._layer.miss_item.setData([], [])
        if self._doc is not None:
            self._draw_plain_points()

    def show(self, snapshot=None) -> None:
        """Render ``snapshot`` (Snapshot: its ``params``); ``show()`` without arguments shows the widget."""
        if snapshot is None:
            super().show()
            return
        self.show_snapshot(snapshot)

    def show_snapshot(self, snapshot, *, background: bool = False) -> bool:
        """Render the weights ``snapshot.params`` (newest wins); returns False when they did not change.

        ``background``: weights that come without the grid's probabilities (a recorded epoch) of
        a costly model are evaluated in a background thread and drawn when that is done (the
        window's frames; an export needs its image drawn at once)."""
        if self._model is None:
            return False
        grid, points = self._probed(snapshot)
        if background and grid is None and self._grid_is_costly():
            if self._have_image and np.array_equal(snapshot.params, self._last_params):
                return False
            self._evaluate_in_background(snapshot.params, points)
            return True
        return self._render(snapshot.params, probs=grid, points=points)

    def set_data(self, dataset, test_idx=None) -> None:
        """Draw other points (e.g. after the data were re-snapshotted); ``test_idx`` rows are hollow."""
        self._set_data(dataset, test_idx)
        self._update_decorations()  # the "test" key comes and goes with the test points
        if self._have_image:
            self._layer.update_misclassified(self._last_params, threshold=self._threshold)
            self._refresh_insight()

    def set_split(self, dataset, test_idx) -> None:
        """The run now trains on ``dataset`` (edited points, split afresh into ``test_idx``): draw that
        split if ``dataset`` holds the points on show; otherwise a newer edit is on its way."""
        self._edit_redraw.flush()  # an edit not drawn yet is drawn first, so its rows are compared
        layer = self._layer
        if self._model is not None and np.array_equal(layer.X, dataset.X) and np.array_equal(layer.y, dataset.y):
            self.set_data(dataset, test_idx)

    def overlay_rgba(self):
        """``(rgba, rect)`` for ``DataDesigner.set_overlay(*...)``: a copy of the (H, W, 4) uint8 image
        (row 0 at the bottom) and ``rect = (x0, y0, width, height)`` in data units (pixel edges, so
        pixel centres sit on the grid points); None before the first render."""
        if not self._have_image:
            return None
        return self._grid.painter.rgba.copy(), self._grid.rect

    def probability_curve(self):
        """1-D runs: ``(xs (W,), P (W, n_classes))`` of the last render (copies); else None."""
        if not (self._have_image and self._one_d):
            return None
        return self._evaluator.xs.copy(), self._grid.probs.copy()

    @property
    def threshold(self) -> float | None:
        """1-D linear binary runs: the decision threshold x = −b/w of the last render, else None."""
        return self._curves.threshold

    @property
    def legend(self) -> pg.LegendItem:
        return self._decor.legend

    @property
    def color_bar(self) -> pg.ColorBarItem | None:
        """The colour bar of binary 2-D runs (None before the first one)."""
        return self._decor.color_bar

    @property
    def shown_params(self) -> np.ndarray | None:
        """(n_params,) copy of the weights on show, None before the first render."""
        return self._last_params.copy() if self._have_image else None

    @property
    def decision_threshold(self) -> float:
        """The probability P(class 1) at which binary runs' decision contour is drawn (default ½)."""
        return self._threshold

    def set_threshold(self, t: float) -> None:
        """Draw binary runs' decision contour (1-D: the threshold and class marks) at P(class 1) = ``t``
        instead of ½, and ring the points on its wrong side; softmax runs keep their class boundaries.
        The model is not evaluated on the grid again: only the contour is traced anew."""
        t = float(t)
        if t == self._threshold:
            return
        self._threshold = t
        if self._model is None or not self._have_image or self._model.network.n_classes != 2:
            return
        if self._discrete and (self._one_d or not self._repaint_discrete()):
            self._render(self._last_params, force=True)  # the hard regions move with the threshold
            self._update_decorations()
            return
        if self._one_d:
            self._draw_1d(self._grid.probs)
            self._layer.rethreshold(self._last_params, t)
            return
        xy = self._grid.painter.relevel(self._evaluator.xs, self._grid.ys, t)
        if xy is not None:
            self._set_contour(xy)
        self._update_decorations()  # the key names the contour's P
        self._layer.rethreshold(self._last_params, t)  # the rings follow the contour

    @property
    def discretized(self) -> bool:
        """True while the image shows hard class regions (each pixel its predicted class's colour)."""
        return self._discrete

    def set_discretized(self, on: bool) -> None:
        """Colour each pixel by its predicted class at full tint (binary: P(class 1) ≥ the threshold),
        or (off) by the probabilities."""
        on = bool(on)
        if on == self._discrete:
            return
        self._discrete = on
        if self._model is not None and self._have_image:
            self._render(self._last_params, force=True)
            self._update_decorations()  # no probability colour bar over hard regions

    def _repaint_discrete(self) -> bool:
        """2-D binary runs: repaint the hard regions at the threshold from the last probabilities."""
        rgba = self._grid.painter.repaint_discrete(self._threshold, self._class_ink)
        if rgba is None:
            return False
        self.image_item.setImage(rgba, autoLevels=False)
        self.imageRendered.emit()
        return True

    def set_test_points_shown(self, on: bool) -> None:
        """Draw the run's test points (hollow), or hide them and their rings."""
        self._layer.show_test(on)
        if self._model is not None:
            self._update_decorations()  # the key lists "test" only while test points are drawn

    @property
    def visible_points_mask(self) -> np.ndarray:
        """(n_points,) bool: the points drawn now."""
        return self._layer.visible_mask

    # ------------------------- onion skin, size by loss, hover (lab_app.panels.history)
    def set_onion_skins(self, params_list) -> None:
        """Faint 0.5 contours (softmax: class boundaries; 1-D: p(x) curves) of earlier weights,
        oldest first and faintest; ``[]`` clears them. At most ``OnionSkins.MAX_SKINS`` are drawn."""
        self._skins.set_params(params_list)
        self._draw_onion_skins()

    @property
    def onion_items(self) -> list:
        """The onion-skin curve items (``PlotDataItem``), drawn or not."""
        return list(self._skins.items)

    def set_size_by_loss(self, on: bool) -> None:
        """Size points by their loss −log P(true class) under the weights on show (or not)."""
        self._size_by_loss = bool(on)
        self._apply_loss_sizes()

    def point_losses(self) -> np.ndarray | None:
        """(n_points,) loss −log P(true class) of each point under the weights on show."""
        if not self._have_image or not len(self._layer):
            return None
        return self._layer.losses(self._last_params)

    def set_hover_enabled(self, on: bool) -> None:
        """Show a point's logit, probabilities, loss and gradient norm when the mouse is over it."""
        if bool(on) != self._hover.enabled:
            self._hover.set_enabled(on)

    @property
    def hover_label(self):
        """The hover's ``pg.TextItem`` (None until hovering is enabled)."""
        return self._hover.label

    @property
    def hover_info(self):
        """The hovered point's :class:`~engine.forensics.PointInfo` (None when nothing is hovered)."""
        return self._hover.info

    def hover_point(self, index: int | None):
        """Show the forensics of point ``index`` (None hides them); returns its PointInfo."""
        return self._hover.show_point(index, valid=self._model is None or self._have_image)

    # ------------------------- the exact optimum (lab_app.panels.reference)
    @property
    def reference_item(self):
        """The dashed optimum curve (a ``PlotDataItem``), or None before the first reference."""
        return self._ref.item if self._ref is not None else None

    def set_reference_params(self, params) -> None:
        """Draw the exact optimum dashed: its 0.5 contour (softmax: class boundaries; 1-D: its
        p(x) curves). ``params`` is (n_params,) in the current run's network layout, i.e. the
        optimum in the model's standardized space; None hides it. A new run hides it too."""
        if self._ref is None:
            self._ref = ReferenceContour(self.plot_item, self.contour_item.zValue() + 0.5)
            self._regrid_timer.timeout.connect(self._draw_reference)  # follow the view's range
        self._ref.set(self._model, params)
        self._draw_reference()

    # ------------------------- pinned runs (lab_app.training.pinned)
    def set_pinned(self, runs) -> None:
        """Draw each pinned run's (``PinnedRun``) decision boundary dashed in its colour, where its
        model takes the inputs and classes of the run on show."""
        self._pinned.set_runs(runs)
        self._draw_pinned()

    def set_pinned_shown(self, on: bool) -> None:
        """Show the pinned runs' boundaries (View ▸ Show pinned boundaries) or hide them."""
        self._pinned.shown = bool(on)
        self._draw_pinned()

    @property
    def pinned_items(self) -> list:
        """The pinned runs' dashed curves (``PlotDataItem``), one per pinned run, drawn or not."""
        return [contour.item for contour in self._pinned.contours]

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.plot_widget.viewport():
            self._hover.handle(event)
            if self._gestures is not None and self._gestures.handle(event):
                return True
        return super().eventFilter(obj, event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_key()

    def _fit_key(self) -> None:
        """Wrap the key once the plot's layout has settled (after a resize or a new key)."""
        self._fit_timer.start()

    def _fit_key_now(self) -> None:
        self._decor.fit_to(self.plot_widget)

    # ------------------------------------------------------------- building
    def _build_plot(self) -> None:
        self.plot_widget, item = make_plot("boundaryPlot")
        self.plot_item = item
        item.setContentsMargins(4, 4, 10, 4)
        vb = item.getViewBox()
        vb.disableAutoRange()
        vb.setMouseEnabled(x=False, y=False)  # the document owns the view range; this view follows it

        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(-100)
        self.contour_item = pg.PlotDataItem(pen=pg.mkPen(palette.INK, width=2), connect="finite", antialias=True)
        self.contour_item.setZValue(1)
        for it in (self.image_item, self.contour_item):
            item.addItem(it, ignoreBounds=True)
        self._curves = OneDCurves(item, z=2)
        self.curve_items, self.threshold_line = self._curves.curve_items, self._curves.threshold_line
        # Big data: which points the weights misclassify is worked out off the GUI thread.
        self._point_runner = TaskRunner(self, name="logit-lab-points")
        self._layer = PointLayer(self._point_runner)
        self._point_runner.resultReady.connect(self._on_point_logits)
        self._grid_runner = TaskRunner(self, name="logit-lab-grid")  # a new grid of a costly model (see _regrid)
        self._grid_runner.resultReady.connect(self._on_grid_probabilities)
        self.points_item, self.miss_item = self._layer.points_item, self._layer.miss_item
        for dz, it in enumerate((self.points_item, self.miss_item), start=1):
            it.setZValue(self._curves.z_top + dz)
            item.addItem(it, ignoreBounds=True)
        self._decor = Decorations(item)
        self._skins = OnionSkins(item, z=self.contour_item.zValue() - 0.5)
        self._ref: ReferenceContour | None = None  # created by the first set_reference_params
        self._pinned = PinnedContours(item, z=self.contour_item.zValue() + 0.25)
        self._hover = HoverCard(self.plot_widget, item, self._layer, self._describe_point, parent=self)

    # ---------------------------------------------------------- grid + data
    def _ranges(self):
        """(xlim, ylim) of the grid, the plane on show: the document's view, else the data plus a
        margin, widened along one axis so that both axes have one scale on screen (1-D: as they are)."""
        if self._doc is not None:
            xlim, ylim = tuple(self._doc.xlim), tuple(self._doc.ylim)
        else:
            xlim, ylim = data_ranges(self.run_info.dataset.X, self._columns)
        if self._one_d:
            return xlim, ylim
        vb = self.plot_item.getViewBox()
        return equal_scale(xlim, ylim, (vb.width(), vb.height()))

    def _build_grid(self) -> None:
        xlim, ylim = self._ranges()
        self._grid = grid = BoundaryGrid(self._model, xlim, ylim, self.grid_shape, self._fixed, self._columns)
        self._evaluator = grid.evaluator
        self.grid_probe.spec = grid.spec
        self._rect_dirty = True  # applied after the next setImage: setRect scales by the image's size
        self.plot_item.getViewBox().setRange(xRange=xlim, yRange=grid.yrange, padding=0)

    def _on_ranges_changed(self) -> None:
        self._regrid_timer.start()

    def _regrid(self) -> None:
        if self._model is None:
            if self._doc is not None:
                self._draw_plain_points()  # the document's new range
            return
        if self._grid is not None and self._grid.covers(*self._ranges(), self._columns):
            return  # already there (set_run was called for the new range)
        self._build_grid()
        if self._grid_is_costly():  # an MLP over the grid: tens of ms; the old image stays until then
            self._evaluate_in_background(self._last_params)
        else:
            self._render(self._last_params, force=True)

    def _grid_is_costly(self) -> bool:
        """Evaluating the model on the grid costs the GUI thread more than a frame's worth."""
        H, W = self.grid_shape
        return self._model.network.params.size * (W if self._one_d else H * W) > GRID_COST_IN_THREAD

    def _evaluate_in_background(self, params, points=None) -> None:
        """Evaluate ``params`` on the grid in a background thread; drawn when done, unless something
        is drawn before (:meth:`_render` drops the task)."""
        self._grid_runner.start(grid_probabilities, self._model.copy(), self._grid, np.array(params), points)

    def _on_grid_probabilities(self, result) -> None:
        """A background evaluation of the grid is done: draw it, if the grid is still the one on show."""
        params, grid, P, points = result
        if grid is self._grid and self._model is not None:
            self._render(params, force=True, probs=P, points=points)

    def _set_data(self, dataset, test_idx) -> None:
        self._layer.set_data(self._model, dataset, test_idx, self._columns, self._one_d, self._qcolors)
        self._hover.check_point()  # a point index is checked against the new rows at once

    def _view_pair(self) -> tuple[int, int]:
        """The document's view pair when it fits this run's inputs, else the first two inputs."""
        pair = tuple(self._doc.view_columns) if self._doc is not None else (0, 1)
        return pair if not self._one_d and max(pair) < self._model.n_inputs else (0, 1)

    # -------------------------------------------------------------- colours
    def _update_colors(self) -> None:
        style = class_style(self._model.classes, self._doc)
        self._qcolors, self._names, self._lut, self._class_ink = style.colors, style.names, style.lut, style.ink

    def _feature_names(self) -> list[str]:
        return list(self._doc.feature_names) if self._doc is not None else list(self._model.input_names)

    def _update_decorations(self) -> None:
        """Axis labels, the key and the colour bar (binary 2-D only); rebuilt only when they change."""
        if self._model is None:
            return
        names = self._feature_names()
        names = [names[c] if c < len(names) else f"x{c + 1}" for c in self._columns]
        has_test = bool(self._layer.test_mask.any()) and self._layer.test_shown
        self._decor.update(
            names,
            self._names,
            self._qcolors,
            self._lut,
            self._one_d,
            has_test,
            self._threshold,
            discrete=self._discrete,
        )
        self._fit_key()

    # ------------------------------------------------------------ rendering
    def _render(self, params, force: bool = False, probs=None, points=None) -> bool:
        """Evaluate ``params`` on the grid and the points (or take ``probs`` and ``points``, the
        grid's probabilities and the points' PointPredictions computed in the training thread) and
        redraw; skipped when they equal the last rendered ones."""
        if params is None:
            return False
        if not force and self._have_image and np.array_equal(params, self._last_params):
            return False
        self._first_render.cancel()
        self._grid_runner.cancel(quiet=True)  # drawn now: a background grid of older weights is not wanted
        if params is not self._last_params:
            np.copyto(self._last_params, params)
        # (H, W, k) or (W, k) float32
        P = self._evaluator.evaluate(params) if probs is None else probs
        if self._one_d:
            self._grid.probs[...] = P
            P = P[None]
        rgba = self._grid.painter.paint(
            P, self._lut, self._class_ink, discrete=self._discrete, threshold=self._threshold
        )
        self.image_item.setImage(rgba, autoLevels=False)  # uint8 RGBA: passed through, no levels scan
        if self._rect_dirty:
            self.image_item.setRect(QRectF(*self._grid.rect))
            self._rect_dirty = False
        self._have_image = True
        self.imageRendered.emit()
        if self._one_d:
            self._draw_1d(self._grid.probs)
        else:
            self._set_contour(self._grid.painter.lines(self._evaluator.xs, self._grid.ys, P, self._threshold))
        proba, logits = (points.proba, points.logits) if points is not None else (None, None)
        self._layer.update_misclassified(params, proba, logits, self._threshold)
        self._refresh_insight()
        return True

    def _render_unless_drawn(self) -> None:
        """A new run's heatmap when its first snapshot did not bring it (see :meth:`set_run`)."""
        if self._model is not None and not self._have_image:
            self._render(self._last_params, force=True)

    def _probed(self, snapshot):
        """``(grid P, PointPredictions)`` the training thread computed for ``snapshot``
        (:mod:`lab_app.training.probes`), each None unless it fits this run's grid and points."""
        extras = getattr(snapshot, "extras", None) or {}
        if getattr(snapshot, "run_id", None) != getattr(self.run_info, "run_id", None):
            return None, None
        grid, points = extras.get(GRID_PROBE), extras.get(POINTS_PROBE)
        grid = grid.P if grid is not None and self._grid.fits(grid.spec, grid.P) else None
        points = points if points is not None and self._layer.fits(points.dataset, points.proba) else None
        return grid, points

    def _set_contour(self, xy: np.ndarray) -> None:
        if len(xy):
            self.contour_item.setData(xy[:, 0], xy[:, 1])
        else:
            self.contour_item.setData([], [])

    def _draw_1d(self, probs: np.ndarray) -> None:
        xs = self._evaluator.xs
        threshold = linear_threshold(self._model, self._last_params, self._threshold)
        self._curves.draw(xs, probs, self._qcolors, threshold)
        # Without a threshold: vertical marks where the predicted class changes.
        marks = None if threshold is not None else class_change_marks(xs, probs, Y_RANGE_1D, self._threshold)
        self._set_contour(np.empty((0, 2)) if marks is None else marks)

    def _refresh_insight(self) -> None:
        """After every render: redraw what depends on the weights on show (cheap when all off)."""
        if self._skins.params:
            self._draw_onion_skins()
        if self._size_by_loss:
            self._apply_loss_sizes()
        if self._hover.index is not None:
            self._hover.refresh()

    def _draw_onion_skins(self) -> None:
        shown = self._model is not None and self._have_image
        n_params = self._last_params.shape[0] if shown else None
        self._skins.draw(self._model, self._evaluator if shown else None, self._fixed, n_params)

    def _apply_loss_sizes(self) -> None:
        if self._model is None:
            return
        layer = self._layer
        on = self._size_by_loss and self._have_image and len(layer)
        layer.set_sizes(layer.losses(self._last_params, layer.drawn) if on else None)

    def _on_point_logits(self, result) -> None:
        """A background judgement of big data is done: ring what it misclassifies, size by its losses."""
        self._layer.take_judged(result)
        if self._size_by_loss:
            self._apply_loss_sizes()

    def _describe_point(self, i: int):
        """``(PointInfo, html)`` of point ``i`` under the weights on show (for the hover card)."""
        layer = self._layer
        if not layer.judged:  # points drawn without a model that fits them: where and which class
            x = ", ".join(f"{v:.4g}" for v in layer.X[i])
            return (
                None,
                f"<b>point {i}</b> · class <b>{html.escape(str(layer.dataset.classes[layer.y[i]]))}</b><br>({x})",
            )
        info = point_info(self._model, self._last_params, layer.X[i], layer.y[i], i)
        names = self._feature_names()
        split = "test" if layer.test_mask[i] else "training"
        return info, info.html(self._names, names[: layer.X.shape[1]], split)

    def _draw_reference(self) -> None:
        ref = self._ref
        if ref.fits(self._model):  # an optimum of this run, not an older one
            xlim, ylim = self._ranges()
            ref.draw(xlim, ylim, self.grid_shape, self._fixed, self._columns)
        else:
            ref.clear()
        self._decor.show_key(ref.sample, "optimum", ref.shown)
        self._fit_key()

    def _draw_pinned(self) -> None:
        if self._model is None:
            self._pinned.clear()
            return
        xlim, ylim = self._ranges()
        self._pinned.draw(self._model, xlim, ylim, self.grid_shape, self._fixed, self._columns)
        self._decor.show_key(self._pinned.sample, "pinned", self._pinned.any_drawn)
        self._fit_key()
