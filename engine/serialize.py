"""Session files (JSON, docs/design.md §5), written atomically.

A session file holds a model (:mod:`engine.model_file`) plus the points, class colours, the
training configuration, the loss history and the view state, so opening it reproduces the
picture. Floats are written with ``repr`` precision (JSON does that), so weights round-trip bit
for bit.

Reading never trusts the file (:mod:`engine.json_checks`): any problem — random bytes, a truncated
file, a wrong type, a newer version — raises :class:`SessionError` with a message naming the file
and the field. Older versions are migrated step by step (``_MIGRATIONS``); newer ones are refused.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import fields

import numpy as np

from .atomic import atomic_write
from .comparison import MAX_PINNED, pinned_from_dict
from .data import Dataset
from .epochs import REPORT_COLUMNS, report_history, saved_report_history
from .features import PRESETS, TERMS
from .history import History
from .json_checks import (
    MAX_INPUTS,
    Invalid,
    SessionError,
    as_array,
    describe,
    expect,
    integers_array,
    is_int,
    is_number,
    numbers_array,
    plain,
    read_json,
)
from .model import Model
from .model_file import build_model, model_to_dict
from .network import MAX_UNITS
from .session_text import loads as loads_session_text
from .training import TrainConfig

__all__ = [
    "SESSION_FORMAT",
    "SESSION_SUFFIX",
    "SESSION_VERSION",
    "EncodedArrays",
    "SessionError",
    "atomic_write_text",
    "history_from_dict",
    "history_to_dict",
    "load_session",
    "save_session",
    "session_from_dict",
    "session_json_chunks",
    "session_to_dict",
]

SESSION_FORMAT = "logit-lab-session"
SESSION_VERSION = 1
SESSION_SUFFIX = ".logitlab.json"
#: History columns an older file may leave out that read as 0 (the others read as missing).
_ZERO_WHEN_MISSING = ("grad_norm", "weight_norm", "update_ratio", "seconds", "lr", "samples")
#: Largest head, recent or bucket count a saved history may ask for (the lab uses 512).
_MAX_HISTORY_SIZE = 1 << 16
#: Upgrades, one version step each: ``_MIGRATIONS[v](doc)`` turns a version-v document into v + 1.
_MIGRATIONS: dict = {}
_COLOR = re.compile(r"#[0-9a-fA-F]{6}\Z")
_ROWS_PER_CHUNK = 5000  # points encoded per call (~5 ms), so a writer thread never holds the GIL long


def atomic_write_text(path, text: str | Iterable[str]) -> None:
    """Write ``text`` (a string or an iterable of strings) to ``path`` atomically (engine.atomic)."""
    atomic_write(path, text)


# -------------------------------------------------------------------------------------- sessions
def history_to_dict(history) -> dict:
    """Column-wise history (compact, and easy to plot from other tools): the rows a report
    history (:func:`engine.epochs.report_history`) keeps whole, one list per field, and under
    ``"extremes"`` what its decimated part adds (each bucket's minima and maxima); a list of
    reports is written as a report history of them."""
    history = report_history(history)
    epochs, table = history.arrays()
    out = {"epoch": epochs.tolist()}
    out.update({name: _json_numbers(table[:, i]) for i, name in enumerate(REPORT_COLUMNS)})
    out["samples"] = [None if v is None else int(v) for v in out["samples"]]
    if history.level:  # buckets of more than one epoch: their minima and maxima are not in the rows
        out["extremes"] = {
            k: (_json_numbers(v) if isinstance(v, np.ndarray) else v) for k, v in history.extremes().items()
        }
    return out


def history_from_dict(data: dict) -> History:
    """The report history of :func:`history_to_dict` output (or of a full history in an older
    file); ValueError/TypeError on bad data."""
    if not data:
        return report_history()
    expect(isinstance(data, dict), "history must be an object of columns")
    epochs = integers_array(data.get("epoch") or [], "history epoch")
    n = len(epochs)
    expect(not n or epochs.min() >= 0, "history epochs must be whole numbers from 0 up")
    table = np.empty((n, len(REPORT_COLUMNS)))
    for i, name in enumerate(REPORT_COLUMNS):
        column = data.get(name)
        column = [] if column is None else column
        expect(isinstance(column, list) and len(column) in (0, n), f"history column {name!r} must be a list of {n}")
        table[:, i] = _nullable_numbers(column, f"history {name!r}") if column else np.nan
        if name in _ZERO_WHEN_MISSING:  # what older files left out reads as the trainer's default
            np.nan_to_num(table[:, i], copy=False, nan=0.0)
    return saved_report_history(epochs, table, _extremes_from_dict(data.get("extremes")))


def _extremes_from_dict(data) -> dict | None:
    """The ``"extremes"`` of a saved history, checked; None when absent (a full history)."""
    if data is None:
        return None
    expect(isinstance(data, dict), "history extremes must be an object")
    out = {k: data.get(k) for k in ("n_rows", "head", "recent", "buckets")}
    expect(all(is_int(v) and v >= 0 for v in out.values()), "history extremes need whole-number sizes")
    expect(max(out["head"], out["recent"], out["buckets"]) <= _MAX_HISTORY_SIZE, "history extremes are too large")
    width = len(REPORT_COLUMNS)
    for key in ("lo_epoch", "hi_epoch"):
        values = numbers_array(data.get(key), f"history {key}", 2, (0, width))
        expect(bool(np.all(values == np.round(values))), f"history {key} must hold whole numbers")
        out[key] = values.astype(np.int64)
    for key in ("lo", "hi"):
        rows = data.get(key)
        expect(isinstance(rows, list) and all(isinstance(r, list) for r in rows), f"history {key} must be a table")
        out[key] = np.array([_nullable_numbers(r, f"history {key}") for r in rows]).reshape(-1, width)
    return out


def _json_numbers(array: np.ndarray) -> list:
    """A (nested) list of an array's numbers, None for NaN and infinities (JSON has neither)."""
    if array.dtype.kind in "iu":
        return array.tolist()
    out = array.astype(object)
    out[~np.isfinite(array)] = None
    return out.tolist()


def _nullable_numbers(values: list, what: str) -> np.ndarray:
    """(n,) float64 of a JSON list of numbers and nulls (NaN); Invalid for anything else. Checks
    one element at a time only when nulls are present (a long history of numbers stays fast)."""
    array = as_array(values, what, "a list of numbers")
    if array.dtype.kind == "O":
        expect(array.ndim == 1 and all(v is None or is_number(v) for v in values), f"{what} must hold only numbers")
        return array.astype(np.float64)
    expect(array.ndim == 1 and array.dtype.kind in "iuf", f"{what} must hold only numbers")
    with np.errstate(all="ignore"):
        return array.astype(np.float64)


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
    pinned=(),
) -> dict:
    """Everything a session file holds, ready for :func:`save_session`.

    The points and labels stay NumPy arrays (copies) here; :func:`save_session` writes them in
    chunks. ``class_names`` and ``colors`` (``#rrggbb`` or None) follow ``dataset.classes``.
    ``pinned`` holds :func:`engine.comparison.pinned_to_dict` entries (at most ``MAX_PINNED``).
    """
    names = list(class_names) if class_names is not None else [str(c) for c in dataset.classes]
    colors = list(colors) if colors is not None else [None] * dataset.n_classes
    session = {
        "format": SESSION_FORMAT,
        "version": SESSION_VERSION,
        "mode": mode,
        "data": {
            "feature_names": list(dataset.feature_names),
            "label_name": dataset.label_name,
            "classes": [
                {"label": plain(c), "name": n, "color": col} for c, n, col in zip(dataset.classes, names, colors)
            ],
            "points": np.array(dataset.X, dtype=np.float64),
            "labels": np.array(dataset.y, dtype=np.int64),
        },
        "config": config.to_dict(),
        "model": None if model is None else model_to_dict(model),
        "history": history_to_dict(history),
        "training": _plain_tree(dict(training or {})),
        "view": _plain_tree(dict(view or {})),
    }
    if pinned:
        session["pinned"] = list(pinned)[:MAX_PINNED]
    return session


class EncodedArrays:
    """The JSON text of the arrays a writer wrote last, by role (points, labels, test rows).

    An autosave every 15 s of a run on a million points wrote the same points again each time
    and spent seconds encoding them; with one of these kept by the writer, unchanged arrays
    (compared in C, a few ms) reuse their text and only what changed is encoded. One writer
    thread at a time uses it.
    """

    def __init__(self):
        self._memo: dict[str, tuple[np.ndarray, list[str]]] = {}
        self.encoded = 0  # arrays encoded (not reused) so far: the writer's real work

    def chunks(self, role: str, array: np.ndarray):
        """``array``'s JSON text in pieces, encoded only if it differs from the last ``role``."""
        hit = self._memo.get(role)
        if hit is not None and hit[0].dtype == array.dtype and np.array_equal(hit[0], array):
            return hit[1]
        text = list(_array_chunks(array))
        self._memo[role] = (array, text)
        self.encoded += 1
        return text


def session_json_chunks(session: dict, memo: EncodedArrays | None = None):
    """The JSON text of ``session`` as a sequence of strings (one point per line, in chunks: a
    writer thread never holds the interpreter for long). With ``memo``, arrays equal to the ones
    it last saw are not encoded again."""
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
    training = session.get("training")
    if isinstance(training, dict) and "test_idx" in training:  # a fifth of the points: chunked too
        marker = f"@@test_idx-{uuid.uuid4().hex}@@"
        arrays[marker] = np.asarray(training["test_idx"], dtype=np.int64)
        doc["training"] = {**training, "test_idx": marker}
    text = json.dumps(doc, indent=1, allow_nan=False)
    for piece in re.split(r'"(@@(?:points|labels|test_idx)-[0-9a-f]{32}@@)"', text):
        if piece not in arrays:
            yield piece
        elif memo is None:
            yield from _array_chunks(arrays[piece])
        else:
            yield from memo.chunks(piece[2 : piece.index("-")], arrays[piece])


def save_session(path, session: dict, memo: EncodedArrays | None = None) -> None:
    """Write ``session`` (from :func:`session_to_dict`) atomically; ``memo``: see :class:`EncodedArrays`."""
    atomic_write_text(path, session_json_chunks(session, memo))


def load_session(path) -> dict:
    """Read and check a session file. Returns a dict with ready objects:
    ``dataset``, ``config``, ``model`` (or None), ``history``, ``colors``, ``class_names``,
    ``mode``, ``view``, ``training``, ``pinned`` (a list of
    :func:`engine.comparison.pinned_from_dict` results; empty in older files) and ``recovery``
    (an autosave's origin, else {}).
    Raises SessionError with a clear message otherwise."""
    doc = read_json(path, SESSION_FORMAT, SESSION_VERSION, parse=loads_session_text)  # big arrays in slices
    return session_from_dict(doc, str(path))


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
        raise SessionError(f"{source}: the session is damaged ({describe(exc)})") from None


# --------------------------------------------------------------------------------------- helpers
def _session_from_dict(doc: dict, source: str) -> dict:
    expect(isinstance(doc.get("data"), dict), 'missing the "data" object')
    data = doc["data"]
    mode = doc.get("mode", "2d")
    expect(mode in ("2d", "1d"), f'"mode" must be "2d" or "1d", not {mode!r}')
    names = data.get("feature_names")
    expect(
        isinstance(names, list)
        and 1 <= len(names) <= MAX_INPUTS
        and all(isinstance(n, str) and n.strip() for n in names),
        '"feature_names" must be a list of column names',
    )
    label_name = data.get("label_name", "label")
    expect(isinstance(label_name, str) and bool(label_name.strip()), '"label_name" must be a name')
    classes = data.get("classes")
    expect(isinstance(classes, list) and len(classes) >= 1, '"classes" must be a non-empty list')
    labels, class_names, colors = [], [], []
    for i, c in enumerate(classes):
        expect(isinstance(c, dict), f"class {i} must be an object")
        label = c.get("label")
        expect(
            isinstance(label, str) or (is_number(label) and math.isfinite(label)),
            f"class {i} has no usable label ({label!r})",
        )
        name = c.get("name", label if isinstance(label, str) else repr(label))
        expect(isinstance(name, str) and bool(name.strip()), f"class {i} has no name")
        color = c.get("color")
        expect(
            color is None or (isinstance(color, str) and bool(_COLOR.match(color))),
            f"class {name!r}: colour {color!r} is not #rrggbb",
        )
        labels.append(label)
        class_names.append(name.strip())
        colors.append(color)
    expect(len(set(class_names)) == len(class_names), "two classes have the same name")
    expect(len(set(map(_label_key, labels))) == len(labels), "two classes have the same label")
    X = numbers_array(data.get("points"), "points", ndim=2, empty_shape=(0, len(names)))
    y = integers_array(data.get("labels"), "labels")
    expect(X.shape[1] == len(names), f"points have {X.shape[1]} coordinates but there are {len(names)} feature names")
    expect(y.shape == (X.shape[0],), f"{X.shape[0]} points but {y.shape[0]} labels")
    expect(not len(y) or (y.min() >= 0 and y.max() < len(classes)), "a label code points at no class")
    expect(bool(np.isfinite(X).all()), "a point has a NaN or infinite coordinate")
    dataset = Dataset(X, y, tuple(labels), tuple(names), label_name)
    config = _config_from_dict(doc.get("config"))
    model = build_model(doc["model"]) if doc.get("model") is not None else None
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
        "pinned": _pinned_from_list(doc.get("pinned")),
        "recovery": dict(doc["recovery"]) if isinstance(doc.get("recovery"), dict) else {},
    }


def _config_from_dict(data) -> TrainConfig:
    if data is None:
        return TrainConfig()
    expect(isinstance(data, dict), '"config" must be an object')
    defaults = TrainConfig()
    values = {}
    for f in fields(TrainConfig):
        if f.name not in data:
            continue  # a field this file predates: keep the default
        value, default = data[f.name], getattr(defaults, f.name)
        if f.name == "hidden":
            ok = isinstance(value, list) and all(is_int(h) and 1 <= h <= MAX_UNITS for h in value)
        elif f.name == "features":
            ok = value in PRESETS or (isinstance(value, list) and all(v in TERMS for v in value))
        elif isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):  # counts and the seed; bounded so Qt's int widgets can show them
            ok = is_int(value) and 0 <= value < (2**63 if f.name == "seed" else 2**31)
        elif isinstance(default, float):
            ok = is_number(value) and math.isfinite(value)
        else:
            ok = isinstance(value, type(default))
        expect(ok, f"config {f.name!r} has the wrong type ({value!r})")
        values[f.name] = value
    config = TrainConfig.from_dict(values)
    try:
        config.validate()
    except ValueError as exc:
        raise Invalid(f"config: {exc}") from None
    return config


def _view_from_dict(view) -> dict:
    if view is None:
        return {}
    expect(isinstance(view, dict), '"view" must be an object')
    out = dict(view)
    for key in ("xlim", "ylim"):
        if key in out:
            lim = out[key]
            expect(
                isinstance(lim, list)
                and len(lim) == 2
                and all(is_number(v) for v in lim)
                and all(math.isfinite(v) for v in lim)
                and lim[0] < lim[1],
                f"view {key} must be two finite numbers, low then high",
            )
            out[key] = (float(lim[0]), float(lim[1]))
    if "threshold" in out:
        t = out["threshold"]
        expect(is_number(t) and 0.0 < t < 1.0, "view threshold must be a probability between 0 and 1")
        out["threshold"] = float(t)
    for key in ("show_test_points", "discretize"):
        if key in out:
            expect(isinstance(out[key], bool), f"view {key} must be true or false")
    return out


def _training_from_dict(training, n_points: int) -> dict:
    if training is None:
        return {}
    expect(isinstance(training, dict), '"training" must be an object')
    out = dict(training)
    for key in ("epoch", "best_epoch", "run_id"):
        value = out.get(key)
        expect(value is None or (is_int(value) and value >= 0), f"training {key} must be a whole number")
    why = out.get("stopped_because")
    expect(why is None or isinstance(why, str), "training stopped_because must be text")
    if out.get("test_idx") is not None:
        idx = integers_array(out["test_idx"], "training test_idx")
        expect(not len(idx) or (idx.min() >= 0 and idx.max() < n_points), "a test index points at no point")
        out["test_idx"] = idx
    if out.get("recorded") is not None:
        out["recorded"] = _recorded_from_dict(out["recorded"])
    return out


def _pinned_from_list(pinned) -> list:
    if pinned is None:
        return []
    expect(
        isinstance(pinned, list) and len(pinned) <= MAX_PINNED, f'"pinned" must be a list of at most {MAX_PINNED} runs'
    )
    return [pinned_from_dict(p, _config_from_dict) for p in pinned]


def _recorded_from_dict(recorded) -> dict:
    """The recorded weights of a run: ``{"epochs": [k ints, ascending], "params": k × n numbers}``."""
    expect(isinstance(recorded, dict), 'training "recorded" must be an object')
    epochs = integers_array(recorded.get("epochs"), "training recorded epochs")
    params = numbers_array(recorded.get("params"), "training recorded params", 2, (0, 0))
    expect(len(params) == len(epochs), "training recorded params need one row per recorded epoch")
    expect(bool(np.isfinite(params).all()), "training recorded params must be finite numbers")
    expect(not len(epochs) or (epochs.min() >= 0 and bool(np.all(np.diff(epochs) >= 0))), "recorded epochs must ascend")
    return {"epochs": epochs.tolist(), "params": params}


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


def _label_key(label):
    return ("n", float(label)) if is_number(label) else ("s", label)


def _finite_or_none(v):
    if v is None:
        return None
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
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
