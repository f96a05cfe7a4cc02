"""Leave with code: a trained configuration as a standalone Python script (NumPy, scikit-learn, PyTorch, Keras).

:func:`render_script` writes a readable script that rebuilds the data (embedded as literals for up to
:data:`EMBED_LIMIT` rows, else read from a CSV beside the script), applies the same feature map and
standardization (fitted on the training split), defines the same model, trains it with the same
optimizer, and prints one JSON line ``{"coef", "intercept", "train_loss", "train_accuracy"}`` in the
conventions of ``logit-lab fit --json`` (docs/design.md §4). The NumPy flavour replays the engine
step by step — the same seeded generator draws the split, the initial weights and every shuffle in
the same order — so it reproduces the engine's numbers; the others say where their framework differs.
The script never imports the engine. The flavour-specific training code is in
:mod:`engine.script_templates`.
"""

from __future__ import annotations

import os

from .atomic import atomic_write
from .data import Dataset
from .features import FeatureMap
from .script_templates import COMMON_HELPERS, FLAVOUR_BODIES, FLAVOUR_IMPORTS
from .training import TrainConfig

__all__ = ["EMBED_LIMIT", "FLAVOURS", "render_script", "save_script"]

FLAVOURS = ("numpy", "sklearn", "pytorch", "keras")
#: Up to this many rows the data are written into the script; above it the script reads a CSV.
EMBED_LIMIT = 2000


def render_script(dataset: Dataset, config: TrainConfig, flavour: str = "numpy", data_path=None) -> str:
    """The source of a standalone script that trains ``config`` on ``dataset`` with ``flavour``.

    Parameters
    ----------
    dataset : the data (X (n_samples, n_inputs), class codes y (n_samples,), classes in order).
    config : the training configuration; ``epochs`` must be positive (0, "until stopped", has no end).
    flavour : one of :data:`FLAVOURS`.
    data_path : the CSV the script reads when the data have more than :data:`EMBED_LIMIT` rows
        (written by :func:`engine.csv_io.write_csv`); a relative path is taken from the script's
        own folder. Required then, ignored otherwise.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown script flavour {flavour!r}; choose one of {', '.join(FLAVOURS)}")
    config.validate(dataset.n_classes)
    if config.epochs <= 0:
        raise ValueError("the script needs a number of epochs (epochs 0 means until stopped)")
    embed = dataset.n_samples <= EMBED_LIMIT
    if not embed and data_path is None:
        raise ValueError(f"more than {EMBED_LIMIT} rows: give the CSV the script should read (data_path)")
    fmap = FeatureMap.from_spec(config.features, dataset.n_features)
    model_name = config.model_name(dataset.n_classes)
    hidden = config.hidden_layers()
    parts = [
        _header(dataset, config, flavour, fmap, model_name),
        _imports(flavour, embed),
        _settings(config, hidden),
        _data(dataset, embed, data_path),
        _feature_map(fmap, dataset.feature_names),
        COMMON_HELPERS,
        FLAVOUR_BODIES[flavour],
        _MAIN,
    ]
    return "\n\n\n".join(p.strip("\n") for p in parts) + "\n"


def save_script(path, dataset: Dataset, config: TrainConfig, flavour: str = "numpy") -> list[str]:
    """Write the script to ``path`` atomically (and, for large data, the CSV beside it); returns the paths written.

    The CSV is named after the script (``fit.py`` → ``fit.csv``) and read from the script's folder.
    """
    from .csv_io import write_csv  # lazy: csv_io is only needed for large data

    path = os.fspath(path)
    written = []
    data_name = None
    if dataset.n_samples > EMBED_LIMIT:
        data_name = os.path.splitext(os.path.basename(path))[0] + ".csv"
        csv_path = os.path.join(os.path.dirname(path), data_name)
        write_csv(csv_path, dataset)
        written.append(csv_path)
    atomic_write(path, render_script(dataset, config, flavour, data_name))
    written.insert(0, path)
    return written


# ---------------------------------------------------------------------------------- helpers
def _header(dataset, config, flavour, fmap, model_name) -> str:
    needs = {"numpy": "numpy", "sklearn": "numpy, scikit-learn", "pytorch": "numpy, torch", "keras": "numpy, keras 3"}
    layers = f", hidden layers {list(config.hidden_layers())} ({config.activation})" if model_name == "mlp" else ""
    batch = "full batch" if config.batch_size == 0 else f"batch size {config.batch_size}"
    return f'''#!/usr/bin/env python3
"""Logit Lab export ({flavour}): {model_name} regression{layers} on {dataset.n_samples} points.

Features: {_text(", ".join(fmap.names(dataset.feature_names)))}{" (standardized on the training split)" * config.standardize}.
Training: {config.optimizer}, learning rate {config.lr!r}, {batch}, {config.epochs} epochs, seed {config.seed}.

Run it with ``python <this file>`` (needs {needs[flavour]}). It prints one JSON line,
{{"coef": ..., "intercept": ..., "train_loss": ..., "train_accuracy": ...}}, as ``logit-lab fit --json``
does: the mean cross-entropy and accuracy on the training split, and for linear models one row of
coefficients per logit in the original units of the features (a binary model has one logit, for the
last class). Other models print null for coef and intercept.
"""'''


def _imports(flavour: str, embed: bool) -> str:
    lines = ["import json"] + ([] if embed else ["import csv", "from pathlib import Path"])
    return "\n".join(lines) + "\n\nimport numpy as np\n" + FLAVOUR_IMPORTS[flavour]


def _settings(config: TrainConfig, hidden: tuple) -> str:
    return f"""# ---- settings: what the lab trained with
SEED = {config.seed}  # np.random.default_rng(SEED) draws the split (and, in NumPy, weights and shuffles)
TEST_FRACTION = {config.test_fraction!r}  # share of each class held out (stratified), 0 = none
STANDARDIZE = {config.standardize}  # zero mean, unit variance, fitted on the training split
HIDDEN = {list(hidden)}  # units per hidden layer ([] = logistic / softmax regression)
ACTIVATION = {config.activation!r}  # of every hidden layer
OPTIMIZER = {config.optimizer!r}  # adam | sgd | momentum
LR = {config.lr!r}
BETA1, BETA2, EPSILON = {config.beta1!r}, {config.beta2!r}, {config.epsilon!r}  # Adam (Keras' formula)
MOMENTUM, NESTEROV = {config.momentum!r}, {config.nesterov}  # the momentum optimizer
BATCH_SIZE = {config.batch_size}  # 0 = full batch
EPOCHS = {config.epochs}
L1, L2 = {config.l1!r}, {config.l2!r}  # adds L1·Σ|w| + L2·Σw² over weights, never biases (Keras' convention)
EARLY_STOPPING = {config.early_stopping}  # patience in epochs (0 = off), on the test loss, else the training loss
DTYPE = np.{config.dtype}"""


def _data(dataset: Dataset, embed: bool, data_path) -> str:
    classes = [_plain(c) for c in dataset.classes]
    head = (
        "# ---- data: raw inputs X (n_samples, n_inputs) and class codes Y indexing CLASSES\n"
        f"INPUT_NAMES = {list(dataset.feature_names)!r}\n"
        f"CLASSES = {classes!r}  # natural order; the last class is the positive one of a binary model\n"
    )
    if embed:
        rows = ",\n".join("    [" + ", ".join(repr(float(v)) for v in row) + "]" for row in dataset.X.tolist())
        labels = ", ".join(str(int(v)) for v in dataset.y)
        return head + f"X = np.array([\n{rows},\n])\nY = np.array([{labels}])"
    written = {(c if isinstance(c, str) else repr(c)): i for i, c in enumerate(classes)}
    return (
        head
        + f"DATA_CSV = Path(__file__).resolve().parent / {os.fspath(data_path)!r}\n"
        + f"LABEL_COLUMN = {dataset.label_name!r}\n"
        + f"CLASS_CODES = {written!r}  # label text in the CSV -> class code\n\n\n"
        + '''def read_data(path):
    """(X, Y) from the CSV written beside this script (header row, one column per input and the label)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    X = np.array([[float(row[name]) for name in INPUT_NAMES] for row in rows])
    Y = np.array([CLASS_CODES[row[LABEL_COLUMN]] for row in rows])
    return X, Y


X, Y = read_data(DATA_CSV)'''
    )


def _feature_map(fmap: FeatureMap, input_names) -> str:
    columns = []
    for kind, arg in fmap.terms:
        if kind in ("sin", "cos"):
            columns.append(f"np.{kind}(X[:, {arg}])")
            continue
        factors = [f"X[:, {i}]" + ("" if p == 1 else f" ** {p}") for i, p in enumerate(arg) if p]
        columns.append(" * ".join(factors))
    body = ",\n".join(f"            {c},  # {_text(name)}" for c, name in zip(columns, fmap.names(input_names)))
    return f'''# ---- feature map: what the model sees of each point
FEATURE_NAMES = {fmap.names(input_names)!r}


def feature_map(X):
    """Mapped features (n_samples, n_features) of raw inputs (n_samples, n_inputs)."""
    return np.column_stack(
        [
{body}
        ]
    ).astype(np.float64)'''


def _text(text: str) -> str:
    """``text`` safe inside a comment or docstring: one line, no quotes or backslashes."""
    return " ".join(str(text).split()).replace("\\", "/").replace('"', "'")


def _plain(value):
    """A class label as a plain Python value (NumPy scalars print as ``np.int64(1)``)."""
    return value.item() if hasattr(value, "item") else value


_MAIN = """if __name__ == "__main__":
    result = train()
    print(json.dumps({k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in result.items()}))"""
