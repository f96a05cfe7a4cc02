"""Comparing runs: what differs between two configurations, and a pinned run's saved form.

A pinned run (the lab's Train ▸ Pin this run) is a finished or paused run kept beside the live one:
its configuration, its final model and its per-epoch curves. :func:`config_difference` names it by
what differs from the run it is compared with ("lr 0.1 · batch 8"); :func:`pinned_to_dict` and
:func:`pinned_from_dict` are its entry in a session file's optional ``"pinned"`` list (params and
curves only, so a session stays small), checked like the rest of the file.
"""

from __future__ import annotations

import math

import numpy as np

from .json_checks import expect, is_int, is_number
from .model import Model
from .model_file import build_model, model_to_dict
from .training import TrainConfig

__all__ = [
    "MAX_PINNED",
    "PINNED_COLUMNS",
    "config_difference",
    "config_summary",
    "pinned_from_dict",
    "pinned_to_dict",
]

#: Pinned runs a session holds, at most (the lab keeps as many).
MAX_PINNED = 5
#: The per-epoch curves a pinned run keeps, each (n_epochs,) float64; NaN where a run has no test split.
PINNED_COLUMNS = ("epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy")

#: Short names of the settings, in the order a difference lists them.
_NAMES = {
    "model": "model",
    "hidden": "hidden",
    "activation": "activation",
    "features": "features",
    "optimizer": "",  # "sgd" says it all
    "lr": "lr",
    "batch_size": "batch",
    "epochs": "epochs",
    "l1": "L1",
    "l2": "L2",
    "momentum": "momentum",
    "nesterov": "nesterov",
    "beta1": "β1",
    "beta2": "β2",
    "epsilon": "ε",
    "standardize": "standardize",
    "test_fraction": "test",
    "seed": "seed",
    "early_stopping": "patience",
    "tol": "tol",
    "n_iter_no_change": "no-change",
    "dtype": "",
}


def config_difference(a: TrainConfig, b: TrainConfig | None) -> str:
    """The settings of ``a`` that differ from ``b``, as ``"lr 0.1 · batch 8"`` (``a``'s values);
    ``"same settings"`` when none differs, and :func:`config_summary` of ``a`` without ``b``."""
    if b is None:
        return config_summary(a)
    parts = [_setting(name, getattr(a, name)) for name in _NAMES if getattr(a, name) != getattr(b, name)]
    return " · ".join(parts) if parts else "same settings"


def config_summary(config: TrainConfig) -> str:
    """The settings that shape a run, in one line: ``"logistic · adam lr 0.03 · batch 32 · 20 epochs"``."""
    parts = [config.model if not config.hidden else f"mlp {_setting('hidden', config.hidden)}"]
    parts.append(f"{config.optimizer} {_setting('lr', config.lr)}")
    parts.append(_setting("batch_size", config.batch_size))
    parts.append(f"{config.epochs} epochs" if config.epochs else "until stopped")
    parts += [_setting(name, getattr(config, name)) for name in ("l1", "l2") if getattr(config, name)]
    if config.features not in ("linear", ("x1", "x2")):
        parts.append(_setting("features", config.features))
    return " · ".join(parts)


def pinned_to_dict(config: TrainConfig, model: Model, curves: dict) -> dict:
    """JSON-ready entry of a pinned run: ``config``, ``model`` (its final weights) and ``curves``
    (``PINNED_COLUMNS`` → (n_epochs,) arrays; NaN is written as null)."""
    return {
        "config": config.to_dict(),
        "model": model_to_dict(model),
        "curves": {
            k: [None if not math.isfinite(v) else (int(v) if k == "epoch" else float(v)) for v in np.asarray(curves[k])]
            for k in PINNED_COLUMNS
        },
    }


def pinned_from_dict(data, config_from_dict) -> dict:
    """``{"config": TrainConfig, "model": Model, "curves": {column: (n,) float64}}`` from
    :func:`pinned_to_dict` output, every field checked (``Invalid`` names the first bad one).
    ``config_from_dict`` is the session's own checked reader of a configuration."""
    expect(isinstance(data, dict), "a pinned run must be an object")
    config = config_from_dict(data.get("config"))
    model = build_model(data.get("model"))
    curves = data.get("curves")
    expect(isinstance(curves, dict), 'a pinned run needs its "curves"')
    out = {}
    for k in PINNED_COLUMNS:
        column = curves.get(k)
        expect(isinstance(column, list), f"pinned curve {k!r} must be a list")
        expect(all(v is None or is_number(v) for v in column), f"pinned curve {k!r} must hold numbers")
        out[k] = np.array([np.nan if v is None else float(v) for v in column], dtype=np.float64)
    n = len(out["epoch"])
    expect(all(len(v) == n for v in out.values()), "pinned curves have different lengths")
    epochs = curves["epoch"]
    expect(all(is_int(e) and e >= 0 for e in epochs), "pinned epochs must be whole numbers")
    expect(bool(np.all(np.diff(out["epoch"]) > 0)), "pinned epochs must ascend")
    return {"config": config, "model": model, "curves": out}


def _setting(name: str, value) -> str:
    label = _NAMES.get(name, name)
    if name == "batch_size":
        text = "full" if value == 0 else str(value)
    elif name == "hidden":
        text = "×".join(map(str, value)) if value else "none"
    elif name == "features":
        text = value if isinstance(value, str) else "+".join(value)
    elif isinstance(value, bool):
        return f"{label} {'on' if value else 'off'}"
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return f"{label} {text}" if label else text
