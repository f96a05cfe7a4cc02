"""A canvas's tool bar: the tools, the brush spread, Relabel and Delete (one per canvas, one state)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QToolBar, QWidget

__all__ = ["build_toolbar"]


def build_toolbar(tools, prefix: str, parent: QWidget | None = None) -> tuple[QToolBar, QDoubleSpinBox]:
    """The tool bar ``<prefix>ToolBar`` of ``tools`` (a DrawingTools); returns it and its spread
    spin box ``<prefix>BrushSpread``, which edits and follows ``tools.brush_spread``."""
    bar = QToolBar("Drawing tools", parent, objectName=f"{prefix}ToolBar")
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for act in tools.actions.tools.values():
        bar.addAction(act)
    bar.addSeparator()
    bar.addWidget(QLabel(" Spread "))
    spread = QDoubleSpinBox(
        objectName=f"{prefix}BrushSpread",
        decimals=2,
        minimum=0.01,
        maximum=100.0,
        singleStep=0.05,
        value=tools.brush_spread,
    )
    spread.setToolTip("Brush spread: standard deviation of the spray, in data units")
    spread.valueChanged.connect(tools.set_brush_spread)
    tools.spreadChanged.connect(spread.setValue)
    bar.addWidget(spread)
    bar.addSeparator()
    bar.addAction(tools.actions.relabel)
    bar.addAction(tools.actions.delete)
    return bar, spread
