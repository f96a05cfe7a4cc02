"""The named datasets the lab offers: the New dataset dialog's generators (:data:`GENERATORS`) and
the presets that each demonstrate one way training goes wrong (:data:`PRESETS`).

The datasets themselves come from :mod:`engine.generators`; an entry adds a human name, defaults
for the dialog's fields and, for a preset, the training settings that provoke its failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .data import Dataset
from .generators import blobs, circles, glm6, logistic_model, moons, one_d_gaussians, spiral, two_gaussians, xor

__all__ = ["GENERATORS", "PRESETS", "Generator", "Preset"]


@dataclass(frozen=True)
class Generator:
    """One entry of the "New dataset" dialog.

    Attributes
    ----------
    label : str
        Human name shown in the dialog.
    make : callable
        ``make(n=..., noise=..., seed=..., **options) -> Dataset``.
    n, noise : int, float
        Sensible defaults for the dialog's fields.
    options : mapping
        Extra keyword arguments of ``make`` with their defaults, for the dialog to expose.
    fixed : bool
        True when ``make`` ignores ``n``, ``noise`` and ``seed`` (a fixed textbook dataset).
    """

    label: str
    make: Callable[..., Dataset]
    n: int
    noise: float
    options: Mapping[str, object] = field(default_factory=dict)
    fixed: bool = False


def _logistic_dataset(
    n: int = 300,
    noise: float = 0.0,
    seed: int | None = 0,
    *,
    weights: Sequence[float] = (2.0, -1.0),
    bias: float = 0.5,
    distribution: str = "normal",
    rho: float = 0.0,
) -> Dataset:
    """:func:`logistic_model` shaped like the other generators; ``noise`` is the logit noise."""
    return logistic_model(n, weights, bias, distribution=distribution, rho=rho, logit_noise=noise, seed=seed).dataset


def _glm6_dataset(n: int = 6, noise: float = 0.0, seed: int | None = 0) -> Dataset:
    """:func:`glm6` with the generators' signature (all three arguments are ignored)."""
    return glm6()


GENERATORS: Mapping[str, Generator] = MappingProxyType(
    {
        "two_gaussians": Generator("Two Gaussians", two_gaussians, 200, 1.0, {"balance": 0.5}),
        "xor": Generator("XOR", xor, 200, 0.35, {"balance": 0.5}),
        "circles": Generator("Circles", circles, 200, 0.1, {"balance": 0.5, "factor": 0.5}),
        "moons": Generator("Moons", moons, 200, 0.1, {"balance": 0.5}),
        "spiral": Generator("Spiral", spiral, 300, 0.05, {"arms": 2, "turns": 1.0}),
        "blobs": Generator("Blobs (3-8 classes)", blobs, 300, 1.0, {"n_classes": 3}),
        "logistic": Generator(
            "Logistic model (known weights)",
            _logistic_dataset,
            300,
            0.0,
            {"weights": (2.0, -1.0), "bias": 0.5, "distribution": "normal", "rho": 0.0},
        ),
        "one_d_gaussians": Generator("1-D Gaussians", one_d_gaussians, 200, 2.0, {"balance": 0.5}),
        "glm6": Generator("Six-point glm example", _glm6_dataset, 6, 0.0, fixed=True),
    }
)
"""name -> :class:`Generator`, in the order the dialog should list them."""


@dataclass(frozen=True)
class Preset:
    """A dataset plus training settings that show one failure mode.

    Attributes
    ----------
    label : str
        Human name.
    dataset_factory : callable
        ``dataset_factory(seed=0) -> Dataset``.
    lesson : str
        One line: what goes wrong and what fixes it.
    config : mapping
        ``TrainConfig`` field -> value overrides that provoke the failure.
    """

    label: str
    dataset_factory: Callable[..., Dataset]
    lesson: str
    config: Mapping[str, object]


def _separable(seed: int | None = 0) -> Dataset:
    return two_gaussians(100, 0.25, seed)


def _unscaled(seed: int | None = 0) -> Dataset:
    data = two_gaussians(200, 1.0, seed)
    X = data.X * np.array([1.0, 1000.0])
    return Dataset.from_labels(X, data.y, feature_names=("x1", "x2 (x1000)"))


def _xor_linear(seed: int | None = 0) -> Dataset:
    return xor(200, 0.35, seed)


def _lr_too_high(seed: int | None = 0) -> Dataset:
    # Overlapping clouds (noise 1.5) keep curvature at the optimum high (2/λ_max ≈ 6–12), so lr 50
    # is several times too large for every seed; with noise 1.0 some draws are nearly separable,
    # their curvature is tiny and lr 50 converges quietly.
    return two_gaussians(200, 1.5, seed)


def _minority(seed: int | None = 0) -> Dataset:
    return two_gaussians(1000, 1.5, seed, balance=0.01)


PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        "separable": Preset(
            "Perfectly separable",
            _separable,
            "No overlap means no best weights: without L2 they grow for ever - add a little l2.",
            {
                "model": "logistic",
                "features": "linear",
                "l2": 0.0,
                "l1": 0.0,
                "optimizer": "adam",
                "lr": 0.05,
                "batch_size": 0,
                "epochs": 2000,
            },
        ),
        "unscaled": Preset(
            "One feature x1000",
            _unscaled,
            "One feature in thousands: no learning rate suits both features - turn standardize on.",
            {
                "model": "logistic",
                "features": "linear",
                "standardize": False,
                "optimizer": "sgd",
                "lr": 1e-6,
                "batch_size": 0,
                "epochs": 500,
            },
        ),
        "xor_linear": Preset(
            "XOR for a line",
            _xor_linear,
            "No straight line splits XOR, so a linear model stays near 50 % - add x1*x2 or a hidden layer.",
            {
                "model": "logistic",
                "features": "linear",
                "optimizer": "adam",
                "lr": 0.05,
                "batch_size": 0,
                "epochs": 500,
            },
        ),
        "lr_too_high": Preset(
            "Learning rate far too high",
            _lr_too_high,
            "Each step overshoots the minimum, so the loss jumps about or explodes - lower the learning rate.",
            {
                "model": "logistic",
                "features": "linear",
                "standardize": False,
                "optimizer": "sgd",
                "lr": 50.0,
                "batch_size": 0,
                "epochs": 200,
            },
        ),
        "minority": Preset(
            "1 % minority class",
            _minority,
            "Always predicting the majority already scores 99 %: read the confusion matrix, not accuracy.",
            {
                "model": "logistic",
                "features": "linear",
                "optimizer": "adam",
                "lr": 0.01,
                "batch_size": 32,
                "epochs": 100,
                "test_fraction": 0.3,
            },
        ),
    }
)
"""name -> :class:`Preset`."""
