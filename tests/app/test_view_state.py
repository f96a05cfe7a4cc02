"""The view state follows the controller's runs and snapshots, and holds a recorded epoch while
training goes on; clearing the controller leaves nothing on show."""

import numpy as np
import pytest

from engine.generators import moons
from engine.training import TrainConfig
from lab_app.document import lab_document
from lab_app.training.controller import TrainingController
from lab_app.view_state import ViewState

TIMEOUT = 10_000


@pytest.fixture
def parts(qapp):
    doc = lab_document.LabDocument()
    doc.load_dataset(moons(n=60, seed=1))
    controller = TrainingController(doc, config=TrainConfig(model="logistic", features=("x1", "x2"), epochs=0))
    state = ViewState(controller)
    yield doc, controller, state
    controller.shutdown()


def reset(qtbot, controller):
    """Reset, and wait for the worker to build the run (its epoch-0 frame follows at once)."""
    controller.reset()
    qtbot.waitUntil(lambda: not controller.starting, timeout=TIMEOUT)


def test_live_frames_follow_every_snapshot_of_the_current_run(qtbot, parts):
    _doc, controller, state = parts
    frames, runs = [], []
    state.frameChanged.connect(frames.append)
    state.runChanged.connect(runs.append)
    reset(qtbot, controller)
    assert runs == [controller.run_info] and frames[-1].epoch == 0 and frames[-1].live
    controller.step()
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=TIMEOUT)
    assert frames[-1].epoch == 1 and frames[-1].snapshot is controller.latest
    np.testing.assert_array_equal(frames[-1].params, controller.latest.params)


def test_a_recorded_epoch_stays_on_show_until_live_again(qtbot, parts):
    _doc, controller, state = parts
    reset(qtbot, controller)
    initial = controller.latest.params.copy()
    state.show_recorded(0, initial)
    assert not state.live and state.frame.epoch == 0
    controller.step()
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=TIMEOUT)
    assert state.frame.epoch == 0  # training went on, the shown epoch did not move
    state.go_live()
    assert state.live and state.frame.epoch == 1


def test_a_new_run_and_clear_go_back_to_live(qtbot, parts):
    _doc, controller, state = parts
    reset(qtbot, controller)
    state.show_recorded(0, controller.latest.params)
    state.set_skins([controller.latest.params])
    reset(qtbot, controller)
    assert state.live and state.frame.epoch == 0 and state.skins == []
    runs = []
    state.runChanged.connect(runs.append)
    controller.clear()
    assert runs == [None] and state.frame is None and controller.run_info is None


def test_threshold_is_a_probability(parts):
    *_, state = parts
    seen = []
    state.thresholdChanged.connect(seen.append)
    state.set_threshold(0.3)
    state.set_threshold(0.3)
    assert seen == [0.3] and state.threshold == 0.3
    with pytest.raises(ValueError, match="between 0 and 1"):
        state.set_threshold(1.0)
