"""engine.activations: every layer's activations, by the network's own forward pass."""

import numpy as np
import pytest

from engine.activations import forward_layers, layer_activations, plane_points
from engine.features import FeatureMap, Standardizer
from engine.model import GridEvaluator, Model
from engine.network import ACTIVATION_FUNCTIONS, Network


def _model(hidden, activation, n_classes=2, seed=0):
    net = Network(2, n_classes, hidden, activation, dtype="float64")
    net.init(np.random.default_rng(seed))
    net.params[:] += np.random.default_rng(seed + 1).normal(0.0, 0.3, net.size)  # nonzero biases
    std = Standardizer().fit(np.random.default_rng(seed + 2).normal(1.0, 2.0, (50, 2)))
    return Model(tuple(range(n_classes)), FeatureMap.from_spec("linear", 2), std, net)


@pytest.mark.parametrize("hidden", [(), (5,), (16, 16), (3, 4, 5, 6)])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_layer_activations_equal_a_hand_forward_pass(hidden, activation, n_classes):
    model = _model(hidden, activation, n_classes)
    X = np.random.default_rng(5).normal(0.0, 3.0, (40, 2))
    acts = layer_activations(model, None, X)
    assert [a.shape for a in acts] == [(40, 2), *[(40, h) for h in hidden], (40, model.network.n_outputs)]
    a = model.features(X)
    np.testing.assert_allclose(acts[0], a)
    f = ACTIVATION_FUNCTIONS[activation]
    for layer, (W, b) in enumerate(model.network.layers):
        z = a @ W + b
        a = z if layer == len(model.network.layers) - 1 else f(z)
        np.testing.assert_allclose(acts[layer + 1], a, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(acts[-1], model.network.logits(model.features(X)))


def test_other_params_and_pre_activations():
    model = _model((4,), "tanh")
    other = model.network.params * 2.0
    X = np.random.default_rng(1).normal(size=(7, 2))
    values = forward_layers(model, other, X)
    twin = model.copy()
    twin.network.set_params(other)
    np.testing.assert_allclose(values.activations[-1], twin.logits(X))
    np.testing.assert_allclose(np.tanh(values.pre[0]), values.activations[1])


def test_plane_points_are_the_grid_evaluators_grid():
    model = _model((3,), "relu")
    raw = plane_points(2, (-1, 2), (0, 3), (4, 5))
    P = GridEvaluator(model, (-1, 2), (0, 3), shape=(4, 5)).evaluate()
    np.testing.assert_allclose(model.predict_proba(raw).reshape(4, 5, 2), P, rtol=1e-5, atol=1e-6)
