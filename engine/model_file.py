"""Model files (JSON): what is needed to predict — classes, feature map, standardizer, network weights.

Floats are written with ``repr`` precision (JSON does that), so weights round-trip bit for bit. A
model is also the ``"model"`` object of a session file (:mod:`engine.serialize`), checked by the
same :func:`build_model`.
"""

from __future__ import annotations

import json
import math

import numpy as np

from .atomic import atomic_write
from .features import PRESETS, TERMS, FeatureMap, Standardizer
from .json_checks import (
    MAX_INPUTS,
    SessionError,
    describe,
    expect,
    is_int,
    is_number,
    numbers_array,
    plain,
    read_json,
)
from .model import Model
from .network import ACTIVATIONS, MAX_HIDDEN_LAYERS, MAX_UNITS, Network
from .training import TrainConfig

__all__ = [
    "MODEL_FORMAT",
    "MODEL_VERSION",
    "build_model",
    "load_model",
    "model_from_dict",
    "model_to_dict",
    "save_model",
]

MODEL_FORMAT = "logit-lab-model"
MODEL_VERSION = 1


def model_to_dict(model: Model) -> dict:
    """A JSON-ready dict of everything ``model`` needs to predict (weights at ``repr`` precision)."""
    net = model.network
    spec = model.feature_map.spec
    return {
        "classes": [plain(c) for c in model.classes],
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
        return build_model(data)
    except SessionError as exc:
        raise SessionError(f"{source}: the model is damaged ({exc})") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        raise SessionError(f"{source}: the model is damaged ({describe(exc)})") from None


def save_model(path, model: Model, config: TrainConfig | None = None) -> None:
    """Write a model file atomically; ``config``, if given, is kept beside the model for reference."""
    doc = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "model": model_to_dict(model),
        "config": None if config is None else config.to_dict(),
    }
    atomic_write(path, json.dumps(doc, indent=1, allow_nan=False))


def load_model(path) -> Model:
    """Read and check a model file; SessionError naming the file and the problem otherwise."""
    doc = read_json(path, MODEL_FORMAT, MODEL_VERSION)
    return model_from_dict(doc.get("model"), str(path))


def build_model(data) -> Model:
    """A Model from :func:`model_to_dict` output, every field checked; Invalid names the first bad one."""
    expect(isinstance(data, dict), "the model must be an object")
    n = data.get("network")
    expect(isinstance(n, dict), 'the model has no "network"')
    n_inputs, n_classes, hidden = n.get("n_inputs"), n.get("n_classes"), n.get("hidden", [])
    expect(is_int(n_inputs) and n_inputs >= 1, "network n_inputs must be a positive whole number")
    expect(is_int(n_classes) and n_classes >= 2, "network n_classes must be at least 2")
    expect(
        isinstance(hidden, list)
        and len(hidden) <= MAX_HIDDEN_LAYERS
        and all(is_int(h) and 1 <= h <= MAX_UNITS for h in hidden),
        f"hidden layers must be at most {MAX_HIDDEN_LAYERS} sizes of 1 to {MAX_UNITS}",
    )
    expect(n.get("activation") in ACTIVATIONS, f"unknown activation {n.get('activation')!r}")
    expect(n.get("dtype") in ("float32", "float64"), f"unknown dtype {n.get('dtype')!r}")
    params = n.get("params")
    expect(isinstance(params, list), "network params must be a list of numbers")
    sizes = [n_inputs, *hidden, 1 if n_classes == 2 else n_classes]
    expected = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    expect(len(params) == expected, f"the network needs {expected} parameters, the file has {len(params)}")
    flat = numbers_array(params, "network params", ndim=1, empty_shape=(0,))
    expect(bool(np.isfinite(flat).all()), "a weight is NaN or infinite")
    input_names = data.get("input_names")
    expect(
        isinstance(input_names, list)
        and 1 <= len(input_names) <= MAX_INPUTS
        and all(isinstance(s, str) for s in input_names),
        '"input_names" must be a list of names',
    )
    features = data.get("features")
    expect(
        features in PRESETS
        or (isinstance(features, list) and 0 < len(features) <= len(TERMS) and all(f in TERMS for f in features)),
        f"unknown feature map {features!r}",
    )
    expect(features != "poly3" or len(input_names) <= 20, "too many inputs for cubic features")
    fmap = FeatureMap.from_spec(features if isinstance(features, str) else tuple(features), len(input_names))
    expect(fmap.n_outputs == n_inputs, "the feature map and the network disagree on the number of inputs")
    std = data.get("standardizer")
    expect(isinstance(std, dict), "the model has no standardizer")
    mean = numbers_array(std.get("mean"), "standardizer mean", ndim=1, empty_shape=(0,))
    scale = numbers_array(std.get("scale"), "standardizer scale", ndim=1, empty_shape=(0,))
    expect(mean.shape == (n_inputs,) and scale.shape == (n_inputs,), "standardizer size does not match the features")
    expect(
        bool(np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()),
        "the standardizer's scale must be positive and finite",
    )
    classes = data.get("classes")
    expect(
        isinstance(classes, list)
        and len(classes) == n_classes
        and all(isinstance(c, str) or (is_number(c) and math.isfinite(c)) for c in classes),
        "the model's classes do not match its network",
    )
    network = Network(n_inputs, n_classes, tuple(hidden), n["activation"], n["dtype"])
    network.set_params(flat)
    return Model(classes, fmap, Standardizer(mean, scale), network, input_names)
