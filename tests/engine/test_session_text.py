"""The sliced session reader (engine.session_text) gives what one json.loads gives, with the big
arrays as the NumPy arrays np.array would make of them; every file it does not read in slices,
and every broken file, gets today's plain path, so loads and errors are the same as before."""

from __future__ import annotations

import copy
import json

import numpy as np
from hypothesis import event, given
from hypothesis import strategies as st

from engine import session_text
from engine.data import Dataset
from engine.json_checks import parse_json, read_json
from engine.serialize import (
    SESSION_FORMAT,
    SESSION_VERSION,
    SessionError,
    load_session,
    save_session,
    session_from_dict,
    session_json_chunks,
    session_to_dict,
)
from engine.training import TrainConfig

from session_cases import BASE, fuzz

ARRAYS = (("data", "points"), ("data", "labels"), ("training", "test_idx"))
NUMBER = (
    st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-(2**65), 2**65)
    | st.sampled_from([2**63 + 1, 2**64 + 1, -(2**63) - 1])  # where np.array turns to uint64, float64, object
)
#: Keys and strings that hold the array keys' text, so a search for them finds the wrong place.
TRICKY = ["x", "points", "labels", "test_idx", 'x"points', '"points": [[1, 2]]', '"labels": [1', "test_idx\\"]
WHITESPACE = ["\n", "\r\n", " \t\n  ", "\n\n", "\n\t"]


def value_at(doc, path):
    for key in path:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def plain_load(path) -> dict:
    """Today's reader: one json.loads of the whole file, then the checks."""
    return session_from_dict(read_json(path, SESSION_FORMAT, SESSION_VERSION), str(path))


def outcome(load) -> tuple:
    """What a user would see: the error message, or the loaded objects in comparable form."""
    try:
        loaded = load()
    except SessionError as error:
        return ("error", str(error))
    ds, training = loaded["dataset"], dict(loaded["training"])
    if training.get("test_idx") is not None:
        training["test_idx"] = (training["test_idx"].dtype.str, training["test_idx"].tolist())
    rest = {k: v for k, v in loaded.items() if k not in ("dataset", "training", "model", "history", "config")}
    return ("loaded", ds.X.tolist(), ds.y.tolist(), ds.classes, training, rest, loaded["config"])


def assert_same_document(fast, plain):
    """``fast`` is ``plain`` with some of the big arrays as the arrays np.array makes of them."""
    fast = copy.deepcopy(fast)
    for path in ARRAYS:
        array = value_at(fast, path)
        if isinstance(array, np.ndarray):
            expected = np.array(value_at(plain, path))
            assert (array.dtype, array.shape) == (expected.dtype, expected.shape)
            assert np.array_equal(array, expected)
            value_at(fast, path[:-1])[path[-1]] = value_at(plain, path)
    assert fast == plain


@st.composite
def session_texts(draw) -> bytes:
    """Session files: the writer's layout or json.dumps of any indent, keys in any order, odd
    whitespace, a byte-order mark, regular or ragged arrays of ints, floats and huge ints, and
    the array keys' text in other keys and in strings."""
    doc = copy.deepcopy(BASE)
    width = draw(st.sampled_from([1, 2]))  # 1: a 1-D session
    n = draw(st.integers(0, 9))
    rows = draw(st.lists(st.lists(NUMBER, min_size=width, max_size=width), min_size=n, max_size=n))
    if rows and draw(st.integers(0, 5)) == 0:
        rows[draw(st.integers(0, n - 1))].append(1)  # ragged
    doc["data"]["feature_names"] = ["x1", "x2"][:width]
    doc["data"]["points"] = rows
    doc["data"]["labels"] = draw(st.lists(st.integers(0, 2) | NUMBER, min_size=n, max_size=n))
    doc["training"]["test_idx"] = draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=n))
    doc["data"]["classes"][0]["name"] = draw(st.sampled_from(TRICKY))
    doc[draw(st.sampled_from(["view", "history", "training"]))][draw(st.sampled_from(TRICKY))] = [[1, 2]]
    for section in (doc, doc["data"], doc["training"]):
        order = draw(st.permutations(list(section)))
        items = [(k, section.pop(k)) for k in order]
        section.update(items)
    try:
        chunks = {key: np.asarray(doc["data"][key]) for key in ("points", "labels")}
    except ValueError:  # ragged: only json.dumps can write it
        chunks = None
    if chunks is not None and draw(st.booleans()):
        text = "".join(session_json_chunks({**doc, "data": {**doc["data"], **chunks}}))
    else:
        text = json.dumps(doc, indent=draw(st.sampled_from([None, 0, 1, 3])))
    text = text.replace("\n", draw(st.sampled_from(WHITESPACE)))
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + text.encode()


@fuzz(300)
@given(raw=session_texts(), rows=st.sampled_from([1, 2, 3, 4000]))
def test_sliced_reading_gives_the_plain_document_and_load(monkeypatch, raw, rows):
    monkeypatch.setattr(session_text, "ROWS_PER_SLICE", rows)
    fast, plain = session_text.loads(raw), parse_json(raw)
    event(f"sliced: {[p[-1] for p in ARRAYS if isinstance(value_at(fast, p), np.ndarray)]}")
    assert_same_document(fast, plain)
    assert outcome(lambda: session_from_dict(fast)) == outcome(lambda: session_from_dict(plain))


def test_a_written_session_takes_the_sliced_path(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(10_000, 2))
    ds = Dataset(X, (X[:, 0] > 0).astype(int), ("a", "b"), ("x1", "x2"))
    path = tmp_path / "big.logitlab.json"
    save_session(path, session_to_dict(ds, TrainConfig(), training={"test_idx": rng.permutation(10_000)[:2000]}))
    before = session_text.sliced.copy()
    loaded = load_session(path)
    assert session_text.sliced - before == {"points": 1, "labels": 1, "test_idx": 1}
    assert outcome(lambda: loaded) == outcome(lambda: plain_load(path))


def written_text(n: int) -> bytes:
    """The base session with ``n`` points (floats, and whole numbers in a few rows), as saved."""
    rng = np.random.default_rng(2)
    points = np.round(rng.normal(size=(n, 2)), 4).astype(object)
    points[::9] = rng.integers(-3, 3, size=points[::9].shape)
    doc = copy.deepcopy(BASE)
    doc["data"] |= {"points": points, "labels": rng.integers(0, 3, n)}
    doc["training"]["test_idx"] = rng.permutation(n)[: n // 5]
    return "".join(session_json_chunks(doc)).encode()


WRITTEN = written_text(150)
JUNK = [
    b"true",
    b"null",
    b'"1"',
    b"1.5",
    b"[1, 2, 3]",
    b"[]",
    b"18446744073709551616",
    b"9" * 5000,
    b"NaN",
    b"-Infinity",
    b"1e999",
    b",",
    b"]",
    b"[",
    b"-",
    b"01",
    b"\xff",
    b"\xc3\xa9",
    b" ",
    b'"points": [[1, 2]]',
    b"",
]


@fuzz(200)
@given(data=st.data())
def test_damaged_sessions_give_the_same_message_as_before(tmp_path_factory, monkeypatch, data):
    monkeypatch.setattr(session_text, "ROWS_PER_SLICE", 7)  # several slices; damage lands in one
    raw = bytearray(WRITTEN)
    at = data.draw(st.integers(0, len(raw)))
    raw[at : at + data.draw(st.integers(0, 3))] = data.draw(st.sampled_from(JUNK))
    if data.draw(st.integers(0, 3)) == 0:
        raw = raw[: data.draw(st.integers(0, len(raw)))]  # truncated
    path = tmp_path_factory.mktemp("damaged") / "s.logitlab.json"
    path.write_bytes(bytes(raw))
    event(outcome(lambda: load_session(path))[0])
    assert outcome(lambda: load_session(path)) == outcome(lambda: plain_load(path))
