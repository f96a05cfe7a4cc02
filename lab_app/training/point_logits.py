"""Every point's logits under given weights, for the views that judge every point (rings, metrics,
evaluation): the training thread's point probe when a frame brings it, else one forward pass.

Past :data:`~lab_app.widgets.point_sample.POINT_BUDGET` points a view runs that pass in its
``lab_app.tasks.TaskRunner`` (a (64, 64) network over 1,000,000 points takes about a second), so the
GUI thread never evaluates the model over every point of big data.
"""

from __future__ import annotations

import numpy as np

from engine.model import PointEvaluator
from lab_app.training.probes import POINTS_PROBE

__all__ = ["PointLogits", "probed_logits"]


def probed_logits(run_info, frame) -> np.ndarray | None:
    """(n_samples, n_outputs) logits of ``run_info.dataset`` the training thread computed for
    ``frame`` (a Snapshot), or None when the frame brings none for that dataset."""
    probed = (getattr(frame, "extras", None) or {}).get(POINTS_PROBE)
    if probed is not None and probed.dataset is run_info.dataset and probed.logits is not None:
        return probed.logits
    return None


class PointLogits:
    """``(model, X, params) -> (n, n_outputs)`` logits (a copy) of ``model`` with weights ``params``
    at raw points ``X`` (n, n_inputs); the features are mapped once per model and points. One
    instance is never called from two threads at once (a TaskRunner's tasks take turns)."""

    def __init__(self):
        self._key: tuple = ()
        self._evaluator: PointEvaluator | None = None

    def __call__(self, model, X: np.ndarray, params, progress=None, cancelled=None) -> np.ndarray:
        if len(X) == 0:
            return np.zeros((0, model.network.n_outputs), dtype=model.network.dtype)
        if len(self._key) != 2 or self._key[0] is not model or self._key[1] is not X:
            self._key, self._evaluator = (model, X), PointEvaluator(model, X)
        with np.errstate(all="ignore"):  # points far out: inf logits, no warning
            self._evaluator.evaluate(params)
        return self._evaluator.logits.copy()
