"""Live signals of a training run, for the convergence doctor (:mod:`engine.diagnostics`).

* :func:`model_signals` — cheap numbers computed at an epoch boundary from the trainer's model and a
  fixed subsample of its training inputs (saturated logits, dead ReLUs, class shares and recall,
  input conditioning, loss oscillation, plus the latest :class:`~engine.training.EpochReport`).
  Everything in it is a plain Python number, list or string, so it can cross a thread boundary.
* :func:`hessian_stats` — for linear models, the curvature of the objective at the current weights
  in the space the optimizer sees: largest and smallest eigenvalue, condition number and the stable
  learning-rate bound ``2/λ_max`` of plain gradient descent.

Every threshold is a named constant below with the reason for its value.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .losses import logsumexp, prior_cross_entropy, sigmoid, softmax
from .metrics import confusion_matrix, predictions
from .network import ACTIVATION_FUNCTIONS, augment

__all__ = [
    "HessianStats",
    "hessian_stats",
    "input_condition",
    "linear_hessian",
    "loss_oscillation",
    "model_signals",
]

#: |logit| above this is "saturated": the probability is within e⁻⁸ ≈ 3.4·10⁻⁴ of 0 or 1, the point
#: where float32 probabilities print as 0.000 / 1.000 and R's glm would warn.
SATURATION_LOGIT = 8.0
#: Rows sampled (fixed seed) for signals and curvature: statistics of ≤ 2000 rows are accurate to
#: about 1 % and cost about a millisecond.
MAX_ROWS = 2000
#: Eigenvalues below this fraction of the largest are rounding noise of exactly flat directions
#: (collinear or constant columns); gradient descent never moves along those, so κ ignores them.
EIGEN_FLOOR = 1e-12
# Loss oscillation (the lr_too_high verdict's evidence): with full-batch gradient descent below the
# stable bound the loss never rises (descent lemma); minibatch noise makes small rises, so only rises
# above both floors count.
OSCILLATION_WINDOW = 10  # epochs looked at for repeated rises
RISE_RELATIVE = 0.05  # a rise must exceed 5 % of the previous loss ...
RISE_ABSOLUTE = 0.02  # ... and 2 % of ln k, the loss of a uniform guess
SPIKE_WINDOW = 50  # epochs looked at for a single overshoot
SPIKE_FACTOR = 2.0  # the loss more than doubled in one epoch ...
SPIKE_ABSOLUTE = 0.25  # ... by more than a quarter of ln k


@dataclass(frozen=True)
class HessianStats:
    """Curvature of mean cross-entropy + ``l2·Σw²`` at one point, in the optimizer's coordinates.

    Attributes
    ----------
    lambda_max, lambda_min : largest and smallest eigenvalue (softmax: identifiable subspace).
    condition_number : ``lambda_max / lambda_min`` (inf when the objective is flat in a direction).
    stable_lr_bound : ``2 / lambda_max``: plain gradient descent with a larger step overshoots along
        the steepest direction and oscillates or diverges near these weights.
    global_lr_bound : ``2 / L`` with ``L`` Böhning's bound on the Hessian over *all* weights
        (``XᵀX/4n`` binary, ``XᵀX/2n`` softmax, ``+ 2·l2``): below it the loss falls at every step.
    input_condition : condition number of ``XᵀX/n`` of the inputs with their bias column.
    eigenvalues : every eigenvalue used, ascending.
    n_rows : rows the statistics were computed on.
    """

    lambda_max: float
    lambda_min: float
    condition_number: float
    stable_lr_bound: float
    global_lr_bound: float
    input_condition: float
    eigenvalues: tuple = ()
    n_rows: int = 0

    def lr_bound(self, optimizer: str = "sgd", momentum: float = 0.9, nesterov: bool = False) -> float | None:
        """Largest stable step of ``optimizer`` near these weights (the quadratic model's limit):
        ``2/λ`` for sgd, ``2(1+μ)/λ`` for heavy-ball momentum, ``2(1+μ)/((1+2μ)λ)`` for Nesterov;
        None for Adam, whose step is normalised per coordinate."""
        if optimizer == "sgd":
            return self.stable_lr_bound
        if optimizer == "momentum":
            factor = (1.0 + momentum) / (1.0 + 2.0 * momentum) if nesterov else 1.0 + momentum
            return self.stable_lr_bound * factor
        return None


# ------------------------------------------------------------------------------------- signals
def model_signals(trainer, max_rows: int = MAX_ROWS) -> dict:
    """Health signals of the trainer's current model, computed at an epoch boundary.

    Parameters
    ----------
    trainer : :class:`engine.training.Trainer`.
    max_rows : training rows sampled (fixed seed, so consecutive epochs see the same rows).

    Returns
    -------
    dict with the latest EpochReport's fields (absent before the first epoch) and
        ``n_rows``, ``n_classes``, ``classes`` (str), ``is_linear``, ``activation``, ``lr``,
        ``stopped_because``, ``initial_loss`` (of the initial weights); ``saturated_share``
        (|z| > 8; softmax: log-odds of the top class), ``confident_wrong_share``;
        ``dead_relu_share`` and ``dead_relu_per_layer`` (None unless relu hidden layers);
        ``class_shares``, ``predicted_shares``, ``recall`` (per class), ``majority_share``,
        ``baseline_loss`` (entropy of the class shares); ``input_condition`` (κ of the inputs as
        fed, bias column included), ``standardized_condition`` and ``standardized_lambda_max``
        (κ and largest eigenvalue of XᵀX/n if they were standardized), ``feature_names`` and
        ``feature_scales`` (sd of each mapped feature); ``loss_oscillation`` (see
        :func:`loss_oscillation`, over the whole history). Only plain numbers, strings, lists and
        None: safe to put in a snapshot for the GUI thread.
    """
    model, net = trainer.model, trainer.network
    X_raw, y = _training_sample(trainer, max_rows)
    phi = model.feature_map.transform(X_raw)
    inputs = model.standardizer.transform(phi)
    logits, hidden = _forward(net, inputs)
    k = net.n_classes
    pred = predictions(logits)
    confidence = np.abs(logits[:, 0]) if k == 2 else _top_log_odds(logits)
    saturated = confidence > SATURATION_LOGIT
    y_all = trainer.dataset.y[trainer.train_idx]
    class_shares = np.bincount(y_all, minlength=k) / max(len(y_all), 1)
    confusion = confusion_matrix(y, pred, k)
    counts, hits = confusion.sum(axis=1), np.diag(confusion)
    dead = None
    if hidden and net.activation == "relu":
        dead = [float(np.mean(np.all(h <= 0.0, axis=0))) for h in hidden]
    scale = phi.std(axis=0)
    spread = scale > 0
    standardized = (phi[:, spread] - phi[:, spread].mean(axis=0)) / scale[spread]
    report = trainer.history[-1] if trainer.history else None
    signals = dataclasses.asdict(report) if report is not None else {}
    signals.update(
        n_rows=int(len(y)),
        n_classes=int(k),
        classes=[str(c) for c in trainer.dataset.classes],
        is_linear=bool(net.is_linear),
        activation=net.activation if net.hidden else None,
        lr=float(trainer.lr),
        stopped_because=trainer.stopped_because,
        initial_loss=float(trainer.initial_loss),
        saturated_share=float(np.mean(saturated)) if len(y) else 0.0,
        confident_wrong_share=float(np.mean(saturated & (pred != y))) if len(y) else 0.0,
        dead_relu_per_layer=dead,
        dead_relu_share=(
            None if dead is None else float(sum(d * h for d, h in zip(dead, net.hidden)) / sum(net.hidden))
        ),
        class_shares=class_shares.tolist(),
        predicted_shares=(confusion.sum(axis=0) / max(len(y), 1)).tolist(),
        recall=[float(hits[c] / counts[c]) if counts[c] else None for c in range(k)],
        majority_share=float(class_shares.max()),
        baseline_loss=prior_cross_entropy(y_all, k) if len(y_all) else 0.0,
        input_condition=input_condition(augment(inputs, np.float64)),
        standardized_condition=input_condition(augment(standardized, np.float64)),
        standardized_lambda_max=float(np.linalg.eigvalsh(_second_moment(augment(standardized, np.float64)))[-1]),
        feature_names=list(model.feature_names),
        feature_scales=scale.tolist(),
        loss_oscillation=_recent_oscillation(trainer.history, k),
    )
    return signals


def _recent_oscillation(history, n_classes: int) -> dict:
    """:func:`loss_oscillation` of the newest epochs (a long run's history is decimated further
    back: engine.history), its spike index turned into the epoch."""
    epochs, _ = history.arrays()
    tail = max(0, len(epochs) - SPIKE_WINDOW - 1)
    out = loss_oscillation(history.column("train_loss")[tail:], n_classes)
    if out["spike_epoch"] is not None:
        out["spike_epoch"] = int(epochs[tail + out["spike_epoch"] - 1])
    return out


def loss_oscillation(losses, n_classes: int = 2) -> dict:
    """Repeated rises and single overshoots in a loss curve (oldest first).

    Returns ``{"rises", "window", "max_rise", "spike_epoch", "spike_from", "spike_to"}``: rises of
    more than :data:`RISE_RELATIVE` of the loss and :data:`RISE_ABSOLUTE`·ln k among the last
    :data:`OSCILLATION_WINDOW` steps, the largest relative rise there, and the latest epoch (1-based
    index into ``losses``) within the last :data:`SPIKE_WINDOW` where the loss more than doubled by
    more than :data:`SPIKE_ABSOLUTE`·ln k (None if none).
    """
    L = np.asarray(losses, dtype=np.float64)
    chance = math.log(n_classes)
    out = {"rises": 0, "window": 0, "max_rise": 0.0, "spike_epoch": None, "spike_from": None, "spike_to": None}
    if L.size < 2 or not np.isfinite(L).all():
        return out
    d, prev = np.diff(L), L[:-1]
    recent = slice(max(0, d.size - OSCILLATION_WINDOW), d.size)
    rising = (d[recent] > RISE_RELATIVE * prev[recent]) & (d[recent] > RISE_ABSOLUTE * chance)
    out.update(
        rises=int(rising.sum()),
        window=int(d[recent].size),
        max_rise=float(max(0.0, (d[recent] / np.maximum(prev[recent], 1e-300)).max())),
    )
    start = max(0, d.size - SPIKE_WINDOW)
    spikes = np.flatnonzero((L[start + 1 :] > SPIKE_FACTOR * prev[start:]) & (d[start:] > SPIKE_ABSOLUTE * chance))
    if spikes.size:
        i = start + int(spikes[-1])
        out.update(spike_epoch=i + 2, spike_from=float(L[i]), spike_to=float(L[i + 1]))
    return out


# ------------------------------------------------------------------------------------ curvature
def hessian_stats(source, params=None, *, l2: float = 0.0, max_rows: int = MAX_ROWS) -> HessianStats:
    """Curvature of a linear model's objective at its current (or given) weights.

    Parameters
    ----------
    source : a :class:`~engine.training.Trainer` with a linear model (its standardized training
        inputs, weights and ``config.l2`` are used), or the augmented inputs ``Xa``
        (n_samples, n_features + 1) whose last column is ones, exactly as the network sees them.
    params : with an array ``source``: the flat parameters in the network's layout
        ((n_features + 1) × n_outputs, bias row last); n_outputs 1 = binary, else softmax.
    l2 : with an array ``source``: the penalty ``l2·Σw²`` on weights (the l1 term has no curvature).
    max_rows : a trainer's training rows are sampled (fixed seed) down to this many.

    Notes
    -----
    The Hessian of cross-entropy does not depend on the labels. Softmax with one logit per class
    is flat along "add the same vector to every class" (it does not change any probability), so its
    eigenvalues are taken on the identifiable subspace; along the flat directions the curvature is
    ``2·l2`` (weights) or 0 (biases), which only enters ``lambda_max`` if it is the largest.
    """
    if hasattr(source, "network") and hasattr(source, "config"):
        trainer = source
        if not trainer.network.is_linear:
            raise ValueError("curvature is computed for models without hidden layers only")
        X_raw, _ = _training_sample(trainer, max_rows)
        Xa = augment(trainer.model.features(X_raw), np.float64)
        params, l2 = trainer.network.params, trainer.config.l2
    else:
        Xa = np.asarray(source, dtype=np.float64)
        if params is None:
            raise ValueError("pass the flat parameters with an input matrix")
    params = np.asarray(params, dtype=np.float64).ravel()
    d = Xa.shape[1]
    if params.size % d:
        raise ValueError(f"{params.size} parameters do not fit inputs with {d} columns")
    n_out = params.size // d
    H = linear_hessian(Xa, params, l2=l2)
    if n_out > 1:
        basis = np.kron(np.eye(d), _centred_basis(n_out))
        eig = np.linalg.eigvalsh(basis.T @ H @ basis)
        flat_max = 2.0 * l2 if d > 1 else 0.0
    else:
        eig, flat_max = np.linalg.eigvalsh(H), 0.0
    lam_max = float(max(eig[-1], flat_max))
    lam_min = _smallest(eig)
    bound = np.linalg.eigvalsh(_second_moment(Xa))[-1] * (0.25 if n_out == 1 else 0.5) + 2.0 * l2
    return HessianStats(
        lambda_max=lam_max,
        lambda_min=lam_min,
        condition_number=lam_max / lam_min if lam_min > 0 else math.inf,
        stable_lr_bound=2.0 / lam_max if lam_max > 0 else math.inf,
        global_lr_bound=float(2.0 / bound) if bound > 0 else math.inf,
        input_condition=input_condition(Xa),
        eigenvalues=tuple(float(v) for v in eig),
        n_rows=int(len(Xa)),
    )


def linear_hessian(Xa: np.ndarray, params: np.ndarray, l2: float = 0.0) -> np.ndarray:
    """Full Hessian (p, p) of mean cross-entropy + ``l2·Σw²`` of a linear model.

    ``Xa`` is (n, d) with the bias column last; ``params`` the flat (d × n_outputs) buffer in the
    network's row-major layout, so entry ``i·K + k`` is input ``i``'s weight for logit ``k``.
    Binary: ``XᵀWX/n`` with ``W = p(1−p)``; softmax: ``Σ_s (diag p_s − p_s p_sᵀ) ⊗ x_s x_sᵀ / n``.
    """
    Xa = np.asarray(Xa, dtype=np.float64)
    n, d = Xa.shape
    M = np.asarray(params, dtype=np.float64).reshape(d, -1)
    K = M.shape[1]
    Z = Xa @ M
    if K == 1:
        p = sigmoid(Z[:, 0])
        H = (Xa * (p * (1.0 - p))[:, None]).T @ Xa / n
    else:
        P = softmax(Z)
        XP = (Xa[:, :, None] * P[:, None, :]).reshape(n, d * K)
        H = -(XP.T @ XP) / n
        diagonal = np.einsum("si,sk,sj->kij", Xa, P, Xa) / n
        H4 = H.reshape(d, K, d, K)
        idx = np.arange(K)
        H4[:, idx, :, idx] += diagonal
    if l2:
        mask = np.ones((d, K))
        mask[-1] = 0.0
        H[np.diag_indices_from(H)] += 2.0 * l2 * mask.ravel()
    return H


def input_condition(Xa: np.ndarray) -> float:
    """Condition number of ``XaᵀXa/n`` for inputs with their bias column: the Hessian's
    conditioning at the start of training (p = ½) up to a constant factor. Exactly flat
    directions (constant or collinear columns) are ignored, see :data:`EIGEN_FLOOR`."""
    Xa = np.asarray(Xa, dtype=np.float64)
    if len(Xa) == 0:
        return math.nan
    eig = np.linalg.eigvalsh(_second_moment(Xa))
    low = _smallest(eig)
    return float(eig[-1] / low) if low > 0 else math.inf


# --------------------------------------------------------------------------------------- helpers
def _training_sample(trainer, max_rows: int):
    """Raw inputs and labels of at most ``max_rows`` training rows (fixed seed, sorted)."""
    idx = trainer.train_idx
    if len(idx) > max_rows:
        idx = np.sort(np.random.default_rng(0).choice(idx, max_rows, replace=False))
    return trainer.dataset.X[idx], trainer.dataset.y[idx]


def _forward(net, inputs):
    """Logits (n, n_outputs) and each hidden layer's activations, in float64, from the public
    per-layer views (independent of the trainer's optimised workspace)."""
    act = ACTIVATION_FUNCTIONS[net.activation]
    a, hidden = np.asarray(inputs, dtype=np.float64), []
    layers = net.layers
    with np.errstate(over="ignore", invalid="ignore"):
        for W, b in layers[:-1]:
            a = act(a @ W.astype(np.float64) + b)
            hidden.append(a)
        W, b = layers[-1]
        return a @ W.astype(np.float64) + b, hidden


def _top_log_odds(z):
    """log(p_top / (1 − p_top)) of softmax rows: top logit minus log-sum-exp of the others."""
    top = z.argmax(axis=1)
    others = z.copy()
    others[np.arange(len(z)), top] = -np.inf
    return z[np.arange(len(z)), top] - logsumexp(others)


def _second_moment(Xa):
    return Xa.T @ Xa / len(Xa)


def _centred_basis(K: int) -> np.ndarray:
    """(K, K−1) orthonormal basis of the vectors whose entries sum to zero."""
    q, _ = np.linalg.qr(np.eye(K)[:, : K - 1] - 1.0 / K)
    return q


def _smallest(eig) -> float:
    eig = np.asarray(eig)
    kept = eig[eig > EIGEN_FLOOR * max(eig[-1], 0.0)]
    return float(kept[0]) if kept.size and eig[-1] > 0 else 0.0
