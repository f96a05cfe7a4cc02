"""engine.serialize.EncodedArrays: a writer's memo of array text gives the same file, encoding only what changed."""

from __future__ import annotations

import numpy as np

from engine.data import Dataset
from engine.serialize import EncodedArrays, session_json_chunks, session_to_dict
from engine.training import TrainConfig


def session(X, y):
    return session_to_dict(Dataset.from_labels(X, y), TrainConfig())


def test_the_memo_gives_the_same_text_and_reuses_equal_arrays():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12_001, 2)), np.arange(12_001) % 2
    plain = "".join(session_json_chunks(session(X, y)))
    memo = EncodedArrays()
    assert "".join(session_json_chunks(session(X, y), memo)) == plain
    assert memo.encoded == 2  # points, labels
    assert "".join(session_json_chunks(session(X.copy(), y.copy()), memo)) == plain  # equal copies: reused
    assert memo.encoded == 2
    X2 = X.copy()
    X2[7, 1] += 1e-12
    moved = "".join(session_json_chunks(session(X2, y), memo))
    assert memo.encoded == 3 and moved == "".join(session_json_chunks(session(X2, y)))
