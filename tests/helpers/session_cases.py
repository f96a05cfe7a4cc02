"""Hypothesis strategies shared by the session fuzz tests: a complete base session and mutations of it."""

from __future__ import annotations

import copy
import json

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from engine.data import Dataset
from engine.serialize import session_json_chunks, session_to_dict
from engine.training import TrainConfig, Trainer


def fuzz(max_examples):
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
    )


def base_session() -> dict:
    """A small but complete session: 3 classes, an MLP with history, view and training state."""
    rng = np.random.default_rng(0)
    X = np.round(rng.normal(size=(12, 2)), 3)
    ds = Dataset(X, np.arange(12) % 3, ("A", "B", "C"), ("x1", "x2"))
    trainer = Trainer(ds, TrainConfig(model="mlp", hidden=(3,), epochs=3, batch_size=4, test_fraction=0.25))
    trainer.fit()
    session = session_to_dict(
        ds,
        trainer.config,
        model=trainer.model,
        history=trainer.history,
        colors=["#E69F00", "#56B4E9", None],
        class_names=["A", "B", "C"],
        view={"xlim": [-3, 3], "ylim": [-2.5, 2.5], "current_class": 1, "overlay": True},
        training={"epoch": 3, "stopped_because": "epochs", "best_epoch": None, "test_idx": trainer.test_idx},
    )
    return json.loads("".join(session_json_chunks(session)))


BASE = base_session()
BASE_TEXT = json.dumps(BASE, indent=1).encode()

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from(["#12345g", "#123456", "2d", "1d", "relu", "poly3", "linear", "adam"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)


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
