"""Model and session files (JSON), written atomically.

A *model* file holds what is needed to predict: classes, feature map, standardizer, network
weights. A *session* file (DESIGN.md §5) adds the points, class colours, the training
configuration, the loss history and the view state, so opening it reproduces the picture.
Floats are written with ``repr`` precision (JSON does that), so weights round-trip bit for bit.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from .data import Dataset
from .features import FeatureMap, Standardizer
from .model import Model
from .network import Network
from .training import EpochReport, TrainConfig

__all__ = ["SessionError", "SESSION_FORMAT", "SESSION_VERSION", "model_to_dict", "model_from_dict",
           "save_model", "load_model", "session_to_dict", "save_session", "load_session",
           "history_to_dict", "history_from_dict", "atomic_write_text"]

SESSION_FORMAT = "logit-lab-session"
MODEL_FORMAT = "logit-lab-model"
SESSION_VERSION = 1
MODEL_VERSION = 1
_HISTORY_FIELDS = ("epoch", "train_loss", "train_accuracy", "objective", "val_loss", "val_accuracy",
                   "grad_norm", "weight_norm", "update_ratio", "seconds", "lr", "samples")


class SessionError(ValueError):
    """A model or session file that cannot be read; the message names the file and the problem."""


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder, fsync, then rename.

    Either the new file is complete or the old one is untouched. OSError (read-only folder, full
    disk) propagates with the path in its message.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------------------------------- models
def model_to_dict(model: Model) -> dict:
    net = model.network
    spec = model.feature_map.spec
    return {
        "classes": list(model.classes),
        "input_names": list(model.input_names),
        "features": spec if isinstance(spec, str) else list(spec),
        "standardizer": {"mean": model.standardizer.mean_.tolist(),
                         "scale": model.standardizer.scale_.tolist()},
        "network": {"n_inputs": net.n_inputs, "n_classes": net.n_classes, "hidden": list(net.hidden),
                    "activation": net.activation, "dtype": net.dtype.name,
                    "params": net.params.astype(np.float64).tolist()},
    }


def model_from_dict(data: dict, source: str = "<model>") -> Model:
    try:
        n = data["network"]
        network = Network(int(n["n_inputs"]), int(n["n_classes"]), tuple(n["hidden"]),
                          str(n["activation"]), str(n["dtype"]))
        network.set_params(np.asarray(n["params"], dtype=np.float64))
        features = data["features"]
        fmap = FeatureMap.from_spec(features if isinstance(features, str) else tuple(features),
                                    len(data["input_names"]))
        std = Standardizer(data["standardizer"]["mean"], data["standardizer"]["scale"])
        if std.mean_.shape != (fmap.n_outputs,) or std.scale_.shape != (fmap.n_outputs,):
            raise ValueError("standardizer size does not match the features")
        if fmap.n_outputs != network.n_inputs:
            raise ValueError("the feature map and the network disagree on the number of inputs")
        return Model(data["classes"], fmap, std, network, data["input_names"])
    except SessionError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SessionError(f"{source}: the model is damaged ({_describe(exc)})") from None


def save_model(path, model: Model, config: TrainConfig | None = None) -> None:
    doc = {"format": MODEL_FORMAT, "version": MODEL_VERSION, "model": model_to_dict(model),
           "config": None if config is None else config.to_dict()}
    atomic_write_text(path, json.dumps(doc, indent=1, allow_nan=False))


def load_model(path) -> Model:
    doc = _read_json(path, MODEL_FORMAT, MODEL_VERSION)
    return model_from_dict(doc.get("model"), str(path))


# -------------------------------------------------------------------------------------- sessions
def history_to_dict(history: list[EpochReport]) -> dict:
    """Column-wise history (compact, and easy to plot from other tools)."""
    return {name: [_finite_or_none(getattr(r, name)) for r in history] for name in _HISTORY_FIELDS}


def history_from_dict(data: dict) -> list[EpochReport]:
    if not data:
        return []
    columns = {k: list(data.get(k) or []) for k in _HISTORY_FIELDS}
    n = len(columns["epoch"])
    if any(len(v) not in (0, n) for v in columns.values()):
        raise ValueError("history columns have different lengths")
    out = []
    for i in range(n):
        row = {k: (v[i] if v else None) for k, v in columns.items()}
        for k in ("grad_norm", "weight_norm", "update_ratio", "seconds", "lr"):
            row[k] = float(row[k]) if row[k] is not None else 0.0
        row["samples"] = int(row["samples"] or 0)
        row["epoch"] = int(row["epoch"])
        for k in ("train_loss", "train_accuracy", "objective"):
            row[k] = float(row[k]) if row[k] is not None else math.nan
        out.append(EpochReport(**row))
    return out


def session_to_dict(dataset: Dataset, config: TrainConfig, *, model: Model | None = None,
                    history=(), colors=None, class_names=None, mode: str = "2d",
                    view: dict | None = None, training: dict | None = None) -> dict:
    """Everything a session file holds, as plain JSON-ready data."""
    names = list(class_names) if class_names is not None else [str(c) for c in dataset.classes]
    colors = list(colors) if colors is not None else [None] * dataset.n_classes
    return {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION,
        "mode": mode,
        "data": {
            "feature_names": list(dataset.feature_names),
            "label_name": dataset.label_name,
            "classes": [{"label": _plain(c), "name": n, "color": col}
                        for c, n, col in zip(dataset.classes, names, colors)],
            "points": dataset.X.tolist(),
            "labels": dataset.y.tolist(),
        },
        "config": config.to_dict(),
        "model": None if model is None else model_to_dict(model),
        "history": history_to_dict(list(history)),
        "training": dict(training or {}),
        "view": dict(view or {}),
    }


def save_session(path, session: dict) -> None:
    atomic_write_text(path, json.dumps(session, indent=1, allow_nan=False))


def load_session(path) -> dict:
    """Read and check a session file. Returns a dict with ready objects:
    ``dataset``, ``config``, ``model`` (or None), ``history``, ``colors``, ``class_names``,
    ``mode``, ``view``, ``training``. Raises SessionError with a clear message otherwise."""
    source = str(path)
    doc = _read_json(path, SESSION_FORMAT, SESSION_VERSION)
    return session_from_dict(doc, source)


def session_from_dict(doc: dict, source: str = "<session>") -> dict:
    try:
        data = doc["data"]
        classes = data["classes"]
        if not isinstance(classes, list) or not classes:
            raise ValueError("no classes")
        X = np.asarray(data["points"], dtype=np.float64)
        n_features = len(data["feature_names"])
        if X.size == 0:
            X = X.reshape(0, n_features)
        y = np.asarray(data["labels"], dtype=np.int64)
        if X.ndim != 2 or X.shape[1] != n_features or y.shape != (X.shape[0],):
            raise ValueError("points and labels do not have matching shapes")
        if len(y) and (y.min() < 0 or y.max() >= len(classes)):
            raise ValueError("a label code points at no class")
        if not np.isfinite(X).all():
            raise ValueError("a point has a NaN or infinite coordinate")
        dataset = Dataset(X, y, tuple(c["label"] for c in classes), tuple(data["feature_names"]),
                          str(data.get("label_name", "label")))
        config = TrainConfig.from_dict(doc.get("config") or {})
        model = model_from_dict(doc["model"], source) if doc.get("model") else None
        return {
            "dataset": dataset,
            "config": config,
            "model": model,
            "history": history_from_dict(doc.get("history") or {}),
            "colors": [c.get("color") for c in classes],
            "class_names": [str(c.get("name", c["label"])) for c in classes],
            "mode": str(doc.get("mode", "2d")),
            "view": dict(doc.get("view") or {}),
            "training": dict(doc.get("training") or {}),
        }
    except SessionError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise SessionError(f"{source}: the session is damaged ({_describe(exc)})") from None


# --------------------------------------------------------------------------------------- helpers
def _read_json(path, expected_format: str, newest: int) -> dict:
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SessionError(f"{source}: cannot read the file ({exc.strerror or exc})") from None
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise SessionError(f"{source}: not a text file; expected a {expected_format} JSON file") from None
    except json.JSONDecodeError as exc:
        raise SessionError(f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno} "
                           f"({exc.msg}); the file may be truncated") from None
    except RecursionError:
        raise SessionError(f"{source}: JSON nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("format") != expected_format:
        raise SessionError(f"{source}: not a {expected_format} file (no \"format\": \"{expected_format}\")")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionError(f"{source}: the \"version\" field must be a positive integer, not {version!r}")
    if version > newest:
        raise SessionError(f"{source}: written by a newer Logit Lab (file version {version}, this "
                           f"program reads up to {newest}); please update Logit Lab")
    return doc


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


def _finite_or_none(v):
    if v is None:
        return None
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    return v.item() if isinstance(v, np.generic) else v


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v
