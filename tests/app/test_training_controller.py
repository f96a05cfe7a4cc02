"""TrainingController + worker: real threads, real signals; every controller is shut down at teardown.

Waiting is always for the event loop (``qtbot.wait``/``waitUntil``/``waitSignal``), never a sleep
to let the worker catch up: the assertions are about what the GUI thread receives.
"""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from engine.training import TrainConfig, Trainer
from lab_app.document import LabDocument
from lab_app.training.controller import RunInfo, Snapshot, TrainingController

TIMEOUT = 10_000
REPO = Path(__file__).resolve().parents[2]


def blobs(n_per_class=50, centers=((-1.0, -0.5), (1.0, 0.5)), spread=0.8, seed=0):
    """A document with overlapping Gaussian classes, ``n_per_class`` points each."""
    rng = np.random.default_rng(seed)
    doc = LabDocument()
    while doc.n_classes < len(centers):
        doc.add_class()
    for label, center in enumerate(centers):
        doc.add_points(rng.normal(center, spread, size=(n_per_class, 2)), label=label)
    return doc


def record(signal):
    calls = []
    signal.connect(lambda *args: calls.append(args[0] if len(args) == 1 else args))
    return calls


@pytest.fixture
def make(qapp):
    """make(doc, config) -> a controller that is always shut down, even when the test fails."""
    made = []

    def build(doc, config=None):
        controller = TrainingController(doc)
        if config is not None:
            assert controller.set_config(config)
        made.append(controller)
        return controller

    yield build
    for controller in made:
        controller.shutdown()


def wait_epoch(qtbot, c, epoch):
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.epoch >= epoch, timeout=TIMEOUT)


def pause_and_settle(qtbot, c):
    """Pause and wait for the worker's paused snapshot (it carries the reports since the last one)."""
    with qtbot.waitSignal(c.progress, timeout=TIMEOUT, check_params_cb=lambda s: s.state == "paused"):
        c.pause()
    assert c.state == "paused"


def test_train_emits_progress_then_finished(qtbot, make):
    c = make(blobs(), TrainConfig(epochs=20, batch_size=8))
    started, snaps, states = record(c.runStarted), record(c.progress), record(c.stateChanged)
    with qtbot.waitSignals([c.progress, c.finished], timeout=TIMEOUT):
        c.train()
        assert c.state == "running"
    qtbot.waitUntil(lambda: c.state == "idle", timeout=TIMEOUT)
    final = c.latest
    assert isinstance(final, Snapshot) and snaps[-1] is final
    assert (final.epoch, final.state, final.stopped_because) == (20, "finished", "epochs")
    assert [r.epoch for r in c.history] == list(range(1, 21))
    assert final.latest == c.history[-1] and np.isfinite(final.params).all()
    assert not final.params.flags.writeable  # shared by every view: read-only
    assert len(started) == 1 and isinstance(started[0], RunInfo) and started[0].run_id == final.run_id
    assert started[0].model_name == "logistic" and len(started[0].train_idx) == 100
    assert states == ["running", "idle"]
    # The run is over: train() starts a new one.
    with qtbot.waitSignal(c.runStarted, timeout=TIMEOUT) as again:
        c.train()
    assert again.args[0].run_id == final.run_id + 1


def test_early_stopping_finishes_with_the_best_weights(qtbot, make):
    doc = blobs()
    config = TrainConfig(epochs=500, early_stopping=3, test_fraction=0.3, lr=0.05)
    reference = Trainer(doc.dataset(), config)
    result = reference.fit()
    c = make(doc, config)
    with qtbot.waitSignal(c.finished, timeout=TIMEOUT) as done:
        c.train()
    snap = done.args[0]
    assert snap.stopped_because == "early_stopping" == result.stopped_because
    assert snap.epoch == result.epochs_run < 500 and snap.best_epoch == result.best_epoch
    np.testing.assert_array_equal(snap.params, reference.network.params)


def test_progress_is_throttled_and_no_report_is_dropped(qtbot, make):
    c = make(blobs(20), TrainConfig(epochs=0, batch_size=0))  # thousands of epochs per second
    snaps = record(c.progress)
    t0 = time.perf_counter()
    c.train()
    qtbot.wait(1000)
    pause_and_settle(qtbot, c)
    elapsed = time.perf_counter() - t0
    epochs = c.latest.epoch
    assert len(snaps) <= 35 * elapsed + 2, f"{len(snaps)} snapshots in {elapsed:.2f} s"
    assert epochs > 10 * len(snaps), f"{epochs} epochs in {len(snaps)} snapshots: not coalesced"
    assert [r.epoch for s in snaps for r in s.reports] == list(range(1, epochs + 1))
    assert c.history.n_rows == epochs and c.history.last_epoch == epochs
    assert epochs > 100  # epochs=0 means until stopped
    running = [s for s in snaps if s.state == "running"]
    assert running and running[-1].samples_per_second > 1000


def test_a_slow_view_gets_the_newest_snapshot_not_a_backlog(qtbot, make):
    c = make(blobs(20), TrainConfig(epochs=0, batch_size=0))
    seen = []

    def slow_view(snap):
        seen.append(snap)
        time.sleep(0.05)  # stands for an expensive render in the GUI thread, not for a race

    c.progress.connect(slow_view)
    c.train()
    qtbot.wait(600)
    before = len(seen)
    pause_and_settle(qtbot, c)
    # Back-pressure: at most one running snapshot was queued, then the paused one.
    assert len(seen) - before <= 3  # (without it: ~15)
    assert [r.epoch for s in seen for r in s.reports] == list(range(1, c.latest.epoch + 1))
    assert c.history.n_rows == c.latest.epoch


def test_a_drag_becomes_one_hand_over(qtbot, make):
    doc = blobs(50)
    c = make(doc, TrainConfig(epochs=0))
    resnaps = record(c.dataResnapshotted)
    c.train()
    wait_epoch(qtbot, c, 2)
    with doc.gesture("Move points"):
        for k in range(40):  # mouse moves within one event-loop pass
            doc.move_points([0], [[0.01 * k, 0.0]])
    qtbot.waitUntil(lambda: len(resnaps) == 1, timeout=TIMEOUT)
    qtbot.wait(100)
    assert len(resnaps) == 1
    assert c.run_info.dataset.X[0, 0] == pytest.approx(0.39)


def test_pause_holds_the_epoch_and_resume_continues(qtbot, make):
    c = make(blobs(), TrainConfig(epochs=0))
    snaps = record(c.progress)
    c.train()
    wait_epoch(qtbot, c, 3)
    pause_and_settle(qtbot, c)
    epoch, count = c.latest.epoch, len(snaps)
    qtbot.wait(150)
    assert c.latest.epoch == epoch and len(snaps) == count and c.state == "paused"
    c.train()
    wait_epoch(qtbot, c, epoch + 2)
    assert c.state == "running"


def test_paused_state_means_the_latest_snapshot_is_final(qtbot, make):
    c = make(blobs(), TrainConfig(epochs=0))
    states = record(c.stateChanged)
    c.train()
    c.pause()  # most likely before the worker even started: it must still answer
    assert c.state == "running"
    qtbot.waitUntil(lambda: c.state == "paused", timeout=TIMEOUT)
    assert states == ["running", "paused"] and c.latest.state == "paused"
    epoch = c.latest.epoch
    qtbot.wait(100)
    assert c.latest.epoch == epoch
    c.train()
    wait_epoch(qtbot, c, epoch + 1)


def test_step_runs_exactly_one_epoch_then_pauses(qtbot, make):
    c = make(blobs(), TrainConfig(epochs=0))
    states = record(c.stateChanged)
    with qtbot.waitSignal(c.progress, timeout=TIMEOUT, check_params_cb=lambda s: s.state == "paused"):
        c.step()  # no run yet: starts one
    assert c.latest.epoch == 1 and [r.epoch for r in c.latest.reports] == [1]
    assert states == ["running", "paused"] and c.state == "paused"
    c.train()
    wait_epoch(qtbot, c, 4)
    pause_and_settle(qtbot, c)
    epoch = c.latest.epoch
    with qtbot.waitSignal(c.progress, timeout=TIMEOUT, check_params_cb=lambda s: s.state == "paused"):
        c.step()
    assert c.latest.epoch == epoch + 1 and c.history[-1].epoch == epoch + 1
    qtbot.wait(100)
    assert c.latest.epoch == epoch + 1 and c.state == "paused"


def test_reset_shows_fresh_weights_at_epoch_zero_without_training(qtbot, make):
    c = make(blobs(), TrainConfig(epochs=0, seed=3))
    c.train()
    wait_epoch(qtbot, c, 5)
    old = c.run_info.run_id
    with qtbot.waitSignal(c.runStarted, timeout=TIMEOUT) as started:
        c.reset()
    info = started.args[0]
    assert info.run_id == old + 1 and c.state == "idle"
    assert c.latest.epoch == 0 and c.latest.run_id == info.run_id and not c.history
    np.testing.assert_array_equal(c.latest.params, info.model.network.params)
    np.testing.assert_array_equal(c.latest.params, Trainer(info.dataset, c.config).network.params)
    qtbot.wait(150)  # stale snapshots of the old run are dropped, the new one does not train
    assert c.latest.epoch == 0 and c.latest.run_id == info.run_id
    c.train()  # trains the model on show
    wait_epoch(qtbot, c, 2)
    assert c.run_info.run_id == info.run_id


def test_learning_rate_change_applies_live(qtbot, make):
    c = make(blobs(), TrainConfig(epochs=0, lr=0.01))
    c.train()
    wait_epoch(qtbot, c, 3)
    run_id = c.run_info.run_id
    assert c.set_config(c.config.with_(lr=0.05)) is True
    qtbot.waitUntil(lambda: c.latest.latest.lr == 0.05, timeout=TIMEOUT)
    lrs = [r.lr for r in c.history]
    first = lrs.index(0.05)
    assert set(lrs[:first]) == {0.01} and set(lrs[first:]) == {0.05}
    assert c.run_info.run_id == run_id and c.state == "running"
    pause_and_settle(qtbot, c)
    assert c.set_config(c.config.with_(lr=0.2)) is True
    with qtbot.waitSignal(c.progress, timeout=TIMEOUT, check_params_cb=lambda s: s.state == "paused"):
        c.step()
    assert c.latest.reports[-1].lr == 0.2


def test_a_change_beyond_lr_needs_a_new_run(qtbot, make):
    c = make(blobs(), TrainConfig(epochs=0))
    restarts = record(c.configNeedsRestart)
    c.train()
    wait_epoch(qtbot, c, 2)
    old = c.run_info.run_id
    assert c.set_config(c.config.with_(model="mlp", hidden=(8,))) is False
    assert len(restarts) == 1 and c.run_info.run_id == old and c.state == "running"
    with qtbot.waitSignal(c.runStarted, timeout=TIMEOUT) as started:
        c.train()
    assert started.args[0].run_id == old + 1 and started.args[0].model_name == "mlp"
    wait_epoch(qtbot, c, 1)
    assert c.latest.run_id == old + 1 and c.latest.params.size == c.run_info.model.network.params.size


def test_divergence_keeps_the_last_finite_model_and_explains(qtbot, make):
    doc = blobs(30, centers=((1000.0, 1000.0), (1003.0, 1001.0)), spread=2.0)
    c = make(doc, TrainConfig(optimizer="sgd", lr=1e6, standardize=False, epochs=50))
    with qtbot.waitSignal(c.diverged, timeout=TIMEOUT) as diverged:
        c.train()
    snap, message = diverged.args
    assert snap.stopped_because == "diverged" and snap.state == "finished"
    assert np.isfinite(snap.params).all()
    assert "learning rate" in message and "1e+06" in message and "standardiz" in message
    assert "epoch" in message and "kept" in message
    qtbot.waitUntil(lambda: c.state == "idle", timeout=TIMEOUT)


def test_an_exception_in_the_worker_is_reported_and_the_controller_recovers(qtbot, make, monkeypatch):
    c = make(blobs(), TrainConfig(epochs=5))

    def boom(self, deadline=None):
        raise RuntimeError("boom in the engine")

    monkeypatch.setattr(Trainer, "run_epoch", boom)
    with qtbot.waitSignal(c.error, timeout=TIMEOUT) as failed:
        c.train()
    assert "boom in the engine" in failed.args[0]
    qtbot.waitUntil(lambda: c.state == "idle", timeout=TIMEOUT)
    monkeypatch.undo()
    with qtbot.waitSignal(c.finished, timeout=TIMEOUT) as done:
        c.train()
    assert done.args[0].epoch == 5


def test_untrainable_data_is_an_error_not_a_crash(qtbot, make):
    doc = LabDocument()
    doc.add_points([[0.0, 0.0], [1.0, 1.0]], label=0)
    c = make(doc)
    errors = record(c.error)
    with qtbot.waitSignal(c.error, timeout=TIMEOUT):
        c.train()  # the trainer is built in the worker: the error comes back from there
    assert len(errors) == 1 and "Cannot start training" in errors[0] and "class" in errors[0]
    assert c.state == "idle" and c.run_info is None and not c.starting


def test_a_data_edit_while_training_resnapshots_at_an_epoch_boundary(qtbot, make):
    doc = blobs(50)
    c = make(doc, TrainConfig(epochs=0))
    c.train()
    wait_epoch(qtbot, c, 2)
    with qtbot.waitSignal(c.dataResnapshotted, timeout=TIMEOUT) as resnap:
        doc.add_points(np.random.default_rng(1).normal(0, 1, size=(20, 2)), label=0)
    epoch = resnap.args[0]
    wait_epoch(qtbot, c, epoch + 2)
    assert {r.samples for r in c.history if r.epoch <= epoch} == {100}
    assert {r.samples for r in c.history if r.epoch > epoch} == {120}
    assert c.run_info.dataset.n_samples == 120 and len(c.run_info.train_idx) == 120
    assert c.latest.data_version >= 1 and c.state == "running"


def test_an_edit_that_removes_a_class_stops_with_an_error_and_keeps_the_points(qtbot, make):
    doc = blobs(30, centers=((-2.0, 0.0), (2.0, 0.0), (0.0, 2.0)))
    c = make(doc, TrainConfig(epochs=0))
    c.train()
    wait_epoch(qtbot, c, 2)
    with qtbot.waitSignal(c.error, timeout=TIMEOUT) as failed:
        doc.remove_points(np.flatnonzero(doc.labels == 2))
    assert "edited data" in failed.args[0] and "Train" in failed.args[0]
    qtbot.waitUntil(lambda: c.state == "idle", timeout=TIMEOUT)
    assert doc.n_points == 60 and np.isfinite(c.latest.params).all()
    doc.undo_stack.undo()
    assert doc.n_points == 90
    with qtbot.waitSignal(c.runStarted, timeout=TIMEOUT):
        c.train()
    wait_epoch(qtbot, c, 1)


def test_stop_ends_the_run(qtbot, make):
    c = make(blobs(), TrainConfig(epochs=0))
    c.train()
    wait_epoch(qtbot, c, 2)
    with qtbot.waitSignal(c.finished, timeout=TIMEOUT) as done:
        c.stop()
    assert done.args[0].stopped_because == "stopped" and c.state == "idle"
    with qtbot.waitSignal(c.runStarted, timeout=TIMEOUT):
        c.train()


def test_same_seed_gives_the_same_params_as_fit_even_with_pauses(qtbot, make):
    doc = blobs(1000)
    # batch_size=1: epochs of ~1600 minibatches, so most pauses land mid-epoch.
    config = TrainConfig(model="mlp", hidden=(8,), epochs=10, batch_size=1, seed=7, test_fraction=0.2)
    reference = Trainer(doc.dataset(), config)
    reference.fit()
    c = make(doc, config)
    mid_epoch = []
    finished = record(c.finished)
    c.train()
    for _ in range(6):
        qtbot.wait(15)
        c.pause()
        # The run may finish before the pause lands: then it is idle, not paused.
        qtbot.waitUntil(lambda: c.state != "running", timeout=TIMEOUT)
        if c.state == "idle":
            break
        mid_epoch.append(c._worker.trainer.mid_epoch)  # the worker is idle: safe to look
        c.train()
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=60_000)
    snap = finished[0]
    assert snap.epoch == 10 and any(mid_epoch)
    np.testing.assert_array_equal(snap.params, reference.network.params)
    assert [r.train_loss for r in c.history] == [r.train_loss for r in reference.history]


def test_shutdown_is_idempotent_and_silences_the_controller(qtbot, make):
    c = make(blobs(), TrainConfig(epochs=0))
    c.train()
    wait_epoch(qtbot, c, 1)
    c.shutdown()
    c.shutdown()
    snaps = record(c.progress)
    qtbot.wait(100)
    c.train()
    assert snaps == [] and c.state == "idle"
    make(blobs()).shutdown()  # never started a thread


SCRIPT = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow
    from engine.training import TrainConfig
    from lab_app.document import LabDocument
    from lab_app.training.controller import TrainingController

    how = sys.argv[1]
    app = QApplication([])
    doc = LabDocument()
    rng = np.random.default_rng(0)
    doc.add_points(rng.normal(-1, 1, size=(2000, 2)), label=0)
    doc.add_points(rng.normal(1, 1, size=(2000, 2)), label=1)

    class Window(QMainWindow):
        def __init__(self):
            super().__init__()
            self.controller = TrainingController(doc, self)

        def closeEvent(self, event):
            if how == "close":
                self.controller.shutdown()
                self.controller.shutdown()
            super().closeEvent(event)

    window = Window()
    window.show()
    c = window.controller
    c.set_config(TrainConfig(model="mlp", hidden=(64, 64), epochs=0))
    c.train()
    QTimer.singleShot(600, window.close if how == "close" else app.quit)
    app.exec()
    print("stopped after", c.latest.epoch if c.latest else 0, "epochs, state", c.state, flush=True)
    del window, c
    sys.exit(0)
""")


@pytest.mark.slow  # end to end: a real process, or many windows
@pytest.mark.parametrize("how", ["close", "quit"])
def test_closing_mid_training_exits_cleanly(tmp_path, how):
    script = tmp_path / "close_mid_training.py"
    script.write_text(SCRIPT)
    # The script's folder, not the checkout, starts sys.path: point it at the code under test.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, str(script), how], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Destroyed while thread" not in result.stderr
    assert "stopped after" in result.stdout and "state idle" in result.stdout


def test_probes_run_on_the_live_trainer_and_land_in_snapshot_extras(qtbot, make):
    controller = make(blobs(), TrainConfig(epochs=3, batch_size=8))
    seen = []
    controller.add_probe("epoch_twice", lambda t: 2 * t.epoch)
    controller.add_probe("broken", lambda t: 1 / 0)
    controller.progress.connect(seen.append)
    with qtbot.waitSignal(controller.progress, timeout=TIMEOUT):
        controller.reset()  # the epoch-0 snapshot and its probes come from the worker
    assert seen[-1].extras == {"epoch_twice": 0, "broken": None}
    with qtbot.waitSignal(controller.finished, timeout=TIMEOUT):
        controller.train()
    assert seen[-1].epoch == 3 and seen[-1].extras["epoch_twice"] == 6
