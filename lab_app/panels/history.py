"""Time travel: a scrubber over the run's recorded weights, and onion skins.

:class:`HistoryScrubber` is a bar under the decision boundary: a slider and an epoch box put a
recorded epoch on show (:meth:`lab_app.view_state.ViewState.show_recorded`) while training goes
on; every view that follows the view state (the boundary, the Metrics dock, the Loss plot's
marker, the 1-D curve) then shows that epoch, and "Live" returns to following training. "Onion
skin" draws the boundaries of a few earlier epochs faintly; "Size by loss" sizes the points by
−log P(true class). The recorded weights are the controller's
(:class:`lab_app.training.recorded.ParamHistory`), so a reopened session can be scrubbed too.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
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

__all__ = ["ONION_SKINS", "HistoryScrubber"]

#: How many earlier boundaries the onion skin shows.
ONION_SKINS = 5
#: Milliseconds between onion-skin updates while training runs (each costs a few grid evaluations).
ONION_INTERVAL_MS = 200
_MINUS = "\u2212"


class HistoryScrubber(QWidget):
    """A bar that moves the view state through the run's recorded epochs.

    Parameters
    ----------
    controller : the :class:`lab_app.training.controller.TrainingController` (its ``recorded``
        weights, ``history`` of reports, ``runStarted`` and ``progress``).
    view_state : the :class:`lab_app.view_state.ViewState` whose frame it moves.
    """

    def __init__(self, controller, view_state, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("historyScrubber")
        self.controller, self.view_state = controller, view_state
        self.history = controller.recorded
        self._report_key, self._report = None, None
        self._build()
        self._onion_refresh = Debouncer.throttle(ONION_INTERVAL_MS, self._refresh_skins, parent=self)
        controller.progress.connect(self._on_progress)
        view_state.frameChanged.connect(self._sync_controls)
        view_state.runChanged.connect(self._sync_controls)

    # ------------------------------------------------------------ public API
    @property
    def live(self) -> bool:
        return self.view_state.live

    @property
    def index(self) -> int:
        """The recorded entry on show (-1 while live)."""
        frame = self.view_state.frame
        if self.live or frame is None or not len(self.history):
            return -1
        return self.history.nearest(frame.epoch)

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
        self.view_state.show_recorded(entry.epoch, entry.params)
        self._refresh_skins()

    def show_epoch(self, epoch: int) -> None:
        """Show the recorded entry nearest to ``epoch``."""
        self.show_index(self.history.nearest(int(epoch)))

    def go_live(self) -> None:
        """Follow training again: the newest snapshot, the live metrics, no marker."""
        self.view_state.go_live()
        self._refresh_skins()

    @property
    def shown_epoch(self) -> int | None:
        """The epoch on show: the recorded one, else the newest recorded (None before any)."""
        if not len(self.history):
            return None
        return self.history[self.index].epoch

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
        self.size_check.toggled.connect(self.view_state.set_size_by_loss)
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
    def _on_progress(self, _snapshot) -> None:
        # The controller recorded the snapshot before announcing it: the slider's range grew
        # (under a recorded epoch on show, too).
        self._sync_controls()
        if self.onion_check.isChecked() and self.live:
            self._onion_refresh.trigger()

    def _on_slider(self, value: int) -> None:
        self.show_index(value)

    def _on_spin(self, value: int) -> None:
        self.show_epoch(value)

    # ------------------------------------------------------------- helpers
    def _sync_controls(self, *_args) -> None:
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

    def _readout_text(self) -> str:
        n = len(self.history)
        if n == 0:
            return "No run yet."
        if self.live:
            return (
                f"Live: epoch {self.history[-1].epoch}. Drag the slider back to see an earlier "
                "epoch; hover a point for its numbers."
            )
        epoch = self.view_state.frame.epoch
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

    def _refresh_skins(self, *_args) -> None:
        if not self.onion_check.isChecked() or len(self.history) < 2:
            self.view_state.set_skins([])
            return
        current = len(self.history) - 1 if self.live else self.index
        self.view_state.set_skins([self.history[i].params for i in self._skin_indices(current)])

    def _skin_indices(self, current: int) -> list[int]:
        """Up to ONION_SKINS entries before ``current``, evenly spaced in epochs, oldest first."""
        if current <= 0:
            return []
        epochs = self.history.epochs()[: current + 1]
        targets = np.linspace(epochs[0], epochs[current], ONION_SKINS + 1)[:-1]
        picks = sorted({int(np.clip(np.searchsorted(epochs, t), 0, current - 1)) for t in targets})
        return picks


def _report_at(history, epoch: int):
    """The EpochReport of ``epoch`` if the run's report history keeps it whole (an older epoch of a
    long run may be decimated away), or None."""
    epochs, _ = history.arrays()
    i = int(np.searchsorted(epochs, epoch))
    return history[i] if i < len(epochs) and epochs[i] == epoch else None
