"""Fuzzing the readers: random bytes, truncated files, wrong types and future versions never raise
anything but the project's clear error (SessionError for sessions, DataError for CSV), and a
session that loads always opens in the window or is refused with a message, data unchanged."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.csv_io import find_problems, read_csv
from engine.data import DataError
from engine.serialize import SessionError, load_session, session_from_dict

from session_cases import BASE, BASE_TEXT, JSON, fuzz, mutated  # noqa: F401


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


# ------------------------------------------------------------------ the CSV reader and its helpers
CSV_ALPHABET = st.sampled_from(list('0123456789.,;\t"\r\n -+eEaxnNiIfF\x00é\ufeff'))


@fuzz(200)
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.text(CSV_ALPHABET, max_size=300).map(str.encode),
        st.text(CSV_ALPHABET, max_size=200).map(lambda b: ("x1,x2,label\n" + b).encode()),
    ),
    columns=st.sampled_from([None, (["x1", "x2"], "label"), (["x2"], "x1"), (["nope"], "label")]),
)
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
