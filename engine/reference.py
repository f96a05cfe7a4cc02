"""The exact optimum of linear models, to check what the trainer converges to.

The engine minimises ``mean cross-entropy + l2 * sum(w**2)`` over weights only, biases unpenalised
(Keras' convention, docs/design.md §2). scikit-learn's ``LogisticRegression`` minimises
``sum cross-entropy + sum(w**2) / (2 C)`` (intercepts unpenalised with the Newton/L-BFGS
solvers), so the two optima coincide for ``C = 1 / (2 n l2)``. ``l2 = 0`` maps to ``C = inf``,
which is how scikit-learn >= 1.8 spells "no penalty" (``penalty=None`` is deprecated there).

Standardization changes what the penalty acts on, so with a standardizer the fit is done in the
standardized space the engine trains in, and the coefficients are converted back to original units.

Also here: ``glm``-style statistics for unpenalised binary models (standard errors, deviances, AIC),
and a detector for (quasi-)separable data, where the unpenalised optimum does not exist.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .losses import cross_entropy, penalty, prior_cross_entropy, sample_losses, sigmoid, softmax
from .metrics import predictions

__all__ = [
    "GlmStats",
    "Reference",
    "Separation",
    "detect_separation",
    "fit_reference",
    "glm_statistics",
    "separation_in_history",
]

#: Largest absolute gradient of the objective (in the fitted space) that still counts as converged.
GRADIENT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Reference:
    """The optimum of a logistic (binary) or softmax (multi-class) regression.

    Attributes
    ----------
    coef : np.ndarray
        (n_logits, n_features) weights in the original units of the mapped features; n_logits is 1
        for two classes (logit of the last class), else n_classes.
    intercept : np.ndarray
        (n_logits,) intercepts in original units.
    coef_std, intercept_std : np.ndarray
        The same in the standardized space the penalty acts on (equal to ``coef``/``intercept``
        when there is no standardizer).
    loss : float
        Mean cross-entropy at the optimum.
    objective : float
        ``loss + l2 * sum(coef_std**2)``, the quantity the engine minimises.
    log_likelihood : float
        ``-n * loss``.
    deviance : float
        ``2 n loss`` (the saturated model of 0/1 outcomes has log-likelihood 0).
    aic : float
        ``deviance + 2 n_params`` (for a penalised fit this ignores the shrinkage).
    n_params : int
        Identifiable parameters: (n_features + 1) per logit, with n_classes - 1 logits for softmax.
    converged : bool
        The engine-convention gradient, recomputed here, is below :data:`GRADIENT_TOLERANCE` and
        the solver stopped before ``max_iter``. On separable data without penalty this can still be
        True (the gradient vanishes as the weights run off); use :func:`detect_separation`.
    grad_norm : float
        Largest absolute gradient component of the objective in the fitted space.
    n_iter : int
        Solver iterations.
    l2 : float
        The penalty the optimum belongs to.
    messages : tuple of str
        Warnings the solver raised (silenced, kept here for diagnosis).
    """

    coef: np.ndarray
    intercept: np.ndarray
    coef_std: np.ndarray
    intercept_std: np.ndarray
    loss: float
    objective: float
    log_likelihood: float
    deviance: float
    aic: float
    n_params: int
    converged: bool
    grad_norm: float
    n_iter: int
    l2: float
    messages: tuple[str, ...] = ()


def fit_reference(
    Phi: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    l2: float = 0.0,
    standardizer=None,
    *,
    max_iter: int = 1000,
    tol: float = 1e-10,
) -> Reference:
    """Fit the exact optimum of the engine's linear-model objective with scikit-learn.

    Parameters
    ----------
    Phi : np.ndarray
        (n_samples, n_features) mapped features in original units.
    y : np.ndarray
        (n_samples,) integer class codes 0..n_classes-1; every class must occur.
    n_classes : int
        Number of classes (2 -> one logit, positive = last class; more -> softmax).
    l2 : float
        The engine's λ: objective = mean cross-entropy + λ Σ w² (weights only).
    standardizer : object or None
        Anything with ``mean_`` and ``scale_`` of shape (n_features,): the engine trains on
        ``(Phi - mean_) / scale_``, so the penalty acts on the standardized weights.
    max_iter, tol : int, float
        Passed to scikit-learn's ``newton-cg`` solver.

    Returns
    -------
    Reference

    Notes
    -----
    Softmax with one logit per class is not identifiable: adding the same vector to every class's
    weights and the same constant to every intercept leaves the probabilities unchanged. Without a
    penalty that holds for weights and intercepts, with one for the intercepts (biases are not
    penalised). We pin the solution by centring: weights and intercepts sum to zero over the
    classes. That is the minimum-norm member of the family and, for l2 > 0, the penalised optimum's
    weights already satisfy it. To compare a trained softmax with this, centre its parameters the
    same way (or compare probabilities).
    """
    Phi = np.asarray(Phi, dtype=np.float64)
    y = np.asarray(y)
    _check_inputs(Phi, y, n_classes)
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    n = Phi.shape[0]
    if standardizer is None:
        Z = Phi
    else:
        mean = np.asarray(standardizer.mean_, dtype=np.float64)
        scale = np.asarray(standardizer.scale_, dtype=np.float64)
        Z = (Phi - mean) / scale

    strength = {"C": 1.0 / (2.0 * n * l2)} if l2 > 0 else _no_penalty()
    from sklearn.linear_model import LogisticRegression  # lazy: importing scikit-learn takes ~1 s

    model = LogisticRegression(solver="newton-cg", tol=tol, max_iter=max_iter, **strength)
    with warnings.catch_warnings(record=True) as caught:
        # Solver complaints (line search, iteration limit) are judged by our own gradient below.
        warnings.simplefilter("always")
        model.fit(Z, y)
    coef_std = np.array(model.coef_, dtype=np.float64)
    intercept_std = np.array(model.intercept_, dtype=np.float64)
    if n_classes > 2:
        coef_std -= coef_std.mean(axis=0)
        intercept_std -= intercept_std.mean()

    if standardizer is None:
        coef, intercept = coef_std.copy(), intercept_std.copy()
    else:
        coef = coef_std / scale
        intercept = intercept_std - coef_std @ (mean / scale)

    logits = Z @ coef_std.T + intercept_std
    loss = cross_entropy(logits, y)
    grad_w, grad_b = _gradient(Z, y, logits, coef_std, l2)
    grad_norm = float(max(np.abs(grad_w).max(initial=0.0), np.abs(grad_b).max()))
    n_iter = int(np.max(model.n_iter_))
    n_logits = 1 if n_classes == 2 else n_classes - 1
    n_params = n_logits * (Phi.shape[1] + 1)
    deviance = 2.0 * n * loss
    return Reference(
        coef=coef,
        intercept=intercept,
        coef_std=coef_std,
        intercept_std=intercept_std,
        loss=loss,
        objective=loss + penalty(coef_std, l2=l2),
        log_likelihood=-n * loss,
        deviance=deviance,
        aic=deviance + 2.0 * n_params,
        n_params=n_params,
        converged=bool(grad_norm <= GRADIENT_TOLERANCE and n_iter < max_iter),
        grad_norm=grad_norm,
        n_iter=n_iter,
        l2=float(l2),
        messages=tuple(str(w.message) for w in caught),
    )


@dataclass(frozen=True)
class GlmStats:
    """What R's ``summary(glm(y ~ ., binomial))`` prints, for an unpenalised binary model.

    Attributes
    ----------
    estimates : np.ndarray
        (n_features + 1,) ``[intercept, w_1 .. w_m]`` (R's row order).
    std_errors : np.ndarray
        (n_features + 1,) square roots of the diagonal of ``covariance``.
    z_values : np.ndarray
        (n_features + 1,) ``estimates / std_errors``.
    p_values : np.ndarray
        (n_features + 1,) two-sided normal p-values, ``Pr(>|z|)``.
    covariance : np.ndarray
        (n_features + 1, n_features + 1) inverse Fisher information ``(X^T W X)^-1`` with an
        intercept column first in X; NaN when the information matrix is singular.
    log_likelihood, deviance, null_deviance, aic : float
        ``deviance = -2 log_likelihood``, ``null_deviance`` of the intercept-only model,
        ``aic = deviance + 2 (n_features + 1)``.
    df_residual, df_null : int
        ``n - (n_features + 1)`` and ``n - 1``.
    """

    estimates: np.ndarray
    std_errors: np.ndarray
    z_values: np.ndarray
    p_values: np.ndarray
    covariance: np.ndarray
    log_likelihood: float
    deviance: float
    null_deviance: float
    aic: float
    df_residual: int
    df_null: int


def glm_statistics(Phi: np.ndarray, y: np.ndarray, coef: np.ndarray, intercept: np.ndarray | float) -> GlmStats:
    """Standard errors and deviances of a binary logistic model at given coefficients.

    The standard errors are only meaningful at the unpenalised optimum (e.g. from
    :func:`fit_reference` with ``l2=0``), where the inverse Fisher information is the asymptotic
    covariance of the estimates.

    Parameters
    ----------
    Phi : np.ndarray
        (n_samples, n_features) features in the units the coefficients refer to.
    y : np.ndarray
        (n_samples,) 0/1 codes (1 = positive = last class).
    coef : np.ndarray
        (n_features,) or (1, n_features) weights.
    intercept : float or np.ndarray
        Scalar or (1,) intercept.

    Returns
    -------
    GlmStats
    """
    Phi = np.asarray(Phi, dtype=np.float64)
    y = np.asarray(y)
    _check_inputs(Phi, y, 2)
    w = np.asarray(coef, dtype=np.float64).reshape(-1)
    b = float(np.asarray(intercept, dtype=np.float64).reshape(-1)[0])
    n, m = Phi.shape
    if w.shape != (m,):
        raise ValueError(f"coef must have {m} entries for {m} features, got shape {np.shape(coef)}")
    X1 = np.column_stack([np.ones(n), Phi])
    z = X1 @ np.concatenate([[b], w])
    log_likelihood = -float(np.sum(sample_losses(z[:, None], y)))
    p = sigmoid(z)
    fisher = (X1 * (p * (1.0 - p))[:, None]).T @ X1
    try:
        covariance = np.linalg.inv(fisher)
    except np.linalg.LinAlgError:
        covariance = np.full((m + 1, m + 1), np.nan)
    std_errors = np.sqrt(np.diag(covariance))
    estimates = np.concatenate([[b], w])
    with np.errstate(divide="ignore", invalid="ignore"):
        z_values = estimates / std_errors
    p_values = np.array([math.erfc(abs(v) / math.sqrt(2.0)) if np.isfinite(v) else np.nan for v in z_values])
    null_ll = -n * prior_cross_entropy(y, 2)  # the intercept-only model's log-likelihood
    deviance = -2.0 * log_likelihood
    return GlmStats(
        estimates=estimates,
        std_errors=std_errors,
        z_values=z_values,
        p_values=p_values,
        covariance=covariance,
        log_likelihood=log_likelihood,
        deviance=deviance,
        null_deviance=-2.0 * null_ll,
        aic=deviance + 2.0 * (m + 1),
        df_residual=n - (m + 1),
        df_null=n - 1,
    )


@dataclass(frozen=True)
class Separation:
    """Verdict of :func:`detect_separation`.

    Attributes
    ----------
    separable : bool
        The weight norm keeps growing as the penalty shrinks: (quasi-)complete separation, so the
        unpenalised optimum does not exist and training without L2 runs the weights off to infinity.
    complete : bool
        Training accuracy is 100 % at the smallest penalty (complete rather than quasi-complete).
    lambdas : tuple of float
        The penalties tried, decreasing.
    weight_norms : tuple of float
        Euclidean norm of the standardized weights at each penalty.
    accuracy : float
        Training accuracy at the smallest penalty.
    """

    separable: bool
    complete: bool
    lambdas: tuple[float, ...]
    weight_norms: tuple[float, ...]
    accuracy: float


def detect_separation(
    Phi: np.ndarray, y: np.ndarray, n_classes: int, *, lambdas: Sequence[float] = (1e-8, 1e-10), growth: float = 1.05
) -> Separation:
    """Tell whether the classes are (quasi-)separable by a linear model on ``Phi``.

    Idea (no linear programming): follow the L2-penalised optimum as λ shrinks. If the
    unpenalised optimum exists, the penalised one converges to it: between λ = 1e-8 and 1e-10 the
    weight norm changes by about 2 λ / h, h the smallest eigenvalue of the per-sample Hessian
    (measured: < 1e-4 relative on ordinary overlapping data). If the data are separable, the norm
    grows like log(1/λ) / margin without bound: about 1.25x or more over those two decades. A
    ratio above ``growth`` (default 1.05) therefore means "separable". The features are
    standardized first (separability does not depend on affine rescaling, the solver's
    conditioning does).

    The verdict can be wrong only for data so close to separable that h < ~4e-7, where the
    unpenalised estimates are enormous anyway.

    Parameters
    ----------
    Phi : np.ndarray
        (n_samples, n_features) mapped features.
    y : np.ndarray
        (n_samples,) integer class codes; every class must occur.
    n_classes : int
        Number of classes (binary logistic or softmax).
    lambdas : sequence of float
        Decreasing penalties; the first and last are compared.
    growth : float
        Ratio of weight norms (last / first) above which the data count as separable.

    Returns
    -------
    Separation
    """
    Phi = np.asarray(Phi, dtype=np.float64)
    y = np.asarray(y)
    _check_inputs(Phi, y, n_classes)
    lambdas = tuple(float(v) for v in lambdas)
    if len(lambdas) < 2 or any(a <= b for a, b in zip(lambdas, lambdas[1:])) or lambdas[-1] <= 0:
        raise ValueError(f"lambdas must be at least two positive, decreasing values, got {lambdas}")
    scale = Phi.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (Phi - Phi.mean(axis=0)) / scale
    norms = []
    for lam in lambdas:
        ref = fit_reference(Z, y, n_classes, l2=lam)
        norms.append(float(np.linalg.norm(ref.coef_std)))
    logits = Z @ ref.coef_std.T + ref.intercept_std
    predicted = predictions(logits)
    accuracy = float(np.mean(predicted == y))
    separable = norms[-1] > growth * norms[0]
    return Separation(
        separable=bool(separable),
        complete=bool(separable and accuracy == 1.0),
        lambdas=lambdas,
        weight_norms=tuple(norms),
        accuracy=accuracy,
    )


def separation_in_history(
    train_accuracy: Sequence[float],
    weight_norm: Sequence[float],
    *,
    l2: float = 0.0,
    l1: float = 0.0,
    window: int = 20,
    min_increasing: float = 0.8,
    min_growth: float = 0.0,
) -> bool:
    """Tell from a linear model's training run whether its weights are running off to infinity.

    Cheap enough to call after every epoch. A linear model at 100 % training accuracy has found a
    separating hyperplane, so the data are separable; without a penalty the loss then keeps falling
    as the weights grow, and the norm rises for ever (slowly: like log(epoch), so the relative
    growth over a window is small, ~0.3 % per 20 epochs after 2000 Adam epochs). It fires when,
    over the last ``window`` epochs, training accuracy stayed at 100 %, the weight norm rose in at
    least ``min_increasing`` of the steps (minibatch noise may cause the odd dip) and ended higher
    than it started by more than ``min_growth`` (relative). With ``l2`` or ``l1`` > 0 the optimum
    exists and it never fires. For a verdict from the data alone use :func:`detect_separation`.

    Parameters
    ----------
    train_accuracy : sequence of float
        Per-epoch training accuracy, oldest first (``EpochReport.train_accuracy``).
    weight_norm : sequence of float
        Per-epoch weight norm, oldest first (``EpochReport.weight_norm``).
    l2, l1 : float
        The run's penalties.
    window : int
        Number of most recent epochs to look at; fewer epochs than that never fire.
    min_increasing : float
        Fraction of epoch-to-epoch steps in which the norm must rise.
    min_growth : float
        Relative growth of the norm over the window required to fire.

    Returns
    -------
    bool
    """
    if window < 2:
        raise ValueError(f"window must be at least 2, got {window}")
    if l2 > 0 or l1 > 0:
        return False
    accuracy = np.asarray(train_accuracy, dtype=np.float64)[-window:]
    norm = np.asarray(weight_norm, dtype=np.float64)[-window:]
    if accuracy.size < window or norm.size < window:
        return False
    if not np.all(accuracy >= 1.0) or not np.isfinite(norm).all():
        return False
    rising = np.mean(np.diff(norm) > 0)
    return bool(rising >= min_increasing and norm[-1] > (1.0 + min_growth) * norm[0])


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _no_penalty() -> dict:
    """scikit-learn's spelling of "no penalty": ``C=inf`` from 1.8, ``penalty=None`` before."""
    import sklearn

    major, minor = (int(part) for part in sklearn.__version__.split(".")[:2])
    return {"C": np.inf} if (major, minor) >= (1, 8) else {"penalty": None}


def _check_inputs(Phi: np.ndarray, y: np.ndarray, n_classes: int) -> None:
    if Phi.ndim != 2 or Phi.shape[0] == 0 or Phi.shape[1] == 0:
        raise ValueError(f"Phi must be a non-empty (n_samples, n_features) array, got {Phi.shape}")
    if y.shape != (Phi.shape[0],):
        raise ValueError(f"y must have shape ({Phi.shape[0]},), got {y.shape}")
    if not np.isfinite(Phi).all():
        raise ValueError("Phi contains NaN or infinite values")
    if n_classes < 2:
        raise ValueError(f"need at least 2 classes, got {n_classes}")
    present = np.unique(y)
    if not np.array_equal(present, np.arange(n_classes)):
        # A missing class would have its logit pushed to -inf: no optimum exists.
        raise ValueError(f"y must contain every class code 0..{n_classes - 1}, found {present.tolist()}")


def _gradient(Z, y, logits, coef, l2):
    """Gradient of mean CE + l2 * sum(coef**2): w.r.t. coef (n_logits, m), intercept (n_logits,)."""
    n = len(y)
    if logits.shape[1] == 1:
        residual = (sigmoid(logits[:, 0]) - y)[:, None] / n
    else:
        P = softmax(logits)
        P[np.arange(n), y] -= 1.0
        residual = P / n
    return residual.T @ Z + 2.0 * l2 * coef, residual.sum(axis=0)
