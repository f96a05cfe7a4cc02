"""Lessons as plain data: the file format, its checked parsing, and the data a step sets up.

A lesson is a JSON file (``{"format": "logit-lab-lesson", "version": 1, ...}``, docs/lessons.md)
of steps. Each step may set up data and a training configuration, says what to try, lists the
"Show me" actions (a fixed vocabulary: change settings, train, move/add/remove points, load data)
and declarative checks over the named quantities of :mod:`engine.lesson_checks`. Nothing in a
lesson file is ever executed: every field is checked for its type and meaning when the file is
read, and a problem raises :class:`LessonError` naming the file, the step and the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from .catalog import GENERATORS, PRESETS
from .csv_io import read_csv
from .data import DataError, Dataset
from .generators import GeneratedLogistic, logistic_model
from .json_checks import SessionError, is_int, is_number, read_json
from .lesson_checks import Check, check_template, is_quantity
from .scratch import BUGS
from .training import TrainConfig

__all__ = [
    "FORMAT",
    "Action",
    "DataSpec",
    "Lesson",
    "LessonError",
    "Step",
    "build_dataset",
    "find_lesson",
    "lesson_catalog",
    "lesson_name",
    "load_lesson",
    "parse_lesson",
]

FORMAT = "logit-lab-lesson"
VERSION = 1
#: What "Show me" can do, in the order the actions are listed in a step.
ACTIONS = ("set", "train", "data", "move_point", "add_points", "remove_points", "show", "scratch")
#: The views a "show" action can bring to the front (the window's docks).
VIEWS = (
    "designer",
    "boundary",
    "trainer",
    "loss",
    "metrics",
    "doctor",
    "evaluation",
    "reference",
    "landscape",
    "network",
)
WAIT_FOR = ("run", "change")
MAX_STEPS = 50
MAX_POINTS = 20_000
_RECORD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class LessonError(ValueError):
    """A lesson file that cannot be used; the message names the file, the step and the field."""


@dataclass(frozen=True)
class DataSpec:
    """Where a step's points come from: exactly one of ``generator``, ``preset``, ``example``,
    ``points`` (inline ``x`` rows and ``y`` labels); generated columns may then be multiplied by
    ``scale`` and moved by ``shift`` (a column in the thousands) and renamed."""

    kind: str  # "generator" | "preset" | "example" | "points"
    name: str = ""
    n: int | None = None
    noise: float | None = None
    seed: int = 0
    options: Mapping = field(default_factory=dict)
    x: tuple = ()
    y: tuple = ()
    feature_names: tuple = ()
    scale: tuple = ()
    shift: tuple = ()


@dataclass(frozen=True)
class Action:
    """One "Show me" action: ``kind`` in :data:`ACTIONS` and its checked argument."""

    kind: str
    value: object = None


@dataclass(frozen=True)
class Step:
    title: str
    text: str  # what to try (two or three sentences)
    explain: str  # template over the quantities, shown once the checks pass
    data: DataSpec | None = None
    config: Mapping | None = None  # TrainConfig fields over the lab's defaults, or None: keep the settings
    show_me: tuple[Action, ...] = ()
    checks: tuple[Check, ...] = ()
    wait_for: str = "run"  # "run": check when a run ends; "change": after any edit or setting
    record: Mapping = field(default_factory=dict)  # name -> quantity, remembered for later steps
    scratch: Mapping | None = None  # {"lr": …, "epochs": …}: the dock's From scratch box for this step


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    source: str = ""


def load_lesson(path) -> Lesson:
    """Read and check the lesson file ``path``; its name is the file name without ``.json``."""
    path = Path(path)
    try:
        doc = read_json(path, FORMAT, VERSION)
    except SessionError as exc:
        raise LessonError(str(exc)) from None
    return _lesson(doc, path.name, lesson_name(path))


def lesson_name(path) -> str:
    """A lesson's name: its file name without ``.json`` and without a leading number (``01_``)."""
    return re.sub(r"^\d+_", "", Path(path).stem) or Path(path).stem


def lesson_catalog(folder) -> list[tuple[str, str, Path]]:
    """(name, title, path) of the readable lessons in ``folder``, in file-name order (01_…, 02_…)."""
    out = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            out.append((lesson_name(path), load_lesson(path).title, path))
        except LessonError:
            continue  # the shipped lessons are checked by the tests; a broken one is not offered
    return out


def find_lesson(folder, name: str) -> Path:
    """The lesson file ``name``: a built-in lesson's name in ``folder`` or a path to a .json file."""
    for key, _title, path in lesson_catalog(folder):
        if name in (key, path.stem):
            return path
    if name.endswith(".json") and Path(name).is_file():
        return Path(name)
    known = ", ".join(key for key, _t, _p in lesson_catalog(folder))
    raise LessonError(f"no lesson called {name!r}; the lessons are: {known} (or give a .json file)")


def parse_lesson(text: str, source: str = "<lesson>", name: str = "lesson") -> Lesson:
    """Check lesson JSON ``text``; ``source`` names it in errors."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LessonError(f"{source}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})") from None
    except (RecursionError, ValueError) as exc:
        raise LessonError(f"{source}: not a usable JSON file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise LessonError(f'{source}: not a lesson file (no "format": "{FORMAT}")')
    if not is_int(doc.get("version")) or not 1 <= doc["version"] <= VERSION:
        raise LessonError(f'{source}: "version" must be {VERSION}, not {doc.get("version")!r}')
    return _lesson(doc, source, name)


def build_dataset(spec: DataSpec, examples_dir) -> tuple[Dataset, GeneratedLogistic | None]:
    """The points of ``spec`` and, for the "logistic" generator, the truth they were drawn from."""
    data, made = _raw_dataset(spec, examples_dir)
    if not (spec.scale or spec.shift or spec.feature_names) or spec.kind == "points":
        return data, made
    d = data.n_features
    if any(len(v) not in (0, d) for v in (spec.scale, spec.shift, spec.feature_names)):
        raise ValueError(f"scale, shift and feature_names need one entry per column ({d})")
    X = data.X * np.asarray(spec.scale or (1.0,) * d) + np.asarray(spec.shift or (0.0,) * d)
    names = spec.feature_names or data.feature_names
    return replace(data, X=X, feature_names=tuple(names)), made


def _raw_dataset(spec: DataSpec, examples_dir) -> tuple[Dataset, GeneratedLogistic | None]:
    if spec.kind == "points":
        X = np.asarray(spec.x, dtype=np.float64)
        return Dataset.from_labels(X, list(spec.y), feature_names=spec.feature_names or None), None
    if spec.kind == "example":
        return read_csv(Path(examples_dir) / spec.name), None
    if spec.kind == "preset":
        return PRESETS[spec.name].dataset_factory(seed=spec.seed), None
    gen = GENERATORS[spec.name]
    n = gen.n if spec.n is None else spec.n
    noise = gen.noise if spec.noise is None else spec.noise
    options = {**gen.options, **spec.options}
    if spec.name == "logistic":
        made = logistic_model(
            n,
            options["weights"],
            options["bias"],
            distribution=options["distribution"],
            rho=options["rho"],
            logit_noise=noise,
            seed=spec.seed,
        )
        return made.dataset, made
    return gen.make(n=n, noise=noise, seed=spec.seed, **options), None


# ----------------------------------------------------------------------------------- checking
class _Where:
    """Builds error messages that name the file, the step and the field."""

    def __init__(self, source: str, step: int | None = None, title: str = ""):
        self.source, self.step, self.title = source, step, title

    def fail(self, field_name: str, message: str) -> LessonError:
        where = self.source
        if self.step is not None:
            where += f": step {self.step}" + (f" ({self.title})" if self.title else "")
        return LessonError(f"{where}, field {field_name!r}: {message}")

    def text(self, obj: dict, key: str, required: bool = True) -> str:
        value = obj.get(key, None if required else "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(key, "must be a non-empty text" if required else "must be a text")
        return value.strip()


def _lesson(doc: dict, source: str, name: str) -> Lesson:
    top = _Where(source)
    _only(doc, {"format", "version", "title", "summary", "steps"}, top, "")
    title, summary = top.text(doc, "title"), top.text(doc, "summary", required=False)
    steps = doc.get("steps")
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise top.fail("steps", f"must be a list of 1 to {MAX_STEPS} steps")
    parsed, recorded = [], set()
    for i, raw in enumerate(steps, start=1):
        step = _step(raw, _Where(source, i, raw.get("title", "") if isinstance(raw, dict) else ""), recorded)
        recorded |= set(step.record)
        parsed.append(step)
    return Lesson(name, title, summary, tuple(parsed), source)


def _step(raw, where: _Where, recorded: set) -> Step:
    if not isinstance(raw, dict):
        raise where.fail("steps", "each step must be an object")
    keys = {"title", "text", "explain", "data", "config", "show_me", "checks", "wait_for", "record", "scratch"}
    _only(raw, keys, where, "")
    title, text, explain = where.text(raw, "title"), where.text(raw, "text"), where.text(raw, "explain")
    data = _data(raw["data"], where, "data") if "data" in raw else None
    config = _config(raw["config"], where, "config") if "config" in raw else None
    wait_for = raw.get("wait_for", "run")
    if wait_for not in WAIT_FOR:
        raise where.fail("wait_for", f"must be one of {', '.join(WAIT_FOR)}, not {wait_for!r}")
    show_me = raw.get("show_me", [])
    if not isinstance(show_me, list):
        raise where.fail("show_me", "must be a list of actions")
    actions = tuple(_action(a, where, f"show_me[{j}]") for j, a in enumerate(show_me))
    checks_raw = raw.get("checks", [])
    if not isinstance(checks_raw, list):
        raise where.fail("checks", "must be a list of checks")
    record = raw.get("record", {})
    if not isinstance(record, dict):
        raise where.fail("record", "must map names to quantities")
    for key, quantity in record.items():
        if not _RECORD_NAME.fullmatch(key) or is_quantity(key):
            raise where.fail(f"record.{key}", "must be a new lower-case name (letters, digits, _)")
        if not isinstance(quantity, str) or not is_quantity(quantity):
            raise where.fail(f"record.{key}", f"unknown quantity {quantity!r} (docs/lessons.md lists them)")
    known = recorded | set(record)
    checks = []
    for j, c in enumerate(checks_raw):
        try:
            checks.append(Check.from_dict(c, known))
        except ValueError as exc:
            raise where.fail(f"checks[{j}]", str(exc)) from None
    try:
        check_template(explain, known)
    except ValueError as exc:
        raise where.fail("explain", str(exc)) from None
    scratch = _scratch(raw["scratch"], where) if "scratch" in raw else None
    if any(a.kind == "scratch" for a in actions) and scratch is None:
        raise where.fail("scratch", 'a "scratch" action needs the step\'s "scratch": {"lr": …, "epochs": …}')
    return Step(title, text, explain, data, config, actions, tuple(checks), wait_for, dict(record), scratch)


def _scratch(raw, where: _Where) -> dict:
    ok = isinstance(raw, dict) and set(raw) == {"lr", "epochs"} and is_number(raw["lr"]) and is_int(raw["epochs"])
    if not ok or not 0 < raw["lr"] <= 1e6 or not 1 <= raw["epochs"] <= 100_000:
        raise where.fail("scratch", 'must be {"lr": a positive number, "epochs": 1 to 100000}')
    return dict(raw)


def _only(obj: dict, allowed: set, where: _Where, prefix: str) -> None:
    for key in obj:
        if key not in allowed:
            raise where.fail(prefix + str(key), f"unknown field; expected one of {', '.join(sorted(allowed))}")


_CONFIG_FIELDS = {f.name for f in fields(TrainConfig)} - {"dtype"}


def _config(raw, where: _Where, name: str) -> dict:
    if not isinstance(raw, dict):
        raise where.fail(name, "must be an object of training settings")
    for key, value in raw.items():
        if key not in _CONFIG_FIELDS:
            raise where.fail(f"{name}.{key}", "not a training setting (docs/lessons.md lists them)")
        if isinstance(value, (dict, type(None))):
            raise where.fail(f"{name}.{key}", "must be a number, a text, true/false or a list")
    try:
        config = TrainConfig().with_(**raw)
        config.validate()
        if not isinstance(config.features, str):
            from .features import TERMS

            bad = [t for t in config.features if t not in TERMS]
            if bad or not config.features:
                raise ValueError(f"features must be terms among {', '.join(TERMS)}")
    except (TypeError, ValueError) as exc:
        raise where.fail(name, str(exc)) from None
    return dict(raw)


def _data(raw, where: _Where, name: str) -> DataSpec:
    if not isinstance(raw, dict):
        raise where.fail(name, "must be an object")
    kinds = [k for k in ("generator", "preset", "example", "points") if k in raw]
    if len(kinds) != 1:
        raise where.fail(name, "give exactly one of generator, preset, example, points")
    kind = kinds[0]
    reshape = {"scale", "shift", "feature_names"}
    allowed = {
        "generator": {"generator", "n", "noise", "seed", "options"} | reshape,
        "preset": {"preset", "seed"} | reshape,
        "example": {"example"},
        "points": {"points", "feature_names"},
    }[kind]
    _only(raw, allowed, where, f"{name}.")
    seed = raw.get("seed", 0)
    if not is_int(seed) or seed < 0:
        raise where.fail(f"{name}.seed", "must be a whole number ≥ 0")
    if kind == "points":
        return _points(raw, where, name)
    value = raw[kind]
    if kind == "example":
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+\.csv", value):
            raise where.fail(f"{name}.example", "must be the file name of a shipped example CSV, e.g. glm6.csv")
        return DataSpec("example", value)
    table = GENERATORS if kind == "generator" else PRESETS
    if not isinstance(value, str) or value not in table:
        raise where.fail(f"{name}.{kind}", f"unknown {kind} {value!r}; choose from {', '.join(table)}")
    scale, shift = _numbers(raw, "scale", where, name), _numbers(raw, "shift", where, name)
    names = raw.get("feature_names", [])
    if not isinstance(names, list) or not all(isinstance(s, str) and s for s in names):
        raise where.fail(f"{name}.feature_names", "must be a list of names")
    if value == "logistic" and (scale or shift):
        raise where.fail(name, "the logistic generator's truth is for its own units: no scale or shift")
    reshaped = {"scale": scale, "shift": shift, "feature_names": tuple(names)}
    if kind == "preset":
        return _built(DataSpec("preset", value, seed=seed, **reshaped), where, name)
    n, noise, options = raw.get("n"), raw.get("noise"), raw.get("options", {})
    if n is not None and (not is_int(n) or not 2 <= n <= MAX_POINTS):
        raise where.fail(f"{name}.n", f"must be a whole number from 2 to {MAX_POINTS}")
    if noise is not None and (not is_number(noise) or not 0 <= noise <= 100):
        raise where.fail(f"{name}.noise", "must be a number from 0 to 100")
    if not isinstance(options, dict):
        raise where.fail(f"{name}.options", "must be an object")
    for key, opt in options.items():
        if key not in GENERATORS[value].options:
            known = ", ".join(GENERATORS[value].options) or "none"
            raise where.fail(f"{name}.options.{key}", f"not an option of {value} (options: {known})")
        default = GENERATORS[value].options[key]
        if isinstance(default, tuple):
            ok = isinstance(opt, list) and opt and all(is_number(v) for v in opt)
        elif isinstance(default, str):
            ok = isinstance(opt, str)
        else:
            ok = is_number(opt)
        if not ok:
            raise where.fail(f"{name}.options.{key}", f"must be like {default!r}")
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
    return _built(DataSpec("generator", value, n, noise, seed, options, **reshaped), where, name)


def _numbers(raw: dict, key: str, where: _Where, name: str) -> tuple:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(is_number(v) and abs(v) <= 1e9 for v in value):
        raise where.fail(f"{name}.{key}", "must be a list of numbers, one per column")
    return tuple(float(v) for v in value)


def _built(spec: DataSpec, where: _Where, name: str) -> DataSpec:
    """``spec`` once it has been shown to make data (the same seed makes the same data later)."""
    try:
        build_dataset(spec, ".")
    except (DataError, ValueError, TypeError) as exc:
        raise where.fail(name, f"cannot make these data: {exc}") from None
    return spec


def _points(raw, where: _Where, name: str) -> DataSpec:
    pts, names = raw["points"], raw.get("feature_names", [])
    if not isinstance(pts, dict) or set(pts) != {"x", "y"}:
        raise where.fail(f"{name}.points", 'must be {"x": [rows], "y": [labels]}')
    x, y = pts["x"], pts["y"]
    rows_ok = isinstance(x, list) and 2 <= len(x) <= MAX_POINTS and all(isinstance(r, list) for r in x)
    if not rows_ok or not all(1 <= len(r) <= 2 and all(is_number(v) for v in r) for r in x):
        raise where.fail(f"{name}.points.x", f"must be 2 to {MAX_POINTS} rows of one or two numbers")
    if len({len(r) for r in x}) != 1:
        raise where.fail(f"{name}.points.x", "every row must have the same number of values")
    if not isinstance(y, list) or len(y) != len(x) or not all(is_number(v) or isinstance(v, str) for v in y):
        raise where.fail(f"{name}.points.y", "must be one label (number or text) per row of x")
    if not isinstance(names, list) or not all(isinstance(s, str) and s for s in names):
        raise where.fail(f"{name}.feature_names", "must be a list of names")
    if names and len(names) != len(x[0]):
        raise where.fail(f"{name}.feature_names", "must name each column of x")
    spec = DataSpec("points", x=tuple(tuple(r) for r in x), y=tuple(y), feature_names=tuple(names))
    try:
        build_dataset(spec, ".")
    except (DataError, ValueError) as exc:
        raise where.fail(f"{name}.points", str(exc)) from None
    return spec


def _action(raw, where: _Where, name: str) -> Action:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise where.fail(name, f"must be an object with one of {', '.join(ACTIONS)}")
    ((kind, value),) = raw.items()
    if kind not in ACTIONS:
        raise where.fail(name, f"unknown action {kind!r}; choose from {', '.join(ACTIONS)}")
    here = f"{name}.{kind}"
    if kind == "set":
        return Action("set", _config(value, where, here))
    if kind == "train":
        if value is not True:
            raise where.fail(here, "must be true")
        return Action("train", True)
    if kind == "data":
        return Action("data", _data(value, where, here))
    if kind == "scratch":
        if not isinstance(value, str) or value not in BUGS:
            raise where.fail(here, f"must be one of {', '.join(BUGS)}")
        return Action("scratch", value)
    if kind == "show":
        if value not in VIEWS:
            raise where.fail(here, f"must be one of {', '.join(VIEWS)}")
        return Action("show", value)
    if kind == "remove_points":
        if not isinstance(value, list) or not value or not all(is_int(i) and i >= 0 for i in value):
            raise where.fail(here, "must be a list of point numbers (0 is the first point)")
        return Action("remove_points", tuple(value))
    if kind == "move_point":
        ok = isinstance(value, dict) and set(value) == {"index", "to"} and is_int(value["index"])
        ok = ok and value["index"] >= 0 and _row(value["to"])
        if not ok:
            raise where.fail(here, 'must be {"index": point number, "to": [x1, x2]}')
        return Action("move_point", (value["index"], tuple(value["to"])))
    ok = isinstance(value, dict) and set(value) == {"x", "label"} and is_int(value["label"]) and value["label"] >= 0
    ok = ok and isinstance(value["x"], list) and 1 <= len(value["x"]) <= MAX_POINTS and all(map(_row, value["x"]))
    if not ok:
        raise where.fail(here, 'must be {"x": [[x1, x2], ...], "label": class number}')
    return Action("add_points", (tuple(tuple(r) for r in value["x"]), value["label"]))


def _row(r) -> bool:
    return isinstance(r, list) and 1 <= len(r) <= 2 and all(is_number(v) for v in r)
