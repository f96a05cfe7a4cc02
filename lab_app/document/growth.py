"""Appending rows to the document's arrays in amortized O(rows added), never writing a shown row.

The document never writes into an array it has handed out (training threads, undo commands and
views keep them), so an edit used to build new arrays: a click that adds one point to a million
copied all of them (tens of ms of page faults and copying on the GUI thread). An
:class:`AppendBuffer` keeps spare rows after the current ones; adding at the end writes only the
new rows into the spare space and hands out a longer view of the same buffer. Rows once shown
are never written again: after the array is cut back (an undone add), the next append starts a
fresh buffer instead of overwriting rows an older view may still show.
"""

from __future__ import annotations

import numpy as np

__all__ = ["AppendBuffer"]

#: Spare room a fresh buffer gets, as a fraction of its rows (amortizes appends to O(rows added)).
GROWTH = 0.5
MIN_ROWS = 256


class AppendBuffer:
    """The buffer behind one of the document's arrays, and how many of its rows were ever shown."""

    def __init__(self):
        self._buffer: np.ndarray | None = None
        self._shown = 0  # rows of the buffer ever handed out: never written again

    def append(self, current: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``current`` followed by ``rows``: a view that shares ``current``'s buffer when ``current``
        is all of the buffer ever shown and there is room, else a view of a fresh, roomier buffer."""
        n, k = len(current), len(rows)
        if not self._extends(current, n + k):
            buffer = np.empty((max(MIN_ROWS, int((n + k) * (1 + GROWTH))),) + current.shape[1:], current.dtype)
            buffer[:n] = current
            self._buffer = buffer
        self._buffer[n : n + k] = rows
        self._shown = n + k
        return self._buffer[: n + k]

    def _extends(self, current: np.ndarray, needed: int) -> bool:
        """True if ``current`` is the buffer's first rows, nothing after them was ever shown, and
        ``needed`` rows fit."""
        buffer = self._buffer
        return (
            buffer is not None
            and len(current) == self._shown
            and needed <= len(buffer)
            and current.dtype == buffer.dtype
            and current.shape[1:] == buffer.shape[1:]
            and current.strides == buffer.strides
            and current.__array_interface__["data"][0] == buffer.__array_interface__["data"][0]
        )
