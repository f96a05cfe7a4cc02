"""Work that grows with the number of points stays off the GUI thread (issue 9): trainer construction,
the first probes, and the data handed over during a drag while training."""

import threading

import numpy as np
from PySide6.QtCore import QPoint, Qt

from engine.training import Trainer
from lab_app.training.config import effective_config
from lab_app.training.worker import TrainingWorker

from window_helpers import emissions, settle, train

TIMEOUT = 20_000


def _record_grid_evaluations(monkeypatch, boundary) -> list:
    """The threads in which the boundary view's kind of grid evaluator runs from now on."""
    evaluated = []
    original = type(boundary._evaluator).evaluate

    def recording_evaluate(self, *args, **kwargs):
        evaluated.append(threading.current_thread())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(boundary._evaluator), "evaluate", recording_evaluate)
    return evaluated


def test_train_reset_and_restore_build_the_trainer_in_the_worker_thread(qtbot, make_window, tmp_path, monkeypatch):
    built_in = []
    original = Trainer.__init__

    def recording_init(self, *args, **kwargs):
        built_in.append(threading.current_thread())
        original(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "__init__", recording_init)
    w = make_window(epochs=3)
    c = w.controller
    probed_in = []
    c.add_probe("thread", lambda trainer: probed_in.append(threading.current_thread()))
    # Reset: a fresh run at epoch 0, its weights those of a trainer built on the same data and seed.
    with qtbot.waitSignal(c.progress, timeout=TIMEOUT) as first:
        w.act_reset.trigger()
    reference = Trainer(w.document.dataset(), effective_config(c.config, w.document.n_dims))
    assert built_in.pop() is threading.current_thread()  # the reference, built here on purpose
    assert first.args[0].epoch == 0 and first.args[0].run_id == c.run_info.run_id
    np.testing.assert_array_equal(first.args[0].params, reference.network.params)
    final = train(qtbot, w)  # Train: the run trains to its end
    assert final.epoch == 3 and [r.epoch for r in c.history] == [1, 2, 3]
    # Restore: the saved session opens on the very same weights and curve.
    path = tmp_path / "run.json"
    assert w.files.save_to(path)
    with qtbot.waitSignal(c.progress, timeout=TIMEOUT) as restored:
        assert w.files.open_session(path, ask=False)
    assert c.run_info.run_id == restored.args[0].run_id and restored.args[0].epoch == 3
    np.testing.assert_array_equal(restored.args[0].params, final.params)
    assert [r.epoch for r in c.history] == [1, 2, 3]
    main = threading.main_thread()
    assert len(built_in) >= 3 and all(t is not main for t in built_in), built_in  # start-up, Reset, Open
    assert probed_in and all(t is not main for t in probed_in)


def test_construction_errors_still_reach_the_user(qtbot, make_window):
    w = make_window()
    doc = w.document
    doc.clear()
    doc.add_points([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]], label=0)  # one class only
    for action in (w.act_reset, w.act_train):  # each builds a new run on these points
        w.last_message = None
        with qtbot.waitSignal(w.controller.error, timeout=TIMEOUT):
            action.trigger()
        title, text = w.last_message
        assert title == "Training stopped"
        assert text.startswith("Cannot start training: the data have only one class"), text
        assert w.controller.state == "idle" and not w.controller.starting
        assert w.act_train.text() == "&Train"


def test_a_drag_while_training_hands_views_of_the_points_never_copies(qtbot, make_window, monkeypatch):
    handed = []
    original = TrainingWorker.hand_data

    def recording_hand_data(self, data, version):
        doc_xy = w.document.state().xy
        handed.append((np.shares_memory(data.xy, doc_xy), data.xy.flags.writeable, threading.current_thread()))
        original(self, data, version)

    monkeypatch.setattr(TrainingWorker, "hand_data", recording_hand_data)
    w = make_window(epochs=0, tol=0.0)  # until stopped
    c, doc, designer = w.controller, w.document, w.designer
    resnapshots = []
    c.dataResnapshotted.connect(resnapshots.append)
    c.train()
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.epoch >= 2, timeout=TIMEOUT)
    x, y = doc.xy[0]
    viewport = designer.plot_widget.viewport()
    start = designer.data_to_widget_pos(x, y)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 16):
        qtbot.mouseMove(viewport, start + QPoint(2 * step, step))
        qtbot.wait(10)  # mouse moves come apart in time, as a hand drags
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(30, 15))
    qtbot.waitUntil(lambda: len(resnapshots) > 0, timeout=TIMEOUT)  # the run trains on the moved point
    assert not np.allclose(doc.xy[0], (x, y))  # the point moved
    assert handed, "the drag handed nothing to the run"
    main = threading.main_thread()
    assert all(same and not writeable and t is main for same, writeable, t in handed), handed
    c.pause()
    settle(qtbot, w)


def test_a_new_runs_heatmap_comes_from_the_training_threads_probe(qtbot, make_window, monkeypatch):
    """Reset with an MLP: the boundary view draws the new run's heatmap from the grid
    probabilities of its first snapshot; the GUI thread evaluates the model on no grid."""
    w = make_window(epochs=3, model="mlp", hidden=(64, 64))
    settle(qtbot, w)  # the first layout and its grid
    boundary = w.boundary_view
    rendered = []
    boundary.imageRendered.connect(lambda: rendered.append(w.controller.run_info.run_id))
    evaluated = _record_grid_evaluations(monkeypatch, boundary)
    with qtbot.waitSignal(w.controller.progress, timeout=TIMEOUT):
        w.act_reset.trigger()
    qtbot.waitUntil(lambda: w.controller.run_info.run_id in rendered, timeout=TIMEOUT)
    assert threading.main_thread() not in evaluated, evaluated


def test_zooming_a_costly_models_boundary_evaluates_the_new_grid_off_the_gui_thread(qtbot, make_window, monkeypatch):
    """An MLP (64, 64) over a new extent (zoom, pan, a resize) is evaluated in a background thread;
    the heatmap then covers the new extent with the weights on show."""
    w = make_window(epochs=2, model="mlp", hidden=(64, 64))
    train(qtbot, w)
    settle(qtbot, w)
    boundary = w.boundary_view
    evaluated = _record_grid_evaluations(monkeypatch, boundary)
    rendered = emissions(boundary.imageRendered)
    w.document.set_ranges((-1.5, 1.5), (-1.0, 1.0))
    qtbot.waitUntil(lambda: len(rendered) > 0 and not boundary._grid_runner.busy, timeout=TIMEOUT)
    assert evaluated and threading.main_thread() not in evaluated, evaluated
    x0, y0, width, height = boundary._grid.rect
    assert x0 < -1.4 and x0 + width > 1.4  # the image spans the new extent
    expected = boundary._evaluator.evaluate(boundary._last_params)  # here, after the fact
    rgba = boundary._grid.painter.paint(expected, boundary._lut, boundary._class_ink, threshold=0.5)
    np.testing.assert_array_equal(boundary.image_item.image, rgba)


def test_scrubbing_a_costly_models_epochs_evaluates_their_grids_off_the_gui_thread(qtbot, make_window, monkeypatch):
    """A recorded epoch of an MLP (64, 64) brings no grid probabilities: the history slider's frame
    is evaluated in a background thread and drawn with that epoch's weights."""
    w = make_window(epochs=3, model="mlp", hidden=(64, 64))
    train(qtbot, w)
    settle(qtbot, w)
    boundary = w.boundary_view
    evaluated = _record_grid_evaluations(monkeypatch, boundary)
    entry = w.controller.recorded.entries[0]  # the run's first weights (the image shows its last)
    rendered = emissions(boundary.imageRendered)
    w.history_scrubber.slider.setValue(0)
    qtbot.waitUntil(lambda: len(rendered) > 0 and not boundary._grid_runner.busy, timeout=TIMEOUT)
    assert evaluated and threading.main_thread() not in evaluated, evaluated
    np.testing.assert_array_equal(boundary._last_params, entry.params)
    expected = boundary._evaluator.evaluate(entry.params)  # here, after the fact
    rgba = boundary._grid.painter.paint(expected, boundary._lut, boundary._class_ink, threshold=0.5)
    np.testing.assert_array_equal(boundary.image_item.image, rgba)
