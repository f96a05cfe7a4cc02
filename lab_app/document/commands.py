"""Undo commands for :class:`lab_app.document.LabDocument`: every user edit is one of these.

A command holds the minimum needed to go both ways and talks to the document only through
:class:`CommandTarget`: it reads :meth:`~CommandTarget.state` and changes the document with the
``apply_*`` primitives, which change state and emit the signals but record nothing.  Views never
construct commands; they call the document's public edit methods, which push them.

Point edits store only what they change (a drag over 10 000 points stores the moved rows).  Edits that
change everything at once (clear, remove a class, replace the data, switch mode) store a whole
:class:`~lab_app.document.types.State` before and after; they are rare and small next to a session's
memory.
"""

from __future__ import annotations

import weakref
from typing import Protocol

import numpy as np
from PySide6.QtGui import QUndoCommand

from lab_app.document.types import ClassInfo, State

__all__ = [
    "AddPointsCommand",
    "CommandTarget",
    "EditClassCommand",
    "MovePointsCommand",
    "RelabelCommand",
    "RemovePointsCommand",
    "StateCommand",
]


class CommandTarget(Protocol):
    """What a command may use of the document (``LabDocument`` implements it).

    The ``apply_*`` primitives are not undoable: only commands call them, from ``redo``/``undo``.
    Each replaces the arrays it changes (never writes into an array a :class:`State` holds) and
    emits the document's signals.
    """

    def state(self) -> State:
        """Everything undoable now (shared arrays: read them, never write into them)."""

    def apply_state(self, state: State) -> None:
        """Become ``state``; emit a signal for each part that changed."""

    def apply_insert(self, positions: np.ndarray, xy: np.ndarray, labels: np.ndarray) -> None:
        """Insert rows so that they end up at ``positions`` (sorted) of the new arrays."""

    def apply_delete(self, indices: np.ndarray) -> None:
        """Delete rows ``indices`` (sorted, unique)."""

    def apply_xy(self, indices: np.ndarray, xy: np.ndarray) -> None:
        """Set the stored rows ``indices`` to ``xy`` (k, d)."""

    def apply_labels(self, indices: np.ndarray, labels: np.ndarray) -> None:
        """Set the class codes of rows ``indices``."""

    def apply_class(self, index: int, info: ClassInfo) -> None:
        """Replace class ``index``."""


# QUndoCommand.id() values; commands with the same id may merge (mergeWith).
ADD_ID = 1001
MOVE_ID = 1002


def _plural(k: int, word: str) -> str:
    return f"{k} {word}" if k == 1 else f"{k} {word}s"


class AddPointsCommand(QUndoCommand):
    """Append ``xy`` with ``labels``.  Adds of the same gesture merge, so a brush stroke is one step."""

    def __init__(self, doc: CommandTarget, xy: np.ndarray, labels: np.ndarray, gesture_id: int | None):
        super().__init__(f"Add {_plural(len(xy), 'point')}")
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._xy = xy
        self._labels = labels
        self._gesture_id = gesture_id
        self._start = doc.state().n_points  # rows live at [start, start + k) while applied

    def redo(self):
        self._doc.apply_insert(np.arange(self._start, self._start + len(self._xy)), self._xy, self._labels)

    def undo(self):
        self._doc.apply_delete(np.arange(self._start, self._start + len(self._xy)))

    def id(self) -> int:
        return ADD_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, AddPointsCommand) or self._gesture_id is None:
            return False
        if other._gesture_id != self._gesture_id or other._start != self._start + len(self._xy):
            return False
        self._xy = np.concatenate([self._xy, other._xy])
        self._labels = np.concatenate([self._labels, other._labels])
        self.setText(f"Add {_plural(len(self._xy), 'point')}")
        return True


class RemovePointsCommand(QUndoCommand):
    """Delete rows ``indices``; undo puts them back at the same positions, so indices stay meaningful."""

    def __init__(self, doc: CommandTarget, indices: np.ndarray):
        super().__init__(f"Delete {_plural(len(indices), 'point')}")
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._indices = indices  # sorted, unique
        state = doc.state()
        self._xy = state.xy[indices].copy()
        self._labels = state.labels[indices].copy()

    def redo(self):
        self._doc.apply_delete(self._indices)

    def undo(self):
        self._doc.apply_insert(self._indices, self._xy, self._labels)


class MovePointsCommand(QUndoCommand):
    """Set rows ``indices`` to ``new_xy``.  Moves with the same gesture id merge: one drag, one step."""

    def __init__(self, doc: CommandTarget, indices: np.ndarray, new_xy: np.ndarray, gesture_id: int | None):
        super().__init__(f"Move {_plural(len(indices), 'point')}")
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._indices = indices
        self._old = doc.state().xy[indices].copy()
        self._new = new_xy
        self._gesture_id = gesture_id

    def redo(self):
        self._doc.apply_xy(self._indices, self._new)

    def undo(self):
        self._doc.apply_xy(self._indices, self._old)

    def id(self) -> int:
        return MOVE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (
            not isinstance(other, MovePointsCommand)
            or self._gesture_id is None
            or other._gesture_id != self._gesture_id
            or not np.array_equal(other._indices, self._indices)
        ):
            return False
        self._new = other._new  # keep our _old: undo returns to where the drag began
        return True


class RelabelCommand(QUndoCommand):
    """Give rows ``indices`` the class code ``label``."""

    def __init__(self, doc: CommandTarget, indices: np.ndarray, label: int):
        super().__init__(f"Relabel {_plural(len(indices), 'point')}")
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._indices = indices
        self._old = doc.state().labels[indices].copy()
        self._new = np.full(len(indices), label, dtype=np.int64)

    def redo(self):
        self._doc.apply_labels(self._indices, self._new)

    def undo(self):
        self._doc.apply_labels(self._indices, self._old)


class EditClassCommand(QUndoCommand):
    """Replace the name and/or colour of one class."""

    def __init__(self, doc: CommandTarget, index: int, info: ClassInfo, text: str):
        super().__init__(text)
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._index = index
        self._old = doc.state().classes[index]
        self._new = info

    def redo(self):
        self._doc.apply_class(self._index, self._new)

    def undo(self):
        self._doc.apply_class(self._index, self._old)


class StateCommand(QUndoCommand):
    """Swap the whole document state; for edits that touch everything (clear, remove class, import...)."""

    def __init__(self, doc: CommandTarget, text: str, after: State):
        super().__init__(text)
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._before = doc.state()
        self._after = after

    def redo(self):
        self._doc.apply_state(self._after)

    def undo(self):
        self._doc.apply_state(self._before)
