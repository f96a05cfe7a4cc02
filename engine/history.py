"""Per-epoch numbers in fixed memory, with every spike kept: the loss history of a run of any length.

Rows (an epoch and ``C`` numbers) arrive oldest first, epochs strictly increasing. The first ``head``
rows and the newest ``recent`` to ``2 · recent`` rows are kept exactly. The rows between are cut into
buckets of ``2**level`` rows; a bucket keeps its first and last row and, per column, its smallest and
its largest value with their epochs (M4 decimation: a line through these points covers the pixels the
full curve covers, so a one-epoch spike stays visible). When ``buckets`` buckets are full they merge
pairwise and ``level`` grows by one, so the memory is fixed whatever the run length.

Guarantee (tested): a :class:`History` fed row by row holds exactly what :meth:`History.from_arrays`
computes from the whole array at once. Ties pick the earliest row; NaN (a missing value) loses to
every number in both the minimum and the maximum.

Kept in NumPy arrays, not Python objects: a long run adds no objects for the garbage collector to walk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

__all__ = ["BUCKETS", "HEAD", "RECENT", "History"]

#: Rows kept exactly at the start of a run (a log epoch axis shows them across its first decades).
HEAD = 512
#: At least this many (and fewer than twice as many) of the newest rows are kept exactly.
RECENT = 512
#: Buckets between head and recent, at most (then they merge pairwise); even.
BUCKETS = 512

# Per-bucket statistics, in this order: first epoch, first row, last epoch, last row,
# epochs of the minima (C,), minima (C,), epochs of the maxima (C,), maxima (C,).
_FIRST_EP, _FIRST, _LAST_EP, _LAST, _LO_EP, _LO, _HI_EP, _HI = range(8)


def _plain_row(epoch: int, values: np.ndarray):
    return (epoch, *values.tolist())


class History(Sequence):
    """A run's per-epoch rows in fixed memory (see the module docstring).

    As a sequence it holds the rows kept whole — the head, each bucket's first and last row, the
    recent rows — made by ``make_row(epoch, values)`` (default: a tuple). :meth:`series` gives
    a column as drawn (bucket minima and maxima included). ``row_values(row)`` turns a row back into
    ``(epoch, values)`` for :meth:`append`.

    Parameters
    ----------
    columns : names of the ``C`` numbers of a row (the epoch is not one of them).
    head, recent, buckets : sizes (see the module constants); ``buckets`` is even and at least 2.
    """

    def __init__(
        self,
        columns: Sequence[str],
        *,
        make_row: Callable = _plain_row,
        row_values: Callable | None = None,
        head: int = HEAD,
        recent: int = RECENT,
        buckets: int = BUCKETS,
    ):
        if head < 0 or recent < 1 or buckets < 2 or buckets % 2:
            raise ValueError("need head >= 0, recent >= 1 and an even buckets >= 2")
        self.columns = tuple(columns)
        self._make_row, self._row_values = make_row, row_values
        self.head, self.recent, self.buckets = int(head), int(recent), int(buckets)
        c = len(self.columns)
        self._head_ep = np.zeros(self.head, np.int64)
        self._head = np.zeros((self.head, c))
        self._rec_ep = np.zeros(2 * self.recent, np.int64)
        self._rec = np.zeros((2 * self.recent, c))
        k = self.buckets + 1  # the complete buckets and the one filling up
        self._b = (
            np.zeros(k, np.int64),
            np.zeros((k, c)),
            np.zeros(k, np.int64),
            np.zeros((k, c)),
            np.zeros((k, c), np.int64),
            np.zeros((k, c)),
            np.zeros((k, c), np.int64),
            np.zeros((k, c)),
        )
        self.clear()

    def clear(self) -> None:
        self.n_rows = 0  # rows ever added
        self.level = 0
        self._nh = self._nr = self._nb = self._partial = 0
        self._cache = None

    def copy(self) -> History:
        """An independent copy (another thread may keep adding to this one)."""
        h = History(
            self.columns,
            make_row=self._make_row,
            row_values=self._row_values,
            head=self.head,
            recent=self.recent,
            buckets=self.buckets,
        )
        h._take(self)
        return h

    # ---------------------------------------------------------------- adding
    def append(self, row) -> None:
        """Add one row (``row_values`` turns it into numbers); one not after the last epoch is skipped."""
        epoch, values = self._row_values(row)
        self.add(epoch, values)

    def extend(self, rows: Iterable) -> None:
        """Add rows in order. Another history of the same sizes given to an empty one is copied
        whole, bucket extremes included (a restored run's history)."""
        if isinstance(rows, History) and not self.n_rows and self._sizes() == rows._sizes():
            self._take(rows)
            return
        pairs = [self._row_values(row) for row in rows]
        if pairs:  # one vectorized add for a snapshot's batch of reports
            table = np.array([values for _, values in pairs], dtype=np.float64)  # None becomes NaN
            self.add_arrays([epoch for epoch, _ in pairs], table.reshape(len(pairs), len(self.columns)))

    def add(self, epoch: int, values) -> None:
        """Add one row of numbers (None for a missing value); skipped unless after the last epoch."""
        if self.n_rows and epoch <= self.last_epoch:
            return
        values = [np.nan if v is None else v for v in values]
        self._cache = None
        self.n_rows += 1
        if self._nh < self.head:
            self._head_ep[self._nh], self._head[self._nh] = epoch, values
            self._nh += 1
            return
        self._rec_ep[self._nr], self._rec[self._nr] = epoch, values
        self._nr += 1
        if self._nr == 2 * self.recent:
            self._spill()

    def add_arrays(self, epochs, table) -> None:
        """Add ``(k,)`` epochs and ``(k, C)`` numbers at once (NaN for missing values), as :meth:`add`
        would one by one."""
        epochs, table = _increasing(epochs, table, self.last_epoch if self.n_rows else None)
        i, k = 0, len(epochs)
        if k:
            self._cache = None
        while i < k:
            if self._nh < self.head:
                t = min(k - i, self.head - self._nh)
                self._head_ep[self._nh : self._nh + t], self._head[self._nh : self._nh + t] = (
                    epochs[i : i + t],
                    table[i : i + t],
                )
                self._nh += t
            else:
                t = min(k - i, 2 * self.recent - self._nr)
                self._rec_ep[self._nr : self._nr + t], self._rec[self._nr : self._nr + t] = (
                    epochs[i : i + t],
                    table[i : i + t],
                )
                self._nr += t
                if self._nr == 2 * self.recent:
                    self._spill()
            i += t
            self.n_rows += t

    @classmethod
    def from_arrays(cls, columns, epochs, table, **options) -> History:
        """The history of ``(n,)`` epochs and ``(n, C)`` numbers, decimated in one go (vectorized,
        for a long saved history); equal to adding the rows one by one (so a row not after every
        earlier epoch is skipped here too)."""
        h = cls(columns, **options)
        epochs, table = _increasing(epochs, np.reshape(table, (len(epochs), len(h.columns))), None)
        n = len(epochs)
        h._layout(n)
        nh, nb, partial, nr, w = h._nh, h._nb, h._partial, h._nr, 1 << h.level
        h._head_ep[:nh], h._head[:nh] = epochs[:nh], table[:nh]
        end = nh + nb * w
        if nb:
            _put(h._b, 0, _reduce(epochs[nh:end].reshape(nb, w), table[nh:end].reshape(nb, w, -1)))
        if partial:
            _put(h._b, nb, _reduce(epochs[end : end + partial][None], table[end : end + partial][None]))
        h._rec_ep[:nr], h._rec[:nr] = epochs[n - nr :], table[n - nr :]
        return h

    # --------------------------------------------------------------- reading
    @property
    def last_epoch(self) -> int:
        """The newest row's epoch (0 when empty)."""
        if self._nr:
            return int(self._rec_ep[self._nr - 1])
        if self._nb or self._partial:
            return int(self._b[_LAST_EP][self._nb if self._partial else self._nb - 1])
        return int(self._head_ep[self._nh - 1]) if self._nh else 0

    def __len__(self) -> int:
        return len(self._rows()[0])

    def __bool__(self) -> bool:
        return self.n_rows > 0

    def __eq__(self, other) -> bool:
        """Another history: the same sizes and contents, bucket extremes included; a list or
        tuple: the same rows kept whole."""
        if isinstance(other, History):
            if self._sizes() != other._sizes() or self._counts() != other._counts():
                return False
            k = self._nb + (self._partial > 0)
            return all(np.array_equal(a[:k], b[:k], equal_nan=True) for a, b in zip(self._b, other._b)) and all(
                np.array_equal(a, b, equal_nan=True) for a, b in zip(self._rows(), other._rows())
            )
        if isinstance(other, list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # changes as rows arrive

    def __getitem__(self, i):
        if i == -1 and self._nr:  # the newest row, asked for at every snapshot: no concatenation
            return self._make_row(int(self._rec_ep[self._nr - 1]), self._rec[self._nr - 1])
        epochs, table = self._rows()
        if isinstance(i, slice):
            return [self._make_row(int(e), v) for e, v in zip(epochs[i], table[i])]
        return self._make_row(int(epochs[i]), table[i])

    def __iter__(self):
        epochs, table = self._rows()
        for e, v in zip(epochs.tolist(), table):
            yield self._make_row(e, v)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the rows kept whole: ``(k,)`` epochs and ``(k, C)`` numbers, oldest first."""
        epochs, table = self._rows()
        return epochs.copy(), table.copy()

    def column(self, name: str) -> np.ndarray:
        """(k,) one column of the rows kept whole."""
        return self._rows()[1][:, self.columns.index(name)].copy()

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` float64 of one column as drawn: the head, per bucket its first, smallest,
        largest and last value at their epochs, the recent rows. ``x`` strictly increases."""
        c = self.columns.index(name)
        b, k = self._b, self._nb + (self._partial > 0)
        ep = np.stack([b[_FIRST_EP][:k], b[_LO_EP][:k, c], b[_HI_EP][:k, c], b[_LAST_EP][:k]], axis=1)
        val = np.stack([b[_FIRST][:k, c], b[_LO][:k, c], b[_HI][:k, c], b[_LAST][:k, c]], axis=1)
        order = np.argsort(ep, axis=1, kind="stable")
        ep, val = np.take_along_axis(ep, order, 1), np.take_along_axis(val, order, 1)
        new = np.ones(ep.shape, bool)
        new[:, 1:] = ep[:, 1:] != ep[:, :-1]
        x = np.concatenate([self._head_ep[: self._nh], ep[new], self._rec_ep[: self._nr]])
        y = np.concatenate([self._head[: self._nh, c], val[new], self._rec[: self._nr, c]])
        return x.astype(np.float64), y

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (fixed at construction)."""
        return sum(a.nbytes for a in self._arrays())

    # ------------------------------------------------------- session files
    def extremes(self) -> dict:
        """What the rows kept whole do not say, for a session file: sizes, row count, and per
        bucket and column the epochs and values of the minima and maxima."""
        k = self._nb + (self._partial > 0)
        b = self._b
        return {
            "n_rows": self.n_rows,
            "head": self.head,
            "recent": self.recent,
            "buckets": self.buckets,
            "lo_epoch": b[_LO_EP][:k].copy(),
            "lo": b[_LO][:k].copy(),
            "hi_epoch": b[_HI_EP][:k].copy(),
            "hi": b[_HI][:k].copy(),
        }

    @classmethod
    def from_saved(cls, columns, epochs, table, extremes: dict | None, **options) -> History:
        """Rebuild from the rows kept whole (:meth:`arrays`) and :meth:`extremes`; without extremes
        the rows are taken as a full history (an older session file). ValueError when they disagree."""
        epochs, table = np.asarray(epochs, np.int64), np.asarray(table, np.float64)
        if extremes is None:
            return cls.from_arrays(columns, epochs, table, **options)
        options.update(head=extremes["head"], recent=extremes["recent"], buckets=extremes["buckets"])
        h = cls(columns, **options)
        h._layout(int(extremes["n_rows"]))
        k = h._nb + (h._partial > 0)
        single = np.zeros(k, bool)
        if k:
            single[: h._nb] = h.level == 0
            single[k - 1] |= h._partial == 1
        expected = h._nh + 2 * k - int(single.sum()) + h._nr
        if len(epochs) != expected or len(extremes["lo"]) != k or (len(epochs) > 1 and np.any(np.diff(epochs) <= 0)):
            raise ValueError("the history's rows do not match its buckets")
        h._head_ep[: h._nh], h._head[: h._nh] = epochs[: h._nh], table[: h._nh]
        firsts = h._nh + np.concatenate([[0], np.cumsum(2 - single)])[:k].astype(int)
        lasts = firsts + 1 - single
        b = h._b
        b[_FIRST_EP][:k], b[_FIRST][:k] = epochs[firsts], table[firsts]
        b[_LAST_EP][:k], b[_LAST][:k] = epochs[lasts], table[lasts]
        for i, key in ((_LO_EP, "lo_epoch"), (_LO, "lo"), (_HI_EP, "hi_epoch"), (_HI, "hi")):
            b[i][:k] = np.asarray(extremes[key]).reshape(k, len(h.columns))
        h._rec_ep[: h._nr], h._rec[: h._nr] = epochs[len(epochs) - h._nr :], table[len(epochs) - h._nr :]
        return h

    # --------------------------------------------------------------- helpers
    def _counts(self) -> tuple:
        return self.n_rows, self.level, self._nh, self._nr, self._nb, self._partial

    def _sizes(self) -> tuple:
        return self.columns, self.head, self.recent, self.buckets

    def _take(self, other: History) -> None:
        for mine, theirs in zip(self._arrays(), other._arrays()):
            mine[...] = theirs
        self.n_rows, self.level, self._nh, self._nr = other.n_rows, other.level, other._nh, other._nr
        self._nb, self._partial, self._cache = other._nb, other._partial, None

    def _arrays(self) -> tuple:
        return (self._head_ep, self._head, self._rec_ep, self._rec, *self._b)

    def _layout(self, n: int) -> None:
        """Set the counts that ``n`` rows added one by one leave: head, buckets, level, recent."""
        nh = min(n, self.head)
        folded = self.recent * max(0, (n - nh) // self.recent - 1)  # spilled in steps of ``recent``
        level = 0
        while folded >> level >= self.buckets:
            level += 1
        self._nb, self._partial = divmod(folded, 1 << level)
        self.n_rows, self.level, self._nh, self._nr = n, level, nh, n - nh - folded
        self._cache = None

    def _rows(self) -> tuple[np.ndarray, np.ndarray]:
        if self._cache is None:
            b, k = self._b, self._nb + (self._partial > 0)
            ep = np.stack([b[_FIRST_EP][:k], b[_LAST_EP][:k]], axis=1)
            val = np.stack([b[_FIRST][:k], b[_LAST][:k]], axis=1)
            new = np.ones(ep.shape, bool)
            new[:, 1] = ep[:, 1] != ep[:, 0]
            self._cache = (
                np.concatenate([self._head_ep[: self._nh], ep[new], self._rec_ep[: self._nr]]),
                np.concatenate([self._head[: self._nh], val[new], self._rec[: self._nr]]),
            )
        return self._cache

    def _spill(self) -> None:
        """Fold the oldest ``recent`` of the recent rows into the buckets."""
        r = self.recent
        self._fold(self._rec_ep[:r].copy(), self._rec[:r].copy())
        self._rec_ep[:r], self._rec[:r] = self._rec_ep[r:], self._rec[r:]
        self._nr = r

    def _fold(self, epochs: np.ndarray, table: np.ndarray) -> None:
        i, k = 0, len(epochs)
        while i < k:
            w = 1 << self.level
            if not self._partial and k - i >= w:  # whole buckets at once
                q = min((k - i) // w, self.buckets - self._nb)
                j = i + q * w
                _put(self._b, self._nb, _reduce(epochs[i:j].reshape(q, w), table[i:j].reshape(q, w, -1)))
                self._nb += q
            else:  # into the bucket filling up
                q = min(k - i, w - self._partial)
                j = i + q
                part = _reduce(epochs[i:j][None], table[i:j][None])
                if self._partial:
                    part = _combine(_take(self._b, self._nb, self._nb + 1), part)
                _put(self._b, self._nb, part)
                self._partial += q
                if self._partial == w:
                    self._nb, self._partial = self._nb + 1, 0
            i = j
            if self._nb == self.buckets:  # full: merge pairwise
                half = self.buckets // 2
                left, right = _take(self._b, 0, self.buckets, 2), _take(self._b, 1, self.buckets, 2)
                _put(self._b, 0, _combine(left, right))
                self._nb, self.level = half, self.level + 1


def _increasing(epochs, table, after: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose epoch is after ``after`` (None: any) and after every earlier row's."""
    epochs, table = np.asarray(epochs, np.int64), np.asarray(table, np.float64)
    if not len(epochs):
        return epochs, table
    start = np.iinfo(np.int64).min if after is None else after
    keep = epochs > np.maximum.accumulate(np.concatenate([[start], epochs[:-1]]))
    return epochs[keep], table[keep]


def _reduce(epochs: np.ndarray, values: np.ndarray) -> tuple:
    """Statistics of ``q`` buckets from ``(q, w)`` epochs and ``(q, w, C)`` values."""
    q = len(epochs)
    lo = np.argmin(np.where(np.isnan(values), np.inf, values), axis=1)  # (q, C), earliest on ties
    hi = np.argmax(np.where(np.isnan(values), -np.inf, values), axis=1)
    rows = np.arange(q)[:, None]
    return (
        epochs[:, 0],
        values[:, 0],
        epochs[:, -1],
        values[:, -1],
        epochs[rows, lo],
        np.take_along_axis(values, lo[:, None, :], 1)[:, 0],
        epochs[rows, hi],
        np.take_along_axis(values, hi[:, None, :], 1)[:, 0],
    )


def _combine(a: tuple, b: tuple) -> tuple:
    """Statistics of buckets ``a`` followed by buckets ``b`` (elementwise); the earlier wins ties."""
    lo = np.where(np.isnan(b[_LO]), np.inf, b[_LO]) < np.where(np.isnan(a[_LO]), np.inf, a[_LO])
    hi = np.where(np.isnan(b[_HI]), -np.inf, b[_HI]) > np.where(np.isnan(a[_HI]), -np.inf, a[_HI])
    return (
        a[_FIRST_EP],
        a[_FIRST],
        b[_LAST_EP],
        b[_LAST],
        np.where(lo, b[_LO_EP], a[_LO_EP]),
        np.where(lo, b[_LO], a[_LO]),
        np.where(hi, b[_HI_EP], a[_HI_EP]),
        np.where(hi, b[_HI], a[_HI]),
    )


def _take(stats: tuple, start: int, stop: int, step: int = 1) -> tuple:
    return tuple(s[start:stop:step].copy() for s in stats)


def _put(stats: tuple, start: int, new: tuple) -> None:
    for s, n in zip(stats, new):
        s[start : start + len(n)] = n
