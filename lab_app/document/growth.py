"""Appending rows to the document's arrays in amortized O(rows added), never writing a shown row.

The document never writes into an array it has handed out (training threads, undo commands and
views keep them), so an edit used to build new arrays: a click that adds one point to a million
copied all of them (tens of ms of page faults and copying on the GUI thread). Arrays made here
live at the start of a buffer with spare rows after them (untouched pages cost no memory);
:func:`appended` writes only the new rows into the spare space and returns a longer view of the
same buffer. Each buffer remembers how many of its rows were ever shown, and those are never
written again: after an array is cut back (an undone add), or when an older state's array comes
back (undo, redo), the next append starts a fresh buffer instead of overwriting rows an older
view may still show.
"""

from __future__ import annotations

import weakref

import numpy as np

__all__ = ["appended", "with_room"]

#: Spare room a fresh buffer gets, as a fraction of its rows (amortizes appends to O(rows added)).
GROWTH = 0.5
MIN_ROWS = 256

_shown: dict[int, tuple[weakref.ref, int]] = {}  # id(buffer) -> (the buffer, rows ever shown)


def with_room(array: np.ndarray) -> np.ndarray:
    """A copy of ``array`` at the start of a buffer with spare rows, so :func:`appended` can grow it."""
    return _fresh(array, len(array))


def appended(current: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``current`` followed by ``rows``: in ``current``'s buffer when ``current`` is every row of
    it ever shown and there is room (O(rows)), else in a fresh, roomier buffer (O(all rows))."""
    n, k = len(current), len(rows)
    buffer = _growable(current, n + k)
    if buffer is None:
        buffer = _fresh(current, n + k).base
    buffer[n : n + k] = rows
    _shown[id(buffer)] = (_shown[id(buffer)][0], n + k)
    return buffer[: n + k]


def _fresh(array: np.ndarray, needed: int) -> np.ndarray:
    n = len(array)
    buffer = np.empty((max(MIN_ROWS, int(needed * (1 + GROWTH))),) + array.shape[1:], array.dtype)
    buffer[:n] = array
    key = id(buffer)
    _shown[key] = (weakref.ref(buffer, lambda _ref: _shown.pop(key, None)), n)
    return buffer[:n]


def _growable(current: np.ndarray, needed: int) -> np.ndarray | None:
    """The buffer ``current`` starts, if nothing after ``current`` was ever shown and ``needed`` rows fit."""
    buffer = current.base
    entry = _shown.get(id(buffer)) if buffer is not None else None
    if entry is None or entry[0]() is not buffer:
        return None
    fits = (
        len(current) == entry[1]
        and needed <= len(buffer)
        and current.strides == buffer.strides
        and current.__array_interface__["data"][0] == buffer.__array_interface__["data"][0]
    )
    return buffer if fits else None
