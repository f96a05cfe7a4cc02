"""Feature maps (what the model sees of each point) and the standardizer.

A feature map turns raw inputs (n_samples, n_inputs) into mapped features (n_samples, n_features):
named presets (``linear``, ``poly2``, ``poly3``, ``sincos``) or an explicit tuple of the GUI's terms.
Coefficients of linear models are reported on these mapped features, in their original units.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np

__all__ = ["PRESETS", "TERMS", "FeatureMap", "Standardizer"]

#: The terms the GUI offers as check boxes (for 2-D inputs; x2 terms are dropped for 1-D inputs).
TERMS = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin x1", "sin x2", "cos x1", "cos x2")
PRESETS = ("linear", "poly2", "poly3", "sincos")


@dataclass(frozen=True)
class FeatureMap:
    """A list of monomials and trig terms over the inputs.

    Each term is ``("poly", powers)`` with one power per input, or ``("sin"|"cos", input_index)``.
    Build one with :meth:`from_spec`.
    """

    n_inputs: int
    terms: tuple
    spec: object = "linear"

    @classmethod
    def from_spec(cls, spec, n_inputs: int) -> FeatureMap:
        """``spec`` is a preset name or a sequence of :data:`TERMS` names."""
        if n_inputs < 1:
            raise ValueError("a feature map needs at least one input")
        if isinstance(spec, str):
            if spec not in PRESETS:
                raise ValueError(f"unknown feature map {spec!r}; choose one of {', '.join(PRESETS)}")
            if spec == "sincos":
                terms = [("sin", i) for i in range(n_inputs)] + [("cos", i) for i in range(n_inputs)]
            else:
                degree = {"linear": 1, "poly2": 2, "poly3": 3}[spec]
                terms = [("poly", p) for p in _monomials(n_inputs, degree)]
            return cls(n_inputs, tuple(terms), spec)
        names = tuple(spec)
        if not names:
            raise ValueError("choose at least one input feature")
        terms = []
        for name in names:
            term = _parse_term(name, n_inputs)
            if term is not None and term not in terms:
                terms.append(term)
        if not terms:
            raise ValueError(f"none of the features {', '.join(names)} applies to {n_inputs}-D data")
        return cls(n_inputs, tuple(terms), names)

    @property
    def n_outputs(self) -> int:
        return len(self.terms)

    @property
    def is_identity(self) -> bool:
        return self.terms == tuple(("poly", p) for p in _monomials(self.n_inputs, 1))

    def transform(self, X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Map (n_samples, n_inputs) inputs to (n_samples, n_outputs) features (float64 unless ``out``)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"expected inputs of shape (n, {self.n_inputs}), got {X.shape}")
        if out is None:
            out = np.empty((X.shape[0], self.n_outputs), dtype=np.float64)
        for j, (kind, arg) in enumerate(self.terms):
            if kind == "sin":
                np.sin(X[:, arg], out=out[:, j])
            elif kind == "cos":
                np.cos(X[:, arg], out=out[:, j])
            else:
                col = np.ones(X.shape[0])
                for i, power in enumerate(arg):
                    if power:
                        col = col * X[:, i] ** power
                out[:, j] = col
        return out

    def names(self, input_names=None) -> list[str]:
        """Readable names of the mapped features, e.g. ``["x1", "x2", "x1²", "x1·x2"]``."""
        inputs = list(input_names) if input_names else [f"x{i + 1}" for i in range(self.n_inputs)]
        out = []
        for kind, arg in self.terms:
            if kind in ("sin", "cos"):
                out.append(f"{kind} {inputs[arg]}")
                continue
            parts = []
            for i, power in enumerate(arg):
                if power:
                    parts.append(inputs[i] + ("" if power == 1 else _SUPERSCRIPT[power]))
            out.append("·".join(parts))
        return out


class Standardizer:
    """Zero mean, unit variance per column, fitted on the training split only.

    A constant column keeps scale 1, so it maps to zeros instead of NaN.
    """

    def __init__(self, mean=None, scale=None):
        self.mean_ = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.scale_ = None if scale is None else np.asarray(scale, dtype=np.float64)

    @classmethod
    def identity(cls, n_features: int) -> Standardizer:
        return cls(np.zeros(n_features), np.ones(n_features))

    def fit(self, X: np.ndarray) -> Standardizer:
        X = np.asarray(X, dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(self.mean_)))] = 1.0
        self.scale_ = scale
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_

    def to_original(self, coef: np.ndarray, intercept: np.ndarray):
        """Turn coefficients on standardized features into coefficients on the original ones.

        ``coef`` is (n_logits, n_features), ``intercept`` (n_logits,).
        """
        coef = np.asarray(coef, dtype=np.float64) / self.scale_
        intercept = np.asarray(intercept, dtype=np.float64) - coef @ self.mean_
        return coef, intercept


_SUPERSCRIPT = {2: "²", 3: "³"}


def _monomials(n_inputs: int, degree: int):
    """Powers of every monomial of total degree 1..degree, lower degrees first."""
    out = []
    for d in range(1, degree + 1):
        for combo in combinations_with_replacement(range(n_inputs), d):
            powers = [0] * n_inputs
            for i in combo:
                powers[i] += 1
            out.append(tuple(powers))
    return out


def _parse_term(name: str, n_inputs: int):
    """One GUI term name to a term tuple; None when it needs an input the data does not have."""
    table = {
        "x1": ("poly", (1, 0)),
        "x2": ("poly", (0, 1)),
        "x1^2": ("poly", (2, 0)),
        "x2^2": ("poly", (0, 2)),
        "x1*x2": ("poly", (1, 1)),
        "sin x1": ("sin", 0),
        "sin x2": ("sin", 1),
        "cos x1": ("cos", 0),
        "cos x2": ("cos", 1),
    }
    if name not in table:
        raise ValueError(f"unknown feature {name!r}; choose from {', '.join(TERMS)}")
    kind, arg = table[name]
    if kind == "poly":
        if n_inputs == 1:
            if arg[1]:
                return None
            return ("poly", (arg[0],))
        if n_inputs > 2:
            return ("poly", arg + (0,) * (n_inputs - 2))
        return (kind, arg)
    return None if arg >= n_inputs else (kind, arg)
