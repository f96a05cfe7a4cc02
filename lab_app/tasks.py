"""Background work and coalesced timers: the program's one way to do each.

:class:`TaskRunner` runs a plain Python function off the GUI thread and brings its result, error
and progress back to the GUI thread as signals (Orange's rule: the computation is a plain
function with a progress callback and an interruption check; one task at a time; a new start
cancels the old and a superseded task's answer is dropped). :class:`Debouncer` runs a slot once
after a burst of calls, or at most every N ms while they keep coming; it replaces hand-written
single-shot ``QTimer`` s.

The training worker (:mod:`lab_app.training.controller`) is not a task: it is a long-lived loop
with its own commands and back-pressure.

This module imports only Qt and the standard library, so every layer of ``lab_app`` may use it.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot

__all__ = ["Debouncer", "TaskCancelled", "TaskRunner", "active_tasks"]

log = logging.getLogger(__name__)


class TaskCancelled(Exception):
    """Raised by a task's ``progress`` callback once the task is cancelled or superseded.

    A task may also raise it itself after seeing ``cancelled()``; either way the runner treats it
    as the task's normal end, not as an error.
    """


def active_tasks() -> int:
    """Tasks started by any runner that have not ended yet, queued ones included (tests, benchmarks)."""
    with _count_lock:
        return _active_count


class TaskRunner(QObject):
    """Runs plain functions in a background thread, one task at a time; the outcome comes back
    to the GUI thread as signals.

    ``start(fn, *args, **kwargs)`` calls ``fn(*args, progress=progress, cancelled=cancelled,
    **kwargs)`` in a worker thread. ``progress(value)`` reports progress (a number or a string;
    it reaches the GUI only when it changed) and raises :class:`TaskCancelled` once the task is
    cancelled, so a function that reports progress stops at its next report; ``cancelled()`` is
    the same check without raising. The function's return value arrives as ``resultReady``, an
    exception as ``failed`` (a message, never a crash), a cancellation as ``cancelled``; exactly
    one of them per task that is still the current one when it ends. A new :meth:`start` cancels
    the task under way and drops its answer silently, whatever it turns out to be.

    Mechanism: a ``QThreadPool`` of one thread per runner (or a pool shared by several runners,
    ``pool=``), one ``QRunnable`` per task. Chosen over a ``QThread`` per task because

    * the pool owns its threads and reuses them: no ``QThread`` object exists whose destruction
      while running would abort the process, and a task a second (autosave) starts no thread;
    * the pool's queue serializes a runner's tasks: a superseded task that cannot stop at once
      (a file write, a scikit-learn fit) finishes before the new one starts, so two writes of one
      file, or two heavy fits, never overlap; a task superseded while still queued never runs.

    Results travel by a queued signal of a relay object, a child of the runner. If the runner
    is deleted while a task runs (its dialog closed mid-load), it cancels its tasks and waits
    for them before its children go, so the worker never emits on a deleted object. Nothing here
    ever calls ``QThread.terminate()``.

    Parameters
    ----------
    parent : the owner; the runner (and its pool) dies with it, after its tasks have ended.
    name : the worker thread's name while it runs a task of this runner (``threading`` and logs).
    pool : a ``QThreadPool`` shared with other runners, so that their tasks take turns in its
        threads; default: a private pool of one thread. Either may be deleted first: a runner
        cancels and joins its tasks, a pool runs what it holds to the end.

    Signals
    -------
    progress(object) : the current task's newest progress value.
    resultReady(object) : the current task's return value.
    failed(str, object) : ``"TypeName: message"`` and the exception the current task raised.
    cancelled() : the current task was cancelled with :meth:`cancel` and has ended.
    busyChanged(bool) : a current task exists (from :meth:`start` until its outcome is delivered).
    """

    progress = Signal(object)
    resultReady = Signal(object)
    failed = Signal(str, object)
    cancelled = Signal()
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, name: str = "logit-lab-task", pool: QThreadPool | None = None):
        super().__init__(parent)
        self.name = name
        if pool is None:
            pool = QThreadPool(self)
            pool.setMaxThreadCount(1)
        self._pool = pool
        self._relay = _Relay(self)
        queued = Qt.ConnectionType.QueuedConnection
        self._relay.progressed.connect(self._on_progress, queued)
        self._relay.ended.connect(self._on_ended, queued)
        self._tasks: list[_Task] = []  # started and maybe not ended yet; shared with _abandon
        self._current: _Task | None = None
        # A plain function over plain data: it runs while this object is being destroyed.
        self.destroyed.connect(functools.partial(_abandon, self._tasks))

    # ------------------------------------------------------------------ public API
    @property
    def busy(self) -> bool:
        """A task was started and its outcome has not been delivered (nor dropped) yet."""
        return self._current is not None

    def start(self, fn, *args, **kwargs) -> None:
        """Run ``fn(*args, progress=..., cancelled=..., **kwargs)`` in the background; the task
        under way, if any, is cancelled and its answer will be dropped."""
        was_busy = self.busy
        if self._current is not None:
            self._current.cancel()
        self._prune()
        task = _Task(fn, args, kwargs, self.name)
        self._current = task
        self._tasks.append(task)
        _count(+1)
        self._pool.start(_Runnable(task, self._relay))
        if not was_busy:
            self.busyChanged.emit(True)

    def cancel(self, quiet: bool = False) -> None:
        """Ask the current task to stop (see ``progress``); its result, if it still returns one,
        is dropped. ``cancelled`` follows once it has ended, unless ``quiet``: then the task is
        forgotten at once and no signal of it ever arrives."""
        task = self._current
        if task is None:
            return
        task.cancel()
        if quiet:
            self._current = None
            self.busyChanged.emit(False)

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until every task of this runner has ended (superseded ones too), then deliver the
        current task's outcome now, before returning. False if ``timeout_ms`` passed first."""
        if not _join(self._tasks, timeout_ms):
            return False
        task = self._current
        if task is not None:
            self._deliver(task)
        return True

    def shutdown(self, timeout_ms: int = -1) -> bool:
        """Cancel every task and wait for them to end; nothing of theirs is delivered. The runner
        may start new tasks afterwards. False if ``timeout_ms`` passed first (they still end on
        their own, and deleting the runner waits for them)."""
        for task in self._tasks:
            task.cancel()
        if self._current is not None:
            self._current = None
            self.busyChanged.emit(False)
        return _join(self._tasks, timeout_ms)

    # ------------------------------------------------------------------ GUI-thread side
    @Slot(object, object)
    def _on_progress(self, task: _Task, value) -> None:
        if task is self._current and not task.is_cancelled():
            self.progress.emit(value)

    @Slot(object)
    def _on_ended(self, task: _Task) -> None:
        self._deliver(task)
        self._prune()

    def _deliver(self, task: _Task) -> None:
        if task.delivered or task is not self._current:
            return
        task.delivered = True
        self._current = None
        self.busyChanged.emit(False)
        kind, value = task.outcome
        if task.is_cancelled() or kind == _CANCELLED:
            self.cancelled.emit()
        elif kind == _FAILED:
            self.failed.emit(f"{type(value).__name__}: {value}", value)
        else:
            self.resultReady.emit(value)

    def _prune(self) -> None:
        self._tasks[:] = [t for t in self._tasks if not t.ended.is_set()]


class Debouncer(QObject):
    """Runs a slot once after a burst of :meth:`trigger` calls, instead of a hand-written
    single-shot ``QTimer``.

    * ``Debouncer(delay_ms, slot)``: the slot runs once ``delay_ms`` after the last trigger.
    * ``max_wait_ms``: ... but never later than ``max_wait_ms`` after the first trigger of the
      burst, so a continuous stream still runs it (autosave during a long drag).
    * :meth:`throttle` (``max_wait_ms == delay_ms``): at most once every ``interval_ms`` while
      triggers keep coming: the first trigger of a burst starts the clock, later ones do not
      push it back. With ``leading=True`` a trigger when the slot has not run for ``interval_ms``
      runs it at once, and the next run is due ``interval_ms`` after that one.

    A ``Debouncer(0, slot)`` coalesces calls into one run at the next turn of the event loop.
    The timer is a child: nothing runs after the owner is deleted. ``start()``, ``stop()`` and
    ``isActive()`` are kept as aliases of :meth:`trigger`, :meth:`cancel` and :attr:`pending`, so
    a single-shot ``QTimer`` can be swapped for a Debouncer in one line.

    Attributes ``delay_ms``, ``max_wait_ms`` and ``leading`` may be changed at any time; the next
    trigger uses them.
    """

    fired = Signal()

    def __init__(
        self,
        delay_ms: int,
        slot=None,
        *,
        max_wait_ms: int | None = None,
        leading: bool = False,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.delay_ms, self.max_wait_ms, self.leading = delay_ms, max_wait_ms, leading
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.fire)
        self._burst_start = 0.0  # when the pending burst's first trigger came (ms)
        self._last_fired = -math.inf
        if slot is not None:
            self.fired.connect(slot)

    @classmethod
    def throttle(cls, interval_ms: int, slot=None, *, leading: bool = False, parent: QObject | None = None):
        """A Debouncer that runs the slot at most every ``interval_ms`` while triggers continue."""
        return cls(interval_ms, slot, max_wait_ms=interval_ms, leading=leading, parent=parent)

    @property
    def pending(self) -> bool:
        """A run is scheduled."""
        return self._timer.isActive()

    def trigger(self) -> None:
        """Something changed: run the slot once the burst is over (or the wait is up)."""
        now = _now_ms()
        if self.leading and not self.pending and now - self._last_fired >= self.delay_ms:
            self.fire()
            return
        if not self.pending:
            self._burst_start = now
        due = now + self.delay_ms
        if self.max_wait_ms is not None:
            anchor = self._last_fired if self.leading else self._burst_start
            due = min(due, anchor + self.max_wait_ms)
        self._timer.start(max(0, math.ceil(due - now)))

    def fire(self) -> None:
        """Run the slot now; a pending run is dropped (this one counts as it)."""
        self._timer.stop()
        self._last_fired = _now_ms()
        self.fired.emit()

    def flush(self) -> None:
        """If a run is pending, run it now."""
        if self.pending:
            self.fire()

    def cancel(self) -> None:
        """Drop the pending run, if any."""
        self._timer.stop()

    # QTimer's names, for one-line swaps of a single-shot QTimer.
    def start(self) -> None:
        self.trigger()

    def stop(self) -> None:
        self.cancel()

    def isActive(self) -> bool:
        return self.pending


# ---------------------------------------------------------------------- internals
_RESULT, _FAILED, _CANCELLED = "result", "failed", "cancelled"
_count_lock = threading.Lock()
_active_count = 0


def _count(delta: int) -> None:
    global _active_count
    with _count_lock:
        _active_count += delta


def _now_ms() -> float:
    return time.monotonic() * 1000.0


class _Task:
    """One :meth:`TaskRunner.start`: the call, its cancel flag and its outcome. Shared by the GUI
    thread and the worker; the outcome is written by the worker before ``ended`` is set."""

    _NOTHING = object()

    def __init__(self, fn, args, kwargs, name: str):
        self.call = (fn, args, kwargs)
        self.name = name
        self.outcome: tuple[str, object] = (_CANCELLED, None)
        self.delivered = False  # GUI thread only
        self.thread_id: int | None = None
        self._cancel = threading.Event()
        self.ended = threading.Event()
        self._last_progress = self._NOTHING

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self, relay: _Relay) -> None:
        """Worker thread: the whole life of the task; ``ended`` is set last, whatever happens."""
        self.thread_id = threading.get_ident()
        try:
            fn, args, kwargs = self.call
            self.call = None  # the arguments (maybe big arrays) go with the call
            if not self.is_cancelled():  # superseded while queued: never runs
                threading.current_thread().name = self.name
                self.outcome = self._call(fn, args, kwargs, relay)
            relay.ended.emit(self)
        finally:
            _count(-1)
            self.ended.set()

    def _call(self, fn, args, kwargs, relay: _Relay) -> tuple[str, object]:
        def progress(value) -> None:
            if self.is_cancelled():
                raise TaskCancelled()
            if value != self._last_progress:  # only when it changed (Orange's rule)
                self._last_progress = value
                relay.progressed.emit(self, value)

        try:
            return _RESULT, fn(*args, progress=progress, cancelled=self.is_cancelled, **kwargs)
        except TaskCancelled:
            return _CANCELLED, None
        except Exception as exc:
            log.debug("background task %s failed", self.name, exc_info=exc)
            return _FAILED, exc


class _Relay(QObject):
    """Lives in the GUI thread; the worker emits on it, a queued connection carries it over."""

    progressed = Signal(object, object)  # _Task, value
    ended = Signal(object)  # _Task


class _Runnable(QRunnable):
    def __init__(self, task: _Task, relay: _Relay):
        super().__init__()
        self._task, self._relay = task, relay

    def run(self) -> None:
        self._task.run(self._relay)


def _join(tasks: list[_Task], timeout_ms: int = -1) -> bool:
    """Wait for every task to end (not for one running in this very thread: that would hang)."""
    deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
    me = threading.get_ident()
    for task in list(tasks):
        if task.thread_id == me:
            continue
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not task.ended.wait(left):
            return False
    return True


def _abandon(tasks: list[_Task], *_args) -> None:
    """The runner is being destroyed: stop its tasks and wait, so they never emit on a dead relay."""
    for task in tasks:
        task.cancel()
    _join(tasks)
