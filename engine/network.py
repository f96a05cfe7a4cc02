"""One network class for every model: zero hidden layers is logistic / softmax regression.

Layout (the reason this is fast): all parameters live in one flat buffer. Layer ``l`` is a view
of shape (fan_in + 1, fan_out) whose last row is the bias, so inputs carry a trailing column of
ones and a layer is a single matrix product. Gradients have the same layout, so an optimizer
updates the whole network with a handful of NumPy calls. :class:`Workspace` holds preallocated
activation buffers for batches up to a given size; the hot loop allocates nothing.
"""
from __future__ import annotations

import numpy as np

from .losses import cross_entropy

__all__ = ["Network", "Workspace", "ACTIVATIONS", "augment"]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
MAX_HIDDEN_LAYERS = 4
MAX_UNITS = 256


class Network:
    """A fully connected classifier.

    Parameters
    ----------
    n_inputs : number of (mapped, standardized) input features.
    n_classes : 2 gives one logit (the last class is positive, sigmoid output); more gives softmax.
    hidden : units per hidden layer, 0 to 4 layers of 1 to 256 units.
    activation : one of :data:`ACTIVATIONS`, used by every hidden layer.
    dtype : "float32" (fast) or "float64" (exact, for gradient checks and reference work).
    """

    def __init__(self, n_inputs: int, n_classes: int, hidden=(), activation: str = "relu",
                 dtype="float32"):
        hidden = tuple(int(h) for h in hidden)
        if n_inputs < 1:
            raise ValueError("the network needs at least one input feature")
        if n_classes < 2:
            raise ValueError("a classifier needs at least 2 classes")
        if len(hidden) > MAX_HIDDEN_LAYERS or any(not 1 <= h <= MAX_UNITS for h in hidden):
            raise ValueError(f"hidden layers: at most {MAX_HIDDEN_LAYERS}, each of 1 to {MAX_UNITS} units")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        self.n_inputs, self.n_classes = int(n_inputs), int(n_classes)
        self.hidden, self.activation = hidden, activation
        self.dtype = np.dtype(dtype)
        self.n_outputs = 1 if n_classes == 2 else n_classes
        sizes = (self.n_inputs, *hidden, self.n_outputs)
        self.shapes = [(sizes[i] + 1, sizes[i + 1]) for i in range(len(sizes) - 1)]
        self.offsets = np.cumsum([0] + [a * b for a, b in self.shapes]).tolist()
        self.params = np.zeros(self.offsets[-1], dtype=self.dtype)
        self.matrices = self.unflatten(self.params)
        mask = np.zeros_like(self.params)
        for m in self.unflatten(mask):
            m[:-1] = 1.0
        #: 1 on weights, 0 on biases: the penalty's mask.
        self.weight_mask = mask

    @property
    def size(self) -> int:
        return self.params.size

    @property
    def is_linear(self) -> bool:
        return not self.hidden

    def unflatten(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views of a flat buffer as the per-layer (fan_in + 1, fan_out) matrices."""
        return [flat[o:o + a * b].reshape(a, b) for o, (a, b) in zip(self.offsets, self.shapes)]

    @property
    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W (fan_in, fan_out), b (fan_out,)) views per layer."""
        return [(m[:-1], m[-1]) for m in self.matrices]

    def init(self, rng: np.random.Generator) -> None:
        """Glorot-uniform weights and zero biases, as Keras initialises Dense layers."""
        for m in self.matrices:
            fan_in, fan_out = m.shape[0] - 1, m.shape[1]
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            m[:-1] = rng.uniform(-limit, limit, size=(fan_in, fan_out))
            m[-1] = 0.0

    def set_params(self, flat: np.ndarray) -> None:
        flat = np.asarray(flat)
        if flat.shape != self.params.shape:
            raise ValueError(f"expected {self.params.size} parameters, got {flat.size}")
        self.params[...] = flat

    def copy(self) -> "Network":
        other = Network(self.n_inputs, self.n_classes, self.hidden, self.activation, self.dtype)
        other.params[...] = self.params
        return other

    def logits(self, X: np.ndarray) -> np.ndarray:
        """(n_samples, n_outputs) logits of standardized inputs (n_samples, n_inputs)."""
        ws = Workspace(self, max(1, len(X)))
        return ws.forward(augment(X, self.dtype), self.params).copy()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n_samples, n_classes) probabilities of standardized inputs."""
        ws = Workspace(self, max(1, len(X)))
        return ws.probabilities(augment(X, self.dtype), self.params).copy()

    def loss_and_grad(self, X: np.ndarray, y: np.ndarray, l1: float = 0.0, l2: float = 0.0):
        """Objective (mean cross-entropy + penalty) and its gradient as a flat array.

        Goes through the same :class:`Workspace` code the trainer uses, so checking this gradient
        checks the trainer's.
        """
        ws = Workspace(self, len(X))
        Xa, T = augment(X, self.dtype), targets(y, self.n_classes, self.dtype)
        grad = np.zeros_like(self.params)
        ws.forward(Xa, self.params)
        ws.backward(Xa, T, self.params, grad)
        loss = cross_entropy(ws.logits_view(len(X)), y)
        w = self.params.astype(np.float64) * self.weight_mask
        objective = loss + l1 * np.abs(w).sum() + l2 * np.square(w).sum()
        add_penalty_grad(self.params, self.weight_mask, grad, l1, l2)
        return float(objective), grad


def augment(X: np.ndarray, dtype) -> np.ndarray:
    """Inputs with a trailing column of ones (the folded bias), as a contiguous ``dtype`` array."""
    X = np.asarray(X)
    out = np.empty((X.shape[0], X.shape[1] + 1), dtype=dtype)
    out[:, :-1] = X
    out[:, -1] = 1.0
    return out


def targets(y: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    """(n, 1) 0/1 column for binary models, (n, n_classes) one-hot rows otherwise."""
    y = np.asarray(y, dtype=np.int64)
    if n_classes == 2:
        return (y == 1).astype(dtype)[:, None]
    T = np.zeros((len(y), n_classes), dtype=dtype)
    T[np.arange(len(y)), y] = 1.0
    return T


def add_penalty_grad(params, weight_mask, grad, l1: float, l2: float, scratch=None) -> None:
    """``grad += 2·l2·w + l1·sign(w)`` on weights only."""
    if not (l1 or l2):
        return
    s = np.empty_like(params) if scratch is None else scratch
    if l2:
        np.multiply(params, weight_mask, out=s)
        s *= 2.0 * l2
        grad += s
    if l1:
        np.sign(params, out=s)
        s *= weight_mask
        s *= l1
        grad += s


class Workspace:
    """Preallocated buffers to run a network on batches of at most ``max_rows`` rows.

    ``forward`` / ``backward`` take the augmented batch (rows, n_inputs + 1) and a flat parameter
    buffer, so one workspace serves the live network and any snapshot of its parameters.
    """

    def __init__(self, network: Network, max_rows: int):
        self.net = network
        dt = network.dtype
        self.max_rows = int(max_rows)
        # a[l]: input of layer l+1 with its ones column (hidden layers only; a[0] is the batch).
        self.hidden_out = []
        for h in network.hidden:
            a = np.empty((max_rows, h + 1), dtype=dt)
            a[:, -1] = 1.0
            self.hidden_out.append(a)
        self.z = [np.empty((max_rows, h), dtype=dt) for h in network.hidden]
        self.delta = [np.empty((max_rows, b), dtype=dt) for _, b in network.shapes]
        self.scratch = [np.empty((max_rows, h), dtype=dt) for h in network.hidden]
        self.out = np.empty((max_rows, network.n_outputs), dtype=dt)
        self.probs = np.empty((max_rows, network.n_outputs), dtype=dt)
        self.rowmax = np.empty((max_rows, 1), dtype=dt)
        self._act, self._act_grad = _FORWARD[network.activation], _BACKWARD[network.activation]

    def logits_view(self, rows: int) -> np.ndarray:
        return self.out[:rows]

    def forward(self, Xa: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Logits (rows, n_outputs) of an augmented batch; a view into this workspace."""
        rows = Xa.shape[0]
        mats = self.net.unflatten(params)
        a = Xa
        for layer, m in enumerate(mats[:-1]):
            z = self.z[layer][:rows]
            np.matmul(a, m, out=z)
            nxt = self.hidden_out[layer]
            self._act(z, nxt[:rows, :-1])
            a = nxt[:rows]
        out = self.out[:rows]
        np.matmul(a, mats[-1], out=out)
        return out

    def output_probabilities(self, rows: int) -> np.ndarray:
        """σ(z) for a binary model, softmax rows otherwise, of the last forward pass."""
        z, p = self.out[:rows], self.probs[:rows]
        if self.net.n_outputs == 1:
            np.multiply(z, 0.5, out=p)
            np.tanh(p, out=p)
            p *= 0.5
            p += 0.5
        else:
            m = self.rowmax[:rows]
            np.max(z, axis=1, keepdims=True, out=m)
            np.subtract(z, m, out=p)
            np.exp(p, out=p)
            np.sum(p, axis=1, keepdims=True, out=m)
            p /= m
        return p

    def probabilities(self, Xa: np.ndarray, params: np.ndarray) -> np.ndarray:
        """(rows, n_classes) class probabilities; for binary models column 0 is 1 − p."""
        rows = Xa.shape[0]
        self.forward(Xa, params)
        p = self.output_probabilities(rows)
        if self.net.n_outputs == 1:
            return np.hstack([1.0 - p, p])
        return p

    def backward(self, Xa: np.ndarray, T: np.ndarray, params: np.ndarray, grad: np.ndarray) -> None:
        """Gradient of the batch's mean cross-entropy into ``grad`` (flat, same layout as params).

        Must follow :meth:`forward` on the same batch.
        """
        rows = Xa.shape[0]
        mats = self.net.unflatten(params)
        grads = self.net.unflatten(grad)
        p = self.output_probabilities(rows)
        d = self.delta[-1][:rows]
        np.subtract(p, T, out=d)
        d *= 1.0 / rows
        for layer in range(len(mats) - 1, 0, -1):
            a = self.hidden_out[layer - 1][:rows]
            np.matmul(a.T, d, out=grads[layer])
            below = self.delta[layer - 1][:rows]
            np.matmul(d, mats[layer][:-1].T, out=below)
            self._act_grad(a[:, :-1], below, self.scratch[layer - 1][:rows])
            d = below
        np.matmul(Xa.T, d, out=grads[0])


# Activations write f(z) into `out`; gradients turn dL/da into dL/dz in place, from a = f(z).
def _relu(z, out):
    np.maximum(z, 0.0, out=out)


def _relu_grad(a, d, s):
    np.sign(a, out=s)
    d *= s


def _tanh(z, out):
    np.tanh(z, out=out)


def _tanh_grad(a, d, s):
    np.multiply(a, a, out=s)
    np.subtract(1.0, s, out=s)
    d *= s


def _sigmoid(z, out):
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5


def _sigmoid_grad(a, d, s):
    np.subtract(1.0, a, out=s)
    s *= a
    d *= s


def _linear(z, out):
    out[...] = z


def _linear_grad(a, d, s):
    pass


_FORWARD = {"relu": _relu, "tanh": _tanh, "sigmoid": _sigmoid, "linear": _linear}
_BACKWARD = {"relu": _relu_grad, "tanh": _tanh_grad, "sigmoid": _sigmoid_grad, "linear": _linear_grad}
