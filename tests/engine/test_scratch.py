"""Logistic regression from scratch: the correct update against the engine's optimum, each
classic bug's effect, and the gradient check naming the wrong components."""

from __future__ import annotations

import numpy as np
import pytest

from engine.generators import two_gaussians
from engine.reference import fit_reference
from engine.scratch import BUGS, gradient_check, scratch_fit


@pytest.fixture(scope="module")
def data():
    d = two_gaussians(200, 1.5, 0)
    return d.X + 3.0, d.y.astype(float)


def test_the_correct_update_reaches_the_exact_optimum(data):
    X, y = data
    run = scratch_fit(X, y, "correct", lr=1.0, epochs=3000)
    ref = fit_reference(run.prepare(X), y.astype(np.int64), 2)
    np.testing.assert_allclose(run.w, ref.coef[0], atol=1e-6)
    assert run.b == pytest.approx(ref.intercept[0], abs=1e-6)
    assert np.all(np.diff(run.losses) <= 1e-12)  # lr 1 is below 2/λmax of standardized inputs
    assert gradient_check(X, y, "correct").wrong == ()


def test_the_gradient_is_the_hand_derivation(data):
    X, y = data
    check = gradient_check(X, y, "correct")
    np.testing.assert_allclose(check.analytic, check.numeric, rtol=1e-6, atol=1e-9)
    assert check.names == ("dw[0]", "dw[1]", "db")


@pytest.mark.parametrize(
    ("bug", "wrong"),
    [
        ("sign", ("dw[0]", "dw[1]", "db")),
        ("orientation", ("dw[0]", "dw[1]")),
        ("labels", ("dw[0]", "dw[1]")),  # balanced classes: Σ(1 − y) = Σy, so db survives
        ("no_mean", ("dw[0]", "dw[1]", "db")),
        ("row_norm", ()),  # a bug in the data, not in the gradient
    ],
)
def test_the_gradient_check_names_the_wrong_components(data, bug, wrong):
    X, y = data
    check = gradient_check(X, y, bug)
    assert check.wrong == wrong
    if bug == "sign":
        np.testing.assert_allclose(check.analytic, -check.numeric, rtol=1e-6)
    if bug == "no_mean":
        np.testing.assert_allclose(check.analytic, len(y) * check.numeric, rtol=1e-6)


def test_what_each_bug_does_to_the_loss(data):
    X, y = data
    runs = {bug: scratch_fit(X, y, bug, lr=1.0, epochs=100) for bug in BUGS}
    correct = runs["correct"]
    assert not correct.diverged and correct.losses[-1] < 0.45
    assert runs["sign"].diverged and np.all(np.diff(runs["sign"].losses) > 0)
    assert runs["labels"].accuracy < 0.3  # it learned the opposite question
    assert runs["no_mean"].diverged and np.sum(np.diff(runs["no_mean"].losses) > 0) >= 5
    assert runs["orientation"].losses[-1] > 1.5 * correct.losses[-1]
    assert runs["row_norm"].accuracy < 0.9 * correct.accuracy
    # Row normalization keeps only directions: points on one ray from the origin get one probability.
    ray = np.array([[1.0, 2.0], [3.0, 6.0]])
    p = runs["row_norm"].predict_proba(ray)
    assert p[0] == pytest.approx(p[1])


def test_unknown_bug_is_refused(data):
    with pytest.raises(ValueError, match="unknown bug 'typo'"):
        scratch_fit(*data, "typo")
