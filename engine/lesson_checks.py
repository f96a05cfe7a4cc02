"""The named quantities a lesson may check and quote, the checks themselves, and the templates.

A lesson never runs code: it names quantities from a fixed list (:data:`QUANTITIES`, and the
indexed :data:`INDEXED` such as ``coef[0]``) that the lab computes from its state
(:func:`lab_quantities`, from a plain :class:`LabState`), compares them with numbers
(:class:`Check`), and quotes them in its explanations (``{coef[0]:.4f}``, :func:`render`).
"""

from __future__ import annotations

import math
import numbers
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "INDEXED",
    "QUANTITIES",
    "Check",
    "CheckResult",
    "LabState",
    "check_template",
    "is_quantity",
    "lab_quantities",
    "render",
]

#: name -> what it is. Values are numbers, true/false or texts; None while not available.
QUANTITIES: Mapping[str, str] = {
    # the run
    "epoch": "epochs the current run has trained",
    "run_ended": "true once the run has finished, stopped, diverged or paused",
    "stopped_because": 'why the run ended: "epochs", "converged", "early_stopping", "stopped", "diverged" or ""',
    "diverged": "true if the run diverged (the lab kept the last finite model)",
    "best_epoch": "the epoch early stopping restored (or None)",
    "train_loss": "mean cross-entropy on the training points at the newest epoch",
    "test_loss": "mean cross-entropy on the test points (None without a test split)",
    "objective": "training loss plus the L1/L2 penalty",
    "train_accuracy": "share of training points classified right (0 to 1)",
    "test_accuracy": "share of test points classified right (None without a test split)",
    "grad_norm": "norm of the gradient at the newest epoch",
    "weight_norm": "norm of the learned weights (original units, biases excluded; linear models)",
    "intercept": "learned intercept b in original units (binary linear models)",
    "threshold_x": "the x where P = 1/2, −b/w (binary logistic regression on one input)",
    # the model the run trains
    "model": 'the model trained: "logistic", "softmax" or "mlp"',
    # the Trainer panel's settings (what the next run uses)
    "lr": "the learning rate",
    "l2": "the L2 strength",
    "l1": "the L1 strength",
    "standardize": "true if the inputs are standardized",
    "optimizer": '"sgd", "momentum" or "adam"',
    "batch_size": "minibatch size (0 = full batch)",
    "hidden_layers": "number of hidden layers",
    "n_features": "number of model inputs after the feature map (x₁, x₂, x₁², …)",
    # the document
    "n_points": "number of points in the data designer",
    "n_classes": "number of classes",
    "mode": '"1d" or "2d"',
    # the reference optimum (linear models)
    "ref_exists": "true if the exact optimum exists (false for separable data without a penalty)",
    "separable": "true if the reference found the classes (quasi-)separable",
    "ref_intercept": "the exact optimum's intercept",
    "ref_objective": "the exact optimum's objective L*",
    "coef_gap": "largest |learned − exact| over the coefficients and the intercept",
    "log_likelihood": "glm's log-likelihood at the optimum (unpenalised binary models)",
    "deviance": "glm's residual deviance",
    "null_deviance": "glm's null deviance",
    "aic": "glm's AIC",
    "se_intercept": "glm's standard error of the intercept",
    # the doctor (linear models)
    "lambda_max": "largest eigenvalue of the loss's Hessian at the current weights",
    "condition_number": "λ_max / λ_min of the Hessian",
    "lr_bound": "2/λ_max: the largest stable step of plain gradient descent here",
    "lr_ratio": "learning rate ÷ 2/λ_max (above 1: plain gradient descent overshoots)",
    # one-vs-rest (softmax regression only)
    "ovr_accuracy": "training accuracy of one-vs-rest: one exact logistic regression per class, same features",
    "ovr_agreement": "share of training points where one-vs-rest and the learned softmax pick the same class",
    "ovr_sum_max": "largest sum over classes of one-vs-rest's probabilities at a training point (softmax: 1)",
    # lesson 4: logistic regression from scratch (the dock's From scratch box)
    "scratch_bug": 'the update last run from scratch: "correct", "sign", "orientation", "labels", "no_mean", "row_norm"',
    "scratch_loss": "its final true cross-entropy (right labels)",
    "scratch_accuracy": "its final training accuracy",
    "scratch_diverged": "true if its loss ended above 4× its start or not finite",
    "scratch_rises": "epochs in which its loss rose",
    "correct_loss": "the correct update's final cross-entropy on the same data and settings",
    "correct_accuracy": "the correct update's final training accuracy",
    "gradcheck_ok": "true if the update's gradient matches central differences of the true loss",
    "gradcheck_wrong": 'the gradient components that do not match, e.g. "dw[0], dw[1]" ("none" if all do)',
    # the truth of data drawn from a known logistic model
    "truth_known": "true if the points were drawn from a known logistic model",
    "true_intercept": "the true intercept",
    "true_gap": "largest |learned − true| over the weights",
}

#: name -> what ``name[i]`` is, for i = 0, 1, ….
INDEXED: Mapping[str, str] = {
    "coef": "learned weight of feature i in original units (binary linear models)",
    "ref_coef": "the exact optimum's weight of feature i",
    "se": "glm's standard error of weight i",
    "true_coef": "the true weight i",
}

MAX_INDEX = 64
_INDEXED = re.compile(r"([a-z_]+)\[(\d+)\]")
_CHECK_KEYS = {"quantity", "near", "tol", "min", "max", "equals", "ratio_to"}


def is_quantity(name: str, recorded: set | frozenset = frozenset()) -> bool:
    """True if ``name`` is a known quantity, an indexed one (``coef[0]``) or a recorded name."""
    if name in QUANTITIES or name in recorded:
        return True
    m = _INDEXED.fullmatch(name)
    return bool(m and m.group(1) in INDEXED and int(m.group(2)) < MAX_INDEX)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str  # what was found against what was expected, in plain words


@dataclass(frozen=True)
class Check:
    """``quantity`` (optionally divided by ``ratio_to``) is ``near`` a number within ``tol``,
    at least ``min``, at most ``max``, or ``equals`` a number, text or true/false."""

    quantity: str
    near: float | None = None
    tol: float | None = None
    min: float | None = None
    max: float | None = None
    equals: object = None
    ratio_to: str | None = None

    @classmethod
    def from_dict(cls, raw, recorded: set | frozenset = frozenset()) -> Check:
        """A checked :class:`Check`; ValueError naming the problem."""
        if not isinstance(raw, dict):
            raise ValueError("a check must be an object")
        unknown = set(raw) - _CHECK_KEYS
        if unknown:
            raise ValueError(f"unknown field {sorted(unknown)[0]!r}; expected {', '.join(sorted(_CHECK_KEYS))}")
        q = raw.get("quantity")
        if not isinstance(q, str) or not is_quantity(q, recorded):
            raise ValueError(f"unknown quantity {q!r} (docs/lessons.md lists them)")
        ratio = raw.get("ratio_to")
        if ratio is not None and (not isinstance(ratio, str) or not is_quantity(ratio, recorded)):
            raise ValueError(f"ratio_to: unknown quantity {ratio!r}")
        for key in ("near", "tol", "min", "max"):
            if key in raw and not _number(raw[key]):
                raise ValueError(f"{key} must be a number")
        if "equals" in raw and not isinstance(raw["equals"], (str, bool)) and not _number(raw["equals"]):
            raise ValueError("equals must be a number, a text or true/false")
        if ("near" in raw) != ("tol" in raw) or raw.get("tol", 0) < 0:
            raise ValueError("near needs tol (≥ 0), and tol needs near")
        if not {"near", "min", "max", "equals"} & set(raw):
            raise ValueError("say what to expect: near (with tol), min, max or equals")
        if "equals" in raw and {"near", "min", "max"} & set(raw):
            raise ValueError("equals cannot be combined with near, min or max")
        return cls(q, raw.get("near"), raw.get("tol"), raw.get("min"), raw.get("max"), raw.get("equals"), ratio)

    def evaluate(self, values: Mapping) -> CheckResult:
        """Compare the quantity in ``values`` (from :func:`lab_quantities`, plus recorded names)."""
        name, value = self.quantity, values.get(self.quantity)
        if self.ratio_to is not None:
            name = f"{self.quantity} / {self.ratio_to}"
            other = values.get(self.ratio_to)
            value = value / other if _number(value) and _number(other) and other != 0 else None
        if value is None:
            return CheckResult(False, f"{name} is not available yet")
        shown = _show(value)
        if self.equals is not None:
            if isinstance(self.equals, bool) or isinstance(value, bool):
                ok = isinstance(value, bool) and isinstance(self.equals, bool) and value == self.equals
            elif isinstance(self.equals, str):
                ok = value == self.equals
            else:
                ok = _number(value) and value == self.equals
            expected = _show(self.equals)
            return CheckResult(bool(ok), f"{name} = {shown}" + ("" if ok else f", expected {expected}"))
        if not _number(value) or not math.isfinite(value):
            return CheckResult(False, f"{name} = {shown}, expected a finite number")
        problems = []
        if self.near is not None and not abs(value - self.near) <= self.tol:
            problems.append(f"{_show(self.near)} ± {_show(self.tol)}")
        if self.min is not None and not value >= self.min:
            problems.append(f"at least {_show(self.min)}")
        if self.max is not None and not value <= self.max:
            problems.append(f"at most {_show(self.max)}")
        return CheckResult(
            not problems, f"{name} = {shown}" + (f", expected {' and '.join(problems)}" if problems else "")
        )


def check_template(template: str, recorded: set | frozenset = frozenset()) -> None:
    """ValueError unless every ``{field:spec}`` of ``template`` is a quantity with a plain format
    spec (no conversions, no attribute access: nothing is evaluated)."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"bad template ({exc}); write {{{{ and }}}} for literal braces") from None
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        if conversion is not None or not is_quantity(name, recorded):
            raise ValueError(f"{{{name}}} is not a quantity (docs/lessons.md lists them)")
        if not re.fullmatch(r"[+\- ]?,?(\.\d{1,2})?[efgd%]?", spec or ""):
            raise ValueError(f"{{{name}:{spec}}}: format must be like .3f, .2e, .3g or .1%")


def render(template: str, values: Mapping) -> str:
    """``template`` with each ``{quantity:spec}`` replaced by its value ("—" when not available)."""
    out = []
    for text, name, spec, _conversion in string.Formatter().parse(template):
        out.append(text)
        if name is None:
            continue
        value = values.get(name)
        if value is None:
            out.append("—")
        elif isinstance(value, str):
            out.append(value)  # a text reads as itself in prose (checks quote it)
        elif isinstance(value, bool) or not spec:
            out.append(_show(value))
        else:
            try:
                out.append(format(int(value) if spec.endswith("d") else float(value), spec))
            except (ValueError, OverflowError):
                out.append(_show(value))
    return "".join(out)


@dataclass(frozen=True, eq=False)
class LabState:
    """What the lab shows, as plain engine objects: the run's configuration and model (weights
    of the newest snapshot), its epoch reports, the reference optimum's results, the doctor's
    curvature, the truth of generated data and the document's shape."""

    config: object = None  # TrainConfig the run trains with (None: no run)
    settings: object = None  # TrainConfig the Trainer panel shows (None: the run's)
    model: object = None  # engine.model.Model holding the newest weights
    reports: Sequence = ()  # EpochReport, oldest first
    epoch: int = 0
    run_ended: bool = False
    stopped_because: str = ""
    best_epoch: int | None = None
    reference: object = None  # engine.reference.Reference
    glm: object = None  # engine.reference.GlmStats
    separable: bool | None = None
    hessian: object = None  # engine.signals.HessianStats
    true_weights: np.ndarray | None = None
    true_bias: float | None = None
    scratch: tuple | None = None  # (buggy ScratchRun, correct ScratchRun, GradientCheck), engine.scratch
    train_X: np.ndarray | None = None  # (n_train, n_inputs) raw inputs of the training rows
    train_y: np.ndarray | None = None  # (n_train,) class codes
    n_points: int = 0
    n_classes: int = 0
    mode: str = "2d"


def lab_quantities(s: LabState) -> dict:
    """Every quantity of :data:`QUANTITIES` (and ``name[i]`` of :data:`INDEXED`) for ``s``."""
    q: dict = dict.fromkeys(QUANTITIES)
    q.update(n_points=s.n_points, n_classes=s.n_classes, mode=s.mode, epoch=s.epoch, run_ended=s.run_ended)
    q.update(stopped_because=s.stopped_because or "", diverged=s.stopped_because == "diverged", best_epoch=s.best_epoch)
    c = s.config
    shown = s.settings if s.settings is not None else c
    if shown is not None:
        q.update(lr=float(shown.lr), l2=float(shown.l2), l1=float(shown.l1), standardize=bool(shown.standardize))
        q.update(optimizer=shown.optimizer, batch_size=int(shown.batch_size))
    last = s.reports[-1] if s.reports else None
    if last is not None:
        q.update(train_loss=last.train_loss, test_loss=last.val_loss, objective=last.objective)
        q.update(train_accuracy=last.train_accuracy, test_accuracy=last.val_accuracy, grad_norm=last.grad_norm)
    coef = None
    if s.model is not None:
        net = s.model.network
        q["model"] = _model_name(s.model)
        q.update(hidden_layers=len(net.hidden), n_features=len(s.model.feature_names))
        if s.model.is_linear and net.n_classes == 2:
            W, b = s.model.coef_intercept()
            coef, intercept = W[0], float(b[0])
            q.update(intercept=intercept, weight_norm=float(np.linalg.norm(coef)))
            _indexed(q, "coef", coef)
            if len(coef) == 1 and coef[0] != 0:
                q["threshold_x"] = -intercept / float(coef[0])
        if s.model.is_linear and net.n_classes > 2 and s.train_X is not None and c is not None:
            q.update(_one_vs_rest(s.model, s.train_X, s.train_y, c))
    if s.separable is not None:
        q["separable"] = bool(s.separable)
        q["ref_exists"] = not s.separable or (c is not None and c.l2 > 0)
    ref = s.reference
    if ref is not None and ref.coef.shape[0] == 1:
        _indexed(q, "ref_coef", ref.coef[0])
        q.update(ref_intercept=float(ref.intercept[0]), ref_objective=float(ref.objective))
        q["ref_exists"] = q["ref_exists"] if q["ref_exists"] is not None else True
        if coef is not None and len(coef) == ref.coef.shape[1]:
            gaps = np.abs(np.append(coef - ref.coef[0], q["intercept"] - ref.intercept[0]))
            q["coef_gap"] = float(gaps.max())
    glm = s.glm
    if glm is not None:
        q.update(log_likelihood=glm.log_likelihood, deviance=glm.deviance, null_deviance=glm.null_deviance)
        q.update(aic=glm.aic, se_intercept=float(glm.std_errors[0]))
        _indexed(q, "se", glm.std_errors[1:])  # glm's order: intercept first
    h = s.hessian
    if h is not None:
        q.update(lambda_max=h.lambda_max, condition_number=h.condition_number, lr_bound=h.stable_lr_bound)
        if c is not None and h.stable_lr_bound and math.isfinite(h.stable_lr_bound):
            q["lr_ratio"] = float(c.lr) / h.stable_lr_bound
    q["truth_known"] = s.true_weights is not None
    if s.true_weights is not None:
        _indexed(q, "true_coef", s.true_weights)
        q["true_intercept"] = s.true_bias
        if coef is not None and len(coef) == len(s.true_weights):
            q["true_gap"] = float(np.max(np.abs(coef - s.true_weights)))
    if s.scratch is not None:
        run, correct, check = s.scratch
        q.update(scratch_bug=run.bug, scratch_loss=float(run.losses[-1]), scratch_accuracy=run.accuracy)
        q.update(scratch_diverged=run.diverged, scratch_rises=int(np.sum(np.diff(run.losses) > 0)))
        q.update(correct_loss=float(correct.losses[-1]), correct_accuracy=correct.accuracy)
        q.update(gradcheck_ok=not check.wrong, gradcheck_wrong=", ".join(check.wrong) or "none")
    return {k: _plain(v) for k, v in q.items()}


def _one_vs_rest(model, X: np.ndarray, y: np.ndarray, config) -> dict:
    """One exact binary logistic regression per class (same features, standardization and L2)
    against the learned softmax, on the training rows."""
    from .reference import fit_reference

    Phi = model.feature_map.transform(X)
    standardizer = model.standardizer if config.standardize else None
    k = model.network.n_classes
    if len(np.unique(y)) < k:
        return {}
    proba = np.empty((len(y), k))
    for j in range(k):
        ref = fit_reference(Phi, (y == j).astype(np.int64), 2, l2=config.l2, standardizer=standardizer)
        z = Phi @ ref.coef[0] + ref.intercept[0]
        proba[:, j] = 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
    ovr = proba.argmax(axis=1)
    soft = model.predict_proba(X).argmax(axis=1)
    return {
        "ovr_accuracy": float(np.mean(ovr == y)),
        "ovr_agreement": float(np.mean(ovr == soft)),
        "ovr_sum_max": float(proba.sum(axis=1).max()),
    }


def _model_name(model) -> str:
    net = model.network
    if not net.is_linear:
        return "mlp"
    return "logistic" if net.n_classes == 2 else "softmax"


def _indexed(q: dict, name: str, values) -> None:
    for i, v in enumerate(np.asarray(values, dtype=float)[:MAX_INDEX]):
        q[f"{name}[{i}]"] = float(v)


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    return v


def _number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _show(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if _number(v):
        return f"{v:.6g}"
    return str(v)
