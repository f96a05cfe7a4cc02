"""One look for every plot in the lab: white background, grey axes, no pyqtgraph chrome.

The "A" auto-range button and the context menu are hidden everywhere: ranges come from the
document or the data, and the right mouse button belongs to the views (it erases in the designer).
"""

from __future__ import annotations

import pyqtgraph as pg

AXIS_PEN, TEXT_PEN = "#6b6b6b", "#333333"


def make_plot(name: str, min_size=(200, 120), grid: float | None = None):
    """A styled ``PlotWidget`` with objectName ``name``; returns (widget, plot item)."""
    widget = pg.PlotWidget(background="w")
    widget.setObjectName(name)
    widget.setMinimumSize(*min_size)
    item = widget.getPlotItem()
    item.hideButtons()
    item.setMenuEnabled(False)
    if grid is not None:
        item.showGrid(x=True, y=True, alpha=grid)
    for axis_name in ("left", "bottom"):
        axis = item.getAxis(axis_name)
        axis.setPen(pg.mkPen(AXIS_PEN))
        axis.setTextPen(pg.mkPen(TEXT_PEN))
    return widget, item
