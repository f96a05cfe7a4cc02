"""LossView, BoundaryView and MetricsView through real widgets, fed by real engine runs.

``lab_app.training.RunInfo``/``Snapshot`` records of a finished engine Trainer come from
``lab_app.io.export.run_from_trainer`` / ``snapshot_from_trainer``.
"""

from dataclasses import replace

import numpy as np
import pytest

from engine.generators import blobs, moons, one_d_gaussians, two_gaussians
from engine.losses import cross_entropy
from engine.metrics import accuracy, confusion_matrix
from engine.training import EpochReport, TrainConfig, Trainer
from lab_app.document import LabDocument
from lab_app.io.export import run_from_trainer, snapshot_from_trainer
from lab_app.panels.boundary import STRENGTH, BoundaryView, tint
from lab_app.panels.boundary.grid import equal_scale
from lab_app.panels.loss import LossView
from lab_app.panels.metrics import MetricsView
from lab_app.widgets import palette

from window_helpers import drawn_xy, emissions


# ----------------------------------------------------------------- fixtures
def trained(dataset, **config):
    trainer = Trainer(dataset, TrainConfig(**config))
    trainer.fit()
    return trainer


@pytest.fixture(scope="module")
def moons_mlp():
    return trained(moons(200, noise=0.2), model="mlp", hidden=(16, 16), lr=0.01, epochs=60, test_fraction=0.25, seed=1)


@pytest.fixture(scope="module")
def blobs3():
    return trained(blobs(300, noise=1.0), lr=0.05, epochs=80, test_fraction=0.2)


@pytest.fixture
def boundary(qtbot):
    view = BoundaryView()
    qtbot.addWidget(view)
    view.resize(560, 520)
    return view


@pytest.fixture
def loss_view(qtbot):
    view = LossView()
    qtbot.addWidget(view)
    view.resize(600, 380)
    return view


def fake_reports(start, count, val=True):
    epochs = np.arange(start, start + count)
    return [
        EpochReport(
            epoch=int(e),
            train_loss=1.0 / e,
            train_accuracy=1 - 0.5 / e,
            objective=1.0 / e,
            val_loss=1.2 / e if val else None,
            val_accuracy=1 - 0.6 / e if val else None,
        )
        for e in epochs
    ]


def with_params(snapshot, params):
    return replace(snapshot, params=np.asarray(params, dtype=snapshot.params.dtype))


def linear_x1_snapshot(trainer):
    """Weights of logit = x1 (w = (1, 0), b = 0) for an unstandardized 2-input logistic model."""
    params = np.zeros_like(trainer.network.params)
    net = trainer.model.network.copy()
    net.params[...] = 0
    ((W, b),) = net.layers
    W[0, 0] = 1.0
    params[...] = net.params
    return with_params(snapshot_from_trainer(trainer), params)


# --------------------------------------------------------------------- loss
def test_loss_view_holds_every_appended_epoch(loss_view, moons_mlp):
    loss_view.reset(run_from_trainer(moons_mlp))
    history = moons_mlp.history
    loss_view.append(history[:10])
    loss_view.append(history[10:])
    n = len(history)
    assert loss_view.n_epochs == n
    x, y = loss_view.train_curve.getOriginalDataset()
    assert len(x) == len(y) == n
    np.testing.assert_array_equal(y, [r.train_loss for r in history])
    vx, vy = loss_view.val_curve.getOriginalDataset()
    np.testing.assert_array_equal(vy, [r.val_loss for r in history])
    ax, ay = loss_view.train_acc_curve.getOriginalDataset()
    np.testing.assert_array_equal(ay, [r.train_accuracy for r in history])
    loss_view.append(history[-5:])  # delivered again (progress, then finished)
    assert loss_view.n_epochs == n
    loss_view.reset()
    assert loss_view.n_epochs == 0
    assert loss_view.train_curve.getOriginalDataset() == (None, None)


def test_loss_view_takes_100k_epochs_in_chunks_into_fixed_memory(loss_view, qtbot):
    loss_view.show()
    qtbot.waitExposed(loss_view)
    loss_view.reset()
    held = loss_view._history.nbytes
    total, chunk = 100_000, 2_000
    for start in range(1, total + 1, chunk):
        loss_view.append(fake_reports(start, chunk))
    assert loss_view.n_epochs == total
    assert loss_view._history.nbytes == held  # fixed memory, not a buffer per epoch
    x, y = loss_view.train_curve.getOriginalDataset()
    assert len(x) < 4_000 and x[0] == 1 and x[-1] == total and y[-1] == pytest.approx(1.0 / total)
    assert np.all(np.diff(x) > 0) and y.max() == pytest.approx(1.0)  # the first epoch's loss, the largest
    qtbot.wait(20)
    shown_x, _ = loss_view.train_curve.getData()  # what is drawn: clipped and peak-downsampled
    assert 0 < len(shown_x) <= len(x)
    assert loss_view.data()["val_loss"][-1] == pytest.approx(1.2 / total)


def test_loss_view_without_validation_shows_no_validation_curve(loss_view, qtbot):
    loss_view.reset()
    loss_view.append(fake_reports(1, 50, val=False))
    assert loss_view.val_curve.getOriginalDataset() == (None, None)
    assert not loss_view.val_curve.isVisible()
    labels = [label.text for _, label in loss_view._legends[0].items]
    assert labels == ["training"]


def test_log_y_toggle_changes_the_plot_log_mode(loss_view, qtbot):
    loss_view.show()
    qtbot.waitExposed(loss_view)
    loss_view.append(fake_reports(1, 100))
    check = loss_view.findChild(type(loss_view.log_y_check), "lossLogY")
    assert check is loss_view.log_y_check
    assert loss_view.plot_item.getAxis("left").logMode is False
    check.click()
    assert loss_view.plot_item.getAxis("left").logMode is True
    assert loss_view.train_curve.opts["logMode"] == [False, True]
    _, shown = loss_view.train_curve.getData()
    assert shown[0] == pytest.approx(0.0)  # log10(1/1)
    check.click()
    assert loss_view.plot_item.getAxis("left").logMode is False


def test_best_epoch_marker(loss_view):
    loss_view.append(fake_reports(1, 30))
    loss_view.set_best_epoch(12)
    for line in loss_view._best_lines:
        assert line.isVisible() and line.value() == 12
        assert "12" in line.label.toPlainText()
    loss_view.set_best_epoch(None)
    assert not any(line.isVisible() for line in loss_view._best_lines)


# ----------------------------------------------------------------- boundary
def test_boundary_image_changes_with_params_and_skips_unchanged(boundary, moons_mlp):
    renders = emissions(boundary.imageRendered)
    run, snap = run_from_trainer(moons_mlp), snapshot_from_trainer(moons_mlp)
    boundary.set_run(run)
    count = len(renders)
    assert boundary.show(snap) is None and len(renders) == count  # same weights: no work
    first = boundary.last_image.copy()
    assert first.shape == (200, 200, 4) and first.dtype == np.uint8
    boundary.show(with_params(snap, -snap.params))
    assert len(renders) == count + 1
    second = boundary.last_image
    assert np.abs(first.astype(int) - second.astype(int)).sum(axis=2).mean() > 20
    boundary.show(with_params(snap, -snap.params))
    assert len(renders) == count + 1
    rgba, rect = boundary.overlay_rgba()
    np.testing.assert_array_equal(rgba, second)
    assert rgba is not boundary.last_image and len(rect) == 4


def test_binary_contour_of_logit_x1_is_the_line_x_equals_0(boundary):
    trainer = Trainer(two_gaussians(100), TrainConfig(standardize=False, epochs=1))
    boundary.set_run(run_from_trainer(trainer))
    boundary.show(linear_x1_snapshot(trainer))
    x, y = boundary.contour_item.getOriginalDataset()
    finite = np.isfinite(x)
    assert finite.sum() >= 2
    xlim = boundary.grid_evaluator.xlim
    cell = (xlim[1] - xlim[0]) / (200 - 1)
    assert np.abs(x[finite]).max() <= cell
    ylim = boundary.grid_evaluator.ylim  # the line spans the whole view
    assert y[finite].min() == pytest.approx(ylim[0]) and y[finite].max() == pytest.approx(ylim[1])
    # Left of the line class 0's colour, right of it class 1's, white on it.
    img = boundary.last_image
    c0, c1 = (np.array(palette.rgb(i)) for i in (0, 1))
    xs = boundary.grid_evaluator.xs
    left, right = 0, len(xs) - 1
    p_left = 1 / (1 + np.exp(-xs[left]))
    np.testing.assert_allclose(img[100, left, :3], 255 + STRENGTH * abs(2 * p_left - 1) * (c0 - 255), atol=2)
    assert (
        np.abs(img[100, right, :3].astype(int) - tint(c1, STRENGTH * abs(2 / (1 + np.exp(-xs[right])) - 1))).max() <= 2
    )
    mid = np.argmin(np.abs(xs))
    assert img[100, mid, :3].min() >= 240


def test_hollow_test_points_and_misclassified_marks(boundary, moons_mlp):
    run = run_from_trainer(moons_mlp)
    boundary.set_run(run)
    boundary.show(snapshot_from_trainer(moons_mlp))
    n_test = len(run.test_idx)
    assert n_test > 0
    assert boundary.test_mask.sum() == n_test
    brushes = boundary.drawn_spots().fill
    assert brushes.count("#ffffff") == n_test
    assert len(brushes) == run.dataset.n_samples
    pred = moons_mlp.model.predict(run.dataset.X)
    wrong = pred != run.dataset.y
    assert wrong.any()
    np.testing.assert_array_equal(boundary.misclassified_mask, wrong)
    rx, ry = boundary.miss_item.getData()
    assert len(rx) == wrong.sum()
    np.testing.assert_allclose(np.sort(rx), np.sort(run.dataset.X[wrong, 0]))


def test_multiclass_pixels_take_their_class_colour(boundary, blobs3):
    run = run_from_trainer(blobs3)
    boundary.set_run(run)
    boundary.show(snapshot_from_trainer(blobs3))
    img = boundary.last_image
    ev = boundary.grid_evaluator
    xs, ys = ev.xs, np.linspace(*ev.ylim, 200)
    tints = np.array([tint(palette.rgb(k)) for k in range(3)])
    for k in range(3):
        # deep inside class k: its blob centre (radius 4 on a circle, see engine.generators.blobs), pushed out
        angle = 2 * np.pi * k / 3
        cx, cy = 6 * np.cos(angle), 6 * np.sin(angle)
        col, row = np.argmin(np.abs(xs - cx)), np.argmin(np.abs(ys - cy))
        pixel = img[row, col, :3].astype(float)
        distances = np.abs(tints - pixel).max(axis=1)
        assert np.argmin(distances) == k
        assert distances[k] <= 8, (k, pixel, tints[k])
    x, _ = boundary.contour_item.getOriginalDataset()
    assert np.isfinite(x).sum() > 10  # class boundaries were drawn
    assert boundary.color_bar is None or not boundary.color_bar.isVisible()  # the bar is binary-only


def test_colour_bar_only_for_binary_2d_runs(boundary, moons_mlp, blobs3):
    for trainer, shown in ((moons_mlp, True), (blobs3, False), (moons_mlp, True)):
        boundary.set_run(run_from_trainer(trainer))
        bar = boundary.color_bar
        assert (bar is not None and bar.isVisible()) == shown
    assert boundary.plot_item.layout.itemAt(2, 5) is boundary.color_bar
    labels = [label.text for _, label in boundary.legend.items]
    assert labels == ["0", "1", "test", "misclassified", "P = 0.5"]


def test_one_d_run_draws_the_probability_curve_and_threshold(boundary):
    trainer = trained(one_d_gaussians(120), lr=0.05, epochs=60)
    boundary.set_run(run_from_trainer(trainer))
    boundary.show(snapshot_from_trainer(trainer))
    coef, intercept = trainer.model.coef_intercept()
    assert boundary.threshold == pytest.approx(-intercept[0] / coef[0, 0], rel=1e-5)
    assert boundary.threshold_line.isVisible()
    assert boundary.threshold_line.label.toPlainText() == f"x = {boundary.threshold:.3g}"
    xs, P = boundary.probability_curve()
    np.testing.assert_allclose(P[:, 1], trainer.model.predict_proba(xs[:, None])[:, 1], atol=1e-5)
    cx, cy = boundary.curve_items[0].getOriginalDataset()
    np.testing.assert_allclose(cy, P[:, 1])
    assert boundary.last_image.shape == (1, 200, 4)
    _, py = drawn_xy(boundary)
    assert set(np.round(py, 6)) == {0.0, 1.0}  # points at their class level


def _plane(boundary, doc):
    """The document's ranges widened to the boundary plot's shape (one scale on both axes)."""
    vb = boundary.plot_item.getViewBox()
    return equal_scale(doc.xlim, doc.ylim, (vb.width(), vb.height()))


def test_boundary_follows_the_document_range_and_colours(boundary, qtbot):
    renders = emissions(boundary.imageRendered)
    doc = LabDocument()
    doc.load_dataset(two_gaussians(80))
    trainer = trained(doc.dataset(), epochs=5)
    boundary.set_run(run_from_trainer(trainer), doc)
    ev = boundary.grid_evaluator
    assert (ev.xlim, ev.ylim) == _plane(boundary, doc)
    count = len(renders)
    doc.set_ranges((-10.0, 10.0), (-8.0, 8.0))
    qtbot.waitUntil(lambda: (boundary.grid_evaluator.xlim, boundary.grid_evaluator.ylim) == _plane(boundary, doc))
    xlim, ylim = boundary.grid_evaluator.xlim, boundary.grid_evaluator.ylim
    assert xlim[0] <= -10.0 and xlim[1] >= 10.0 and ylim[0] <= -8.0 and ylim[1] >= 8.0
    assert len(renders) == count + 1
    assert boundary.image_item.mapRectToParent(boundary.image_item.boundingRect()).left() < -10.0
    doc.set_class_color(0, "#CC79A7")
    lut = boundary._lut
    np.testing.assert_allclose(lut[0, :3], tint(palette.rgb("#CC79A7")), atol=1)
    # Another document (a reopened file): the old one no longer drives the view.
    other = LabDocument()
    other.load_dataset(two_gaussians(80))
    boundary.set_run(run_from_trainer(trainer), other)
    qtbot.wait(20)  # the new key may reflow the plot (a resize renders the grid again)
    count = len(renders)
    doc.set_ranges((-1.0, 1.0), (-1.0, 1.0))
    qtbot.wait(20)
    assert len(renders) == count and boundary.grid_evaluator.xlim == _plane(boundary, other)[0]
    boundary.set_run(run_from_trainer(trainer))  # no document at all
    other.set_ranges((-2.0, 2.0), (-2.0, 2.0))
    qtbot.wait(20)
    assert boundary.grid_evaluator.xlim != (-2.0, 2.0)


# ------------------------------------------------------------------ metrics
def test_metrics_match_the_engine_and_wait_while_hidden(qtbot, moons_mlp):
    view = MetricsView()
    computed = emissions(view.computed)
    qtbot.addWidget(view)
    run, snap = run_from_trainer(moons_mlp), snapshot_from_trainer(moons_mlp)
    view.update_metrics(run, snap)
    assert len(computed) == 0  # hidden: nothing computed yet
    view.show()
    qtbot.waitExposed(view)
    assert len(computed) == 1
    ds = run.dataset
    proba = moons_mlp.model.predict_proba(ds.X)
    pred = proba.argmax(1)
    tr, te = run.train_idx, run.test_idx
    assert view.values["train_accuracy"] == pytest.approx(accuracy(ds.y[tr], pred[tr]))
    logits = moons_mlp.model.logits(ds.X)  # the log-loss is computed from logits (issue 8, defect 6)
    assert view.values["test_log_loss"] == pytest.approx(cross_entropy(logits[te], ds.y[te]), rel=1e-5)
    assert view.findChild(type(view.caption_label), "metricsTestAccuracy").text().endswith("%")
    table = view.confusion_table
    cm = np.array([[int(table.item(i, j).text()) for j in range(2)] for i in range(2)])
    np.testing.assert_array_equal(cm, confusion_matrix(ds.y[tr], pred[tr], 2))
    view.split_combo.setCurrentIndex(1)
    cm = np.array([[int(table.item(i, j).text()) for j in range(2)] for i in range(2)])
    assert cm.sum() == len(te)
    assert not view.coef_table.isVisible()  # an MLP has no equation


def test_metrics_show_the_linear_equation_in_original_units(qtbot, blobs3):
    view = MetricsView()
    qtbot.addWidget(view)
    view.show()
    view.update_metrics(run_from_trainer(blobs3), snapshot_from_trainer(blobs3))
    assert view.equation_label.text().splitlines() == blobs3.model.equation(digits=4)
    coef, intercept = blobs3.model.coef_intercept()
    t = view.coef_table
    assert (t.rowCount(), t.columnCount()) == (3, 3)
    assert float(t.item(0, 2).text().replace("\u2212", "-")) == pytest.approx(intercept[2], rel=1e-3)
    assert float(t.item(2, 1).text().replace("\u2212", "-")) == pytest.approx(coef[1, 1], rel=1e-3)
    assert t.horizontalHeaderItem(0).text() == "z[0]"
