"""Issue 9, bounded memory: a run's loss history and recorded weights stay in fixed memory however
long the run, spikes stay on the loss plot, and a million-epoch session is small and opens."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from engine.data import Dataset
from engine.epochs import REPORT_COLUMNS, report_history
from engine.history import History
from engine.serialize import save_session, session_json_chunks, session_to_dict
from engine.training import TrainConfig, Trainer
from lab_app.panels.landscape.view import MAX_PATH
from lab_app.training.recorded import ParamHistory

from window_helpers import draw_points, emissions, settle


def _column(name: str) -> int:
    return REPORT_COLUMNS.index(name)


def test_a_long_until_stopped_run_keeps_fixed_memory_and_draws_every_epoch_span(qtbot, make_window):
    w = make_window(epochs=0, tol=0.0, batch_size=0)  # "until stopped", thousands of epochs a second
    draw_points(w.document, seed=1, n=10)
    fixed = report_history().nbytes
    snapshots = emissions(w.controller.progress)
    w.act_train.trigger()
    qtbot.waitUntil(lambda: w.controller.latest is not None and w.controller.latest.epoch > 4000, timeout=60000)
    w.act_train.trigger()  # pause
    qtbot.waitUntil(lambda: w.controller.state == "paused", timeout=10000)
    settle(qtbot, w, 200)
    c, epoch = w.controller, w.controller.latest.epoch
    history = c.history
    assert history.n_rows == epoch and history.last_epoch == epoch  # every report counted...
    bound = history.head + 2 * history.buckets + 2 * history.recent
    assert history.level > 0 and len(history) < bound and history.nbytes == fixed  # ...in fixed memory
    assert w.loss_view.n_epochs == epoch and w.loss_view._history.nbytes == fixed
    x, y = w.loss_view.train_curve.getOriginalDataset()
    assert x[0] == 1 and x[-1] == epoch and len(x) < 2 * bound and np.all(np.diff(x) > 0)
    assert c.recorded.nbytes <= c.recorded.budget * 8 and len(c.recorded) <= c.recorded.limit + 1
    assert c.recorded[0].epoch == snapshots[0][0].epoch and c.recorded[-1].epoch == epoch  # first and newest kept


def test_recorded_weights_stay_within_their_budget_and_keep_first_newest_and_best():
    recorded = ParamHistory(capacity=1000, budget=200_000)
    n_params = 5_000  # a big network: 40 entries fit the budget, not 1000
    best_epoch = 1234
    for epoch in range(5_000):
        loss = 0.1 if epoch == best_epoch else 1.0 + 1.0 / (epoch + 1)
        recorded.append(epoch, np.full(n_params, float(epoch), np.float32), loss)
        assert recorded.nbytes <= (recorded.limit + 1) * n_params * 4
    assert recorded.limit == 40 and len(recorded) <= 41
    epochs = recorded.epochs()
    assert epochs[0] == 0 and epochs[-1] == 4_999 and best_epoch in epochs and np.all(np.diff(epochs) > 0)
    assert recorded.best.epoch == best_epoch and recorded.best.params[0] == best_epoch
    saved = recorded.to_saved(budget=3 * n_params)
    assert best_epoch in saved["epochs"] and saved["epochs"][0] == 0 and saved["epochs"][-1] == 4_999


def _long_session(path, n=1_000_000, spike_epoch=700_000, spike=25.0):
    """A session of ``n`` epochs built quickly by the engine: a falling loss with one spike."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    dataset = Dataset(X, (X[:, 0] > 0).astype(np.int64), (0, 1), ("x", "y"))
    config = TrainConfig(epochs=0, seed=2)
    trainer = Trainer(dataset, config)
    epochs = np.arange(1, n + 1)
    table = np.zeros((n, len(REPORT_COLUMNS)))
    table[:, _column("train_loss")] = table[:, _column("objective")] = 0.7 / np.sqrt(epochs)
    table[:, _column("train_accuracy")] = 0.9
    table[:, [_column("val_loss"), _column("val_accuracy")]] = np.nan  # no test split
    table[spike_epoch - 1, _column("train_loss")] = spike
    history = report_history()
    history.extend(History.from_arrays(REPORT_COLUMNS, epochs, table))
    recorded = ParamHistory()
    for e in np.linspace(0, n, 3000).astype(int):
        recorded.append(int(e), trainer.network.params, None)
    training = {"epoch": n, "stopped_because": "stopped", "best_epoch": None, "recorded": recorded.to_saved()}
    session = session_to_dict(dataset, config, model=trainer.model, history=history, training=training)
    save_session(path, session)
    return session


def test_a_million_epoch_session_is_small_opens_and_plots_its_spike(qtbot, make_window, tmp_path):
    path = tmp_path / "million.logitlab.json"
    _long_session(path)
    assert path.stat().st_size < 5_000_000
    w = make_window()
    w.files.dialogs.paths = [str(path)]
    w.act_open.trigger()  # File → Open…
    assert not w.files.dialogs.errors
    settle(qtbot, w, 100)
    assert w.controller.history.n_rows == 1_000_000 and w.controller.latest.epoch == 1_000_000
    x, y = w.loss_view.train_curve.getOriginalDataset()
    assert 700_000 in x and y[x == 700_000][0] == 25.0  # the one-epoch spike is drawn
    assert w.loss_view.log_x_check.isChecked()  # six decades of epochs: the epoch axis went log
    w.history_scrubber.slider.setValue(0)  # the scrubber moves back through the recorded weights
    assert w.view_state.frame.epoch == 0 and not w.view_state.frame.live


def test_an_older_session_with_its_full_history_still_opens(qtbot, make_window, tmp_path):
    path = tmp_path / "old.logitlab.json"
    session = _long_session(tmp_path / "new.logitlab.json", n=10, spike_epoch=5)
    n = 5_000  # written as before: every epoch, one list per field, no "extremes"
    loss = 1.0 / np.arange(1, n + 1)
    loss[3_210] = 9.0
    session["history"] = {
        "epoch": list(range(1, n + 1)),
        "train_loss": loss.tolist(),
        "train_accuracy": [0.5] * n,
        "objective": loss.tolist(),
        "val_loss": [None] * n,
    }
    session["training"]["epoch"] = n
    del session["training"]["recorded"]
    path.write_text("".join(session_json_chunks(session)))
    assert "extremes" not in json.loads(path.read_text())["history"]
    w = make_window()
    assert w.files.open_path(path), w.files.dialogs.errors
    settle(qtbot, w, 100)
    assert w.controller.history.n_rows == n and w.loss_view.n_epochs == n
    x, y = w.loss_view.train_curve.getOriginalDataset()
    assert len(x) < n and y[x == 3_211][0] == 9.0


def test_the_landscape_path_of_a_long_run_stays_within_its_budget(window):
    view, latest = window.landscape_view, window.controller.latest  # the demo's epoch-0 snapshot
    window.docks["landscape"].hide()  # only the path is measured here, not its drawing
    assert view.mode == "two" and len(view.path) == 1
    for epoch in range(1, 2 * MAX_PATH):
        view.add_snapshot(replace(latest, epoch=epoch))
    assert MAX_PATH // 2 <= len(view.path) <= MAX_PATH and len(view._buf) == MAX_PATH
    assert np.array_equal(view.path[0], view.landscape.point(latest.params))
