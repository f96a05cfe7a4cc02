"""The window's docks: one way to make them, and the default layout's proportions.

Every dock has an ``objectName`` (``<key>Dock``) so that ``saveState``/``restoreState`` and
tests find it, can float, move and close, and comes back from the View menu.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

__all__ = ["DEFAULT_SIZES", "add_dock", "apply_default_sizes"]

_FEATURES = (
    QDockWidget.DockWidgetFeature.DockWidgetMovable
    | QDockWidget.DockWidgetFeature.DockWidgetFloatable
    | QDockWidget.DockWidgetFeature.DockWidgetClosable
)

#: Pixel proportions of a fresh layout: (docks, sizes, orientation); Qt scales them to the window.
DEFAULT_SIZES = (
    (("designer", "boundary", "trainer"), (525, 525, 370), Qt.Orientation.Horizontal),
    (("loss", "metrics"), (640, 440), Qt.Orientation.Horizontal),
    (("designer", "loss"), (560, 250), Qt.Orientation.Vertical),
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
) -> QDockWidget:
    """Put ``widget`` in a new dock ``<key>Dock`` in ``area`` (tabbed behind ``tab_with``'s dock,
    if given) and record it in ``docks[key]``. The View menu's toggle action is
    ``actionToggle_<key>``; a widget with ``set_shown`` learns when its tab comes to the front."""
    dock = QDockWidget(title, window)
    dock.setObjectName(f"{key}Dock")
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
        window.resizeDocks([docks[k] for k in keys], list(sizes), orientation)
