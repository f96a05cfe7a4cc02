"""Class colours shared by every view, so a class looks the same in the designer, the boundary and the legend.

The eight colours are Okabe & Ito's colour-blind-safe set (https://jfly.uni-koeln.de/color/) in their
published order, with black moved to the end: black is what we draw marks (selection, misclassified
points) with, so it is the last colour a class should get.  The first two, orange and sky blue, are the
classic binary pair: distinct for every common colour-vision deficiency and in grey-scale print.
Yellow is weak on white, so views outline every point with :func:`outline` of its colour.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QColor

#: Okabe–Ito colours as hex strings, in the order classes receive them.
OKABE_ITO: tuple[str, ...] = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
)

#: Colour of marks drawn over points (selection halo, misclassified ring); not a class colour.
INK = "#1A1A1A"

MAX_CLASSES = len(OKABE_ITO)

#: Colours of pinned runs (their dashed curves and contours), one per slot: none is the Loss view's
#: training blue or validation vermillion, the reference optimum's grey or the contour's ink.
PIN_COLORS: tuple[str, ...] = ("#CC79A7", "#009E73", "#E69F00", "#56B4E9", "#8C510A")


def pin_color(slot: int) -> str:
    """Hex colour of the pinned run in ``slot`` (wraps around)."""
    return PIN_COLORS[slot % len(PIN_COLORS)]


def hex_color(index: int) -> str:
    """Hex string of class ``index``; wraps around so callers never index out of range."""
    return OKABE_ITO[index % len(OKABE_ITO)]


def qcolor(index_or_hex: int | str | QColor, alpha: int = 255) -> QColor:
    """A new QColor for a class index, a hex string or a QColor, with ``alpha`` in 0..255."""
    color = QColor(_as_hex(index_or_hex))
    color.setAlpha(alpha)
    return color


def rgb(index_or_hex: int | str | QColor) -> tuple[int, int, int]:
    """``(r, g, b)`` in 0..255, e.g. for building a NumPy colour table for the boundary image."""
    color = QColor(_as_hex(index_or_hex))
    return color.red(), color.green(), color.blue()


def outline(index_or_hex: int | str | QColor) -> QColor:
    """A darker shade of the colour for point outlines, so light colours (yellow) read on white."""
    return QColor(_as_hex(index_or_hex)).darker(160)


def next_color(used: Iterable[str | QColor]) -> str:
    """The first palette colour not in ``used``; a new class gets a colour no other class has."""
    taken = {QColor(_as_hex(c)).name().upper() for c in used}
    for color in OKABE_ITO:
        if color.upper() not in taken:
            return color
    return OKABE_ITO[len(taken) % len(OKABE_ITO)]


def _as_hex(value: int | str | QColor) -> str:
    if isinstance(value, QColor):
        return value.name()
    if isinstance(value, str):
        if not QColor.isValidColorName(value):
            raise ValueError(f"not a colour: {value!r}; use a hex string such as '#E69F00'")
        return value
    return hex_color(int(value))


#: Colours of signs (weights, activations): positive like the positive class (sky blue), negative
#: like the negative class (orange), as TensorFlow Playground draws them.
POSITIVE, NEGATIVE = OKABE_ITO[1], OKABE_ITO[0]
