"""The drawing tools every canvas shares: the tool, the brush spread, the selected points, and the
actions (keys P B E S, Delete, R, Ctrl+A, Escape, 1–9, + and −) that change them.

One :class:`DrawingTools` per document is the one source of truth: the designer and the boundary
view both draw with it, so a tool or class chosen in one is the tool or class of the other, and a
selection made in one is the selection Delete and Relabel act on. The current class is the
document's own (``document.current_class``). The actions are attached to every canvas
(:meth:`DrawingTools.attach`), so their keys work wherever the focus is among them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

from lab_app.widgets.rows import rows_kept

__all__ = ["MINUS", "TOOLS", "DrawingActions", "DrawingTools"]

TOOLS = ("place", "brush", "erase", "select")
MINUS = "\u2212"
_TIPS = {
    "place": "Click to place a point, drag a point to move it, right-click to erase",
    "brush": "Hold the mouse to spray points of the current class",
    "erase": "Click or drag over points to erase them",
    "select": "Drag a rectangle to select points (Shift adds)",
}


@dataclass(frozen=True)
class DrawingActions:
    """The tools' QActions (attached to every canvas, so their shortcuts work while one has focus)."""

    tools: dict  # tool name -> checkable QAction, one checked at a time
    delete: QAction
    relabel: QAction
    select_all: QAction
    clear_selection: QAction
    add_class: QAction
    remove_class: QAction
    classes: tuple  # "Class 1" … "Class 9": keys 1–9 choose the current class

    def all(self) -> list[QAction]:
        return [
            *self.tools.values(),
            self.delete,
            self.relabel,
            self.select_all,
            self.clear_selection,
            self.add_class,
            self.remove_class,
            *self.classes,
        ]


class DrawingTools(QObject):
    """The tool, brush spread and selection of ``document`` (a LabDocument), and their actions;
    + and − are enabled while the number of classes is inside ``class_limits`` (min, max).

    The selection is a mask over the document's rows; it empties when an edit leaves rows holding
    other points (:func:`~lab_app.widgets.rows.rows_kept`), before any canvas redraws.
    """

    toolChanged = Signal(str)
    spreadChanged = Signal(float)
    selectionChanged = Signal()

    def __init__(self, document, class_limits: tuple[int, int], parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self._class_limits = class_limits
        self._tool = "place"
        self._spread = 0.30  # brush spray: standard deviation in data units
        self._selection = np.zeros(document.n_points, dtype=bool)
        self._rows = (document.X, document.labels)  # the points the selection describes
        document.pointsChanged.connect(self._on_points_changed)
        document.classesChanged.connect(self._update_enabled)
        self.actions = _build_actions(self)
        self._update_enabled()

    # ------------------------------------------------------------------ tool
    @property
    def tool(self) -> str:
        return self._tool

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"tool must be one of {TOOLS}, not {tool!r}")
        if tool != self._tool:
            self._tool = tool
            self.actions.tools[tool].setChecked(True)
            self.toolChanged.emit(tool)

    @property
    def brush_spread(self) -> float:
        """Standard deviation of the brush spray, in data units."""
        return self._spread

    def set_brush_spread(self, spread: float) -> None:
        spread = float(spread)
        if spread <= 0:
            raise ValueError(f"brush spread must be positive, not {spread}")
        if spread != self._spread:
            self._spread = spread
            self.spreadChanged.emit(spread)

    # ------------------------------------------------------------- selection
    def selection(self) -> np.ndarray:
        """Indices of the selected points, ascending."""
        return np.flatnonzero(self._selection)

    @property
    def selection_mask(self) -> np.ndarray:
        """(n_points,) bool copy: the selected points."""
        return self._selection.copy()

    def set_selection(self, indices) -> None:
        mask = np.zeros(self.document.n_points, dtype=bool)
        mask[np.asarray(indices, dtype=np.int64)] = True
        self._set_mask(mask)

    def select_all(self) -> None:
        self._set_mask(np.ones(self.document.n_points, dtype=bool))

    def clear_selection(self) -> None:
        self._set_mask(np.zeros(self.document.n_points, dtype=bool))

    def delete_selected(self) -> None:
        self.document.remove_points(self.selection())  # one command, so one undo step

    def relabel_selected(self) -> None:
        self.document.relabel(self.selection(), self.document.current_class)

    # ---------------------------------------------------------------- classes
    def add_class(self) -> None:
        """Add a class and make it the current one (the + button)."""
        self.document.set_current_class(self.document.add_class())

    def remove_class(self) -> None:
        """Remove the current class and its points (the − button)."""
        self.document.remove_class(self.document.current_class)

    def attach(self, widget: QWidget) -> None:
        """Make the actions' keys work while ``widget`` (a canvas) or a child of it has focus."""
        widget.addActions(self.actions.all())

    # ---------------------------------------------------------------- helpers
    def _on_points_changed(self) -> None:
        X, labels = self.document.X, self.document.labels
        kept = rows_kept(*self._rows, X, labels)
        self._rows = (X, labels)
        if not kept:  # rows were added, removed or replaced: old indices mean other points now
            # Nothing was selected, nothing to redraw: the canvas redraws for the new points anyway.
            # (Saying so would draw a million points' sample twice per click.)
            self._set_mask(np.zeros(len(labels), dtype=bool), quiet=not self._selection.any())

    def _set_mask(self, mask: np.ndarray, quiet: bool = False) -> None:
        if not np.array_equal(mask, self._selection):
            self._selection = mask
            if not quiet:
                self.selectionChanged.emit()
        self._update_enabled()

    def _update_enabled(self) -> None:
        has = bool(self._selection.any())
        self.actions.delete.setEnabled(has)
        self.actions.relabel.setEnabled(has)
        low, high = self._class_limits
        self.actions.add_class.setEnabled(self.document.n_classes < high)
        self.actions.remove_class.setEnabled(self.document.n_classes > low)


def _build_actions(tools: DrawingTools) -> DrawingActions:
    """Create the actions of ``tools`` and connect them to its methods."""

    # Shortcuts only fire while a canvas (or a child) has focus: digits typed into another
    # panel's spin box must not switch classes.
    def action(name, text, shortcut=None, slot=None, checkable=False, tip=""):
        act = QAction(text, tools, objectName=name, checkable=checkable)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        act.setToolTip(f"{tip or text} ({keys})" if keys else (tip or text))
        if slot is not None:
            act.triggered.connect(slot)
        return act

    group = QActionGroup(tools)
    by_tool = {}
    for tool, key in zip(TOOLS, "PBES"):
        act = action(f"designer{tool.title()}Tool", tool.title(), key, checkable=True, tip=_TIPS[tool])
        group.addAction(act)
        act.toggled.connect(lambda on, t=tool: on and tools.set_tool(t))
        by_tool[tool] = act
    by_tool["place"].setChecked(True)
    delete = action(
        "designerDeleteSelected",
        "Delete",
        QKeySequence.StandardKey.Delete,
        tools.delete_selected,
        tip="Delete the selected points",
    )
    delete.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)])
    relabel = action(
        "designerRelabelSelected",
        "Relabel",
        "R",
        tools.relabel_selected,
        tip="Give the selected points the current class",
    )
    select_all = action("designerSelectAll", "Select all", QKeySequence.StandardKey.SelectAll, tools.select_all)
    clear = action("designerClearSelection", "Clear selection", Qt.Key.Key_Escape, tools.clear_selection)
    doc = tools.document
    classes = tuple(
        action(
            f"designerClass{i + 1}",
            f"Class {i + 1}",
            str(i + 1),
            lambda _=False, i=i: i < doc.n_classes and doc.set_current_class(i),
        )
        for i in range(9)
    )
    add_class = action("designerAddClass", "+", None, tools.add_class, tip="Add a class")
    remove_class = action(
        "designerRemoveClass", MINUS, None, tools.remove_class, tip="Remove the current class and its points"
    )
    return DrawingActions(by_tool, delete, relabel, select_all, clear, add_class, remove_class, classes)
