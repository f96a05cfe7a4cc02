"""The "New dataset" dialog and the Data menu, driven through a real lab window offscreen."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from engine.catalog import GENERATORS, PRESETS
from engine.generators import logistic_model
from engine.training import Trainer
from lab_app.dialogs.generator import LINEAR_TERMS, SINCOS_TERMS, TrueParameters
from lab_app.training.config import DEFAULT_CONFIG
from lab_app.widgets import palette
from lab_app.window.data_menu import TrueVsLearned, compare_with_truth, preset_config

from window_helpers import wait_run


@pytest.fixture
def dialog(qtbot, window):
    window.findChild(QAction, "actionNewDataset").trigger()
    d = window.dataset_menu.dialog
    assert d is not None and d.objectName() == "generatorDialog"
    d.show()  # already open (window-modal, not blocking); show() is a no-op here
    qtbot.waitExposed(d)
    yield d
    if window.dataset_menu.dialog is not None:
        window.dataset_menu.dialog.reject()


def _regenerated(qtbot, dialog, change):
    """Apply ``change`` and wait for the debounced preview it causes."""
    with qtbot.waitSignal(dialog.previewUpdated, timeout=3000):
        change()
    return dialog.preview_points()


def _click_item(qtbot, dialog, key):
    item = dialog._items[key]
    rect = dialog.list.visualItemRect(item)
    qtbot.mouseClick(dialog.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _undo(window):
    """Undo the load with the old run's test mask still set (the designer must cope with a mask
    of the wrong length while the document signals classes before points)."""
    window.act_undo.trigger()


def _make(key, **overrides):
    spec = GENERATORS[key]
    kwargs = {"n": spec.n, "noise": spec.noise, "seed": 0, **spec.options, **overrides}
    return spec.make(**kwargs)


# ------------------------------------------------------------------ the menu
def test_data_menu_sits_before_train_with_new_dataset_and_presets(window):
    bar = window.menuBar()
    titles = [a.menu().objectName() for a in bar.actions() if a.menu() is not None]
    assert titles.index("menuData") == titles.index("menuTrain") - 1
    act = window.findChild(QAction, "actionNewDataset")
    assert act.shortcut() == QKeySequence("Ctrl+Shift+N")
    data_menu = window.findChild(QMenu, "menuData")
    assert act in data_menu.actions()
    presets = window.findChild(QMenu, "menuPresets")
    assert [a.objectName() for a in presets.actions()] == [f"actionPreset_{k}" for k in PRESETS]
    for number, (key, preset) in enumerate(PRESETS.items(), start=1):
        action = window.findChild(QAction, f"actionPreset_{key}")
        assert action.statusTip() == preset.lesson
        assert action.shortcut() == QKeySequence(f"Ctrl+D, {number}")
    assert window.dataset_menu.truth is None and window.dataset_menu.truth is None


def test_triggering_new_dataset_twice_keeps_one_dialog(window, dialog):
    window.dataset_menu.act_new_dataset.trigger()
    assert window.dataset_menu.dialog is dialog
    assert len(window.findChildren(type(dialog))) == 1


# ------------------------------------------------------------------ preview
def test_choosing_each_generator_previews_its_points_in_class_colours(qtbot, dialog):
    # Reversed, so every click changes the generator (the dialog opens on the first one).
    for key in reversed(list(GENERATORS)):
        points = _regenerated(qtbot, dialog, lambda key=key: _click_item(qtbot, dialog, key))
        spec = GENERATORS[key]
        assert dialog.generator_key == key
        assert dialog.n_spin.value() == spec.n and dialog.noise_spin.value() == pytest.approx(spec.noise)
        assert len(points) == spec.n
        expected = _make(key)
        np.testing.assert_array_equal(dialog.dataset.X, expected.X)
        np.testing.assert_array_equal(dialog.dataset.y, expected.y)
        np.testing.assert_array_equal(points[:, 0], expected.X[:, 0])
        spots = dialog.scatter.points()
        for i in (0, len(spots) - 1):
            # Points the run would hold out are hollow, outlined in their class colour.
            colour = spots[i].pen().color() if dialog.test_mask[i] else spots[i].brush().color()
            assert colour.name().upper() == palette.hex_color(expected.y[i])
        assert dialog.truth_box.isVisible() == (key == "logistic")
        assert dialog.n_spin.isEnabled() == (not spec.fixed)


def test_size_and_option_changes_are_debounced_into_one_preview(qtbot, dialog):
    count = []
    dialog.previewUpdated.connect(lambda: count.append(1))
    with qtbot.waitSignal(dialog.previewUpdated, timeout=3000):
        for n in (101, 102, 123):
            dialog.n_spin.setValue(n)
        assert not count  # nothing until the controls have been quiet for a moment
    qtbot.wait(250)
    assert len(count) == 1 and len(dialog.preview_points()) == 123
    points = _regenerated(qtbot, dialog, lambda: dialog.option_widgets["balance"].setValue(25.0))
    assert len(points) == 123 and np.sum(dialog.dataset.y == 1) == round(0.25 * 123)


def test_blobs_class_count_comes_from_the_options_form(qtbot, dialog):
    _regenerated(qtbot, dialog, lambda: _click_item(qtbot, dialog, "blobs"))
    spin = dialog.option_widgets["n_classes"]
    assert (spin.minimum(), spin.maximum()) == (3, 8)
    _regenerated(qtbot, dialog, lambda: spin.setValue(7))
    assert dialog.dataset.n_classes == 7 and len(dialog.preview_points()) == GENERATORS["blobs"].n


def test_same_seed_same_points_other_seed_other_points(qtbot, dialog):
    a = _regenerated(qtbot, dialog, lambda: dialog.seed_spin.setValue(1))
    b = _regenerated(qtbot, dialog, lambda: dialog.seed_spin.setValue(2))
    assert a.shape == b.shape and not np.allclose(a, b)
    c = _regenerated(qtbot, dialog, lambda: dialog.seed_spin.setValue(1))
    np.testing.assert_array_equal(a, c)
    before = dialog.seed_spin.value()
    _regenerated(qtbot, dialog, lambda: qtbot.mouseClick(dialog.new_seed_button, Qt.MouseButton.LeftButton))
    assert dialog.seed_spin.value() != before or np.array_equal(dialog.preview_points(), c)


def test_an_impossible_setting_disables_ok_and_says_why(qtbot, dialog):
    _regenerated(qtbot, dialog, lambda: _click_item(qtbot, dialog, "blobs"))
    _regenerated(qtbot, dialog, lambda: dialog.option_widgets["n_classes"].setValue(8))
    _regenerated(qtbot, dialog, lambda: dialog.n_spin.setValue(5))
    assert dialog.dataset is None and not dialog.ok_button.isEnabled()
    assert "need at least 8 samples" in dialog.summary.text()
    assert len(dialog.preview_points()) == 0


# ------------------------------------------------------------------ OK / Cancel
def test_ok_loads_exactly_the_generated_data_as_one_undo_step(qtbot, window, dialog):
    doc = window.document
    before_xy, before_labels, steps = doc.xy, doc.labels, doc.undo_stack.count()
    _regenerated(qtbot, dialog, lambda: _click_item(qtbot, dialog, "moons"))
    _regenerated(qtbot, dialog, lambda: dialog.n_spin.setValue(150))
    expected = _make("moons", n=150)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_run(qtbot, window)
    assert window.dataset_menu.dialog is None
    assert doc.undo_stack.count() == steps + 1 and doc.modified
    np.testing.assert_array_equal(doc.X, expected.X)
    np.testing.assert_array_equal(doc.labels, expected.y)
    assert doc.class_names == ("0", "1")
    (x0, x1), (y0, y1) = doc.xlim, doc.ylim  # ranges fitted to the new points
    assert x0 <= expected.X[:, 0].min() and expected.X[:, 0].max() <= x1
    assert y0 <= expected.X[:, 1].min() and expected.X[:, 1].max() <= y1
    assert window.dataset_menu.truth is None
    assert window.controller.run_info.dataset.n_samples == 150  # a fresh run on the new points
    _undo(window)
    np.testing.assert_array_equal(doc.xy, before_xy)
    np.testing.assert_array_equal(doc.labels, before_labels)


def test_ok_right_after_a_change_takes_the_change(qtbot, window, dialog):
    dialog.n_spin.setValue(77)  # no waiting for the preview
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert window.document.n_points == 77
    np.testing.assert_array_equal(window.document.X, _make("two_gaussians", n=77).X)


def test_one_d_generator_switches_the_document_to_one_d(qtbot, window, dialog):
    _regenerated(qtbot, dialog, lambda: _click_item(qtbot, dialog, "glm6"))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert window.document.mode == "1d"
    np.testing.assert_array_equal(window.document.X[:, 0], [2, 3, 5, 7, 11, 13])


def test_cancel_leaves_the_document_unchanged(qtbot, window, dialog):
    doc = window.document
    before_xy, steps, modified = doc.xy, doc.undo_stack.count(), doc.modified
    _regenerated(qtbot, dialog, lambda: _click_item(qtbot, dialog, "spiral"))
    cancel = dialog.button_box.button(dialog.button_box.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert window.dataset_menu.dialog is None
    np.testing.assert_array_equal(doc.xy, before_xy)
    assert doc.undo_stack.count() == steps and doc.modified == modified


# ------------------------------------------------------------------ presets
@pytest.mark.parametrize("key", list(PRESETS))
def test_each_preset_loads_its_data_and_settings_and_tells_its_lesson(qtbot, window, key):
    preset = PRESETS[key]
    doc = window.document
    before_xy, steps = doc.xy, doc.undo_stack.count()
    window.findChild(QAction, f"actionPreset_{key}").trigger()
    wait_run(qtbot, window)
    expected = preset.dataset_factory(seed=0)
    np.testing.assert_array_equal(doc.X, expected.X)
    assert doc.undo_stack.count() == steps + 1
    panel = window.trainer_panel.config()
    for name, value in preset.config.items():
        want = LINEAR_TERMS if (name, value) == ("features", "linear") else value
        assert (
            getattr(panel, name) == pytest.approx(want) if isinstance(value, float) else getattr(panel, name) == want
        ), name
    assert window.controller.config == preset_config(key)
    assert window.controller.run_info.config == preset_config(key)
    assert preset.lesson in window.statusBar().currentMessage()
    assert window.last_message == (preset.label, preset.lesson)
    _undo(window)
    np.testing.assert_array_equal(doc.xy, before_xy)


# ------------------------------------------------------------------ the known logistic model
def _choose_logistic(qtbot, dialog, weights, bias, *, sincos=False):
    _regenerated(qtbot, dialog, lambda: _click_item(qtbot, dialog, "logistic"))
    if sincos:
        qtbot.mouseClick(dialog.sincos_box, Qt.MouseButton.LeftButton)
    for spin, w in zip(dialog.weight_spins, weights):
        spin.setValue(w)
    dialog.bias_spin.setValue(bias)
    _regenerated(qtbot, dialog, lambda: dialog.rho_spin.setValue(0.3))


def test_logistic_model_stores_the_chosen_truth_on_the_window(qtbot, window, dialog):
    _choose_logistic(qtbot, dialog, (1.5, -2.5), -0.25)
    dialog.distribution_combo.setCurrentIndex(dialog.distribution_combo.findData("uniform"))
    _regenerated(qtbot, dialog, lambda: dialog.noise_spin.setValue(0.2))
    assert [w.isVisible() for w in dialog.weight_spins] == [True, True, False, False]
    assert dialog.truth_line.isVisible()
    assert "1.5·x1 − 2.5·x2 − 0.25" in dialog.summary.text()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    truth = window.dataset_menu.truth
    assert isinstance(truth, TrueParameters) and truth is window.dataset_menu.truth
    np.testing.assert_array_equal(truth.weights, [1.5, -2.5])
    assert truth.bias == -0.25 and truth.features == LINEAR_TERMS
    assert (truth.distribution, truth.rho, truth.logit_noise) == ("uniform", pytest.approx(0.3), 0.2)
    expected = logistic_model(300, (1.5, -2.5), -0.25, distribution="uniform", rho=0.3, logit_noise=0.2, seed=0)
    np.testing.assert_array_equal(window.document.X, expected.dataset.X)
    np.testing.assert_array_equal(window.document.labels, expected.dataset.y)


def test_sincos_truth_has_four_weights_on_sin_and_cos_terms(qtbot, window, dialog):
    _choose_logistic(qtbot, dialog, (1.0, -1.0, 2.0, -0.5), 0.75, sincos=True)
    assert all(w.isVisible() for w in dialog.weight_spins) and not dialog.truth_line.isVisible()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    truth = window.dataset_menu.truth
    np.testing.assert_array_equal(truth.weights, [1.0, -1.0, 2.0, -0.5])
    assert truth.features == SINCOS_TERMS and truth.bias == 0.75
    expected = logistic_model(300, (1.0, -1.0, 2.0, -0.5), 0.75, rho=0.3, transform="sincos", seed=0)
    np.testing.assert_array_equal(window.document.X, expected.dataset.X)


def test_other_data_forget_the_truth(qtbot, window, dialog):
    _choose_logistic(qtbot, dialog, (1.0, 1.0), 0.0)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert window.dataset_menu.truth is not None
    window.findChild(QAction, "actionPreset_separable").trigger()
    assert window.dataset_menu.truth is None


def test_compare_with_truth_recovers_the_weights_and_explains_mismatches():
    made = logistic_model(4000, (2.0, -1.0), 0.5, seed=3)
    truth = TrueParameters(made.weights, made.bias, LINEAR_TERMS, "normal", 0.0, 0.0, made.dataset)
    config = DEFAULT_CONFIG.with_(batch_size=0, epochs=300, lr=0.1, test_fraction=0.0, dtype="float64")
    trainer = Trainer(made.dataset, config)
    trainer.fit()
    result = compare_with_truth(truth, trainer.model)
    assert isinstance(result, TrueVsLearned)
    np.testing.assert_allclose(result.learned_weights, [2.0, -1.0], atol=0.25)
    assert result.learned_bias == pytest.approx(0.5, abs=0.2)
    assert result.text().startswith("True vs learned")
    sincos = TrueParameters(np.ones(4), 0.0, SINCOS_TERMS, "normal", 0.0, 0.0, made.dataset)
    assert "tick those input features" in compare_with_truth(sincos, trainer.model)


def test_status_bar_shows_true_vs_learned_after_training(qtbot, window, dialog):
    _choose_logistic(qtbot, dialog, (2.0, -1.0), 0.5)
    _regenerated(qtbot, dialog, lambda: dialog.n_spin.setValue(3000))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    config = DEFAULT_CONFIG.with_(batch_size=0, epochs=300, tol=0.0, lr=0.1, test_fraction=0.0)
    window.controller.set_config(config)
    window.controller.reset()
    with qtbot.waitSignal(window.controller.finished, timeout=30000):
        window.controller.train()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("True vs learned"))
    result = window.last_true_vs_learned
    np.testing.assert_allclose(result.learned_weights, [2.0, -1.0], atol=0.35)


def test_a_preset_raises_a_slow_pace_so_its_run_takes_seconds(window):
    """The separable preset's 2000 epochs took 100 s at the default 20 epochs/s."""
    from lab_app.training.pace import DEFAULT_PACE, LADDER, PREPARED_RUN_SECONDS

    c = window.controller
    c.set_pace(DEFAULT_PACE)
    window.findChild(QAction, "actionPreset_separable").trigger()
    assert c.config.epochs == 2000
    assert c.config.epochs / c.pace <= PREPARED_RUN_SECONDS
    assert window.toolbar_pace.label.text() == LADDER.describe(c.pace)  # the user sees the change


def test_preset_chord_shortcut_loads_the_preset(qtbot, window):
    window.activateWindow()
    window.designer.setFocus()
    qtbot.keyClick(window.designer, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.designer, Qt.Key.Key_3)
    np.testing.assert_array_equal(window.document.X, PRESETS["xor_linear"].dataset_factory(seed=0).X)
