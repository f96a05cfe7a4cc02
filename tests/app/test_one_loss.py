"""One model, one loss: every panel of the window shows the engine's numbers for the same epoch.

Issue 8, defect 6: the trainer's Loss view said 18.0000 and the Metrics panel 6.9078 for the same
weights, because the panel took the log of float32 probabilities clipped at 1e-15 while the trainer
computed the loss from the logits. A confidently wrong point (a large logit of the wrong sign) is
where the two part: its probability rounds to 0 in float32, so clipping turns a loss of ~30 into
−log(1e-15) ≈ 34.5.
"""

import numpy as np
import pytest

from engine.training import Trainer


def _confidently_wrong_data():
    """Two well separated classes along x1, plus a few points of each class deep in the other's
    region: under a steep boundary those are the confidently wrong points."""
    rng = np.random.default_rng(4)
    left = np.column_stack([rng.uniform(-3.0, -1.0, 20), rng.uniform(-1.0, 1.0, 20)])
    right = np.column_stack([rng.uniform(1.0, 3.0, 20), rng.uniform(-1.0, 1.0, 20)])
    wrong_b = np.column_stack([rng.uniform(-3.0, -2.5, 6), rng.uniform(-1.0, 1.0, 6)])  # B among the A's
    wrong_a = np.column_stack([rng.uniform(2.5, 3.0, 6), rng.uniform(-1.0, 1.0, 6)])  # A among the B's
    X = np.vstack([left, right, wrong_b, wrong_a])
    labels = np.array([0] * 20 + [1] * 20 + [1] * 6 + [0] * 6)
    return X, labels


def _number(text: str) -> float:
    return float(text.replace("\u2212", "-"))


def test_loss_view_status_bar_and_metrics_show_one_loss_for_a_confidently_wrong_model(qtbot, make_window):
    w = make_window(epochs=0, tol=0.0, test_fraction=0.25, optimizer="sgd", lr=1e-6, batch_size=0)
    X, labels = _confidently_wrong_data()
    w.document.replace_data(X, labels, ["A", "B"])
    c = w.controller
    # A steep boundary x1 = 0: |logit| reaches ~30 on the wrong points (standardized x1 ≈ ±1.5).
    trainer = Trainer(w.document.dataset(), c.config)
    model = trainer.model
    model.network.params[:] = np.array([20.0, 0.0, 0.0], dtype=model.network.dtype)
    assert c.restore(model)
    with qtbot.waitSignal(c.progress, timeout=10000, check_params_cb=lambda s: s.epoch == 1):
        c.step()  # one epoch at a negligible learning rate: the trainer reports epoch 1's losses
    qtbot.waitUntil(lambda: c.state == "paused", timeout=5000)
    metrics = w.metrics_view
    qtbot.waitUntil(lambda: "epoch 1" in metrics.caption_label.text(), timeout=5000)

    report = c.latest.latest
    assert report.epoch == 1 and report.val_loss is not None
    assert report.train_loss > 0.5 and report.val_loss > 0.5  # the wrong points dominate both splits
    # The Loss view holds the trainer's numbers for epoch 1.
    held = w.loss_view.data()
    assert held["epoch"][-1] == 1
    assert held["train_loss"][-1] == report.train_loss and held["val_loss"][-1] == report.val_loss
    assert f"loss {report.train_loss:.4g}" in w.loss_view.status_label.text()
    # The status bar: "loss train / validation".
    status = w.status_labels["loss"].text()
    assert status == f"loss {report.train_loss:.4f} / {report.val_loss:.4f}"
    # The Metrics panel, for the same weights, shows the same losses (to the float32 network's
    # rounding, far below the 4 decimals shown) and the same text.
    assert metrics.values["train_log_loss"] == pytest.approx(report.train_loss, rel=1e-6)
    assert metrics.values["test_log_loss"] == pytest.approx(report.val_loss, rel=1e-6)
    train_text = metrics.findChild(type(metrics.caption_label), "metricsTrainLogLoss").text()
    test_text = metrics.findChild(type(metrics.caption_label), "metricsTestLogLoss").text()
    assert f"loss {train_text} / {test_text}" == status
    # ... and the same accuracies as the status bar.
    assert metrics.values["train_accuracy"] == pytest.approx(report.train_accuracy)
    assert metrics.values["test_accuracy"] == pytest.approx(report.val_accuracy)
    assert np.isclose(_number(train_text), report.train_loss, atol=5e-5)
