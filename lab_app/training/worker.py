"""The training worker: builds each run's trainer, runs ``Trainer.run_epoch`` in a loop inside its
QThread, sends snapshots.

Everything that grows with the number of points happens here, not in the GUI thread: turning the
document's :class:`~lab_app.document.DataSnapshot` (O(1) views) into an engine ``Dataset``, building
the ``Trainer`` (split, standardizer, initial loss), a run's first probes, and the hand-over of
edited points.

Commands come from the GUI thread through one ``threading.Condition``: the worker sleeps on it
while paused (no busy loop), and ``Trainer.request_stop()`` interrupts a running epoch, so pause,
stop and a learning-rate change act within one minibatch. Snapshots go out at most ~30 times a
second, and the next only after the controller handled the previous one (back-pressure). Only
this module and :mod:`lab_app.training.controller` know about threads (docs/style.md, habit 3).

At a finite pace (:mod:`lab_app.training.pace`) the run goes in units (a few minibatches, or
whole epochs) with a snapshot after each, and the worker waits for the next unit's time on the
same condition, never in a sleep: Pause, Stop and Step wake it at once.

Just over 500 lines: the run loop, its pacing and the building of runs share one lock, one
condition and one queue of commands; split, the locking would span modules.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, replace

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from engine.data import Dataset
from engine.training import EpochReport, TrainConfig, Trainer
from lab_app.training.pace import FLAT_OUT, check_pace, pace_unit
from lab_app.training.runs import RunInfo, Snapshot, frozen_copy

__all__ = ["RunRequest", "TrainingWorker", "divergence_message", "join_worker", "run_probes"]

log = logging.getLogger(__name__)

#: Seconds between progress snapshots while running: at most ~30 per second reach the GUI.
PROGRESS_INTERVAL = 1.0 / 30.0
#: The window over which samples per second are measured.
RATE_WINDOW = 1.0
#: Seconds of training between GIL hand-offs to the GUI thread (see TrainingWorker._do).
GIL_YIELD_INTERVAL = 0.001
#: While the GUI has not taken the last snapshot yet, the worker looks again this often (seconds).
DELIVERY_POLL = 0.005
#: The probes' share of the worker's time, at most: with many points their forward passes would
#: otherwise leave no time to train between snapshots (measured at 100,000 points: 70% → 50%).
MAX_PROBE_SHARE = 0.5


@dataclass(frozen=True, eq=False)
class RunRequest:
    """What the GUI thread asks for when a run starts; the worker builds the trainer from it.

    ``data`` has a ``dataset()`` method (a :class:`~lab_app.document.DataSnapshot`); ``prepare(trainer)``,
    if given, runs right after construction (a session's saved weights); ``first`` = (state,
    stopped_because), if given, asks for a snapshot of the built run (Reset, a restored session).
    """

    data: object
    config: TrainConfig
    prepare: object = None
    first: tuple | None = None


class TrainingWorker(QObject):
    """Calls ``Trainer.run_epoch`` in a loop inside its QThread and reports snapshots.

    The public methods are called from the GUI thread; they only set fields under ``_cond`` and
    wake the loop (plus ``request_stop``, the trainer's thread-safe flag). Everything else runs in
    the worker thread. Never touches widgets or the document.
    """

    snapshotReady = Signal(object)  # Snapshot (running or paused)
    runEnded = Signal(object, int, str, str)  # Snapshot|None, run_id, finished|diverged|error, message
    dataReplaced = Signal(int, int, object)  # run_id, epoch, (dataset, train_idx, test_idx)
    runBuilt = Signal(int, object, object)  # run_id, RunInfo, first Snapshot or None
    runFailed = Signal(int, str)  # run_id, why the trainer could not be built

    def __init__(self):
        super().__init__()
        self._cond = threading.Condition()
        #: (name, fn) pairs run on the trainer at every snapshot; replaced whole (atomic), never mutated.
        self.probes: tuple = ()
        # Shared with the GUI thread, guarded by _cond.
        self._trainer: Trainer | None = None
        self._request: RunRequest | None = None  # a run to build
        self._run_id = 0
        self._start_version = 0
        self._goal = "pause"  # "run" | "step" (an epoch) | "batch" (a minibatch) | "pause" | "stop"
        self._pace = FLAT_OUT
        self._repace = False  # the pace changed: the next unit starts at once
        self._ack_pause = False
        self._lr: float | None = None
        self._data: tuple | None = None
        self._quit = False
        # Worker-thread only.
        self._current: Trainer | None = None
        self._run = 0
        self._active = False  # ran epochs since the last paused snapshot
        self._ended = False
        self._version = 0
        self._reports: list[EpochReport] = []
        self._epoch_end: tuple | None = None  # see Snapshot.epoch_end
        self._next_emit = -math.inf  # when the next running snapshot may go out
        self._last_yield = 0.0
        self._rate = _Rate()
        self._unit_done = 0  # pieces (minibatches or epochs) of the paced unit in progress
        self._due = -math.inf  # when the next paced unit may start
        self._unit_start = 0.0  # when the paced unit in progress started
        #: Set by the GUI thread when it has handled the last snapshot sent (back-pressure).
        self._delivered = threading.Event()
        self._delivered.set()

    @property
    def trainer(self) -> Trainer | None:
        return self._trainer

    # ---------------------------------------------------- called from the GUI thread
    def start_run(self, request: RunRequest | None, run_id: int, data_version: int) -> None:
        """Replace the run (paused) by one built from ``request`` in the worker thread (None: no run);
        the old trainer is interrupted and forgotten. ``runBuilt`` or ``runFailed`` answers."""
        with self._cond:
            if self._trainer is not None:
                self._trainer.request_stop()
            self._trainer, self._request = None, request
            self._run_id, self._start_version = run_id, data_version
            self._goal, self._lr, self._data, self._ack_pause = "pause", None, None, False
            self._cond.notify_all()

    def command(self, goal: str) -> None:
        with self._cond:
            self._goal = goal
            self._ack_pause = goal == "pause"  # a pause is always answered by a paused snapshot
            if goal in ("pause", "stop") and self._trainer is not None:
                self._trainer.request_stop()
            self._cond.notify_all()

    def set_pace(self, pace: float) -> None:
        """Epochs per second (inf: flat out); interrupts the piece in progress so it acts at once."""
        with self._cond:
            self._pace, self._repace = check_pace(pace), True
            if self._trainer is not None and self._goal == "run":
                self._trainer.request_stop()
            self._cond.notify_all()

    def set_lr(self, lr: float) -> None:
        # Interrupt the epoch so the worker applies it before the next minibatch; run_epoch resumes
        # exactly where it stopped, so this changes nothing but the learning rate.
        with self._cond:
            self._lr = float(lr)
            if self._trainer is not None:
                self._trainer.request_stop()
            self._cond.notify_all()

    def hand_data(self, data, version: int) -> None:
        """Newest data (a ``DataSnapshot``) wins; the worker turns it into a ``Dataset`` and switches
        to it at its next epoch boundary."""
        with self._cond:
            self._data = (data, version)
            self._cond.notify_all()

    def delivered(self) -> None:
        """The GUI handled a snapshot: the next progress snapshot may be sent."""
        self._delivered.set()

    def quit(self) -> None:
        with self._cond:
            self._quit = True
            if self._trainer is not None:
                self._trainer.request_stop()
            self._cond.notify_all()

    # ------------------------------------------------------------ worker thread
    @Slot()
    def run(self) -> None:
        """The thread's whole life: wait for work, do it, until quit()."""
        try:
            while True:
                try:
                    job = self._next_job()
                    if job is None:
                        break
                    self._do(*job)
                except Exception as exc:
                    self._end("error", "error", _failure_message(self._current, exc))
        finally:
            # Give the object back to the GUI thread (allowed from its own thread) so Python can
            # delete it there, then let the thread end without entering an event loop.
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            QThread.currentThread().quit()

    def _next_job(self):
        """Block until there is something to do: ("build", request, run_id), ("work", goal, lr, data),
        ("pause",) or ("stop",)."""
        with self._cond:
            while not self._quit:
                if self._request is not None:
                    request, self._request = self._request, None
                    return "build", request, self._run_id
                trainer = self._trainer
                if trainer is not self._current:
                    self._adopt(trainer)
                if trainer is not None and not self._ended:
                    if self._repace:
                        self._repace, self._due, self._unit_done = False, -math.inf, 0
                    wait = self._pace_wait() if self._goal == "run" else 0.0
                    if wait > 0:
                        self._cond.wait(wait)  # Pause, Stop, Step and a new pace wake it early
                        continue
                    if self._goal in ("run", "step", "batch"):
                        lr, self._lr = self._lr, None
                        data = None
                        if self._data is not None and not trainer.mid_epoch:
                            data, self._data = self._data, None
                        return "work", self._goal, lr, data, self._pace
                    if self._goal == "stop":
                        return ("stop",)
                    if self._active or self._ack_pause:
                        self._ack_pause = False
                        return ("pause",)
                self._cond.wait()
            return None

    def _adopt(self, trainer: Trainer | None) -> None:
        self._current, self._active, self._ended = trainer, False, False
        self._run = self._run_id
        self._version = self._start_version
        self._reports = []
        self._epoch_end = None  # see Snapshot.epoch_end
        self._next_emit = -math.inf  # when the next running snapshot may go out
        self._unit_done, self._due = 0, -math.inf
        self._delivered.set()

    def _pace_wait(self) -> float:
        """Seconds until the next paced unit may start (0 or less: now). A unit starts only once
        the GUI took the last one's snapshot, so every unit is seen (called under ``_cond``)."""
        if math.isinf(self._pace) or self._unit_done:
            return 0.0
        if not self._delivered.is_set():
            return DELIVERY_POLL
        return self._due - time.perf_counter()

    def _do(self, kind: str, *args) -> None:
        if kind == "build":
            self._build(*args)
        else:
            self._work(kind, *args)

    def _work(self, kind: str, goal: str | None = None, lr=None, data=None, pace: float = FLAT_OUT) -> None:
        trainer = self._current
        if kind == "pause":
            self._active, self._unit_done = False, 0
            self.snapshotReady.emit(self._snapshot("paused"))
            return
        if kind == "stop":
            self._end("finished", "stopped")
            return
        if not self._active:
            self._active = True
            self._rate.restart()
        if lr is not None:
            trainer.set_lr(lr)
        if data is not None and not self._replace_data(*data):
            return
        unit = pace_unit(pace, trainer.batches_per_epoch) if goal == "run" and not math.isinf(pace) else None
        by_batch = goal == "batch" or (unit is not None and unit[0] == "batches")
        # Flat out, an epoch pauses when the next snapshot is due, so a long epoch (many points,
        # small batches) still shows its progress ~30 times a second (docs/design.md §1).
        deadline = self._deadline() if goal == "run" and unit is None else None
        before = trainer.batches_done
        if unit is not None and not self._unit_done:
            self._unit_start = time.perf_counter()
        report = trainer.run_minibatch() if by_batch else trainer.run_epoch(deadline)
        if report is None:
            if trainer.stopped_because == "diverged":
                self._end("diverged", "diverged", divergence_message(trainer))
                return
            if by_batch and trainer.batches_done == before:
                return  # a stop request came first: the next job follows the new command
            if not by_batch and (deadline is None or time.perf_counter() < deadline):
                return  # interrupted: the next job follows the new command
        else:
            self._reports.append(report)
            self._rate.add(report.samples)
            if report.seconds >= PROGRESS_INTERVAL:  # a long epoch: its end may fall between snapshots
                self._epoch_end = (trainer.epoch, frozen_copy(trainer.network.params), report)
            if trainer.stopped_because in ("early_stopping", "converged"):
                self._end("finished", trainer.stopped_because)
                return
            if trainer.config.epochs and trainer.epoch >= trainer.config.epochs:
                self._end("finished", "epochs")
                return
        if goal in ("step", "batch"):
            with self._cond:
                if self._trainer is trainer and self._goal == goal:
                    self._goal = "pause"  # the loop then sends the paused snapshot with this step
            return
        now = time.perf_counter()
        if unit is not None:
            self._unit_done += 1
            if self._unit_done >= unit[1]:  # the unit is complete: show it, and schedule the next
                self._unit_done = 0
                self._due = max(self._due, self._unit_start) + unit[2]
                self.snapshotReady.emit(self._snapshot("running"))
        # Time-throttled, and only once the GUI took the previous one: a slow view never
        # builds a queue of stale snapshots (the reports keep piling up here instead).
        elif now >= self._next_emit and self._delivered.is_set():
            self.snapshotReady.emit(self._snapshot("running"))
        if now - self._last_yield >= GIL_YIELD_INTERVAL:
            # A GIL hand-off, not a race fix: between NumPy calls the epoch loop is pure
            # Python, so offer a waiting GUI thread the interpreter now rather than after
            # CPython's 5 ms switch interval (measured: p99 timer lateness 18 ms -> 4 ms).
            _hand_over_gil()
            self._last_yield = time.perf_counter()

    def _deadline(self) -> float:
        """When the running epoch should pause for the next snapshot: when it is due, or soon
        again if the GUI has not taken the last one yet (back-pressure)."""
        if self._delivered.is_set():
            return self._next_emit
        return time.perf_counter() + DELIVERY_POLL

    def _build(self, request: RunRequest, run_id: int) -> None:
        """Build the requested run's trainer here; a bad dataset or configuration answers with
        ``runFailed`` (the message the user sees), and the old run stays forgotten."""
        try:
            dataset = self._known_dataset(request.data.dataset())
            trainer = Trainer(dataset, request.config)
            if request.prepare is not None:
                request.prepare(trainer)
        except Exception as exc:
            self.runFailed.emit(run_id, f"Cannot start training: {exc}")
            return
        with self._cond:
            if self._run_id != run_id:
                return  # superseded while building: the newer request is next
            self._trainer = trainer
            self._adopt(trainer)
        info = RunInfo(
            run_id,
            request.config,
            dataset,
            trainer.model.copy(),
            trainer.train_idx.copy(),
            trainer.test_idx.copy(),
            trainer.model_name,
        )
        first = None
        if request.first is not None:
            self._rate.restart()
            # A restored session shows its whole (bounded) report history, as one batch.
            history = trainer.history.copy()
            first = replace(self._snapshot(*request.first), reports=history, restored=bool(history))
        self.runBuilt.emit(run_id, info, first)

    def _known_dataset(self, dataset: Dataset) -> Dataset:
        """The current run's very Dataset if ``dataset`` holds the same data (views compare by
        identity, so unchanged points keep their probes and pictures)."""
        known = self._current.dataset if self._current is not None else None
        return known if known is not None and same_data(dataset, known) else dataset

    def _replace_data(self, data, version: int) -> bool:
        trainer = self._current
        try:
            dataset = data.dataset()
            if same_data(dataset, trainer.dataset):
                self._version = version  # e.g. an edit undone: nothing the engine sees changed
                return True
            trainer.replace_data(dataset)
        except Exception as exc:
            self._end(
                "error",
                "error",
                f"Training stopped at epoch {trainer.epoch}: the edited data cannot be used by "
                f"this run ({exc}). Your points are unchanged; press Train to start a new run "
                "on them.",
            )
            return False
        self._version = version
        self.dataReplaced.emit(self._run, trainer.epoch, (dataset, trainer.train_idx.copy(), trainer.test_idx.copy()))
        return True

    def _end(self, kind: str, stopped_because: str, message: str = "") -> None:
        self._ended, self._active = True, False
        try:
            snap = self._snapshot("finished", stopped_because)
        except Exception:
            log.exception("could not take the final snapshot")
            snap = None
        if kind == "error":
            log.error("%s", message)
        self.runEnded.emit(snap, self._run, kind, message)

    def _snapshot(self, state: str, stopped_because: str | None = None) -> Snapshot:
        t = self._current
        reports, self._reports = tuple(self._reports), []
        epoch_end, self._epoch_end = self._epoch_end, None
        started = time.perf_counter()
        self._delivered.clear()
        params = frozen_copy(t.network.params)
        extras = run_probes(self.probes, t)
        done = time.perf_counter()
        # Throttled by time (docs/design.md §1), and so that probes get at most MAX_PROBE_SHARE of it.
        probing = (done - started) * (1.0 - MAX_PROBE_SHARE) / MAX_PROBE_SHARE
        self._next_emit = max(started + PROGRESS_INTERVAL, done + probing)
        return Snapshot(
            self._run,
            t.epoch,
            params,
            reports,
            t.history[-1] if t.history else None,
            state,
            stopped_because,
            t.best_epoch,
            self._rate.per_second(),
            self._version,
            extras,
            (t.batches_done, t.batches_per_epoch) if t.batches_done else None,
            epoch_end=epoch_end if t.batches_done else None,  # at an epoch's end the snapshot is that end
        )


def run_probes(probes, trainer) -> dict:
    """Call each ``(name, fn)`` probe on the trainer; a failing probe gives None, never stops training."""
    extras = {}
    for name, fn in probes:
        try:
            extras[name] = fn(trainer)
        except Exception:
            log.exception("probe %r failed", name)
            extras[name] = None
    return extras


def same_data(a: Dataset, b: Dataset) -> bool:
    """Equal points, labels, classes and names (O(n): the worker's thread only)."""
    return (
        a.classes == b.classes
        and a.feature_names == b.feature_names
        and np.array_equal(a.X, b.X)
        and np.array_equal(a.y, b.y)
    )


def divergence_message(trainer: Trainer) -> str:
    """Plain language: what happened, the likely cause, and that the last finite model is kept."""
    cfg, epoch = trainer.config, trainer.diverged_epoch or trainer.epoch + 1
    parts = [
        f"Training diverged at epoch {epoch}: the loss became NaN or infinite, or exploded far "
        "above its starting value.",
        f"The learning rate ({trainer.lr:g}) is probably too high for the {cfg.optimizer} "
        f"optimizer; try {trainer.lr / 10:g} or smaller.",
    ]
    if not cfg.standardize:
        X = trainer.dataset.X
        size = float(np.abs(X).max()) if X.size else 0.0
        scale = f" (inputs as large as {size:.3g})" if size > 10 else ""
        parts.append(
            f"Features are not standardized{scale}, so unscaled inputs make the steps huge: "
            "turn standardization on or rescale the data."
        )
    kept = f"from epoch {trainer.epoch}" if trainer.epoch else "the initial one"
    parts.append(f"The last finite model ({kept}) is kept.")
    return " ".join(parts)


# ------------------------------------------------------------------ helpers
class _Rate:
    """Samples per second over the last RATE_WINDOW seconds of wall-clock training time."""

    def __init__(self):
        self._events: deque = deque()
        self._total = 0
        self._origin = time.perf_counter()

    def restart(self) -> None:
        self._events.clear()
        self._total = 0
        self._origin = time.perf_counter()

    def add(self, samples: int) -> None:
        now = time.perf_counter()
        self._events.append((now, samples))
        self._total += samples
        while self._events and self._events[0][0] < now - RATE_WINDOW:
            self._origin, old = self._events.popleft()
            self._total -= old

    def per_second(self) -> float:
        if not self._events:
            return 0.0
        span = self._events[-1][0] - self._origin
        return self._total / span if span > 0 else 0.0


def _hand_over_gil() -> None:
    time.sleep(0)


def join_worker(worker: TrainingWorker, threads: list) -> None:
    """Stop the worker and wait for its thread (never terminate()); used by shutdown and GC."""
    worker.quit()
    for thread in threads:
        thread.quit()
        if not thread.isCurrentThread():  # a GC pass may run this in the worker thread itself
            thread.wait()


def _failure_message(trainer: Trainer | None, exc: Exception) -> str:
    where = f" at epoch {trainer.epoch + 1}" if trainer is not None else ""
    return (
        f"Training failed{where}: {type(exc).__name__}: {exc}. The model so far is kept; "
        "press Train to start a new run."
    )
