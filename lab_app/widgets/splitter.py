"""A splitter that turns its panes from side by side to one above the other when it is narrow."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget

__all__ = ["AdaptiveSplitter"]


class AdaptiveSplitter(QSplitter):
    """Panes side by side while the splitter is at least ``min_wide`` pixels wide, else stacked:
    two tables that fit a wide dock would both be cut off side by side in a narrow one."""

    def __init__(self, min_wide: int, parent: QWidget | None = None, objectName: str = ""):
        super().__init__(Qt.Orientation.Horizontal, parent, objectName=objectName)
        self._min_wide = int(min_wide)

    def resizeEvent(self, event) -> None:
        wide = event.size().width() >= self._min_wide
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if orientation != self.orientation():
            self.setOrientation(orientation)
        super().resizeEvent(event)
