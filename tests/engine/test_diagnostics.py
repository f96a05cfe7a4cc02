"""The convergence doctor: each failure-mode preset gets its own verdict and no other, healthy runs
get none, and the curvature numbers agree with finite differences and with gradient descent."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from engine import catalog
from engine import generators as g
from engine.data import Dataset
from engine.diagnostics import WARNING, Verdict, _num, diagnose
from engine.landscape import LossLandscape
from engine.network import Network, augment
from engine.reference import detect_separation, fit_reference
from engine.signals import hessian_stats, input_condition, linear_hessian, loss_oscillation, model_signals
from engine.training import EpochReport, TrainConfig, Trainer

#: Epochs per preset: enough for its failure to show (every preset trains in < 0.1 s).
PRESET_EPOCHS = {"separable": 300, "unscaled": 100, "xor_linear": 200, "lr_too_high": 200, "minority": 60}
PRESET_VERDICT = {
    "separable": "separable",
    "unscaled": "unscaled",
    "xor_linear": "underfit_linear",
    "lr_too_high": "lr_too_high",
    "minority": "imbalanced",
}


def train(dataset, config):
    trainer = Trainer(dataset, config)
    trainer.fit()
    return trainer


def doctor(trainer, **kwargs):
    hessian = hessian_stats(trainer) if trainer.network.is_linear else None
    return diagnose(trainer.history, model_signals(trainer), trainer.config, hessian, **kwargs)


def preset_run(name, seed=0, **changes):
    preset = catalog.PRESETS[name]
    config = TrainConfig(**{**preset.config, "epochs": PRESET_EPOCHS[name], **changes})
    return train(preset.dataset_factory(seed=seed), config)


# -- the failure-mode presets -------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", sorted(PRESET_VERDICT))
def test_each_preset_gets_its_own_verdict_and_no_other(name, seed):
    verdicts = doctor(preset_run(name, seed))
    assert [v.code for v in verdicts] == [PRESET_VERDICT[name]], [v.message for v in verdicts]
    verdict = verdicts[0]
    assert verdict.severity == WARNING and verdict.fix_label
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    assert verdict.fix is None or set(verdict.fix) <= fields


def test_preset_messages_quote_their_numbers():
    by_name = {name: doctor(preset_run(name))[0] for name in PRESET_VERDICT}
    unscaled = by_name["unscaled"]
    assert "condition number" in unscaled.message and "·10⁶" in unscaled.message
    assert "Standardize" in unscaled.message and unscaled.fix["standardize"] is True
    assert unscaled.details["condition"] > 1e5
    lr = by_name["lr_too_high"]
    assert lr.message.startswith("Learning rate too high:") and lr.fix["lr"] < 50
    separable = by_name["separable"]
    assert "fitted probabilities numerically 0 or 1 occurred" in separable.message
    assert "early stopping" in separable.message and separable.fix == {"l2": 0.001}
    assert "100 %" in separable.message and "‖w‖" in separable.message
    underfit = by_name["xor_linear"]
    assert underfit.fix == {"features": "poly2"} and "0.693" in underfit.message
    minority = by_name["minority"]
    assert minority.fix is None and "confusion matrix" in minority.message
    assert "1 %" in minority.message


@pytest.mark.parametrize("name", ["separable", "unscaled", "lr_too_high", "xor_linear"])
def test_the_one_click_fix_cures_its_verdict(name):
    preset = catalog.PRESETS[name]
    config = TrainConfig(**{**preset.config, "epochs": PRESET_EPOCHS[name]})
    fix = doctor(train(preset.dataset_factory(), config))[0].fix
    codes = [v.code for v in doctor(train(preset.dataset_factory(), config.with_(**fix)))]
    if name == "xor_linear":
        # x1·x2 separates the XOR clusters perfectly, so the next lesson is separation.
        assert codes == ["separable"]
    else:
        assert not [c for c in codes if c != "converged"], codes


def test_lr_evidence_restarts_when_the_rate_changes():
    trainer = preset_run("lr_too_high")
    assert [v.code for v in doctor(trainer)] == ["lr_too_high"]
    trainer.set_lr(0.5)
    for _ in range(30):
        trainer.run_epoch()
    assert "lr_too_high" not in [v.code for v in doctor(trainer)]


def test_a_diverged_run_is_blamed_on_the_learning_rate():
    data = g.two_gaussians(100, 1.5, 0)
    trainer = Trainer(data, TrainConfig(optimizer="sgd", lr=1e4, batch_size=0, epochs=5))
    trainer.fit()
    assert trainer.stopped_because == "diverged"
    verdicts = doctor(trainer)
    assert [v.code for v in verdicts] == ["lr_too_high"]
    assert "diverged" in verdicts[0].message


def test_separation_from_the_data_fires_before_the_history_shows_it():
    data = catalog.PRESETS["separable"].dataset_factory()
    trainer = preset_run("separable", epochs=3)
    assert doctor(trainer) == []
    separation = detect_separation(data.X, data.y, 2)
    verdicts = doctor(trainer, separation=separation)
    assert [v.code for v in verdicts] == ["separable"]
    assert verdicts[0].details["by_data"] and not verdicts[0].details["by_history"]
    assert doctor(preset_run("separable", l2=1e-3)) == []  # a penalty: the optimum exists


# -- healthy runs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dataset, config",
    [
        (g.moons(200, 0.1, 0), TrainConfig(hidden=(16,), lr=0.01, epochs=200)),
        (g.moons(200, 0.2, 1), TrainConfig(hidden=(16, 16), activation="tanh", lr=0.01, epochs=150)),
        (g.two_gaussians(200, 1.0, 0), TrainConfig(lr=0.01, epochs=150)),
        (g.blobs(300, 2.5, 0, n_classes=4), TrainConfig(optimizer="momentum", lr=0.05, epochs=100)),
    ],
    ids=["moons-mlp", "moons-tanh", "gaussians-logistic", "blobs-softmax-momentum"],
)
def test_healthy_runs_get_no_warning_at_any_epoch(dataset, config):
    trainer = Trainer(dataset, config)
    while trainer.epoch < config.epochs:
        trainer.run_epoch()
        if trainer.epoch % 25 == 0:
            warnings = [v for v in doctor(trainer) if v.severity == WARNING]
            assert not warnings, (trainer.epoch, [v.message for v in warnings])


def test_converged_is_an_info_shown_only_without_warnings():
    trainer = train(g.two_gaussians(200, 1.0, 0), TrainConfig(optimizer="sgd", lr=1.0, batch_size=0, epochs=300))
    verdicts = doctor(trainer)
    assert [(v.code, v.severity) for v in verdicts] == [("converged", "info")]
    assert verdicts[0].fix is None
    # XOR has also converged — to a useless model; the warning says so instead.
    assert "converged" not in [v.code for v in doctor(preset_run("xor_linear"))]


# -- signals ------------------------------------------------------------------------------------


def test_signals_carry_the_epoch_report_and_plain_values():
    trainer = preset_run("minority")
    signals = model_signals(trainer)
    report = trainer.history[-1]
    for f in dataclasses.fields(EpochReport):
        assert signals[f.name] == getattr(report, f.name)
    assert signals["n_rows"] == trainer.n_train
    assert signals["class_shares"] == pytest.approx([0.99, 0.01])
    assert signals["recall"][1] == 0.0 and signals["predicted_shares"][1] == 0.0
    entropy = -(0.99 * math.log(0.99) + 0.01 * math.log(0.01))
    assert signals["baseline_loss"] == pytest.approx(entropy)
    assert signals["dead_relu_share"] is None and signals["is_linear"]

    def plain(value):
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        if isinstance(value, dict):
            return all(plain(v) for v in value.values())
        return value is None or isinstance(value, (bool, int, float, str))

    assert all(plain(v) for v in signals.values()), {k: type(v) for k, v in signals.items()}


def test_signals_subsample_large_training_sets():
    trainer = Trainer(g.two_gaussians(5000, 1.0, 0), TrainConfig(epochs=1))
    signals = model_signals(trainer, max_rows=2000)
    assert signals["n_rows"] == 2000 and "train_loss" not in signals
    assert signals == model_signals(trainer, max_rows=2000)  # fixed sample


def test_dead_relus_are_counted_and_diagnosed():
    trainer = train(g.moons(200, 0.1, 0), TrainConfig(hidden=(8, 6), lr=0.01, epochs=20))
    (W1, b1), (W2, b2), _ = trainer.network.layers
    b1[:5] = -1e3  # 5 of 8 first-layer units: dead
    signals = model_signals(trainer)
    assert signals["dead_relu_per_layer"][0] == pytest.approx(5 / 8)
    assert signals["dead_relu_share"] == pytest.approx((5 + 6 * signals["dead_relu_per_layer"][1]) / 14)
    verdicts = diagnose(trainer.history, signals, trainer.config)
    assert "dead_relu" in [v.code for v in verdicts]
    dead = next(v for v in verdicts if v.code == "dead_relu")
    assert "5 of 8" in dead.message and dead.fix == {"lr": 0.001}
    tanh = train(g.moons(100, 0.1, 0), TrainConfig(hidden=(4,), activation="tanh", epochs=2))
    assert model_signals(tanh)["dead_relu_share"] is None


def test_confidently_wrong_outputs_are_saturated():
    trainer = train(g.two_gaussians(200, 1.5, 0), TrainConfig(lr=0.05, epochs=30))
    assert doctor(trainer) == []
    trainer.network.params *= 40.0
    signals = model_signals(trainer)
    assert signals["saturated_share"] > 0.5 and signals["confident_wrong_share"] > 0.05
    verdicts = diagnose(trainer.history, signals, trainer.config, hessian_stats(trainer))
    assert [v.code for v in verdicts] == ["saturated"]
    assert verdicts[0].fix == {"l2": 0.001} and "|logit| > 8" in verdicts[0].message


def test_softmax_saturation_uses_the_top_class_log_odds():
    data = g.blobs(90, 0.3, 0, n_classes=3)
    trainer = Trainer(data, TrainConfig(epochs=1))
    ((W, b),) = trainer.network.layers
    W[...] = 0.0
    b[...] = [20.0, 0.0, 0.0]  # log-odds of class 0 vs the rest: 20 − ln 2 > 8
    signals = model_signals(trainer)
    assert signals["saturated_share"] == 1.0
    assert signals["confident_wrong_share"] == pytest.approx(2 / 3)
    b[...] = [8.0, 0.5, 0.0]  # 8 − log(e^0.5 + 1) < 8: not saturated
    assert model_signals(trainer)["saturated_share"] == 0.0


def test_input_condition_of_the_unscaled_preset():
    data = catalog.PRESETS["unscaled"].dataset_factory()
    kappa = input_condition(augment(data.X, np.float64))
    eig = np.linalg.eigvalsh(
        np.cov(np.column_stack([data.X, np.ones(len(data.X))]).T, bias=True)
        + np.outer(*[np.r_[data.X.mean(0), 1.0]] * 2)
    )
    assert kappa == pytest.approx(eig[-1] / eig[0], rel=1e-6)
    assert kappa > 1e6
    signals = model_signals(preset_run("unscaled"))
    assert signals["input_condition"] == pytest.approx(kappa, rel=1e-9)
    assert signals["standardized_condition"] < 10
    # A direction the data never move along is ignored.
    assert input_condition(np.column_stack([np.ones(5), np.ones(5)])) == 1.0


def test_loss_oscillation_counts_rises_and_spikes():
    assert loss_oscillation([1.0, 0.9, 0.8, 0.7])["rises"] == 0
    wobble = [0.5, 0.6, 0.5, 0.6, 0.5, 0.6, 0.5, 0.6]
    out = loss_oscillation(wobble)
    assert out["rises"] == 4 and out["window"] == 7 and out["max_rise"] == pytest.approx(0.2)
    assert out["spike_epoch"] is None
    noise = [0.300, 0.301, 0.299, 0.302, 0.300, 0.303]  # < 5 %: minibatch noise
    assert loss_oscillation(noise)["rises"] == 0
    spike = loss_oscillation([0.4, 0.3, 0.25, 2.0, 1.5, 1.0])
    assert (spike["spike_epoch"], spike["spike_from"], spike["spike_to"]) == (4, 0.25, 2.0)
    assert loss_oscillation([0.01, 0.025])["spike_epoch"] is None  # doubled but tiny


def test_oscillating_history_message():
    config = TrainConfig(optimizer="adam", lr=0.1)
    losses = [0.5, 0.6, 0.5, 0.6, 0.5, 0.6, 0.5, 0.6, 0.5, 0.6, 0.5]
    history = [
        EpochReport(epoch=i + 1, train_loss=v, train_accuracy=0.8, objective=v, lr=0.1) for i, v in enumerate(losses)
    ]
    verdicts = diagnose(history, {"lr": 0.1, "n_classes": 2, "is_linear": False}, config)
    assert [v.code for v in verdicts] == ["lr_too_high"]
    assert "the loss grew in 5 of the last 10 epochs (by up to 20 %)" in verdicts[0].message
    assert verdicts[0].fix == {"lr": 0.01}


def test_numbers_read_like_the_issue():
    assert _num(4e6) == "4·10⁶" and _num(1.912e6) == "1.9·10⁶" and _num(2.5e-5) == "2.5·10⁻⁵"
    assert _num(0.6931) == "0.693" and _num(1234.5) == "1234" and _num(math.inf) == "∞"


# -- curvature ----------------------------------------------------------------------------------


def fd_hessian(net, X, y, l2, h=1e-5):
    base = net.params.copy()
    H = np.empty((net.size, net.size))
    for j in range(net.size):
        for sign in (1, -1):
            net.set_params(base)
            net.params[j] += sign * h
            grad = net.loss_and_grad(X, y, 0.0, l2)[1]
            H[:, j] = grad if sign == 1 else (H[:, j] - grad) / (2 * h)
    net.set_params(base)
    return (H + H.T) / 2


@pytest.mark.parametrize("n_classes, l2", [(2, 0.0), (2, 0.05), (3, 0.0), (4, 0.02)])
def test_hessian_matches_finite_differences(n_classes, l2):
    rng = np.random.default_rng(n_classes)
    X = rng.normal(size=(30, 3)) * [1.0, 2.0, 0.5]
    y = np.arange(30) % n_classes
    net = Network(3, n_classes, dtype="float64")
    net.init(rng)
    net.params += rng.normal(scale=0.3, size=net.size)
    fd = fd_hessian(net, X, y, l2)
    Xa = augment(X, np.float64)
    np.testing.assert_allclose(linear_hessian(Xa, net.params, l2), fd, atol=1e-7)
    stats = hessian_stats(Xa, net.params, l2=l2)
    fd_eig = np.linalg.eigvalsh(fd)
    assert stats.lambda_max == pytest.approx(fd_eig[-1], rel=1e-6)
    assert stats.stable_lr_bound == pytest.approx(2 / fd_eig[-1], rel=1e-6)
    if n_classes == 2:
        assert stats.lambda_min == pytest.approx(fd_eig[0], rel=1e-5)
    else:
        # Softmax: the flat "same change for every class" directions (curvature 2·l2 on each of the
        # 3 weight rows, 0 on the bias row) are set aside; the rest is the identifiable spectrum.
        flat = [2 * l2] * 3 + [0.0]
        np.testing.assert_allclose(np.sort(np.r_[stats.eigenvalues, flat]), fd_eig, atol=1e-7)
    assert stats.condition_number == pytest.approx(stats.lambda_max / stats.lambda_min)
    # Böhning's global bound is never above the local curvature.
    assert stats.global_lr_bound <= stats.stable_lr_bound * (1 + 1e-12)


def test_hessian_of_a_trainer_is_in_the_standardized_space():
    data = g.two_gaussians(150, 1.0, 0)
    trainer = train(Dataset.from_labels(data.X * [1.0, 30.0], data.y), TrainConfig(l2=0.01, epochs=20))
    stats = hessian_stats(trainer)
    Xa = augment(trainer.model.features(trainer.dataset.X[trainer.train_idx]), np.float64)
    direct = hessian_stats(Xa, trainer.network.params, l2=0.01)
    assert stats == direct
    assert stats.input_condition < 10  # standardized: the ×30 is gone
    with pytest.raises(ValueError):
        hessian_stats(Trainer(g.moons(40, 0.1, 0), TrainConfig(hidden=(3,))))


def test_stable_bound_separates_convergence_from_oscillation():
    """Near the optimum the objective is quadratic: plain gradient descent with a step just below
    2/λ_max converges, well above it the steepest direction overshoots and never settles."""
    data = g.one_d_gaussians(200, 4.0, 0)  # overlapping classes: a well-conditioned bowl
    X = (data.X - data.X.mean()) / data.X.std()
    ref = fit_reference(X, data.y, 2)
    optimum = np.array([ref.coef[0, 0], ref.intercept[0]])
    stats = hessian_stats(augment(X, np.float64), optimum)
    land = LossLandscape(X, data.y)
    start = optimum + [0.01, -0.01]
    below = land.run_path(start, "sgd", 0.9 * stats.stable_lr_bound, epochs=300)
    assert np.linalg.norm(below[-1] - optimum) < 1e-10
    loss_below = land.loss(below)
    assert np.all(np.diff(loss_below[-50:]) <= 1e-15)
    above = land.run_path(start, "sgd", 1.5 * stats.stable_lr_bound, epochs=300)
    assert np.linalg.norm(above[-1] - optimum) > 10 * np.linalg.norm(start - optimum)
    loss_above = land.loss(above)
    assert loss_above[-1] > ref.loss + 1e-3 and np.mean(np.diff(loss_above[-50:]) > 0) > 0.3


@pytest.mark.parametrize("mu, nesterov", [(0.5, False), (0.9, False), (0.5, True), (0.9, True)])
def test_momentum_bounds_separate_convergence_from_oscillation(mu, nesterov):
    data = g.one_d_gaussians(200, 4.0, 0)
    X = (data.X - data.X.mean()) / data.X.std()
    ref = fit_reference(X, data.y, 2)
    optimum = np.array([ref.coef[0, 0], ref.intercept[0]])
    bound = hessian_stats(augment(X, np.float64), optimum).lr_bound("momentum", mu, nesterov)
    land = LossLandscape(X, data.y)
    start = optimum + [0.01, -0.01]
    hyper = {"momentum": mu, "nesterov": nesterov}
    below = land.run_path(start, "momentum", 0.9 * bound, epochs=400, **hyper)
    above = land.run_path(start, "momentum", 1.2 * bound, epochs=400, **hyper)
    assert np.linalg.norm(below[-1] - optimum) < 1e-9
    assert np.linalg.norm(above[-1] - optimum) > 10 * np.linalg.norm(start - optimum)


def test_untrained_models_are_not_judged():
    trainer = Trainer(catalog.PRESETS["minority"].dataset_factory(), TrainConfig(**catalog.PRESETS["minority"].config))
    assert diagnose([], model_signals(trainer), trainer.config) == []
    unscaled = Trainer(catalog.PRESETS["unscaled"].dataset_factory(), TrainConfig(**catalog.PRESETS["unscaled"].config))
    # Badly scaled inputs are a fact about the data: said before the first epoch.
    assert [v.code for v in diagnose([], model_signals(unscaled), unscaled.config)] == ["unscaled"]


def test_verdict_is_a_frozen_record():
    v = Verdict("converged", "info", "done")
    assert v.fix is None and v.details == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.code = "x"
