"""Fuzzing the readers: random bytes, truncated files, wrong types and future versions never raise
anything but the project's clear error (SessionError for sessions, DataError for CSV), and a
session that loads always opens in the window or is refused with a message, data unchanged."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from engine.data import DataError, Dataset, find_problems, read_csv
from engine.serialize import SessionError, load_session, session_from_dict, session_json_chunks, session_to_dict
from engine.training import TrainConfig, Trainer
from files_helpers import make_window  # noqa: F401

def fuzz(max_examples):
    return settings(max_examples=max_examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.filter_too_much])


def base_session() -> dict:
    """A small but complete session: 3 classes, an MLP with history, view and training state."""
    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(12, 2)), 3)
    ds = Dataset(X, np.arange(12) % 3, ("A", "B", "C"), ("x1", "x2"))
    trainer = Trainer(ds, TrainConfig(model="mlp", hidden=(3,), epochs=3, batch_size=4, test_fraction=0.25))
    trainer.fit()
    session = session_to_dict(ds, trainer.config, model=trainer.model, history=trainer.history,
                              colors=["#E69F00", "#56B4E9", None], class_names=["A", "B", "C"],
                              view={"xlim": [-3, 3], "ylim": [-2.5, 2.5], "current_class": 1, "overlay": True},
                              training={"epoch": 3, "stopped_because": "epochs", "best_epoch": None,
                                        "test_idx": trainer.test_idx})
    return json.loads("".join(session_json_chunks(session)))


BASE = base_session()
BASE_TEXT = json.dumps(BASE, indent=1).encode()

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6) | st.sampled_from(["#12345g", "#123456", "2d", "1d", "relu", "poly3", "linear", "adam"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10)


def container_paths(node, prefix=()):
    """Paths to every value in the document (lists: the first three items only)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += container_paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            out += container_paths(value, prefix + (i,))
    return out


PATHS = container_paths(BASE)


@st.composite
def mutated(draw):
    """The base session with one to three values replaced, deleted or extended."""
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            kind = draw(st.sampled_from(["replace", "replace", "delete", "extend"]))
            if kind == "replace":
                parent[path[-1]] = draw(JSON)
            elif kind == "delete":
                del parent[path[-1]]
            elif isinstance(parent[path[-1]], list):
                parent[path[-1]].append(draw(JSON))
            elif isinstance(parent[path[-1]], dict):
                parent[path[-1]][draw(st.text(max_size=4))] = draw(JSON)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed this path
    return doc


def load_bytes(tmp_path_factory, data: bytes):
    path = tmp_path_factory.mktemp("fuzz") / "s.logitlab.json"
    path.write_bytes(data)
    return load_session(path)


@fuzz(150)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_session_error(tmp_path_factory, data):
    with pytest.raises(SessionError):
        load_bytes(tmp_path_factory, data)


@fuzz(150)
@given(cut=st.integers(0, len(BASE_TEXT) - 1), junk=st.binary(max_size=8))
def test_truncated_files_raise_only_session_error(tmp_path_factory, cut, junk):
    try:
        load_bytes(tmp_path_factory, BASE_TEXT[:cut] + junk)
    except SessionError as error:
        assert "s.logitlab.json" in str(error)


@fuzz(400)
@given(mutated())
def test_wrong_types_raise_only_session_error(doc):
    try:
        loaded = session_from_dict(doc)
    except SessionError:
        return
    # What loads is consistent: the objects the window will use hold together.
    ds = loaded["dataset"]
    assert ds.X.shape == (len(ds.y), len(ds.feature_names)) and np.isfinite(ds.X).all()
    assert len(loaded["class_names"]) == len(loaded["colors"]) == ds.n_classes
    loaded["config"].validate()
    if loaded["model"] is not None:
        model = loaded["model"]
        assert model.predict_proba(np.zeros((2, model.n_inputs))).shape == (2, model.network.n_classes)


def _read(doc, folder):
    path = folder / "s.logitlab.json"
    path.write_text(json.dumps(doc))
    return load_session(path)


@pytest.mark.parametrize("version", [2, 10**6])
def test_future_versions_are_refused_with_a_clear_message(tmp_path, version):
    with pytest.raises(SessionError, match=r"newer Logit Lab .*please update"):
        _read({**BASE, "version": version}, tmp_path)


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, None, True])
def test_bad_versions_are_refused(tmp_path, version):
    with pytest.raises(SessionError, match="version"):
        _read({**BASE, "version": version}, tmp_path)


# ------------------------------------------------------------------ through the window
@fuzz(40)
@given(docs=st.lists(mutated(), min_size=1, max_size=1))
def test_the_window_opens_or_refuses_every_loadable_session(make_window, tmp_path_factory, docs):
    doc = docs[0]
    try:
        session_from_dict(doc)
    except SessionError:
        assume(False)
    w = _shared_window(make_window)
    w.files.dialogs.answers = ["discard"] * 3
    w.files.dialogs.messages.clear()
    before = (w.document.xy.copy(), w.document.labels.copy(), w.document.classes)
    path = tmp_path_factory.mktemp("gui") / "s.logitlab.json"
    path.write_text(json.dumps(doc))
    opened = w.files.open_path(path)
    event("opened" if opened else "refused")
    if opened:
        assert not w.files.dialogs.errors and not w.isWindowModified()
        assert w.document.n_points == len(doc["data"]["labels"])
    else:
        assert len(w.files.dialogs.errors) == 1
        assert np.array_equal(w.document.xy, before[0]) and w.document.classes == before[2]


_WINDOWS = {}


def _shared_window(make_window):
    """One window per test function (hypothesis calls the body many times with one fixture)."""
    key = id(make_window)
    if key not in _WINDOWS:
        _WINDOWS.clear()
        _WINDOWS[key] = make_window(epochs=3)
    return _WINDOWS[key]


# ------------------------------------------------------------------ the CSV reader and its helpers
CSV_ALPHABET = st.sampled_from(list("0123456789.,;\t\"\r\n -+eEaxnNiIfF\x00é\ufeff"))


@fuzz(200)
@given(content=st.one_of(st.binary(max_size=300), st.text(CSV_ALPHABET, max_size=300).map(str.encode),
                         st.text(CSV_ALPHABET, max_size=200).map(lambda b: ("x1,x2,label\n" + b).encode())),
       columns=st.sampled_from([None, (["x1", "x2"], "label"), (["x2"], "x1"), (["nope"], "label")]))
def test_csv_reader_with_progress_and_problem_finder_raise_only_data_error(tmp_path_factory, content, columns):
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    path.write_bytes(content)
    seen = []
    x, label = columns or (None, None)
    try:
        ds = read_csv(path, x, label, progress=seen.append)
    except DataError as error:
        assert str(error).startswith(str(path))
        problems = find_problems(path, x or ["x1", "x2"], label or "label")
        assert all(isinstance(p, DataError) and p.line >= 1 for p in problems)
        return
    assert np.isfinite(ds.X).all() and seen and seen[-1] == 1.0 and seen == sorted(seen)
