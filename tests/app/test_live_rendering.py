"""Live rendering while training: the work the training thread does for the views (probes), the
snapshots a long epoch sends before it ends, and the views' live-update throttles.

The speed itself is measured by benchmarks/gui_bench.py; these tests pin the behaviour the speed-ups
rely on, so the pictures stay exact: probe results equal the views' own evaluation, and a result
that does not fit (another grid, other data) is never used.
"""

import time
from dataclasses import replace

import numpy as np
import pytest

from engine.generators import moons
from engine.model import GridEvaluator, PointEvaluator
from engine.training import TrainConfig, Trainer
from lab_app.io.export import run_from_trainer, snapshot_from_trainer
from lab_app.panels.boundary import BoundaryView
from lab_app.panels.loss import LIVE_REDRAWS, LossView
from lab_app.panels.metrics import LIVE_RATE, MetricsView
from lab_app.training.controller import TrainingController
from lab_app.training.probes import GRID_PROBE, POINTS_PROBE, GridProbabilities, GridProbe, PointPredictions, PointProbe

from window_helpers import emissions

TIMEOUT = 10_000


@pytest.fixture(scope="module")
def trainer():
    t = Trainer(
        moons(300, noise=0.2), TrainConfig(model="mlp", hidden=(16, 16), lr=0.01, epochs=5, test_fraction=0.2, seed=2)
    )
    t.fit()
    return t


@pytest.fixture
def boundary(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    view.resize(500, 460)
    return view


def probed_snapshot(trainer, view):
    """The trainer's snapshot with the extras the worker would attach."""
    extras = {GRID_PROBE: view.grid_probe(trainer), POINTS_PROBE: PointProbe()(trainer)}
    return replace(snapshot_from_trainer(trainer), extras=extras)


# ------------------------------------------------------------------ engine
def test_a_deadline_pauses_mid_epoch_without_changing_the_numbers():
    config = TrainConfig(hidden=(8,), epochs=2, batch_size=16, seed=3)
    straight = Trainer(moons(120, noise=0.3), config)
    straight.fit()
    sliced = Trainer(moons(120, noise=0.3), config)
    pauses = 0
    while sliced.epoch < 2:
        if sliced.run_epoch(deadline=time.perf_counter() - 1.0) is None:  # already due: one minibatch
            assert sliced.stopped_because == "stopped" and sliced.mid_epoch
            pauses += 1
    assert pauses == 2 * (-(-straight.n_train // 16) - 1)  # every minibatch but an epoch's last
    assert sliced.network.params.tobytes() == straight.network.params.tobytes()


def test_point_and_grid_evaluators_give_the_models_probabilities(trainer, monkeypatch):
    X = trainer.dataset.X
    np.testing.assert_allclose(PointEvaluator(trainer.model, X).evaluate(), trainer.model.predict_proba(X), atol=1e-6)
    monkeypatch.setattr(PointEvaluator, "CHUNK", 1000)
    ev = GridEvaluator(trainer.model, (-2, 3), (-1.5, 2), shape=(90, 70))  # 7 chunks of 900 rows
    gx, gy = np.meshgrid(ev.xs, np.linspace(-1.5, 2, 90))
    want = trainer.model.predict_proba(np.column_stack([gx.ravel(), gy.ravel()])).reshape(90, 70, 2)
    np.testing.assert_allclose(ev.evaluate(), want, atol=1e-6)


# ------------------------------------------------------------------ probes and the boundary view
def test_the_boundary_view_draws_the_probed_grid_and_points_exactly(qtbot, boundary, trainer):
    own = BoundaryView()
    qtbot.addWidget(own)
    own.resize(boundary.size())
    for view in (boundary, own):
        view.show()
        qtbot.waitExposed(view)
        view.set_run(run_from_trainer(trainer))
    # The plane on show follows the plot's shape: the same for both once laid out.
    plane = lambda view: (view.grid_evaluator.xlim, view.grid_evaluator.ylim)
    qtbot.waitUntil(lambda: plane(own) == plane(boundary))
    params = snapshot_from_trainer(trainer).params
    boundary.show_snapshot(replace(snapshot_from_trainer(trainer), params=-params))  # something else first
    own.show_snapshot(replace(snapshot_from_trainer(trainer), params=-params))
    own.show_snapshot(snapshot_from_trainer(trainer))  # evaluated by the view
    snap = probed_snapshot(trainer, boundary)
    assert isinstance(snap.extras[GRID_PROBE], GridProbabilities)
    assert isinstance(snap.extras[POINTS_PROBE], PointPredictions)
    boundary.show_snapshot(snap)
    np.testing.assert_array_equal(boundary.last_image, own.last_image)
    np.testing.assert_array_equal(boundary.misclassified_mask, own.misclassified_mask)


def test_the_boundary_view_uses_a_probed_grid_only_when_it_fits(boundary, trainer):
    boundary.set_run(run_from_trainer(trainer))
    snap = probed_snapshot(trainer, boundary)
    grid = snap.extras[GRID_PROBE]
    white = np.full_like(grid.P, 0.5)  # P = 0.5 everywhere: a white image
    fitting = replace(snap, params=-snap.params, extras={GRID_PROBE: GridProbabilities(grid.spec, white)})
    boundary.show_snapshot(fitting)
    assert boundary.last_image[..., :3].min() >= 250  # the probed grid was drawn
    xlim, *rest = grid.spec
    other = GridProbabilities(((xlim[0] - 1, xlim[1]), *rest), white)  # another grid
    boundary.show_snapshot(replace(snap, extras={GRID_PROBE: other}))
    assert boundary.last_image[..., :3].min() < 200  # evaluated by the view instead


def test_probes_follow_the_trainer_the_grid_and_the_data(trainer):
    probe = GridProbe()
    assert probe(trainer) is None  # no grid published yet
    probe.spec = ((-2.0, 3.0), (-1.5, 2.0), (40, 50))
    first = probe(trainer)
    assert first.P.shape == (40, 50, 2) and first.spec == probe.spec
    np.testing.assert_allclose(first.P, GridEvaluator(trainer.model, (-2, 3), (-1.5, 2), (40, 50)).evaluate())
    probe.spec = ((-1.0, 1.0), (-1.0, 1.0), (20, 30))
    assert probe(trainer).P.shape == (20, 30, 2)
    points = PointProbe()(trainer)
    assert points.dataset is trainer.dataset
    np.testing.assert_allclose(points.proba, trainer.model.predict_proba(trainer.dataset.X), atol=1e-6)


# ------------------------------------------------------------------ the controller
def test_a_long_epoch_sends_running_snapshots_before_it_ends(qtbot):
    from lab_app.document import LabDocument

    rng = np.random.default_rng(0)
    doc = LabDocument()
    while doc.n_classes < 2:
        doc.add_class()
    doc.add_points(rng.normal(-1, 1, (3000, 2)), label=0)
    doc.add_points(rng.normal(1, 1, (3000, 2)), label=1)
    controller = TrainingController(doc)
    try:
        controller.set_config(TrainConfig(model="mlp", hidden=(32, 32), batch_size=1, epochs=0))
        controller.add_probe(POINTS_PROBE, PointProbe())
        seen = []
        controller.progress.connect(lambda s: seen.append(s) if s.state == "running" else None)
        controller.train()
        qtbot.waitUntil(lambda: len(seen) >= 3, timeout=TIMEOUT)
        controller.pause()
        qtbot.waitUntil(lambda: controller.state == "paused", timeout=TIMEOUT)
    finally:
        controller.shutdown()
    first_epoch = [s for s in seen if s.epoch == 0]  # 6,000 single-point steps take seconds
    assert len(first_epoch) >= 2
    assert not np.array_equal(first_epoch[0].params, first_epoch[1].params)
    assert all(s.extras[POINTS_PROBE].proba.shape == (6000, 2) for s in seen)


# ------------------------------------------------------------------ live throttles
def test_live_metrics_are_computed_at_most_live_rate_times_a_second(qtbot, trainer):
    view = MetricsView()
    computed = emissions(view.computed)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    run, snap = run_from_trainer(trainer), snapshot_from_trainer(trainer)
    view.update_metrics(run, snap, throttle=True)
    assert len(computed) == 1  # the first one at once
    later = replace(snap, epoch=snap.epoch + 1)
    view.update_metrics(run, later, throttle=True)
    view.update_metrics(run, later, throttle=True)
    assert len(computed) == 1  # kept, not computed yet
    qtbot.waitUntil(lambda: len(computed) == 2, timeout=int(3000 / LIVE_RATE))
    assert f"epoch {later.epoch}" in view.caption_label.text()
    view.update_metrics(run, snap)  # unthrottled: now
    assert len(computed) == 3 and f"epoch {snap.epoch}" in view.caption_label.text()
    proba = trainer.model.predict_proba(run.dataset.X)
    tr = run.train_idx
    assert view.values["train_accuracy"] == pytest.approx(np.mean(proba[tr].argmax(1) == run.dataset.y[tr]))


def test_metrics_take_the_probed_point_probabilities_of_their_data(qtbot, trainer):
    view = MetricsView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    run = run_from_trainer(trainer)
    n = run.dataset.n_samples
    sure = np.zeros((n, 2), dtype=np.float32)
    sure[np.arange(n), run.dataset.y] = 1.0  # every point right
    sure_logits = np.where(run.dataset.y == 1, 20.0, -20.0).astype(np.float32)[:, None]  # the loss comes from these
    probed = PointPredictions(run.dataset, sure, sure_logits)
    snap = replace(snapshot_from_trainer(trainer), extras={POINTS_PROBE: probed})
    view.update_metrics(run, snap)
    assert view.values["train_accuracy"] == 1.0
    assert view.values["train_log_loss"] == pytest.approx(np.log1p(np.exp(-20.0)))
    other = PointPredictions(moons(n, noise=0.2), sure, sure_logits)  # other data: not used
    view.update_metrics(run, replace(snap, extras={POINTS_PROBE: other}))
    assert view.values["train_accuracy"] < 1.0


def test_live_loss_redraws_are_throttled_but_hold_every_epoch(qtbot, trainer):
    view = LossView()
    qtbot.addWidget(view)
    history = trainer.history
    view.append(history[:2], throttle=True)  # the first redraw at once
    assert len(view.train_curve.getOriginalDataset()[0]) == 2
    view.append(history[2:4], throttle=True)
    assert view.n_epochs == 4 and len(view.data()["epoch"]) == 4
    assert len(view.train_curve.getOriginalDataset()[0]) == 2  # drawn later
    qtbot.waitUntil(lambda: len(view.train_curve.getOriginalDataset()[0]) == 4, timeout=int(3000 / LIVE_REDRAWS))
    view.append(history[4:])  # unthrottled: now
    assert len(view.train_curve.getOriginalDataset()[0]) == len(history)
