"""Gestures: every command pushed during one drag or brush stroke becomes one undo step.

Owns the grouping of commands on the document's ``QUndoStack``: the open gesture (nesting depth,
name, id) and the macro around its commands.  The macro opens lazily, at the first command, so a
gesture that changed nothing leaves no empty undo step.  Merging commands (adds, moves) share the
gesture's id, so a long drag also stays one command inside its macro.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

__all__ = ["GestureRecorder"]


class GestureRecorder:
    """Pushes commands onto ``stack``, inside a macro while a gesture is open."""

    def __init__(self, stack: QUndoStack):
        self._stack = stack
        self._depth = 0
        self._text = ""
        self._id: int | None = None
        self._macro_open = False
        self._next_id = 1

    @property
    def active(self) -> bool:
        return self._depth > 0

    @property
    def current_id(self) -> int | None:
        """The open gesture's id (commands with it merge), None outside a gesture."""
        return self._id

    def new_id(self) -> int:
        """A fresh id, for edits that merge outside a gesture."""
        self._next_id += 1
        return self._next_id

    def begin(self, text: str) -> int:
        """Open a gesture named ``text`` (nested calls join the outer one); returns its id."""
        self._depth += 1
        if self._depth == 1:
            self._text = text
            self._id = self.new_id()
        return self._id

    def end(self) -> None:
        if self._depth == 0:
            raise RuntimeError("end_gesture() without begin_gesture()")
        self._depth -= 1
        if self._depth == 0:
            if self._macro_open:
                self._stack.endMacro()
            self._macro_open = False
            self._id = None

    def push(self, command: QUndoCommand) -> None:
        if self._depth and not self._macro_open:
            self._stack.beginMacro(self._text)
            self._macro_open = True
        self._stack.push(command)
