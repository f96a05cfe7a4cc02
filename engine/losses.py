"""The one place each loss, penalty and output function is written: every number the lab shows
(trainer reports, metrics, forensics, landscapes, the reference optimum, diagnostics) comes from here.

Cross-entropy is computed from logits, never from probabilities: ``softplus`` and log-sum-exp never
exponentiate a large positive number, so |z| = 1e4 gives the exact loss and no overflow warning,
where the log of a clipped (or float32-rounded) probability would not (issue 8, defect 6).
"""

from __future__ import annotations

import numpy as np

__all__ = ["cross_entropy", "logsumexp", "penalty", "prior_cross_entropy", "sample_losses", "sigmoid", "softmax"]

# Constants as 0-d arrays of the operand's dtype: a Python float operand costs a ufunc call ~0.5 µs
# more, and the network calls sigmoid in its hot loop.
_HALF = {np.dtype(t): np.array(0.5, dtype=t) for t in (np.float32, np.float64)}


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy of integer labels under ``logits``; NaN for no samples.

    Parameters
    ----------
    logits : (n_samples, 1) for a binary model (logit of the last class) or (n_samples, n_classes).
    y : (n_samples,) int class codes.
    """
    z = np.asarray(logits)
    if z.shape[0] == 0:
        return float("nan")
    return float(np.mean(sample_losses(z, y)))


def sample_losses(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cross-entropy ``−log P(yᵢ)`` of each sample, in float64.

    Parameters
    ----------
    logits : (..., n_samples, 1) binary (logit of the last class) or (..., n_samples, n_classes);
        leading axes (e.g. one per weight vector of a landscape) are kept.
    y : (n_samples,) int class codes; for binary logits, code 1 is the positive class.

    Returns
    -------
    (..., n_samples) float64 losses.
    """
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if z.shape[-1] == 1:
        # −log p(y|z) = softplus(z) for y = 0 and softplus(−z) for y = 1.
        x = z[..., 0] * (1.0 - 2.0 * (y == 1))
        return _softplus_inplace(x)
    return logsumexp(z) - z[..., np.arange(y.shape[0]), y]


def logsumexp(z: np.ndarray) -> np.ndarray:
    """``log Σ_k exp(z_k)`` over the last axis, shifted by the maximum (no overflow); (...,) float64.

    Entries of −inf count as probability 0; a row of only −inf gives −inf.
    """
    z = np.asarray(z, dtype=np.float64)
    top = np.max(z, axis=-1, keepdims=True)
    top[~np.isfinite(top)] = 0.0
    with np.errstate(divide="ignore"):  # log(0) = −inf for a row of only −inf
        return np.log(np.sum(np.exp(z - top), axis=-1)) + top[..., 0]


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The logistic function ``1 / (1 + e^−z)``, elementwise, written as ``½·tanh(z/2) + ½``.

    Never overflows, exactly 0 and 1 at the far tails, absolute error about one unit in the last
    place of ½ (so probabilities below ~1e-16 round to 0: losses come from logits, not from here).
    ``out`` (same shape and float dtype as ``z``) receives the result without allocating.
    """
    z = np.asarray(z)
    half = _HALF.get(z.dtype, 0.5)
    out = np.multiply(z, half, out=out)
    np.tanh(out, out=out)
    np.multiply(out, half, out=out)
    np.add(out, half, out=out)
    return out


def softmax(z: np.ndarray, out: np.ndarray | None = None, scratch: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis of (..., n_classes) logits, shifted by the row maximum (no overflow).

    ``out`` (the shape and float dtype of ``z``) and ``scratch`` ((..., 1), the same dtype) are
    optional preallocated buffers, so the network's forward pass allocates nothing.
    """
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    scratch = np.max(z, axis=-1, keepdims=True, out=scratch)
    out = np.subtract(z, scratch, out=out)
    np.exp(out, out=out)
    np.sum(out, axis=-1, keepdims=True, out=scratch)
    np.divide(out, scratch, out=out)
    return out


def penalty(weights: np.ndarray, l1: float = 0.0, l2: float = 0.0, axis: int | None = None):
    """``l1·Σ|w| + l2·Σw²`` (docs/design.md §2), in float64.

    Pass weights only: biases are never penalised (Keras' convention); a network's flat parameters
    times its ``weight_mask`` are exactly that.

    Parameters
    ----------
    weights : array of any shape.
    axis : None sums everything and returns a float; an axis returns one penalty per remaining
        index (e.g. ``axis=1`` for (n_vectors, n_params) rows of many weight vectors).
    """
    w = np.asarray(weights, dtype=np.float64)
    total = 0.0 if axis is None else np.zeros(np.delete(w.shape, axis))
    if l1:
        total = total + l1 * np.abs(w).sum(axis=axis)
    if l2:
        total = total + l2 * np.square(w).sum(axis=axis)
    return float(total) if axis is None else total


def prior_cross_entropy(y: np.ndarray, n_classes: int | None = None) -> float:
    """Mean cross-entropy of always predicting the class shares of ``y``: the best constant model's
    (intercept-only, R's null model) loss, the entropy ``−Σ sₖ log sₖ`` of the shares. NaN for no samples.

    Parameters
    ----------
    y : (n_samples,) int class codes.
    n_classes : number of classes (absent classes have share 0 and add nothing).
    """
    y = np.asarray(y, dtype=np.int64)
    if y.size == 0:
        return float("nan")
    counts = np.bincount(y, minlength=n_classes or 0)
    shares = counts[counts > 0] / y.size
    return float(-np.sum(shares * np.log(shares)))


def _softplus_inplace(x: np.ndarray) -> np.ndarray:
    """``log(1 + e^x)`` into ``x`` (float64), as ``max(x, 0) + log1p(e^−|x|)``: stable for any x, and
    ~3× faster than ``np.logaddexp(0, x)`` (exp and log1p are vectorised, logaddexp is not), which
    matters for the trainer's end-of-epoch evaluation of small models."""
    t = np.abs(x)
    np.negative(t, out=t)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    np.maximum(x, 0.0, out=x)
    x += t
    return x
