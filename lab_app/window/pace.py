"""The pace is a view preference: the window's settings keep it, never a session or a TrainConfig."""

from __future__ import annotations

from lab_app.training.pace import DEFAULT_PACE, check_pace

__all__ = ["PACE_KEY", "restore_pace"]

PACE_KEY = "view/pace"


def restore_pace(settings, controller) -> None:
    """Give ``controller`` the pace saved in ``settings`` (DEFAULT_PACE the first time, or when the
    saved value is unreadable) and save every later change there."""
    try:
        pace = check_pace(float(settings.value(PACE_KEY, DEFAULT_PACE)))
    except (TypeError, ValueError):
        pace = DEFAULT_PACE
    controller.set_pace(pace)
    controller.paceChanged.connect(lambda p: settings.setValue(PACE_KEY, repr(p)))
