"""Time travel: the recorded weights of the current run, a scrubber over them, onion skins.

:class:`ParamHistory` keeps ``(epoch, params)`` of every snapshot of a run, thinned to at most
``capacity`` entries (when full, every other entry goes and only every 2nd, 4th, … new snapshot is
kept; the newest is always there). :class:`HistoryScrubber` is a bar under the decision boundary:
a slider and an epoch box move the boundary back to a recorded epoch (the boundary view is pinned
there while training goes on), the readout and the Metrics dock show that epoch's numbers, the
Loss plot marks it, and "Live" returns to following training. "Onion skin" draws the boundaries
of a few earlier epochs faintly; "Size by loss" sizes the points by −log P(true class). Hovering
a point shows its forensics (:mod:`engine.forensics`, drawn by the boundary view).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from lab_app.tasks import Debouncer

__all__ = ["ONION_SKINS", "HistoryEntry", "HistoryScrubber", "ParamHistory"]

#: How many earlier boundaries the onion skin shows.
ONION_SKINS = 5
#: Milliseconds between onion-skin updates while training runs (each costs a few grid evaluations).
ONION_INTERVAL_MS = 200
MARKER_COLOR = "#7a7a7a"
_MINUS = "\u2212"


@dataclass(frozen=True, eq=False)
class HistoryEntry:
    """One recorded snapshot: its epoch and a read-only copy of its flat weights.

    Has the ``epoch`` and ``params`` a :class:`lab_app.training.Snapshot` has, so views that
    render snapshots render entries too."""

    epoch: int
    params: np.ndarray


class ParamHistory:
    """``(epoch, params)`` of a run's snapshots, oldest first, at most ``capacity`` entries.

    Every snapshot is offered; one in ``stride`` is kept (``stride`` doubles each time the record
    fills up and every other entry is dropped), and the newest is always present, so
    ``entries[-1]`` is the model on show.
    """

    def __init__(self, capacity: int = 1000):
        if capacity < 4:
            raise ValueError("capacity must be at least 4")
        self.capacity = int(capacity)
        self.clear()

    def clear(self) -> None:
        self.entries: list[HistoryEntry] = []
        self.stride = 1
        self._offered = 0
        self._provisional = False  # the last entry is off-stride: the next offer replaces it
        self.version = 0  # bumps on every change (listeners compare it)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, i) -> HistoryEntry:
        return self.entries[i]

    def append(self, epoch: int, params) -> None:
        """Offer a snapshot's weights (copied). A repeated epoch replaces its entry."""
        entry = HistoryEntry(int(epoch), _frozen(params))
        if self.entries and (self._provisional or self.entries[-1].epoch == entry.epoch):
            self.entries[-1] = entry
            if not self._provisional:
                self.version += 1
                return
        else:
            self.entries.append(entry)
        self._offered += 1
        self._provisional = (self._offered - 1) % self.stride != 0
        if len(self.entries) > self.capacity:
            newest = self.entries[-1]
            kept = self.entries[:-1:2] if self._provisional else self.entries[::2]
            self.entries = kept if kept[-1] is newest else kept + [newest]
            self.stride *= 2
            self._provisional = self.entries[-1] is newest and (self._offered - 1) % self.stride != 0
        self.version += 1

    def epochs(self) -> np.ndarray:
        """(k,) the recorded epochs."""
        return np.array([e.epoch for e in self.entries], dtype=np.int64)

    def stack(self) -> np.ndarray:
        """(k, n_params) float64 weights, oldest first."""
        return np.array([e.params for e in self.entries], dtype=np.float64)

    def nearest(self, epoch: int) -> int:
        """Index of the entry whose epoch is closest to ``epoch`` (the earlier on a tie); -1 if empty."""
        if not self.entries:
            return -1
        epochs = [e.epoch for e in self.entries]
        i = bisect.bisect_left(epochs, epoch)
        if i == len(epochs):
            return i - 1
        if i > 0 and epoch - epochs[i - 1] <= epochs[i] - epoch:
            return i - 1
        return i


class HistoryScrubber(QWidget):
    """A bar that moves the boundary view through the run's recorded epochs.

    Parameters
    ----------
    controller : the :class:`lab_app.training.TrainingController` (runStarted, progress, history).
    boundary_view : the :class:`lab_app.panels.boundary.BoundaryView` to pin and unpin.
    metrics_view, loss_view, document : optional; the Metrics dock follows the shown epoch, the
        Loss plot marks it, the document names the classes.
    history : the :class:`ParamHistory` to fill (shared with the loss landscape's PCA slice).
    """

    #: The epoch on show after a move (-1: live).
    epochShown = Signal(int)

    def __init__(
        self,
        controller,
        boundary_view,
        metrics_view=None,
        document=None,
        loss_view=None,
        history: ParamHistory | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("historyScrubber")
        self.controller, self.boundary_view = controller, boundary_view
        self.metrics_view, self.loss_view, self.document = metrics_view, loss_view, document
        self.history = history if history is not None else ParamHistory()
        self.live = True
        self.index = -1  # the entry on show while not live
        self._markers: list = []
        self._report_key, self._report = None, None
        self._build()
        self._onion_refresh = Debouncer.throttle(ONION_INTERVAL_MS, self._refresh_skins, parent=self)
        self._repin_soon = Debouncer(0, self._repin_metrics, parent=self)
        controller.runStarted.connect(self._on_run_started)
        controller.progress.connect(self._on_progress)
        boundary_view.liveSnapshotHeld.connect(self._on_live_held)

    # ------------------------------------------------------------ public API
    def show_index(self, index: int) -> None:
        """Show recorded entry ``index`` (the last one means: follow training live)."""
        n = len(self.history)
        if n == 0:
            return
        index = int(np.clip(index, 0, n - 1))
        if index == n - 1:
            self.go_live()  # the right end is the newest snapshot: that is "now"
            return
        entry = self.history[index]
        self.live, self.index = False, index
        self.boundary_view.show_params(entry.params, entry.epoch)
        self._show_metrics(entry)
        self._sync_controls()
        self._refresh_skins()
        self.epochShown.emit(entry.epoch)

    def show_epoch(self, epoch: int) -> None:
        """Show the recorded entry nearest to ``epoch``."""
        self.show_index(self.history.nearest(int(epoch)))

    def go_live(self) -> None:
        """Follow training again: the newest snapshot, the live metrics, no marker."""
        was_pinned = not self.live
        self.live, self.index = True, -1
        self.boundary_view.follow_live()
        latest, info = self.controller.latest, self.controller.run_info
        if was_pinned and self.metrics_view is not None and latest is not None and info is not None:
            self.metrics_view.update_metrics(info, latest, self.document)
        self._sync_controls()
        self._refresh_skins()
        self.epochShown.emit(-1)

    @property
    def shown_epoch(self) -> int | None:
        """The epoch on show: the pinned one, else the newest recorded (None before any)."""
        if not len(self.history):
            return None
        return self.history[-1 if self.live else self.index].epoch

    # ------------------------------------------------------------- building
    def _build(self) -> None:
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="historySlider")
        self.slider.setToolTip("Move back through the recorded epochs of this run")
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._on_slider)
        self.epoch_spin = QSpinBox(objectName="historyEpoch", prefix="epoch ", keyboardTracking=False)
        self.epoch_spin.setToolTip("Show the recorded epoch nearest to this one")
        self.epoch_spin.setRange(0, 0)
        self.epoch_spin.valueChanged.connect(self._on_spin)
        self.live_button = QPushButton("Live", objectName="historyLive")
        self.live_button.setToolTip("Follow training again")
        self.live_button.clicked.connect(self.go_live)
        self.onion_check = QCheckBox("Onion skin", objectName="historyOnion")
        self.onion_check.setToolTip(
            f"Draw the boundaries of {ONION_SKINS} earlier epochs faintly (the oldest faintest)"
        )
        self.onion_check.toggled.connect(self._refresh_skins)
        self.size_check = QCheckBox("Size by loss", objectName="historySizeByLoss")
        self.size_check.setToolTip("Bigger points have a larger loss −log P(true class)")
        self.size_check.toggled.connect(self.boundary_view.set_size_by_loss)
        self.readout = QLabel(objectName="historyReadout")
        self.readout.setStyleSheet("color: #555;")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A long readout is cut at the dock's edge (its tool tip has it all), never widens the dock.
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("History"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.epoch_spin)
        row.addWidget(self.live_button)
        second = QHBoxLayout()
        second.setContentsMargins(0, 0, 0, 0)
        second.addWidget(self.onion_check)
        second.addWidget(self.size_check)
        second.addWidget(self.readout, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 2)
        layout.setSpacing(1)
        layout.addLayout(row)
        layout.addLayout(second)
        self._sync_controls()

    # ------------------------------------------------------------ reactions
    def _on_run_started(self, _info) -> None:
        # Connected before the window's own slot: unpin first, the view then takes the new run.
        self.history.clear()
        self.live, self.index = True, -1
        self.boundary_view.follow_live(render=False)
        self.boundary_view.set_onion_skins([])
        self._sync_controls()

    def _on_progress(self, snapshot) -> None:
        info = self.controller.run_info
        if info is not None and snapshot.run_id != info.run_id:
            return
        pinned = None if self.live else self.history[self.index].epoch
        self.history.append(snapshot.epoch, snapshot.params)
        if pinned is not None:  # thinning may have moved the pinned entry
            self.index = self.history.nearest(pinned)
        self._sync_controls()
        if self.onion_check.isChecked() and self.live:
            self._onion_refresh.trigger()

    def _on_slider(self, value: int) -> None:
        self.show_index(value)

    def _on_spin(self, value: int) -> None:
        self.show_epoch(value)

    def _on_live_held(self, _snapshot) -> None:
        # The window just sent live metrics too: put the pinned epoch's back once it is done.
        if not self.live and self.metrics_view is not None:
            self._repin_soon.trigger()

    def _repin_metrics(self) -> None:
        if not self.live and 0 <= self.index < len(self.history):
            self._show_metrics(self.history[self.index])
        self._sync_controls()

    # ------------------------------------------------------------- helpers
    def _show_metrics(self, entry: HistoryEntry) -> None:
        info = self.controller.run_info
        if self.metrics_view is not None and info is not None:
            self.metrics_view.update_metrics(info, entry, self.document)
        self._place_markers(entry.epoch)

    def _sync_controls(self) -> None:
        n = len(self.history)
        shown = n - 1 if self.live else self.index
        for widget, top, value in (
            (self.slider, max(n - 1, 0), max(shown, 0)),
            (self.epoch_spin, self.history[-1].epoch if n else 0, self.history[shown].epoch if n else 0),
        ):
            widget.blockSignals(True)
            widget.setMaximum(top)
            widget.setValue(value)
            widget.blockSignals(False)
        self.slider.setEnabled(n > 1)
        self.epoch_spin.setEnabled(n > 1)
        self.live_button.setEnabled(not self.live)
        text = self._readout_text()
        self.readout.setText(text)
        self.readout.setToolTip(text)
        if self.live:
            self._place_markers(None)

    def _readout_text(self) -> str:
        n = len(self.history)
        if n == 0:
            return "No run yet."
        if self.live:
            return (
                f"Live: epoch {self.history[-1].epoch}. Drag the slider back to see an earlier "
                "epoch; hover a point for its numbers."
            )
        epoch = self.history[self.index].epoch
        info = self.controller.run_info
        key = (getattr(info, "run_id", None), epoch)
        if self._report_key != key:  # looked up once per shown epoch, not at every snapshot
            self._report_key, self._report = key, _report_at(self.controller.history, epoch)
        report = self._report
        text = f"Showing epoch {epoch}"
        if epoch == 0 or report is None:
            text += " (initial weights)" if epoch == 0 else ""
        else:
            text += f" · training loss {report.train_loss:.4f}, accuracy {report.train_accuracy:.1%}"
            if report.val_loss is not None:
                text += f" · test loss {report.val_loss:.4f}, accuracy {report.val_accuracy:.1%}"
        newest = self.history[-1].epoch
        if newest != epoch:
            text += f" · training is at epoch {newest}; press Live to follow it"
        return text

    def _place_markers(self, epoch: int | None) -> None:
        if self.loss_view is None:
            return
        if not self._markers and epoch is not None:
            for item in (self.loss_view.plot_item, getattr(self.loss_view, "accuracy_plot_item", None)):
                if item is None:
                    continue
                line = pg.InfiniteLine(
                    angle=90,
                    movable=False,
                    pen=pg.mkPen(MARKER_COLOR, width=1.5, style=Qt.PenStyle.DotLine),
                    label="shown {value:.0f}",
                    labelOpts={"position": 0.9, "color": MARKER_COLOR, "fill": pg.mkBrush(255, 255, 255, 200)},
                )
                item.addItem(line, ignoreBounds=True)
                self._markers.append(line)
        for line in self._markers:
            if epoch is None:
                line.hide()
            else:
                line.setValue(epoch)
                line.show()
                line.label.valueChanged()  # the label only reformats itself while visible

    def _refresh_skins(self, *_args) -> None:
        if not self.onion_check.isChecked() or len(self.history) < 2:
            self.boundary_view.set_onion_skins([])
            return
        current = len(self.history) - 1 if self.live else self.index
        self.boundary_view.set_onion_skins([self.history[i].params for i in self._skin_indices(current)])

    def _skin_indices(self, current: int) -> list[int]:
        """Up to ONION_SKINS entries before ``current``, evenly spaced in epochs, oldest first."""
        if current <= 0:
            return []
        epochs = self.history.epochs()[: current + 1]
        targets = np.linspace(epochs[0], epochs[current], ONION_SKINS + 1)[:-1]
        picks = sorted({int(np.clip(np.searchsorted(epochs, t), 0, current - 1)) for t in targets})
        return picks


def _report_at(reports, epoch: int):
    """The EpochReport of ``epoch`` from a list ordered by epoch, or None."""
    epochs = [r.epoch for r in reports]
    i = bisect.bisect_left(epochs, epoch)
    return reports[i] if i < len(reports) and reports[i].epoch == epoch else None


def _frozen(params) -> np.ndarray:
    a = np.array(params, copy=True)
    a.flags.writeable = False
    return a
