"""Loss and accuracy per epoch: the training curves of the current run.

Two tabs, each one pyqtgraph plot whose items are created once; every update only calls
``setData``. The curves come from a report history (:mod:`engine.history`): fixed memory, the
first and newest epochs exact and the ones between as each bucket's first, smallest, largest and
last value, so a run of millions of epochs redraws as fast as one of thousands and a one-epoch
spike stays on the plot.

Just over 500 lines: the loss, accuracy and L − L* tabs share one buffer and one axis set-up;
splitting them would copy that set-up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from engine.epochs import report_history
from lab_app.tasks import Debouncer
from lab_app.widgets.palette import pin_color
from lab_app.widgets.plots import TEXT_PEN, make_plot

__all__ = ["LossView"]

TRAIN_COLOR = "#0072B2"  # Okabe–Ito blue: training
VAL_COLOR = "#D55E00"  # Okabe–Ito vermillion: validation (test split)
BEST_COLOR = "#009E73"  # Okabe–Ito bluish green: the early-stopping marker
SHOWN_COLOR = "#555555"  # dark grey: the scrubber's epoch (a lighter grey came within ΔE₀₀ 10 of BEST for deuteranopes)
#: Redraws per second of a live run's curves, at most (``append(..., throttle=True)``): each one
#: re-lays out both axes and costs the GUI thread ~8–25 ms (benchmarks/gui_bench.py).
LIVE_REDRAWS = 8.0
#: The newest reports of a batch looked at for a validation value (a restored history may be long).
LIVE_VAL_CHECK = 64
#: The curves, in the order train loss, validation loss, train accuracy, validation accuracy.
_CURVES = ("train_loss", "val_loss", "train_accuracy", "val_accuracy")
#: A run whose epochs span this many decades switches the epoch axis to log by itself.
LOG_X_DECADES = 3


class LossView(QWidget):
    """Training and validation loss (tab "Loss") and accuracy (tab "Accuracy") per epoch.

    Attributes
    ----------
    plot_item, accuracy_plot_item : the two ``pg.PlotItem`` (for export).
    log_y_check : the "log y" check box (objectName ``lossLogY``).
    log_x_check : the "log x" check box (objectName ``lossLogX``), for every tab's epoch axis. It
        ticks itself once a run's epochs span :data:`LOG_X_DECADES` decades, unless the user
        ticked or unticked it.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lossView")
        self._history = report_history()  # the curves' numbers, in fixed memory
        self._has_val = False
        self._best_epoch: int | None = None
        self._log_x = False
        self._log_x_auto = False  # log x was switched on by itself (undone by the next run)
        self._log_x_user = False  # the user chose: never switched by itself again
        # Live appends redraw at once when the last redraw is old enough, else once it is.
        self._redraws = Debouncer.throttle(round(1000 / LIVE_REDRAWS), self._draw_curves, leading=True, parent=self)

        self.loss_widget, self.plot_item = _make_plot("lossPlot", "cross-entropy")
        self.accuracy_widget, self.accuracy_plot_item = _make_plot("accuracyPlot", "accuracy")
        self.accuracy_plot_item.setLimits(yMin=-0.02, yMax=1.02)

        # Loss falls and accuracy rises: their legends sit in the corner the curves leave empty.
        self._legends = [
            item.addLegend(
                offset=offset, brush=pg.mkBrush(255, 255, 255, 215), pen=pg.mkPen("#c8c8c8"), labelTextColor=TEXT_PEN
            )
            for item, offset in ((self.plot_item, (-10, 10)), (self.accuracy_plot_item, (-10, -10)))
        ]
        self.train_curve = self._curve(self.plot_item, TRAIN_COLOR, Qt.PenStyle.SolidLine)
        self.val_curve = self._curve(self.plot_item, VAL_COLOR, Qt.PenStyle.SolidLine)
        self.train_acc_curve = self._curve(self.accuracy_plot_item, TRAIN_COLOR, Qt.PenStyle.SolidLine)
        self.val_acc_curve = self._curve(self.accuracy_plot_item, VAL_COLOR, Qt.PenStyle.SolidLine)
        for curve in (self.val_curve, self.val_acc_curve):
            curve.hide()  # until a run with a validation split arrives (see _set_has_val)
        # Invisible two-point items that make the auto-ranged epoch axis end at a round number
        # ahead of the data (_x_end): the axis then changes, and is laid out again, only now and
        # then instead of at every redraw (measured: a live redraw 16 ms -> 7 ms).
        self._x_extents = [pg.PlotDataItem() for _ in range(2)]
        for item, extent in zip((self.plot_item, self.accuracy_plot_item), self._x_extents):
            item.addItem(extent)
            extent.setOpacity(0.0)  # Qt then skips its paint; hidden, auto-range would skip it too
        self._legends[0].addItem(self.train_curve, "training")
        self._legends[1].addItem(self.train_acc_curve, "training")
        self._best_lines = []
        self._shown_epoch = None
        self._pinned: list[tuple] = []  # set_pinned's curves
        self.pinned_labels: list[str] = []
        for item in (self.plot_item, self.accuracy_plot_item):
            line = pg.InfiniteLine(
                angle=90,
                movable=False,
                pen=pg.mkPen(BEST_COLOR, width=1.5, style=Qt.PenStyle.DashLine),
                label="best epoch {value:.0f}",
                labelOpts={
                    "position": 0.6,
                    "color": BEST_COLOR,
                    "anchors": [(0, 0.5), (0, 0.5)],
                    "fill": pg.mkBrush(255, 255, 255, 200),
                },
            )
            line.hide()
            item.addItem(line, ignoreBounds=True)
            self._best_lines.append(line)
        self._shown_lines = []  # the recorded epoch on show (history scrubber), dotted
        for item in (self.plot_item, self.accuracy_plot_item):
            line = pg.InfiniteLine(
                angle=90,
                movable=False,
                pen=pg.mkPen(SHOWN_COLOR, width=1.5, style=Qt.PenStyle.DotLine),
                label="shown {value:.0f}",
                labelOpts={"position": 0.9, "color": SHOWN_COLOR, "fill": pg.mkBrush(255, 255, 255, 200)},
            )
            line.hide()
            item.addItem(line, ignoreBounds=True)
            self._shown_lines.append(line)

        self.log_y_check = QCheckBox("log y", objectName="lossLogY")
        self.log_y_check.setToolTip("Logarithmic loss axis: shows progress long after the curve looks flat")
        self.log_y_check.toggled.connect(self.set_log_y)
        self.log_x_check = QCheckBox("log x", objectName="lossLogX")
        self.log_x_check.setToolTip(
            "Logarithmic epoch axis: the first epochs and the long tail in one view. "
            f"Ticks itself once a run spans {LOG_X_DECADES} decades of epochs, unless you choose."
        )
        self.log_x_check.clicked.connect(self._log_x_clicked)
        self.log_x_check.toggled.connect(self._apply_log_x)
        self.status_label = QLabel(objectName="lossStatus")
        self.status_label.setStyleSheet("color: #555;")

        self.tabs = QTabWidget(objectName="lossTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.loss_widget, "Loss")
        self.tabs.addTab(self.accuracy_widget, "Accuracy")
        self.tabs.currentChanged.connect(lambda i: self.log_y_check.setEnabled(i == 0))

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(self.status_label, 1)
        bar.addWidget(self.log_x_check)
        bar.addWidget(self.log_y_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bar)

    # ------------------------------------------------------------ public API
    @property
    def n_epochs(self) -> int:
        """Number of epochs received (a long run draws fewer points: see the module docstring)."""
        return self._history.n_rows

    def data(self) -> dict[str, np.ndarray]:
        """Copies of the epochs held whole (every epoch of a short run): ``epoch``, ``train_loss``,
        ``val_loss``, ``train_accuracy``, ``val_accuracy`` (k,) float64; missing values are NaN."""
        epochs, table = self._history.arrays()
        out = {"epoch": epochs.astype(np.float64)}
        columns = self._history.columns
        out.update({name: table[:, columns.index(name)] for name in _CURVES})
        return out

    def reset(self, run_info=None) -> None:
        """Forget the curves (a new run). ``run_info`` (RunInfo or None) tells whether the run has a
        validation split, so the legend shows "validation" from the first epoch on."""
        self._history.clear()
        has_test = run_info is not None and len(getattr(run_info, "test_idx", ())) > 0
        self._set_has_val(has_test)
        self.set_best_epoch(None)
        if self._log_x_auto and not self._log_x_user:
            self._log_x_auto = False
            self.log_x_check.setChecked(False)  # a new run starts at epoch 1
        name = getattr(run_info, "model_name", "") if run_info is not None else ""
        self.status_label.setText(name)
        self._redraw()
        self._redraw_gap(force=True)  # the L − L* tab (set_reference_loss)

    def append(self, reports: Sequence, throttle: bool = False) -> None:
        """Add ``EpochReport`` s (in epoch order; or a restored run's report history, taken whole
        with its spikes) and redraw once.

        Reports of epochs already held are skipped, so a snapshot delivered twice (``progress`` and
        then ``finished``) draws each epoch once. ``throttle=True`` (live training) holds the
        reports at once but redraws at most :data:`LIVE_REDRAWS` times a second.
        """
        if not reports:
            return
        held = self._history.n_rows
        self._history.extend(reports)
        if self._history.n_rows == held:
            return
        if not self._has_val and any(r.val_loss is not None for r in reports[-LIVE_VAL_CHECK:]):
            self._set_has_val(True)
        last = reports[-1]
        text = f"epoch {last.epoch}   loss {last.train_loss:.4g}"
        if last.val_loss is not None:
            text += f"   validation {last.val_loss:.4g}"
        self.status_label.setText(text)
        # Log x before the curves are drawn: a paint between the two would read the linear range
        # (up to 10⁶ epochs) as powers of ten on the log axis.
        if not self._log_x and not self._log_x_user:
            first = max(float(self._history[0].epoch), 1.0)
            if self._history.last_epoch >= first * 10.0**LOG_X_DECADES:
                self._log_x_auto = True
                self.log_x_check.setChecked(True)
        if throttle:
            self._redraws.trigger()
        else:
            self._redraw()
        self._gap_dirty = True
        self._redraw_gap()  # the L − L* tab (set_reference_loss)

    def show_snapshot(self, snapshot) -> None:
        """Convenience for the controller's ``progress`` signal: append its reports, mark its best epoch."""
        self.append(snapshot.reports)
        self.set_best_epoch(getattr(snapshot, "best_epoch", None))

    def set_best_epoch(self, epoch: int | None) -> None:
        """Mark ``epoch`` (early stopping's best) with a vertical line on both plots; None hides it."""
        self._best_epoch = None if epoch is None else int(epoch)
        for line in self._best_lines:
            if epoch is None:
                line.hide()
            else:
                line.show()
                line.setValue(self._x_position(epoch))
                line.label.setFormat(f"best epoch {int(epoch)}")

    @property
    def best_epoch(self) -> int | None:
        return self._best_epoch

    def show_frame(self, frame) -> None:
        """Mark the epoch of a recorded frame on show (:class:`lab_app.view_state.Frame`); a live
        frame or None hides the mark."""
        epoch = None if frame is None or frame.live else frame.epoch
        self._shown_epoch = epoch
        for line in self._shown_lines:
            if epoch is None:
                line.hide()
            else:
                line.setValue(self._x_position(epoch))
                line.show()
                line.label.setFormat(f"shown {int(epoch)}")

    @property
    def shown_epoch(self) -> int | None:
        """The recorded epoch marked on the plots, or None while live."""
        return self._shown_epoch

    def set_log_y(self, on: bool) -> None:
        """Logarithmic y axis on the loss plot (the check box calls this)."""
        if self.log_y_check.isChecked() != bool(on):
            self.log_y_check.setChecked(bool(on))  # re-enters through toggled
            return
        self.plot_item.setLogMode(x=self._log_x, y=bool(on))

    @property
    def log_x(self) -> bool:
        """True while the epoch axes are logarithmic."""
        return self._log_x

    def set_log_x(self, on: bool) -> None:
        """Logarithmic epoch axis on every tab, as the user's choice (the check box's click)."""
        self._log_x_user = True
        self.log_x_check.setChecked(bool(on))
        self._apply_log_x(bool(on))

    def _log_x_clicked(self, on: bool) -> None:
        self._log_x_user = True
        self._log_x_auto = False

    def _apply_log_x(self, on: bool) -> None:
        on = bool(on)
        if on == self._log_x:
            return
        self._log_x = on
        self.plot_item.setLogMode(x=on, y=self.log_y_check.isChecked())
        self.accuracy_plot_item.setLogMode(x=on, y=False)
        if self.gap_plot_item is not None:
            self.gap_plot_item.setLogMode(x=on, y=True)
        # vertical marks sit at view coordinates: log10(epoch) on a log axis
        for lines, epoch in ((self._best_lines, self._best_epoch), (self._shown_lines, self._shown_epoch)):
            if epoch is not None:
                for line in lines:
                    line.setValue(self._x_position(epoch))

    def _x_position(self, epoch: float) -> float:
        return math.log10(max(float(epoch), 1e-12)) if self._log_x else float(epoch)

    # ------------------------------------ pinned runs (lab_app.training.pinned), dashed
    def set_pinned(self, runs: Sequence, labels: Sequence[str]) -> None:
        """Overlay pinned runs (``PinnedRun``: ``curves``, ``slot``): on both tabs each run's training
        curve dashed and its validation curve dash-dotted, in its slot's colour, with ``labels[i]``
        ("lr 0.1 · batch 8") in the legend."""
        for items in self._pinned:
            for plot, item in zip(
                (self.plot_item, self.plot_item, self.accuracy_plot_item, self.accuracy_plot_item), items
            ):
                for legend in self._legends:
                    legend.removeItem(item)
                plot.removeItem(item)
        self._pinned, self.pinned_labels = [], [f"pinned: {label}" for label in labels]
        dash, dash_dot = Qt.PenStyle.DashLine, Qt.PenStyle.DashDotLine
        for run, label in zip(runs, self.pinned_labels):
            color, c = pin_color(run.slot), run.curves
            x, has_val = c["epoch"], bool(np.isfinite(c["val_loss"]).any())
            items = []
            for plot, legend, column, style in (
                (self.plot_item, self._legends[0], "train_loss", dash),
                (self.plot_item, None, "val_loss", dash_dot),
                (self.accuracy_plot_item, self._legends[1], "train_accuracy", dash),
                (self.accuracy_plot_item, None, "val_accuracy", dash_dot),
            ):
                item = self._curve(plot, color, style)
                item.setZValue(-1)  # under the live run's curves
                if has_val or column.startswith("train"):
                    item.setData(x, c[column])
                if legend is not None:
                    legend.addItem(item, label)
                items.append(item)
            self._pinned.append(tuple(items))

    @property
    def pinned_items(self) -> list[tuple]:
        """Per pinned run, its ``(train loss, validation loss, train accuracy, validation accuracy)`` curves."""
        return list(self._pinned)

    # --------------------------------------------------------------- helpers
    def _curve(self, item: pg.PlotItem, color: str, style) -> pg.PlotDataItem:
        # One pixel wide: Qt strokes antialiased lines up to 1 px on a fast path; a 2-px curve costs
        # ~60 µs a point once the loss is noisy (measured: 140 epochs 8 ms a curve, 3,000 epochs
        # 157 ms; at 1 px 0.08 ms and 0.8 ms), so a long run's redraw would freeze the window.
        curve = pg.PlotDataItem(pen=pg.mkPen(color, width=1, style=style), antialias=True, connect="finite")
        item.addItem(curve)  # PlotItem.addItem imposes the plot's own defaults, so set ours after it
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        return curve

    def _set_has_val(self, on: bool) -> None:
        if on == self._has_val:
            return
        self._has_val = on
        for legend, curve in zip(self._legends, (self.val_curve, self.val_acc_curve)):
            if on:
                legend.addItem(curve, "validation")
            else:
                legend.removeItem(curve)
            curve.setVisible(on)

    def _redraw(self) -> None:
        """Redraw the curves now (a pending throttled redraw is dropped: this one covers it)."""
        self._redraws.fire()

    def _draw_curves(self) -> None:
        h = self._history
        for extent, column in zip(self._x_extents, ("train_loss", "train_accuracy")):
            if h:  # y: a value the curve has, so only x is extended
                first = h[0]
                y = getattr(first, column)
                extent.setData([first.epoch, _x_end(h.last_epoch)], [y, y])
            else:
                extent.setData([], [])
        for curve, column in zip((self.train_curve, self.val_curve, self.train_acc_curve, self.val_acc_curve), _CURVES):
            if self._has_val or column.startswith("train"):
                curve.setData(*h.series(column))
            else:
                curve.setData([], [])
        # Apply the new auto-range now: left to the paint, it changes the axes during the paint
        # and so costs a second full repaint (measured: 2 paints per append, 1 with this).
        self.loss_widget.scene().prepareForPaint()

    # ------------------------------------ L − L*: distance to the exact optimum (reference dock)
    GAP_COLOR = "#CC79A7"  # Okabe–Ito reddish purple: not a training/validation colour here
    _ref_loss = None
    _gap_floor = 0.0
    _gap_dirty = False
    gap_widget = gap_plot_item = gap_curve = None

    def set_reference_loss(self, L_star: float | None, floor: float | None = None) -> None:
        """Show the tab "L − L*": the training objective (loss + penalty) minus ``L_star``, the
        exact optimum's objective, on a log axis, so the convergence rate (a straight line for
        linear convergence) and the minibatch noise floor are visible. Gaps below ``floor`` (the
        run's float precision) are drawn at it. None hides the tab."""
        if L_star is None:
            self._ref_loss = None
            if self.gap_widget is not None:
                self.tabs.setTabVisible(self.tabs.indexOf(self.gap_widget), False)
            return
        self._ensure_gap_tab()
        self._ref_loss = float(L_star)
        self._gap_floor = float(floor) if floor else 1e-7 * max(abs(self._ref_loss), 1e-6)
        self.gap_floor_line.setValue(np.log10(self._gap_floor))
        self.tabs.setTabVisible(self.tabs.indexOf(self.gap_widget), True)
        self._redraw_gap(force=True)

    @property
    def reference_loss(self) -> float | None:
        return self._ref_loss

    def gap_data(self) -> tuple[np.ndarray, np.ndarray]:
        """``(epochs, L − L*)`` as drawn (floored at the precision limit); empty without a reference."""
        if self._ref_loss is None or not self._history:
            return np.empty(0), np.empty(0)
        epochs, objective = self._history.series("objective")
        return epochs, np.maximum(objective - self._ref_loss, self._gap_floor)

    def _ensure_gap_tab(self) -> None:
        if self.gap_widget is not None:
            return
        self.gap_widget, self.gap_plot_item = _make_plot("gapPlot", "L − L*  (objective above the optimum)")
        self.gap_plot_item.setLogMode(x=self._log_x, y=True)
        self.gap_curve = self._curve(self.gap_plot_item, self.GAP_COLOR, Qt.PenStyle.SolidLine)
        self.gap_floor_line = pg.InfiniteLine(
            angle=0,
            movable=False,
            pen=pg.mkPen("#999999", width=1, style=Qt.PenStyle.DashLine),
            label="float precision",
            labelOpts={"position": 0.92, "color": "#777777", "anchors": [(1, 1), (1, 1)]},
        )
        self.gap_plot_item.addItem(self.gap_floor_line, ignoreBounds=True)
        self.gap_widget.setToolTip(
            "Objective minus the exact optimum's (from the Reference dock). "
            "A straight falling line on this log axis is linear convergence; "
            "a level it cannot get below is the minibatch noise floor."
        )
        self.tabs.addTab(self.gap_widget, "L − L*")
        self.tabs.currentChanged.connect(lambda _i: self._redraw_gap())

    def _redraw_gap(self, force: bool = False) -> None:
        """Redraw the L − L* curve now if its tab is on show, else when it is shown."""
        if self.gap_curve is None:
            return
        if not force and not (self._gap_dirty and self.tabs.currentWidget() is self.gap_widget):
            return
        self._gap_dirty = False
        epochs, gap = self.gap_data()
        self.gap_curve.setData(epochs, gap)


def _x_end(epoch: float) -> float:
    """The end of the epoch axis for data up to ``epoch``: the next of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6,
    8 × 10^k (at least 10), so the axis grows in steps of at most a third."""
    epoch = max(float(epoch), 10.0)
    scale = 10.0 ** math.floor(math.log10(epoch))
    return next(m * scale for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * scale >= epoch)


def _make_plot(name: str, ylabel: str) -> tuple[pg.PlotWidget, pg.PlotItem]:
    widget, item = make_plot(name, (220, 110), grid=0.15)
    for axis_name, text in (("bottom", "epoch"), ("left", ylabel)):
        axis = item.getAxis(axis_name)
        axis.enableAutoSIPrefix(False)  # "(x0.001)" on a loss axis only confuses
        # Repaint an unchanged axis (and its grid) from a pixmap: replaying its tick labels costs
        # ~2 ms an axis at every redraw of the curves.
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        item.setLabel(axis_name, text, color=TEXT_PEN)
    item.getViewBox().setMouseEnabled(x=True, y=False)
    item.setDownsampling(auto=True, mode="peak")  # also what the plot's context menu shows
    item.setClipToView(True)
    item.setContentsMargins(4, 8, 12, 4)
    return widget, item
