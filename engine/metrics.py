"""Classification metrics from logits and class codes: predicted classes, accuracy, confusion matrix.

The log-loss is :func:`engine.losses.cross_entropy` (from logits); it is not repeated here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "confusion_matrix", "predictions"]


def predictions(logits: np.ndarray) -> np.ndarray:
    """(n_samples,) predicted class codes of (n_samples, 1) binary or (n_samples, n_classes) logits.

    Binary: class 1 when the logit is positive (P > ½); otherwise the largest logit. A tie goes to
    the lower code, as ``argmax`` of the probabilities would.
    """
    z = np.asarray(logits)
    if z.shape[1] == 1:
        return (z[:, 0] > 0).astype(np.int64)
    return np.argmax(z, axis=1)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of equal codes; NaN for no samples."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) counts; row = true class, column = predicted class.

    One ``bincount``: scikit-learn's ``confusion_matrix`` gives the same numbers but its argument
    checks cost ~10 ms a call, too much for a panel updated while training.
    """
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
