"""SGD, momentum (with Nesterov) and Adam on one flat parameter buffer.

The optimizer owns its state (step count, moment buffers) and is handed the parameters and the
gradient at each step, as scikit-learn's stochastic optimizers are. Updates are in place with
preallocated scratch space, so a step is a fixed dozen NumPy calls whatever the network's size.
Formulas and defaults are Keras' so results can be compared with it.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["OPTIMIZERS", "SGD", "Adam", "Momentum", "Optimizer", "make_optimizer"]


class Optimizer:
    """Base class: ``step(params, grad)`` updates ``params`` in place."""

    name = "optimizer"

    def __init__(self, size: int, dtype, lr: float):
        self.lr = float(lr)
        self.t = 0
        self._scratch = np.zeros(size, dtype=dtype)
        # 0-d operand refreshed from self.lr each step: a Python float would cost a ufunc call
        # ~0.5 µs more, and set_lr must apply from the next step.
        self._lr = np.zeros((), dtype=dtype)

    def step(self, params: np.ndarray, grad: np.ndarray) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """Copies of everything needed to continue exactly where this optimizer is."""
        return {"name": self.name, "t": self.t, "lr": self.lr}

    def load_state_dict(self, state: dict) -> None:
        if state.get("name") != self.name:
            raise ValueError(f"optimizer state is for {state.get('name')!r}, not {self.name!r}")
        self.t = int(state["t"])
        self.lr = float(state["lr"])


class SGD(Optimizer):
    """Plain gradient descent: ``p -= lr·g``."""

    name = "sgd"

    def step(self, params, grad):
        self.t += 1
        lr, s = self._lr, self._scratch
        lr[()] = self.lr
        np.multiply(grad, lr, out=s)
        np.subtract(params, s, out=params)


class Momentum(Optimizer):
    """Keras' SGD with momentum: ``v = μv − lr·g``; ``p += v`` (Nesterov: ``p += μv − lr·g``)."""

    name = "momentum"

    def __init__(self, size, dtype, lr, momentum=0.9, nesterov=False):
        super().__init__(size, dtype, lr)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity = np.zeros(size, dtype=dtype)
        self._scratch2 = np.zeros(size, dtype=dtype)
        self._mu = np.zeros((), dtype=dtype)

    def step(self, params, grad):
        self.t += 1
        v, s, lr, mu = self.velocity, self._scratch, self._lr, self._mu
        lr[()], mu[()] = self.lr, self.momentum
        np.multiply(grad, lr, out=s)
        np.multiply(v, mu, out=v)
        np.subtract(v, s, out=v)
        if self.nesterov:
            s2 = self._scratch2
            np.multiply(v, mu, out=s2)
            np.subtract(s2, s, out=s2)
            np.add(params, s2, out=params)
        else:
            np.add(params, v, out=params)

    def state_dict(self):
        return {**super().state_dict(), "velocity": self.velocity.copy()}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.velocity[...] = state["velocity"]


class Adam(Optimizer):
    """Keras' Adam: ``α = lr·√(1−β₂ᵗ)/(1−β₁ᵗ)``, ``p −= α·m/(√v + ε)``.

    ``m`` and ``v`` are the two halves of one buffer, so decaying both moments and adding the new
    gradient terms are one NumPy call each (per-element β and 1 − β vectors give the very same
    float products as the scalar form): a step is ten NumPy calls for any network.
    """

    name = "adam"

    def __init__(self, size, dtype, lr=0.001, beta1=0.9, beta2=0.999, epsilon=1e-7):
        super().__init__(size, dtype, lr)
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), float(epsilon)
        self._mv = np.zeros(2 * size, dtype=dtype)
        self.m, self.v = self._mv[:size], self._mv[size:]
        self._betas = np.repeat(np.array([beta1, beta2], dtype=dtype), size)
        self._gain = np.repeat(np.array([1.0 - beta1, 1.0 - beta2], dtype=dtype), size)
        self._terms = np.zeros(2 * size, dtype=dtype)  # (1−β₁)·g | (1−β₂)·g²
        self._g, self._g2 = self._terms[:size], self._terms[size:]
        # 0-d operands: a Python float costs a ufunc call ~0.5 µs more than an array.
        self._eps = np.array(epsilon, dtype=dtype)
        self._alpha = np.zeros((), dtype=dtype)
        # everything step() touches, fetched with one attribute lookup
        self._buffers = (
            self._mv,
            self.m,
            self.v,
            self._betas,
            self._gain[:size],
            self._gain[size:],
            self._terms,
            self._g,
            self._g2,
            self._scratch,
            self._eps,
            self._alpha,
        )

    def step(self, params, grad):
        self.t = t = self.t + 1
        mv, m, v, betas, gain1, gain2, terms, g1, g2, s, eps, alpha = self._buffers
        alpha[()] = self.lr * math.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
        np.multiply(grad, grad, out=g2)
        np.multiply(grad, gain1, out=g1)
        np.multiply(g2, gain2, out=g2)
        np.multiply(mv, betas, out=mv)
        np.add(mv, terms, out=mv)
        np.sqrt(v, out=s)
        np.add(s, eps, out=s)
        np.divide(m, s, out=s)
        np.multiply(s, alpha, out=s)
        np.subtract(params, s, out=params)

    def state_dict(self):
        return {**super().state_dict(), "m": self.m.copy(), "v": self.v.copy()}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.m[...] = state["m"]
        self.v[...] = state["v"]


OPTIMIZERS = ("adam", "sgd", "momentum")


def make_optimizer(
    name: str,
    size: int,
    dtype,
    *,
    lr: float,
    momentum: float = 0.9,
    nesterov: bool = False,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-7,
) -> Optimizer:
    """Build the optimizer called ``name`` for a flat buffer of ``size`` parameters."""
    if name == "adam":
        return Adam(size, dtype, lr, beta1, beta2, epsilon)
    if name == "sgd":
        return SGD(size, dtype, lr)
    if name == "momentum":
        return Momentum(size, dtype, lr, momentum, nesterov)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
