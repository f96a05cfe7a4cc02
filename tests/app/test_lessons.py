"""The Lessons dock in the real window: Help ▸ Lessons…, each shipped lesson played by "Show me"."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt

import resources
from engine.lessons import lesson_catalog

from window_helpers import settle

BUILTIN = [name for name, _title, _path in lesson_catalog(resources.LESSONS)]


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
    glm, sk, std = play(qtbot, window, "four_tools")
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
    unscaled, scaled, diverged, early = play(qtbot, window, "why_not_converge")
    assert unscaled["condition_number"] > 1e5 and unscaled["train_loss"] > 0.4
    assert scaled["stopped_because"] == "converged" and scaled["epoch"] < 150
    assert scaled["condition_number"] < 20
    assert diverged["diverged"] is True and diverged["lr"] > 10 * scaled["lr_bound"]
    assert window.last_message[0] == "Training diverged"
    assert early["stopped_because"] == "early_stopping" and early["best_epoch"] < early["epoch"]


@pytest.mark.slow
def test_lesson_3_separable_weights_grow_until_l2(qtbot, window):
    short, long, penalised = play(qtbot, window, "separable")
    assert short["separable"] is True and short["ref_exists"] is False
    assert long["weight_norm"] > 1.2 * short["weight_norm"]
    assert penalised["ref_exists"] is True and penalised["weight_norm"] < short["weight_norm"]
    assert window.reference_view.result.separation is None  # L2: the optimum exists, nothing to explain


@pytest.mark.slow
def test_lesson_5_one_d_sigmoid_threshold_and_steepness(qtbot, window):
    sd2, sd4, outliers = play(qtbot, window, "one_d")
    assert window.document.mode == "1d"
    assert sd2["threshold_x"] == pytest.approx(-sd2["intercept"] / sd2["coef[0]"])
    assert sd4["coef[0]"] < 0.4 * sd2["coef[0]"]
    assert outliers["n_points"] == 203 and outliers["coef[0]"] < sd2["coef[0]"]


@pytest.mark.slow
def test_lesson_7_three_classes_softmax_against_one_vs_rest(qtbot, window):
    blobs, ovr, row = play(qtbot, window, "three_classes")
    assert blobs["n_classes"] == 3 and blobs["model"] == "softmax"
    assert ovr["ovr_sum_max"] > 1.2 and ovr["ovr_agreement"] >= 0.95
    assert window.document.class_names == ("left", "middle", "right")
    assert row["ovr_sum_max"] > 1.1


@pytest.mark.slow
def test_lesson_6_circles_need_squares_or_a_network(qtbot, window):
    linear, squares, network = play(qtbot, window, "line_to_curves")
    assert linear["train_accuracy"] < 0.7
    assert squares["train_accuracy"] >= 0.95 and squares["coef[2]"] * squares["coef[3]"] > 0
    assert network["model"] == "mlp" and network["train_accuracy"] >= 0.95
    assert not window.network_view.visibleRegion().isEmpty()  # "Show me" brought its tab to the front


@pytest.mark.slow
def test_lesson_8_standard_errors_shrink_like_one_over_root_n(qtbot, window):
    n200, n800, n3200 = play(qtbot, window, "recover_truth")
    assert (n200["true_coef[0]"], n200["true_coef[1]"], n200["true_intercept"]) == (2.0, -1.0, 0.5)
    assert n800["se[0]"] / n200["se[0]"] == pytest.approx(0.5, abs=0.12)
    assert n3200["se[0]"] / n200["se[0]"] == pytest.approx(0.25, abs=0.05)
    assert n3200["true_gap"] < n200["true_gap"]


TEACHER = {
    "format": "logit-lab-lesson",
    "version": 1,
    "title": "A teacher's lesson",
    "summary": "Written without touching code.",
    "steps": [
        {
            "title": "Train the six points",
            "data": {"generator": "glm6"},
            "config": {
                "model": "logistic",
                "standardize": False,
                "lr": 0.05,
                "batch_size": 0,
                "epochs": 40,
                "test_fraction": 0,
            },
            "text": "Press Train.",
            "show_me": [{"train": True}],
            "checks": [{"quantity": "epoch", "equals": 40}, {"quantity": "train_loss", "max": 2}],
            "explain": "{epoch:d} epochs, loss {train_loss:.3f}.",
        },
        {
            "title": "Standardize",
            "text": "Tick Standardize inputs.",
            "wait_for": "change",
            "show_me": [{"set": {"standardize": True}}],
            "checks": [{"quantity": "standardize", "equals": True}],
            "explain": "Now standardize is {standardize}.",
        },
        {
            "title": "Impossible",
            "text": "No run reaches a negative loss.",
            "show_me": [{"train": True}],
            "checks": [{"quantity": "train_loss", "max": -1}],
            "explain": "Never shown.",
        },
    ],
}


def _teacher_file(tmp_path, doc=TEACHER):
    path = tmp_path / "teacher.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_teachers_file_played_by_the_users_own_actions(qtbot, make_window, tmp_path):
    w = make_window()
    w.files.dialogs.paths = [str(_teacher_file(tmp_path))]
    w.act_lessons.trigger()
    view = w.lessons_view
    qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
    assert w.lessons.lesson.title == "A teacher's lesson" and view.title.text() == "A teacher's lesson"
    assert w.document.n_points == 6 and w.controller.config.epochs == 40 and w.controller.config.test_fraction == 0
    # The user, not "Show me": Train from the menu; the step is checked once the run has ended.
    with qtbot.waitSignal(w.lessons.stepPassed, timeout=30_000):
        w.act_train.trigger()
    assert view.progress.value() == 1 and "40 epochs, loss" in view.body_text()
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert w.lessons.index == 1 and "Try it in the window" in view.body_text()
    with qtbot.waitSignal(w.lessons.stepPassed, timeout=5_000):
        w.trainer_panel.standardize_box.click()  # the real check box
    assert "Now standardize is true." in view.body_text()
    assert view.steps.item(0).text().startswith("✓") and view.steps.item(1).text().startswith("✓")


def test_a_step_not_reached_says_what_is_missing_and_stays_open(qtbot, make_window, tmp_path):
    w = make_window()
    assert w.lessons.open_path(_teacher_file(tmp_path))
    w.lessons.go(2)
    with qtbot.waitSignal(w.lessons.stepChecked, timeout=30_000) as checked:
        qtbot.mouseClick(w.lessons_view.show_button, Qt.MouseButton.LeftButton)
    assert checked.args == [2, False]
    text = w.lessons_view.body_text()
    assert "Not yet:" in text and "expected at most -1" in text and "What happened" not in text
    assert 2 not in w.lessons.passed


def test_back_applies_the_earlier_steps_setup_again(qtbot, make_window, tmp_path):
    w = make_window()
    w.lessons.open_path(_teacher_file(tmp_path))
    w.document.clear()
    w.lessons.go(1)
    assert w.document.n_points == 0  # a step without set-up continues from where the user is
    qtbot.mouseClick(w.lessons_view.back_button, Qt.MouseButton.LeftButton)
    assert w.lessons.index == 0 and w.document.n_points == 6
    w.lessons_view.steps.setCurrentRow(2)  # a click in the step list
    assert w.lessons.index == 2 and w.lessons_view.steps.item(2).text().startswith("▶")


def test_a_broken_teachers_file_names_the_step_and_the_field(qtbot, make_window, tmp_path):
    doc = json.loads(json.dumps(TEACHER))
    doc["steps"][1]["checks"][0]["quantity"] = "standardise"
    w = make_window()
    w.files.dialogs.paths = [str(_teacher_file(tmp_path, doc))]
    w.act_lessons.trigger()
    qtbot.mouseClick(w.lessons_view.open_button, Qt.MouseButton.LeftButton)
    title, text = w.last_message
    assert title == "Lessons" and w.lessons.lesson is None
    assert "teacher.json: step 2 (Standardize), field 'checks[0]': unknown quantity 'standardise'" in text


def test_command_line_lists_and_opens_lessons(capsys, monkeypatch):
    from lab_app import app
    from lab_app.cli import main

    assert main(["lesson", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == BUILTIN
    assert main(["lesson", "nope"]) == 2
    assert "error: no lesson called 'nope'" in capsys.readouterr().err
    opened = []
    monkeypatch.setattr(app, "run", lambda path=None, lesson=None: opened.append((path, lesson)) or 0)
    assert main(["lesson", "four_tools"]) == 0
    assert opened == [(None, str(resources.LESSONS / "01_four_tools.json"))]


def test_the_example_in_docs_lessons_md_plays_as_printed(qtbot, make_window, tmp_path):
    from pathlib import Path

    text = (Path(resources.__file__).parent.parent / "docs" / "lessons.md").read_text(encoding="utf-8")
    example = text.rsplit("```json", 1)[1].split("```", 1)[0]
    w = make_window()
    w.files.dialogs.paths = [str(_teacher_file(tmp_path, json.loads(example)))]
    w.act_lessons.trigger()
    qtbot.mouseClick(w.lessons_view.open_button, Qt.MouseButton.LeftButton)
    before, after = play_step(qtbot, w), None
    qtbot.mouseClick(w.lessons_view.next_button, Qt.MouseButton.LeftButton)
    after = play_step(qtbot, w)
    assert w.document.X[0, 0] == 12
    assert after["coef[0]"] < 0.2 * before["coef[0]"] and after["threshold_x"] > before["threshold_x"]


@pytest.mark.slow
def test_lesson_4_from_scratch_bugs_named_by_the_gradient_check(qtbot, window):
    correct, sign, orientation, labels, no_mean, row_norm = play(qtbot, window, "from_scratch")
    assert correct["gradcheck_ok"] is True and sign["scratch_diverged"] is True
    assert orientation["gradcheck_wrong"] == "dw[0], dw[1]" and labels["scratch_accuracy"] < 0.3
    assert no_mean["gradcheck_wrong"] == "dw[0], dw[1], db" and row_norm["gradcheck_ok"] is True
    box = window.lessons_view.scratch
    assert box.isVisible() and box.bug == "row_norm"
    assert "Gradient check: every component matches." in box.summary.text()
    xs, _ys = box.buggy_line.getData()
    assert np.isfinite(xs).sum() > 10  # the chosen update's 0.5 contour is drawn


def test_a_lesson_speeds_up_a_slow_pace_so_its_runs_take_seconds_not_minutes(qtbot, window):
    """At the default 20 epochs/s lesson 1's 3000 epochs took 150 s; the lesson raises the pace
    (never lowers it), and the pace control shows the lesson's pace."""
    from lab_app.training.pace import DEFAULT_PACE, FLAT_OUT, PREPARED_RUN_SECONDS

    c = window.controller
    c.set_pace(DEFAULT_PACE)
    open_lesson(qtbot, window, "four_tools")
    assert c.config.epochs == 3000
    assert c.config.epochs / c.pace <= PREPARED_RUN_SECONDS < c.config.epochs / DEFAULT_PACE
    assert c.pace < FLAT_OUT  # still paced: the sigmoid visibly settles
    c.set_pace(FLAT_OUT)
    window.lessons.go(0)
    assert c.pace == FLAT_OUT
