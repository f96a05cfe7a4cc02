"""The document's value types and limits, shared by the document, its commands and its callers.

Owns: :class:`ClassInfo` (one class's name and colour), :class:`State` (everything undoable, as one
immutable value) and the limits (:data:`MIN_CLASSES`, :data:`MAX_CLASSES`, :data:`MAX_FEATURES`,
:data:`MODES`).  Imports nothing else from :mod:`lab_app.document`, so every module of the package
can import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtGui import QColor

from lab_app.widgets import palette

__all__ = ["MAX_CLASSES", "MAX_FEATURES", "MIN_CLASSES", "MODES", "ClassInfo", "State"]

MIN_CLASSES = 2
MAX_CLASSES = palette.MAX_CLASSES
MODES = ("2d", "1d")
#: Feature columns a document holds (imported data); the designer shows two of them at a time.
MAX_FEATURES = 8


@dataclass(frozen=True)
class ClassInfo:
    """One class: its display name (also the label the engine sees) and its colour as ``#rrggbb``."""

    name: str
    color: str = field(default="")

    def __post_init__(self):
        if not self.name.strip():
            raise ValueError("a class name cannot be empty")
        if isinstance(self.color, QColor):  # accept a QColor, store the hex string (immutable, JSON-able)
            object.__setattr__(self, "color", self.color.name())
        elif self.color and not QColor.isValidColorName(self.color):
            raise ValueError(f"class {self.name!r}: {self.color!r} is not a colour; use e.g. '#E69F00'")

    def qcolor(self, alpha: int = 255) -> QColor:
        return palette.qcolor(self.color, alpha)


@dataclass(frozen=True, eq=False)
class State:
    """Everything undoable, as one immutable value.

    The arrays are shared with the document, not copied: the document replaces its arrays on every
    change and never writes into one a :class:`State` holds, and nobody else may write into them.
    (Adding points may fill spare rows after an array's last row in the same buffer, never a row
    an array shows: :mod:`lab_app.document.growth`.)
    """

    xy: np.ndarray  # (n, d) every stored column, d >= 2
    labels: np.ndarray  # (n,) int64 codes into classes
    classes: tuple[ClassInfo, ...]
    feature_names: tuple[str, ...]  # d names
    label_name: str
    mode: str
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    @property
    def n_points(self) -> int:
        return len(self.labels)
