"""The recovery journal: every change to the points and classes, appended as it happens.

A full autosave (:mod:`lab_app.io.autosave`) writes the whole session, which for a big data set
takes seconds and so runs only now and then. Between two of them the document's changes
(``LabDocument.changeApplied``: do, undo and redo alike) go to a journal beside the recovery file,
one JSON line each, numbered. Lines are appended and flushed in a writer thread moments after the
edit, so ``kill -9`` loses at most the edit under way. The recovery file records the number of the
last change it holds (``"journal_seq"``); restoring it replays the lines after that number through
the document's own primitives, which makes the points, labels and classes exactly what they were.

Rules: the journal is written only once a full autosave exists (it is a list of changes *to* that
file); a full autosave that lands drops the lines it holds (the journal is truncated); a change
too big to journal cheaply (replacing a large data set) becomes a *gap*: replay stops there, and a
full autosave follows at once. Reading stops at the first line it cannot use; a torn last line (the
crash came mid-write) is ignored with a message.
"""

from __future__ import annotations

import collections
import json
import os
import threading
from dataclasses import replace
from typing import NamedTuple

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from engine.atomic import atomic_write
from lab_app.document import ClassInfo
from lab_app.tasks import TaskRunner

__all__ = ["MAX_ROWS", "Journal", "JournalRead", "read_journal", "replay"]

#: A change carrying more rows than this is not journaled (a gap; a full autosave follows).
MAX_ROWS = 50_000


class JournalRead(NamedTuple):
    """What :func:`read_journal` found: the changes after ``base`` in order, and what was left out."""

    changes: list
    problem: str | None  # a sentence for the user, or None when every change was read


def read_journal(path, base: int) -> JournalRead:
    """The changes numbered after ``base`` in the journal at ``path``, ready for :func:`replay`.

    Reading stops at a gap, at a damaged line or at a break in the numbering; a torn last line is
    the normal trace of a crash mid-write and is dropped. A missing journal holds no changes.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return JournalRead([], None)
    except (OSError, UnicodeDecodeError) as exc:
        return JournalRead([], f"The journal of the last changes could not be read ({exc}); they are left out.")
    lines = text.split("\n")
    torn = lines.pop()  # "" when the file ends with a complete line
    changes, expected = [], base + 1
    for number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line)
            seq = entry["seq"]
            change = None if entry["op"] == "gap" else _decode(entry)
        except (ValueError, KeyError, TypeError, IndexError):
            return JournalRead(changes, f"Line {number} of the journal is damaged; the changes after it are left out.")
        if seq <= base:
            continue
        if seq != expected:
            return JournalRead(changes, "The journal misses some changes; the changes after the gap are left out.")
        if change is None:
            return JournalRead(
                changes, "A large change (replaced data) was not yet saved; it and the changes after it are left out."
            )
        changes.append(change)
        expected += 1
    if torn:
        return JournalRead(changes, "The last change before the crash was cut off mid-write and is left out.")
    return JournalRead(changes, None)


def replay(doc, changes) -> str | None:
    """Apply ``changes`` (from :func:`read_journal`) to ``doc``, a ``LabDocument`` holding the
    recovery file's state, through the primitives that made them (not undoable). Stops at a
    change that does not fit the points and returns a sentence saying so; None when all applied."""
    for done, (kind, *args) in enumerate(changes):
        try:
            if kind == "state":
                doc.apply_state(replace(doc.state(), **args[0]))
            else:
                getattr(doc, f"apply_{kind}")(*args)
        except (ValueError, IndexError, TypeError):
            return f"Only {done} of the {len(changes)} changes in the journal fitted the saved points; the rest are left out."
    return None


class Journal(QObject):
    """Appends the document's changes to ``path`` in a writer thread.

    :meth:`record` numbers a change and queues it (GUI thread: no encoding, no I/O). Until
    :meth:`landed` says a full autosave exists, changes only wait in memory. ``failed`` carries a
    message when a line cannot be written (the unwritten changes stay queued for the next try).
    """

    failed = Signal(str)

    def __init__(self, path, parent: QObject | None = None):
        super().__init__(parent)
        self.path = path
        self.seq = 0  # the number of the newest recorded change
        self._shared = _Shared()
        self._writer = TaskRunner(self, name="logit-lab-journal")
        self._writer.failed.connect(self._on_failed)

    @property
    def active(self) -> bool:
        """A full autosave exists, so changes are written."""
        return self._shared.base is not None

    def record(self, change) -> bool:
        """Queue one ``LabDocument.changeApplied`` change; False when it is a gap (too big to
        journal: the caller should write a full autosave soon)."""
        self.seq += 1
        journaled = _journalable(change)
        with self._shared.lock:
            self._shared.pending.append((self.seq, change if journaled else None))
        self._drain()
        return journaled

    def landed(self, seq: int) -> None:
        """A full autosave holding every change up to ``seq`` is on disk: drop those changes."""
        with self._shared.lock:
            shared = self._shared
            while shared.pending and shared.pending[0][0] <= seq:
                shared.pending.popleft()
            shared.base = seq
        self._drain()

    def wait(self) -> None:
        """Block until the queued changes are written (tests, a restore's own first copy)."""
        self._writer.wait()

    def discard(self) -> None:
        """The session was saved or abandoned: stop writing, forget the queue, remove the file."""
        with self._shared.lock:
            self._shared.pending.clear()
            self._shared.base = None
        self._writer.cancel(quiet=True)
        self._writer.wait()
        _remove(self.path)

    def _drain(self) -> None:
        if self.active:
            self._writer.start(_write_pending, self.path, self._shared)

    @Slot(str, object)
    def _on_failed(self, _message: str, exc) -> None:
        reason = getattr(exc, "strerror", None) or exc
        self.failed.emit(f"Autosave failed: cannot write the journal of changes: {reason} ({self.path}).")


# ---------------------------------------------------------------------- the writer thread
class _Shared:
    """The queue between the GUI thread (appends, :meth:`Journal.discard`) and the writer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending: collections.deque = collections.deque()  # (seq, change or None for a gap)
        self.base: int | None = None  # the seq the full autosave on disk holds; None: none yet
        self.written_base: int | None = None  # the base the file was last truncated to


def _write_pending(path, shared: _Shared, *, progress, cancelled) -> None:
    """Truncate to the newest base if it moved, then append every queued change (a newer drain
    takes over whatever this one leaves; cancellation is ignored: lines are cheap and must go)."""
    with shared.lock:
        base, batch = shared.base, list(shared.pending)
    if base is None:
        return
    if base != shared.written_base:
        _truncate(path, base)
        shared.written_base = base
    if not batch:
        return
    text = "".join(_encode(seq, change) for seq, change in batch)
    with open(path, "a", encoding="utf-8", newline="\n") as fh:
        size = fh.tell()
        try:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        except OSError:
            fh.truncate(size)  # never leave half a line for the next append to run into
            raise
    with shared.lock:
        for item in batch:  # unless discard() cleared the queue meanwhile
            if shared.pending and shared.pending[0] is item:
                shared.pending.popleft()


def _truncate(path, base: int) -> None:
    """Keep only the lines after ``base`` (written while that full autosave was under way): in
    place when none is kept (the full autosave holds every change), else by an atomic rewrite."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
    except FileNotFoundError:
        return
    kept = []
    for line in lines:
        try:
            if json.loads(line)["seq"] > base:
                kept.append(line + "\n")
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a failed write; never followed by others
    if kept:
        atomic_write(path, "".join(kept))
    else:
        os.truncate(path, 0)


# ---------------------------------------------------------------------- encoding
def _journalable(change) -> bool:
    kind, *args = change
    if kind == "state":
        new, old = args
        return new.xy is old.xy or len(new.xy) <= MAX_ROWS
    if kind == "class":
        return True
    return len(args[0]) <= MAX_ROWS


def _encode(seq: int, change) -> str:
    """One JSON line (floats with ``repr`` precision, so they come back bit for bit)."""
    if change is None:
        return json.dumps({"seq": seq, "op": "gap"}) + "\n"
    kind, *args = change
    entry = {"seq": seq, "op": kind}
    if kind == "insert":
        positions, xy, labels = args
        entry |= {"positions": _ints(positions), "xy": _rows(xy), "labels": _ints(labels)}
    elif kind == "delete":
        entry["indices"] = _ints(args[0])
    elif kind == "xy":
        entry |= {"indices": _ints(args[0]), "xy": _rows(args[1])}
    elif kind == "labels":
        entry |= {"indices": _ints(args[0]), "labels": _ints(args[1])}
    elif kind == "class":
        index, info = args
        entry |= {"index": int(index), "class": [info.name, info.color]}
    else:  # "state"
        new, old = args
        entry |= {
            "classes": [[c.name, c.color] for c in new.classes],
            "feature_names": list(new.feature_names),
            "label_name": new.label_name,
            "mode": new.mode,
            "xlim": list(new.xlim),
            "ylim": list(new.ylim),
        }
        if new.xy is not old.xy or new.labels is not old.labels:
            entry |= {"xy": _rows(new.xy), "labels": _ints(new.labels)}
    return json.dumps(entry, allow_nan=False) + "\n"


def _decode(entry: dict):
    """The change tuple of one journal line (as ``changeApplied`` carried it)."""
    kind = entry["op"]
    if kind == "insert":
        return ("insert", _int_array(entry["positions"]), _float_rows(entry["xy"]), _int_array(entry["labels"]))
    if kind == "delete":
        return ("delete", _int_array(entry["indices"]))
    if kind == "xy":
        return ("xy", _int_array(entry["indices"]), _float_rows(entry["xy"]))
    if kind == "labels":
        return ("labels", _int_array(entry["indices"]), _int_array(entry["labels"]))
    if kind == "class":
        name, color = entry["class"]
        return ("class", int(entry["index"]), ClassInfo(name, color))
    if kind == "state":
        fields = {
            "classes": tuple(ClassInfo(name, color) for name, color in entry["classes"]),
            "feature_names": tuple(entry["feature_names"]),
            "label_name": entry["label_name"],
            "mode": entry["mode"],
            "xlim": tuple(entry["xlim"]),
            "ylim": tuple(entry["ylim"]),
        }
        if "xy" in entry:
            fields |= {"xy": _float_rows(entry["xy"]), "labels": _int_array(entry["labels"])}
        return ("state", fields)
    raise KeyError(kind)


def _ints(a) -> list:
    return np.asarray(a, dtype=np.int64).tolist()


def _rows(xy) -> dict:
    xy = np.asarray(xy, dtype=np.float64)
    return {"columns": xy.shape[1], "values": xy.ravel().tolist()}


def _float_rows(data: dict) -> np.ndarray:
    return np.array(data["values"], dtype=np.float64).reshape(-1, int(data["columns"]))


def _int_array(values) -> np.ndarray:
    return np.array(values, dtype=np.int64).reshape(-1)


def _remove(path) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError:
        pass  # the next truncation rewrites it; a stale journal is never replayed past its base
