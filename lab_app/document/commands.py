"""Undo commands for :class:`lab_app.document.LabDocument`: every user edit is one of these.

Commands hold the minimum needed to go both ways and call the document's private primitives
(``_insert_rows``, ``_delete_rows``, ...), which change state and emit the signals.  Views never
construct commands; they call the document's public edit methods, which push them.

Point edits store only what they change (a drag over 10 000 points stores the moved rows).  Edits that
change everything at once (clear, remove a class, replace the data, switch mode) store a whole
:class:`State` before and after; they are rare and small next to a session's memory.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QUndoCommand

if TYPE_CHECKING:
    from lab_app.document.lab_document import ClassInfo, LabDocument, State

# QUndoCommand.id() values; commands with the same id may merge (mergeWith).
ADD_ID = 1001
MOVE_ID = 1002


def _plural(k: int, word: str) -> str:
    return f"{k} {word}" if k == 1 else f"{k} {word}s"


class AddPointsCommand(QUndoCommand):
    """Append ``xy`` with ``labels``.  Adds of the same gesture merge, so a brush stroke is one step."""

    def __init__(self, doc: LabDocument, xy: np.ndarray, labels: np.ndarray, gesture_id: int | None):
        super().__init__(f"Add {_plural(len(xy), 'point')}")
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._xy = xy
        self._labels = labels
        self._gesture_id = gesture_id
        self._start = doc.n_points  # rows live at [start, start + k) while applied

    def redo(self):
        self._doc._insert_rows(np.arange(self._start, self._start + len(self._xy)), self._xy, self._labels)

    def undo(self):
        self._doc._delete_rows(np.arange(self._start, self._start + len(self._xy)))

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

    def __init__(self, doc: LabDocument, indices: np.ndarray):
        super().__init__(f"Delete {_plural(len(indices), 'point')}")
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._indices = indices  # sorted, unique
        self._xy = doc._xy[indices].copy()
        self._labels = doc._labels[indices].copy()

    def redo(self):
        self._doc._delete_rows(self._indices)

    def undo(self):
        self._doc._insert_rows(self._indices, self._xy, self._labels)


class MovePointsCommand(QUndoCommand):
    """Set rows ``indices`` to ``new_xy``.  Moves with the same gesture id merge: one drag, one step."""

    def __init__(self, doc: LabDocument, indices: np.ndarray, new_xy: np.ndarray, gesture_id: int | None):
        super().__init__(f"Move {_plural(len(indices), 'point')}")
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._indices = indices
        self._old = doc._xy[indices].copy()
        self._new = new_xy
        self._gesture_id = gesture_id

    def redo(self):
        self._doc._set_xy(self._indices, self._new)

    def undo(self):
        self._doc._set_xy(self._indices, self._old)

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

    def __init__(self, doc: LabDocument, indices: np.ndarray, label: int):
        super().__init__(f"Relabel {_plural(len(indices), 'point')}")
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._indices = indices
        self._old = doc._labels[indices].copy()
        self._new = np.full(len(indices), label, dtype=np.int64)

    def redo(self):
        self._doc._set_labels(self._indices, self._new)

    def undo(self):
        self._doc._set_labels(self._indices, self._old)


class EditClassCommand(QUndoCommand):
    """Replace the name and/or colour of one class."""

    def __init__(self, doc: LabDocument, index: int, info: ClassInfo, text: str):
        super().__init__(text)
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._index = index
        self._old = doc.classes[index]
        self._new = info

    def redo(self):
        self._doc._set_class(self._index, self._new)

    def undo(self):
        self._doc._set_class(self._index, self._old)


class StateCommand(QUndoCommand):
    """Swap the whole document state; for edits that touch everything (clear, remove class, import...)."""

    def __init__(self, doc: LabDocument, text: str, after: State):
        super().__init__(text)
        self._doc = weakref.proxy(doc)  # no doc↔command cycle for the GC to break in the wrong order
        self._before = doc._state()
        self._after = after

    def redo(self):
        self._doc._restore(self._after)

    def undo(self):
        self._doc._restore(self._before)
