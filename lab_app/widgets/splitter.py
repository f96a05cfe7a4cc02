"""A splitter that turns its panes from side by side to one above the other when it is narrow."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QTableView, QWidget

__all__ = ["AdaptiveSplitter"]


class AdaptiveSplitter(QSplitter):
    """Panes side by side while the splitter is at least ``min_wide`` pixels wide, else stacked:
    two tables that fit a wide dock would both be cut off side by side in a narrow one. Stacked,
    a first pane that is a table gets no more height than its rows need, at most half; the rest is
    the second's."""

    def __init__(self, min_wide: int, parent: QWidget | None = None, objectName: str = ""):
        super().__init__(Qt.Orientation.Horizontal, parent, objectName=objectName)
        self._min_wide = int(min_wide)

    def resizeEvent(self, event) -> None:
        wide = event.size().width() >= self._min_wide
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if orientation != self.orientation():
            self.setOrientation(orientation)
        super().resizeEvent(event)
        if not wide:
            self.fit_first()

    def fit_first(self) -> None:
        """Stacked: give a first-pane table the height of its rows (call after filling it)."""
        first = self.widget(0) if self.count() == 2 else None
        if self.orientation() != Qt.Orientation.Vertical or not isinstance(first, QTableView):
            return
        scroll = first.horizontalScrollBar()
        need = (
            first.horizontalHeader().height()
            + first.verticalHeader().length()
            + 2 * first.frameWidth()
            + (scroll.sizeHint().height() if scroll.isVisible() else 0)
        )
        total = sum(self.sizes())
        first_height = max(min(need, total // 2), 1)
        self.setSizes([first_height, max(total - first_height, 1)])
