"""Every layer's activations of a model, for pictures of the network's inside.

:func:`layer_activations` runs the same :class:`~engine.network.Workspace` forward pass as the
trainer and :meth:`~engine.network.Network.logits`, and reads the workspace's hidden buffers, so a
picture of a neuron is exactly what the next layer sees.
"""

from __future__ import annotations

import numpy as np

from .network import Workspace, augment

__all__ = ["LayerValues", "forward_layers", "layer_activations", "plane_points"]


class LayerValues:
    """``activations``: per layer (n, units) — the standardized features, f(z) of each hidden layer,
    the output logits; ``pre``: the hidden layers' pre-activations z (n, units)."""

    __slots__ = ("activations", "pre")

    def __init__(self, activations, pre):
        self.activations, self.pre = activations, pre


def forward_layers(model, params, X: np.ndarray) -> LayerValues:
    """Activations and pre-activations of every layer for raw inputs ``X`` (n, n_inputs) under
    ``params`` (flat; None for the network's own); copies."""
    net = model.network
    params = net.params if params is None else np.asarray(params, dtype=net.dtype)
    features = model.features(np.asarray(X, dtype=np.float64))
    Xa = augment(features, net.dtype)
    ws = Workspace(net, max(1, len(Xa)))
    logits = ws.forward(Xa, params)
    plan = ws._plan(len(Xa))
    hidden = [f_out.copy() for (_, _, f_out, *_rest) in plan.hidden]
    pre = [z.copy() for (z, *_rest) in plan.hidden]
    return LayerValues([Xa[:, :-1].copy(), *hidden, logits.copy()], pre)


def layer_activations(model, params, X: np.ndarray) -> list[np.ndarray]:
    """[(n, n_features), (n, h1), …, (n, n_outputs)]: the standardized features, every hidden
    layer's activations and the logits, of raw inputs ``X`` under ``params``."""
    return forward_layers(model, params, X).activations


def plane_points(n_inputs: int, xlim, ylim, shape, columns=(0, 1), fixed=None) -> np.ndarray:
    """(H·W, n_inputs) raw points of an H×W grid over inputs ``columns`` (row 0 = ``ylim[0]``), the
    other inputs held at ``fixed`` (or 0): :class:`~engine.model.GridEvaluator`'s grid. For one
    input, (W, 1)."""
    H, W = int(shape[0]), int(shape[1])
    xs = np.linspace(float(xlim[0]), float(xlim[1]), W)
    if n_inputs == 1:
        return xs[:, None]
    gx, gy = np.meshgrid(xs, np.linspace(float(ylim[0]), float(ylim[1]), H))
    raw = np.zeros((H * W, n_inputs))
    if fixed is not None:
        raw[:] = np.asarray(fixed, dtype=np.float64)
    i, j = columns
    raw[:, i], raw[:, j] = gx.ravel(), gy.ravel()
    return raw
