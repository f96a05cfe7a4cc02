"""Train ▸ Sweep… through the real window: a sweep runs to the end, a cancel leaves nothing
behind, and a clicked cell becomes the window's run (configuration and weights)."""

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMenu

from engine.generators import moons
from engine.training import Trainer
from lab_app import tasks

from window_helpers import wait_run


def _open(w):
    w.findChild(QAction, "actionSweep").trigger()
    dialog = w.findChild(QDialog, "sweepDialog")
    assert dialog is not None and dialog.isVisible()
    return dialog


def _run(qtbot, dialog, timeout=30000):
    with qtbot.waitSignal(dialog.sweepFinished, timeout=timeout) as blocker:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_the_sweep_action_is_in_the_train_menu_with_a_shortcut(make_window):
    w = make_window()
    action = w.findChild(QAction, "actionSweep")
    assert action is not None and not action.shortcut().isEmpty()
    assert action in w.findChild(QMenu, "menuTrain").actions()


def test_a_sweep_runs_to_the_end_and_draws_every_cell(qtbot, make_window):
    w = make_window(epochs=8)
    dialog = _open(w)
    dialog.set_axes("lr", "0.003,0.3", "batch_size", "16,32,0")
    assert dialog.epochs.value() == 8  # the window's configuration is the base
    outcome = _run(qtbot, dialog)
    assert dialog.outcome is outcome and len(outcome.cells) == 6
    assert dialog.progress_bar.value() == 100 and dialog.run_button.isEnabled()
    assert sorted(dialog.cell_buttons) == [(i, j) for i in range(2) for j in range(3)]
    dataset = w.document.dataset()
    for cell in outcome.cells:
        assert cell.config == w.controller.config.with_(epochs=8, **cell.settings)
        button = dialog.findChild(type(dialog.cell_buttons[0, 0]), "sweepCell_{}_{}".format(*outcome.place(cell)))
        assert f"loss {cell.report['train_loss']:.3g}" in button.text()
        assert f"test {cell.report['test_accuracy']:.0%}" in button.text()
        assert not button.icon().isNull()
    # each cell is the plain seeded run of its configuration
    last = outcome.cells[-1]
    trainer = Trainer(dataset, last.config)
    trainer.fit()
    np.testing.assert_array_equal(last.params, trainer.network.params)
    # the heatmap shows the final losses, rows = learning rates, columns = batch sizes
    expected = np.array([[c.report["train_loss"] for c in outcome.cells[3 * i : 3 * i + 3]] for i in range(2)])
    np.testing.assert_allclose(dialog.heatmap_image.image.T, expected)
    # the pictures differ where the runs do: lr 0.003 and lr 0.3 draw different boundaries
    assert not np.array_equal(outcome.probabilities[0], outcome.probabilities[3])


def test_cancel_mid_way_shows_nothing_and_the_dialog_stays_usable(qtbot, make_window):
    w = make_window(epochs=20)
    dialog = _open(w)
    dialog.set_axes("lr", "1e-3:1e-1:4", "batch_size", "1,2,4")
    dialog.epochs.setValue(5000)  # minutes of work: the cancel must come mid-way
    finished = []
    dialog.sweepFinished.connect(finished.append)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.busy and not dialog.run_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() >= 1, timeout=30000)
    started = time.perf_counter()
    with qtbot.waitSignal(dialog.sweepCancelled, timeout=10000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert time.perf_counter() - started < 5  # stops within an epoch, not after the run
    qtbot.waitUntil(lambda: tasks.active_tasks() == 0, timeout=10000)
    qtbot.waitUntil(lambda: not dialog.busy)
    assert finished == [] and dialog.outcome is None and dialog.cell_buttons == {}
    assert "cancelled" in dialog.status.text().lower()
    assert dialog.run_button.isEnabled() and not dialog.cancel_button.isEnabled()
    # usable afterwards: a small sweep runs to the end
    dialog.set_axes("optimizer", "sgd,adam")
    dialog.epochs.setValue(3)
    outcome = _run(qtbot, dialog)
    assert [c.settings for c in outcome.cells] == [{"optimizer": "sgd"}, {"optimizer": "adam"}]
    assert finished == [outcome]


def test_clicking_a_cell_loads_its_configuration_and_weights(qtbot, make_window):
    w = make_window(epochs=20)
    dialog = _open(w)
    dialog.set_axes("lr", "0.01,0.1", "l2", "0,0.05")
    dialog.epochs.setValue(12)
    outcome = _run(qtbot, dialog)
    cell = dialog.cell_at(1, 0)
    assert cell.settings == {"lr": 0.1, "l2": 0.0}
    assert not np.array_equal(w.controller.latest.params, cell.params)
    qtbot.mouseClick(dialog.cell_buttons[1, 0], Qt.MouseButton.LeftButton)
    wait_run(qtbot, w)
    c = w.controller
    assert c.config == cell.config and c.run_info.config == cell.config
    np.testing.assert_array_equal(c.latest.params, cell.params)
    assert c.latest.epoch == 12 and len(c.history) == 12
    assert [r.train_loss for r in c.history] == [r.train_loss for r in cell.history]
    # the Trainer panel shows the loaded configuration
    assert w.trainer_panel.lr_spin.value() == pytest.approx(0.1) and w.trainer_panel.epochs_spin.value() == 12
    # another cell replaces it
    other = dialog.cell_at(0, 1)
    qtbot.mouseClick(dialog.cell_buttons[0, 1], Qt.MouseButton.LeftButton)
    wait_run(qtbot, w)
    assert c.config == other.config
    np.testing.assert_array_equal(c.latest.params, other.params)
    assert not np.array_equal(other.params, cell.params)
    assert len(outcome.cells) == 4
    # the heatmap's squares load their runs too
    qtbot.mouseClick(dialog.heatmap_widget.viewport(), Qt.MouseButton.LeftButton, pos=dialog.heatmap_position(1, 1))
    wait_run(qtbot, w)
    assert c.config == dialog.cell_at(1, 1).config
    np.testing.assert_array_equal(c.latest.params, dialog.cell_at(1, 1).params)


def test_bad_values_are_explained_and_nothing_starts(qtbot, make_window):
    w = make_window()
    dialog = _open(w)
    dialog.set_axes("lr", "fast")
    assert not dialog.run()
    assert not dialog.busy and "Learning rate" in dialog.status.text()
    dialog.set_axes("batch_size", "8,16", "batch_size", "0")
    assert not dialog.run() and "different" in dialog.status.text()
    dialog.set_axes("lr", "1e-4:1:11", "batch_size", "1,2,3,4,5,6,7,8,9,10")
    assert not dialog.run() and "110 runs" in dialog.status.text() and not dialog.busy


@pytest.mark.slow
def test_a_5_by_4_learning_rate_by_batch_sweep_on_300_points_takes_seconds(qtbot, make_window):
    w = make_window(epochs=100)
    w.document.load_dataset(moons(n=300, noise=0.2, seed=0))
    dialog = _open(w)
    dialog.set_axes("lr", "1e-3:1e-1:5", "batch_size", "8,32,128,0")
    started = time.perf_counter()
    outcome = _run(qtbot, dialog, timeout=60000)
    seconds = time.perf_counter() - started
    assert len(outcome.cells) == 20 and outcome.dataset.n_samples == 300
    print(f"5×4 sweep, 300 points, 100 epochs: {seconds:.2f} s")
    assert seconds < 15


def test_a_cell_of_points_since_edited_is_not_loaded(qtbot, make_window):
    w = make_window(epochs=20)
    dialog = _open(w)
    dialog.set_axes("lr", "0.01,0.1")
    dialog.epochs.setValue(3)
    _run(qtbot, dialog)
    before = w.controller.config
    w.document.add_points(np.array([[0.1, 0.2]]))
    qtbot.mouseClick(dialog.cell_buttons[0, 1], Qt.MouseButton.LeftButton)
    assert w.controller.config == before and "points changed" in dialog.status.text()
    w.document.undo_stack.undo()  # the sweep's points again: the cell loads
    qtbot.mouseClick(dialog.cell_buttons[0, 1], Qt.MouseButton.LeftButton)
    assert w.controller.config == dialog.cell_at(0, 1).config


@pytest.mark.parametrize("data", ["one_d", "three_classes"])
def test_sweeps_of_1d_and_three_class_data_draw_their_cells(qtbot, make_window, data):
    w = make_window(epochs=20)
    if data == "one_d":
        w.act_one_d.trigger()
    else:
        w.document.load_dataset(blobs3())
    dialog = _open(w)
    dialog.set_axes("batch_size", "8,0")
    dialog.epochs.setValue(4)
    outcome = _run(qtbot, dialog)
    assert len(dialog.cell_buttons) == 2 and all(not b.icon().isNull() for b in dialog.cell_buttons.values())
    k = 2 if data == "one_d" else 3
    assert outcome.probabilities[0].shape[-1] == k and outcome.probabilities[0].ndim == 3
    qtbot.mouseClick(dialog.cell_buttons[0, 1], Qt.MouseButton.LeftButton)
    wait_run(qtbot, w)
    np.testing.assert_array_equal(w.controller.latest.params, outcome.cells[1].params)


def blobs3():
    from engine.data import Dataset

    rng = np.random.default_rng(2)
    centres = np.array([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.5]])
    X = np.concatenate([c + rng.normal(scale=0.7, size=(30, 2)) for c in centres])
    return Dataset.from_labels(X, np.repeat(["a", "b", "c"], 30))
