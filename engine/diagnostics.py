"""The convergence doctor's verdicts: plain-language findings about a training run.

:func:`diagnose` turns history + signals (:func:`engine.signals.model_signals`, + curvature from
:func:`engine.signals.hessian_stats`, + a separation verdict) into :class:`Verdict` objects, each
with a message that quotes its numbers and a one-click fix.

Every threshold is a named constant below with the reason for its value. The rules are ordered
from cause to symptom: a symptom (saturated logits, dead units, a linear model stuck near chance,
"converged") is not reported when a cause that explains it is (see :data:`EXPLAINED_BY`), so each
failure reads as one verdict, not a cascade.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .reference import separation_in_history
from .signals import SATURATION_LOGIT, HessianStats, loss_oscillation

__all__ = ["EXPLAINED_BY", "ORDER", "Verdict", "diagnose"]

# -- lr_too_high: with full-batch gradient descent below the stable bound the loss never rises
#    (descent lemma); minibatch noise makes small rises, so only rises above both floors of
#    engine.signals.loss_oscillation count, and only this many in its window.
OSCILLATION_RISES = 3  # rises in that window that mean "oscillating" (noise gives 0–2)
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
