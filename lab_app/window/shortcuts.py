"""Actions with the platform's shortcuts, and a conventional fallback where the platform has none."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

__all__ = ["key_sequences", "make_action"]

# Used when the platform theme defines no binding for a standard key (e.g. offscreen, some desktops).
_FALLBACK_KEYS = {
    QKeySequence.StandardKey.Quit: "Ctrl+Q",
    QKeySequence.StandardKey.HelpContents: "F1",
    QKeySequence.StandardKey.Redo: "Ctrl+Shift+Z",
    QKeySequence.StandardKey.SaveAs: "Ctrl+Shift+S",
}


def key_sequences(shortcut) -> list[QKeySequence]:
    """The platform's bindings for a standard key (with a conventional fallback), or one sequence."""
    if isinstance(shortcut, QKeySequence.StandardKey):
        keys = QKeySequence.keyBindings(shortcut)
        fallback = _FALLBACK_KEYS.get(shortcut)
        if fallback and QKeySequence(fallback) not in keys:
            keys = [*keys, QKeySequence(fallback)] if keys else [QKeySequence(fallback)]
        return keys
    return [QKeySequence(shortcut)]


def make_action(owner: QWidget, name: str, text: str, slot=None, shortcut=None, tip="", checkable=False) -> QAction:
    """A QAction named ``name`` on ``owner`` (its shortcut works while the owner's window is active)."""
    action = QAction(text, owner)
    action.setObjectName(name)
    if shortcut is not None:
        action.setShortcuts(key_sequences(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.setCheckable(checkable)
    if slot is not None:
        action.triggered.connect(slot)
    owner.addAction(action)
    return action
