"""The document's data at one moment, taken in O(1): what training is handed instead of a copy.

:class:`DataSnapshot` holds read-only views of the document's arrays, which the document replaces on
every change and never writes into (see :class:`~lab_app.document.types.State`), so a snapshot stays
valid for as long as anyone keeps it, on any thread, and taking one costs nothing however many points
there are. The O(n) work — labelling, validation, the engine's ``Dataset`` — is :meth:`DataSnapshot.dataset`,
which the training worker calls in its own thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DataSnapshot", "column_pair", "read_only_view"]


def read_only_view(a: np.ndarray) -> np.ndarray:
    """A view of ``a`` nobody can write through (O(1), no copy)."""
    view = a.view()
    view.flags.writeable = False
    return view


def column_pair(a: np.ndarray, i: int, j: int) -> np.ndarray:
    """Columns ``i`` and ``j`` (i != j) of the 2-D ``a`` as a view: one strided slice, no copy."""
    step = j - i
    stop = j + (1 if step > 0 else -1)
    return a[:, i : (stop if stop >= 0 else None) : step]


@dataclass(frozen=True, eq=False)  # eq=False: arrays inside; same_as() is the cheap comparison
class DataSnapshot:
    """The points the engine would see: ``xy`` (n, d) every stored column, ``labels`` (n,) codes into
    ``class_names``, the first ``n_dims`` columns used (1 in 1-D mode)."""

    xy: np.ndarray
    labels: np.ndarray
    n_dims: int
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    label_name: str

    @property
    def n_points(self) -> int:
        return len(self.labels)

    def same_as(self, other: DataSnapshot | None) -> bool:
        """True when both show the very same arrays and names (O(1)): nothing the engine sees changed."""
        return (
            other is not None
            and _same_view(self.xy, other.xy)
            and _same_view(self.labels, other.labels)
            and (self.n_dims, self.class_names, self.feature_names, self.label_name)
            == (other.n_dims, other.class_names, other.feature_names, other.label_name)
        )

    def dataset(self):
        """The ``engine.data.Dataset`` of these points, labelled by class name (O(n): call it off the
        GUI thread). The engine orders classes naturally and reads numeric names as numbers ("10"
        after "9"); only classes that have points appear (the engine cannot learn an empty class)."""
        from engine.data import Dataset, class_order  # lazy: the document's own tests need no engine

        present = np.flatnonzero(np.bincount(self.labels, minlength=len(self.class_names)))
        names = [self.class_names[i] for i in present]
        classes, code = class_order(names)
        if len(classes) != len(names):
            raise ValueError(f"class names {list(self.class_names)} name the same number twice; rename one")
        table = np.zeros(len(self.class_names), dtype=np.int64)
        table[present] = [code[name] for name in names]
        codes = table[self.labels]
        codes.setflags(write=False)
        # The views are of rows the document never writes again: shared, not copied.
        return Dataset.sharing(self.xy[:, : self.n_dims], codes, tuple(classes), self.feature_names, self.label_name)


def _same_view(a: np.ndarray, b: np.ndarray) -> bool:
    """The same rows of the same buffer (the document grows arrays inside one buffer, see
    :mod:`lab_app.document.growth`, and never rewrites rows it has shown)."""
    return (
        a.base is b.base
        and a.shape == b.shape
        and a.strides == b.strides
        and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    )
