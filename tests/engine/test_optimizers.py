"""Each optimizer's update re-derived by hand (Keras' formulas) and compared exactly."""

import math

import numpy as np
import pytest

from engine.optimizers import SGD, Adam, Momentum, make_optimizer


def _grads(steps=4, size=5, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=size) for _ in range(steps)]


def test_sgd_is_p_minus_lr_g():
    p = np.ones(5)
    opt = SGD(5, np.float64, lr=0.1)
    expected = p.copy()
    for g in _grads():
        opt.step(p, g)
        expected = expected - 0.1 * g
    np.testing.assert_array_equal(p, expected)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_keras(nesterov):
    p = np.ones(5)
    opt = Momentum(5, np.float64, lr=0.05, momentum=0.8, nesterov=nesterov)
    expected, v = p.copy(), np.zeros(5)
    for g in _grads():
        opt.step(p, g)
        v = 0.8 * v - 0.05 * g
        expected = expected + (0.8 * v - 0.05 * g if nesterov else v)
    np.testing.assert_allclose(p, expected, rtol=0, atol=1e-15)


def test_adam_matches_keras():
    p = np.full(5, 0.5)
    opt = Adam(5, np.float64, lr=0.01, beta1=0.9, beta2=0.999, epsilon=1e-7)
    expected, m, v = p.copy(), np.zeros(5), np.zeros(5)
    for t, g in enumerate(_grads(steps=6), start=1):
        opt.step(p, g)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        alpha = 0.01 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        expected = expected - alpha * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(p, expected, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_state_round_trip_continues_identically(name):
    grads = _grads(steps=6)
    a = make_optimizer(name, 5, np.float64, lr=0.01)
    pa = np.ones(5)
    for g in grads[:3]:
        a.step(pa, g)
    b = make_optimizer(name, 5, np.float64, lr=0.5)
    b.load_state_dict(a.state_dict())
    pb = pa.copy()
    for g in grads[3:]:
        a.step(pa, g)
        b.step(pb, g)
    np.testing.assert_array_equal(pa, pb)


def test_state_of_another_optimizer_is_refused():
    with pytest.raises(ValueError, match="adam"):
        make_optimizer("sgd", 3, np.float64, lr=0.1).load_state_dict(
            make_optimizer("adam", 3, np.float64, lr=0.1).state_dict()
        )


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="rmsprop"):
        make_optimizer("rmsprop", 3, np.float64, lr=0.1)
