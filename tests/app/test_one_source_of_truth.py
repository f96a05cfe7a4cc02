"""Each piece of state has one owner, and every view shows the owner's value (issue 8's defects).

The training configuration lives in the controller; the Trainer panel only edits and shows it. A
run's documented initial model is never written to. File → New leaves nothing of the old run on
screen.
"""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolButton

from engine.generators import moons

from window_helpers import wait_run


def _train_epochs(qtbot, window, epochs):
    window.trainer_panel.epochs_spin.setValue(epochs)
    _train(qtbot, window)


def _train(qtbot, window):
    with qtbot.waitSignal(window.controller.finished, timeout=20000):
        window.act_train.trigger()


def test_a_setting_changed_in_1d_mode_keeps_x2_for_later_2d_data(qtbot, window):
    panel = window.trainer_panel
    window.act_one_d.trigger()  # View → 1-D mode
    assert window.document.n_dims == 1
    assert panel.term_boxes["x2"].isChecked() and not panel.term_boxes["x2"].isEnabled()
    panel.seed_spin.setValue(7)  # any edit while the x₂ box is disabled
    window.act_one_d.trigger()  # back to 2-D data
    assert window.document.n_dims == 2 and panel.term_boxes["x2"].isChecked()
    _train_epochs(qtbot, window, 2)
    info = window.controller.run_info
    assert "x2" in info.config.features, info.config.features
    assert info.model.feature_map.n_outputs == 2  # the model really sees x₂


def test_1d_runs_record_the_terms_they_use_and_the_panel_keeps_the_users_choice(qtbot, window):
    window.act_one_d.trigger()
    _train_epochs(qtbot, window, 2)
    assert window.controller.run_info.config.features == ("x1",)
    assert window.controller.config.features == ("x1", "x2")
    assert window.trainer_panel.config() == window.controller.config


def test_the_panel_follows_the_controller_without_hand_syncing(window):
    window.controller.set_config(window.controller.config.with_(lr=0.123, batch_size=7, l2=0.01))
    panel = window.trainer_panel
    assert panel.lr_spin.value() == pytest.approx(0.123)
    assert panel.batch_spin.value() == 7 and panel.l2_spin.value() == pytest.approx(0.01)
    assert panel.config() == window.controller.config


def test_1d_mode_never_writes_live_weights_into_the_runs_initial_model(qtbot, window):
    window.act_one_d.trigger()
    window.trainer_panel.epochs_spin.setValue(30)
    window.act_reset.trigger()
    wait_run(qtbot, window)
    info = window.controller.run_info
    initial = info.model.network.params.copy()
    _train(qtbot, window)
    assert window.controller.run_info.run_id == info.run_id
    assert window.controller.latest.epoch == 30
    assert not np.array_equal(window.controller.latest.params, initial)  # it did learn
    np.testing.assert_array_equal(info.model.network.params, initial)


def test_showing_the_restart_banner_moves_no_control(qtbot, window):
    panel = window.trainer_panel
    panel.set_epoch_mode("stopped")  # still running when the seed changes
    controls = (panel.model_combo, panel.lr_spin, panel.seed_spin)
    before = [c.mapTo(window, c.rect().topLeft()) for c in controls]
    window.act_train.trigger()
    panel.seed_spin.setValue(panel.seed_spin.value() + 1)  # a change the running trainer cannot take
    qtbot.waitUntil(panel.restart_banner.isVisible, timeout=5000)
    assert [c.mapTo(window, c.rect().topLeft()) for c in controls] == before
    window.controller.pause()


def test_tab_leaves_the_reset_button_for_the_next_control(qtbot, window):
    reset = window.trainer_panel.findChild(QToolButton, "button_actionReset")
    reset.setFocus()
    assert reset.hasFocus()
    QTest.keyClick(reset, Qt.Key.Key_Tab)
    assert window.focusWidget() is window.trainer_panel.pace_control.slider  # the pace, under the buttons
    QTest.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
    assert window.focusWidget() is window.trainer_panel.model_combo


def test_file_new_clears_the_old_runs_boundary_curves_and_metrics(qtbot, make_window):
    w = make_window(epochs=20)
    with qtbot.waitSignal(w.controller.finished, timeout=20000):
        w.act_train.trigger()
    assert w.loss_view.n_epochs > 0 and w.metrics_view.values
    w.files.dialogs.answers = ["discard"]
    w.act_new.trigger()
    wait_run(qtbot, w)
    assert w.document.n_points == 0
    assert w.controller.run_info is None and w.controller.latest is None
    assert w.loss_view.n_epochs == 0
    assert w.boundary_view.last_image is None  # no heatmap of a model that is gone
    assert w.metrics_view.values == {}
    assert w.status_labels["loss"].text() == "" and w.status_labels["epoch"].text() == ""
    # the first points of the new canvas train as usual
    w.document.load_dataset(moons(n=40, seed=0))
    w.controller.reset()
    wait_run(qtbot, w)
    assert w.controller.run_info is not None


def test_a_reopened_session_can_be_scrubbed(qtbot, make_window, tmp_path):
    w = make_window(epochs=25)
    with qtbot.waitSignal(w.controller.finished, timeout=20000):
        w.act_train.trigger()
    recorded = w.controller.recorded.epochs().tolist()
    assert len(recorded) >= 2
    path = tmp_path / "run.logitlab.json"
    assert w.files.save_to(path)
    again = make_window(epochs=25)
    assert again.files.open_path(path)
    wait_run(qtbot, again)
    scrubber = again.history_scrubber
    assert scrubber.slider.isEnabled() and scrubber.history.epochs().tolist() == recorded
    scrubber.slider.setValue(0)
    assert not again.view_state.live and again.view_state.frame.epoch == recorded[0] == 0
    np.testing.assert_array_equal(again.boundary_view.shown_params, w.controller.recorded[0].params)


@pytest.mark.parametrize("key, index", [(Qt.Key.Key_2, 1), (Qt.Key.Key_1, 0)])
def test_class_keys_work_wherever_the_focus_is_except_in_a_text_field(qtbot, window, key, index):
    window.document.set_current_class(1 - index)
    window.loss_view.setFocus()  # not the designer
    QTest.keyClick(window, key)
    assert window.document.current_class == index
    # typing a digit into a number field types the digit
    spin = window.trainer_panel.seed_spin
    spin.setFocus()
    spin.selectAll()
    QTest.keyClick(spin.lineEdit(), Qt.Key.Key_3)
    assert spin.lineEdit().text() == "3" and window.document.current_class == index
    window.activateWindow()
    window.loss_view.setFocus()
    QTest.keyClick(window.loss_view, Qt.Key.Key_2 if index == 0 else Qt.Key.Key_1)  # the menu's shortcut
    assert window.document.current_class == 1 - index


def test_a_cli_session_with_a_seed_beyond_32_bits_opens_and_keeps_its_seed(make_window, tmp_path, capsys):
    from lab_app.cli import main
    from resources import example

    path = tmp_path / "cli.logitlab.json"
    status = main(
        ["fit", str(example("glm6.csv")), "--seed", "3000000000", "--epochs", "5", "--save-session", str(path)]
    )
    assert status == 0
    capsys.readouterr()
    w = make_window()
    assert w.files.open_path(path) and not w.files.dialogs.errors
    panel = w.trainer_panel
    assert w.controller.config.seed == 3_000_000_000 and panel.seed_spin.value() == 3_000_000_000
    panel.lr_spin.setValue(0.02)  # any other edit keeps the seed as it is
    assert w.controller.config.seed == 3_000_000_000 and w.controller.config.lr == 0.02
    assert panel.config() == w.controller.config


@pytest.mark.parametrize("preset", ["poly2", "sincos", "poly3"])
def test_a_feature_preset_from_a_session_survives_other_edits(window, preset):
    window.controller.set_config(window.controller.config.with_(features=preset))
    panel = window.trainer_panel
    assert panel.config().features == preset  # the boxes show it without turning it into terms
    panel.l2_spin.setValue(0.01)
    assert window.controller.config.features == preset and window.controller.config.l2 == 0.01
    panel.term_boxes["x1^2"].setChecked(not panel.term_boxes["x1^2"].isChecked())  # the user changes the terms
    assert not isinstance(window.controller.config.features, str)
