"""The Lessons dock in the real window: Help ▸ Lessons…, each shipped lesson played by "Show me"."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from lab_app.window.lessons import builtin_lessons

from window_helpers import settle

BUILTIN = [name for name, _title, _path in builtin_lessons()]


def open_lesson(qtbot, window, name):
    """Help ▸ Lessons…, then pick ``name`` in the dock's chooser, as a user does."""
    window.act_lessons.trigger()
    view = window.lessons_view
    assert window.docks["lessons"].isVisible()
    view.chooser.setCurrentIndex(view.chooser.findData(name))
    view.chooser.activated.emit(view.chooser.currentIndex())
    assert window.lessons.lesson.name == name
    return view


def play_step(qtbot, window, timeout=120_000):
    """Press Show me and wait until the step is checked; fail with the lab's numbers if it did not pass."""
    runner = window.lessons
    with qtbot.waitSignal(runner.stepChecked, timeout=timeout) as checked:
        qtbot.mouseClick(window.lessons_view.show_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    messages = [r.message for r in runner.results]
    assert checked.args == [runner.index, True], messages
    return runner.quantities()


def play(qtbot, window, name):
    view = open_lesson(qtbot, window, name)
    runner = window.lessons
    numbers = []
    for i in range(len(runner.lesson.steps)):
        assert runner.index == i
        numbers.append(play_step(qtbot, window))
        assert "What happened." in view.body_text()
        if i + 1 < len(runner.lesson.steps):
            qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert view.progress.value() == len(runner.lesson.steps)
    return numbers


def test_every_shipped_lesson_is_listed(window):
    assert len(BUILTIN) >= 1
    chooser = window.lessons_view.chooser
    assert [chooser.itemData(i) for i in range(1, chooser.count())] == BUILTIN


@pytest.mark.slow
def test_lesson_1_four_tools_reproduces_glm_and_sklearn(qtbot, window):
    glm, sk, std = play(qtbot, window, "01_four_tools")
    assert glm["coef[0]"] == pytest.approx(0.551776, abs=1e-3)
    assert glm["intercept"] == pytest.approx(-3.549071, abs=1e-2)
    assert glm["se[0]"] == pytest.approx(0.422223, abs=1e-4)
    assert glm["deviance"] == pytest.approx(4.706808, abs=1e-4)
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(window.document.X, window.document.labels)
    assert sk["coef[0]"] == pytest.approx(model.coef_[0, 0], abs=1e-3)
    assert sk["intercept"] == pytest.approx(model.intercept_[0], abs=1e-2)
    assert std["standardize"] is True and std["coef[0]"] < sk["coef[0]"]


@pytest.mark.slow
def test_lesson_2_convergence_condition_number_divergence_early_stopping(qtbot, window):
    unscaled, scaled, diverged, early = play(qtbot, window, "02_why_not_converge")
    assert unscaled["condition_number"] > 1e5 and unscaled["train_loss"] > 0.4
    assert scaled["stopped_because"] == "converged" and scaled["epoch"] < 150
    assert scaled["condition_number"] < 20
    assert diverged["diverged"] is True and diverged["lr"] > 10 * scaled["lr_bound"]
    assert window.last_message[0] == "Training diverged"
    assert early["stopped_because"] == "early_stopping" and early["best_epoch"] < early["epoch"]


@pytest.mark.slow
def test_lesson_3_separable_weights_grow_until_l2(qtbot, window):
    short, long, penalised = play(qtbot, window, "03_separable")
    assert short["separable"] is True and short["ref_exists"] is False
    assert long["weight_norm"] > 1.2 * short["weight_norm"]
    assert penalised["ref_exists"] is True and penalised["weight_norm"] < short["weight_norm"]
    assert window.reference_view.result.separation is None  # L2: the optimum exists, nothing to explain


@pytest.mark.slow
def test_lesson_5_one_d_sigmoid_threshold_and_steepness(qtbot, window):
    sd2, sd4, outliers = play(qtbot, window, "05_one_d")
    assert window.document.mode == "1d"
    assert sd2["threshold_x"] == pytest.approx(-sd2["intercept"] / sd2["coef[0]"])
    assert sd4["coef[0]"] < 0.4 * sd2["coef[0]"]
    assert outliers["n_points"] == 203 and outliers["coef[0]"] < sd2["coef[0]"]


@pytest.mark.slow
def test_lesson_7_three_classes_softmax_against_one_vs_rest(qtbot, window):
    blobs, ovr, row = play(qtbot, window, "07_three_classes")
    assert blobs["n_classes"] == 3 and blobs["model"] == "softmax"
    assert ovr["ovr_sum_max"] > 1.2 and ovr["ovr_agreement"] >= 0.95
    assert window.document.class_names == ("left", "middle", "right")
    assert row["ovr_sum_max"] > 1.1


@pytest.mark.slow
def test_lesson_6_circles_need_squares_or_a_network(qtbot, window):
    linear, squares, network = play(qtbot, window, "06_line_to_curves")
    assert linear["train_accuracy"] < 0.7
    assert squares["train_accuracy"] >= 0.95 and squares["coef[2]"] * squares["coef[3]"] > 0
    assert network["model"] == "mlp" and network["train_accuracy"] >= 0.95
    assert not window.network_view.visibleRegion().isEmpty()  # "Show me" brought its tab to the front


@pytest.mark.slow
def test_lesson_8_standard_errors_shrink_like_one_over_root_n(qtbot, window):
    n200, n800, n3200 = play(qtbot, window, "08_recover_truth")
    assert (n200["true_coef[0]"], n200["true_coef[1]"], n200["true_intercept"]) == (2.0, -1.0, 0.5)
    assert n800["se[0]"] / n200["se[0]"] == pytest.approx(0.5, abs=0.12)
    assert n3200["se[0]"] / n200["se[0]"] == pytest.approx(0.25, abs=0.05)
    assert n3200["true_gap"] < n200["true_gap"]
