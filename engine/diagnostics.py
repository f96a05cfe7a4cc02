"""The convergence doctor: live signals of a training run and plain-language verdicts about them.

Three layers, each usable alone:

* :func:`model_signals` — cheap numbers computed at an epoch boundary from the trainer's model and a
  fixed subsample of its training inputs (saturated logits, dead ReLUs, class shares and recall,
  input conditioning, loss oscillation, plus the latest :class:`~engine.training.EpochReport`).
  Everything in it is a plain Python number, list or string, so it can cross a thread boundary.
* :func:`hessian_stats` — for linear models, the curvature of the objective at the current weights
  in the space the optimizer sees: largest and smallest eigenvalue, condition number and the stable
  learning-rate bound ``2/λ_max`` of plain gradient descent.
* :func:`diagnose` — turns history + signals (+ curvature, + a separation verdict) into
  :class:`Verdict` objects, each with a message that quotes its numbers and a one-click fix.

Every threshold is a named constant below with the reason for its value. The rules are ordered
from cause to symptom: a symptom (saturated logits, dead units, a linear model stuck near chance,
"converged") is not reported when a cause that explains it is (see :data:`EXPLAINED_BY`), so each
failure reads as one verdict, not a cascade.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from .losses import logsumexp, prior_cross_entropy, sigmoid, softmax
from .metrics import confusion_matrix, predictions
from .network import ACTIVATION_FUNCTIONS, augment
from .reference import separation_in_history

__all__ = [
    "EXPLAINED_BY",
    "HessianStats",
    "Verdict",
    "diagnose",
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

# -- lr_too_high: with full-batch gradient descent below the stable bound the loss never rises
#    (descent lemma); minibatch noise makes small rises, so only rises above both floors count.
OSCILLATION_WINDOW = 10  # epochs looked at for repeated rises
OSCILLATION_RISES = 3  # rises in that window that mean "oscillating" (noise gives 0–2)
RISE_RELATIVE = 0.05  # a rise must exceed 5 % of the previous loss ...
RISE_ABSOLUTE = 0.02  # ... and 2 % of ln k, the loss of a uniform guess
SPIKE_WINDOW = 50  # epochs looked at for a single overshoot
SPIKE_FACTOR = 2.0  # the loss more than doubled in one epoch ...
SPIKE_ABSOLUTE = 0.25  # ... by more than a quarter of ln k
# -- unscaled: plain gradient descent needs about κ/2 epochs per e-fold along the flattest
#    direction, so κ > 10³ means > 500 epochs: more than a lesson's run.
CONDITION_LIMIT = 1e3
STANDARDIZE_GAIN = 10.0  # ... and standardizing must cut κ at least tenfold
# -- separable: training accuracy 100 % and ‖w‖ rising over this many epochs (reference module)
SEPARATION_WINDOW = 20
# -- underfit_linear: the loss explains < 10 % of the class-share entropy (McFadden's R² < 0.1)
#    and moved less than 1 % of ln k over the plateau window.
UNDERFIT_R2 = 0.1
PLATEAU_WINDOW = 20
PLATEAU_TOLERANCE = 0.01
# -- imbalanced: a class below 5 % of the data that the model mostly misses (recall < 50 %).
MINORITY_SHARE = 0.05
MINORITY_RECALL = 0.5
# -- saturated: a calibrated model is wrong on ≤ 0.034 % of its |z| > 8 points; ≥ 1 % of all rows
#    confidently wrong means probabilities off by orders of magnitude (each adds > 8 to the loss).
CONFIDENT_WRONG_SHARE = 0.01
# -- dead_relu: half of a layer's units output 0 for every training point (no gradient, ever).
DEAD_SHARE = 0.5
# -- converged: gradient RMS below 10⁻³ and the loss flat to 10⁻⁴·ln k over the last 10 epochs.
CONVERGED_GRAD = 1e-3
CONVERGED_FLAT = 1e-4
CONVERGED_WINDOW = 10

WARNING, INFO = "warning", "info"
#: Cause-before-symptom order; also the order verdicts are returned in.
ORDER = ("lr_too_high", "unscaled", "separable", "imbalanced", "underfit_linear", "dead_relu", "saturated", "converged")
#: symptom -> causes that explain it (the symptom is dropped when one of them fires).
EXPLAINED_BY = {
    "underfit_linear": ("lr_too_high", "unscaled", "imbalanced"),
    "dead_relu": ("lr_too_high", "unscaled"),
    "saturated": ("lr_too_high", "unscaled", "separable", "imbalanced"),
}


@dataclass(frozen=True)
class Verdict:
    """One finding of the doctor.

    Attributes
    ----------
    code : one of :data:`ORDER`.
    severity : ``"warning"`` or ``"info"``.
    message : plain language, with the numbers that triggered it.
    fix : ``TrainConfig`` field -> new value for the one-click fix, or None.
    fix_label : the fix button's text (also set when ``fix`` is None but there is something to do).
    details : the numbers behind the message, for tooltips and tests.
    """

    code: str
    severity: str
    message: str
    fix: dict | None = None
    fix_label: str | None = None
    details: dict = field(default_factory=dict)


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
        loss_oscillation=loss_oscillation([r.train_loss for r in trainer.history], k),
    )
    return signals


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


# -------------------------------------------------------------------------------------- verdicts
def diagnose(history, signals: dict, config, hessian: HessianStats | None = None, separation=None) -> list[Verdict]:
    """The doctor's verdicts on a run, warnings first, causes before symptoms.

    Parameters
    ----------
    history : list of EpochReport, oldest first (the run so far).
    signals : from :func:`model_signals` (at the same epoch).
    config : the run's TrainConfig (the ``fix`` dicts are changes to it).
    hessian : :func:`hessian_stats` of the current weights (linear models), or None.
    separation : a :class:`engine.reference.Separation` (or bool) from ``detect_separation`` on the
        mapped training features, or None to judge separation from the history alone.
    """
    history = list(history)
    # Evidence about the learning rate only counts since it was last changed.
    lr = signals.get("lr", config.lr)
    since = len(history)
    while since > 0 and math.isclose(history[since - 1].lr, lr, rel_tol=1e-9):
        since -= 1
    recent = history[since:]
    found = {}
    for rule in (_lr_too_high, _unscaled, _separable, _imbalanced, _underfit_linear, _dead_relu, _saturated):
        verdict = rule(history=history, recent=recent, s=signals, cfg=config, hessian=hessian, separation=separation)
        if verdict is not None:
            found[verdict.code] = verdict
    for symptom, causes in EXPLAINED_BY.items():
        if symptom in found and any(c in found for c in causes):
            del found[symptom]
    if not found:
        verdict = _converged(recent, signals)
        if verdict is not None:
            found[verdict.code] = verdict
    return [found[c] for c in ORDER if c in found]


def _lr_too_high(recent, s, cfg, hessian, **_):
    lr = s.get("lr", cfg.lr)
    reasons, details = [], {}
    if s.get("stopped_because") == "diverged":
        reasons.append("training diverged: the loss exploded and the run was stopped")
        details["diverged"] = True
    losses = [r.train_loss for r in recent]
    # A run that never changed its rate starts at the loss of the initial weights (epoch 0).
    start = 1 if recent and recent[0].epoch == 1 and s.get("initial_loss") is not None else 0
    if start:
        losses.insert(0, s["initial_loss"])
    osc = loss_oscillation(losses, s.get("n_classes", 2))
    if osc["rises"] >= OSCILLATION_RISES:
        reasons.append(
            f"the loss grew in {osc['rises']} of the last {osc['window']} epochs (by up to {_pct(osc['max_rise'])})"
        )
        details.update(rises=osc["rises"], window=osc["window"])
    if osc["spike_epoch"] is not None:
        epoch = recent[osc["spike_epoch"] - 1 - start].epoch
        reasons.append(f"the loss jumped from {_num(osc['spike_from'])} to {_num(osc['spike_to'])} at epoch {epoch}")
        details.update(spike_epoch=epoch)
    bound = hessian.lr_bound(cfg.optimizer, cfg.momentum, cfg.nesterov) if hessian is not None else None
    if bound is not None and lr > bound:
        what = "2/λ_max" if cfg.optimizer == "sgd" else "2(1+μ)/((1+2μ)λ_max)" if cfg.nesterov else "2(1+μ)/λ_max"
        reasons.append(
            f"the learning rate {_num(lr)} is above {what} = {_num(bound)}, the largest "
            f"step {cfg.optimizer} can take at these weights without overshooting"
        )
        details.update(bound=bound)
    if not reasons:
        return None
    new_lr = _nice(lr / 10.0)
    if bound is not None:
        # 1/L: half the bound below which every step of plain gradient descent lowers the loss.
        safe = 0.5 * hessian.global_lr_bound * bound / hessian.stable_lr_bound
        new_lr = _nice(min(lr / 2.0, safe))
        details["safe_lr"] = safe
    return Verdict(
        "lr_too_high",
        WARNING,
        "Learning rate too high: " + "; ".join(reasons) + ". Each step overshoots the "
        "minimum, so the loss jumps about instead of settling.",
        {"lr": new_lr},
        f"Lower the learning rate to {_num(new_lr)}",
        {**details, "lr": lr, "suggested_lr": new_lr},
    )


def _unscaled(s, cfg, **_):
    kappa, kappa_std = s.get("input_condition"), s.get("standardized_condition")
    if cfg.standardize or kappa is None or not kappa > CONDITION_LIMIT:
        return None
    if kappa_std is not None and kappa < STANDARDIZE_GAIN * kappa_std:
        return None  # the inputs are collinear, not badly scaled: standardizing would not help
    scales = np.asarray(s.get("feature_scales") or [1.0])
    names = s.get("feature_names") or [f"x{i + 1}" for i in range(len(scales))]
    big, small = int(np.argmax(scales)), int(np.argmin(np.where(scales > 0, scales, np.inf)))
    ratio = scales[big] / scales[small] if scales[small] > 0 else math.inf
    spread = f" ({names[big]} varies {_num(ratio)}× more than {names[small]})" if len(scales) > 1 and ratio > 3 else ""
    fix = {"standardize": True}
    label = "Turn on Standardize"
    curvature = s.get("standardized_lambda_max")
    if cfg.optimizer in ("sgd", "momentum") and s.get("is_linear") and curvature:
        # The step 1/L, L = Böhning's curvature bound of the standardized problem: the textbook
        # safe step of gradient descent. The old rate was tuned to the huge feature and would crawl.
        c = 0.25 if s.get("n_classes", 2) == 2 else 0.5
        fix["lr"] = _nice(1.0 / (c * curvature))
        label += f" (learning rate {_num(fix['lr'])})"
    return Verdict(
        "unscaled",
        WARNING,
        f"Inputs are unscaled: condition number {_num(kappa)}{spread}. No single "
        f"learning rate suits every direction — the large feature needs tiny steps, the "
        f"small one then barely moves. Turn on Standardize (condition number "
        f"{_num(kappa_std)} after).",
        fix,
        label,
        {"condition": kappa, "standardized_condition": kappa_std, "ratio": ratio},
    )


def _separable(history, s, cfg, separation, **_):
    if not s.get("is_linear", True) or cfg.l1 > 0 or cfg.l2 > 0 or not history:
        return None
    acc = [r.train_accuracy for r in history]
    norms = [r.weight_norm for r in history]
    by_history = separation_in_history(acc, norms, window=SEPARATION_WINDOW)
    by_data = separation is not None and bool(getattr(separation, "separable", separation))
    if not (by_history or by_data):
        return None
    if by_history:
        evidence = (
            f"training accuracy has been 100 % for the last {SEPARATION_WINDOW} epochs and "
            f"‖w‖ keeps growing ({_num(norms[-SEPARATION_WINDOW])} → {_num(norms[-1])})"
        )
    else:
        evidence = "a straight line separates the training classes perfectly"
    return Verdict(
        "separable",
        WARNING,
        f"The classes are perfectly separable: {evidence}. Without a penalty the best "
        "weights do not exist: the loss keeps falling as the weights grow for ever, and "
        "the predicted probabilities become numerically 0 or 1 — R's glm warns "
        '"fitted probabilities numerically 0 or 1 occurred" for exactly this. Add a '
        "little L2 (or use early stopping) to get a finite, meaningful answer.",
        {"l2": 0.001},
        "Add L2 = 0.001",
        {"weight_norm": norms[-1], "by_history": by_history, "by_data": by_data},
    )


def _imbalanced(history, s, **_):
    shares, recall = s.get("class_shares"), s.get("recall")
    if not history or not shares or not recall:  # judge a trained model, not the initial one
        return None
    classes = s.get("classes") or [str(i) for i in range(len(shares))]
    candidates = [
        c
        for c, share in enumerate(shares)
        if share < MINORITY_SHARE and recall[c] is not None and recall[c] < MINORITY_RECALL
    ]
    if not candidates:
        return None
    c = min(candidates, key=lambda i: shares[i])
    major = int(np.argmax(shares))
    accuracy = s.get("train_accuracy")
    acc_text = (
        f"its {_pct(accuracy)} training accuracy is close to the {_pct(shares[major])} "
        f"that always answering '{classes[major]}' scores"
        if accuracy is not None
        else f"always answering '{classes[major]}' would already score {_pct(shares[major])}"
    )
    return Verdict(
        "imbalanced",
        WARNING,
        f"Imbalanced classes: '{classes[c]}' is only {_pct(shares[c])} of the training "
        f"data and the model recognises {_pct(recall[c])} of it; {acc_text}. Accuracy "
        "hides this — read the confusion matrix, and collect (or weight up) more "
        f"points of '{classes[c]}'.",
        None,
        "Show the confusion matrix",
        {"class": c, "share": shares[c], "recall": recall[c]},
    )


def _underfit_linear(history, s, cfg, **_):
    if not s.get("is_linear") or len(history) < PLATEAU_WINDOW:
        return None
    chance = math.log(s.get("n_classes", 2))
    window = [r.train_loss for r in history[-PLATEAU_WINDOW:]]
    baseline = s.get("baseline_loss") or chance
    loss = window[-1]
    r2 = 1.0 - loss / baseline if baseline > 0 else 1.0
    if r2 >= UNDERFIT_R2 or max(window) - min(window) > PLATEAU_TOLERANCE * chance:
        return None
    if cfg.features == "linear":
        fix, label, remedy = (
            {"features": "poly2"},
            "Use poly2 features",
            "add curved features (poly2 adds x², y² and x·y) or a hidden layer",
        )
    else:
        fix, label, remedy = ({"model": "mlp", "hidden": (16,)}, "Add a hidden layer of 16 units", "add a hidden layer")
    acc = history[-1].train_accuracy
    return Verdict(
        "underfit_linear",
        WARNING,
        f"A linear model cannot separate these classes: the loss has levelled off at "
        f"{_num(loss)}, hardly below {_num(baseline)} for guessing the class shares, "
        f"and accuracy is {_pct(acc)} (the larger class alone scores "
        f"{_pct(s.get('majority_share', 0.5))}). More epochs will not help: {remedy}.",
        fix,
        label,
        {"loss": loss, "baseline": baseline, "r2": r2},
    )


def _dead_relu(history, s, cfg, **_):
    per_layer = s.get("dead_relu_per_layer")
    if not history or not per_layer:
        return None
    worst = int(np.argmax(per_layer))
    if per_layer[worst] < DEAD_SHARE:
        return None
    hidden = cfg.hidden_layers() if hasattr(cfg, "hidden_layers") else cfg.hidden
    units = hidden[worst] if worst < len(hidden) else None
    count = f"{round(per_layer[worst] * units)} of {units}" if units else _pct(per_layer[worst])
    new_lr = _nice(s.get("lr", cfg.lr) / 10.0)
    return Verdict(
        "dead_relu",
        WARNING,
        f"Dead ReLUs: {count} units of hidden layer {worst + 1} output 0 for every "
        "training point, so they get no gradient and never recover. Restart with a "
        "lower learning rate (or the tanh activation).",
        {"lr": new_lr},
        f"Restart with learning rate {_num(new_lr)}",
        {"layer": worst, "share": per_layer[worst]},
    )


def _saturated(history, s, cfg, **_):
    wrong, share = s.get("confident_wrong_share", 0.0), s.get("saturated_share", 0.0)
    if not history or wrong < CONFIDENT_WRONG_SHARE:
        return None
    fix = {"l2": 0.001} if not cfg.l2 else {"lr": _nice(s.get("lr", cfg.lr) / 10.0)}
    label = "Add L2 = 0.001" if not cfg.l2 else f"Lower the learning rate to {_num(fix['lr'])}"
    return Verdict(
        "saturated",
        WARNING,
        f"Saturated outputs: {_pct(share)} of the training points get probabilities "
        f"numerically 0 or 1 (|logit| > {SATURATION_LOGIT:g}) and {_pct(wrong)} are "
        "confidently wrong — each of those adds more than 8 to the loss. The model is "
        "far too sure of itself: add L2 to keep the weights small.",
        fix,
        label,
        {"saturated_share": share, "confident_wrong_share": wrong},
    )


def _converged(recent, s):
    if len(recent) < CONVERGED_WINDOW:
        return None
    losses = [r.train_loss for r in recent[-CONVERGED_WINDOW:]]
    chance = math.log(s.get("n_classes", 2))
    grad = recent[-1].grad_norm
    if grad >= CONVERGED_GRAD or max(losses) - min(losses) > CONVERGED_FLAT * chance:
        return None
    return Verdict(
        "converged",
        INFO,
        f"Converged: the gradient norm is {_num(grad)} and the loss has stayed at "
        f"{_num(losses[-1])} for {CONVERGED_WINDOW} epochs; more epochs will not change "
        "the model.",
        None,
        None,
        {"grad_norm": grad, "loss": losses[-1]},
    )


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


def _nice(x: float) -> float:
    """Round down to 1, 2 or 5 times a power of ten (a learning rate a person would type)."""
    if not (x > 0 and math.isfinite(x)):
        return x
    e = math.floor(math.log10(x))
    m = x / 10**e
    step = 5 if m >= 5 else 2 if m >= 2 else 1
    return float(f"{step}e{e}")


_SUPER = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _num(x) -> str:
    """3 significant digits, or "4·10⁶" style outside [10⁻³, 10⁴)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "∞"
    if x == 0 or 1e-3 <= abs(x) < 1e4:
        text = f"{x:.3g}"
        return f"{x:.0f}" if "e" in text else text
    e = math.floor(math.log10(abs(x)))
    m = round(x / 10**e, 1)
    if abs(m) >= 10:
        m, e = m / 10, e + 1
    mant = f"{m:.1f}".rstrip("0").rstrip(".")
    return f"{mant}·10{str(e).translate(_SUPER)}"


def _pct(x) -> str:
    if x is None:
        return "n/a"
    v = 100.0 * x
    return f"{v:.1f} %" if 0 < abs(v) < 10 and round(v, 1) != round(v) else f"{v:.0f} %"
