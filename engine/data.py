"""Datasets: the immutable snapshot of labelled points the engine trains on, and `DataError`.

A `Dataset` holds features ``X``, integer class codes ``y`` and the class values in natural order
(numbers numerically, otherwise as strings; docs/design.md §2). CSV files are read and written by
:mod:`engine.csv_io`.
"""

from __future__ import annotations

import contextvars
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np

__all__ = ["DataError", "Dataset", "require_classes", "sort_classes"]

#: Set by :meth:`Dataset.sharing` while it builds: read-only views are kept, not copied.
_SHARE_VIEWS: contextvars.ContextVar[bool] = contextvars.ContextVar("share_views", default=False)


class DataError(ValueError):
    """Bad input data; the message is meant for the user.

    ``path``, ``line`` (1-based, the header is line 1), ``column`` (name),
    ``column_number`` (1-based) and ``value`` are None when they do not apply. ``resume_line``:
    a reader that stopped here knows every line before it is fine (``engine.csv_io.find_problems``
    starts there), else 1.
    """

    def __init__(self, message, *, path=None, line=None, column=None, column_number=None, value=None):
        super().__init__(message)
        self.resume_line = 1
        self.path = path
        self.line = line
        self.column = column
        self.column_number = column_number
        self.value = value


# eq=False: the generated __eq__/__hash__ would compare or hash arrays, which NumPy refuses.
@dataclass(frozen=True, eq=False)
class Dataset:
    """Labelled points; the arrays are read-only copies, so a Dataset can be shared freely.

    An array handed over already read-only, owning its memory and in the stored dtype and layout
    (as :mod:`engine.csv_chunks` hands over what it parsed) is kept, not copied: nobody can
    write to it, and a big file's data then exist once, not twice.

    Attributes
    ----------
    X : ndarray, shape (n_samples, n_features), float64, all finite
    y : ndarray, shape (n_samples,), int64 codes 0..n_classes-1 into `classes`
    classes : tuple of int, float or str, in natural order (see `sort_classes`)
    feature_names : tuple of str, one per column of X
    label_name : str
    """

    X: np.ndarray
    y: np.ndarray
    classes: tuple
    feature_names: tuple = ()
    label_name: str = "label"

    def __post_init__(self):
        try:
            X = np.array(self.X, dtype=np.float64, order="C", copy=_copy(self.X))
            y = np.array(self.y, dtype=np.int64, copy=_copy(self.y)).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise DataError(f"X must hold numbers and y integer codes ({exc}).") from None
        if X.ndim == 1:
            X = X.reshape(-1, 1)
        if X.ndim != 2 or X.shape[1] < 1:
            raise DataError(f"X must have shape (n_samples, n_features) with at least one feature, not {X.shape}.")
        classes = tuple(self.classes)
        names = tuple(str(n) for n in self.feature_names) or tuple(f"x{i + 1}" for i in range(X.shape[1]))
        if y.shape[0] != X.shape[0]:
            raise DataError(f"X has {X.shape[0]} rows but there are {y.shape[0]} labels; give one label per row.")
        if len(names) != X.shape[1]:
            raise DataError(f"X has {X.shape[1]} columns but {len(names)} feature names were given.")
        if len(set(names)) != len(names) or self.label_name in names or "" in names:
            raise DataError(f"Column names must be distinct and non-empty: {names + (self.label_name,)}.")
        if y.size and (y.min() < 0 or y.max() >= len(classes)):
            raise DataError(f"Class codes must lie in 0..{len(classes) - 1}.")
        finite = np.isfinite(X)
        if not finite.all():
            row, col = np.argwhere(~finite)[0]
            raise DataError(f"X[{row}, {col}] is {X[row, col]}; every value must be a finite number.")
        X.setflags(write=False)
        y.setflags(write=False)
        for name, value in (("X", X), ("y", y), ("classes", classes), ("feature_names", names)):
            object.__setattr__(self, name, value)

    @classmethod
    def sharing(cls, X, y, classes, feature_names=(), label_name="label") -> Dataset:
        """A Dataset that keeps ``X`` and ``y`` themselves when they are read-only views already
        in the stored dtype and layout, not copies: for a caller whose arrays nobody writes to
        again (the lab's document hands out such views), so a million points are not copied
        for every edit. Anything else is copied as usual."""
        token = _SHARE_VIEWS.set(True)
        try:
            return cls(X, y, classes, feature_names, label_name)
        finally:
            _SHARE_VIEWS.reset(token)

    @classmethod
    def from_labels(cls, X, labels, feature_names=None, label_name="label"):
        """Build a Dataset from features and original labels; classes get natural order.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        labels : sequence of int, float or str, length n_samples. Strings are trimmed.
        """
        labels = labels if isinstance(labels, np.ndarray) else list(labels)
        try:
            classes, y = _encode(labels)
        except BadLabel as bad:
            row = next(i for i, v in enumerate(labels) if _same(v, bad.value))
            raise DataError(
                f"The label of row {row} is {bad.value!r}: {bad.reason}. Give every point a label.", value=bad.value
            ) from None
        return cls(X, y, tuple(classes), tuple(feature_names or ()), label_name)

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def n_classes(self):
        return len(self.classes)

    def labels(self):
        """Original label of each row: ndarray, shape (n_samples,), dtype object."""
        table = np.empty(len(self.classes), dtype=object)
        table[:] = self.classes
        return table[self.y]

    def subset(self, indices):
        """Rows ``indices`` (int array or boolean mask); every class is kept so codes stay valid."""
        return Dataset(self.X[indices], self.y[indices], self.classes, self.feature_names, self.label_name)


def _copy(a) -> bool | None:
    """``np.array``'s ``copy``: None (only to convert) for an array handed over read-only and
    owning its memory, else True."""
    handed_over = isinstance(a, np.ndarray) and not a.flags.writeable and (a.base is None or _SHARE_VIEWS.get())
    return None if handed_over else True


def sort_classes(values):
    """Distinct values in natural order.

    If every value is a finite number (or a string holding one) they sort numerically and
    come back as int when integral (1, not 1.0), else float; otherwise as trimmed strings.
    """
    try:
        return class_order(values)[0]
    except BadLabel as bad:
        raise DataError(f"Cannot sort the classes: {bad.reason}.", value=bad.value) from None


def require_classes(dataset, minimum=2, source="the data"):
    """Raise DataError unless at least ``minimum`` classes occur in ``dataset`` (a training-time check)."""
    present = [dataset.classes[c] for c in np.unique(dataset.y)]
    if len(present) >= minimum:
        return
    if not present:
        found = "has no data rows"
    elif len(present) == 1:
        found = f"has only one class {present[0]!r}"
    else:
        found = "has only the classes " + ", ".join(repr(c) for c in present)
    raise DataError(
        f"{source} {found}; training needs at least {minimum} classes. "
        "Add points of another class or choose another label column.",
        path=source,
    )


class BadLabel(Exception):
    """A missing or unusable class label: ``value`` and the ``reason``, for a DataError that says where."""

    def __init__(self, value, reason):
        super().__init__(reason)
        self.value, self.reason = value, reason


def parses_as_number(cell):
    """True when ``float()`` accepts ``cell`` (a string or a number)."""
    try:
        float(cell)
    except (ValueError, OverflowError):
        return False
    return True


# --------------------------------------------------------------------------- class order

_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def _encode(labels):
    """(classes, codes ndarray int64) for a sequence of labels."""
    if isinstance(labels, np.ndarray) and labels.dtype.kind in "iuf":
        # Fast path for numeric arrays: np.unique sorts numerically already.
        labels = labels.reshape(-1)
        if labels.dtype.kind == "f" and not np.isfinite(labels).all():
            raise BadLabel(labels[np.argmin(np.isfinite(labels))], "the label is missing (not a finite number)")
        values, codes = np.unique(labels, return_inverse=True)
        return [_number(v) for v in values.tolist()], codes.reshape(-1).astype(np.int64)
    labels = labels.tolist() if isinstance(labels, np.ndarray) else labels
    classes, code = class_order(labels)
    return classes, np.fromiter(map(code.__getitem__, labels), dtype=np.int64, count=len(labels))


def class_order(values):
    """(classes, {value: code}) in natural order (see `sort_classes`); raises BadLabel for a missing label."""
    distinct = list(dict.fromkeys(values))
    for value in distinct:
        _check_label(value)
    parsed = [_number(v) for v in distinct]
    if all(p is not None for p in parsed):
        keys = parsed
    else:
        keys = [v.strip() if isinstance(v, str) else str(v) for v in distinct]
    classes = sorted(set(keys))
    position = {k: i for i, k in enumerate(classes)}
    return classes, {v: position[k] for v, k in zip(distinct, keys)}


def _check_label(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BadLabel(value, "the label is missing")
    if isinstance(value, str) and "\x00" in value:
        raise BadLabel(value, "the label contains a NUL character")
    text = value.strip() if isinstance(value, str) else value
    if (
        isinstance(text, (str, numbers.Real))
        and not isinstance(text, bool)
        and parses_as_number(text)
        and not math.isfinite(float(text))
    ):  # NaN is how numeric tables mark a missing label
        raise BadLabel(value, f"the label {text!r} is missing (not a finite number)")


def _number(value):
    """The finite number ``value`` holds (int when integral and exact), or None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if _INTEGER.match(text) and len(text) < 4000:  # int() refuses longer strings
            return int(text)
        if not _DECIMAL.match(text):
            return None
        number = float(text)
    else:
        return None
    if not math.isfinite(number):
        return None
    # Beyond 2**53 a float is not an exact integer any more, so keep it a float.
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _same(a, b):
    return a is b or a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)
