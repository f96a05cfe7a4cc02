"""The pace control: a slider over the pace ladder and the chosen pace in words.

The Trainer panel and the tool bar each show one; both edit and follow the same owner (the
training controller: ``pace``, ``set_pace`` and ``paceChanged``), so they never disagree.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

__all__ = ["PaceControl"]


class PaceControl(QWidget):
    """A slider whose positions are a ladder's stops, and a label with the owner's pace in words.

    Parameters
    ----------
    owner : object with ``pace`` (float), ``set_pace(float)`` and a ``paceChanged(float)`` signal.
    ladder : object with ``stops`` (paces, slowest first), ``describe(pace)`` and ``index(pace)``
        (the nearest stop): :data:`lab_app.training.pace.LADDER`.
    name : the objectName prefix of the slider and the label (tests find them).
    """

    def __init__(self, owner, ladder, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._ladder = ladder
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName=f"{name}Slider")
        self.slider.setRange(0, len(ladder.stops) - 1)
        self.slider.setPageStep(1)
        self.slider.setToolTip(
            "Pace: how fast training runs for the eye. Slow motion shows the minibatch steps, then "
            "whole epochs per frame, up to flat out. It never changes the numbers."
        )
        self.label = QLabel(objectName=f"{name}Label")
        # As wide as the longest words, so moving the slider never moves the layout.
        metrics = self.label.fontMetrics()
        self.label.setMinimumWidth(max(metrics.horizontalAdvance(ladder.describe(p)) for p in ladder.stops))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self._show(owner.pace)
        self.slider.valueChanged.connect(lambda i: owner.set_pace(ladder.stops[i]))
        owner.paceChanged.connect(self._show)

    def _show(self, pace: float) -> None:
        was = self.slider.blockSignals(True)
        self.slider.setValue(self._ladder.index(pace))
        self.slider.blockSignals(was)
        self.label.setText(self._ladder.describe(pace))
