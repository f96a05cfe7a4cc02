"""Dock panels that work only while seen: whether they are on show, and catching up when they are."""

from __future__ import annotations

__all__ = ["CatchUpWhenShown"]


class CatchUpWhenShown:
    """Mixin for a QWidget panel with a ``_catch_up`` debouncer (``lab_app.tasks.Debouncer``) that
    brings it up to date. Put it before ``QWidget`` in the bases."""

    def on_show(self) -> bool:
        """True if any of the panel can be seen. A tabbed dock behind another tab stays
        ``isVisible()`` in Qt 6 (it is only moved out of sight), hence the visible region."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def set_shown(self, shown: bool) -> None:
        """Connect to the dock's ``visibilityChanged``: catch up once brought to the front."""
        if shown:
            self._catch_up.trigger()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.set_shown(True)
