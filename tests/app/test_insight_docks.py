"""The Doctor and Reference optimum docks in the real window: glm's numbers on the six-point
example, the learner converging onto them, the dashed optimum, L − L*, separation, and each
failure preset's verdict with its one-click fix."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QDockWidget, QPushButton

from engine import generators
from lab_app.training.config import DEFAULT_CONFIG
from lab_app.training.probes import ThrottledProbe

from window_helpers import wait_run

GLM6 = DEFAULT_CONFIG.with_(
    features=("x1",), optimizer="adam", lr=0.05, batch_size=0, epochs=300, tol=0.0, test_fraction=0.0, l2=0.0
)
PRESET_VERDICT = {
    "separable": "separable",
    "unscaled": "unscaled",
    "xor_linear": "underfit_linear",
    "lr_too_high": "lr_too_high",
    "minority": "imbalanced",
}


def _number(text: str) -> float:
    return float(text.replace("\u2212", "-"))


def _start(qtbot, window, config):
    """A fresh idle run with ``config``; returns once its reference optimum is on show."""
    window.controller.set_config(config)
    window.controller.reset()
    _wait_reference(qtbot, window)


def _wait_reference(qtbot, window):
    view, controller = window.reference_view, window.controller
    wait_run(qtbot, window)
    qtbot.waitUntil(lambda: view.result is not None and view.result.run_id == controller.run_info.run_id, timeout=5000)


def _train(qtbot, window):
    controller = window.controller
    window.act_train.trigger()
    qtbot.waitUntil(
        lambda: controller.state == "idle" and controller.latest is not None and controller.latest.state == "finished",
        timeout=10000,
    )


def _rows(window):
    return {row["Term"]: row for row in window.reference_view.table_text()}


# -- the docks ------------------------------------------------------------------------------------


def test_docks_are_tabbed_with_metrics_and_toggled_from_the_view_menu(window):
    metrics = window.docks["metrics"]
    for name in ("doctorDock", "referenceDock"):
        dock = window.findChild(QDockWidget, name)
        assert dock is not None and dock in window.tabifiedDockWidgets(metrics)
        assert dock.toggleViewAction() in window.view_menu.actions()
    assert not metrics.visibleRegion().isEmpty()  # Metrics stays the tab on show
    window.docks["doctor"].toggleViewAction().trigger()
    assert window.docks["doctor"].isHidden()


# -- reference optimum: what glm says -------------------------------------------------------------


def test_glm6_reference_matches_r_and_training_reaches_it(qtbot, window):
    window.document.load_dataset(generators.glm6())
    assert window.document.mode == "1d"
    _start(qtbot, window, GLM6)
    rows = _rows(window)
    # R: glm(y ~ x, binomial) on x = 2, 3, 5, 7, 11, 13 and y = 0, 0, 1, 0, 1, 1.
    assert rows["x"]["Optimum"] == "0.551776"
    assert rows["(Intercept)"]["Optimum"] == "\u22123.549071"
    assert rows["x"]["Std. error"] == "0.42222"
    assert rows["(Intercept)"]["Std. error"] == "2.74392"
    assert rows["x"]["z value"] == "1.307"
    before = abs(_number(rows["x"]["Difference"]))
    stats = window.reference_view.stats_text()
    assert stats["Log-likelihood"][1] == "\u22122.3534" and stats["AIC"][1] == "8.7068"

    _train(qtbot, window)
    qtbot.waitUntil(lambda: _rows(window)["x"]["Learned"] == "0.551776", timeout=3000)
    rows = _rows(window)
    after = abs(_number(rows["x"]["Difference"]))
    assert before > 0.1 and after < 1e-5
    assert abs(_number(rows["(Intercept)"]["Difference"])) < 1e-4
    assert window.reference_view.stats_text()["Log-likelihood"][0] == "\u22122.3534"


def test_loss_gap_is_positive_and_falls_on_a_log_axis(qtbot, window):
    window.document.load_dataset(generators.glm6())
    _start(qtbot, window, GLM6)
    loss = window.loss_view
    assert loss.reference_loss == pytest.approx(window.reference_view.result.reference.objective)
    assert loss.tabs.isTabVisible(loss.tabs.indexOf(loss.gap_widget))
    _train(qtbot, window)
    epochs, gap = loss.gap_data()
    assert len(epochs) == GLM6.epochs and np.all(gap > 0)
    # Falling overall (Adam wobbles on the way) down to float precision.
    assert gap[50:].max() < 1e-2 * gap[0] and gap[150:].max() < 1e-4 * gap[0]
    assert gap[-1] < 1e-6 * gap[0]
    loss.tabs.setCurrentWidget(loss.gap_widget)
    x, y = loss.gap_curve.getData()
    assert len(x) and np.nanmax(y) == pytest.approx(np.log10(gap.max()))  # drawn on a log axis


def test_optimum_contour_is_dashed_on_the_2d_boundary(qtbot, window):
    _start(qtbot, window, DEFAULT_CONFIG.with_(epochs=0, tol=0.0))
    view = window.boundary_view
    item = view.reference_item
    assert item is not None and item.isVisible()
    xs, ys = item.getData()
    finite = np.isfinite(xs)
    assert finite.sum() > 20
    # Every contour point is where the optimum says P = 0.5.
    info, result = window.controller.run_info, window.reference_view.result
    model = info.model.copy()
    model.network.set_params(result.params)
    p = model.predict_proba(np.column_stack([xs[finite], ys[finite]]))[:, 1]
    assert np.abs(p - 0.5).max() < 0.02


def test_neural_networks_get_a_note_and_no_optimum(qtbot, window):
    _start(qtbot, window, DEFAULT_CONFIG.with_(model="mlp", hidden=(8,), epochs=0, tol=0.0))
    view = window.reference_view
    assert view.result.status == "mlp"
    assert "no closed-form optimum" in view.note.text()
    assert view.table.rowCount() == 0
    assert window.boundary_view.reference_item is None or not window.boundary_view.reference_item.isVisible()
    assert window.loss_view.reference_loss is None


def test_l1_runs_say_the_reference_covers_l2_only(qtbot, window):
    _start(qtbot, window, DEFAULT_CONFIG.with_(epochs=0, tol=0.0, l1=0.01, l2=0.001))
    assert "L2 only" in window.reference_view.note.text()
    assert window.reference_view.table.isColumnHidden(4)  # no glm standard errors when penalised


def test_a_new_run_drops_a_stale_optimum(qtbot, window):
    controller = window.controller
    controller.reset()
    controller.reset()
    _wait_reference(qtbot, window)
    assert window.reference_view.result.run_id == controller.run_info.run_id


def test_separable_preset_shows_the_banner_and_no_optimum(qtbot, window):
    window.dataset_menu.preset_actions["separable"].trigger()
    _train(qtbot, window)
    view = window.reference_view
    qtbot.waitUntil(lambda: view.separation_shown, timeout=3000)
    assert "does not exist" in view.banner_label.text()
    assert "fitted probabilities numerically 0 or 1 occurred" in view.banner_label.text()
    assert all(row["Optimum"] == "does not exist" for row in view.table_text())
    assert not window.boundary_view.reference_item.isVisible()
    assert window.loss_view.reference_loss is None
    run = window.controller.run_info.run_id
    view.banner_button.click()  # the banner's fix: a little L2, a new run
    wait_run(qtbot, window)
    assert window.trainer_panel.l2_spin.value() == pytest.approx(0.001)
    assert window.controller.run_info.run_id > run and window.controller.run_info.config.l2 == 0.001
    _wait_reference(qtbot, window)
    assert not view.separation_shown and view.result.status == "ok"
    window.controller.stop()


# -- the doctor -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(PRESET_VERDICT))
def test_each_failure_preset_shows_its_verdict_card(qtbot, window, key):
    window.dataset_menu.preset_actions[key].trigger()
    _train(qtbot, window)
    window.docks["doctor"].raise_()
    doctor = window.doctor_view
    code = PRESET_VERDICT[key]
    qtbot.waitUntil(lambda: doctor.card(code) is not None and doctor.card(code).isVisible(), timeout=3000)
    card = doctor.card(code)
    assert card.objectName() == f"verdict_{code}"
    assert card.message.text() and card.button.text()
    assert window.docks["doctor"].windowTitle().startswith("Doctor (")


def test_the_unscaled_fix_turns_standardize_on_and_starts_a_new_run(qtbot, window):
    window.dataset_menu.preset_actions["unscaled"].trigger()
    assert not window.trainer_panel.standardize_box.isChecked()
    _train(qtbot, window)
    window.docks["doctor"].raise_()
    qtbot.waitUntil(lambda: window.doctor_view.card("unscaled") is not None, timeout=3000)
    run = window.controller.run_info.run_id
    button = window.doctor_view.findChild(QPushButton, "fix_unscaled")
    button.click()
    wait_run(qtbot, window)
    assert window.trainer_panel.standardize_box.isChecked()
    assert window.controller.run_info.run_id > run and window.controller.run_info.config.standardize
    window.controller.stop()


def test_signals_table_and_lr_bound_for_sgd_on_a_linear_model(qtbot, window):
    window.docks["doctor"].raise_()
    label = window.trainer_panel.lr_bound_label
    assert label.isHidden()  # Adam: no bound
    window.trainer_panel.optimizer_combo.setCurrentIndex(window.trainer_panel.optimizer_combo.findData("sgd"))
    assert not label.isHidden() and "2/\u03bbmax" in label.text()
    window.trainer_panel.epochs_spin.setValue(20)
    _train(qtbot, window)
    doctor = window.doctor_view
    qtbot.waitUntil(lambda: doctor.signal_text("grad_norm") not in ("", "n/a"), timeout=3000)
    assert _number(doctor.signal_text("condition")) > 1
    assert "lr 0.03 is" in doctor.signal_text("lr_bound")
    assert len(doctor._sparks["grad_norm"].values()) == 20


def test_throttled_probe_recomputes_per_epoch_only_after_the_interval():
    class FakeTrainer:
        stopped_because = None

        def __init__(self):
            self.epoch = 0
            self.config = DEFAULT_CONFIG.with_(epochs=100)

    calls = []
    probe = ThrottledProbe(lambda t: calls.append(t.epoch) or t.epoch, interval=3600)
    t = FakeTrainer()
    assert probe(t) == 0 and probe(t) == 0 and calls == [0]
    t.epoch = 1
    assert probe(t) == 1  # the first epoch is always fresh
    t.epoch = 5
    assert probe(t) == 1  # throttled: the last result
    t.epoch = 100
    assert probe(t) == 100  # the run's last epoch is always fresh
    other = FakeTrainer()
    assert probe(other) == 0 and calls == [0, 1, 100, 0]
