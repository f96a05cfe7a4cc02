"""engine.losses and engine.metrics against scikit-learn and SciPy, on random data, binary and multi-class.

These are the only loss, penalty, sigmoid/softmax and confusion-matrix functions of the lab (issue 8,
defect 6), so they are checked here against independent implementations to ~1e-12.
"""

import numpy as np
import pytest
import scipy.special
import sklearn.metrics

from engine.generators import blobs, two_gaussians
from engine.losses import (
    cross_entropy,
    logsumexp,
    penalty,
    prior_cross_entropy,
    sample_losses,
    sigmoid,
    softmax,
)
from engine.metrics import accuracy, confusion_matrix, predictions
from engine.training import TrainConfig, Trainer

CASES = [(seed, k) for seed in range(4) for k in (2, 3, 5)]


def _problem(seed: int, k: int, n: int = 300, scale: float = 3.0):
    """Random logits (n, 1) for two classes, else (n, k); labels with every class present;
    float64 probabilities computed by SciPy, independently of the engine."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % k)
    if k == 2:
        z = rng.normal(scale=scale, size=(n, 1))
        p1 = scipy.special.expit(z[:, 0])
        P = np.column_stack([1.0 - p1, p1])
    else:
        z = rng.normal(scale=scale, size=(n, k))
        P = scipy.special.softmax(z, axis=1)
    return z, y, P


@pytest.mark.parametrize(("seed", "k"), CASES)
def test_cross_entropy_matches_sklearn_log_loss(seed, k):
    z, y, P = _problem(seed, k)
    labels = np.arange(k)
    expected = sklearn.metrics.log_loss(y, P, labels=labels)
    assert cross_entropy(z, y) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    summed = sklearn.metrics.log_loss(y, P, labels=labels, normalize=False)
    assert sample_losses(z, y).sum() == pytest.approx(summed, rel=1e-12)
    np.testing.assert_allclose(sample_losses(z, y), -np.log(P[np.arange(len(y)), y]), rtol=1e-12, atol=1e-12)
    # float32 logits (the trainer's) give the float64 loss of the same numbers.
    z32 = z.astype(np.float32)
    assert cross_entropy(z32, y) == pytest.approx(cross_entropy(z32.astype(np.float64), y), rel=1e-15)


@pytest.mark.parametrize(("seed", "k"), CASES)
def test_predictions_accuracy_and_confusion_match_sklearn(seed, k):
    z, y, P = _problem(seed, k)
    pred = predictions(z)
    np.testing.assert_array_equal(pred, P.argmax(axis=1))
    assert accuracy(y, pred) == pytest.approx(sklearn.metrics.accuracy_score(y, pred), abs=1e-12)
    np.testing.assert_array_equal(
        confusion_matrix(y, pred, k), sklearn.metrics.confusion_matrix(y, pred, labels=np.arange(k))
    )
    # A class nobody predicts still gets its column; a subset of rows still gets every class.
    some = np.flatnonzero(y != k - 1)[:40]
    np.testing.assert_array_equal(
        confusion_matrix(y[some], pred[some], k),
        sklearn.metrics.confusion_matrix(y[some], pred[some], labels=np.arange(k)),
    )


@pytest.mark.parametrize("seed", range(4))
def test_sigmoid_softmax_and_logsumexp_match_scipy(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=10.0, size=(200, 4))
    np.testing.assert_allclose(sigmoid(z), scipy.special.expit(z), rtol=0, atol=1e-15)
    np.testing.assert_allclose(softmax(z), scipy.special.softmax(z, axis=1), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(logsumexp(z), scipy.special.logsumexp(z, axis=1), rtol=1e-12)
    # In place into preallocated buffers (the network's forward pass), float32 kept.
    z32 = z.astype(np.float32)
    out, scratch = np.empty_like(z32), np.empty((200, 1), np.float32)
    assert softmax(z32, out=out, scratch=scratch) is out and out.dtype == np.float32
    np.testing.assert_allclose(out, scipy.special.softmax(z32.astype(np.float64), axis=1), atol=1e-6)
    assert sigmoid(z32, out=out) is out and out.dtype == np.float32
    np.testing.assert_allclose(out, scipy.special.expit(z32.astype(np.float64)), atol=1e-6)


def test_losses_stay_exact_where_clipped_probabilities_do_not():
    # The defect's case: a confidently wrong point. Its float32 probability is 0, so the log of a
    # clipped probability says −log(1e-15) ≈ 34.5; the loss from the logit is 30 + log(1 + e⁻³⁰).
    z = np.array([[-30.0], [30.0], [0.0]], dtype=np.float32)
    y = np.array([1, 1, 0])
    np.testing.assert_allclose(
        sample_losses(z, y), [30.0 + np.log1p(np.exp(-30.0)), np.log1p(np.exp(-30.0)), np.log(2.0)], rtol=1e-15
    )
    multi = np.array([[40.0, 0.0, -40.0]])
    assert sample_losses(multi, np.array([2]))[0] == pytest.approx(80.0 + np.log1p(np.exp(-40.0)), rel=1e-15)
    # Leading axes (many weight vectors at once, the landscape's case) are kept.
    stacked = np.stack([z, 2 * z])
    np.testing.assert_allclose(sample_losses(stacked, y)[1], sample_losses(2 * z, y))


def test_prior_cross_entropy_is_the_log_loss_of_the_class_shares():
    y = np.array([0, 0, 0, 1, 2, 2, 0, 1, 2, 2])
    shares = np.bincount(y) / len(y)
    expected = sklearn.metrics.log_loss(y, np.tile(shares, (len(y), 1)))
    assert prior_cross_entropy(y, 3) == pytest.approx(expected, rel=1e-12)
    assert prior_cross_entropy(y, 4) == pytest.approx(expected, rel=1e-12)  # an empty class adds nothing
    assert np.isnan(prior_cross_entropy(np.array([], dtype=int)))


def test_penalty_is_l1_abs_plus_l2_squares_of_the_weights_given():
    w = np.array([[1.5, -2.0], [0.0, 3.0]])
    assert penalty(w) == 0.0
    assert penalty(w, l1=0.1) == pytest.approx(0.1 * 6.5, rel=1e-15)
    assert penalty(w, l2=0.01) == pytest.approx(0.01 * (2.25 + 4.0 + 9.0), rel=1e-15)
    assert penalty(w, l1=0.1, l2=0.01) == pytest.approx(0.65 + 0.1525, rel=1e-15)
    rows = penalty(w, l1=0.1, l2=0.01, axis=1)  # one per weight vector
    np.testing.assert_allclose(rows, [penalty(w[0], 0.1, 0.01), penalty(w[1], 0.1, 0.01)], rtol=1e-15)
    np.testing.assert_array_equal(penalty(w, axis=1), [0.0, 0.0])


@pytest.mark.parametrize(
    ("dataset", "config"),
    [
        (two_gaussians(120, seed=3), TrainConfig(epochs=3, l1=0.01, l2=0.02, test_fraction=0.25, seed=1)),
        (blobs(150, seed=2), TrainConfig(epochs=3, hidden=(8,), model="mlp", l2=0.05, test_fraction=0.2, seed=2)),
    ],
)
def test_trainer_reports_the_loss_functions_numbers(dataset, config):
    """What the trainer reports (Loss view, status bar) is cross_entropy/penalty/accuracy of its logits."""
    trainer = Trainer(dataset, config)
    report = trainer.fit().history[-1]
    model, ds = trainer.model, trainer.dataset
    for idx, loss, acc in (
        (trainer.train_idx, report.train_loss, report.train_accuracy),
        (trainer.test_idx, report.val_loss, report.val_accuracy),
    ):
        z = model.logits(ds.X[idx])
        assert loss == pytest.approx(cross_entropy(z, ds.y[idx]), rel=1e-6)
        assert acc == accuracy(ds.y[idx], predictions(z))
    weights = trainer.network.params * trainer.network.weight_mask
    cost = penalty(weights, config.l1, config.l2)
    assert cost > 0
    assert report.objective == pytest.approx(report.train_loss + cost, rel=1e-12)
