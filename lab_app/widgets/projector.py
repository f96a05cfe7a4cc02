"""Projector mode (View ▸ Projector mode): larger fonts, thicker lines, bigger points, black on white.

A projected lab is read from the back of a room through a washed-out beam: thin grey lines and 9 pt
labels disappear. :class:`ProjectorStyle` restyles a window as it is, without the panels knowing:
the application font grows, and every pyqtgraph item in the window's plots is scaled from the
values its panel gave it — line widths by :data:`LINE_SCALE`, point sizes by :data:`POINT_SCALE`,
axis and legend text by :data:`FONT_SCALE` — and axes and text turn black (the high-contrast part;
class colours stay the colour-blind-safe set, :mod:`lab_app.widgets.palette`). Panels restyle
their items when a run or the data change, so the window calls :meth:`ProjectorStyle.apply` again
then; each item remembers the value its panel last gave it, so applying twice never scales twice,
and turning the mode off gives every item its panel's value back.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont, QPalette, QPen
from PySide6.QtWidgets import QApplication, QWidget

__all__ = ["FONT_SCALE", "LINE_SCALE", "POINT_SCALE", "ProjectorStyle"]

#: How much larger text gets (application font, tick labels, axis labels, legends).
FONT_SCALE = 1.4
#: How much thicker lines get (curves, contours, axes, marker lines).
LINE_SCALE = 2.0
#: How much larger scatter points get.
POINT_SCALE = 1.5
#: Axis and text colour in projector mode (the normal look is a grey, lab_app.widgets.plots).
INK = "#000000"
_TICK_PT = 9.0  # pyqtgraph's tick labels follow the application font unless given one
_KEY = "_projector"  # attribute holding an item's (value its panel gave, value we applied)


class ProjectorStyle:
    """Turns projector mode on and off for the widgets under ``root`` (the main window)."""

    def __init__(self, root: QWidget):
        self.root = root
        self.on = False
        app = QApplication.instance()
        self._font = QFont(app.font())
        self._palette = QPalette(app.palette())

    def set_on(self, on: bool) -> None:
        """Projector mode on or off for the application's widgets and the window's plots."""
        on = bool(on)
        if on == self.on:
            return
        self.on = on
        app = QApplication.instance()
        font = QFont(self._font)
        if on:
            font.setPointSizeF(self._font.pointSizeF() * FONT_SCALE)
        app.setFont(font)
        app.setPalette(_high_contrast(self._palette) if on else self._palette)
        self.apply()

    def apply(self, under: QWidget | None = None) -> None:
        """Restyle every plot item under ``under`` (default: the root) for the current mode (idempotent)."""
        for view in (under or self.root).findChildren(pg.GraphicsView):
            for item in view.scene().items():
                _restyle(item, self.on)


# ----------------------------------------------------------------- one item
def _restyle(item, on: bool) -> None:
    if isinstance(item, pg.PlotDataItem):
        _scaled(item, "pen", lambda: item.opts["pen"], item.setPen, _pen_scaler(on))
        if item.opts.get("symbol") is not None:
            _scaled(item, "symbolSize", lambda: item.opts["symbolSize"], item.setSymbolSize, _size_scaler(on))
    elif isinstance(item, pg.PlotCurveItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
        _scaled(item, "pen", lambda: item.opts["pen"], item.setPen, _pen_scaler(on))
    elif isinstance(item, pg.ScatterPlotItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
        _scaled(item, "size", lambda: _scatter_sizes(item), lambda s: item.setSize(s), _size_scaler(on))
    elif isinstance(item, pg.InfiniteLine):
        _scaled(item, "pen", lambda: item.pen, item.setPen, _pen_scaler(on))
    elif isinstance(item, pg.AxisItem):
        _restyle_axis(item, on)
    elif isinstance(item, pg.LabelItem) and item.text:
        _scaled(
            item,
            "label",
            lambda: item.opts.get("size"),
            lambda size: item.setText(item.text, size=size),
            _pt_scaler(on),
        )


def _restyle_axis(axis: pg.AxisItem, on: bool) -> None:
    _scaled(axis, "pen", lambda: axis.pen(), axis.setPen, _pen_scaler(on, INK if on else None))
    _scaled(axis, "textPen", lambda: axis.textPen(), axis.setTextPen, _color_scaler(on))
    font = QFont(axis.style.get("tickFont") or QApplication.instance().font())
    font.setPointSizeF(_TICK_PT * (FONT_SCALE if on else 1.0))
    axis.setStyle(tickFont=font if on else None)
    axis.label.setFont(QApplication.instance().font())


def _scaled(item, name: str, get, set_, scale) -> None:
    """Set ``name`` of ``item`` to ``scale(base)``, where base is the value its panel last gave it:
    the current value, unless that is what this function applied last time."""
    memory = item.__dict__.setdefault(_KEY, {})
    current = get()
    base, applied = memory.get(name, (None, None))
    if applied is None or not _same(current, applied):
        base = _copy(current)
    new = scale(base)
    memory[name] = (base, _copy(new))
    if not _same(current, new):
        set_(new)


def _pen_scaler(on: bool, color: str | None = None):
    def scale(pen):
        pen = QPen(pg.mkPen(pen))
        if on:
            pen.setWidthF(max(pen.widthF(), 1.0) * LINE_SCALE)
            if color is not None:
                pen.setColor(QColor(color))
        return pen

    return scale


def _color_scaler(on: bool):
    def scale(pen):
        pen = QPen(pg.mkPen(pen))
        if on:
            pen.setColor(QColor(INK))
        return pen

    return scale


def _size_scaler(on: bool):
    return lambda size: size * POINT_SCALE if on else size


def _pt_scaler(on: bool):
    def scale(size):
        if not on or not size:
            return size
        return f"{float(str(size).removesuffix('pt')) * FONT_SCALE:g}pt"

    return scale


def _scatter_sizes(item: pg.ScatterPlotItem):
    """The points' sizes: one number when uniform, else an (n,) array (a spot's −1 means the default)."""
    default = float(item.opts["size"])
    sizes = np.where(item.data["size"] < 0, default, item.data["size"]).astype(float)
    return sizes if len(sizes) and not np.all(sizes == default) else default


def _same(a, b) -> bool:
    if isinstance(a, QPen) or isinstance(b, QPen):
        a, b = pg.mkPen(a), pg.mkPen(b)
        return a.widthF() == b.widthF() and a.color() == b.color() and a.style() == b.style()
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and np.array_equal(a, b)
    return a == b


def _copy(value):
    if isinstance(value, QPen):
        return QPen(value)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def _high_contrast(palette: QPalette) -> QPalette:
    """Black text on white: the contrast a projector beam leaves readable."""
    p = QPalette(palette)
    for role, color in (
        (QPalette.ColorRole.WindowText, "#000000"),
        (QPalette.ColorRole.Text, "#000000"),
        (QPalette.ColorRole.ButtonText, "#000000"),
        (QPalette.ColorRole.Base, "#FFFFFF"),
        (QPalette.ColorRole.Window, "#FFFFFF"),
        (QPalette.ColorRole.Highlight, "#0033AA"),
        (QPalette.ColorRole.HighlightedText, "#FFFFFF"),
    ):
        p.setColor(role, QColor(color))
    return p
