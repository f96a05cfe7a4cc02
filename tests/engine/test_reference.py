"""The reference optimum against R's glm numbers, statsmodels, and its own gradient."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import statsmodels.api as sm

from engine.generators import blobs, logistic_model, two_gaussians
from engine.reference import (
    detect_separation,
    fit_reference,
    glm_statistics,
    separation_in_history,
)

GLM_X = np.array([2.0, 3.0, 5.0, 7.0, 11.0, 13.0])[:, None]
GLM_Y = np.array([0, 0, 1, 0, 1, 1])


# -- the six-point glm example (numbers from R) -----------------------------------------------


def test_glm6_optimum_matches_r():
    ref = fit_reference(GLM_X, GLM_Y, 2)
    assert ref.converged
    assert ref.coef.shape == (1, 1) and ref.intercept.shape == (1,)
    assert ref.coef[0, 0] == pytest.approx(0.551775920706039, abs=1e-6)
    assert ref.intercept[0] == pytest.approx(-3.54907067213626, abs=1e-6)
    assert ref.log_likelihood == pytest.approx(-2.35340, abs=5e-6)
    assert ref.deviance == pytest.approx(4.7068, abs=5e-5)
    assert ref.aic == pytest.approx(8.7068, abs=5e-5)
    assert ref.n_params == 2
    assert ref.loss == pytest.approx(2.35340 / 6, abs=1e-6)
    assert ref.objective == ref.loss
    np.testing.assert_array_equal(ref.coef, ref.coef_std)


def test_glm6_statistics_match_r():
    ref = fit_reference(GLM_X, GLM_Y, 2)
    stats = glm_statistics(GLM_X, GLM_Y, ref.coef, ref.intercept)
    np.testing.assert_allclose(stats.std_errors, [2.74392, 0.42222], atol=5e-6)
    np.testing.assert_allclose(stats.z_values, stats.estimates / stats.std_errors)
    assert stats.deviance == pytest.approx(4.7068, abs=5e-5)
    assert stats.null_deviance == pytest.approx(-12 * np.log(0.5))
    assert stats.aic == pytest.approx(8.7068, abs=5e-5)
    assert stats.log_likelihood == pytest.approx(-2.35340, abs=5e-6)
    assert (stats.df_residual, stats.df_null) == (4, 5)


def test_glm6_against_statsmodels():
    ref = fit_reference(GLM_X, GLM_Y, 2)
    stats = glm_statistics(GLM_X, GLM_Y, ref.coef[0], float(ref.intercept[0]))
    result = sm.GLM(GLM_Y, sm.add_constant(GLM_X), family=sm.families.Binomial()).fit(tol=1e-12)
    np.testing.assert_allclose(stats.estimates, result.params, atol=1e-7)
    np.testing.assert_allclose(stats.std_errors, result.bse, rtol=1e-6)
    np.testing.assert_allclose(stats.p_values, result.pvalues, rtol=1e-6)
    assert stats.deviance == pytest.approx(result.deviance, rel=1e-9)
    assert stats.null_deviance == pytest.approx(result.null_deviance, rel=1e-12)
    assert stats.aic == pytest.approx(result.aic, rel=1e-9)
    assert stats.log_likelihood == pytest.approx(result.llf, rel=1e-9)


# -- larger data against statsmodels -----------------------------------------------------------


@pytest.fixture(scope="module")
def random_binary():
    truth = logistic_model(3000, [1.0, -0.5, 0.25, 0.0], -0.3, rho=0.5, seed=21)
    # Features on different scales and offsets, so standardization does real work.
    X = truth.dataset.X * [1.0, 10.0, 0.1, 3.0] + [0.0, 5.0, -2.0, 100.0]
    return X, truth.dataset.y


def test_random_binary_against_statsmodels(random_binary):
    X, y = random_binary
    ref = fit_reference(X, y, 2)
    stats = glm_statistics(X, y, ref.coef, ref.intercept)
    result = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    assert ref.converged
    np.testing.assert_allclose(stats.estimates, result.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(stats.std_errors, result.bse, rtol=1e-6)
    assert ref.log_likelihood == pytest.approx(result.llf, rel=1e-10)
    assert stats.null_deviance == pytest.approx(-2 * result.llnull, rel=1e-10)
    assert ref.aic == pytest.approx(result.aic, rel=1e-10)


def test_unpenalised_optimum_does_not_depend_on_standardization(random_binary):
    X, y = random_binary
    plain = fit_reference(X, y, 2)
    scaled = fit_reference(X, y, 2, standardizer=SimpleNamespace(mean_=X.mean(0), scale_=X.std(0)))
    np.testing.assert_allclose(scaled.coef, plain.coef, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(scaled.intercept, plain.intercept, rtol=1e-6)
    assert not np.allclose(scaled.coef_std, scaled.coef)


def test_softmax_unpenalised_against_statsmodels_mnlogit():
    data = blobs(600, 2.5, 3, n_classes=4)
    ref = fit_reference(data.X, data.y, 4)
    assert ref.converged and ref.coef.shape == (4, 2) and ref.intercept.shape == (4,)
    # Pinned by centring: parameters sum to zero over the classes.
    np.testing.assert_allclose(ref.coef.sum(axis=0), 0, atol=1e-12)
    assert ref.intercept.sum() == pytest.approx(0, abs=1e-12)
    result = sm.MNLogit(data.y, sm.add_constant(data.X)).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    # MNLogit reports class k relative to class 0: (1 + n_features, n_classes - 1).
    relative = np.column_stack([ref.intercept, ref.coef])[1:] - np.r_[ref.intercept[0], ref.coef[0]]
    np.testing.assert_allclose(relative.T, result.params, rtol=1e-6, atol=1e-8)
    assert ref.log_likelihood == pytest.approx(result.llf, rel=1e-10)
    assert ref.n_params == 3 * 3
    assert ref.aic == pytest.approx(result.aic, rel=1e-10)


# -- penalised optimum: the engine-convention gradient vanishes -------------------------------


def engine_objective(params, Z, y, n_classes, l2):
    """Mean cross-entropy + l2 * sum(w**2) from flat [coef.ravel(), intercept], written anew."""
    n_logits = 1 if n_classes == 2 else n_classes
    m = Z.shape[1]
    W = params[: n_logits * m].reshape(n_logits, m)
    b = params[n_logits * m :]
    logits = Z @ W.T + b
    if n_classes == 2:
        z = logits[:, 0]
        ce = np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0) - y * z
    else:
        shifted = logits - logits.max(axis=1, keepdims=True)
        ce = np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(y)), y]
    return ce.mean() + l2 * np.sum(W**2)


def numeric_gradient(f, x, h=1e-6):
    grad = np.empty_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


CASES = [
    pytest.param(2, 0.01, False, id="binary-l2"),
    pytest.param(2, 0.01, True, id="binary-l2-standardized"),
    pytest.param(4, 0.005, False, id="softmax-l2"),
    pytest.param(4, 0.005, True, id="softmax-l2-standardized"),
    pytest.param(3, 0.0, True, id="softmax-unpenalised-standardized"),
]


@pytest.mark.parametrize("n_classes, l2, standardize", CASES)
def test_gradient_of_engine_objective_vanishes_at_optimum(n_classes, l2, standardize):
    data = blobs(400, 2.0, 5, n_classes=n_classes) if n_classes > 2 else two_gaussians(400, 1.5, 5)
    X = data.X * [3.0, 0.2] + [10.0, -4.0]
    standardizer = SimpleNamespace(mean_=np.array([9.0, -4.5]), scale_=np.array([2.5, 0.3])) if standardize else None
    Z = X if standardizer is None else (X - standardizer.mean_) / standardizer.scale_
    ref = fit_reference(X, data.y, n_classes, l2=l2, standardizer=standardizer)
    assert ref.converged

    params = np.concatenate([ref.coef_std.ravel(), ref.intercept_std])

    def objective(p):
        return engine_objective(p, Z, data.y, n_classes, l2)

    assert ref.objective == pytest.approx(objective(params), rel=1e-12)
    assert np.abs(numeric_gradient(objective, params)).max() < 1e-7

    # Original units predict exactly what the standardized parameters predict.
    np.testing.assert_allclose(X @ ref.coef.T + ref.intercept, Z @ ref.coef_std.T + ref.intercept_std, atol=1e-9)
    if l2 > 0:
        # The penalty acts on the coefficients the engine trains: standardizing changes the optimum.
        other = fit_reference(
            X,
            data.y,
            n_classes,
            l2=l2,
            standardizer=None if standardize else SimpleNamespace(mean_=X.mean(0), scale_=X.std(0)),
        )
        assert not np.allclose(other.coef, ref.coef, rtol=1e-3)


def test_penalty_spelling_matches_c():
    """l2 maps to C = 1 / (2 n l2): a larger penalty gives smaller weights, zero gives the MLE."""
    norms = [np.linalg.norm(fit_reference(GLM_X, GLM_Y, 2, l2=lam).coef) for lam in (0.0, 0.01, 0.1)]
    assert norms[0] > norms[1] > norms[2]


def test_missing_class_is_refused():
    with pytest.raises(ValueError, match="every class"):
        fit_reference(GLM_X, GLM_Y, 3)
    with pytest.raises(ValueError):
        fit_reference(GLM_X, GLM_Y, 2, l2=-1.0)


# -- separation --------------------------------------------------------------------------------


def test_separation_fires_on_separable_binary_data():
    data = two_gaussians(100, 0.25, 0)
    verdict = detect_separation(data.X, data.y, 2)
    assert verdict.separable and verdict.complete and verdict.accuracy == 1.0
    assert verdict.weight_norms[-1] > 1.2 * verdict.weight_norms[0]


def test_separation_does_not_fire_on_overlapping_data():
    for data in (two_gaussians(200, 1.0, 0), blobs(300, 2.0, 0, n_classes=3)):
        verdict = detect_separation(data.X, data.y, data.n_classes)
        assert not verdict.separable and not verdict.complete
        assert verdict.weight_norms[-1] == pytest.approx(verdict.weight_norms[0], rel=1e-3)
    assert not detect_separation(GLM_X, GLM_Y, 2).separable


def test_separation_fires_on_separable_softmax_data():
    data = blobs(300, 0.3, 0, n_classes=5)
    verdict = detect_separation(data.X, data.y, 5)
    assert verdict.separable and verdict.complete


def test_quasi_complete_separation_is_separable_but_not_complete():
    # A tie at x = 3 holds one point of each class: no line classifies both, yet the slope runs off.
    X = np.array([1.0, 2.0, 3.0, 3.0, 4.0, 5.0])[:, None]
    y = np.array([0, 0, 0, 1, 1, 1])
    verdict = detect_separation(X, y, 2)
    assert verdict.separable and not verdict.complete


def test_separation_in_history():
    epochs = np.arange(1, 3001)
    growing = np.log1p(epochs)  # how the norm grows on separable data: slowly
    perfect = np.ones(3000)
    assert separation_in_history(perfect, growing)
    assert not separation_in_history(perfect, growing, l2=1e-3)
    assert not separation_in_history(np.r_[perfect[:-1], 0.99], growing)
    assert not separation_in_history(perfect[:10], growing[:10])
    assert not separation_in_history(perfect, np.full(3000, 2.0))
    assert not separation_in_history(perfect, growing[::-1])
    # An occasional dip from minibatch noise does not hide it.
    wobbly = growing.copy()
    wobbly[-5] = wobbly[-6] - 1e-3
    assert separation_in_history(perfect, wobbly)


def test_separation_in_history_of_a_real_run():
    training = pytest.importorskip("engine.training")
    from engine.catalog import PRESETS

    preset = PRESETS["separable"]
    config = training.TrainConfig(**{**preset.config, "epochs": 300})
    trainer = training.Trainer(preset.dataset_factory(seed=0), config)
    trainer.fit()
    accuracy = [report.train_accuracy for report in trainer.history]
    norm = [report.weight_norm for report in trainer.history]
    assert separation_in_history(accuracy, norm)
    assert not separation_in_history(accuracy, norm, l2=config.l2 + 1e-3)
