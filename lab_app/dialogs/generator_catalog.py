"""What the "New dataset" dialog offers: generator groups and descriptions, the knobs of their
options, and the terms of the logistic model's true weights.

:func:`option_widget` makes the spin box of one generator option from :data:`OPTION_SPECS`
(or from its default value when the option has no spec).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QSlider, QSpinBox, QWidget

__all__ = [
    "DEFAULT_COS_WEIGHTS",
    "DESCRIPTIONS",
    "DISTRIBUTIONS",
    "GROUPS",
    "LINEAR_TERMS",
    "LOGISTIC_OPTIONS",
    "OPTION_SPECS",
    "SINCOS_TERMS",
    "TERM_LABELS",
    "float_spin",
    "int_spin",
    "linear_scale",
    "linked_slider",
    "log_scale",
    "option_widget",
]

#: How the generator list is grouped; keys missing here are listed last under "More".
GROUPS = (
    ("Playground classics", ("two_gaussians", "xor", "circles", "moons", "spiral", "blobs")),
    ("Known truth", ("logistic",)),
    ("1-D classics", ("one_d_gaussians", "glm6")),
)

#: One line under the list saying what the chosen generator draws.
DESCRIPTIONS = {
    "two_gaussians": "Two round clouds at (−1, −1) and (1, 1); noise is their standard deviation.",
    "xor": "Four clusters; class 1 where x₁ and x₂ share a sign. No line separates them.",
    "circles": "A small circle inside a large one: separable only with squared terms or a hidden layer.",
    "moons": "Two interleaving half circles.",
    "spiral": "Interleaved spiral arms, one class per arm: a classic test for neural networks.",
    "blobs": "3–8 Gaussian blobs on a circle, one class each: softmax regression territory.",
    "logistic": "Labels drawn from Bernoulli(σ(w·x + b)) with weights you choose: "
    "train, then compare true and learned weights.",
    "one_d_gaussians": "One feature: class 0 ~ N(−4, sd²), class 1 ~ N(4, sd²). Shows the sigmoid itself.",
    "glm6": "The six-point textbook example (fixed data; R's glm gives w = 0.552, b = −3.549).",
}

#: Known generator options: label, kind ("percent", "int", "float"), minimum, maximum, step, tip.
OPTION_SPECS = {
    "balance": ("Share of class 1", "percent", 0.5, 99.5, 5.0, "fraction of the points in class 1"),
    "factor": ("Inner radius", "float", 0.05, 0.95, 0.05, "inner circle's radius relative to the outer one"),
    "arms": ("Arms (classes)", "int", 2, 8, 1, "one class per spiral arm"),
    "turns": ("Turns", "float", 0.25, 4.0, 0.25, "full turns each arm makes"),
    "n_classes": ("Classes", "int", 3, 8, 1, "number of blobs, one class each"),
}
#: Options of the logistic generator; the "True model" group edits these, not the generic form.
LOGISTIC_OPTIONS = ("weights", "bias", "distribution", "rho")
DISTRIBUTIONS = (("normal", "Standard normal"), ("uniform", "Uniform (−√3, √3)"))
LINEAR_TERMS = ("x1", "x2")
SINCOS_TERMS = ("sin x1", "sin x2", "cos x1", "cos x2")
TERM_LABELS = {
    "x1": "w₁ (x₁)",
    "x2": "w₂ (x₂)",
    "sin x1": "w (sin x₁)",
    "sin x2": "w (sin x₂)",
    "cos x1": "w (cos x₁)",
    "cos x2": "w (cos x₂)",
}
#: Starting weights of the cos terms when the sin/cos transform is switched on (sin terms keep w₁, w₂).
DEFAULT_COS_WEIGHTS = (-2.0, 1.0)


def option_widget(name: str, default) -> tuple[QWidget | None, Callable[[], object] | None]:
    """(spin box, getter of the option's value), or (None, None) for an option no spin box can set."""
    label, kind, lo, hi, step, tip = OPTION_SPECS.get(name, (name, None, None, None, None, ""))
    if kind is None:  # an option we have no spec for: guess from its default
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            return None, None
        kind = "int" if isinstance(default, int) else "float"
        lo, hi, step = (-1000, 1000, 1) if kind == "int" else (-1000.0, 1000.0, 0.1)
    if kind == "int":
        spin = int_spin(int(lo), int(hi), "", tip)
        spin.setSingleStep(int(step))
        spin.setValue(int(default))
        return spin, spin.value
    if kind == "percent":
        spin = float_spin(lo, hi, step, "", decimals=1)
        spin.setSuffix(" %")
        spin.setToolTip(tip)
        spin.setValue(100.0 * float(default))
        return spin, lambda: spin.value() / 100.0
    spin = float_spin(lo, hi, step, "", decimals=2)
    spin.setToolTip(tip)
    spin.setValue(float(default))
    return spin, spin.value


def int_spin(lo: int, hi: int, name: str, tip: str) -> QSpinBox:
    """An integer spin box from ``lo`` to ``hi`` with thousands separators."""
    spin = QSpinBox(objectName=name)
    spin.setRange(lo, hi)
    spin.setToolTip(tip)
    spin.setGroupSeparatorShown(True)
    return spin


def float_spin(lo: float, hi: float, step: float, name: str, decimals: int = 2) -> QDoubleSpinBox:
    """A decimal spin box from ``lo`` to ``hi`` in steps of ``step``."""
    spin = QDoubleSpinBox(objectName=name)
    spin.setDecimals(decimals)
    spin.setRange(lo, hi)
    spin.setSingleStep(step)
    return spin


#: Positions of a slider beside a spin box (enough for smooth drags; the spin box holds the exact value).
SLIDER_STEPS = 1000


def linear_scale(lo: float, hi: float):
    """``(to_value, to_position)`` mapping slider positions 0..SLIDER_STEPS linearly onto ``lo``..``hi``."""

    def to_value(pos: int) -> float:
        return lo + (hi - lo) * pos / SLIDER_STEPS

    def to_position(value: float) -> int:
        return round((min(max(value, lo), hi) - lo) / (hi - lo) * SLIDER_STEPS)

    return to_value, to_position


def log_scale(lo: float, hi: float):
    """``(to_value, to_position)`` mapping slider positions logarithmically onto ``lo``..``hi`` (> 0):
    as fine among few points as among thousands."""
    a, b = math.log(lo), math.log(hi)

    def to_value(pos: int) -> float:
        return math.exp(a + (b - a) * pos / SLIDER_STEPS)

    def to_position(value: float) -> int:
        return round((math.log(min(max(value, lo), hi)) - a) / (b - a) * SLIDER_STEPS)

    return to_value, to_position


def linked_slider(spin, name: str, scale) -> tuple[QWidget, QSlider]:
    """A horizontal slider beside ``spin`` (a QSpinBox or QDoubleSpinBox), the two kept in step:
    moving the slider sets the spin box (rounded to its steps; the spin box's ``valueChanged`` is the
    one signal to follow), typing in the spin box moves the slider. ``scale`` is ``(to_value,
    to_position)`` (:func:`linear_scale`, :func:`log_scale`). Returns ``(row widget, slider)``."""
    to_value, to_position = scale
    slider = QSlider(Qt.Orientation.Horizontal, objectName=name)
    slider.setRange(0, SLIDER_STEPS)
    slider.setPageStep(SLIDER_STEPS // 20)
    slider.setToolTip(spin.toolTip())
    integral = isinstance(spin, QSpinBox)

    def from_slider(pos: int) -> None:
        value = to_value(pos)
        spin.setValue(round(value) if integral else value)

    def from_spin(value) -> None:
        was = slider.blockSignals(True)  # the slider follows; it must not round the value back
        slider.setValue(to_position(value))
        slider.blockSignals(was)

    slider.valueChanged.connect(from_slider)
    spin.valueChanged.connect(from_spin)
    from_spin(spin.value())
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(slider, 1)
    spin.setMinimumWidth(80)
    layout.addWidget(spin)
    return row, slider
