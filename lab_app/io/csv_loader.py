"""Loading a CSV file in the background: a QThread per load, progress, cancel, newest wins.

:class:`CsvLoader` runs :func:`engine.data.read_csv` in a ``QThread`` (superqt's recipe:
``moveToThread``, ``started → run``) with a progress callback that also checks a cancel flag, so a
million rows load with a live progress bar and stop within one chunk (~30,000 rows) when
cancelled. A new load cancels the old one (Orange's rule: one task at a time). When a load fails,
:func:`engine.data.find_problems` lists every problem in the file, still in the background.
The GUI thread never parses.
"""

from __future__ import annotations

import functools
import itertools
import threading
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from engine.data import DataError, find_problems, read_csv

__all__ = ["CsvLoader", "ImportRequest"]


@dataclass(frozen=True)
class ImportRequest:
    """What to load: the file, the feature columns (in order) and the label column."""

    path: str
    x_columns: tuple[str, ...]
    label_column: str


class _Cancelled(Exception):
    """Raised from the progress callback to stop a load."""


class _LoadJob(QObject):
    """One load, run in its own QThread; reports back through queued signals."""

    progressed = Signal(int, int)  # job id, percent
    done = Signal(int, object, object, object, list)  # job id, request, Dataset|None, error|None, problems

    def __init__(self, job_id: int, request: ImportRequest, cancel: threading.Event):
        super().__init__()
        self.job_id, self.request, self.cancel = job_id, request, cancel
        self._percent = -1

    @Slot()
    def run(self) -> None:
        dataset, error, problems = None, None, []
        r = self.request
        try:
            dataset = read_csv(r.path, list(r.x_columns), r.label_column, progress=self._progress)
        except _Cancelled as exc:
            error = exc
        except DataError as exc:
            error = exc
            try:  # the reader stops at the first problem; the dialog lists them all
                problems = find_problems(r.path, r.x_columns, r.label_column, progress=self._progress)
            except _Cancelled as cancelled:
                error = cancelled
            except Exception:
                problems = []
        except Exception as exc:
            error = exc
        self.done.emit(self.job_id, r, dataset, error, problems)
        # Hand the object back to the GUI thread (only its own thread may) and end the thread.
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        QThread.currentThread().quit()

    def _progress(self, fraction: float) -> None:
        if self.cancel.is_set():
            raise _Cancelled()
        percent = int(fraction * 100)
        if percent != self._percent:  # only when it changed (a signal per chunk is plenty)
            self._percent = percent
            self.progressed.emit(self.job_id, percent)


#: Every load thread until it has ended, whoever started it: a loader (or its dialog) may be
#: deleted mid-load, and Qt aborts the program if a running QThread is destroyed.
_RUNNING: dict[int, tuple[QThread, _LoadJob]] = {}
_job_ids = itertools.count(1)


def _forget(job_id: int) -> None:
    entry = _RUNNING.pop(job_id, None)
    if entry is not None:
        entry[0].wait()  # "finished" is sent just before the thread ends: let it end


def _cancel_all(events: dict) -> None:
    for event in list(events.values()):
        event.set()


class CsvLoader(QObject):
    """Loads CSV files in a background thread, one at a time: a new :meth:`start` cancels the old.

    Signals carry the :class:`ImportRequest` they answer, so a listener can ignore stale ones.
    Deleting the loader cancels its loads; their threads end on their own within one chunk.
    """

    progress = Signal(int)  # percent of the current load, 0..100
    loaded = Signal(object, object)  # ImportRequest, Dataset
    failed = Signal(object, str, list)  # ImportRequest, message (names line and column), [DataError]
    cancelled = Signal(object)  # ImportRequest
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._events: dict[int, threading.Event] = {}  # unfinished loads of this loader
        self._current = 0
        # A plain function over plain data: it must run while this object is being destroyed.
        self.destroyed.connect(functools.partial(_cancel_all, self._events))

    @property
    def busy(self) -> bool:
        return self._current in self._events

    def start(self, request: ImportRequest) -> None:
        was_busy = self.busy
        self.cancel(quiet=True)
        job_id = self._current = next(_job_ids)
        cancel = threading.Event()
        job = _LoadJob(job_id, request, cancel)
        thread = QThread()
        thread.setObjectName("logit-lab-csv-loader")
        job.moveToThread(thread)
        thread.started.connect(job.run)
        queued = Qt.ConnectionType.QueuedConnection
        job.progressed.connect(self._on_progress, queued)
        job.done.connect(self._on_done, queued)
        thread.finished.connect(functools.partial(_forget, job_id), queued)
        _RUNNING[job_id] = (thread, job)
        self._events[job_id] = cancel
        thread.start()
        if not was_busy:
            self.busyChanged.emit(True)

    def cancel(self, quiet: bool = False) -> None:
        """Stop the current load (within one chunk); ``cancelled`` follows unless ``quiet``."""
        event = self._events.get(self._current)
        if event is None:
            return
        event.set()
        if quiet:
            self._current = 0  # its answer is stale now

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Cancel every load of this loader and wait for their threads (dialog closing, tests)."""
        _cancel_all(self._events)
        for job_id in list(self._events):
            entry = _RUNNING.get(job_id)
            if entry is not None:
                entry[0].wait(timeout_ms)
        self._events.clear()
        if self._current:
            self._current = 0
            self.busyChanged.emit(False)

    @Slot(int, int)
    def _on_progress(self, job_id: int, percent: int) -> None:
        if job_id == self._current:
            self.progress.emit(percent)

    @Slot(int, object, object, object, list)
    def _on_done(self, job_id: int, request, dataset, error, problems: list) -> None:
        self._events.pop(job_id, None)
        if job_id != self._current:
            return
        self._current = 0
        self.busyChanged.emit(False)
        if dataset is not None:
            self.loaded.emit(request, dataset)
        elif isinstance(error, _Cancelled):
            self.cancelled.emit(request)
        elif isinstance(error, DataError):
            self.failed.emit(request, str(error), problems)
        else:
            self.failed.emit(request, f"{request.path}: cannot load the file ({type(error).__name__}: {error}).", [])
