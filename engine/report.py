"""The report of a finished fit, as ``logit-lab fit --json`` prints it (docs/design.md §4).

One function, so the command line's ``fit`` and ``sweep`` and the lab's sweep give the same keys.
"""

from __future__ import annotations

import math

__all__ = ["REPORT_KEYS", "fit_report"]

#: The report's keys, in the order they are printed.
REPORT_KEYS = (
    "model",
    "classes",
    "features",
    "n_train",
    "n_test",
    "epochs_run",
    "stopped_because",
    "best_epoch",
    "diverged_epoch",
    "train_loss",
    "test_loss",
    "objective",
    "train_accuracy",
    "test_accuracy",
    "coef",
    "intercept",
    "seconds",
)


def fit_report(trainer, result, seconds: float) -> dict:
    """The JSON report of a :class:`~engine.training.Trainer` after ``result = trainer.fit()``.

    Losses are mean cross-entropy without the penalty (``objective`` adds it); ``coef``
    (n_logits, n_features) and ``intercept`` (n_logits,) are in original units, linear models
    only. Numbers that do not exist (no test split, not a linear model, never diverged) are
    None, never NaN, so ``json.dumps(..., allow_nan=False)`` always works.
    """
    m = trainer.current_metrics()
    model = trainer.model
    coef = intercept = None
    if model.is_linear:
        c, b = model.coef_intercept()
        coef, intercept = c.tolist(), b.tolist()
    report = {
        "model": trainer.model_name,
        "classes": [c.item() if hasattr(c, "item") else c for c in model.classes],
        "features": model.feature_names,
        "n_train": trainer.n_train,
        "n_test": trainer.n_test,
        "epochs_run": result.epochs_run,
        "stopped_because": result.stopped_because,
        "best_epoch": result.best_epoch,
        "diverged_epoch": result.diverged_epoch,
        "train_loss": m["train_loss"],
        "test_loss": m["test_loss"],
        "objective": m["objective"],
        "train_accuracy": m["train_accuracy"],
        "test_accuracy": m["test_accuracy"],
        "coef": coef,
        "intercept": intercept,
        "seconds": seconds,
    }
    return {k: _finite_or_none(v) for k, v in report.items()}


def _finite_or_none(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, list):
        return [_finite_or_none(x) for x in v]
    return v
