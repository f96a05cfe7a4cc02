"""Loading a CSV file in the background: progress, cancel, newest wins.

:class:`CsvLoader` runs :func:`engine.csv_io.read_csv` as a task of a :class:`lab_app.tasks.TaskRunner`
with a progress callback that also checks for cancellation, so a million rows load with a live
progress bar and stop within one chunk (~30,000 rows) when cancelled. A new load cancels the old
one (Orange's rule: one task at a time). When a load fails (as soon as the reader reaches the first
bad chunk), :func:`engine.csv_io.find_problems` lists the problems from that chunk on, still in
the background and for at most ``PROBLEM_SECONDS``. The GUI thread never parses.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from engine.csv_io import find_problems, read_csv
from engine.data import DataError
from lab_app.tasks import TaskCancelled, TaskRunner

__all__ = ["PROBLEM_SECONDS", "CsvLoader", "ImportRequest"]

#: After a failed load, the rest of the file is searched for more problems this long at most.
PROBLEM_SECONDS = 2.0


@dataclass(frozen=True)
class ImportRequest:
    """What to load: the file, the feature columns (in order) and the label column."""

    path: str
    x_columns: tuple[str, ...]
    label_column: str


class CsvLoader(QObject):
    """Loads CSV files in a background thread, one at a time: a new :meth:`start` cancels the old.

    Signals carry the :class:`ImportRequest` they answer. Deleting the loader cancels its load and
    waits for it (one chunk at most).
    """

    progress = Signal(int)  # percent of the current load, 0..100
    loaded = Signal(object, object)  # ImportRequest, Dataset
    failed = Signal(object, str, list)  # ImportRequest, message (names line and column), [DataError]
    cancelled = Signal(object)  # ImportRequest
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._request: ImportRequest | None = None  # what the current load reads
        self._runner = TaskRunner(self, name="logit-lab-csv-loader")
        self._runner.progress.connect(self._on_progress)
        self._runner.busyChanged.connect(self._on_busy)
        self._runner.resultReady.connect(self._on_loaded)
        self._runner.failed.connect(self._on_failed)
        self._runner.cancelled.connect(self._on_cancelled)

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def start(self, request: ImportRequest) -> None:
        self._request = request
        self._runner.start(_load, request)

    def cancel(self, quiet: bool = False) -> None:
        """Stop the current load (within one chunk); ``cancelled`` follows unless ``quiet``."""
        self._runner.cancel(quiet=quiet)

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Cancel the loads and wait for them to end (dialog closing, tests)."""
        self._runner.shutdown(timeout_ms)

    def _on_progress(self, percent: int) -> None:
        self.progress.emit(percent)

    def _on_busy(self, busy: bool) -> None:
        self.busyChanged.emit(busy)

    def _on_cancelled(self) -> None:
        self.cancelled.emit(self._request)

    def _on_loaded(self, dataset) -> None:
        self.loaded.emit(self._request, dataset)

    def _on_failed(self, _message: str, error) -> None:
        request = self._request
        if isinstance(error, _Unreadable):
            self.failed.emit(request, str(error.error), error.problems)
        else:
            self.failed.emit(request, f"{request.path}: cannot load the file ({type(error).__name__}: {error}).", [])


class _Unreadable(Exception):
    """The reader's :class:`DataError` and every problem :func:`find_problems` found in the file."""

    def __init__(self, error: DataError, problems: list):
        super().__init__(str(error))
        self.error, self.problems = error, problems


def _load(request: ImportRequest, *, progress, cancelled):
    """The task (worker thread): the Dataset, or :class:`_Unreadable` listing the file's problems."""
    r = request

    def percent(fraction: float) -> None:
        progress(int(fraction * 100))  # a signal per percent at most; raises TaskCancelled

    try:
        return read_csv(r.path, list(r.x_columns), r.label_column, progress=percent)
    except DataError as exc:
        try:  # the reader stops at the first problem; the dialog lists them all
            problems = find_problems(
                r.path,
                r.x_columns,
                r.label_column,
                progress=percent,
                start_line=exc.resume_line,  # the rows before the bad chunk are fine
                max_seconds=PROBLEM_SECONDS,
            )
        except TaskCancelled:
            raise
        except Exception:
            problems = []
        raise _Unreadable(exc, problems) from None
