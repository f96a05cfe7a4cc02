"""The sweep: each cell is a plain seeded run, the grid's order, cancelling, and bad grids."""

import time

import numpy as np
import pytest
from sklearn.datasets import make_moons

from engine import sweep as sweep_module
from engine.data import Dataset
from engine.report import REPORT_KEYS
from engine.sweep import SweepAxis, format_values, iter_sweep, log_grid, parse_values, run_sweep, sweep_grid
from engine.training import TrainConfig, Trainer

BASE = TrainConfig(model="mlp", hidden=(8,), epochs=15, test_fraction=0.25, seed=3)


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(n_samples=120, noise=0.25, random_state=1)
    return Dataset.from_labels(X, y)


def test_each_cell_is_a_plain_seeded_fit_bit_for_bit(moons):
    axes = [SweepAxis("lr", (0.003, 0.03)), SweepAxis("batch_size", (16, 0))]
    cells = run_sweep(moons, BASE, axes)
    assert len(cells) == 4
    for cell in cells:
        assert cell.config == BASE.with_(**cell.settings)
        trainer = Trainer(moons, cell.config)
        result = trainer.fit()
        np.testing.assert_array_equal(cell.params, trainer.network.params)
        assert [r.train_loss for r in cell.history] == [r.train_loss for r in result.history]
        metrics = trainer.current_metrics()
        assert cell.report["train_loss"] == metrics["train_loss"]
        assert cell.report["test_accuracy"] == metrics["test_accuracy"]
        np.testing.assert_array_equal(cell.model.network.params, cell.params)
    # the cells differ from each other (the settings were applied)
    assert len({c.report["train_loss"] for c in cells}) == 4


def test_a_cell_does_not_depend_on_the_cells_before_it(moons):
    alone = run_sweep(moons, BASE, [SweepAxis("l2", (0.01,))])[0]
    among = run_sweep(moons, BASE, [SweepAxis("l2", (0.0, 0.001, 0.01))])[2]
    np.testing.assert_array_equal(alone.params, among.params)


def test_grid_order_is_row_major_first_axis_slowest(moons):
    axes = [SweepAxis("optimizer", ("sgd", "adam")), SweepAxis("hidden", ((), (4,), (4, 4)))]
    order = [(index, settings) for index, settings, _ in sweep_grid(BASE, axes)]
    assert [i for i, _ in order] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert order[1][1] == {"optimizer": "sgd", "hidden": (4,)}
    cells = run_sweep(moons, BASE.with_(epochs=2), axes)
    assert [c.index for c in cells] == [i for i, _ in order]
    assert [c.config.hidden_layers() for c in cells[:3]] == [(16,), (4,), (4, 4)]  # mlp without hidden: 16


def test_report_has_the_fit_keys(moons):
    (cell,) = run_sweep(moons, BASE.with_(model="logistic", hidden=()), [SweepAxis("lr", (0.01,))])
    assert tuple(cell.report) == REPORT_KEYS
    assert cell.report["coef"] is not None and cell.report["epochs_run"] == 15


def test_cancel_stops_the_run_under_way_and_yields_no_more(moons):
    epochs_seen = []

    def progress(percent):
        epochs_seen.append(percent)

    calls = {"n": 0}

    def cancelled():
        calls["n"] += 1
        return calls["n"] > 20  # part-way through the second cell

    axes = [SweepAxis("lr", (0.001, 0.01, 0.1))]
    cells = run_sweep(moons, BASE, axes, progress=progress, cancelled=cancelled)
    assert len(cells) == 1  # the first finished; the second was stopped, the third never began
    assert max(epochs_seen) < 100
    np.testing.assert_array_equal(cells[0].params, run_sweep(moons, BASE, axes[:1])[0].params)


def test_progress_runs_from_0_to_100_without_repeats(moons):
    seen = []
    run_sweep(moons, BASE, [SweepAxis("lr", (0.01, 0.1))], progress=seen.append)
    assert seen[0] == 0 and seen[-1] == 100
    assert seen == sorted(set(seen))


def test_iter_sweep_yields_cells_as_they_end(moons):
    it = iter_sweep(moons, BASE, [SweepAxis("batch_size", (8, 16, 32))])
    first = next(it)
    assert first.settings == {"batch_size": 8}


def test_log_grid():
    assert log_grid(1e-3, 1e-1, 3) == (0.001, 0.01, 0.1)
    assert log_grid(1e-4, 1.0, 5) == (0.0001, 0.001, 0.01, 0.1, 1.0)
    assert log_grid(0.01, 0.01, 1) == (0.01,)
    with pytest.raises(ValueError):
        log_grid(0.0, 1.0, 3)


@pytest.mark.parametrize(
    "axes,match",
    [
        ([], "one or two"),
        ([SweepAxis("lr", (0.1,))] * 2, "different"),
        ([SweepAxis("lr", (0.1,)), SweepAxis("l2", (0.0,)), SweepAxis("batch_size", (8,))], "one or two"),
        ([SweepAxis("lr", (0.1, -1.0))], "learning rate"),
    ],
)
def test_bad_grids_raise_value_error(moons, axes, match):
    with pytest.raises(ValueError, match=match):
        run_sweep(moons, BASE, axes)


def test_bad_axes_and_until_stopped_base_raise():
    with pytest.raises(ValueError, match="cannot sweep"):
        SweepAxis("momentum", (0.5,))
    with pytest.raises(ValueError, match="repeats"):
        SweepAxis("lr", (0.1, 0.1))
    with pytest.raises(ValueError, match="epochs"):
        sweep_grid(BASE.with_(epochs=0), [SweepAxis("lr", (0.1,))])


@pytest.mark.parametrize(
    "name,text,values",
    [
        ("lr", "1e-3, 1e-2,0.1", (0.001, 0.01, 0.1)),
        ("lr", "1e-3:1e-1:3", (0.001, 0.01, 0.1)),
        ("batch_size", "16,64,0", (16, 64, 0)),
        ("l2", "0,1e-3", (0.0, 0.001)),
        ("hidden", "none;8;16,16", ((), (8,), (16, 16))),
        ("optimizer", "adam,sgd", ("adam", "sgd")),
    ],
)
def test_parse_values_and_back(name, text, values):
    assert parse_values(name, text) == values
    assert parse_values(name, format_values(name, values)) == values


@pytest.mark.parametrize(
    "name,text", [("lr", "fast"), ("lr", "1:2:x"), ("batch_size", "1.5"), ("l2", ""), ("hidden", "4;x")]
)
def test_parse_values_rejects_bad_text(name, text):
    with pytest.raises(ValueError, match="expected"):
        parse_values(name, text)


def test_looking_at_cancel_inside_epochs_changes_no_number(moons, monkeypatch):
    monkeypatch.setattr(sweep_module, "CANCEL_CHECK_SECONDS", 0.0)  # pause after every minibatch
    base = BASE.with_(early_stopping=3, epochs=40)
    (cell,) = run_sweep(moons, base, [SweepAxis("batch_size", (8,))], cancelled=lambda: False)
    trainer = Trainer(moons, cell.config)
    result = trainer.fit()
    np.testing.assert_array_equal(cell.params, trainer.network.params)
    assert (cell.report["epochs_run"], cell.report["stopped_because"], cell.report["best_epoch"]) == (
        result.epochs_run,
        result.stopped_because,
        result.best_epoch,
    )


def test_a_cancel_stops_inside_a_long_epoch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200_000, 2))
    big = Dataset.from_labels(X, (X[:, 0] > 0).astype(int))
    looks, seen = [], []

    def cancelled():
        looks.append(time.perf_counter())
        return len(looks) > 2

    axes = [SweepAxis("lr", (0.01, 0.1))]
    cells = run_sweep(big, BASE.with_(batch_size=1, epochs=5), axes, progress=seen.append, cancelled=cancelled)
    # an epoch of 150 000 minibatches takes about a second: the cancel came before the first ended
    assert cells == [] and seen == [0]
