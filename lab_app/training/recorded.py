"""The run's recorded weights: ``(epoch, params)`` of its snapshots, thinned to a fixed budget.

The controller records every epoch-end snapshot of the current run here; the history scrubber moves the view
back through it and the loss landscape's PCA slice reads it. A saved session keeps a thinned copy
(:meth:`ParamHistory.to_saved`), so an opened session can be scrubbed too. The budget counts
numbers, not entries, so a big network keeps fewer entries instead of more memory.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["RECORDED_NUMBERS", "SAVED_NUMBERS", "HistoryEntry", "ParamHistory"]

#: At most this many weights (entries × parameters) go into a session file (~2 MB of JSON).
SAVED_NUMBERS = 100_000
#: At most about this many weights (entries × parameters) are held in memory (16 MB).
RECORDED_NUMBERS = 2_000_000


@dataclass(frozen=True, eq=False)
class HistoryEntry:
    """One recorded snapshot: its epoch and a read-only copy of its flat weights.

    Has the ``epoch`` and ``params`` a :class:`lab_app.training.Snapshot` has, so views that
    render snapshots render entries too."""

    epoch: int
    params: np.ndarray


class ParamHistory:
    """``(epoch, params)`` of a run's snapshots, oldest first, at most ``capacity`` entries and
    about ``budget`` numbers (``limit`` entries: the smaller of the two, at least 4; plus the best).

    Every snapshot is offered; one in ``stride`` is kept (``stride`` doubles each time the record
    fills up and every other entry is dropped). The first and the newest are always present, so
    ``entries[-1]`` is the model on show, and so is the best: the entry offered with the lowest
    ``loss``.
    """

    def __init__(self, capacity: int = 1000, budget: int = RECORDED_NUMBERS):
        if capacity < 4:
            raise ValueError("capacity must be at least 4")
        self.capacity, self.budget = int(capacity), int(budget)
        self.clear()

    def clear(self) -> None:
        self.entries: list[HistoryEntry] = []
        self.limit = self.capacity
        self.best: HistoryEntry | None = None  # the entry offered with the lowest loss
        self._best_loss = math.inf
        self.stride = 1
        self._offered = 0
        self._provisional = False  # the last entry is off-stride: the next offer replaces it
        self.version = 0  # bumps on every change (listeners compare it)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, i) -> HistoryEntry:
        return self.entries[i]

    def append(self, epoch: int, params, loss: float | None = None) -> None:
        """Offer a snapshot's weights (copied) and its loss (None: unknown). A repeated epoch
        replaces its entry."""
        entry = HistoryEntry(int(epoch), _frozen(params))
        if not self.entries:
            self.limit = max(4, min(self.capacity, self.budget // max(entry.params.size, 1)))
        last = self.entries[-1] if self.entries else None
        same_epoch = last is not None and last.epoch == entry.epoch
        if same_epoch or (self._provisional and last is not self.best):
            self.entries[-1] = entry
            if last is self.best:
                self.best = entry
        else:
            self.entries.append(entry)
        if loss is not None and math.isfinite(loss) and loss < self._best_loss:
            self.best, self._best_loss = entry, float(loss)
        if same_epoch and not self._provisional:
            self.version += 1
            return
        self._offered += 1
        self._provisional = (self._offered - 1) % self.stride != 0
        if len(self.entries) > self.limit:
            newest = self.entries[-1]
            kept = self.entries[:-1:2] if self._provisional else self.entries[::2]
            kept = kept if kept[-1] is newest else kept + [newest]
            if self.best is not None and all(e is not self.best for e in kept):
                kept.insert(bisect.bisect_left([e.epoch for e in kept], self.best.epoch), self.best)
            self.entries = kept
            self.stride *= 2
            self._provisional = self.entries[-1] is newest and (self._offered - 1) % self.stride != 0
        self.version += 1

    @property
    def nbytes(self) -> int:
        """Bytes of the recorded weights."""
        return sum(e.params.nbytes for e in self.entries)

    def epochs(self) -> np.ndarray:
        """(k,) the recorded epochs."""
        return np.array([e.epoch for e in self.entries], dtype=np.int64)

    def stack(self) -> np.ndarray:
        """(k, n_params) float64 weights, oldest first."""
        return np.array([e.params for e in self.entries], dtype=np.float64)

    def nearest(self, epoch: int) -> int:
        """Index of the entry whose epoch is closest to ``epoch`` (the earlier on a tie); -1 if empty."""
        if not self.entries:
            return -1
        epochs = [e.epoch for e in self.entries]
        i = bisect.bisect_left(epochs, epoch)
        if i == len(epochs):
            return i - 1
        if i > 0 and epoch - epochs[i - 1] <= epochs[i] - epoch:
            return i - 1
        return i

    def to_saved(self, budget: int = SAVED_NUMBERS) -> dict | None:
        """``{"epochs": [...], "params": [[...], ...]}`` for a session file: evenly thinned so that
        at most about ``budget`` numbers are written, always keeping the first, the best and the
        newest entry; None when empty."""
        if not self.entries:
            return None
        n_params = self.entries[0].params.size
        keep = max(2, min(len(self.entries), budget // max(n_params, 1)))
        idx = np.linspace(0, len(self.entries) - 1, keep).round().astype(int)
        best = [i for i, e in enumerate(self.entries) if e is self.best]
        idx = np.unique(np.concatenate([idx, best]).astype(int))
        chosen = [self.entries[i] for i in idx]
        return {"epochs": [e.epoch for e in chosen], "params": [e.params.astype(float).tolist() for e in chosen]}

    def load_saved(self, saved: dict | None, n_params: int) -> bool:
        """Refill from :meth:`to_saved` output; False (and left empty) if it does not fit ``n_params``."""
        self.clear()
        if not saved:
            return False
        epochs, params = saved.get("epochs"), np.asarray(saved.get("params"), dtype=np.float64)
        if params.ndim != 2 or params.shape != (len(epochs), n_params) or list(epochs) != sorted(epochs):
            return False
        for epoch, row in zip(epochs, params):
            self.append(int(epoch), row)
        return True


def _frozen(params) -> np.ndarray:
    a = np.array(params, copy=True)
    a.flags.writeable = False
    return a
