"""SGD, momentum (with Nesterov) and Adam on one flat parameter buffer.

The optimizer owns its state (step count, moment buffers) and is handed the parameters and the
gradient at each step, as scikit-learn's stochastic optimizers are. Updates are in place with
preallocated scratch space, so a step is a fixed dozen NumPy calls whatever the network's size.
Formulas and defaults are Keras' so results can be compared with it.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "make_optimizer", "OPTIMIZERS"]


class Optimizer:
    """Base class: ``step(params, grad)`` updates ``params`` in place."""

    name = "optimizer"

    def __init__(self, size: int, dtype, lr: float):
        self.lr = float(lr)
        self.t = 0
        self._scratch = np.zeros(size, dtype=dtype)

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
        np.multiply(grad, self.lr, out=self._scratch)
        params -= self._scratch


class Momentum(Optimizer):
    """Keras' SGD with momentum: ``v = μv − lr·g``; ``p += v`` (Nesterov: ``p += μv − lr·g``)."""

    name = "momentum"

    def __init__(self, size, dtype, lr, momentum=0.9, nesterov=False):
        super().__init__(size, dtype, lr)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocity = np.zeros(size, dtype=dtype)
        self._scratch2 = np.zeros(size, dtype=dtype)

    def step(self, params, grad):
        self.t += 1
        v, s = self.velocity, self._scratch
        np.multiply(grad, self.lr, out=s)
        v *= self.momentum
        v -= s
        if self.nesterov:
            np.multiply(v, self.momentum, out=self._scratch2)
            self._scratch2 -= s
            params += self._scratch2
        else:
            params += v

    def state_dict(self):
        return {**super().state_dict(), "velocity": self.velocity.copy()}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.velocity[...] = state["velocity"]


class Adam(Optimizer):
    """Keras' Adam: ``α = lr·√(1−β₂ᵗ)/(1−β₁ᵗ)``, ``p −= α·m/(√v + ε)``."""

    name = "adam"

    def __init__(self, size, dtype, lr=0.001, beta1=0.9, beta2=0.999, epsilon=1e-7):
        super().__init__(size, dtype, lr)
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), float(epsilon)
        self.m = np.zeros(size, dtype=dtype)
        self.v = np.zeros(size, dtype=dtype)

    def step(self, params, grad):
        self.t += 1
        b1, b2, s = self.beta1, self.beta2, self._scratch
        alpha = self.lr * math.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        self.m *= b1
        np.multiply(grad, 1.0 - b1, out=s)
        self.m += s
        self.v *= b2
        np.multiply(grad, grad, out=s)
        s *= 1.0 - b2
        self.v += s
        np.sqrt(self.v, out=s)
        s += self.epsilon
        np.divide(self.m, s, out=s)
        s *= alpha
        params -= s

    def state_dict(self):
        return {**super().state_dict(), "m": self.m.copy(), "v": self.v.copy()}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.m[...] = state["m"]
        self.v[...] = state["v"]


OPTIMIZERS = ("adam", "sgd", "momentum")


def make_optimizer(name: str, size: int, dtype, *, lr: float, momentum: float = 0.9,
                   nesterov: bool = False, beta1: float = 0.9, beta2: float = 0.999,
                   epsilon: float = 1e-7) -> Optimizer:
    """Build the optimizer called ``name`` for a flat buffer of ``size`` parameters."""
    if name == "adam":
        return Adam(size, dtype, lr, beta1, beta2, epsilon)
    if name == "sgd":
        return SGD(size, dtype, lr)
    if name == "momentum":
        return Momentum(size, dtype, lr, momentum, nesterov)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
