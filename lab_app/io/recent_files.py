"""The File ▸ Open Recent menu: the last files opened, saved or imported, kept in QSettings."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, QSettings, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

__all__ = ["MAX_RECENT", "SETTINGS_KEY", "RecentFiles"]

MAX_RECENT = 10
SETTINGS_KEY = "files/recent"


class RecentFiles(QObject):
    """Newest first, at most :data:`MAX_RECENT`; ``openRequested(path)`` when the user picks one."""

    openRequested = Signal(str)

    def __init__(self, settings: QSettings, parent: QWidget):
        super().__init__(parent)
        self.settings = settings
        self.menu = QMenu("Open &Recent", parent)
        self.menu.setObjectName("menuRecent")
        self.menu.aboutToShow.connect(self._fill)
        self.menu.triggered.connect(self._on_triggered)  # one slot for all entries: no lambdas
        self._fill()

    def paths(self) -> list[str]:
        value = self.settings.value(SETTINGS_KEY, [])
        if isinstance(value, str):  # QSettings gives a one-item list back as a string
            value = [value]
        return [str(v) for v in (value or [])][:MAX_RECENT]

    def add(self, path: str) -> None:
        path = os.path.abspath(path)
        self._set([path] + [p for p in self.paths() if p != path])

    def forget(self, path: str) -> None:
        path = os.path.abspath(path)
        if path in self.paths():
            self._set([p for p in self.paths() if p != path])

    def clear(self) -> None:
        self._set([])

    def _set(self, paths: list[str]) -> None:
        self.settings.setValue(SETTINGS_KEY, paths[:MAX_RECENT])
        self._fill()

    @Slot()
    def _fill(self) -> None:
        menu = self.menu
        menu.clear()
        paths = self.paths()
        for i, path in enumerate(paths):
            name = os.path.basename(path)
            action = menu.addAction(f"&{i + 1} {name}" if i < 9 else name)
            action.setObjectName(f"actionRecentFile{i}")
            action.setData(path)
            action.setToolTip(path)
            action.setStatusTip(path)
        menu.addSeparator()
        clear = menu.addAction("&Clear the list")
        clear.setObjectName("actionRecentClear")
        clear.setData("")
        clear.setEnabled(bool(paths))

    @Slot(QAction)
    def _on_triggered(self, action: QAction) -> None:
        path = action.data()
        if path:
            self.openRequested.emit(path)
        else:
            self.clear()
