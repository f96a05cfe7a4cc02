"""The designer's actions and keys (tools P B E S, Delete, Relabel, Select all, class digits) and its tool bar."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QToolBar

__all__ = ["MINUS", "TOOLS", "DesignerActions", "build_actions", "build_toolbar"]

TOOLS = ("place", "brush", "erase", "select")
MINUS = "\u2212"
_TIPS = {
    "place": "Click to place a point, drag a point to move it, right-click to erase",
    "brush": "Hold the mouse to spray points of the current class",
    "erase": "Click or drag over points to erase them",
    "select": "Drag a rectangle to select points (Shift adds)",
}


@dataclass(frozen=True)
class DesignerActions:
    """The designer's QActions (all added to the designer, so their shortcuts work while it has focus)."""

    tools: dict  # tool name -> checkable QAction, one checked at a time
    delete: QAction
    relabel: QAction
    select_all: QAction
    add_class: QAction
    remove_class: QAction
    fit: QAction
    classes: tuple  # "Class 1" … "Class 9": keys 1–9 choose the current class


def build_actions(designer) -> DesignerActions:
    """Create the actions of ``designer`` (a DataDesigner) and connect them to its methods."""

    # Shortcuts only fire while the designer (or a child) has focus: digits typed into another
    # panel's spin box must not switch classes.
    def action(name, text, shortcut=None, slot=None, checkable=False, tip=""):
        act = QAction(text, designer, objectName=name, checkable=checkable)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        act.setToolTip(f"{tip or text} ({keys})" if keys else (tip or text))
        if slot is not None:
            act.triggered.connect(slot)
        designer.addAction(act)
        return act

    group = QActionGroup(designer)
    tools = {}
    for tool, key in zip(TOOLS, "PBES"):
        act = action(f"designer{tool.title()}Tool", tool.title(), key, checkable=True, tip=_TIPS[tool])
        group.addAction(act)
        act.toggled.connect(lambda on, t=tool: on and designer._on_tool_action(t))
        tools[tool] = act
    tools["place"].setChecked(True)
    delete = action(
        "designerDeleteSelected",
        "Delete",
        QKeySequence.StandardKey.Delete,
        designer.delete_selected,
        tip="Delete the selected points",
    )
    delete.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence(Qt.Key.Key_Backspace)])
    relabel = action(
        "designerRelabelSelected",
        "Relabel",
        "R",
        designer.relabel_selected,
        tip="Give the selected points the current class",
    )
    select_all = action("designerSelectAll", "Select all", QKeySequence.StandardKey.SelectAll, designer.select_all)
    action("designerClearSelection", "Clear selection", Qt.Key.Key_Escape, designer.clear_selection)
    classes = tuple(
        action(
            f"designerClass{i + 1}",
            f"Class {i + 1}",
            str(i + 1),
            lambda _=False, i=i: i < designer.document.n_classes and designer.document.set_current_class(i),
        )
        for i in range(9)
    )
    add_class = action("designerAddClass", "+", None, designer.add_class, tip="Add a class")
    remove_class = action(
        "designerRemoveClass",
        MINUS,
        None,
        designer.remove_class,
        tip="Remove the current class and its points",
    )
    fit = action("designerFitRanges", "Fit to data", None, designer.fit_to_data, tip="Set the axis ranges to the data")
    return DesignerActions(tools, delete, relabel, select_all, add_class, remove_class, fit, classes)


def build_toolbar(designer, actions: DesignerActions) -> tuple[QToolBar, QDoubleSpinBox]:
    """The tool bar (tools, the brush spread, Relabel, Delete); returns it and the spread spin box."""
    tools = QToolBar("Designer tools", designer, objectName="designerToolBar")
    tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for act in actions.tools.values():
        tools.addAction(act)
    tools.addSeparator()
    tools.addWidget(QLabel(" Spread "))
    spread = QDoubleSpinBox(
        objectName="designerBrushSpread", decimals=2, minimum=0.01, maximum=100.0, singleStep=0.05, value=0.30
    )
    spread.setToolTip("Brush spread: standard deviation of the spray, in data units")
    tools.addWidget(spread)
    tools.addSeparator()
    tools.addAction(actions.relabel)
    tools.addAction(actions.delete)
    return tools, spread
