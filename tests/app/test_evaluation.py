"""The Evaluation dock in the real window: curves and scores equal scikit-learn's, and its threshold
slider moves the boundary view's decision contour, the confusion matrix and the marked points."""

import time

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.metrics import confusion_matrix as sk_confusion

from engine.generators import blobs
from engine.metrics import confusion_matrix, predictions
from lab_app.training.config import DEFAULT_CONFIG

from window_helpers import settle, train, wait_run


def _show_evaluation(qtbot, window):
    view = window.evaluation_view
    with qtbot.waitSignal(view.computed, timeout=5000):
        window.docks["evaluation"].raise_()
    assert view.on_show()
    return view


def _split_proba(window, split):
    """P of each class for the split's points, from the model itself (not the panel's numbers)."""
    info = window.controller.run_info
    idx = np.asarray(info.train_idx if split == "train" else info.test_idx)
    model = info.model_at(window.view_state.frame.params)
    return info.dataset.y[idx], model.predict_proba(info.dataset.X[idx])


def _contour(window):
    x, y = window.boundary_view.contour_item.getData()
    return np.column_stack([x, y])


def _plane(window):
    ev = window.boundary_view.grid_evaluator
    return ev.xlim, ev.ylim


def _marks(view):
    """The training split's operating point on each curve."""
    return {k: np.column_stack(s[0].getData()) for k, s in view.plots.points.items()}


def test_hidden_evaluation_dock_computes_nothing_until_shown(qtbot, make_window):
    w = make_window(epochs=15)
    train(qtbot, w)
    assert not w.evaluation_view.on_show()  # tabbed behind Metrics
    assert w.evaluation_view.evaluations == {}
    view = _show_evaluation(qtbot, w)
    assert set(view.evaluations) == {"train", "test"}


def test_curves_and_scores_equal_sklearn(qtbot, make_window):
    w = make_window(epochs=30)
    train(qtbot, w)
    view = _show_evaluation(qtbot, w)
    for split in ("train", "test"):
        y, P = _split_proba(w, split)
        e = view.evaluations[split]
        assert e.roc[0].score == pytest.approx(roc_auc_score(y, P[:, 1]), abs=1e-9)
        assert e.pr[0].score == pytest.approx(average_precision_score(y, P[:, 1]), abs=1e-6)
        assert e.brier == pytest.approx(brier_score_loss(y, P[:, 1]), abs=1e-6)
        r = view.reports[split]
        np.testing.assert_array_equal(r.confusion, sk_confusion(y, (P[:, 1] > 0.5).astype(int), labels=[0, 1]))
        # At ½ the panel predicts what the Metrics dock counts (engine.metrics.predictions).
        np.testing.assert_array_equal(r.confusion, confusion_matrix(y, predictions(view._logits[split]), 2))
    # What the dock shows is those numbers.
    legend = [label.text for _, label in view.plots.legends["roc"].items]
    assert any(f"AUC {view.evaluations['train'].roc[0].score:.3f}" in text for text in legend)
    assert view.confusion_table.item(1, 1).text() == str(view.reports["train"].confusion[1, 1])


def test_threshold_slider_moves_contour_matrix_and_marked_points(qtbot, make_window):
    w = make_window(epochs=30)
    train(qtbot, w)
    view = _show_evaluation(qtbot, w)
    assert view.threshold_slider.isEnabled() and view.threshold_slider.value() == 50
    contour0, cm0, marks0 = _contour(w), view.reports["train"].confusion.copy(), _marks(view)
    image0 = w.boundary_view.last_image.copy()
    assert len(contour0)

    with qtbot.waitSignal(w.view_state.thresholdChanged, timeout=2000):
        view.threshold_slider.setValue(30)
    assert w.view_state.threshold == pytest.approx(0.3)
    assert w.boundary_view.decision_threshold == pytest.approx(0.3)
    assert view.threshold_label.text() == "t = 0.30"

    # The drawn contour moved, and now runs where P(class 1) = 0.3 (the image stays: same weights).
    contour1 = _contour(w)
    assert contour1.shape != contour0.shape or not np.allclose(contour1, contour0, equal_nan=True)
    np.testing.assert_array_equal(w.boundary_view.last_image, image0)
    model = w.controller.run_info.model_at(w.view_state.frame.params)
    on_line = contour1[np.isfinite(contour1).all(axis=1)]
    np.testing.assert_allclose(model.predict_proba(on_line)[:, 1], 0.3, atol=0.01)

    # The confusion matrix, the scores and the marked operating points follow, as sklearn counts them.
    cm1 = view.reports["train"].confusion
    assert not np.array_equal(cm1, cm0)
    assert cm1[:, 1].sum() >= cm0[:, 1].sum()  # a lower threshold predicts the positive class more often
    y, P = _split_proba(w, "train")
    pred = (P[:, 1] > 0.3).astype(int)
    np.testing.assert_array_equal(cm1, sk_confusion(y, pred, labels=[0, 1]))
    prec, rec, f1, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    r = view.reports["train"]
    assert (r.precision, r.recall, r.f1) == pytest.approx((prec, rec, f1), abs=1e-12)
    assert view.scores_table.item(2, 0).text() == f"{f1:.3f}"
    assert view.confusion_table.item(0, 1).text() == str(cm1[0, 1])
    marks1 = _marks(view)
    assert not np.allclose(marks1["roc"], marks0["roc"])
    np.testing.assert_allclose(marks1["roc"][0], (r.fpr, r.recall))
    np.testing.assert_allclose(marks1["pr"][0], (r.recall, r.precision))

    legend = [label.text for _, label in w.boundary_view.legend.items]
    assert "P = 0.3" in legend and "P = 0.5" not in legend
    # The boundary view rings the points on the wrong side of the drawn contour.
    info = w.controller.run_info
    P_all = model.predict_proba(info.dataset.X)
    np.testing.assert_array_equal(w.boundary_view.misclassified_mask, (P_all[:, 1] > 0.3) != (info.dataset.y == 1))

    # Back to ½: the contour is the first one again.
    view.threshold_slider.setValue(50)
    np.testing.assert_allclose(_contour(w), contour0, equal_nan=True)


def test_softmax_shows_per_class_curves_and_disables_the_slider(qtbot, make_window):
    w = make_window(epochs=20)
    w.document.load_dataset(blobs(240, noise=2.5, seed=3))
    w.controller.set_config(DEFAULT_CONFIG.with_(model="softmax", epochs=20, lr=0.05))
    w.controller.reset()
    train(qtbot, w)
    view = _show_evaluation(qtbot, w)
    e = view.evaluations["train"]
    assert e.n_classes == 3
    assert not view.threshold_slider.isEnabled() and view.note_label.isVisible()
    drawn = [c for c in view.plots.curves["roc"] if len(c.getData()[0] if c.getData()[0] is not None else [])]
    assert len(drawn) == 3
    y, P = _split_proba(w, "train")
    np.testing.assert_allclose(
        [c.score for c in e.roc], roc_auc_score(y, P, multi_class="ovr", average=None), atol=1e-9
    )
    prec, rec, f1, support = precision_recall_fscore_support(
        y, np.argmax(P, axis=1), labels=[0, 1, 2], average=None, zero_division=0
    )
    np.testing.assert_allclose(e.scores.f1, f1, atol=1e-12)
    assert view.scores_table.rowCount() == 3
    assert view.scores_table.item(0, 2).text() == f"{f1[0]:.3f}"
    # A threshold set elsewhere leaves the class boundaries where they are.
    contour0 = _contour(w)
    w.view_state.set_threshold(0.3)
    np.testing.assert_array_equal(_contour(w), contour0)


def test_one_d_threshold_lines_move_to_p_equals_t(qtbot, make_window):
    from engine.generators import one_d_gaussians

    w = make_window(epochs=30)
    w.dataset_menu.load_generated(one_d_gaussians(120, seed=1))
    qtbot.waitUntil(lambda: w.document.mode == "1d", timeout=5000)
    train(qtbot, w)
    x_half = w.boundary_view.threshold
    assert x_half is not None and w.designer.threshold_item.isVisible()
    w.view_state.set_threshold(0.3)
    model = w.controller.run_info.model_at(w.view_state.frame.params)
    for x in (w.boundary_view.threshold, w.designer.threshold_item.value()):
        assert x != pytest.approx(x_half)
        assert model.predict_proba(np.array([[x]]))[0, 1] == pytest.approx(0.3, abs=1e-4)


def test_a_recorded_epoch_is_evaluated_from_its_own_weights(qtbot, make_window):
    """Frames without the training thread's probe (the history scrubber) are evaluated here."""
    w = make_window(epochs=30)
    train(qtbot, w)
    view = _show_evaluation(qtbot, w)
    brier_last = view.evaluations["train"].brier
    entry = w.controller.recorded[0]  # the earliest recorded epoch
    epoch = entry.epoch
    assert epoch < w.view_state.frame.epoch
    with qtbot.waitSignal(view.computed, timeout=2000):
        w.view_state.show_recorded(epoch, entry.params)
    e = view.evaluations["train"]
    assert e.brier > brier_last  # an early epoch is worse calibrated (the ranking, AUC, may already be right)
    y, P = _split_proba(w, "train")
    assert e.brier == pytest.approx(brier_score_loss(y, P[:, 1]), abs=1e-6)
    assert e.roc[0].score == pytest.approx(roc_auc_score(y, P[:, 1]), abs=1e-9)
    assert view.caption_label.text().count(f"epoch {epoch}")


def test_live_training_computes_at_most_live_rate_while_shown(qtbot, make_window):
    from lab_app.panels.evaluation import LIVE_RATE

    w = make_window(epochs=0, tol=0.0)  # until stopped
    view = w.evaluation_view
    w.docks["evaluation"].raise_()
    qtbot.waitUntil(view.on_show, timeout=2000)
    frames, computed = [], []
    w.view_state.frameChanged.connect(lambda f: frames.append(f.epoch))
    view.computed.connect(lambda: computed.append(view.caption_label.text()))
    w.controller.train()
    qtbot.waitUntil(lambda: len(computed) >= 2, timeout=10000)
    start, n0, t0 = len(frames), len(computed), time.monotonic()
    qtbot.waitUntil(lambda: len(frames) >= start + 40, timeout=10000)
    n_live, elapsed = len(computed) - n0, time.monotonic() - t0
    w.controller.pause()
    assert n_live <= elapsed * LIVE_RATE + 2, (n_live, len(frames) - start, elapsed)
    assert n_live >= 1  # it does follow the run while shown
    qtbot.waitUntil(lambda: w.controller.state != "running", timeout=5000)
    # After the pause the newest frame is shown exactly (not throttled away).
    qtbot.waitUntil(lambda: f"epoch {w.view_state.frame.epoch}" in view.caption_label.text(), timeout=2000)


def test_large_splits_are_evaluated_in_the_background(qtbot, make_window, monkeypatch):
    import lab_app.panels.evaluation.view as evaluation_view

    monkeypatch.setattr(evaluation_view, "SYNC_POINTS", 10)  # the default example's 120 points count as large
    w = make_window(epochs=20)
    train(qtbot, w)
    view = w.evaluation_view
    started = []
    view._runner.busyChanged.connect(started.append)
    view = _show_evaluation(qtbot, w)
    assert started and started[0] is True  # it went through the task runner
    y, P = _split_proba(w, "train")
    assert view.evaluations["train"].roc[0].score == pytest.approx(roc_auc_score(y, P[:, 1]), abs=1e-9)
    # A threshold moved while the curves compute is applied to their result.
    with qtbot.waitSignal(view.computed, timeout=5000):
        w.view_state.show_recorded(w.view_state.frame.epoch, w.view_state.frame.params.copy())
        w.view_state.set_threshold(0.3)
    qtbot.waitUntil(lambda: not view._runner.busy, timeout=5000)
    pred = (P[:, 1] > 0.3).astype(int)
    np.testing.assert_array_equal(view.reports["train"].confusion, sk_confusion(y, pred, labels=[0, 1]))


def test_a_session_keeps_the_threshold(qtbot, make_window, tmp_path):
    w = make_window(epochs=15)
    train(qtbot, w)
    w.evaluation_view.threshold_slider.setValue(30)
    path = tmp_path / "t.logitlab.json"
    assert w.files.save_to(path)
    other = make_window(epochs=15)
    assert other.files.open_path(path)
    wait_run(qtbot, other)
    qtbot.waitUntil(lambda: other.boundary_view.shown_params is not None, timeout=5000)
    assert other.view_state.threshold == pytest.approx(0.3)
    assert other.boundary_view.decision_threshold == pytest.approx(0.3)
    assert other.evaluation_view.threshold_slider.value() == 30
    # The same plane in both windows: it follows the plot's shape, and pyqtgraph fits a plot (and
    # its key, which keeps the width of wider keys shown before) to its widget only on a resize.
    for win in (w, other):
        win.resize(win.width() + 1, win.height())
        win.resize(win.width() - 1, win.height())
        settle(qtbot, win)
    qtbot.waitUntil(lambda: _plane(other) == _plane(w), timeout=5000)
    settle(qtbot, other)
    np.testing.assert_allclose(_contour(other), _contour(w), atol=1e-6, equal_nan=True)
