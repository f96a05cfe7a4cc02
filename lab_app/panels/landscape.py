"""The loss landscape: the objective over a plane of parameters, with the optimizer's path on it.

* Models with two free parameters (1-D logistic regression: w and b; two features: w1 and w2
  with the bias held): a map of :meth:`engine.landscape.LossLandscape.grid`, the running model's
  path drawn live (one point per snapshot, in the coordinates the optimizer sees: standardized if
  the run standardizes), a click on the map chooses a start, and "Compare optimizers" runs SGD,
  momentum and Adam from it (:meth:`~engine.landscape.LossLandscape.compare_paths`) with the
  trainer panel's learning rate, batch size and epochs (capped, so the answer comes quickly).
* Larger models: "Compute slice" draws the loss on the plane of the first two principal directions
  of the recorded weights (:class:`engine.landscape.PCASlice`, on at most ``SLICE_ROWS`` training
  rows and a grid as fine as ``SLICE_BUDGET`` allows) with the path projected onto it.

Every computation runs in one background thread (Orange's recipe: a plain function, one task at a
time, a newer request supersedes, stale answers are dropped by a token), so the GUI never waits;
maps are only computed while the view is visible.
"""

from __future__ import annotations

import itertools
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyqtgraph as pg
from contourpy import contour_generator
from PySide6.QtCore import QCoreApplication, QObject, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.landscape import LossLandscape, Objective, PCASlice, ranges_around
from lab_app.widgets import palette
from lab_app.widgets.plots import TEXT_PEN, make_plot

__all__ = ["COMPARE_STEPS", "OPTIMIZER_COLORS", "SLICE_ROWS", "LandscapeView"]

#: Grid points × training rows of one two-parameter map (about 0.3 s at most).
GRID_BUDGET = 3e7
#: Grid points × rows × parameters of one PCA slice.
SLICE_BUDGET = 2e8
#: Training rows the PCA slice's loss is estimated on (a fixed-seed sample beyond that).
SLICE_ROWS = 500
#: Minibatch steps per optimizer at most when comparing (the epochs are capped to fit).
COMPARE_STEPS = 20_000
#: Epochs compared when the trainer panel says "until stopped" (0).
DEFAULT_COMPARE_EPOCHS = 200
#: A full-batch Adam run from the start that the first map also covers, so it shows the basin.
SCOUT = ("adam", 0.05, 150)
#: Contour lines per map.
N_LEVELS = 12
#: Points of the live path drawn at most (the path itself keeps every snapshot).
MAX_DRAWN = 5000
OPTIMIZER_COLORS = {"SGD": "#0072B2", "momentum": "#E69F00", "Adam": "#009E73"}  # Okabe–Ito
START_COLOR = "#D55E00"
#: Low loss light, high loss a muted violet: the coloured paths stay readable on top.
MAP_COLORS = ("#fbfbff", "#e3e1f0", "#b9b5d6", "#7e78ad")
_NAN_ROW = np.full((1, 2), np.nan)


class LandscapeView(QWidget):
    """The Loss landscape dock's widget.

    Parameters
    ----------
    history : a :class:`lab_app.panels.history.ParamHistory` with the run's recorded weights
        (the PCA slice's path).
    config_source : callable returning the trainer panel's TrainConfig (learning rate, epochs,
        batch size, optimizer settings for "Compare optimizers"); default: the run's own.

    Attributes
    ----------
    mode : "none" (no run), "two" (two free parameters) or "pca".
    landscape : the run's :class:`~engine.landscape.LossLandscape` ("two" mode).
    grid : the :class:`~engine.landscape.LandscapeGrid` on show, or None.
    start : (2,) the comparison's start in plane units (rounded to the model's dtype).
    paths : {"SGD"|"momentum"|"Adam": (epochs + 1, 2)} of the last comparison.
    pca : the :class:`~engine.landscape.PCASlice` on show ("pca" mode).
    """

    gridReady = Signal()  # a map (two-parameter grid or PCA slice) is drawn
    pathsReady = Signal()  # the optimizer comparison is drawn
    sliceReady = Signal()  # a PCA slice is drawn

    def __init__(self, history=None, config_source=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("landscapeView")
        self.history = history
        self._config_source = config_source
        self.run_info = None
        self.mode = "none"
        self.landscape: LossLandscape | None = None
        self.grid = None
        self.start: np.ndarray | None = None
        self.paths: dict = {}
        self.pca: PCASlice | None = None
        self.scout: np.ndarray | None = None
        self.compare_epochs = 0
        self._buf = np.empty((1024, 2))
        self._n = 0
        self._want_grid = False
        self._grid_dirty = False
        self._path_dirty = False
        self._slice_epoch = None
        self._jobs = _Jobs(self)
        self._jobs.done.connect(self._on_job_done, Qt.ConnectionType.QueuedConnection)
        self._build()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ------------------------------------------------------------ public API
    @property
    def path(self) -> np.ndarray:
        """(k, 2) the running model's path in plane units, one point per snapshot (a copy)."""
        return self._buf[: self._n].copy()

    def set_run(self, run_info) -> None:
        """Follow a new run (RunInfo): choose the mode and start its map."""
        self._jobs.cancel_all()
        self.run_info = run_info
        self.grid, self.paths, self.pca, self.scout, self._n = None, {}, None, None, 0
        self._grid_dirty = self._path_dirty = False
        self._slice_epoch = None
        net = run_info.model.network
        if net.is_linear and net.n_classes == 2 and net.n_inputs in (1, 2):
            self.mode = "two"
            self._build_landscape(float(net.params[-1]))
            self.start = self.landscape.point(net.params)
        else:
            self.mode = "pca"
            self.landscape, self.start = None, None
        self._clear_items()
        self._update_labels()
        self._update_controls()
        self._want_grid = self.mode == "two"
        self._maybe_request_grid()

    def add_snapshot(self, snapshot) -> None:
        """Append a snapshot's weights to the live path (two-parameter mode)."""
        info = self.run_info
        if info is None or snapshot.run_id != info.run_id:
            return
        if self.mode == "pca":
            if self.pca is not None and snapshot.epoch != self._slice_epoch:
                self.status.setText(
                    f"The slice shows the path up to epoch {self._slice_epoch}; "
                    f"training is at epoch {snapshot.epoch}. Press Compute slice to update it."
                )
            return
        if self.mode != "two":
            return
        point = self.landscape.point(snapshot.params)
        if self._n == len(self._buf):
            self._buf = np.concatenate([self._buf, np.empty_like(self._buf)])  # grow by doubling
        self._buf[self._n] = point
        self._n += 1
        self._path_dirty = True
        if self.isVisible():
            self._draw_path()
        held = self.landscape.X.shape[1] == 2
        if held and snapshot.state != "running" and float(snapshot.params[-1]) != self.landscape.base[-1]:
            # w1, w2 with the bias held: redraw the map at the bias the model has now.
            self._build_landscape(float(snapshot.params[-1]))
            self._update_labels()
            self._request_grid()
        elif self.grid is not None and np.isfinite(point).all() and not _inside(point, self.grid):
            self._request_grid()

    def data_changed(self, run_info) -> None:
        """The run now trains on edited points (``dataResnapshotted``): the map changes with them."""
        if self.run_info is None or run_info is None or run_info.run_id != self.run_info.run_id:
            return
        self.run_info = run_info
        if self.mode == "two":
            self._build_landscape(float(self.landscape.base[-1]) if self.landscape.X.shape[1] == 2 else 0.0)
            self._request_grid()

    def set_start(self, point) -> None:
        """Choose where "Compare optimizers" starts: (2,) in plane units (rounded to the model's
        dtype, so every path's first point equals it exactly)."""
        if self.mode != "two":
            return
        dtype = self.landscape.dtype
        self.start = np.asarray(point, dtype=np.float64).astype(dtype).astype(np.float64)
        self.paths = {}
        self._draw_compare()
        self._draw_start()
        a, b = self.landscape.names
        self.status.setText(f"Start {a} = {self.start[0]:.4g}, {b} = {self.start[1]:.4g}. Press Compare optimizers.")

    def compare_optimizers(self) -> bool:
        """Run SGD, momentum and Adam from :attr:`start` in the background (``pathsReady`` when drawn)."""
        if self.mode != "two" or self.start is None:
            return False
        cfg = self._config()
        n = len(self.landscape.y)
        batch = cfg.batch_size if 0 < cfg.batch_size < n else n
        wanted = cfg.epochs or DEFAULT_COMPARE_EPOCHS
        epochs = max(1, min(wanted, COMPARE_STEPS // math.ceil(n / batch)))
        runs = [
            ("sgd", cfg.lr),
            ("momentum", cfg.lr, {"momentum": cfg.momentum, "nesterov": cfg.nesterov}),
            ("adam", cfg.lr, {"beta1": cfg.beta1, "beta2": cfg.beta2, "epsilon": cfg.epsilon}),
        ]
        land, start, seed = self.landscape, self.start.copy(), cfg.seed

        def job():
            return dict(zip(OPTIMIZER_COLORS, land.compare_paths(start, runs, epochs, cfg.batch_size, seed)))

        self.compare_epochs = epochs
        capped = f" (capped from {wanted} so it stays quick)" if epochs < wanted else ""
        self._compare_note = (
            f"SGD, momentum and Adam from the same start: learning rate {cfg.lr:g}, "
            f"{'full batch' if batch == n else f'batch {batch}'}, {epochs} epochs{capped}."
        )
        self.status.setText("Running SGD, momentum and Adam…")
        self._jobs.submit("compare", job)
        return True

    def compute_slice(self) -> bool:
        """PCA mode: the slice through the recorded path, in the background (``sliceReady``)."""
        info = self.run_info
        if self.mode != "pca" or info is None:
            return False
        if self.history is None or len(self.history) < 3:
            self.status.setText("Train a few epochs first: the slice needs a path of at least 3 snapshots.")
            return False
        params, epochs = self.history.stack(), self.history.epochs()
        net = info.model.network.copy()
        X = info.model.features(info.dataset.X[info.train_idx])
        y = info.dataset.y[info.train_idx]
        rows = min(len(y), SLICE_ROWS)
        side = int(np.clip(math.sqrt(SLICE_BUDGET / max(rows * net.size, 1)), 15, 41))
        l1, l2 = info.config.l1, info.config.l2

        def job():
            pca = PCASlice(params, Objective(net, X, y, l1, l2, max_rows=SLICE_ROWS))
            return pca, pca.grid(shape=(side, side)), int(epochs[-1]), rows

        self.status.setText(f"Computing the slice ({side}×{side} points, {rows} training rows)…")
        self._jobs.submit("slice", job)
        return True

    def data_to_widget_pos(self, x: float, y: float) -> QPoint:
        """Pixel position in ``plot_widget.viewport()`` of plane coordinates (x, y)."""
        scene = self.plot_item.getViewBox().mapViewToScene(QPointF(x, y))
        return self.plot_widget.viewportTransform().map(scene).toPoint()

    def shutdown(self) -> None:
        """Drop pending work and let the background thread end (safe to call twice)."""
        self._jobs.shutdown()

    # ------------------------------------------------------------- building
    def _build(self) -> None:
        self.plot_widget, item = make_plot("landscapePlot", (240, 180))
        self.plot_item = item
        vb = item.getViewBox()
        vb.disableAutoRange()
        vb.setMouseEnabled(x=False, y=False)  # a click chooses the start; the map sets the range
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setLookupTable(
            pg.ColorMap(np.linspace(0, 1, len(MAP_COLORS)), list(MAP_COLORS)).getLookupTable(nPts=256)
        )
        self.contour_item = pg.PlotDataItem(pen=pg.mkPen(150, 146, 180, 200, width=1), connect="finite")
        self.min_item = pg.ScatterPlotItem(symbol="+", size=13, pen=pg.mkPen("#5a5a5a", width=1.6), brush=None)
        self.path_item = pg.PlotDataItem(pen=pg.mkPen(palette.INK, width=2.2), antialias=True)
        self.head_item = pg.ScatterPlotItem(
            symbol="o", size=10, brush=pg.mkBrush(palette.INK), pen=pg.mkPen("w", width=1.2)
        )
        self.compare_items = {
            name: pg.PlotDataItem(pen=pg.mkPen(color, width=2.2), antialias=True)
            for name, color in OPTIMIZER_COLORS.items()
        }
        self.ends_item = pg.ScatterPlotItem(symbol="o", size=9, pen=pg.mkPen("w", width=1))
        self.start_item = pg.ScatterPlotItem(
            symbol="star", size=18, brush=pg.mkBrush(START_COLOR), pen=pg.mkPen("w", width=1)
        )
        for z, it in enumerate(
            [
                self.image_item,
                self.contour_item,
                self.min_item,
                *self.compare_items.values(),
                self.ends_item,
                self.path_item,
                self.head_item,
                self.start_item,
            ]
        ):
            it.setZValue(z - 100 if it is self.image_item else z)
            item.addItem(it, ignoreBounds=True)
        self.legend = pg.LegendItem(
            offset=(-8, 8),
            brush=pg.mkBrush(255, 255, 255, 215),
            pen=pg.mkPen("#c8c8c8"),
            labelTextColor=TEXT_PEN,
            labelTextSize="8pt",
        )
        self.legend.setParentItem(item.getViewBox())
        self._legend_samples = {
            "this run": pg.PlotDataItem(pen=pg.mkPen(palette.INK, width=2.2)),
            "start": pg.ScatterPlotItem(symbol="star", size=14, brush=pg.mkBrush(START_COLOR), pen=None),
            "grid minimum": pg.ScatterPlotItem(symbol="+", size=12, pen=pg.mkPen("#5a5a5a", width=1.6)),
            **{name: pg.PlotDataItem(pen=pg.mkPen(color, width=2.2)) for name, color in OPTIMIZER_COLORS.items()},
        }
        self.plot_widget.scene().sigMouseClicked.connect(self._on_clicked)

        self.note = QLabel("No run yet: press Train.", objectName="landscapeNote", wordWrap=True)
        self.status = QLabel("", objectName="landscapeStatus", wordWrap=True)
        self.status.setStyleSheet("color: #555;")
        self.compare_button = QPushButton("Compare optimizers", objectName="landscapeCompare")
        self.compare_button.setToolTip(
            "Run SGD, momentum and Adam from the start (click the map to move it) "
            "with the trainer's learning rate and epochs"
        )
        self.compare_button.clicked.connect(self.compare_optimizers)
        self.slice_button = QPushButton("Compute slice", objectName="landscapeSlice")
        self.slice_button.setToolTip("Loss on the plane of the path's two main directions, through the newest weights")
        self.slice_button.clicked.connect(self.compute_slice)
        top = QHBoxLayout()
        top.addWidget(self.note, 1)
        top.addWidget(self.compare_button)
        top.addWidget(self.slice_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.status)
        self._update_controls()

    def _update_controls(self) -> None:
        self.compare_button.setVisible(self.mode == "two")
        self.slice_button.setVisible(self.mode == "pca")
        self.plot_widget.setVisible(self.mode != "none")

    def _update_labels(self) -> None:
        info, item = self.run_info, self.plot_item
        if self.mode == "two":
            unit = " (standardized)" if info.config.standardize else ""
            a, b = self.landscape.names
            item.setLabel("bottom", a + unit, color=TEXT_PEN)
            item.setLabel("left", b + ("" if b == "b" else unit), color=TEXT_PEN)
            if self.landscape.X.shape[1] == 1:
                self.note.setText("Mean cross-entropy over (w, b). Click the map to choose a start.")
            else:
                self.note.setText(
                    f"Loss over (w1, w2) with the bias held at b = {self.landscape.base[-1]:.4g}. "
                    "Click the map to choose a start."
                )
            self.status.setText("")
        elif self.mode == "pca":
            item.setLabel("bottom", "PC1", color=TEXT_PEN)
            item.setLabel("left", "PC2", color=TEXT_PEN)
            self.note.setText(
                f"This model has {info.model.network.size} weights, too many for a map of two. "
                "Train, then compute a slice through the path's two main directions."
            )
            self.status.setText("")

    def _build_landscape(self, bias: float) -> None:
        info = self.run_info
        net = info.model.network
        X = info.model.features(info.dataset.X[info.train_idx])
        self.landscape = LossLandscape(
            X, info.dataset.y[info.train_idx], bias=bias, l1=info.config.l1, l2=info.config.l2, dtype=net.dtype
        )

    def _config(self):
        if self._config_source is not None:
            try:
                return self._config_source()
            except Exception:
                pass
        return self.run_info.config

    # ----------------------------------------------------------- background
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._maybe_request_grid()
        if self._path_dirty:
            self._draw_path()

    def _maybe_request_grid(self) -> None:
        if self._want_grid and self.isVisible():
            self._request_grid()

    def _request_grid(self) -> None:
        """A new two-parameter map around everything drawn; deferred while hidden or busy."""
        if self.mode != "two":
            return
        if not self.isVisible():
            self._want_grid = True
            return
        if self._jobs.busy("grid"):
            self._grid_dirty = True
            return
        self._want_grid = self._grid_dirty = False
        land, start, scout = self.landscape, self.start.copy(), self.scout
        base = [self.path, start[None]]
        extra = [p for p in self.paths.values()]
        n = len(land.y)
        side = int(np.clip(math.sqrt(GRID_BUDGET / max(n, 1)), 41, 121))

        def job():
            s = scout if scout is not None else land.run_path(start, SCOUT[0], SCOUT[1], SCOUT[2])
            return s, land.grid(_map_ranges(base + [s], extra), (side, side))

        self._jobs.submit("grid", job)

    def _on_job_done(self, kind: str, token: int, result, error) -> None:
        if not self._jobs.is_current(kind, token):
            return
        if error is not None:
            self.status.setText(f"Could not compute the {kind}: {error}")
            return
        if kind == "grid":
            self.scout, self.grid = result
            self._draw_map(self.grid)
            self._draw_path()
            self._draw_start()
            self._draw_compare()
            self.gridReady.emit()
            if self._grid_dirty:
                self._request_grid()
        elif kind == "compare":
            self.paths = result
            self._draw_compare()
            self.status.setText(self._compare_note)
            if self.grid is not None and not all(
                _inside(p[np.isfinite(p).all(axis=1)], self.grid) for p in self.paths.values()
            ):
                self._request_grid()
            self.pathsReady.emit()
        elif kind == "slice":
            self.pca, grid, epoch, rows = result
            self.grid, self._slice_epoch = grid, epoch
            self._draw_map(grid)
            coords = self.pca.coords
            self.path_item.setData(coords[:, 0], coords[:, 1])
            self.head_item.setData([coords[-1, 0]], [coords[-1, 1]])
            ex = self.pca.explained
            self.plot_item.setLabel("bottom", f"PC1 ({ex[0]:.0%} of the path)", color=TEXT_PEN)
            self.plot_item.setLabel("left", f"PC2 ({ex[1]:.0%})", color=TEXT_PEN)
            self._set_legend(["this run", "grid minimum"])
            self.status.setText(
                f"Slice through the weights at epoch {epoch} along the path's two main "
                f"directions; loss on {rows} training rows."
            )
            self.sliceReady.emit()
            self.gridReady.emit()

    # -------------------------------------------------------------- drawing
    def _clear_items(self) -> None:
        self.image_item.clear()
        for it in (self.contour_item, self.path_item, *self.compare_items.values()):
            it.setData([], [])
        for it in (self.min_item, self.head_item, self.ends_item, self.start_item):
            it.setData([], [])
        self._set_legend([])

    def _draw_map(self, grid) -> None:
        loss = np.asarray(grid.loss, dtype=np.float64)
        finite = loss[np.isfinite(loss)]
        if not finite.size:
            return
        lo, hi = float(finite.min()), float(np.quantile(finite, 0.95))
        hi = hi if hi > lo else lo + 1.0
        # sqrt: equal steps in image colour and contours are equal steps of "distance" in a bowl.
        shade = np.sqrt(np.clip((np.nan_to_num(loss, nan=hi, posinf=hi) - lo) / (hi - lo), 0.0, 1.0))
        self.image_item.setImage(shade, levels=(0.0, 1.0), autoLevels=False)
        xs, ys = grid.xs, grid.ys
        dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
        dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
        self.image_item.setRect(QRectF(xs[0] - dx / 2, ys[0] - dy / 2, len(xs) * dx, len(ys) * dy))
        gen = contour_generator(xs, ys, shade, line_type="ChunkCombinedNan")
        pieces = [np.empty((0, 2))]
        for level in np.linspace(1.0 / N_LEVELS, 1.0, N_LEVELS, endpoint=False):
            for chunk in gen.lines(level)[0]:
                if chunk is not None and len(chunk):
                    pieces += [chunk, _NAN_ROW]
        xy = np.concatenate(pieces)
        self.contour_item.setData(xy[:, 0], xy[:, 1])
        m = grid.argmin()
        self.min_item.setData([m[0]], [m[1]])
        self.plot_item.getViewBox().setRange(xRange=(xs[0], xs[-1]), yRange=(ys[0], ys[-1]), padding=0)

    def _draw_path(self) -> None:
        self._path_dirty = False
        if self.mode != "two":
            return
        p = self._buf[: self._n]
        if self._n > MAX_DRAWN:  # a long run: draw an even subsample (the newest point always)
            p = p[np.unique(np.linspace(0, self._n - 1, MAX_DRAWN).astype(np.int64))]
        self.path_item.setData(p[:, 0], p[:, 1])
        self.head_item.setData(p[-1:, 0], p[-1:, 1])

    def _draw_start(self) -> None:
        if self.start is not None and self.mode == "two":
            self.start_item.setData([self.start[0]], [self.start[1]])
        self._set_legend(["this run", "start", "grid minimum", *self.paths])

    def _draw_compare(self) -> None:
        ends, brushes = [], []
        for name, item in self.compare_items.items():
            path = self.paths.get(name)
            if path is None:
                item.setData([], [])
                continue
            item.setData(path[:, 0], path[:, 1], connect="finite")
            if np.isfinite(path[-1]).all():
                ends.append(path[-1])
                brushes.append(pg.mkBrush(OPTIMIZER_COLORS[name]))
        if ends:
            ends = np.array(ends)
            self.ends_item.setData(ends[:, 0], ends[:, 1], brush=brushes)
        else:
            self.ends_item.setData([], [])
        self._set_legend(["this run", "start", "grid minimum", *self.paths])

    def _set_legend(self, names) -> None:
        self.legend.clear()
        for name in names:
            self.legend.addItem(self._legend_samples[name], name)

    def _on_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.mode != "two" or self.grid is None:
            return
        vb = self.plot_item.getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        self.set_start((p.x(), p.y()))


class _Jobs(QObject):
    """One background thread; per kind, only the newest request's answer is delivered."""

    done = Signal(str, int, object, object)  # kind, token, result, error message or None

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self._executor: ThreadPoolExecutor | None = None
        self._tokens: dict[str, int] = {}
        self._futures: dict = {}
        self._counter = itertools.count(1)

    def submit(self, kind: str, fn) -> int:
        token = self._tokens[kind] = next(self._counter)
        old = self._futures.get(kind)
        if old is not None:
            old.cancel()  # not started yet: never runs; running: its answer is dropped
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="logit-lab-landscape")
        emit = self.done.emit

        def run():
            try:
                result, error = fn(), None
            except Exception as exc:
                result, error = None, f"{type(exc).__name__}: {exc}"
            try:
                emit(kind, token, result, error)
            except RuntimeError:  # the view was deleted meanwhile
                pass

        self._futures[kind] = self._executor.submit(run)
        return token

    def busy(self, kind: str) -> bool:
        future = self._futures.get(kind)
        return future is not None and not future.done()

    def is_current(self, kind: str, token: int) -> bool:
        return self._tokens.get(kind) == token

    def cancel_all(self) -> None:
        """Forget every request (a new run): running ones finish unheard, queued ones never run."""
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()
        self._tokens = {kind: next(self._counter) for kind in self._tokens}

    def shutdown(self) -> None:
        self.cancel_all()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


def _map_ranges(base_sets, extra_sets):
    """((x0, x1), (y0, y1)) around ``base_sets`` (the run, its start, the scout), widened for the
    compared paths by at most three times the base's size (a diverging path may leave the map)."""
    base = ranges_around(*base_sets, margin=0.25, min_half_width=0.5)
    extra = [p for p in extra_sets if len(p)]
    if not extra:
        return base
    corners = np.array([[base[0][0], base[1][0]], [base[0][1], base[1][1]]])
    wide = ranges_around(corners, *extra, margin=0.1, min_half_width=0.5)
    out = []
    for (b0, b1), (w0, w1) in zip(base, wide):
        c, h = (b0 + b1) / 2, (b1 - b0) / 2
        out.append((max(w0, c - 3 * h), min(w1, c + 3 * h)))
    return tuple(out)


def _inside(points, grid) -> bool:
    """True if every (…, 2) point lies on the map of ``grid``."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return bool(
        np.all((p[:, 0] >= grid.xs[0]) & (p[:, 0] <= grid.xs[-1]) & (p[:, 1] >= grid.ys[0]) & (p[:, 1] <= grid.ys[-1]))
    )
