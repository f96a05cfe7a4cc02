"""View ▸ Projector mode: the window's action, its remembered state, and when to restyle again.

The look itself is :class:`lab_app.widgets.projector.ProjectorStyle`; this module gives it to a
window: a checkable action in the View menu (Ctrl+Alt+P), the choice kept in the window's
``QSettings`` (``view/projector``), and a new application of the style after whatever makes panels
restyle their items (a new run, edited points or classes, pinned runs: the whole window once per
burst; a new frame: the boundary view, throttled). Closing the window gives the application its
normal font and palette back.
"""

from __future__ import annotations

from lab_app.tasks import Debouncer
from lab_app.widgets.projector import ProjectorStyle
from lab_app.window.shortcuts import make_action

__all__ = ["SETTINGS_KEY", "install_projector_mode"]

SETTINGS_KEY = "view/projector"
#: Milliseconds between re-applications of the style while panels keep restyling (training).
RESTYLE_MS = 250


def install_projector_mode(window) -> None:
    """Give ``window`` (the MainWindow, its View menu built) ``projector``, ``act_projector`` and
    ``set_projector_mode(on)``; turn the mode on if the settings say it was on."""
    window.projector = style = ProjectorStyle(window)
    again = Debouncer(0, lambda: style.apply() if style.on else None, parent=window)
    # Frames arrive ~30 a second while training; of the plots only the boundary restyles per frame
    # (its points' sizes by loss), and the whole window takes ~20 ms to walk: the boundary alone,
    # at most every RESTYLE_MS.
    boundary = Debouncer.throttle(
        RESTYLE_MS, lambda: style.apply(window.boundary_view) if style.on else None, leading=True, parent=window
    )
    window.view_state.frameChanged.connect(boundary.trigger)

    def set_mode(on: bool) -> None:
        on = bool(on)
        style.set_on(on)
        window.settings.setValue(SETTINGS_KEY, on)
        if window.act_projector.isChecked() != on:
            window.act_projector.setChecked(on)

    window.set_projector_mode = set_mode
    window.act_projector = make_action(
        window,
        "actionProjectorMode",
        "&Projector mode",
        set_mode,
        "Ctrl+Alt+P",
        "Larger text, thicker lines and bigger points, black on white: for a room and a projector",
        checkable=True,
    )
    window.view_menu.insertAction(window.act_reset_layout, window.act_projector)
    window.view_menu.insertSeparator(window.act_reset_layout)
    for signal in (
        window.view_state.runChanged,
        window.document.pointsChanged,
        window.document.classesChanged,
        window.pinned.changed,
    ):
        signal.connect(again.trigger)
    if window.settings.value(SETTINGS_KEY, False, type=bool):
        set_mode(True)
