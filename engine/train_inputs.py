"""A run's split of the rows and each split's model inputs in one full-size array; minibatches
gathered a block of rows at a time.

The trainer used to keep, per split, its mapped and standardized features with the bias column
appended, the targets, and per epoch shuffled copies of both: with the rows it was built from,
four to five copies of the data (a CSV's CLI fit peaked at 4–10× the file). Here a split keeps
its standardized features in the network's dtype without the bias column (the one full-size
array) and its labels (a view when every row trains). The bias column, the targets and the
shuffled order live in buffers of :data:`GATHER_ROWS` rows, refilled as an epoch goes. Every
number equals the old copies' bit for bit: the same arithmetic per row, the same rows in the
same order (tests/engine/test_train_inputs.py pins it).
"""

from __future__ import annotations

import numpy as np

from .network import cast_into, check_representable, targets

__all__ = [
    "GATHER_ROWS",
    "ShuffledBlocks",
    "SplitInputs",
    "augmented_buffer",
    "leading_items",
    "row_items",
    "shuffled_order",
]

#: Rows mapped and standardized at a time (float64 temporaries of this many rows).
FEATURE_ROWS = 65536
#: Rows of shuffled minibatches gathered at a time (rounded down to whole batches, at least one).
GATHER_ROWS = 65536


class SplitInputs:
    """The standardized features (n, n_inputs) in the network's dtype and the labels of one split.

    ``rows`` are indices into ``X`` and ``y``, or None for all of them; the labels are read
    through them, never copied. ``check``: refuse features the network's dtype cannot hold, naming the
    column (:func:`engine.network.check_representable`); otherwise they are clipped, as views do.
    """

    def __init__(self, model, X: np.ndarray, y: np.ndarray, rows: np.ndarray | None = None, check: bool = False):
        net = model.network
        n = len(X) if rows is None else len(rows)
        self._y, self._rows = y, rows
        self.features = np.empty((n, net.n_inputs), dtype=net.dtype)
        worst = None
        for start in range(0, n, FEATURE_ROWS):
            stop = min(start + FEATURE_ROWS, n)
            phi = model.features(X[start:stop] if rows is None else X[rows[start:stop]])
            if check:
                top = np.abs(phi).max(axis=0)
                worst = top if worst is None else np.maximum(worst, top)
            cast_into(phi, self.features[start:stop])
        if worst is not None:
            check_representable(worst[None], model.feature_names, net.dtype)
        self.rows = row_items(self.features)

    def __len__(self) -> int:
        return len(self.features)

    def labels(self, index) -> np.ndarray:
        """The labels of the split's rows ``index`` (a slice or an index array)."""
        return self._y[index] if self._rows is None else self._y[self._rows[index]]

    def chunks(self, buffer: np.ndarray):
        """(inputs with the bias column, labels) of consecutive rows, as many as ``buffer`` holds
        ((rows, n_inputs + 1), the ones column set); the inputs are a view of ``buffer``."""
        rows, leading = len(buffer), leading_items(buffer)
        for start in range(0, len(self), rows):
            part = self.rows[start : start + rows]
            np.copyto(leading[: len(part)], part)
            yield buffer[: len(part)], self.labels(slice(start, start + rows))


def augmented_buffer(rows: int, n_inputs: int, dtype) -> np.ndarray:
    """A (rows, n_inputs + 1) buffer whose last column is the ones of the folded bias."""
    out = np.empty((rows, n_inputs + 1), dtype=dtype)
    out[:, -1] = 1.0
    return out


# NumPy copies a strided block of numbers one number at a time (~1.6 ns each here), but an
# opaque item as one memcpy: seen as one item per row, rows move into a buffer with a bias
# column 5-10× faster than as numbers, and faster than the old whole-array take.
def row_items(a: np.ndarray) -> np.ndarray:
    """A C-contiguous (n, k) array as (n,) opaque items, one per row (a view)."""
    return a.view(np.dtype((np.void, a.shape[1] * a.itemsize))).reshape(len(a))


def leading_items(buffer: np.ndarray) -> np.ndarray:
    """A C-contiguous (n, k + 1) buffer's first k columns as (n,) opaque items (a strided view)."""
    k, size = buffer.shape[1] - 1, buffer.itemsize
    row = np.dtype({"names": ["x"], "formats": [(np.void, k * size)], "offsets": [0], "itemsize": (k + 1) * size})
    return buffer.view(row).reshape(len(buffer))["x"]


def shuffled_order(rng: np.random.Generator, n: int) -> np.ndarray:
    """``rng.permutation(n)``, the same numbers from the same draws, in int32 when it fits (half the memory)."""
    order = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
    rng.shuffle(order)
    return order


class ShuffledBlocks:
    """An epoch's minibatch inputs and targets, gathered in the epoch's order a block at a time.

    ``workspace`` makes the targets (:meth:`engine.network.Workspace.fit_targets`); ``batch`` is
    the minibatch size. A block is a whole number of batches, so a minibatch never spans two.
    """

    def __init__(self, split: SplitInputs, workspace, n_classes: int, batch: int):
        net = workspace.net
        n = len(split)
        rows = min(n, max(batch, GATHER_ROWS // batch * batch))
        self._split, self._workspace, self._n_classes = split, workspace, n_classes
        self._inputs = augmented_buffer(rows, net.n_inputs, net.dtype)
        self._leading = leading_items(self._inputs)
        self._targets = np.empty((rows, net.n_outputs), dtype=net.dtype)

    def gather(self, order: np.ndarray, start: int):
        """(inputs, targets, stop): rows ``order[start:stop]`` in views of the reused buffers."""
        idx = order[start : start + len(self._inputs)]
        m = len(idx)
        inputs, S = self._inputs[:m], self._targets[:m]
        split, ws = self._split, self._workspace
        np.take(split.rows, idx, out=self._leading[:m])
        S[...] = ws.fit_targets(targets(split.labels(idx), self._n_classes, ws.dtype))
        return inputs, S, start + m


def classes_present(y: np.ndarray, n_classes: int) -> int:
    """How many of the classes occur in ``y``: a count per class, not ``np.unique``'s sorted copy."""
    return int(np.count_nonzero(np.bincount(y, minlength=n_classes)))


def stratified_split(y: np.ndarray, test_fraction: float, rng: np.random.Generator):
    """Seeded stratified split: (train indices, test indices), each sorted.

    Every class puts round(fraction · count) of its points in the test split, but always keeps
    at least one in training.
    """
    y = np.asarray(y)
    if test_fraction <= 0:
        return np.arange(len(y)), np.arange(0)
    # Whole-array steps only (no Python lists, no sorting of all rows): a training thread splitting
    # a million points must not hold the interpreter for long while the window waits for it.
    codes = y.dtype.kind in "iu" and (not len(y) or y.min() >= 0)
    classes = np.flatnonzero(np.bincount(y)) if codes else np.unique(y)
    parts = [np.zeros(0, dtype=np.int64)]
    for cls in classes:
        members = np.flatnonzero(y == cls)
        rng.shuffle(members)
        k = min(int(round(test_fraction * len(members))), len(members) - 1)
        parts.append(members[:k])
    test_idx = np.sort(np.concatenate(parts)).astype(np.int64, copy=False)
    in_train = np.ones(len(y), dtype=bool)
    in_train[test_idx] = False
    return np.flatnonzero(in_train), test_idx
