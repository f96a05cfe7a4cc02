"""Model and session files (JSON), written atomically.

A *model* file holds what is needed to predict: classes, feature map, standardizer, network
weights. A *session* file (DESIGN.md §5) adds the points, class colours, the training
configuration, the loss history and the view state, so opening it reproduces the picture.
Floats are written with ``repr`` precision (JSON does that), so weights round-trip bit for bit.

Reading never trusts the file: every field is checked for its type and range before anything
is built from it, and any problem — random bytes, a truncated file, a wrong type, a newer
version — raises :class:`SessionError` with a message naming the file and the field. Older
versions are migrated step by step (``_MIGRATIONS``); newer ones are refused.
"""

from __future__ import annotations

import json
import math
import numbers
import re
import uuid
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .data import Dataset
from .features import PRESETS, TERMS, FeatureMap, Standardizer
from .model import Model
from .network import ACTIVATIONS, MAX_HIDDEN_LAYERS, MAX_UNITS, Network
from .training import EpochReport, TrainConfig

__all__ = [
    "SESSION_FORMAT",
    "SESSION_SUFFIX",
    "SESSION_VERSION",
    "SessionError",
    "atomic_write_text",
    "history_from_dict",
    "history_to_dict",
    "load_model",
    "load_session",
    "model_from_dict",
    "model_to_dict",
    "save_model",
    "save_session",
    "session_from_dict",
    "session_json_chunks",
    "session_to_dict",
]

SESSION_FORMAT = "logit-lab-session"
MODEL_FORMAT = "logit-lab-model"
SESSION_VERSION = 1
MODEL_VERSION = 1
SESSION_SUFFIX = ".logitlab.json"
_HISTORY_FIELDS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "objective",
    "val_loss",
    "val_accuracy",
    "grad_norm",
    "weight_norm",
    "update_ratio",
    "seconds",
    "lr",
    "samples",
)
#: Upgrades, one version step each: ``_MIGRATIONS[v](doc)`` turns a version-v document into v + 1.
_MIGRATIONS: dict = {}
_COLOR = re.compile(r"#[0-9a-fA-F]{6}\Z")
_MAX_INPUTS = 1000  # raw input columns a model may have (a guard against absurd files)
_ROWS_PER_CHUNK = 20000  # points encoded per call, so a writer thread never holds the GIL long


class SessionError(ValueError):
    """A model or session file that cannot be read; the message names the file and the problem."""


def atomic_write_text(path, text: str | Iterable[str]) -> None:
    """Write ``text`` (a string or an iterable of strings) to ``path`` atomically (engine.atomic)."""
    atomic_write(path, text)


# ---------------------------------------------------------------------------------------- models
def model_to_dict(model: Model) -> dict:
    net = model.network
    spec = model.feature_map.spec
    return {
        "classes": [_plain(c) for c in model.classes],
        "input_names": list(model.input_names),
        "features": spec if isinstance(spec, str) else list(spec),
        "standardizer": {"mean": model.standardizer.mean_.tolist(), "scale": model.standardizer.scale_.tolist()},
        "network": {
            "n_inputs": net.n_inputs,
            "n_classes": net.n_classes,
            "hidden": list(net.hidden),
            "activation": net.activation,
            "dtype": net.dtype.name,
            "params": net.params.astype(np.float64).tolist(),
        },
    }


def model_from_dict(data: dict, source: str = "<model>") -> Model:
    """Build a Model from :func:`model_to_dict` output; SessionError if anything does not fit."""
    try:
        return _model_from_dict(data)
    except SessionError as exc:
        raise SessionError(f"{source}: the model is damaged ({exc})") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        raise SessionError(f"{source}: the model is damaged ({_describe(exc)})") from None


def save_model(path, model: Model, config: TrainConfig | None = None) -> None:
    doc = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "model": model_to_dict(model),
        "config": None if config is None else config.to_dict(),
    }
    atomic_write_text(path, json.dumps(doc, indent=1, allow_nan=False))


def load_model(path) -> Model:
    doc = _read_json(path, MODEL_FORMAT, MODEL_VERSION)
    return model_from_dict(doc.get("model"), str(path))


# -------------------------------------------------------------------------------------- sessions
def history_to_dict(history: list[EpochReport]) -> dict:
    """Column-wise history (compact, and easy to plot from other tools)."""
    return {name: [_finite_or_none(getattr(r, name)) for r in history] for name in _HISTORY_FIELDS}


def history_from_dict(data: dict) -> list[EpochReport]:
    """EpochReports from :func:`history_to_dict` output; ValueError/TypeError on bad data."""
    if not data:
        return []
    _expect(isinstance(data, dict), "history must be an object of columns")
    columns = {}
    for k in _HISTORY_FIELDS:
        column = data.get(k)
        column = [] if column is None else column
        _expect(isinstance(column, list), f"history column {k!r} must be a list")
        columns[k] = column
    n = len(columns["epoch"])
    _expect(all(len(v) in (0, n) for v in columns.values()), "history columns have different lengths")
    out = []
    for i in range(n):
        row = {k: (v[i] if v else None) for k, v in columns.items()}
        for k, value in row.items():
            _expect(value is None or _is_number(value), f"history {k!r} row {i} is not a number: {value!r}")
        _expect(_is_int(row["epoch"]) and row["epoch"] >= 0, f"history epoch row {i} must be a whole number")
        for k in ("grad_norm", "weight_norm", "update_ratio", "seconds", "lr"):
            row[k] = float(row[k]) if row[k] is not None else 0.0
        row["samples"] = int(row["samples"] or 0)
        for k in ("train_loss", "train_accuracy", "objective"):
            row[k] = float(row[k]) if row[k] is not None else math.nan
        for k in ("val_loss", "val_accuracy"):
            row[k] = None if row[k] is None else float(row[k])
        out.append(EpochReport(**row))
    return out


def session_to_dict(
    dataset: Dataset,
    config: TrainConfig,
    *,
    model: Model | None = None,
    history=(),
    colors=None,
    class_names=None,
    mode: str = "2d",
    view: dict | None = None,
    training: dict | None = None,
) -> dict:
    """Everything a session file holds, ready for :func:`save_session`.

    The points and labels stay NumPy arrays (copies) here; :func:`save_session` writes them in
    chunks. ``class_names`` and ``colors`` (``#rrggbb`` or None) follow ``dataset.classes``.
    """
    names = list(class_names) if class_names is not None else [str(c) for c in dataset.classes]
    colors = list(colors) if colors is not None else [None] * dataset.n_classes
    return {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION,
        "mode": mode,
        "data": {
            "feature_names": list(dataset.feature_names),
            "label_name": dataset.label_name,
            "classes": [
                {"label": _plain(c), "name": n, "color": col} for c, n, col in zip(dataset.classes, names, colors)
            ],
            "points": np.array(dataset.X, dtype=np.float64),
            "labels": np.array(dataset.y, dtype=np.int64),
        },
        "config": config.to_dict(),
        "model": None if model is None else model_to_dict(model),
        "history": history_to_dict(list(history)),
        "training": _plain_tree(dict(training or {})),
        "view": _plain_tree(dict(view or {})),
    }


def session_json_chunks(session: dict):
    """The JSON text of ``session`` as a sequence of strings (one point per line, in chunks)."""
    data = session.get("data") or {}
    arrays, doc = {}, dict(session)
    if isinstance(data, dict):
        data = dict(data)
        for key in ("points", "labels"):
            if key in data:
                marker = f"@@{key}-{uuid.uuid4().hex}@@"
                arrays[marker] = np.asarray(data[key])
                data[key] = marker
        doc["data"] = data
    text = json.dumps(doc, indent=1, allow_nan=False)
    for piece in re.split(r'"(@@(?:points|labels)-[0-9a-f]{32}@@)"', text):
        if piece in arrays:
            yield from _array_chunks(arrays[piece])
        else:
            yield piece


def save_session(path, session: dict) -> None:
    """Write ``session`` (from :func:`session_to_dict`) atomically."""
    atomic_write_text(path, session_json_chunks(session))


def load_session(path) -> dict:
    """Read and check a session file. Returns a dict with ready objects:
    ``dataset``, ``config``, ``model`` (or None), ``history``, ``colors``, ``class_names``,
    ``mode``, ``view``, ``training`` and ``recovery`` (an autosave's origin, else {}).
    Raises SessionError with a clear message otherwise."""
    source = str(path)
    doc = _read_json(path, SESSION_FORMAT, SESSION_VERSION)
    return session_from_dict(doc, source)


def session_from_dict(doc: dict, source: str = "<session>") -> dict:
    """Check and build a parsed session document (see :func:`load_session`)."""
    try:
        doc = _migrate(doc, source)
        return _session_from_dict(doc, source)
    except SessionError:
        raise
    except RecursionError:
        raise SessionError(f"{source}: the session is damaged (nested too deeply)") from None
    except Exception as exc:
        raise SessionError(f"{source}: the session is damaged ({_describe(exc)})") from None


# --------------------------------------------------------------------------------------- helpers
class _Bad(ValueError):
    """A failed check inside the loaders; becomes a SessionError naming the file."""


def _expect(ok: bool, message: str) -> None:
    if not ok:
        raise _Bad(message)


def _session_from_dict(doc: dict, source: str) -> dict:
    _expect(isinstance(doc.get("data"), dict), 'missing the "data" object')
    data = doc["data"]
    mode = doc.get("mode", "2d")
    _expect(mode in ("2d", "1d"), f'"mode" must be "2d" or "1d", not {mode!r}')
    names = data.get("feature_names")
    _expect(
        isinstance(names, list)
        and 1 <= len(names) <= _MAX_INPUTS
        and all(isinstance(n, str) and n.strip() for n in names),
        '"feature_names" must be a list of column names',
    )
    label_name = data.get("label_name", "label")
    _expect(isinstance(label_name, str) and bool(label_name.strip()), '"label_name" must be a name')
    classes = data.get("classes")
    _expect(isinstance(classes, list) and len(classes) >= 1, '"classes" must be a non-empty list')
    labels, class_names, colors = [], [], []
    for i, c in enumerate(classes):
        _expect(isinstance(c, dict), f"class {i} must be an object")
        label = c.get("label")
        _expect(
            isinstance(label, str) or (_is_number(label) and math.isfinite(label)),
            f"class {i} has no usable label ({label!r})",
        )
        name = c.get("name", label if isinstance(label, str) else repr(label))
        _expect(isinstance(name, str) and bool(name.strip()), f"class {i} has no name")
        color = c.get("color")
        _expect(
            color is None or (isinstance(color, str) and bool(_COLOR.match(color))),
            f"class {name!r}: colour {color!r} is not #rrggbb",
        )
        labels.append(label)
        class_names.append(name.strip())
        colors.append(color)
    _expect(len(set(class_names)) == len(class_names), "two classes have the same name")
    _expect(len(set(map(_label_key, labels))) == len(labels), "two classes have the same label")
    X = _numbers(data.get("points"), "points", ndim=2, empty_shape=(0, len(names)))
    y = _integers(data.get("labels"), "labels")
    _expect(X.shape[1] == len(names), f"points have {X.shape[1]} coordinates but there are {len(names)} feature names")
    _expect(y.shape == (X.shape[0],), f"{X.shape[0]} points but {y.shape[0]} labels")
    _expect(not len(y) or (y.min() >= 0 and y.max() < len(classes)), "a label code points at no class")
    _expect(bool(np.isfinite(X).all()), "a point has a NaN or infinite coordinate")
    dataset = Dataset(X, y, tuple(labels), tuple(names), label_name)
    config = _config_from_dict(doc.get("config"))
    model = _model_from_dict(doc["model"]) if doc.get("model") is not None else None
    history = history_from_dict(doc.get("history") or {})
    return {
        "dataset": dataset,
        "config": config,
        "model": model,
        "history": history,
        "colors": colors,
        "class_names": class_names,
        "mode": mode,
        "view": _view_from_dict(doc.get("view")),
        "training": _training_from_dict(doc.get("training"), dataset.n_samples),
        "recovery": dict(doc["recovery"]) if isinstance(doc.get("recovery"), dict) else {},
    }


def _model_from_dict(data) -> Model:
    _expect(isinstance(data, dict), "the model must be an object")
    n = data.get("network")
    _expect(isinstance(n, dict), 'the model has no "network"')
    n_inputs, n_classes, hidden = n.get("n_inputs"), n.get("n_classes"), n.get("hidden", [])
    _expect(_is_int(n_inputs) and n_inputs >= 1, "network n_inputs must be a positive whole number")
    _expect(_is_int(n_classes) and n_classes >= 2, "network n_classes must be at least 2")
    _expect(
        isinstance(hidden, list)
        and len(hidden) <= MAX_HIDDEN_LAYERS
        and all(_is_int(h) and 1 <= h <= MAX_UNITS for h in hidden),
        f"hidden layers must be at most {MAX_HIDDEN_LAYERS} sizes of 1 to {MAX_UNITS}",
    )
    _expect(n.get("activation") in ACTIVATIONS, f"unknown activation {n.get('activation')!r}")
    _expect(n.get("dtype") in ("float32", "float64"), f"unknown dtype {n.get('dtype')!r}")
    params = n.get("params")
    _expect(isinstance(params, list), "network params must be a list of numbers")
    sizes = [n_inputs, *hidden, 1 if n_classes == 2 else n_classes]
    expected = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    _expect(len(params) == expected, f"the network needs {expected} parameters, the file has {len(params)}")
    flat = _numbers(params, "network params", ndim=1, empty_shape=(0,))
    _expect(bool(np.isfinite(flat).all()), "a weight is NaN or infinite")
    input_names = data.get("input_names")
    _expect(
        isinstance(input_names, list)
        and 1 <= len(input_names) <= _MAX_INPUTS
        and all(isinstance(s, str) for s in input_names),
        '"input_names" must be a list of names',
    )
    features = data.get("features")
    _expect(
        features in PRESETS
        or (isinstance(features, list) and 0 < len(features) <= len(TERMS) and all(f in TERMS for f in features)),
        f"unknown feature map {features!r}",
    )
    _expect(features != "poly3" or len(input_names) <= 20, "too many inputs for cubic features")
    fmap = FeatureMap.from_spec(features if isinstance(features, str) else tuple(features), len(input_names))
    _expect(fmap.n_outputs == n_inputs, "the feature map and the network disagree on the number of inputs")
    std = data.get("standardizer")
    _expect(isinstance(std, dict), "the model has no standardizer")
    mean = _numbers(std.get("mean"), "standardizer mean", ndim=1, empty_shape=(0,))
    scale = _numbers(std.get("scale"), "standardizer scale", ndim=1, empty_shape=(0,))
    _expect(mean.shape == (n_inputs,) and scale.shape == (n_inputs,), "standardizer size does not match the features")
    _expect(
        bool(np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()),
        "the standardizer's scale must be positive and finite",
    )
    classes = data.get("classes")
    _expect(
        isinstance(classes, list)
        and len(classes) == n_classes
        and all(isinstance(c, str) or (_is_number(c) and math.isfinite(c)) for c in classes),
        "the model's classes do not match its network",
    )
    network = Network(n_inputs, n_classes, tuple(hidden), n["activation"], n["dtype"])
    network.set_params(flat)
    return Model(classes, fmap, Standardizer(mean, scale), network, input_names)


def _config_from_dict(data) -> TrainConfig:
    if data is None:
        return TrainConfig()
    _expect(isinstance(data, dict), '"config" must be an object')
    defaults = TrainConfig()
    values = {}
    for f in fields(TrainConfig):
        if f.name not in data:
            continue  # a field this file predates: keep the default
        value, default = data[f.name], getattr(defaults, f.name)
        if f.name == "hidden":
            ok = isinstance(value, list) and all(_is_int(h) and 1 <= h <= MAX_UNITS for h in value)
        elif f.name == "features":
            ok = value in PRESETS or (isinstance(value, list) and all(v in TERMS for v in value))
        elif isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):  # counts and the seed; bounded so Qt's int widgets can show them
            ok = _is_int(value) and 0 <= value < (2**63 if f.name == "seed" else 2**31)
        elif isinstance(default, float):
            ok = _is_number(value) and math.isfinite(value)
        else:
            ok = isinstance(value, type(default))
        _expect(ok, f"config {f.name!r} has the wrong type ({value!r})")
        values[f.name] = value
    config = TrainConfig.from_dict(values)
    try:
        config.validate()
    except ValueError as exc:
        raise _Bad(f"config: {exc}") from None
    return config


def _view_from_dict(view) -> dict:
    if view is None:
        return {}
    _expect(isinstance(view, dict), '"view" must be an object')
    out = dict(view)
    for key in ("xlim", "ylim"):
        if key in out:
            lim = out[key]
            _expect(
                isinstance(lim, list)
                and len(lim) == 2
                and all(_is_number(v) for v in lim)
                and all(math.isfinite(v) for v in lim)
                and lim[0] < lim[1],
                f"view {key} must be two finite numbers, low then high",
            )
            out[key] = (float(lim[0]), float(lim[1]))
    return out


def _training_from_dict(training, n_points: int) -> dict:
    if training is None:
        return {}
    _expect(isinstance(training, dict), '"training" must be an object')
    out = dict(training)
    for key in ("epoch", "best_epoch", "run_id"):
        value = out.get(key)
        _expect(value is None or (_is_int(value) and value >= 0), f"training {key} must be a whole number")
    why = out.get("stopped_because")
    _expect(why is None or isinstance(why, str), "training stopped_because must be text")
    if out.get("test_idx") is not None:
        idx = _integers(out["test_idx"], "training test_idx")
        _expect(not len(idx) or (idx.min() >= 0 and idx.max() < n_points), "a test index points at no point")
        out["test_idx"] = idx
    return out


def _migrate(doc: dict, source: str) -> dict:
    version = doc["version"]
    while version < SESSION_VERSION:
        step = _MIGRATIONS.get(version)
        if step is None:
            raise SessionError(f"{source}: session version {version} cannot be read by this Logit Lab")
        doc = step(dict(doc))
        version += 1
        doc["version"] = version
    return doc


def _numbers(value, what: str, ndim: int, empty_shape) -> np.ndarray:
    """A float64 array of JSON numbers (no strings, booleans or nulls) with ``ndim`` dimensions."""
    array = _as_array(value, what, "a regular table of numbers")
    if array.size == 0:
        return np.zeros(empty_shape)
    _expect(array.dtype.kind in "iuf", f"{what} must hold only numbers")
    _expect(array.ndim == ndim, f"{what} must be a {'table' if ndim == 2 else 'list'} of numbers")
    with np.errstate(all="ignore"):
        return array.astype(np.float64)


def _integers(value, what: str) -> np.ndarray:
    array = _as_array(value, what, "a list of whole numbers")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    _expect(array.ndim == 1 and array.dtype.kind in "iu", f"{what} must be a list of whole numbers")
    return array.astype(np.int64)


def _as_array(value, what: str, expected: str) -> np.ndarray:
    """A JSON list (or an array already) as a NumPy array; _Bad naming ``what`` otherwise."""
    if isinstance(value, np.ndarray):
        return value
    _expect(isinstance(value, list), f"{what} must be a list")
    try:
        return np.array(value)
    except (ValueError, TypeError, OverflowError):
        raise _Bad(f"{what} must be {expected}") from None


def _array_chunks(array: np.ndarray):
    """JSON text of a 1-D or 2-D array, one row per line, encoded a chunk of rows at a time."""
    if array.size == 0:
        yield "[]"
        return
    yield "[\n"
    n = len(array)
    for start in range(0, n, _ROWS_PER_CHUNK):
        block = json.dumps(array[start : start + _ROWS_PER_CHUNK].tolist(), allow_nan=False)[1:-1]
        if array.ndim == 2:
            block = block.replace("], [", "],\n[")
        if start + _ROWS_PER_CHUNK < n:
            block += ",\n"
        yield block
    yield "\n]"


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
        raise SessionError(
            f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}); the file may be truncated"
        ) from None
    except RecursionError:
        raise SessionError(f"{source}: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise SessionError(f"{source}: not a usable JSON file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != expected_format:
        raise SessionError(f'{source}: not a {expected_format} file (no "format": "{expected_format}")')
    version = doc.get("version")
    if not _is_int(version) or version < 1:
        raise SessionError(f'{source}: the "version" field must be a positive integer, not {version!r}')
    if version > newest:
        raise SessionError(
            f"{source}: written by a newer Logit Lab (file version {version}, this "
            f"program reads up to {newest}); please update Logit Lab"
        )
    return doc


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _label_key(label):
    return ("n", float(label)) if _is_number(label) else ("s", label)


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


def _plain_tree(v):
    """JSON-ready copy: arrays become lists, NumPy scalars Python numbers, tuples lists."""
    if isinstance(v, dict):
        return {str(k): _plain_tree(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain_tree(x) for x in v]
    if isinstance(v, np.ndarray):
        return v.tolist()
    return _finite_or_none(v)
