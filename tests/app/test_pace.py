"""Pace and stop-when-done through the real window: the pace control in the Trainer panel and the
tool bar, slow motion's minibatch steps, Step one minibatch, pausing at once at a slow pace, the
pace kept across windows, and the numbers unchanged by any of it (same seed, same weights)."""

import math
import time

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMenu, QToolButton

from engine.training import Trainer
from lab_app.training.pace import DEFAULT_PACE, FLAT_OUT, FRAME_RATE, LADDER, check_pace, pace_unit
from lab_app.window.main_window import MainWindow

from window_helpers import Scripted, emissions, quiet, train


@pytest.fixture
def open_window(qtbot):
    """open_window(path) -> a shown window on the settings file ``path`` as a user has it (no
    pace preset for tests); every window is quietened at teardown."""
    made = []

    def open_(path):
        w = MainWindow(settings=QSettings(str(path), QSettings.Format.IniFormat))
        w.files.dialogs = Scripted()
        qtbot.addWidget(w, before_close_func=quiet)
        w.show()
        qtbot.waitExposed(w)
        qtbot.waitUntil(lambda: w.layout_settled, timeout=5000)
        made.append(w)
        return w

    yield open_
    for w in made:
        quiet(w)


def choose_pace(w, pace):
    """Move the Trainer panel's pace slider to ``pace``, as a user drags it."""
    w.trainer_panel.pace_control.slider.setValue(LADDER.stops.index(pace))
    assert w.controller.pace == pace


def wait_paused(qtbot, w, trigger):
    with qtbot.waitSignal(w.controller.stateChanged, timeout=10000, check_params_cb=lambda s: s == "paused"):
        trigger()


def click(qtbot, w, name):
    """Click one of the Trainer panel's buttons."""
    qtbot.mouseClick(w.trainer_panel.findChild(QToolButton, name), Qt.MouseButton.LeftButton)


def test_same_seed_same_weights_at_every_epoch_whatever_the_pace(qtbot, make_window):
    slow, fast = make_window(epochs=6, tol=0.0), make_window(epochs=6, tol=0.0)
    choose_pace(slow, 5.0)  # one minibatch per frame (3 per epoch here)
    assert fast.controller.pace == FLAT_OUT
    snaps = emissions(slow.controller.progress)
    slow.act_train.trigger()
    qtbot.waitUntil(lambda: any(s.minibatch for (s,) in snaps), timeout=10000)
    choose_pace(slow, 60.0)  # mid-run: 2 epochs per frame
    qtbot.waitUntil(lambda: slow.controller.latest.epoch >= 3, timeout=10000)
    choose_pace(slow, FLAT_OUT)
    qtbot.waitUntil(lambda: slow.controller.state == "idle", timeout=10000)
    final_fast = train(qtbot, fast)

    a, b = slow.controller, fast.controller
    assert a.latest.epoch == b.latest.epoch == 6 == final_fast.epoch
    assert a.latest.params.tobytes() == b.latest.params.tobytes()
    assert [r.objective for r in a.history] == [r.objective for r in b.history]
    # every epoch the slow window recorded holds the engine's weights after that epoch, bit for bit
    info = a.run_info
    reference = Trainer(info.dataset, info.config)
    after = {0: reference.network.params.copy()}
    while reference.epoch < 6:
        reference.run_epoch()
        after[reference.epoch] = reference.network.params.copy()
    assert len(a.recorded) >= 4
    for entry in a.recorded:
        assert entry.params.tobytes() == after[entry.epoch].tobytes(), entry.epoch


def test_minibatch_steps_add_up_to_epoch_steps(qtbot, make_window):
    by_epoch, by_batch = make_window(tol=0.0), make_window(tol=0.0)
    k = 2
    for _ in range(k):
        wait_paused(qtbot, by_epoch, lambda: click(qtbot, by_epoch, "button_actionStep"))
    assert by_epoch.controller.latest.epoch == k and by_epoch.controller.latest.minibatch is None

    wait_paused(qtbot, by_batch, lambda: click(qtbot, by_batch, "button_actionStepMinibatch"))
    first = by_batch.controller.latest
    batches = first.minibatch[1]
    assert first.minibatch == (1, batches) and first.epoch == 0 and batches > 1
    assert by_batch.status_labels["epoch"].text() == f"epoch 0 + minibatch 1/{batches}"
    for _ in range(k * batches - 1):  # the Train menu's entry this time
        wait_paused(qtbot, by_batch, by_batch.act_step_batch.trigger)
    done = by_batch.controller.latest
    assert (done.epoch, done.minibatch) == (k, None)
    assert done.params.tobytes() == by_epoch.controller.latest.params.tobytes()
    assert [r.objective for r in by_batch.controller.history] == [r.objective for r in by_epoch.controller.history]
    assert by_batch.act_step_batch in by_batch.findChild(QMenu, "menuTrain").actions()
    assert not by_batch.act_step_batch.shortcut().isEmpty()


def test_slow_motion_shows_every_minibatch(qtbot, make_window):
    w = make_window(epochs=2, tol=0.0)
    choose_pace(w, LADDER.stops[0])
    assert w.trainer_panel.pace_control.label.text() == "slow motion · 1 epoch/s"
    snaps, frames = emissions(w.controller.progress), emissions(w.view_state.frameChanged)
    t0 = time.perf_counter()
    final = train(qtbot, w)
    elapsed = time.perf_counter() - t0
    batches = w.controller.run_info.config.batch_size
    per_epoch = math.ceil(len(w.controller.run_info.train_idx) / batches)
    seen = [(s.epoch, s.minibatch) for (s,) in snaps]
    assert per_epoch > 1
    expected = []
    for epoch in (0, 1):  # each minibatch of the epoch, then the epoch's end
        expected += [(epoch, (i, per_epoch)) for i in range(1, per_epoch)] + [(epoch + 1, None)]
    assert seen == expected
    assert final.epoch == 2 and len(frames) >= len(seen)  # every minibatch was on show
    # paced: 2 epochs at 1 epoch/s; the first minibatch starts at once
    assert elapsed >= 2.0 * (2 * per_epoch - 1) / (2 * per_epoch) - 0.05


def test_pause_acts_within_a_frame_at_a_slow_pace(qtbot, make_window):
    """At 1 epoch/s with one minibatch an epoch the worker waits a second between units; Pause
    wakes it. The worker's paused snapshot goes out within one frame of the press (timed where it
    is emitted, in the worker thread); the window then draws it, which on a loaded machine takes
    tens of milliseconds more, still far from the second a sleeping worker would take."""
    w = make_window(epochs=0, tol=0.0, batch_size=0)  # until stopped; one minibatch a second
    choose_pace(w, LADDER.stops[0])
    sent = []
    direct = Qt.ConnectionType.DirectConnection
    w.controller._worker.snapshotReady.connect(lambda s: sent.append((time.perf_counter(), s)), direct)
    with qtbot.waitSignal(w.controller.progress, timeout=10000):
        w.act_train.trigger()
    running = w.controller.latest
    t0 = time.perf_counter()
    wait_paused(qtbot, w, w.act_train.trigger)  # Space / the Pause button
    shown = time.perf_counter() - t0
    emitted, paused = next((t, s) for t, s in sent if s.state == "paused")
    assert emitted - t0 < 1.0 / FRAME_RATE, f"the worker paused after {(emitted - t0) * 1000:.0f} ms"
    assert shown < 0.25, f"shown as paused after {shown * 1000:.0f} ms"
    assert paused.epoch == running.epoch == 1 and paused.params.tobytes() == running.params.tobytes()
    # Step acts at once too, whatever the pace
    t0 = time.perf_counter()
    wait_paused(qtbot, w, w.act_step.trigger)
    assert w.controller.latest.epoch == 2 and time.perf_counter() - t0 < 0.5


def test_the_pace_is_a_view_preference_kept_across_windows(qtbot, open_window, tmp_path):
    path = tmp_path / "user.ini"
    first = open_window(path)
    c = first.controller
    assert c.pace == DEFAULT_PACE
    for control in (first.trainer_panel.pace_control, first.toolbar_pace):
        assert control.label.text() == "20 epochs/s"
    config = c.config
    first.toolbar_pace.slider.setValue(LADDER.stops.index(60.0))
    assert c.pace == 60.0 and first.trainer_panel.pace_control.label.text() == "2 epochs per frame"
    first.act_faster.trigger()
    assert c.pace == 150.0 and first.trainer_panel.pace_control.slider.value() == LADDER.stops.index(150.0)
    first.act_slower.trigger()
    assert c.pace == 60.0 and c.config == config  # not part of the training configuration
    first.close()

    second = open_window(path)
    assert second.controller.pace == 60.0
    assert second.toolbar_pace.label.text() == second.trainer_panel.pace_control.label.text() == "2 epochs per frame"


@pytest.mark.slow  # a few seconds by design
def test_the_opening_demo_converges_in_a_few_seconds_as_the_boundary_sweeps(qtbot, open_window, tmp_path):
    w = open_window(tmp_path / "new-user.ini")
    assert w.trainer_panel.epoch_mode() == "converged"
    frames = emissions(w.view_state.frameChanged)
    t0 = time.perf_counter()
    with qtbot.waitSignal(w.controller.finished, timeout=60000) as done:
        w.act_train.trigger()
    elapsed = time.perf_counter() - t0
    final = done.args[0]
    assert final.stopped_because == "converged"
    assert elapsed >= 0.8 * final.epoch / DEFAULT_PACE >= 2.0, f"{final.epoch} epochs in {elapsed:.1f} s"
    assert len(frames) >= 2 * FRAME_RATE  # drawn at the frame rate all along
    # the boundary moved from its random start: the first frames differ from the last
    first_params = frames[0][0].params
    assert np.abs(first_params - final.params).max() > 0.1


@pytest.mark.parametrize("batches", [1, 3, 7, 40, 1000])
def test_every_pace_is_kept_in_units_no_faster_than_the_frame_rate(batches):
    for pace in (*LADDER.stops[:-1], 0.5, 7.0, 40.0, 45.0):
        kind, size, seconds = pace_unit(pace, batches)
        epochs = size / batches if kind == "batches" else size
        assert epochs / seconds == pytest.approx(pace)  # the units add up to the pace
        assert seconds >= 1.0 / FRAME_RATE - 1e-12  # never more than FRAME_RATE snapshots a second
        if kind == "batches":
            assert pace < FRAME_RATE and size <= batches
    with pytest.raises(ValueError, match="positive"):
        check_pace(0.0)
    with pytest.raises(ValueError, match="positive"):
        check_pace(float("nan"))
