"""engine.evaluation against scikit-learn's metrics, to 1e-12, on random binary and 3-class data."""

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.metrics import roc_curve as sk_roc_curve

from engine import evaluation as ev
from engine.losses import sigmoid, softmax
from engine.metrics import confusion_matrix, predictions

TOL = dict(rtol=0, atol=1e-12)
SEEDS = [0, 1, 2, 3, 7]


def _binary(seed, n=300, ties=False):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    z = 1.5 * (2 * y - 1) + rng.normal(0, 1.5, n)
    if ties:  # repeated scores: curves have fewer points than samples
        z = np.round(z, 1)
    return y, z[:, None]


def _multi(seed, n=300, k=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    z = rng.normal(0, 1.0, (n, k))
    z[np.arange(n), y] += 1.2
    return y, z


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", SEEDS)
def test_binary_curves_match_sklearn(seed, ties):
    y, z = _binary(seed, ties=ties)
    p = sigmoid(z[:, 0].astype(np.float64))
    e = ev.evaluate(y, z)
    np.testing.assert_allclose(ev.probabilities(z)[:, 1], p, **TOL)

    fpr, tpr, thr = sk_roc_curve(y, p, drop_intermediate=False)
    roc = e.roc[0]
    np.testing.assert_allclose(roc.x, fpr, **TOL)
    np.testing.assert_allclose(roc.y, tpr, **TOL)
    np.testing.assert_array_equal(roc.thresholds, thr)
    assert roc.score == pytest.approx(roc_auc_score(y, p), abs=1e-12)

    precision, recall, thr = precision_recall_curve(y, p)
    pr = e.pr[0]
    np.testing.assert_allclose(pr.x, recall, **TOL)
    np.testing.assert_allclose(pr.y, precision, **TOL)
    np.testing.assert_array_equal(pr.thresholds, thr)
    assert pr.score == pytest.approx(average_precision_score(y, p), abs=1e-12)

    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    np.testing.assert_allclose(e.calibration[0].prob_true, prob_true, **TOL)
    np.testing.assert_allclose(e.calibration[0].prob_pred, prob_pred, **TOL)
    assert e.calibration[0].counts.sum() == len(y)
    assert e.brier == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert e.calibration[0].brier == e.brier


@pytest.mark.parametrize("t", [0.05, 0.3, 0.5, 0.71, 0.99])
@pytest.mark.parametrize("seed", SEEDS)
def test_threshold_report_matches_sklearn(seed, t):
    y, z = _binary(seed)
    p = sigmoid(z[:, 0].astype(np.float64))
    report = ev.evaluate(y, z, threshold=t).report
    pred = (p > t).astype(int)
    from sklearn.metrics import confusion_matrix as sk_confusion

    np.testing.assert_array_equal(report.confusion, sk_confusion(y, pred, labels=[0, 1]))
    prec, rec, f1, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    assert (report.precision, report.recall, report.f1) == pytest.approx((prec, rec, f1), abs=1e-12)
    (tn, fp), (fn, tp) = report.confusion
    assert report.fpr == pytest.approx(fp / (fp + tn), abs=1e-12)
    # The operating point is a point of both curves.
    e = ev.evaluate(y, z)
    assert np.any(np.isclose(e.roc[0].x, report.fpr, atol=1e-12) & np.isclose(e.roc[0].y, report.recall, atol=1e-12))
    on_pr = np.isclose(e.pr[0].x, report.recall, atol=1e-12) & np.isclose(e.pr[0].y, report.precision, atol=1e-12)
    assert np.any(on_pr) or tp + fp == 0


def test_half_threshold_is_the_metrics_prediction_rule():
    """t = 0.5 predicts exactly as engine.metrics.predictions, even for logits rounding P to ½."""
    z = np.array([[-1e-20], [0.0], [1e-20], [3.0], [-3.0]])
    y = np.array([0, 0, 1, 1, 0])
    np.testing.assert_array_equal(ev.threshold_predictions(z, 0.5), predictions(z))
    np.testing.assert_array_equal(ev.at_threshold(y, z, 0.5).confusion, confusion_matrix(y, predictions(z), 2))
    assert ev.threshold_predictions(z, 0.3).tolist() == [1, 1, 1, 1, 0]
    with pytest.raises(ValueError):
        ev.threshold_predictions(z, 1.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_one_vs_rest_matches_sklearn(seed):
    y, z = _multi(seed)
    P = softmax(z)
    e = ev.evaluate(y, z)
    assert e.n_classes == 3 and len(e.roc) == len(e.pr) == len(e.calibration) == 3
    assert e.report is None
    for j in range(3):
        pos = (y == j).astype(int)
        fpr, tpr, _ = sk_roc_curve(pos, P[:, j], drop_intermediate=False)
        np.testing.assert_allclose(e.roc[j].x, fpr, **TOL)
        np.testing.assert_allclose(e.roc[j].y, tpr, **TOL)
        assert e.roc[j].score == pytest.approx(roc_auc_score(pos, P[:, j]), abs=1e-12)
        precision, recall, _ = precision_recall_curve(pos, P[:, j])
        np.testing.assert_allclose(e.pr[j].x, recall, **TOL)
        np.testing.assert_allclose(e.pr[j].y, precision, **TOL)
        assert e.pr[j].score == pytest.approx(average_precision_score(pos, P[:, j]), abs=1e-12)
        prob_true, prob_pred = calibration_curve(pos, P[:, j], n_bins=10)
        np.testing.assert_allclose(e.calibration[j].prob_true, prob_true, **TOL)
        np.testing.assert_allclose(e.calibration[j].prob_pred, prob_pred, **TOL)
    # One-vs-rest AUCs are scikit-learn's per-class ("average=None") multi-class AUCs.
    np.testing.assert_allclose([c.score for c in e.roc], roc_auc_score(y, P, multi_class="ovr", average=None), **TOL)
    assert e.brier == pytest.approx(brier_score_loss(y, P, labels=[0, 1, 2]), abs=1e-12)
    prec, rec, f1, support = precision_recall_fscore_support(
        y, np.argmax(P, axis=1), labels=[0, 1, 2], average=None, zero_division=0
    )
    np.testing.assert_allclose(e.scores.precision, prec, **TOL)
    np.testing.assert_allclose(e.scores.recall, rec, **TOL)
    np.testing.assert_allclose(e.scores.f1, f1, **TOL)
    np.testing.assert_array_equal(e.scores.support, support)


def test_undefined_cases_are_nan_not_errors():
    z = np.array([[1.0], [2.0], [-1.0]])
    e = ev.evaluate(np.array([1, 1, 1]), z)  # no negatives: no ROC; PR exists
    assert np.isnan(e.roc[0].score) and len(e.roc[0].x) == 0
    assert e.pr[0].score == pytest.approx(1.0)
    e = ev.evaluate(np.array([0, 0, 0]), z)  # no positives: neither curve
    assert np.isnan(e.roc[0].score) and np.isnan(e.pr[0].score)
    assert e.report.precision == 0.0 and e.report.recall == 0.0
    e = ev.evaluate(np.zeros(0, dtype=int), np.zeros((0, 1)))
    assert np.isnan(e.brier) and np.isnan(e.roc[0].score)
    # A predicted class never predicted scores 0, as scikit-learn's zero_division=0.
    scores = ev.class_scores(np.array([0, 1, 2]), np.array([0, 0, 0]), 3)
    assert scores.precision.tolist()[1:] == [0.0, 0.0] and scores.f1.tolist()[1:] == [0.0, 0.0]


@pytest.mark.parametrize("bad", [0.0, 1.0, 1.5, float("nan"), "0.3", True])
def test_a_session_view_threshold_is_checked(bad):
    import copy

    from engine.data import Dataset
    from engine.serialize import SessionError, session_from_dict, session_to_dict
    from engine.training import TrainConfig

    ds = Dataset(np.array([[0.0], [1.0]]), np.array([0, 1]), [0, 1], ["x"], "y")
    doc = session_to_dict(ds, TrainConfig(), view={"threshold": 0.3})
    assert session_from_dict(copy.deepcopy(doc))["view"]["threshold"] == 0.3
    doc["view"]["threshold"] = bad
    with pytest.raises(SessionError, match="threshold"):
        session_from_dict(doc)
