"""The window's docks: one way to make them, and the default layout's proportions.

Every dock has an ``objectName`` (``<key>Dock``) so that ``saveState``/``restoreState`` and
tests find it, can float, move and close, and comes back from the View menu.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget

__all__ = ["DEFAULT_SIZES", "add_dock", "apply_default_sizes"]

_FEATURES = (
    QDockWidget.DockWidgetFeature.DockWidgetMovable
    | QDockWidget.DockWidgetFeature.DockWidgetFloatable
    | QDockWidget.DockWidgetFeature.DockWidgetClosable
)


def _bottom_row(height: int) -> int:
    """The bottom row's height: what a window has left over above 500 px, at most 400 px (Qt
    raises it to the row's minimum); from 900 px Metrics, Doctor and Reference optimum fit."""
    return min(400, max(0, height - 500))


#: Pixel sizes of a fresh layout: (docks, sizes, orientation); Qt scales them to the window. The
#: decision boundary (the canvas) is the biggest. None: the window's extent less the others; a
#: function: of the window's extent. The Trainer keeps its width at every window size.
DEFAULT_SIZES = (
    (("boundary", "trainer"), (None, 380), Qt.Orientation.Horizontal),
    (("loss", "metrics"), (450, 600), Qt.Orientation.Horizontal),
    (("boundary", "loss"), (None, _bottom_row), Qt.Orientation.Vertical),
)


def add_dock(
    window: QMainWindow,
    docks: dict,
    key: str,
    title: str,
    widget: QWidget,
    area: Qt.DockWidgetArea,
    *,
    tip: str = "",
    tab_with: str | None = None,
    scroll: bool = False,
) -> QDockWidget:
    """Put ``widget`` in a new dock ``<key>Dock`` in ``area`` (tabbed behind ``tab_with``'s dock,
    if given) and record it in ``docks[key]``. The View menu's toggle action is
    ``actionToggle_<key>``; a widget with ``set_shown`` learns when its tab comes to the front.
    ``scroll``: inside a frameless scroll area (``<key>Scroll``), so a tall panel does not set the
    window's minimum height; it scrolls only when the dock is shorter than the panel."""
    dock = QDockWidget(title, window)
    dock.setObjectName(f"{key}Dock")
    if scroll:
        area_widget = QScrollArea(objectName=f"{key}Scroll", widgetResizable=True)
        area_widget.setFrameShape(QFrame.Shape.NoFrame)
        area_widget.setWidget(widget)
        dock.setWidget(area_widget)
    else:
        dock.setWidget(widget)
    dock.setFeatures(_FEATURES)
    window.addDockWidget(area, dock)
    if tab_with is not None:
        window.tabifyDockWidget(docks[tab_with], dock)
    action = dock.toggleViewAction()
    action.setObjectName(f"actionToggle_{key}")
    if tip:
        action.setStatusTip(tip)
    if hasattr(widget, "set_shown"):
        dock.visibilityChanged.connect(widget.set_shown)  # tab switches give no showEvent
    docks[key] = dock
    return dock


def apply_default_sizes(window: QMainWindow, docks: dict) -> None:
    """Dock proportions for a fresh layout; Qt honours them only once the window has its size."""
    for keys, sizes, orientation in DEFAULT_SIZES:
        extent = window.width() if orientation == Qt.Orientation.Horizontal else window.height()
        sizes = [size(extent) if callable(size) else size for size in sizes]
        rest = extent - sum(size for size in sizes if size is not None)
        window.resizeDocks([docks[k] for k in keys], [rest if size is None else size for size in sizes], orientation)
