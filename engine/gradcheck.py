"""Central-difference gradient check for any :class:`~engine.network.Network`.

Compares the analytic gradient of ``loss_and_grad`` (the trainer's own backward pass) with
(f(θ + h·e_i) − f(θ − h·e_i)) / 2h for every parameter. Use float64 networks.
"""

from __future__ import annotations

import numpy as np

from .network import Network

__all__ = ["gradient_check", "numerical_gradient"]


def numerical_gradient(network: Network, X, y, l1=0.0, l2=0.0, h=1e-6) -> np.ndarray:
    """Central differences of the objective with respect to every parameter (flat)."""
    params = network.params
    saved = params.copy()
    grad = np.zeros(params.size, dtype=np.float64)
    for i in range(params.size):
        params[i] = saved[i] + h
        plus, _ = network.loss_and_grad(X, y, l1, l2)
        params[i] = saved[i] - h
        minus, _ = network.loss_and_grad(X, y, l1, l2)
        params[i] = saved[i]
        grad[i] = (plus - minus) / (2 * h)
    return grad


def gradient_check(network: Network, X, y, l1=0.0, l2=0.0, h=1e-6) -> float:
    """Relative error ‖g_analytic − g_numeric‖ / max(‖g_analytic‖ + ‖g_numeric‖, tiny)."""
    if network.dtype != np.float64:
        raise ValueError("gradient checks need a float64 network")
    _, analytic = network.loss_and_grad(X, y, l1, l2)
    numeric = numerical_gradient(network, X, y, l1, l2, h)
    denom = max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-300)
    return float(np.linalg.norm(analytic - numeric) / denom)
