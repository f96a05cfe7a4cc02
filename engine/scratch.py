"""Logistic regression written from scratch (batch gradient descent), with the classic bugs.

Lesson 4 ("from scratch, with the classic bugs") lets a user pick one of :data:`BUGS` and see
what it does to the boundary and the loss beside the correct update. The code is the textbook
loop, small enough to read in one sitting (micrograd's spirit, docs/style.md)::

    z = X·w + b;  a = σ(z);  dz = a − y;  dw = Xᵀ·dz / m;  db = Σdz / m;  w −= lr·dw;  b −= lr·db

Each bug changes one line of it. :func:`gradient_check` compares the update's gradient with
central differences of the true loss and names the components that are wrong, so a bug in the
gradient is found, and a bug in the data (``row_norm``) is shown to pass the check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import cross_entropy, sigmoid

__all__ = ["BUGS", "GradientCheck", "ScratchRun", "gradient_check", "scratch_fit"]

#: name -> the line that is wrong, as the lesson's list shows it.
BUGS = {
    "correct": "correct update: w −= lr · Xᵀ(a − y)/m",
    "sign": "gradient sign flipped: w += lr · Xᵀ(a − y)/m",
    "orientation": "dw = X·dz with the wrong orientation (X reshaped to (d, m), not transposed)",
    "labels": "labels inverted: dz = a − (1 − y)",
    "no_mean": "no 1/m: dw = Xᵀ(a − y), a sum over all points (with a learning rate meant for the mean)",
    "row_norm": "rows L2-normalized (x / ‖x‖) instead of columns standardized",
}
#: A component of the gradient is wrong when its relative error exceeds this.
GRADIENT_TOLERANCE = 1e-5


@dataclass(frozen=True, eq=False)
class ScratchRun:
    """One from-scratch run.

    Attributes
    ----------
    bug : key of :data:`BUGS`.
    w : (d,) weights and ``b`` the bias, on the prepared inputs (:meth:`prepare`).
    losses : (epochs + 1,) the true mean cross-entropy (right labels) before each update and after the last.
    accuracy : share of points classified right at the end.
    diverged : the loss ended above 4× its start or is no longer finite.
    mean, scale : the column standardization fitted on the data (unused by ``row_norm``).
    """

    bug: str
    w: np.ndarray
    b: float
    losses: np.ndarray
    accuracy: float
    diverged: bool
    mean: np.ndarray
    scale: np.ndarray

    def prepare(self, X: np.ndarray) -> np.ndarray:
        """Raw inputs (n, d) as the update saw them: columns standardized, or (the bug) rows normalized."""
        return _prepare(np.asarray(X, dtype=np.float64), self.bug, self.mean, self.scale)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n,) P(class 1) of raw inputs ``X`` (n, d)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return sigmoid(self.prepare(X) @ self.w + self.b)


@dataclass(frozen=True)
class GradientCheck:
    """The update's gradient against central differences of the true loss, per component."""

    names: tuple[str, ...]  # "dw[0]", …, "db"
    analytic: np.ndarray
    numeric: np.ndarray
    relative_error: np.ndarray

    @property
    def wrong(self) -> tuple[str, ...]:
        """The components whose relative error exceeds :data:`GRADIENT_TOLERANCE`."""
        return tuple(n for n, e in zip(self.names, self.relative_error, strict=True) if not e <= GRADIENT_TOLERANCE)


def scratch_fit(X, y, bug: str = "correct", lr: float = 0.5, epochs: int = 100, seed: int = 0) -> ScratchRun:
    """Batch gradient descent on ``X`` (m, d) and 0/1 labels ``y`` (m,) with ``bug`` in its update."""
    if bug not in BUGS:
        raise ValueError(f"unknown bug {bug!r}; choose from {', '.join(BUGS)}")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    Xp = _prepare(X, bug, mean, scale)
    rng = np.random.default_rng(seed)
    w, b = 0.01 * rng.standard_normal(X.shape[1]), 0.0
    losses = [_loss(Xp, y, w, b)]
    for _ in range(epochs):
        dw, db = _gradient(Xp, y, w, b, bug)
        step = -1.0 if bug == "sign" else 1.0  # the bug: climb the loss instead of descending it
        w, b = w - step * lr * dw, b - step * lr * db
        losses.append(_loss(Xp, y, w, b))
        if not np.isfinite(losses[-1]):
            break
    losses = np.asarray(losses)
    with np.errstate(over="ignore", invalid="ignore"):
        accuracy = float(np.mean((Xp @ w + b > 0) == (y > 0.5)))
    diverged = not np.isfinite(losses[-1]) or losses[-1] > 4.0 * losses[0]
    return ScratchRun(bug, w, float(b), losses, accuracy, bool(diverged), mean, scale)


def gradient_check(X, y, bug: str = "correct", seed: int = 1, h: float = 1e-6) -> GradientCheck:
    """Compare the (possibly buggy) update's gradient with central differences of the true loss
    on the same prepared inputs, at a random point; ``wrong`` names the components that differ."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    Xp = _prepare(X, bug, mean, np.where(scale > 0, scale, 1.0))
    rng = np.random.default_rng(seed)
    theta = rng.normal(0.0, 0.5, X.shape[1] + 1)
    dw, db = _gradient(Xp, y, theta[:-1], theta[-1], bug)
    analytic = np.append(-dw if bug == "sign" else dw, -db if bug == "sign" else db)
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (_loss(Xp, y, up[:-1], up[-1]) - _loss(Xp, y, down[:-1], down[-1])) / (2 * h)
    error = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
    names = tuple(f"dw[{i}]" for i in range(X.shape[1])) + ("db",)
    return GradientCheck(names, analytic, numeric, error)


def _prepare(X: np.ndarray, bug: str, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    if bug == "row_norm":  # the bug: each point scaled to length 1, which throws its distance away
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        return X / np.where(norms > 0, norms, 1.0)
    return (X - mean) / scale


def _gradient(Xp: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, bug: str):
    """The update's (dw, db) before the step's sign; each bug is one changed line."""
    m = len(y)
    with np.errstate(over="ignore", invalid="ignore"):
        a = sigmoid(Xp @ w + b)
    dz = a - (1.0 - y if bug == "labels" else y)
    if bug == "orientation":
        dw = Xp.reshape(Xp.shape[1], m) @ dz / m  # reshape is not a transpose: rows and points mix
    elif bug == "no_mean":
        return Xp.T @ dz, float(dz.sum())
    else:
        dw = Xp.T @ dz / m
    return dw, float(dz.sum() / m)


def _loss(Xp: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> float:
    """The true mean cross-entropy (right labels) of the weights."""
    with np.errstate(over="ignore", invalid="ignore"):
        z = (Xp @ w + b)[:, None]
    return float(cross_entropy(z, y.astype(np.int64))) if np.all(np.isfinite(z)) else float("inf")
