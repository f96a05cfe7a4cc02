"""The trainer against known optima (R's glm, scikit-learn) and its promises: seeds, early
stopping, divergence, pause/resume."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_iris, make_circles, make_moons
from sklearn.linear_model import LogisticRegression

from engine.data import DataError, Dataset
from engine.losses import cross_entropy
from engine.training import TrainConfig, Trainer, stratified_split

GLM_W, GLM_B = 0.551775920706039, -3.54907067213626


def test_glm_reference_also_in_float32():
    ds = Dataset.from_labels(np.array([[2.0], [3], [5], [7], [11], [13]]), [0, 0, 1, 0, 1, 1])
    t = Trainer(ds, TrainConfig(lr=0.05, batch_size=0, epochs=3000, standardize=False, dtype="float32"))
    t.fit()
    (w,), b = t.model.coef_intercept()
    assert w[0] == pytest.approx(GLM_W, abs=1e-4) and b[0] == pytest.approx(GLM_B, abs=1e-4)


def test_breast_cancer_matches_sklearn_unpenalised_optimum():
    data = load_breast_cancer()
    X = data.data[:, [0, 1]]  # mean radius, mean texture: overlapping classes, a finite optimum
    ds = Dataset.from_labels(X, data.target, feature_names=("radius", "texture"))
    t = Trainer(ds, TrainConfig(lr=0.05, batch_size=0, epochs=4000, dtype="float64"))
    t.fit()
    coef, intercept = t.model.coef_intercept()
    sk = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, data.target)
    np.testing.assert_allclose(coef, sk.coef_, rtol=1e-3)
    np.testing.assert_allclose(intercept, sk.intercept_, rtol=1e-3)


def test_softmax_with_l2_matches_sklearn_regularised_objective():
    data = load_iris()
    X, y, lam = data.data, data.target, 0.01
    ds = Dataset.from_labels(X, y)
    t = Trainer(ds, TrainConfig(lr=0.05, batch_size=0, epochs=3000, l2=lam, dtype="float64"))
    t.fit()
    Z = t.model.standardizer.transform(X)
    sk = LogisticRegression(C=1 / (2 * len(X) * lam), tol=1e-12, max_iter=10_000).fit(Z, y)
    sk_objective = cross_entropy(Z @ sk.coef_.T + sk.intercept_, y) + lam * np.sum(sk.coef_**2)
    assert t.current_metrics()["objective"] == pytest.approx(sk_objective, rel=1e-4)


def _split_accuracy(X, y, config):
    t = Trainer(Dataset.from_labels(X, y), config)
    t.fit()
    return t.current_metrics()


def test_mlp_learns_moons():
    X, y = make_moons(n_samples=1000, noise=0.2, random_state=0)
    m = _split_accuracy(X, y, TrainConfig(hidden=(16, 16), lr=0.01, epochs=150, test_fraction=0.3))
    assert m["test_accuracy"] >= 0.95


def test_poly2_logistic_separates_circles_where_linear_cannot():
    X, y = make_circles(n_samples=1000, noise=0.1, factor=0.5, random_state=0)
    poly = _split_accuracy(X, y, TrainConfig(features="poly2", lr=0.05, epochs=100, test_fraction=0.3))
    linear = _split_accuracy(X, y, TrainConfig(features="linear", lr=0.05, epochs=100, test_fraction=0.3))
    assert poly["test_accuracy"] >= 0.95
    assert linear["test_accuracy"] < 0.7


def _moons(n=300, seed=1):
    X, y = make_moons(n_samples=n, noise=0.3, random_state=seed)
    return Dataset.from_labels(X, y)


def test_same_seed_same_numbers_bit_for_bit():
    config = TrainConfig(hidden=(8,), epochs=5, test_fraction=0.2, seed=7)
    a, b = Trainer(_moons(), config), Trainer(_moons(), config)
    a.fit(), b.fit()
    assert a.network.params.tobytes() == b.network.params.tobytes()
    assert [r.train_loss for r in a.history] == [r.train_loss for r in b.history]
    c = Trainer(_moons(), config.with_(seed=8))
    c.fit()
    assert c.network.params.tobytes() != a.network.params.tobytes()


def test_pausing_mid_epoch_does_not_change_the_numbers():
    config = TrainConfig(hidden=(8,), epochs=3, batch_size=16, seed=3)
    straight = Trainer(_moons(), config)
    straight.fit()
    paused = Trainer(_moons(), config)
    step = paused.optimizer.step
    calls = {"n": 0}

    def step_and_pause(params, grad):
        step(params, grad)
        calls["n"] += 1
        if calls["n"] in (5, 21, 40):
            paused.request_stop()

    paused.optimizer.step = step_and_pause
    pauses = 0
    while paused.epoch < 3:
        if paused.run_epoch() is None:
            assert paused.stopped_because == "stopped" and paused.mid_epoch
            pauses += 1
    assert pauses == 3
    assert paused.network.params.tobytes() == straight.network.params.tobytes()


def test_minibatch_by_minibatch_gives_the_numbers_of_whole_epochs():
    config = TrainConfig(hidden=(8,), epochs=3, batch_size=24, seed=5)
    whole = Trainer(_moons(), config)
    whole.fit()
    stepped = Trainer(_moons(), config)
    per_epoch = stepped.batches_per_epoch
    assert per_epoch == -(-stepped.n_train // 24) > 1
    done = []
    for _ in range(3 * per_epoch):
        report = stepped.run_minibatch()
        done.append(stepped.batches_done)
        assert (report is None) == stepped.mid_epoch
    assert done == ([*range(1, per_epoch), 0]) * 3  # one minibatch per call; 0 once the epoch ended
    assert stepped.epoch == 3 and stepped.network.params.tobytes() == whole.network.params.tobytes()
    assert [r.grad_norm for r in stepped.history] == [r.grad_norm for r in whole.history]
    stepped.request_stop()  # a pending stop request comes first: nothing runs
    assert stepped.run_minibatch() is None and stepped.batches_done == 0


def test_early_stopping_stops_and_restores_best_weights():
    X, y = make_moons(n_samples=80, noise=0.45, random_state=2)
    ds = Dataset.from_labels(X, y)
    t = Trainer(
        ds, TrainConfig(hidden=(64, 64), lr=0.01, epochs=2000, test_fraction=0.4, early_stopping=10, dtype="float64")
    )
    result = t.fit()
    assert result.stopped_because == "early_stopping"
    assert result.epochs_run == result.best_epoch + 10 < 2000
    best = t.history[result.best_epoch - 1]
    assert t.current_metrics()["test_loss"] == pytest.approx(best.val_loss, rel=1e-12)
    assert min(r.val_loss for r in t.history) == best.val_loss


def test_diverged_trainer_restores_the_last_finite_weights():
    X = np.array([[1000.0], [2000], [3000], [4000]])
    ds = Dataset.from_labels(X, [0, 1, 0, 1])
    t = Trainer(ds, TrainConfig(optimizer="sgd", lr=1e6, standardize=False, batch_size=0, epochs=20))
    before = t.network.params.copy()
    result = t.fit()
    assert result.stopped_because == "diverged" and result.diverged_epoch == 1
    assert np.isfinite(t.network.params).all()
    np.testing.assert_array_equal(t.network.params, before)


def test_one_class_is_a_clear_error():
    with pytest.raises(DataError, match="only one class"):
        Trainer(Dataset.from_labels(np.zeros((3, 2)), ["a", "a", "a"]), TrainConfig())


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("lr", 0.0, "learning rate"),
        ("lr", float("nan"), "learning rate"),
        ("optimizer", "rmsprop", "optimizer"),
        ("test_fraction", 1.0, "test fraction"),
        ("batch_size", -1, "batch size"),
    ],
)
def test_bad_config_is_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        Trainer(_moons(), TrainConfig(**{field: value}))


def test_logistic_is_for_two_classes():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="softmax"):
        Trainer(Dataset.from_labels(X, y), TrainConfig(model="logistic"))


def test_stratified_split_keeps_class_shares():
    y = np.array([0] * 90 + [1] * 10)
    train, test = stratified_split(y, 0.2, np.random.default_rng(0))
    assert len(test) == 20 and np.sum(y[test] == 1) == 2
    assert set(train).isdisjoint(test) and len(train) + len(test) == 100


def _split_as_before(y, test_fraction, rng):
    """The split as first written (Python lists, sorted(), setdiff1d): the answer must not change."""
    test = []
    for cls in np.unique(y):
        members = np.flatnonzero(y == cls)
        rng.shuffle(members)
        k = min(int(round(test_fraction * len(members))), len(members) - 1)
        test.extend(members[:k].tolist())
    test_idx = np.array(sorted(test), dtype=np.int64)
    return np.setdiff1d(np.arange(len(y)), test_idx), test_idx


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 6), max_size=300),
    st.sampled_from([0.1, 0.2, 0.25, 0.5]),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["codes", "floats", "strings"]),
)
def test_stratified_split_is_the_same_split_as_before(labels, fraction, seed, kind):
    y = np.array(labels, dtype=np.int64)
    y = {"codes": y, "floats": y * 0.5 - 1, "strings": np.array([f"c{v}" for v in labels])}[kind]
    train, test = stratified_split(y, fraction, np.random.default_rng(seed))
    old_train, old_test = _split_as_before(y, fraction, np.random.default_rng(seed))
    assert np.array_equal(test, old_test) and np.array_equal(train, old_train)
    assert test.dtype == np.int64 and train.dtype.kind == "i"


def test_learning_rate_change_applies_to_next_step():
    t = Trainer(_moons(), TrainConfig(epochs=1))
    t.set_lr(0.5)
    assert t.run_epoch().lr == 0.5
    with pytest.raises(ValueError):
        t.set_lr(-1)


def test_replace_data_keeps_weights_and_trains_on_new_points():
    t = Trainer(_moons(), TrainConfig(hidden=(4,), epochs=2))
    t.run_epoch()
    params = t.network.params.copy()
    bigger = _moons(n=500)
    t.replace_data(bigger)
    np.testing.assert_array_equal(t.network.params, params)
    assert t.run_epoch().samples == 500


# ---------------------------------------------------------------- until converged (tol, n_iter_no_change)
def _glm6():
    from pathlib import Path

    from engine.csv_io import read_csv

    return read_csv(Path(__file__).resolve().parents[2] / "resources" / "examples" / "glm6.csv")


def _stalled_epochs(objectives, tol, patience):
    """The first epoch at which the objective went ``patience`` epochs without a relative gain > tol."""
    best, wait = np.inf, 0
    for epoch, objective in enumerate(objectives, start=1):
        wait = 0 if best == np.inf or objective < best - tol * abs(best) else wait + 1
        best = min(best, objective)
        if wait >= patience:
            return epoch
    return None


@pytest.mark.parametrize("cap", [0, 5000])
def test_until_converged_stops_on_glm6_at_the_reported_epoch(cap):
    config = TrainConfig(lr=0.05, batch_size=0, epochs=cap, tol=1e-4, n_iter_no_change=10, dtype="float64")
    t = Trainer(_glm6(), config)
    result = t.fit()
    assert result.stopped_because == "converged"
    assert result.epochs_run == t.epoch == len(t.history) == t.history[-1].epoch
    assert 10 < result.epochs_run < 1000
    # the reported epoch is the first at which the rule holds, recomputed from the history
    assert _stalled_epochs([r.objective for r in t.history], 1e-4, 10) == result.epochs_run
    (w,), b = t.model.coef_intercept()
    assert w[0] == pytest.approx(GLM_W, abs=0.02) and b[0] == pytest.approx(GLM_B, abs=0.1)


def test_a_tighter_tolerance_trains_longer():
    runs = [
        Trainer(_glm6(), TrainConfig(lr=0.05, batch_size=0, epochs=0, tol=tol, dtype="float64")).fit().epochs_run
        for tol in (1e-3, 1e-6)
    ]
    assert runs[0] < runs[1]


def test_tol_zero_never_stops_early():
    t = Trainer(_glm6(), TrainConfig(lr=0.05, batch_size=0, epochs=3000, tol=0.0, n_iter_no_change=1))
    result = t.fit()
    assert result.stopped_because == "epochs" and result.epochs_run == 3000


def test_a_converged_run_is_bit_identical_to_a_fixed_run_of_its_length():
    base = TrainConfig(lr=0.05, batch_size=2, epochs=0, tol=1e-4, n_iter_no_change=5, seed=3, dtype="float64")
    converged = Trainer(_glm6(), base)
    n = converged.fit().epochs_run
    fixed = Trainer(_glm6(), base.with_(epochs=n, tol=0.0))
    assert fixed.fit().stopped_because == "epochs"
    np.testing.assert_array_equal(converged.network.params, fixed.network.params)
    assert [r.objective for r in converged.history] == [r.objective for r in fixed.history]


@pytest.mark.parametrize("bad", [{"tol": -1e-4}, {"tol": float("nan")}, {"n_iter_no_change": 0}])
def test_convergence_settings_are_validated(bad):
    with pytest.raises(ValueError, match="convergence"):
        TrainConfig(**bad).validate()
