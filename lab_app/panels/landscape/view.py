"""The Loss landscape dock's widget: the map, the live path, the start and the compared paths.

Every computation (:mod:`~lab_app.panels.landscape.compute`) runs as a background task: one
:class:`lab_app.tasks.TaskRunner` per kind (map, comparison, slice), all in one thread, so a newer
request of a kind supersedes the older and the GUI never waits; maps are only computed while the
view is visible.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QPoint, QPointF, QRectF, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.landscape import LossLandscape, PCASlice
from lab_app.panels.landscape.compute import (
    OPTIMIZER_COLORS,
    SLICE_ROWS,
    compare_plan,
    compare_task,
    grid_task,
    inside,
    map_picture,
    slice_task,
)
from lab_app.tasks import TaskRunner
from lab_app.widgets import palette
from lab_app.widgets.plots import TEXT_PEN, make_plot

__all__ = ["LandscapeView"]

#: Grid points × training rows of one two-parameter map (about 0.3 s at most).
GRID_BUDGET = 3e7
#: Grid points × rows × parameters of one PCA slice.
SLICE_BUDGET = 2e8
#: Points of the live path drawn at most (of the MAX_PATH held).
MAX_DRAWN = 5000
#: Points of the live path held, at most (then thinned to every other one, the first kept).
MAX_PATH = 8192
START_COLOR = "#D55E00"
_KINDS = ("grid", "compare", "slice")
#: Low loss light, high loss a muted violet: the coloured paths stay readable on top.
MAP_COLORS = ("#fbfbff", "#e3e1f0", "#b9b5d6", "#7e78ad")


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
        pool = QThreadPool(self)
        pool.setMaxThreadCount(1)  # one computation at a time, whatever its kind
        self._jobs = {kind: TaskRunner(self, name="logit-lab-landscape", pool=pool) for kind in _KINDS}
        for kind, runner in self._jobs.items():
            runner.resultReady.connect(getattr(self, f"_on_{kind}"))
            runner.failed.connect(lambda message, _exc, kind=kind: self._on_failed(kind, message))
        self._build()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ------------------------------------------------------------ public API
    @property
    def path(self) -> np.ndarray:
        """(k, 2) the running model's path in plane units, one point per snapshot (a copy)."""
        return self._buf[: self._n].copy()

    def busy(self, kind: str) -> bool:
        """A computation of ``kind`` ("grid", "compare" or "slice") is under way."""
        return self._jobs[kind].busy

    def set_run(self, run_info) -> None:
        """Follow a new run (RunInfo): choose the mode and start its map."""
        for runner in self._jobs.values():
            runner.cancel(quiet=True)  # their answers are about the old run
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
        if self._n == len(self._buf) >= MAX_PATH:  # a long run: every other point, in fixed memory
            self._n = (self._n + 1) // 2
            self._buf[: self._n] = self._buf[::2].copy()
        elif self._n == len(self._buf):
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
        elif self.grid is not None and np.isfinite(point).all() and not inside(point, self.grid):
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
        runs, epochs, wanted, batch = compare_plan(cfg, n)
        self.compare_epochs = epochs
        capped = f" (capped from {wanted} so it stays quick)" if epochs < wanted else ""
        self._compare_note = (
            f"SGD, momentum and Adam from the same start: learning rate {cfg.lr:g}, "
            f"{'full batch' if batch == n else f'batch {batch}'}, {epochs} epochs{capped}."
        )
        self.status.setText("Running SGD, momentum and Adam…")
        self._jobs["compare"].start(
            compare_task, self.landscape, self.start.copy(), runs, epochs, cfg.batch_size, cfg.seed
        )
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
        self.status.setText(f"Computing the slice ({side}×{side} points, {rows} training rows)…")
        self._jobs["slice"].start(slice_task, params, epochs, net, X, y, l1, l2, side, rows)
        return True

    def data_to_widget_pos(self, x: float, y: float) -> QPoint:
        """Pixel position in ``plot_widget.viewport()`` of plane coordinates (x, y)."""
        scene = self.plot_item.getViewBox().mapViewToScene(QPointF(x, y))
        return self.plot_widget.viewportTransform().map(scene).toPoint()

    def shutdown(self) -> None:
        """Drop pending work and wait for the computation under way (safe to call twice; the view
        computes again when asked)."""
        for runner in self._jobs.values():
            runner.shutdown()

    # ------------------------------------------------------------- building
    def _build(self) -> None:
        self.plot_widget, item = make_plot("landscapePlot", (240, 120))
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
        if self.busy("grid"):
            self._grid_dirty = True
            return
        self._want_grid = self._grid_dirty = False
        start = self.start.copy()
        base = [self.path, start[None]]
        extra = list(self.paths.values())
        side = int(np.clip(math.sqrt(GRID_BUDGET / max(len(self.landscape.y), 1)), 41, 121))
        self._jobs["grid"].start(grid_task, self.landscape, start, self.scout, base, extra, side)

    def _on_failed(self, kind: str, message: str) -> None:
        self.status.setText(f"Could not compute the {kind}: {message}")

    def _on_grid(self, result) -> None:
        self.scout, self.grid = result
        self._draw_map(self.grid)
        self._draw_path()
        self._draw_start()
        self._draw_compare()
        self.gridReady.emit()
        if self._grid_dirty:
            self._request_grid()

    def _on_compare(self, paths) -> None:
        self.paths = paths
        self._draw_compare()
        self.status.setText(self._compare_note)
        if self.grid is not None and not all(
            inside(p[np.isfinite(p).all(axis=1)], self.grid) for p in self.paths.values()
        ):
            self._request_grid()
        self.pathsReady.emit()

    def _on_slice(self, result) -> None:
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
        picture = map_picture(grid)
        if picture is None:
            return
        self.image_item.setImage(picture.shade, levels=(0.0, 1.0), autoLevels=False)
        self.image_item.setRect(QRectF(*picture.rect))
        self.contour_item.setData(picture.contours[:, 0], picture.contours[:, 1])
        self.min_item.setData([picture.minimum[0]], [picture.minimum[1]])
        xs, ys = grid.xs, grid.ys
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
