"""Judging a classifier beyond accuracy: ROC and precision–recall curves, calibration, and the
confusion matrix, precision, recall and F1 at a decision threshold.

Everything is computed from the network's logits with the one sigmoid and softmax
(:mod:`engine.losses`) and the one prediction rule and confusion matrix (:mod:`engine.metrics`),
so the Evaluation dock cannot disagree with the Metrics dock. The curves are scikit-learn's
(``roc_curve(drop_intermediate=False)``, ``precision_recall_curve``, ``average_precision_score``,
``calibration_curve(strategy="uniform")``, ``brier_score_loss``,
``precision_recall_fscore_support(zero_division=0)``), re-implemented in a few NumPy calls without
scikit-learn's argument checks, which cost milliseconds a call (tests/engine/test_evaluation.py
compares every number with scikit-learn's to 1e-12).

A binary problem's positive class is the last one (class code 1, docs/design.md §2). For more
classes the curves and scores are one-vs-rest, one per class.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from engine.losses import sigmoid, softmax
from engine.metrics import confusion_matrix, predictions

__all__ = [
    "Calibration",
    "ClassScores",
    "Curve",
    "Evaluation",
    "ThresholdReport",
    "at_threshold",
    "brier_score",
    "calibration",
    "class_scores",
    "evaluate",
    "pr_curve",
    "probabilities",
    "roc_curve",
    "threshold_predictions",
]


class Curve(NamedTuple):
    """A ROC curve (``x`` = false-positive rate, ``y`` = true-positive rate, ``score`` = AUC) or a
    precision–recall curve (``x`` = recall, ``y`` = precision, ``score`` = average precision).
    ``thresholds`` (m,) are the scores where the point is reached (ROC: ``inf`` first; PR: one
    fewer than the points). NaN ``score`` and empty arrays when a class is missing."""

    x: np.ndarray
    y: np.ndarray
    thresholds: np.ndarray
    score: float


class Calibration(NamedTuple):
    """A reliability diagram: for each non-empty bin of ``n_bins`` equal bins of [0, 1], the mean
    predicted probability ``prob_pred``, the share of positives ``prob_true`` and the ``counts``;
    ``brier`` is the Brier score of the same probabilities."""

    prob_true: np.ndarray
    prob_pred: np.ndarray
    counts: np.ndarray
    brier: float


class ThresholdReport(NamedTuple):
    """Binary predictions at a threshold: the 2×2 ``confusion`` (rows true, columns predicted),
    ``precision``, ``recall`` (= true-positive rate), ``f1`` and ``fpr`` (NaN where undefined;
    precision, recall and F1 are 0 where scikit-learn's ``zero_division=0`` makes them 0)."""

    threshold: float
    confusion: np.ndarray
    precision: float
    recall: float
    f1: float
    fpr: float


class ClassScores(NamedTuple):
    """Per-class (k,) ``precision``, ``recall``, ``f1`` (0 where undefined) and ``support``."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray


class Evaluation(NamedTuple):
    """Everything the Evaluation dock shows for one split.

    ``roc`` and ``pr``: one curve for binary problems (the positive class), else one per class
    (one-vs-rest). ``calibration``: one diagram of P(positive) for binary problems, else one per
    class; ``brier``: the Brier score (binary: mean (y − p)²; k classes: mean Σ_k (onehot − p)²,
    as scikit-learn). ``report``: at the threshold (binary only, else None). ``scores``: per class,
    of the predictions at the threshold (binary) or of the most probable class (k > 2).
    """

    n_classes: int
    roc: list
    pr: list
    calibration: list
    brier: float
    report: ThresholdReport | None
    scores: ClassScores
    confusion: np.ndarray


def probabilities(logits: np.ndarray) -> np.ndarray:
    """(n_samples, n_classes) float64 probabilities of (n_samples, 1) binary or (n_samples, k) logits:
    :func:`engine.losses.sigmoid` of the one logit (columns 1 − p, p), else :func:`engine.losses.softmax`."""
    z = np.asarray(logits, dtype=np.float64)
    if z.shape[1] == 1:
        p = sigmoid(z[:, 0])
        return np.column_stack([1.0 - p, p])
    return softmax(z)


def threshold_predictions(logits: np.ndarray, threshold: float) -> np.ndarray:
    """(n_samples,) class codes of binary (n_samples, 1) logits at ``threshold``: class 1 where
    P(class 1) > t, i.e. where the logit exceeds log(t / (1 − t)) (compared in logit space, so
    t = 0.5 gives exactly :func:`engine.metrics.predictions`)."""
    t = float(threshold)
    if not 0.0 < t < 1.0:
        raise ValueError(f"the threshold is a probability between 0 and 1, not {t}")
    z = np.asarray(logits)
    return predictions(z - math.log(t / (1.0 - t))) if t != 0.5 else predictions(z)


def roc_curve(y_true: np.ndarray, score: np.ndarray) -> Curve:
    """ROC curve and AUC of ``score`` (n_samples,) for the positives ``y_true`` (n_samples,) bool or 0/1:
    scikit-learn's ``roc_curve(drop_intermediate=False)`` and ``roc_auc_score``."""
    tps, fps, thresholds = _binary_counts(y_true, score)
    if not len(tps) or tps[-1] == 0 or fps[-1] == 0:
        return _EMPTY
    tpr = np.concatenate([[0.0], tps / tps[-1]])
    fpr = np.concatenate([[0.0], fps / fps[-1]])
    return Curve(fpr, tpr, np.concatenate([[np.inf], thresholds]), float(np.trapezoid(tpr, fpr)))


def pr_curve(y_true: np.ndarray, score: np.ndarray) -> Curve:
    """Precision–recall curve and average precision (scikit-learn's ``precision_recall_curve`` and
    ``average_precision_score``): ``x`` recall, decreasing to 0; ``y`` precision, ending at 1."""
    tps, fps, thresholds = _binary_counts(y_true, score)
    if not len(tps) or tps[-1] == 0:
        return _EMPTY
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    precision = np.concatenate([precision[::-1], [1.0]])
    recall = np.concatenate([recall[::-1], [0.0]])
    ap = max(0.0, float(-np.sum(np.diff(recall) * precision[:-1])))
    return Curve(recall, precision, thresholds[::-1].copy(), ap)


def brier_score(y_true: np.ndarray, proba: np.ndarray) -> float:
    """scikit-learn's ``brier_score_loss``: binary ``proba`` (n_samples,) of the positives
    ``y_true`` → mean (y − p)²; (n_samples, k ≥ 3) with class codes ``y_true`` → mean Σ_k (onehot − p)²."""
    p = np.asarray(proba, dtype=np.float64)
    y = np.asarray(y_true)
    if not len(y):
        return float("nan")
    if p.ndim == 1:
        return float(np.mean((y.astype(np.float64) - p) ** 2))
    onehot = np.zeros_like(p)
    onehot[np.arange(len(y)), y.astype(np.int64)] = 1.0
    return float(np.mean(np.sum((onehot - p) ** 2, axis=1)))


def calibration(y_true: np.ndarray, prob: np.ndarray, n_bins: int = 10) -> Calibration:
    """Reliability diagram of ``prob`` (n_samples,) P(positive) against the positives ``y_true``:
    scikit-learn's ``calibration_curve(strategy="uniform")`` plus the bins' counts and the Brier score."""
    p = np.asarray(prob, dtype=np.float64)
    y = np.asarray(y_true).astype(np.float64)
    bins = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(bins[1:-1], p)
    sums = np.bincount(ids, weights=p, minlength=n_bins)
    true = np.bincount(ids, weights=y, minlength=n_bins)
    total = np.bincount(ids, minlength=n_bins)
    nz = total != 0
    return Calibration(true[nz] / total[nz], sums[nz] / total[nz], total[nz], brier_score(y, p))


def at_threshold(y_true: np.ndarray, logits: np.ndarray, threshold: float) -> ThresholdReport:
    """Confusion matrix, precision, recall, F1 and false-positive rate of binary (n_samples, 1)
    ``logits`` at ``threshold`` against class codes ``y_true`` (n_samples,) (class 1 positive)."""
    pred = threshold_predictions(logits, threshold)
    cm = confusion_matrix(y_true, pred, 2)
    (tn, fp), (fn, tp) = cm.tolist()
    scores = _scores(cm)
    fpr = fp / (fp + tn) if fp + tn else float("nan")
    return ThresholdReport(
        float(threshold), cm, float(scores.precision[1]), float(scores.recall[1]), float(scores.f1[1]), fpr
    )


def class_scores(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> ClassScores:
    """Per-class precision, recall, F1 and support of predicted codes ``y_pred`` (scikit-learn's
    ``precision_recall_fscore_support(labels=range(k), zero_division=0)``)."""
    return _scores(confusion_matrix(y_true, y_pred, n_classes))


def evaluate(y_true: np.ndarray, logits: np.ndarray, threshold: float = 0.5, n_bins: int = 10) -> Evaluation:
    """Every curve and score of (n_samples, n_outputs) ``logits`` against class codes ``y_true``.

    Binary (one logit): curves of P(class 1), a report at ``threshold``. More classes: one-vs-rest
    curves and reliability diagrams per class, scores of the most probable class (``threshold`` unused).
    """
    z = np.asarray(logits)
    y = np.asarray(y_true, dtype=np.int64)
    P = probabilities(z)
    k = P.shape[1]
    if k == 2:
        pos = y == 1
        report = at_threshold(y, z, threshold)
        cm = report.confusion
        return Evaluation(
            2,
            [roc_curve(pos, P[:, 1])],
            [pr_curve(pos, P[:, 1])],
            [calibration(pos, P[:, 1], n_bins)],
            brier_score(pos, P[:, 1]),
            report,
            _scores(cm),
            cm,
        )
    cm = confusion_matrix(y, predictions(z), k)
    return Evaluation(
        k,
        [roc_curve(y == j, P[:, j]) for j in range(k)],
        [pr_curve(y == j, P[:, j]) for j in range(k)],
        [calibration(y == j, P[:, j], n_bins) for j in range(k)],
        brier_score(y, P),
        None,
        _scores(cm),
        cm,
    )


# ------------------------------------------------------------------------------------------ helpers
_EMPTY = Curve(np.empty(0), np.empty(0), np.empty(0), float("nan"))


def _binary_counts(y_true, score):
    """True and false positives at each distinct score, highest first, and those scores
    (scikit-learn's ``_binary_clf_curve``)."""
    y = np.asarray(y_true).astype(np.float64)
    s = np.asarray(score, dtype=np.float64)
    order = np.argsort(s, kind="mergesort")[::-1]
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), y.size - 1] if y.size else np.empty(0, dtype=np.int64)
    tps = np.cumsum(y)[last]
    fps = 1 + last - tps
    return tps, fps, s[last]


def _scores(cm: np.ndarray) -> ClassScores:
    """Per-class precision, recall, F1 (0 where a denominator is 0) and support of a confusion matrix."""
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    support = cm.sum(axis=1)
    true = support.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(true > 0, tp / true, 0.0)
        denom = true + predicted
        f1 = np.where(denom > 0, 2.0 * tp / denom, 0.0)
    return ClassScores(precision, recall, f1, support)
