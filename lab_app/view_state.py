"""What is on show: the one object every view follows for *which* weights of the run it draws.

The controller owns the run and sends every snapshot; the history scrubber can move the window
back to a recorded epoch. Views never ask each other what to draw: they draw
:attr:`ViewState.frame` whenever :attr:`ViewState.frameChanged` says it changed, and their
marks (onion skins, the decision threshold) likewise come from here. So the boundary, the
metrics, the loss plot's marker and the 1-D curve always show the same epoch, whatever order
their slots were connected in, and no zero-delay timer has to put a number back.

The document still owns the data's shape (1-D/2-D mode, the feature pair on the axes): those
are saved with the points and undone with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Signal

__all__ = ["Frame", "ViewState"]


@dataclass(frozen=True, eq=False)
class Frame:
    """The weights on show. ``live`` frames are the controller's newest snapshot (``snapshot``);
    a recorded frame is an earlier epoch from the history. ``extras`` are the snapshot's probe
    results (empty for recorded frames: views then evaluate the weights themselves)."""

    run_id: int
    epoch: int
    params: np.ndarray
    live: bool
    snapshot: object = None
    extras: dict = field(default_factory=dict)


class ViewState(QObject):
    """The frame on show (live or a recorded epoch), onion skins and the decision threshold.

    Parameters
    ----------
    controller : :class:`lab_app.training.controller.TrainingController` whose runs are shown.

    Signals
    -------
    frameChanged(Frame) : another frame is on show (every live snapshot, a move of the scrubber).
    runChanged(object) : a new run (RunInfo) or none (None, after the controller was cleared);
        its first frame follows.
    skinsChanged(list) : the params of the earlier epochs drawn faintly (may be empty).
    thresholdChanged(float) : the probability at which the decision contour is drawn.
    sizeByLossChanged(bool) : whether points are sized by their loss −log P(true class).
    showTestPointsChanged(bool) : whether the run's test points are drawn (View ▸ Show test points).
    discretizeChanged(bool) : whether the boundary shows hard class regions instead of probabilities.
    """

    frameChanged = Signal(object)
    runChanged = Signal(object)
    skinsChanged = Signal(list)
    thresholdChanged = Signal(float)
    sizeByLossChanged = Signal(bool)
    showTestPointsChanged = Signal(bool)
    discretizeChanged = Signal(bool)

    def __init__(self, controller, parent: QObject | None = None):
        super().__init__(parent)
        self._controller = controller
        self._frame: Frame | None = None
        self._live = True
        self._skins: list = []
        self._threshold = 0.5
        self._size_by_loss = False
        self._show_test_points = True
        self._discretize = False
        controller.runStarted.connect(self._on_run_started)
        controller.progress.connect(self._on_progress)
        controller.cleared.connect(self._on_cleared)

    # ------------------------------------------------------------ reading
    @property
    def frame(self) -> Frame | None:
        return self._frame

    @property
    def live(self) -> bool:
        """True while the newest snapshot is on show (the default)."""
        return self._live

    @property
    def run_info(self):
        return self._controller.run_info

    @property
    def skins(self) -> list:
        return list(self._skins)

    @property
    def threshold(self) -> float:
        return self._threshold

    @property
    def size_by_loss(self) -> bool:
        return self._size_by_loss

    @property
    def show_test_points(self) -> bool:
        """True (the default) while the run's test split is drawn (hollow) with the training points."""
        return self._show_test_points

    @property
    def discretize(self) -> bool:
        """True while the boundary is coloured by predicted class only (no probability shading)."""
        return self._discretize

    # ------------------------------------------------------------ changing
    def show_recorded(self, epoch: int, params: np.ndarray) -> None:
        """Show a recorded epoch of the current run; live snapshots keep arriving but are not shown."""
        info = self._controller.run_info
        if info is None:
            return
        self._live = False
        self._set_frame(Frame(info.run_id, int(epoch), params, live=False))

    def go_live(self) -> None:
        """Follow training again: the newest snapshot is on show."""
        self._live = True
        latest = self._controller.latest
        if latest is not None:
            self._set_frame(_live_frame(latest))

    def set_skins(self, params_list) -> None:
        self._skins = list(params_list)
        self.skinsChanged.emit(self.skins)

    def set_threshold(self, p: float) -> None:
        p = float(p)
        if not 0.0 < p < 1.0:
            raise ValueError(f"the threshold is a probability between 0 and 1, not {p}")
        if p != self._threshold:
            self._threshold = p
            self.thresholdChanged.emit(p)

    def set_size_by_loss(self, on: bool) -> None:
        if bool(on) != self._size_by_loss:
            self._size_by_loss = bool(on)
            self.sizeByLossChanged.emit(self._size_by_loss)

    def set_show_test_points(self, on: bool) -> None:
        if bool(on) != self._show_test_points:
            self._show_test_points = bool(on)
            self.showTestPointsChanged.emit(self._show_test_points)

    def set_discretize(self, on: bool) -> None:
        if bool(on) != self._discretize:
            self._discretize = bool(on)
            self.discretizeChanged.emit(self._discretize)

    # ------------------------------------------------------------ following the controller
    def _on_run_started(self, info) -> None:
        self._live, self._frame = True, None
        if self._skins:
            self.set_skins([])
        self.runChanged.emit(info)

    def _on_progress(self, snapshot) -> None:
        info = self._controller.run_info
        if info is None or snapshot.run_id != info.run_id or not self._live:
            return
        self._set_frame(_live_frame(snapshot))

    def _on_cleared(self) -> None:
        self._live, self._frame = True, None
        if self._skins:
            self.set_skins([])
        self.runChanged.emit(None)

    def _set_frame(self, frame: Frame) -> None:
        self._frame = frame
        self.frameChanged.emit(frame)


def _live_frame(snapshot) -> Frame:
    return Frame(snapshot.run_id, snapshot.epoch, snapshot.params, True, snapshot, snapshot.extras)
