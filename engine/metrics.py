"""Classification metrics on class codes and probabilities."""

from __future__ import annotations

import numpy as np

from .losses import cross_entropy

__all__ = ["accuracy", "confusion_matrix", "log_loss"]


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of equal codes; NaN for no samples."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")


def log_loss(y_true: np.ndarray, proba: np.ndarray, eps: float = 1e-15) -> float:
    """Mean cross-entropy of (n_samples, n_classes) probabilities (clipped like scikit-learn's)."""
    proba = np.clip(np.asarray(proba, dtype=np.float64), eps, 1.0)
    y_true = np.asarray(y_true)
    return float(-np.mean(np.log(proba[np.arange(len(y_true)), y_true])))


def log_loss_from_logits(y_true: np.ndarray, logits: np.ndarray) -> float:
    """Exact mean cross-entropy from logits (no clipping needed)."""
    return cross_entropy(logits, y_true)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) counts; row = true class, column = predicted class."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
