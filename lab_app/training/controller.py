"""Training in the background: the GUI-thread controller and the worker in its QThread.

The engine's :class:`~engine.training.Trainer` knows nothing of threads (STYLE.md, habit 3). This
module is the only place that does. :class:`TrainingController` lives in the GUI thread and owns one
long-lived ``QThread`` running :class:`TrainingWorker` (superqt's recipe: ``moveToThread``,
``started → run``). Commands go to the worker through one ``threading.Condition``: the worker
sleeps on it while paused (no busy loop) and the GUI interrupts a running epoch with
``Trainer.request_stop()``, so pause, stop and a learning-rate change act within one minibatch.

One task at a time (Orange): a new run replaces the old trainer, and everything the worker sends is
tagged with a ``run_id`` so the controller drops what belongs to a superseded run. What crosses the
thread boundary is a frozen :class:`Snapshot` of copies, at most ~30 per second however fast the
model trains (DESIGN.md §1).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot

from engine.data import Dataset
from engine.model import Model
from engine.training import EpochReport, TrainConfig, Trainer
from lab_app.training.config import DEFAULT_CONFIG, effective_config

__all__ = ["RunInfo", "Snapshot", "TrainingController", "TrainingWorker", "divergence_message"]

log = logging.getLogger(__name__)

#: Seconds between progress snapshots while running: at most ~30 per second reach the GUI.
PROGRESS_INTERVAL = 1.0 / 30.0
#: The window over which samples per second are measured.
RATE_WINDOW = 1.0
#: Milliseconds over which a burst of point edits (a drag) becomes one hand-over to the worker.
EDIT_COALESCE_MS = 30
#: Seconds of training between GIL hand-offs to the GUI thread (see TrainingWorker._do).
GIL_YIELD_INTERVAL = 0.001
#: While the GUI has not taken the last snapshot yet, the worker looks again this often (seconds).
DELIVERY_POLL = 0.005
#: The probes' share of the worker's time, at most: with many points their forward passes would
#: otherwise leave no time to train between snapshots (measured at 100,000 points: 70% → 50%).
MAX_PROBE_SHARE = 0.5


@dataclass(frozen=True, eq=False)  # eq=False: arrays inside; identity is what matters
class RunInfo:
    """What a run trains: views build their templates (feature map, network shape) from it."""

    run_id: int
    config: TrainConfig
    dataset: Dataset  # the snapshot trained on (replaced after a data edit mid-run)
    model: Model  # a copy with its own params: the initial model
    train_idx: np.ndarray
    test_idx: np.ndarray
    model_name: str

    def model_at(self, params: np.ndarray) -> Model:
        """A copy of the run's model holding ``params`` (a snapshot's weights). ``model`` itself is
        the run's initial model and is never written to: other threads and views read it."""
        model = self.model.copy()
        model.network.set_params(params)
        return model


@dataclass(frozen=True, eq=False)  # eq=False: arrays inside; identity is what matters
class Snapshot:
    """A frozen copy of a run's progress; safe to keep, never changed by the worker.

    ``reports`` holds every epoch since the previous snapshot of the run (none is dropped);
    ``state`` is "running", "paused" or "finished" (reset()'s epoch-0 snapshot says "paused");
    ``params`` is a copy of the flat weights; ``stopped_because`` of a finished run is "epochs",
    "early_stopping", "stopped", "diverged" or "error"; ``data_version`` counts document edits.
    """

    run_id: int
    epoch: int
    params: np.ndarray
    reports: tuple[EpochReport, ...]
    latest: EpochReport | None
    state: str
    stopped_because: str | None
    best_epoch: int | None
    samples_per_second: float
    data_version: int
    #: Results of the controller's probes (``add_probe``), computed from the live trainer.
    extras: dict = field(default_factory=dict)


class TrainingController(QObject):
    """Starts, pauses, steps and stops training of the document's points; lives in the GUI thread.

    Every snapshot goes out through ``progress`` (so views see every report); the last one of a run
    is then also announced by ``finished``, ``diverged`` or ``error``. ``state`` follows the worker:
    "paused" arrives with the paused snapshot, so ``latest`` is then final. A finished, stopped,
    diverged or failed run stays on show, and the next train() starts a new run. The worker sends
    the next progress snapshot only after the previous one was handled here (back-pressure), so
    slow views never queue stale snapshots. Call :meth:`shutdown` before the window goes away
    (``closeEvent``); it is also hooked to ``QCoreApplication.aboutToQuit`` and to garbage
    collection, so the thread is always joined, never terminated.
    """

    runStarted = Signal(object)  # RunInfo
    progress = Signal(object)  # Snapshot, at most ~30 per second
    finished = Signal(object)  # Snapshot: epochs reached, early stopping or stop()
    diverged = Signal(object, str)  # Snapshot of the last finite model, plain-language message
    error = Signal(str)
    stateChanged = Signal(str)  # "idle" | "running" | "paused"
    dataResnapshotted = Signal(int)  # epoch after which the edited points are used
    configNeedsRestart = Signal()
    configChanged = Signal(object)  # TrainConfig: the one the user edits (the Trainer panel follows it)

    def __init__(self, document, parent: QObject | None = None, config: TrainConfig = DEFAULT_CONFIG):
        super().__init__(parent)
        self._document = document
        config.validate()
        self._config = config
        self._state = "idle"
        self._run_info: RunInfo | None = None
        self._latest: Snapshot | None = None
        self._history: list[EpochReport] = []
        self._run_id = 0
        self._run_open = False  # a run exists that train() resumes (not finished, stopped, failed)
        self._pausing = False  # waiting for the worker's paused snapshot (pause or step)
        self._data_version = 0
        self._handed: Dataset | None = None  # newest data given to the current run
        self._closed = False
        self._worker = TrainingWorker()
        self._probes: tuple = ()
        self._thread: QThread | None = None
        # If the owner forgets shutdown(), joining still happens before Qt tears the thread down.
        self._finalizer = weakref.finalize(self, _join_worker, self._worker, [])
        self._live_lr: float | None = None
        # A drag edits the points at every mouse move; snapshot them at most every EDIT_COALESCE_MS.
        self._edit_timer = QTimer(self)
        self._edit_timer.setSingleShot(True)
        self._edit_timer.setInterval(EDIT_COALESCE_MS)
        self._edit_timer.timeout.connect(self._hand_over_edit)
        self._connections = [
            (signal, self._on_data_edited)
            for signal in (document.pointsChanged, document.classesChanged, document.modeChanged)
        ]
        self._connections.append((document.classesChanged, self._follow_classes))
        app = QCoreApplication.instance()
        if app is not None:
            self._connections.append((app.aboutToQuit, self.shutdown))
        for signal, slot in self._connections:
            signal.connect(slot)

    # ------------------------------------------------------------------ state
    @property
    def config(self) -> TrainConfig:
        return self._config

    @property
    def state(self) -> str:
        return self._state

    @property
    def run_info(self) -> RunInfo | None:
        return self._run_info

    @property
    def latest(self) -> Snapshot | None:
        return self._latest

    @property
    def history(self) -> list[EpochReport]:
        """Every epoch report of the current run received so far (a copy)."""
        return list(self._history)

    # --------------------------------------------------------------- commands
    @Slot()
    def train(self) -> None:
        """Resume the current run, or start a new one if there is none or the config needs it."""
        if self._closed:
            return
        if self._needs_new_run() and not self._new_run():
            return
        self._pausing = False
        self._worker.command("run")
        self._set_state("running")

    @Slot()
    def pause(self) -> None:
        """Stop within one minibatch. ``state`` turns "paused" when the worker's paused snapshot
        arrives, so from then on ``latest`` is final until the next train() or step()."""
        if self._state == "running":
            self._pausing = True
            self._worker.command("pause")

    def apply_fix(self, fix: dict) -> None:
        """Change the settings in ``fix`` (a one-click cure from the doctor or the reference view) and
        train with them at once: in the current run when it can take them (a learning rate), else
        in a new run, and in a new run as well when the current one is over."""
        live = self.set_config(self._config.with_(**fix))
        if not live or self._state == "idle":
            self.restart()

    @Slot()
    def restart(self) -> None:
        """A new run with fresh weights and the current configuration, training at once."""
        self.reset()
        self.train()

    @Slot()
    def toggle(self) -> None:
        self.pause() if self._state == "running" else self.train()

    @Slot()
    def step(self) -> None:
        """Run exactly one epoch (finishing a paused one), then pause."""
        if self._closed:
            return
        if self._needs_new_run() and not self._new_run():
            return
        self._pausing = True
        self._worker.command("step")
        self._set_state("running")

    @Slot()
    def stop(self) -> None:
        """End the run; the model stays on show and ``finished`` reports ``stopped``."""
        if self._run_open:
            self._run_open = self._pausing = False
            self._worker.command("stop")
        self._set_state("idle")

    @Slot()
    def reset(self) -> None:
        """Stop, then a new run with fresh weights that does not train yet (epoch 0 on show)."""
        if self._closed or not self._new_run():
            return
        self._pausing = False
        self._set_state("idle")
        trainer = self._worker.trainer  # not touched by the worker until told to run
        snap = Snapshot(
            self._run_id,
            trainer.epoch,
            _frozen_copy(trainer.network.params),
            (),
            None,
            "paused",
            None,
            None,
            0.0,
            self._data_version,
            run_probes(self._probes, trainer),
        )
        self._latest = snap
        self.progress.emit(snap)

    def add_probe(self, name: str, fn) -> None:
        """Compute ``fn(trainer)`` in the training thread at every snapshot, into ``Snapshot.extras[name]``.

        For views that need the live trainer (diagnostics, curvature); ``fn`` must be quick
        (it runs at most ~30 times a second) and must only read the trainer.
        """
        self._probes = tuple(p for p in self._probes if p[0] != name) + ((name, fn),)
        self._worker.probes = self._probes

    def set_config(self, config: TrainConfig) -> bool:
        """Use ``config`` from now on (``configChanged`` tells the views). True if it applies to the
        current run (only the learning rate changed: it acts from the next minibatch), False if it
        needs a new run: then ``configNeedsRestart`` is emitted and the next :meth:`train` starts one."""
        config.validate()
        changed, self._config = config != self._config, config
        if changed:
            self.configChanged.emit(config)
        run = self._run_info
        if run is None or not self._run_open:
            return True
        if replace(effective_config(config, run.dataset.n_features), lr=run.config.lr) == run.config:
            if config.lr != self._live_lr:
                self._live_lr = config.lr
                self._worker.set_lr(config.lr)
            return True
        self.configNeedsRestart.emit()
        return False

    @Slot()
    def shutdown(self) -> None:
        """Stop training and join the thread. Safe to call twice; no signal fires afterwards."""
        if self._closed:
            return
        self._closed = True
        self._run_open = False
        self._state = "idle"
        self._edit_timer.stop()
        for signal, slot in self._connections:
            try:
                signal.disconnect(slot)
            except RuntimeError:  # the document died first: nothing left to disconnect
                pass
        self._connections = []
        self._finalizer()

    # ------------------------------------- restoring a saved session (used by lab_app.window.files)
    def restore(
        self, model: Model, history=(), *, best_epoch: int | None = None, stopped_because: str | None = None
    ) -> bool:
        """Show a saved session's model: a new idle run on the document's points that starts from
        ``model``'s weights and standardizer with ``history`` (``Trainer.restore``). Emits
        ``runStarted``, then one ``progress`` snapshot holding every report, so the views draw
        the saved picture and the whole loss curve. Train continues from these weights, unless
        the saved run had ended (``stopped_because``): then Train starts a new run, as it would
        have before saving. Returns False (after ``error``) if the model does not fit."""
        history = tuple(history)
        if self._closed or not self._new_run(lambda t: t.restore(model, history, best_epoch)):
            return False
        self._pausing = False
        self._run_open = stopped_because is None
        self._set_state("idle")
        trainer = self._worker.trainer  # not touched by the worker until told to run
        snap = Snapshot(
            self._run_id,
            trainer.epoch,
            _frozen_copy(trainer.network.params),
            history,
            history[-1] if history else None,
            "paused" if self._run_open else "finished",
            stopped_because,
            best_epoch,
            0.0,
            self._data_version,
            run_probes(self._probes, trainer),
        )
        self._accept(snap)
        return True

    # --------------------------------------------------------------- internals
    def _needs_new_run(self) -> bool:
        run = self._run_info
        if run is None or not self._run_open:
            return True
        return replace(effective_config(self._config, self._document.n_dims), lr=run.config.lr) != run.config

    @Slot()
    def _follow_classes(self) -> None:
        """Logistic regression is for two classes: more classes turn the choice into softmax."""
        if self._document.n_classes > 2 and self._config.model == "logistic":
            self.set_config(self._config.with_(model="softmax"))

    def _new_run(self, prepare=None) -> bool:
        """Build a trainer on a fresh snapshot (in this thread: errors surface at once) and hand it
        over; the old run, if any, is abandoned within one minibatch. ``prepare(trainer)``, if
        given, runs before the run is announced (``restore`` loads saved weights with it)."""
        try:
            dataset = self._document.dataset()
            if self._handed is not None and _same_data(dataset, self._handed):
                dataset = self._handed  # unchanged points: keep the very same snapshot
            config = effective_config(self._config, dataset.n_features)
            trainer = Trainer(dataset, config)
            if prepare is not None:
                prepare(trainer)
        except Exception as exc:  # bad data or config: say so, keep the old run's picture
            self.error.emit(f"Cannot start training: {exc}")
            return False
        self._ensure_thread()
        self._run_id += 1
        self._run_info = RunInfo(
            self._run_id,
            config,
            dataset,
            trainer.model.copy(),
            trainer.train_idx.copy(),
            trainer.test_idx.copy(),
            trainer.model_name,
        )
        self._handed = dataset
        self._history, self._latest, self._run_open = [], None, True
        self._live_lr = config.lr
        self._worker.start_run(trainer, self._run_id, self._data_version)
        self.runStarted.emit(self._run_info)
        return True

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        thread = QThread()
        thread.setObjectName("logit-lab-training")
        self._worker.moveToThread(thread)
        thread.started.connect(self._worker.run)
        queued = Qt.ConnectionType.QueuedConnection
        self._worker.snapshotReady.connect(self._on_snapshot, queued)
        self._worker.runEnded.connect(self._on_run_ended, queued)
        self._worker.dataReplaced.connect(self._on_data_replaced, queued)
        self._thread = thread
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _join_worker, self._worker, [thread])
        thread.start()

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)

    def _accept(self, snap: Snapshot | None) -> bool:
        if self._closed or snap is None or snap.run_id != self._run_id:
            return False
        self._history.extend(snap.reports)
        self._latest = snap
        self.progress.emit(snap)
        return True

    @Slot(object)
    def _on_snapshot(self, snap: Snapshot) -> None:
        try:
            if self._accept(snap) and snap.state == "paused" and self._pausing:
                self._pausing = False
                self._set_state("paused")
        finally:
            self._worker.delivered()  # after the views drew it: that is the back-pressure

    @Slot(object, int, str, str)
    def _on_run_ended(self, snap: Snapshot | None, run_id: int, kind: str, message: str) -> None:
        self._worker.delivered()
        if self._closed or run_id != self._run_id:
            return
        self._run_open = self._pausing = False
        self._accept(snap)
        self._set_state("idle")
        if kind == "finished":
            self.finished.emit(snap)
        elif kind == "diverged":
            self.diverged.emit(snap, message)
        else:
            self.error.emit(message)

    @Slot(int, int, object)
    def _on_data_replaced(self, run_id: int, epoch: int, info: tuple) -> None:
        if self._closed or run_id != self._run_id or self._run_info is None:
            return
        dataset, train_idx, test_idx = info
        self._run_info = replace(self._run_info, dataset=dataset, train_idx=train_idx, test_idx=test_idx)
        self.dataResnapshotted.emit(epoch)

    @Slot()
    def _on_data_edited(self) -> None:
        self._data_version += 1
        if not self._closed and self._run_open and not self._edit_timer.isActive():
            self._edit_timer.start()

    @Slot()
    def _hand_over_edit(self) -> None:
        """Hand the edited points to the open run; the worker switches at the next epoch boundary."""
        if self._closed or not self._run_open:
            return
        try:
            dataset = self._document.dataset()
        except Exception as exc:  # the worker reports it at the boundary, like a bad replace_data
            self._worker.hand_data(exc, self._data_version)
            return
        if self._handed is not None and _same_data(dataset, self._handed):
            return  # e.g. a recolour: nothing the engine sees changed
        self._handed = dataset
        self._worker.hand_data(dataset, self._data_version)


class TrainingWorker(QObject):
    """Calls ``Trainer.run_epoch`` in a loop inside its QThread and reports snapshots.

    The public methods are called from the GUI thread; they only set fields under ``_cond`` and
    wake the loop (plus ``request_stop``, the trainer's thread-safe flag). Everything else runs in
    the worker thread. Never touches widgets or the document.
    """

    snapshotReady = Signal(object)  # Snapshot (running or paused)
    runEnded = Signal(object, int, str, str)  # Snapshot|None, run_id, finished|diverged|error, message
    dataReplaced = Signal(int, int, object)  # run_id, epoch, (dataset, train_idx, test_idx)

    def __init__(self):
        super().__init__()
        self._cond = threading.Condition()
        #: (name, fn) pairs run on the trainer at every snapshot; replaced whole (atomic), never mutated.
        self.probes: tuple = ()
        # Shared with the GUI thread, guarded by _cond.
        self._trainer: Trainer | None = None
        self._run_id = 0
        self._start_version = 0
        self._goal = "pause"  # "run" | "step" | "pause" | "stop"
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
        self._next_emit = -math.inf  # when the next running snapshot may go out
        self._last_yield = 0.0
        self._rate = _Rate()
        #: Set by the GUI thread when it has handled the last snapshot sent (back-pressure).
        self._delivered = threading.Event()
        self._delivered.set()

    @property
    def trainer(self) -> Trainer | None:
        return self._trainer

    # ---------------------------------------------------- called from the GUI thread
    def start_run(self, trainer: Trainer, run_id: int, data_version: int) -> None:
        """Replace the run (paused); the old trainer is interrupted and forgotten."""
        with self._cond:
            if self._trainer is not None:
                self._trainer.request_stop()
            self._trainer, self._run_id, self._start_version = trainer, run_id, data_version
            self._goal, self._lr, self._data, self._ack_pause = "pause", None, None, False
            self._cond.notify_all()

    def command(self, goal: str) -> None:
        with self._cond:
            self._goal = goal
            self._ack_pause = goal == "pause"  # a pause is always answered by a paused snapshot
            if goal in ("pause", "stop") and self._trainer is not None:
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

    def hand_data(self, dataset: Dataset | Exception, version: int) -> None:
        """Newest data wins; the worker picks it up at its next epoch boundary."""
        with self._cond:
            self._data = (dataset, version)
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
        """Block until there is something to do: ("work", goal, lr, data), ("pause",) or ("stop",)."""
        with self._cond:
            while not self._quit:
                trainer = self._trainer
                if trainer is not self._current:
                    self._adopt(trainer)
                if trainer is not None and not self._ended:
                    if self._goal in ("run", "step"):
                        lr, self._lr = self._lr, None
                        data = None
                        if self._data is not None and not trainer.mid_epoch:
                            data, self._data = self._data, None
                        return "work", self._goal, lr, data
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
        self._next_emit = -math.inf  # when the next running snapshot may go out
        self._delivered.set()

    def _do(self, kind: str, goal: str | None = None, lr=None, data=None) -> None:
        trainer = self._current
        if kind == "pause":
            self._active = False
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
        # While running, an epoch pauses when the next snapshot is due, so a long epoch (many
        # points, small batches) still shows its progress ~30 times a second (DESIGN.md §1).
        deadline = self._deadline() if goal == "run" else None
        report = trainer.run_epoch(deadline)
        if report is None:
            if trainer.stopped_because == "diverged":
                self._end("diverged", "diverged", divergence_message(trainer))
                return
            if deadline is None or time.perf_counter() < deadline:
                return  # interrupted: the next job follows the new command
        else:
            self._reports.append(report)
            self._rate.add(report.samples)
            if trainer.stopped_because == "early_stopping":
                self._end("finished", "early_stopping")
                return
            if trainer.config.epochs and trainer.epoch >= trainer.config.epochs:
                self._end("finished", "epochs")
                return
            if goal == "step":
                with self._cond:
                    if self._trainer is trainer and self._goal == "step":
                        self._goal = "pause"  # the loop then sends the paused snapshot with this report
                return
        now = time.perf_counter()
        # Time-throttled, and only once the GUI took the previous one: a slow view never
        # builds a queue of stale snapshots (the reports keep piling up here instead).
        if now >= self._next_emit and self._delivered.is_set():
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

    def _replace_data(self, dataset, version: int) -> bool:
        trainer = self._current
        try:
            if isinstance(dataset, Exception):
                raise dataset
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
        started = time.perf_counter()
        self._delivered.clear()
        params = _frozen_copy(t.network.params)
        extras = run_probes(self.probes, t)
        done = time.perf_counter()
        # Throttled by time (DESIGN.md §1), and so that probes get at most MAX_PROBE_SHARE of it.
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


def _frozen_copy(a: np.ndarray) -> np.ndarray:
    """A read-only copy: every view receives the same snapshot, so none may change it."""
    a = a.copy()
    a.flags.writeable = False
    return a


def _hand_over_gil() -> None:
    time.sleep(0)


def _join_worker(worker: TrainingWorker, threads: list) -> None:
    """Stop the worker and wait for its thread (never terminate()); used by shutdown and GC."""
    worker.quit()
    for thread in threads:
        thread.quit()
        if not thread.isCurrentThread():  # a GC pass may run this in the worker thread itself
            thread.wait()


def _same_data(a: Dataset, b: Dataset) -> bool:
    return (
        a.classes == b.classes
        and a.feature_names == b.feature_names
        and np.array_equal(a.X, b.X)
        and np.array_equal(a.y, b.y)
    )


def _failure_message(trainer: Trainer | None, exc: Exception) -> str:
    where = f" at epoch {trainer.epoch + 1}" if trainer is not None else ""
    return (
        f"Training failed{where}: {type(exc).__name__}: {exc}. The model so far is kept; "
        "press Train to start a new run."
    )
