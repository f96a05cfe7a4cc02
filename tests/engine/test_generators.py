"""Generators: seeded, right shapes and class sizes, and logistic_model recovers its own truth."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from engine import catalog
from engine import generators as g
from engine.data import Dataset
from engine.reference import detect_separation, fit_reference

RANDOM = ["two_gaussians", "xor", "circles", "moons", "spiral", "blobs", "logistic", "one_d_gaussians"]

# TrainConfig's fields, per the module contract; used if engine.training is not importable.
CONTRACT_CONFIG_FIELDS = {
    "model",
    "hidden",
    "activation",
    "features",
    "standardize",
    "optimizer",
    "lr",
    "momentum",
    "nesterov",
    "beta1",
    "beta2",
    "epsilon",
    "batch_size",
    "epochs",
    "l1",
    "l2",
    "test_fraction",
    "seed",
    "early_stopping",
    "dtype",
    "tol",
    "n_iter_no_change",
}


def make(name, seed=0, **kwargs):
    spec = catalog.GENERATORS[name]
    return spec.make(n=kwargs.pop("n", spec.n), noise=kwargs.pop("noise", spec.noise), seed=seed, **kwargs)


@pytest.mark.parametrize("name", RANDOM)
def test_same_seed_same_arrays_and_other_seed_differs(name):
    a, b, c = make(name, seed=7), make(name, seed=7), make(name, seed=8)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize("name", list(catalog.GENERATORS))
def test_registry_entries_make_valid_datasets(name):
    spec = catalog.GENERATORS[name]
    data = make(name, seed=3)
    assert isinstance(data, Dataset)
    assert spec.label and isinstance(spec.label, str)
    expected_n = 6 if spec.fixed else spec.n
    assert data.X.shape == (expected_n, data.n_features)
    assert data.X.dtype == np.float64 and data.y.dtype == np.int64
    assert np.isfinite(data.X).all()
    assert data.n_classes >= 2
    assert set(np.unique(data.y)) == set(range(data.n_classes))
    assert len(data.feature_names) == data.n_features


@pytest.mark.parametrize(
    "name, n_features, n_classes",
    [
        ("two_gaussians", 2, 2),
        ("xor", 2, 2),
        ("circles", 2, 2),
        ("moons", 2, 2),
        ("spiral", 2, 2),
        ("blobs", 2, 3),
        ("logistic", 2, 2),
        ("one_d_gaussians", 1, 2),
    ],
)
def test_shapes(name, n_features, n_classes):
    data = make(name, n=123)
    assert data.X.shape == (123, n_features)
    assert data.y.shape == (123,)
    assert data.n_classes == n_classes


@pytest.mark.parametrize("name", ["two_gaussians", "xor", "circles", "moons", "one_d_gaussians"])
def test_default_is_balanced_and_balance_sets_the_positive_fraction(name):
    assert make(name, n=200).y.mean() == pytest.approx(0.5, abs=0.01)
    assert make(name, n=1000, balance=0.1).y.mean() == pytest.approx(0.1, abs=0.001)
    assert make(name, n=1000, balance=0.01).y.sum() == 10


@pytest.mark.parametrize("arms", [2, 3, 5])
def test_spiral_arms_are_classes_of_equal_size(arms):
    data = g.spiral(301, 0.05, 0, arms=arms)
    counts = np.bincount(data.y)
    assert counts.size == arms and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("k", range(3, 9))
def test_blobs_classes_and_shares(k):
    data = g.blobs(400, 1.0, 0, n_classes=k)
    counts = np.bincount(data.y)
    assert counts.size == k and counts.max() - counts.min() <= 1
    shares = np.arange(1, k + 1, dtype=float)
    counts = np.bincount(g.blobs(1000, 1.0, 0, n_classes=k, balance=shares).y)
    np.testing.assert_allclose(counts / 1000, shares / shares.sum(), atol=0.002)


def test_blobs_rejects_out_of_range_class_counts():
    with pytest.raises(ValueError):
        g.blobs(100, 1.0, 0, n_classes=9)
    with pytest.raises(ValueError):
        g.blobs(100, 1.0, 0, n_classes=3, balance=[0.5, 0.5])


def test_xor_classes_follow_the_quadrants_when_noise_is_small():
    data = g.xor(400, 0.1, 0)
    same_sign = (data.X[:, 0] * data.X[:, 1] > 0).astype(int)
    assert np.array_equal(same_sign, data.y)


def test_one_d_gaussians_means_and_sd():
    data = g.one_d_gaussians(20000, 2.0, 0)
    assert data.feature_names == ("x",)
    for code, mean in [(0, -4.0), (1, 4.0)]:
        x = data.X[data.y == code, 0]
        assert x.mean() == pytest.approx(mean, abs=0.06)
        assert x.std() == pytest.approx(2.0, abs=0.06)


def test_glm6_is_the_textbook_data():
    data = g.glm6()
    assert data.X[:, 0].tolist() == [2, 3, 5, 7, 11, 13]
    assert data.y.tolist() == [0, 0, 1, 0, 1, 1]
    assert data.feature_names == ("x",)
    assert [int(c) for c in data.classes] == [0, 1]


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        g.two_gaussians(100, 1.0, 0, balance=1.0)
    with pytest.raises(ValueError):
        g.spiral(100, 0.1, 0, arms=1)
    with pytest.raises(ValueError):
        g.logistic_model(100, [1.0], rho=1.0)
    with pytest.raises(ValueError):
        g.logistic_model(100, [1.0, 2.0, 3.0], transform="sincos")
    with pytest.raises(ValueError):
        g.logistic_model(100, [1.0], distribution="cauchy")


# -- logistic_model ---------------------------------------------------------------------------


def _fisher_standard_errors(Phi, weights, bias):
    """Standard errors at the truth: sqrt(diag((X^T W X)^-1)), X with an intercept column first."""
    X1 = np.column_stack([np.ones(len(Phi)), Phi])
    p = 1.0 / (1.0 + np.exp(-(X1 @ np.concatenate([[bias], weights]))))
    fisher = (X1 * (p * (1 - p))[:, None]).T @ X1
    return np.sqrt(np.diag(np.linalg.inv(fisher)))


def _unpenalised_fit(Phi, y):
    # C=inf is scikit-learn >= 1.8's spelling of "no penalty" (penalty=None is deprecated).
    model = LogisticRegression(C=np.inf, solver="newton-cg", tol=1e-10, max_iter=1000)
    model.fit(Phi, y)
    return model.coef_[0], model.intercept_[0]


@pytest.mark.parametrize(
    "distribution, rho, transform, weights, bias",
    [
        ("normal", 0.0, None, [1.5, -2.0, 0.5], 0.3),
        ("normal", 0.6, None, [1.0, 0.0, -1.0], -0.5),
        ("uniform", -0.4, None, [2.0, 1.0], 0.0),
        ("uniform", 0.0, "sincos", [1.0, -1.5, 0.5, 2.0], 0.2),
    ],
)
def test_logistic_model_unpenalised_fit_recovers_truth(distribution, rho, transform, weights, bias):
    truth = g.logistic_model(20000, weights, bias, distribution=distribution, rho=rho, transform=transform, seed=11)
    Phi = g.sincos(truth.dataset.X) if transform else truth.dataset.X
    w_hat, b_hat = _unpenalised_fit(Phi, truth.dataset.y)
    se = _fisher_standard_errors(Phi, truth.weights, truth.bias)
    error = np.abs(np.concatenate([[b_hat], w_hat]) - np.concatenate([[bias], weights]))
    assert np.all(error < 4 * se), error / se
    assert se.max() < 0.1  # the tolerance really is tight at n = 20000


def test_logistic_model_inputs_have_the_toeplitz_covariance():
    truth = g.logistic_model(50000, [0.0, 0.0, 0.0], rho=0.7, seed=2)
    expected = 0.7 ** np.abs(np.subtract.outer(np.arange(3), np.arange(3)))
    np.testing.assert_allclose(np.cov(truth.dataset.X.T), expected, atol=0.02)
    assert truth.dataset.feature_names == ("x1", "x2", "x3")


def test_logistic_model_uniform_marginals_have_unit_variance_and_bounded_support():
    X = g.logistic_model(50000, [0.0, 0.0], distribution="uniform", seed=2).dataset.X
    assert np.abs(X).max() <= np.sqrt(3.0)
    np.testing.assert_allclose(X.var(axis=0), 1.0, atol=0.02)


def test_logistic_model_positive_rate_matches_mean_probability():
    truth = g.logistic_model(20000, [1.0, -1.0], 1.0, seed=4)
    p = 1.0 / (1.0 + np.exp(-truth.logit(truth.dataset.X)))
    assert truth.dataset.y.mean() == pytest.approx(p.mean(), abs=4 * np.sqrt(0.25 / 20000))


def test_logit_noise_shrinks_the_fitted_weights():
    clean = g.logistic_model(20000, [2.0, -2.0], seed=5).dataset
    noisy = g.logistic_model(20000, [2.0, -2.0], logit_noise=2.0, seed=5).dataset
    w_clean, _ = _unpenalised_fit(clean.X, clean.y)
    w_noisy, _ = _unpenalised_fit(noisy.X, noisy.y)
    assert np.linalg.norm(w_noisy) < 0.85 * np.linalg.norm(w_clean)


def test_sincos_order_matches_the_feature_map():
    features = pytest.importorskip("engine.features")
    X = np.random.default_rng(0).normal(size=(10, 2))
    np.testing.assert_array_equal(g.sincos(X), features.FeatureMap.from_spec("sincos", 2).transform(X))


# -- presets ----------------------------------------------------------------------------------


def _config_fields():
    try:
        from engine.training import TrainConfig
    except ImportError:
        return CONTRACT_CONFIG_FIELDS
    return {f.name for f in dataclasses.fields(TrainConfig)}


@pytest.mark.parametrize("name", ["separable", "unscaled", "xor_linear", "lr_too_high", "minority"])
def test_preset_is_complete(name):
    preset = catalog.PRESETS[name]
    assert preset.label and preset.lesson and "\n" not in preset.lesson
    assert set(preset.config) <= _config_fields()
    a, b = preset.dataset_factory(seed=1), preset.dataset_factory(seed=1)
    assert isinstance(a, Dataset) and np.array_equal(a.X, b.X)


def test_separable_preset_is_separable():
    for seed in range(3):
        data = catalog.PRESETS["separable"].dataset_factory(seed=seed)
        verdict = detect_separation(data.X, data.y, data.n_classes)
        assert verdict.separable and verdict.complete
    assert catalog.PRESETS["separable"].config["l2"] == 0


def test_unscaled_preset_has_one_feature_a_thousand_times_larger():
    preset = catalog.PRESETS["unscaled"]
    spread = preset.dataset_factory().X.std(axis=0)
    assert spread[1] / spread[0] == pytest.approx(1000, rel=0.3)
    assert preset.config["standardize"] is False


def test_xor_preset_defeats_a_linear_model():
    data = catalog.PRESETS["xor_linear"].dataset_factory()
    ref = fit_reference(data.X, data.y, 2)
    accuracy = np.mean(((data.X @ ref.coef[0] + ref.intercept[0]) > 0) == data.y)
    assert accuracy < 0.65
    assert catalog.PRESETS["xor_linear"].config["features"] == "linear"


def test_lr_preset_is_far_too_high():
    config = catalog.PRESETS["lr_too_high"].config
    assert config["optimizer"] == "sgd" and config["lr"] >= 10 and config["standardize"] is False


def test_minority_preset_is_one_percent():
    data = catalog.PRESETS["minority"].dataset_factory()
    assert data.y.mean() == pytest.approx(0.01)
