"""The training controller: starts, pauses, steps and stops training; lives in the GUI thread.

The engine's :class:`~engine.training.Trainer` knows nothing of threads (docs/style.md, habit 3).
:class:`TrainingController` owns the training configuration (the Trainer panel follows it) and
one long-lived ``QThread`` running :class:`~lab_app.training.worker.TrainingWorker` (superqt's
recipe: ``moveToThread``, ``started → run``).

A run is built in the worker thread (its cost grows with the number of points): ``reset()``,
``train()`` and ``restore()`` hand the worker the document's O(1)
:class:`~lab_app.document.DataSnapshot` and return at once; ``runStarted`` (or ``error``) follows.
Until then the previous run's picture stays on show. One task at a time (Orange): a new run
replaces the old trainer, and everything the worker sends is
tagged with a ``run_id`` so the controller drops what belongs to a superseded run. What crosses the
thread boundary is a frozen :class:`~lab_app.training.runs.Snapshot` of copies, at most ~30 per
second however fast the model trains (docs/design.md §1).
"""

from __future__ import annotations

import weakref
from dataclasses import replace

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from engine.epochs import report_history
from engine.history import History
from engine.model import Model
from engine.training import TrainConfig
from lab_app.tasks import Debouncer
from lab_app.training.config import DEFAULT_CONFIG, effective_config
from lab_app.training.pace import FLAT_OUT, check_pace
from lab_app.training.recorded import ParamHistory
from lab_app.training.runs import RunInfo, Snapshot
from lab_app.training.worker import RunRequest, TrainingWorker, join_worker

__all__ = ["RunInfo", "Snapshot", "TrainingController"]

#: Milliseconds over which a burst of point edits (a drag) becomes one hand-over to the worker.
EDIT_COALESCE_MS = 30


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
    cleared = Signal()  # no run any more (File → New): views drop what they showed
    configChanged = Signal(object)  # TrainConfig: the one the user edits (the Trainer panel follows it)
    paceChanged = Signal(float)  # epochs per second (inf: flat out); the pace controls follow it

    def __init__(self, document, parent: QObject | None = None, config: TrainConfig = DEFAULT_CONFIG):
        super().__init__(parent)
        self._document = document
        config.validate()
        self._config = config
        self._state = "idle"
        self._run_info: RunInfo | None = None
        self._latest: Snapshot | None = None
        #: The current run's reports in fixed memory (engine.history): recent epochs exact, older ones decimated.
        self._history = report_history()
        #: The current run's recorded weights, thinned to a budget (scrubber, landscape, sessions).
        self.recorded = ParamHistory()
        self._run_id = 0
        self._run_open = False  # a run exists that train() resumes (not finished, stopped, failed)
        self._pausing = False  # waiting for the worker's paused snapshot (pause or step)
        self._data_version = 0
        self._handed = None  # DataSnapshot: the newest data given to the current run
        self._run_config: TrainConfig | None = None  # what the current run (built or being built) trains
        self._run_n_dims = 0  # and on how many inputs
        self._building: int | None = None  # run_id of the run the worker is building
        self._saved_recorded: dict | None = None  # recorded weights to load when a restored run is built
        self._closed = False
        self._worker = TrainingWorker()
        self._probes: tuple = ()
        self._thread: QThread | None = None
        # If the owner forgets shutdown(), joining still happens before Qt tears the thread down.
        self._finalizer = weakref.finalize(self, join_worker, self._worker, [])
        self._live_lr: float | None = None
        self._pace = FLAT_OUT
        # A drag edits the points at every mouse move; snapshot them at most every EDIT_COALESCE_MS.
        self._edit_timer = Debouncer.throttle(EDIT_COALESCE_MS, self._hand_over_edit, parent=self)
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
    def pace(self) -> float:
        """Epochs per second the run is shown at (inf: flat out); see :meth:`set_pace`."""
        return self._pace

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
    def starting(self) -> bool:
        """A new run is being built in the worker: ``runStarted`` or ``error`` is on its way."""
        return self._building is not None

    @property
    def history(self) -> History:
        """The current run's epoch reports received so far (a copy): a sequence of the reports
        kept whole, in fixed memory however long the run (:func:`engine.epochs.report_history`)."""
        return self._history.copy()

    # --------------------------------------------------------------- commands
    @Slot()
    def train(self) -> None:
        """Resume the current run, or start a new one if there is none or the config needs it."""
        if self._closed:
            return
        if self._needs_new_run():
            self._new_run()
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
        self._step("step")

    @Slot()
    def step_minibatch(self) -> None:
        """Run exactly one minibatch, then pause; its snapshot (``Snapshot.minibatch``) shows where
        in the epoch the run is. ``batches_per_epoch`` of them equal one :meth:`step`."""
        self._step("batch")

    def set_pace(self, pace: float) -> None:
        """Show training at ``pace`` epochs per second (``math.inf``: flat out), from now on and in
        the run in progress. Slow paces show every few minibatches, faster ones a whole number
        of epochs per frame (:mod:`lab_app.training.pace`). It never changes the numbers: the
        worker only waits between units. ValueError unless ``pace`` > 0."""
        pace = check_pace(pace)
        if pace != self._pace:
            self._pace = pace
            self._worker.set_pace(pace)
            self.paceChanged.emit(pace)

    @Slot()
    def stop(self) -> None:
        """End the run; the model stays on show and ``finished`` reports ``stopped``."""
        if self._run_open:
            self._run_open = self._pausing = False
            self._worker.command("stop")
        self._set_state("idle")

    @Slot()
    def clear(self) -> None:
        """Stop and forget the current run (File → New): no model is on show until the next
        :meth:`reset` or :meth:`train`; ``cleared`` tells the views."""
        if self._closed:
            return
        self.stop()
        self._worker.start_run(None, self._run_id + 1, self._data_version)
        self._run_id += 1
        self._run_info, self._latest, self._handed = None, None, None
        self._history.clear()
        self._run_config = self._building = None
        self.recorded.clear()
        self.cleared.emit()

    @Slot()
    def reset(self) -> None:
        """Stop, then a new run with fresh weights that does not train yet: once the worker built
        it, ``runStarted`` and its epoch-0 snapshot (probes included) follow."""
        if self._closed:
            return
        self._new_run(first=("paused", None))
        self._pausing = False
        self._set_state("idle")

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
        run = self._run_config
        if run is None or not self._run_open:
            return True
        if replace(effective_config(config, self._run_n_dims), lr=run.lr) == run:
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
        self,
        model: Model,
        history=(),
        *,
        best_epoch: int | None = None,
        stopped_because: str | None = None,
        recorded: dict | None = None,
    ) -> bool:
        """Show a saved session's model: a new idle run on the document's points that starts from
        ``model``'s weights and standardizer with ``history`` (``Trainer.restore``). Once the
        worker built it: ``runStarted``, then one ``progress`` snapshot holding the saved report
        history, so the views draw the saved picture and the whole loss curve. Train continues
        from these weights, unless the saved run had ended (``stopped_because``): then Train starts
        a new run, as it would have before saving. ``recorded`` (``ParamHistory.to_saved`` output)
        refills the recorded weights, so the saved run can be scrubbed. If the model does not fit,
        ``error`` says so (from the worker) and no run is open. Returns False if the controller is
        shut down."""
        if self._closed:
            return False
        history = report_history(history)
        state = "paused" if stopped_because is None else "finished"
        self._new_run(lambda t: t.restore(model, history, best_epoch), (state, stopped_because))
        self._saved_recorded = recorded
        self._pausing = False
        self._run_open = stopped_because is None
        self._set_state("idle")
        return True

    # --------------------------------------------------------------- internals
    def _step(self, goal: str) -> None:
        if self._closed:
            return
        if self._needs_new_run():
            self._new_run()
        self._pausing = True
        self._worker.command(goal)
        self._set_state("running")

    def _needs_new_run(self) -> bool:
        run = self._run_config
        if run is None or not self._run_open:
            return True
        return replace(effective_config(self._config, self._document.n_dims), lr=run.lr) != run

    @Slot()
    def _follow_classes(self) -> None:
        """Logistic regression is for two classes: more classes turn the choice into softmax."""
        if self._document.n_classes > 2 and self._config.model == "logistic":
            self.set_config(self._config.with_(model="softmax"))

    def _new_run(self, prepare=None, first: tuple | None = None) -> None:
        """Ask the worker to build a run on the document's points (an O(1) snapshot) and abandon the
        old one within one minibatch. ``prepare(trainer)``, if given, runs in the worker before the
        run is announced (``restore`` loads saved weights with it); ``first`` asks for a snapshot of
        the built run (:class:`~lab_app.training.worker.RunRequest`). Errors (bad data or
        configuration) come back as ``error``, and the previous run's picture stays."""
        data = self._document.data_snapshot()
        config = effective_config(self._config, data.n_dims)
        self._ensure_thread()
        self._run_id += 1
        self._building, self._run_config, self._run_n_dims = self._run_id, config, data.n_dims
        self._handed, self._saved_recorded = data, None
        self._run_open, self._live_lr = True, config.lr
        self._worker.start_run(RunRequest(data, config, prepare, first), self._run_id, self._data_version)

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
        self._worker.runBuilt.connect(self._on_run_built, queued)
        self._worker.runFailed.connect(self._on_run_failed, queued)
        self._worker.dataReplaced.connect(self._on_data_replaced, queued)
        self._thread = thread
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, join_worker, self._worker, [thread])
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
        if snap.minibatch is None:  # an epoch's weights, not those part-way through the next one
            self.recorded.append(snap.epoch, snap.params, _watched_loss(snap.latest))
        elif snap.epoch_end is not None:  # a long epoch that ended between two snapshots
            epoch, params, report = snap.epoch_end
            self.recorded.append(epoch, params, _watched_loss(report))
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

    @Slot(int, object, object)
    def _on_run_built(self, run_id: int, info: RunInfo, first: Snapshot | None) -> None:
        try:
            if self._closed or run_id != self._run_id:
                return
            self._building = None
            self._run_info, self._latest = info, None
            self._history.clear()
            self.recorded.clear()
            if self._saved_recorded is not None:
                self.recorded.load_saved(self._saved_recorded, info.model.network.params.size)
                self._saved_recorded = None
            self.runStarted.emit(info)
            self._accept(first)
        finally:
            if first is not None:
                self._worker.delivered()

    @Slot(int, str)
    def _on_run_failed(self, run_id: int, message: str) -> None:
        if self._closed or run_id != self._run_id:
            return
        self._building = None
        self._run_open = self._pausing = False
        self._set_state("idle")
        self.error.emit(message)

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
        """Hand the edited points to the open run (O(1) views of the document's arrays, never a
        copy); the worker builds their Dataset and switches at the next epoch boundary."""
        if self._closed or not self._run_open:
            return
        data = self._document.data_snapshot()
        if data.same_as(self._handed):
            return  # e.g. a recolour: nothing the engine sees changed
        self._handed = data
        self._worker.hand_data(data, self._data_version)


def _watched_loss(report) -> float | None:
    """The loss early stopping watches (validation, else training) of an epoch's report: it marks
    the best recorded weights."""
    if report is None:
        return None
    return report.val_loss if report.val_loss is not None else report.train_loss
