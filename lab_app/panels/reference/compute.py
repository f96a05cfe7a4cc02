"""The reference optimum of a run's linear model: a plain function, safe in any thread.

:func:`compute_reference` fits the engine's objective (mean cross-entropy + ``l2·Σw²`` on the
standardized weights) exactly with scikit-learn (:func:`engine.reference.fit_reference`) on the
run's training rows, adds ``glm``'s statistics for unpenalised binary models and checks the data
for separation. No Qt: the view runs it as a background task.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from engine.reference import (
    GlmStats,
    Reference,
    Separation,
    detect_separation,
    fit_reference,
    glm_statistics,
)

__all__ = ["ReferenceResult", "compute_reference"]


@dataclass(frozen=True, eq=False)  # eq=False: arrays inside
class ReferenceResult:
    """The optimum of one run's linear model, or why there is none.

    Attributes
    ----------
    run_id, token : the run and the request (a counter of the view's) it answers.
    status : "ok", "mlp" (no closed-form optimum) or "error".
    message : plain language for "mlp" and "error"; notes (e.g. L1 ignored) for "ok".
    reference : :class:`engine.reference.Reference` or None.
    glm, glm_std : ``glm`` statistics in original / standardized units (unpenalised binary only).
    separation : :class:`engine.reference.Separation` for unpenalised runs, else None.
    params : (n_params,) the optimum in the network's flat layout (standardized space).
    n_rows : training rows the optimum was fitted on.
    seconds : time the fit took.
    """

    run_id: int
    token: int
    status: str
    message: str = ""
    reference: Reference | None = None
    glm: GlmStats | None = None
    glm_std: GlmStats | None = None
    separation: Separation | None = None
    params: np.ndarray | None = None
    n_rows: int = 0
    seconds: float = 0.0

    @property
    def separable(self) -> bool:
        return bool(self.separation is not None and self.separation.separable)


def compute_reference(run_info, token: int = 0) -> ReferenceResult:
    """Fit the exact optimum of ``run_info``'s model on its training rows (pure NumPy/scikit-learn,
    safe in any thread). Never raises: failures come back as ``status == "error"``."""
    model, config = run_info.model, run_info.config
    if not model.is_linear:
        return ReferenceResult(
            run_info.run_id,
            token,
            "mlp",
            "A neural network has no closed-form optimum: its loss has many "
            "minima and saddle points, and which one training reaches depends "
            "on the initial weights. The reference is for models without "
            "hidden layers.",
        )
    start = time.perf_counter()
    try:
        ds = run_info.dataset
        idx = np.asarray(run_info.train_idx, dtype=np.int64)
        Phi = model.feature_map.transform(ds.X[idx])
        y = ds.y[idx]
        k = model.network.n_classes
        standardizer = model.standardizer if config.standardize else None
        ref = fit_reference(Phi, y, k, l2=config.l2, standardizer=standardizer)
        unpenalised = config.l2 == 0 and config.l1 == 0
        separation = detect_separation(Phi, y, k) if unpenalised else None
        glm = glm_std = None
        if k == 2 and unpenalised and not (separation is not None and separation.separable):
            glm = glm_statistics(Phi, y, ref.coef, ref.intercept)
            Z = Phi if standardizer is None else standardizer.transform(Phi)
            glm_std = glm_statistics(Z, y, ref.coef_std, ref.intercept_std)
        net = model.network.copy()
        ((W, b),) = net.layers
        W[...] = ref.coef_std.T
        b[...] = ref.intercept_std
        notes = []
        if config.l1 > 0:
            notes.append(
                f"The reference covers L2 only: it ignores this run's L1 = {config.l1:g}, "
                "so the learner settles elsewhere."
            )
        if not ref.converged:
            notes.append(
                f"scikit-learn stopped after {ref.n_iter} iterations with gradient "
                f"{ref.grad_norm:.2g}: the optimum is approximate."
            )
        return ReferenceResult(
            run_info.run_id,
            token,
            "ok",
            " ".join(notes),
            ref,
            glm,
            glm_std,
            separation,
            net.params.copy(),
            int(len(y)),
            time.perf_counter() - start,
        )
    except Exception as exc:
        return ReferenceResult(
            run_info.run_id,
            token,
            "error",
            f"No reference optimum for these data: {exc}",
            seconds=time.perf_counter() - start,
        )
