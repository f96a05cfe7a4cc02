"""A canvas's class row: one button per class (colour, name, point count), + and − and rename."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QInputDialog, QLabel, QMenu, QToolButton, QWidget

__all__ = ["ClassBar"]


class ClassBar(QWidget):
    """Buttons that pick the document's current class (``<prefix>ClassButton{i}``), with the add
    and remove actions beside them; right-click a button to rename its class. Follows the document.

    Parameters
    ----------
    tools : the :class:`~lab_app.widgets.drawing.tools.DrawingTools` (its document and actions).
    prefix : the canvas's name, for the buttons' objectNames (``<prefix>AddClassButton``,
        ``<prefix>RemoveClassButton``).
    """

    def __init__(self, tools, prefix: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._doc = document = tools.document
        add_action, remove_action = tools.actions.add_class, tools.actions.remove_class
        #: The class buttons, in class order (the list object stays the same).
        self.buttons: list[QToolButton] = []
        self._group = QButtonGroup(self)
        self._group.idClicked.connect(document.set_current_class)
        self._bar = QHBoxLayout()
        self._bar.setSpacing(4)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Class"))
        row.addLayout(self._bar)
        for act, name in ((add_action, "AddClassButton"), (remove_action, "RemoveClassButton")):
            button = QToolButton(objectName=prefix + name)
            button.setDefaultAction(act)
            button.setFixedWidth(28)
            row.addWidget(button)
        row.addStretch(1)
        self._prefix = prefix
        document.classesChanged.connect(self.sync_classes)
        document.pointsChanged.connect(self.update_counts)
        document.currentClassChanged.connect(self.set_current)
        self.sync_classes()

    def sync_classes(self) -> None:
        """One button per class of the document."""
        classes = self._doc.classes
        while len(self.buttons) > len(classes):
            button = self.buttons.pop()
            self._group.removeButton(button)
            button.deleteLater()
        while len(self.buttons) < len(classes):
            i = len(self.buttons)
            button = QToolButton(objectName=f"{self._prefix}ClassButton{i}", checkable=True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            button.customContextMenuRequested.connect(lambda _pos, i=i: self._class_menu(i))
            self._group.addButton(button, i)
            self._bar.addWidget(button)
            self.buttons.append(button)
        self.update_counts()
        self.set_current(self._doc.current_class)

    def update_counts(self) -> None:
        """Each button's text, swatch and tip: the class name and its number of points."""
        counts = self._doc.class_counts()
        for i, (button, info) in enumerate(zip(self.buttons, self._doc.classes)):
            button.setText(f"{info.name} ({counts[i]})")
            button.setIcon(_swatch(info.qcolor()))
            key = f" (key {i + 1})" if i < 9 else ""
            button.setToolTip(f"Draw class {info.name}{key}; right-click to rename")

    def set_current(self, index: int) -> None:
        if 0 <= index < len(self.buttons):
            self.buttons[index].setChecked(True)

    def _class_menu(self, index: int) -> None:
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self._rename_class(index))
        menu.exec(self.buttons[index].mapToGlobal(QPoint(0, self.buttons[index].height())))

    def _rename_class(self, index: int) -> None:
        old = self._doc.classes[index].name
        name, ok = QInputDialog.getText(self, "Rename class", "Class name:", text=old)
        if ok and name.strip() and name.strip() not in self._doc.class_names:
            self._doc.rename_class(index, name)


def _swatch(color: QColor, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color.darker(160), 1))
    painter.setBrush(color)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)
