"""The document: the points, classes and view ranges the user made, and the undo stack that changes them.

``LabDocument`` is the single source of truth of the Qt program (docs/design.md §1).  Views read it and
subscribe to its signals; they change it only through the public edit methods below, each of which
pushes one :mod:`lab_app.document.commands` command, so every edit is undoable and the ``modified`` flag
follows the undo stack's clean state.  The commands change the document through
:class:`~lab_app.document.commands.CommandTarget` (:meth:`LabDocument.state` and the ``apply_*``
primitives at the end of the class), which nothing else calls.  Training never writes here: it takes
:meth:`LabDocument.data_snapshot`, read-only views of arrays the document never writes into again.

Points are stored as ``(n, d)`` float64 with ``d >= 2`` whatever the mode.  Hand-drawn data have
``d = 2``.  In 1-D mode the second column is kept but ignored (points added in 1-D get ``y = 0``), so
switching modes and back loses nothing.

Imported data may have more columns (up to :data:`MAX_FEATURES`); the engine trains on all of them
(:attr:`LabDocument.X`, :meth:`LabDocument.dataset`) while the designer shows one pair,
:attr:`LabDocument.view_columns` — view state, not undoable, announced by ``viewColumnsChanged``.
:attr:`LabDocument.xy` and every point edit speak in the pair's coordinates: a moved point keeps its
other columns; a new point gets, in every column outside the pair, the mean of the existing points
(0 without points), so it sits in the middle of the data along the directions nobody can see.

Class order is the user's.  The engine orders classes naturally (numbers numerically, else as
strings), so :meth:`dataset` passes class *names* as labels: the default names "A", "B", "C", ... sort
in document order; imported numeric labels ("0", "1", "10") are passed back as numbers so they sort
numerically.  A user's renames may reorder the engine's classes; map them back with
:meth:`LabDocument.class_index`, never by position.

Just over 500 lines: the document's state, its signals and the primitive changes the undo
commands (:mod:`.commands`) and the recovery journal replay; split, the primitives would leave
the state they keep consistent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QColor, QUndoStack

from lab_app.document.commands import (
    AddPointsCommand,
    EditClassCommand,
    MovePointsCommand,
    RelabelCommand,
    RemovePointsCommand,
    StateCommand,
)
from lab_app.document.gestures import GestureRecorder
from lab_app.document.growth import appended, with_room
from lab_app.document.snapshot import DataSnapshot, column_pair, read_only_view
from lab_app.document.state import (
    build_state,
    check_class,
    check_indices,
    check_new_name,
    check_range,
    check_view,
    coerce_points,
    default_name,
    empty_labels,
    fitted_ranges,
    format_label,
    same_number,
)
from lab_app.document.types import MAX_CLASSES, MAX_FEATURES, MIN_CLASSES, MODES, ClassInfo, State
from lab_app.widgets import palette

__all__ = ["LabDocument"]


class LabDocument(QObject):
    """Points with class labels, the class list, the mode and the axis ranges, behind an undo stack."""

    pointsChanged = Signal()
    classesChanged = Signal()
    currentClassChanged = Signal(int)
    modeChanged = Signal(str)
    rangesChanged = Signal()
    featureNamesChanged = Signal()
    viewColumnsChanged = Signal()
    modifiedChanged = Signal(bool)
    #: Every change an undo command makes (do, undo and redo alike), before the signals above:
    #: ``(kind, *args)`` with the ``apply_*`` primitive's name and arguments ("state" carries the
    #: new and the old State). The autosave's recovery journal records them (lab_app.io.journal).
    changeApplied = Signal(object)

    max_features = MAX_FEATURES

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._xy = np.empty((0, 2), dtype=np.float64)
        self._labels = np.empty(0, dtype=np.int64)
        self._classes: tuple[ClassInfo, ...] = (
            ClassInfo("A", palette.hex_color(0)),
            ClassInfo("B", palette.hex_color(1)),
        )
        self._current = 0
        self._mode = "2d"
        self._feature_names: tuple[str, ...] = ("x1", "x2")
        self._view_columns = (0, 1)
        self._label_name = "label"
        self._xlim = (-3.0, 3.0)
        self._ylim = (-3.0, 3.0)
        self._snapshot: tuple = ((), None)  # (what it was made of, the Dataset): see dataset()
        self._counts: tuple = (None, np.zeros(0, dtype=np.int64))  # (the labels counted, counts): see class_counts()
        self.undo_stack = QUndoStack(self)
        self._gestures = GestureRecorder(self.undo_stack)
        # A bound slot (not a lambda): Qt drops the connection when this object dies, before the stack.
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    # ----------------------------------------------------------------- reading
    @property
    def n_points(self) -> int:
        return len(self._labels)

    @property
    def n_dims(self) -> int:
        """Inputs the engine sees: 1 in 1-D mode, else every stored column (2 for drawn data)."""
        return 1 if self._mode == "1d" else self._xy.shape[1]

    @property
    def X(self) -> np.ndarray:
        """``(n_points, n_dims)`` float64, read-only: the coordinates the engine sees.

        Views, not copies (O(1) with a million points): the document never writes into an array
        it has shown, so what a caller keeps stays what it was."""
        return read_only_view(self._xy[:, : self.n_dims])

    @property
    def xy(self) -> np.ndarray:
        """``(n_points, 2)`` float64, read-only: the view pair's columns (:attr:`view_columns`; in
        1-D mode columns 0 and 1, and column 1 is ignored)."""
        return read_only_view(column_pair(self._xy, *self.view_columns))

    @property
    def column_names(self) -> tuple[str, ...]:
        """The names of every stored column (at least two, also in 1-D mode)."""
        return self._feature_names

    @property
    def view_columns(self) -> tuple[int, int]:
        """The pair of columns the designer and the boundary view show as x and y: (0, 1) unless
        the data have more than two columns and another pair was chosen; always (0, 1) in 1-D mode."""
        return (0, 1) if self._mode == "1d" else self._view_columns

    @property
    def view_names(self) -> tuple[str, str]:
        """The names of the :attr:`view_columns` (both also in 1-D mode)."""
        i, j = self.view_columns
        return self._feature_names[i], self._feature_names[j]

    @property
    def labels(self) -> np.ndarray:
        """``(n_points,)`` int64, read-only: class indices into :attr:`classes` (a view, like :attr:`X`)."""
        return read_only_view(self._labels)

    def class_counts(self) -> np.ndarray:
        """``(n_classes,)`` points per class, read-only; counted once per change of the points
        (every class bar and view asks after each edit)."""
        made_of, counts = self._counts
        if made_of is not self._labels or len(counts) != self.n_classes:
            counts = read_only_view(np.bincount(self._labels, minlength=self.n_classes))
            self._counts = (self._labels, counts)
        return counts

    @property
    def classes(self) -> tuple[ClassInfo, ...]:
        return self._classes

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self._classes)

    @property
    def n_classes(self) -> int:
        return len(self._classes)

    @property
    def current_class(self) -> int:
        return self._current

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self._feature_names[: self.n_dims]

    @property
    def label_name(self) -> str:
        return self._label_name

    @property
    def xlim(self) -> tuple[float, float]:
        return self._xlim

    @property
    def ylim(self) -> tuple[float, float]:
        return self._ylim

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def class_index(self, value) -> int:
        """Document index of an engine class (``Dataset.classes`` item: a name, or the number the
        engine read from a numeric name)."""
        key = format_label(value)
        for i, info in enumerate(self._classes):
            if info.name == key or same_number(info.name, value):
                return i
        raise KeyError(f"no class named {key!r}; classes are {list(self.class_names)}")

    def colors_for(self, engine_classes: Sequence) -> list[QColor]:
        """Colours for ``Dataset.classes`` / ``Model.classes`` in the engine's order, for views."""
        return [self._classes[self.class_index(c)].qcolor() for c in engine_classes]

    def data_snapshot(self) -> DataSnapshot:
        """The points the engine sees, in O(1): read-only views of the current arrays (which this
        document never writes into again), for handing to the training thread."""
        return DataSnapshot(
            read_only_view(self._xy),
            read_only_view(self._labels),
            self.n_dims,
            self.class_names,
            self.feature_names,
            self._label_name,
        )

    def dataset(self):
        """An ``engine.data.Dataset`` of the points, labelled by class name (O(n) after an edit; see
        :meth:`DataSnapshot.dataset <lab_app.document.snapshot.DataSnapshot.dataset>`).

        The Dataset is immutable, so until the document changes every caller (views) shares one:
        an edit of a million points copies them once, not once per follower.
        """
        made_of = (self._xy, self._labels, self.class_names, self._feature_names, self._label_name, self._mode)
        old, ds = self._snapshot
        # Arrays by identity (an edit always replaces them, never writes into them), the rest by value.
        if len(old) == len(made_of) and all(
            a is b if isinstance(a, np.ndarray) else a == b for a, b in zip(old, made_of)
        ):
            return ds
        ds = self.data_snapshot().dataset()
        self._snapshot = (made_of, ds)
        return ds

    # ------------------------------------------------------------ plain state
    def set_current_class(self, index: int) -> None:
        """Select the class new points get.  Not undoable: it is a tool setting, not an edit."""
        if not 0 <= index < self.n_classes:
            raise IndexError(f"class index {index} out of range 0..{self.n_classes - 1}")
        if index != self._current:
            self._current = index
            self.currentClassChanged.emit(index)

    def set_view_columns(self, i: int, j: int, fit_ranges: bool = True) -> None:
        """Show columns ``i`` and ``j`` as x and y (view state, not undoable); the ranges are fitted to
        the new pair unless ``fit_ranges`` is False.  Emits ``viewColumnsChanged``, then ``rangesChanged``."""
        pair = check_view((i, j), self._xy.shape[1])
        if pair == self._view_columns:
            return
        self._view_columns = pair
        ranges = self._xlim, self._ylim
        if fit_ranges:
            ranges = fitted_ranges(self.xy, self.n_dims, 0.15, self._xlim, self._ylim)
            self._xlim, self._ylim = ranges  # applied before the signal: views redraw once
        self.viewColumnsChanged.emit()
        if fit_ranges:
            self.rangesChanged.emit()

    def set_ranges(self, xlim: tuple[float, float], ylim: tuple[float, float] | None = None) -> None:
        """Set the visible axis ranges (view state, not undoable); also the boundary grid's extent."""
        xlim = check_range(xlim, "x")
        ylim = self._ylim if ylim is None else check_range(ylim, "y")
        if (xlim, ylim) != (self._xlim, self._ylim):
            self._xlim, self._ylim = xlim, ylim
            self.rangesChanged.emit()

    def fit_ranges(self, margin: float = 0.15) -> None:
        """Set the ranges to the data plus ``margin`` (a fraction of the span), rounded outward."""
        xlim, ylim = fitted_ranges(self.xy, self.n_dims, margin, self._xlim, self._ylim)
        self.set_ranges(xlim, ylim)

    def mark_saved(self) -> None:
        """Call after saving: the current state becomes the clean state (``modified`` is False)."""
        self.undo_stack.setClean()

    # ------------------------------------------------------------------ edits
    def add_points(self, xy, label: int | None = None) -> None:
        """Add ``xy`` (k, 2) — or (k,) x values in 1-D — of class ``label`` (default: current class).

        The coordinates are the :attr:`view_columns`'; columns outside the pair get the mean of the
        existing points (0 without points; in 1-D mode the ignored y of two-column data is 0)."""
        xy = coerce_points(xy, self._xy, self._mode, self.view_columns)
        if len(xy) == 0:
            return
        label = self._current if label is None else check_class(self.n_classes, label)
        labels = np.full(len(xy), label, dtype=np.int64)
        self._gestures.push(AddPointsCommand(self, xy, labels, self._gestures.current_id))

    def remove_points(self, indices) -> None:
        idx = check_indices(self.n_points, indices)
        if len(idx):
            self._gestures.push(RemovePointsCommand(self, idx))

    def move_points(self, indices, new_xy, gesture_id: int | None = None) -> None:
        """Move rows to ``new_xy`` (k, 2) in the :attr:`view_columns` (their other columns stay).
        Moves sharing ``gesture_id`` merge into one undo step; the default is the open gesture's id
        (see :meth:`begin_gesture`), else no merging."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if len(np.unique(idx)) != len(idx):
            raise ValueError("move_points: indices must be unique")
        idx = check_indices(self.n_points, idx, keep_order=True)
        new_xy = coerce_points(new_xy, self._xy, self._mode, self.view_columns, rows_from=idx)
        if len(new_xy) != len(idx):
            raise ValueError(f"move_points: {len(idx)} indices but {len(new_xy)} coordinates")
        if len(idx):
            gid = self._gestures.current_id if gesture_id is None else gesture_id
            self._gestures.push(MovePointsCommand(self, idx, new_xy, gid))

    def relabel(self, indices, label: int | None = None) -> None:
        idx = check_indices(self.n_points, indices)
        label = self._current if label is None else check_class(self.n_classes, label)
        idx = idx[self._labels[idx] != label]  # an edit that changes nothing is not an undo step
        if len(idx):
            self._gestures.push(RelabelCommand(self, idx, label))

    def clear(self) -> None:
        """Delete every point (classes stay)."""
        if self.n_points:
            empty = replace(self.state(), xy=self._xy[:0].copy(), labels=empty_labels())
            self._gestures.push(StateCommand(self, "Clear points", empty))

    def add_class(self, name: str | None = None, color: str | None = None) -> int:
        """Append a class (at most 8) and return its index.  Default name: the next unused letter."""
        if self.n_classes >= MAX_CLASSES:
            raise ValueError(f"at most {MAX_CLASSES} classes; remove one first")
        name = default_name(self.class_names) if name is None else name.strip()
        check_new_name(name, self.class_names)
        info = ClassInfo(name, color or palette.next_color(c.color for c in self._classes))
        after = replace(self.state(), classes=self._classes + (info,))
        self._gestures.push(StateCommand(self, f"Add class {name}", after))
        return self.n_classes - 1

    def remove_class(self, index: int) -> None:
        """Remove a class and its points (at least 2 classes remain); higher class codes shift down."""
        index = check_class(self.n_classes, index)
        if self.n_classes <= MIN_CLASSES:
            raise ValueError(f"a document keeps at least {MIN_CLASSES} classes")
        keep = self._labels != index
        labels = self._labels[keep]
        labels = labels - (labels > index)
        classes = self._classes[:index] + self._classes[index + 1 :]
        after = replace(self.state(), xy=self._xy[keep].copy(), labels=labels, classes=classes)
        self._gestures.push(StateCommand(self, f"Remove class {self._classes[index].name}", after))

    def rename_class(self, index: int, name: str) -> None:
        index = check_class(self.n_classes, index)
        name = name.strip()
        if name == self._classes[index].name:
            return
        check_new_name(name, self.class_names)
        info = replace(self._classes[index], name=name)
        self._gestures.push(EditClassCommand(self, index, info, f"Rename class to {name}"))

    def set_class_color(self, index: int, color: str | QColor) -> None:
        index = check_class(self.n_classes, index)
        info = replace(self._classes[index], color=QColor(color).name())
        if info != self._classes[index]:
            self._gestures.push(EditClassCommand(self, index, info, f"Recolour class {info.name}"))

    def replace_data(
        self,
        X,
        labels,
        classes,
        feature_names=None,
        label_name: str = "label",
        fit_ranges: bool = True,
        view_columns=None,
    ) -> None:
        """Replace everything (one undo step) for imports and generators.

        Parameters
        ----------
        X : (n, d) array_like, 1 <= d <= :data:`MAX_FEATURES`
            One column switches to 1-D mode, more to 2-D.
        labels : (n,) int array_like
            Codes into ``classes``.
        classes : sequence of ClassInfo, str, int or float
            2 to 8 classes (one is padded with a second, empty class); plain values become names
            with palette colours.
        view_columns : (i, j) or None
            The pair to show (default (0, 1)); the ranges are fitted to it.
        """
        after = build_state(self.state(), X, labels, classes, feature_names, label_name, fit_ranges, view_columns)
        old_view, self._view_columns = self._view_columns, check_view(view_columns or (0, 1), after.xy.shape[1])
        self._gestures.push(StateCommand(self, "Replace data", after))
        if self._view_columns != old_view:
            self.viewColumnsChanged.emit()

    def load_dataset(self, dataset, fit_ranges: bool = True, view_columns=None) -> None:
        """:meth:`replace_data` from an ``engine.data.Dataset`` (CSV import, generators)."""
        self.replace_data(
            dataset.X,
            dataset.y,
            list(dataset.classes),
            dataset.feature_names,
            dataset.label_name,
            fit_ranges,
            view_columns,
        )

    def set_mode(self, mode: str) -> None:
        """Switch between "2d" and "1d" (undoable; the y column is kept, only ignored)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if mode != self._mode:
            after = replace(self.state(), mode=mode)
            self._gestures.push(StateCommand(self, "Switch to 1-D" if mode == "1d" else "Switch to 2-D", after))

    def load_default_example(self, seed: int = 0, *, undoable: bool = True) -> None:
        """Two overlapping Gaussian classes, 60 points each, so a newcomer can press Train at once.

        They overlap a little on purpose: separable data has no finite logistic optimum.  With
        ``undoable=False`` (start-up) the undo history is cleared and the document is clean.
        """
        rng = np.random.default_rng(seed)
        a = rng.normal((-1.0, -0.6), 0.75, size=(60, 2))
        b = rng.normal((1.0, 0.6), 0.75, size=(60, 2))
        X = np.round(np.concatenate([a, b]), 3)  # short numbers read better in a saved CSV
        labels = np.repeat([0, 1], 60)
        self.replace_data(X, labels, ["A", "B"], ("x1", "x2"), "label")
        if not undoable:
            self.undo_stack.clear()
            self.undo_stack.setClean()
        self.set_current_class(0)

    # --------------------------------------------------------------- gestures
    def begin_gesture(self, text: str) -> int:
        """Start a gesture (a drag, a brush stroke): every edit until :meth:`end_gesture` is one undo
        step named ``text``.  Nests; returns the gesture id that merging commands share."""
        return self._gestures.begin(text)

    def end_gesture(self) -> None:
        self._gestures.end()

    @contextmanager
    def gesture(self, text: str) -> Iterator[int]:
        gid = self.begin_gesture(text)
        try:
            yield gid
        finally:
            self.end_gesture()

    @property
    def in_gesture(self) -> bool:
        return self._gestures.active

    def new_gesture_id(self) -> int:
        return self._gestures.new_id()

    @Slot(bool)
    def _on_clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    # ------------------------------------- CommandTarget: for commands only, not undoable
    def state(self) -> State:
        """Everything undoable now, as one value (shared arrays: never write into them)."""
        return State(
            self._xy,
            self._labels,
            self._classes,
            self._feature_names,
            self._label_name,
            self._mode,
            self._xlim,
            self._ylim,
        )

    def apply_insert(self, positions: np.ndarray, xy: np.ndarray, labels: np.ndarray) -> None:
        """Insert rows so that they end up at ``positions`` (sorted) of the new arrays."""
        n = len(self._labels)
        if len(positions) and positions[0] == n and positions[-1] == n + len(positions) - 1:  # at the end
            self._xy, self._labels = appended(self._xy, xy), appended(self._labels, labels)
        else:
            at = positions - np.arange(len(positions))  # np.insert wants positions in the old array
            self._xy = np.insert(self._xy, at, xy, axis=0)
            self._labels = np.insert(self._labels, at, labels)
        self.changeApplied.emit(("insert", positions, xy, labels))
        self.pointsChanged.emit()

    def apply_delete(self, indices: np.ndarray) -> None:
        n, k = len(self._labels), len(indices)
        if k and indices[0] == n - k and indices[-1] == n - 1:  # the last rows (an undone add): a shorter view
            self._xy, self._labels = self._xy[: n - k], self._labels[: n - k]
        else:
            self._xy = np.delete(self._xy, indices, axis=0)
            self._labels = np.delete(self._labels, indices)
        self.changeApplied.emit(("delete", indices))
        self.pointsChanged.emit()

    def apply_xy(self, indices: np.ndarray, xy: np.ndarray) -> None:
        self._xy = with_room(self._xy)  # never mutate arrays a State or a caller may still hold
        self._xy[indices] = xy
        self.changeApplied.emit(("xy", indices, xy))
        self.pointsChanged.emit()

    def apply_labels(self, indices: np.ndarray, labels: np.ndarray) -> None:
        self._labels = with_room(self._labels)
        self._labels[indices] = labels
        self.changeApplied.emit(("labels", indices, labels))
        self.pointsChanged.emit()

    def apply_class(self, index: int, info: ClassInfo) -> None:
        self._classes = self._classes[:index] + (info,) + self._classes[index + 1 :]
        self.changeApplied.emit(("class", index, info))
        self.classesChanged.emit()

    def apply_state(self, s: State) -> None:
        old = self.state()
        self._xy, self._labels, self._classes = s.xy, s.labels, s.classes
        self._feature_names, self._label_name, self._mode = s.feature_names, s.label_name, s.mode
        self._xlim, self._ylim = s.xlim, s.ylim
        old_view = self._view_columns
        if max(old_view) >= s.xy.shape[1]:  # the pair is view state: kept while its columns exist
            self._view_columns = (0, 1)
        current = min(self._current, self.n_classes - 1)
        self.changeApplied.emit(("state", s, old))
        # Signals go out after the whole state is consistent, classes before points (points need colours).
        if s.mode != old.mode:
            self.modeChanged.emit(s.mode)
        if s.classes != old.classes:
            self.classesChanged.emit()
        if s.feature_names != old.feature_names or s.label_name != old.label_name:
            self.featureNamesChanged.emit()
        if self._view_columns != old_view:
            self.viewColumnsChanged.emit()
        if current != self._current:
            self._current = current
            self.currentClassChanged.emit(current)
        if s.xy is not old.xy or s.labels is not old.labels:
            self.pointsChanged.emit()
        if (s.xlim, s.ylim) != (old.xlim, old.ylim):
            self.rangesChanged.emit()
