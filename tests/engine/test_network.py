"""Gradient checks of every architecture, and the numerics of losses and activations."""

import itertools
import warnings

import numpy as np
import pytest

from engine.gradcheck import gradient_check
from engine.losses import cross_entropy, sigmoid, softmax
from engine.network import ACTIVATIONS, Network

ARCHITECTURES = [(), (3,), (4, 3), (3, 2, 3, 2)]


def _problem(n_classes, seed=0, n=7, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.arange(n) % n_classes
    return X, y, rng


@pytest.mark.parametrize(
    "hidden,activation,n_classes,penalty",
    [
        (h, a, k, p)
        for h, a, k, p in itertools.product(ARCHITECTURES, ACTIVATIONS, (2, 3), ("none", "l2", "l1+l2"))
        if h or a == "relu"  # activation is irrelevant without hidden layers
    ],
)
def test_gradient_matches_central_differences(hidden, activation, n_classes, penalty):
    X, y, rng = _problem(n_classes, seed=len(hidden) * 7 + n_classes)
    net = Network(3, n_classes, hidden, activation, dtype="float64")
    net.init(rng)
    net.params += rng.normal(scale=0.3, size=net.size)  # non-zero biases, off any ReLU kink
    l1, l2 = {"none": (0.0, 0.0), "l2": (0.0, 0.05), "l1+l2": (0.02, 0.05)}[penalty]
    assert gradient_check(net, X, y, l1=l1, l2=l2) < 1e-6


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    X, y, rng = _problem(2)
    net = Network(3, 2, (4,), "tanh", dtype="float64")
    net.init(rng)
    original = Network.loss_and_grad

    def broken(self, *args, **kwargs):
        loss, grad = original(self, *args, **kwargs)
        grad[0] *= 1.01
        return loss, grad

    monkeypatch.setattr(Network, "loss_and_grad", broken)
    assert gradient_check(net, X, y) > 1e-4


def test_binary_network_has_one_logit_and_softmax_has_k():
    assert Network(2, 2).n_outputs == 1
    assert Network(2, 5).n_outputs == 5


def test_glorot_uniform_limits_and_zero_biases():
    net = Network(10, 3, (30,), dtype="float64")
    net.init(np.random.default_rng(1))
    (W1, b1), (W2, b2) = net.layers
    assert np.abs(W1).max() <= np.sqrt(6 / 40) and np.abs(W1).max() > 0.9 * np.sqrt(6 / 40)
    assert np.abs(W2).max() <= np.sqrt(6 / 33)
    assert not b1.any() and not b2.any()


def test_probabilities_sum_to_one_and_binary_matches_sigmoid():
    X, y, rng = _problem(3)
    net = Network(3, 3, (5,), "tanh", dtype="float64")
    net.init(rng)
    p = net.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(p, softmax(net.logits(X)), atol=1e-12)
    binary = Network(3, 2, (), dtype="float64")
    binary.init(rng)
    z = binary.logits(X)[:, 0]
    np.testing.assert_allclose(binary.predict_proba(X)[:, 1], 1 / (1 + np.exp(-z)), atol=1e-12)


def test_loss_is_stable_for_huge_logits():
    z = np.array([[1e4], [-1e4], [3.0]])
    y = np.array([0, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = cross_entropy(z, y)
        multi = cross_entropy(np.array([[1e4, -1e4, 0.0], [0.0, 1e4, -1e4]]), np.array([1, 2]))
        s = sigmoid(np.array([-1e4, 1e4]))
    expected = (1e4 + 1e4 + np.log1p(np.exp(-3.0))) / 3
    assert loss == pytest.approx(expected, rel=1e-12)
    assert multi == pytest.approx((2e4 + 2e4) / 2, rel=1e-12)
    assert s.tolist() == [0.0, 1.0]


def test_cross_entropy_matches_definition():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(50, 4))
    y = rng.integers(0, 4, size=50)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert cross_entropy(z, y) == pytest.approx(-np.mean(np.log(p[np.arange(50), y])), rel=1e-12)


def test_network_rejects_bad_architecture():
    with pytest.raises(ValueError, match="at most 4"):
        Network(2, 2, (4, 4, 4, 4, 4))
    with pytest.raises(ValueError, match="256"):
        Network(2, 2, (257,))
    with pytest.raises(ValueError, match="activation"):
        Network(2, 2, (4,), "swish")
