"""Insight tools in the real window: loss landscape, history scrubber, onion skin, hover forensics."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from engine import generators
from engine.forensics import losses_from_logits, point_info
from engine.network import Network
from engine.training import TrainConfig
from lab_app.panels.history import ONION_SKINS
from lab_app.training.config import DEFAULT_CONFIG
from lab_app.training.recorded import ParamHistory

from window_helpers import settle

GLM6_CONFIG = TrainConfig(
    model="logistic",
    features=("x1",),
    standardize=False,
    optimizer="adam",
    lr=0.1,
    batch_size=0,
    epochs=150,
    test_fraction=0.0,
    seed=0,
)


def _use(window, config, dataset=None):
    if dataset is not None:
        window.document.load_dataset(dataset)
    window.controller.set_config(config)
    window.controller.reset()


def _train(qtbot, window, timeout=10000):
    with qtbot.waitSignal(window.controller.finished, timeout=timeout):
        window.controller.train()


def _show_landscape(qtbot, window):
    dock = window.docks["landscape"]
    with qtbot.waitSignal(window.landscape_view.gridReady, timeout=5000):
        dock.raise_()
    assert window.landscape_view.isVisible()


def _viewport_pos(plot_item, plot_widget, x, y):
    scene = plot_item.getViewBox().mapViewToScene(QPointF(x, y))
    return plot_widget.viewportTransform().map(scene).toPoint()


def _stepped(qtbot, window, steps, config=None):
    """``steps`` epochs one Step at a time: one recorded snapshot per epoch."""
    _use(window, config or DEFAULT_CONFIG.with_(epochs=0, tol=0.0))
    for _ in range(steps):
        with qtbot.waitSignal(window.controller.progress, timeout=5000):
            window.controller.step()
        qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=3000)


# ----------------------------------------------------------------- the loss landscape
def test_landscape_dock_is_tabbed_with_loss_and_in_the_view_menu(window):
    dock = window.docks["landscape"]
    assert dock.objectName() == "landscapeDock"
    assert dock in window.tabifiedDockWidgets(window.docks["loss"])
    assert dock.toggleViewAction() in window.view_menu.actions()
    assert window.docks["loss"].widget().isVisible()  # the Loss tab stays in front


def test_glm6_map_live_path_ends_at_the_model_and_compare_optimizers(qtbot, window):
    _use(window, GLM6_CONFIG, generators.glm6())
    view = window.landscape_view
    _show_landscape(qtbot, window)
    assert view.mode == "two" and view.grid.names == ("w", "b")
    assert view.grid.loss.shape[0] >= 41 and np.isfinite(view.grid.loss).all()
    _train(qtbot, window)
    latest = window.controller.latest
    assert latest.epoch == GLM6_CONFIG.epochs
    # Bit for bit: the path stores the float32 weights widened to float64 (exact), in the plane's
    # units; with standardization off those are the model's own (w, b), and coef_intercept's
    # conversion through the identity standardizer (÷1, −0) is exact too.
    path = view.path
    assert np.array_equal(path[-1], latest.params.astype(np.float64))
    model = window.controller.run_info.model.copy()
    model.network.set_params(latest.params)
    (w,), b = model.coef_intercept()
    assert path[-1][0] == w[0] and path[-1][1] == b[0]
    # The first point is the epoch-0 snapshot (the run's initial weights).
    assert len(path) >= 2 and np.array_equal(path[0], window.controller.recorded[0].params)
    # The map covers the path (it is recomputed when the path leaves it).
    qtbot.waitUntil(lambda: not view.busy("grid"), timeout=5000)
    assert view.grid.xs[0] <= path[:, 0].min() and path[:, 0].max() <= view.grid.xs[-1]
    assert view.grid.ys[0] <= path[:, 1].min() and path[:, 1].max() <= view.grid.ys[-1]

    # A click on the map chooses the start.
    (x0, x1), (y0, y1) = view.plot_item.getViewBox().viewRange()
    target = (x0 + 0.3 * (x1 - x0), y0 + 0.7 * (y1 - y0))
    pos = view.data_to_widget_pos(*target)
    QTest.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    px, py = view.plot_item.getViewBox().viewPixelSize()
    assert abs(view.start[0] - target[0]) <= 2 * px and abs(view.start[1] - target[1]) <= 2 * py
    with qtbot.waitSignal(view.pathsReady, timeout=5000):
        view.compare_button.click()
    assert set(view.paths) == {"SGD", "momentum", "Adam"}
    for path in view.paths.values():
        assert path.shape == (view.compare_epochs + 1, 2) and view.compare_epochs == GLM6_CONFIG.epochs
        assert np.array_equal(path[0], view.start)
    assert not np.allclose(view.paths["SGD"][-1], view.paths["Adam"][-1])
    assert len(view.legend.items) == 6  # run, start, grid minimum and the three optimizers


def test_two_weights_map_holds_the_bias_of_the_shown_model(qtbot, window):
    """2-D logistic regression: the map is over (w1, w2), standardized, at the model's bias."""
    _use(window, DEFAULT_CONFIG.with_(epochs=30))
    view = window.landscape_view
    _show_landscape(qtbot, window)
    assert view.mode == "two" and view.grid.names == ("w1", "w2")
    assert "(standardized)" in view.plot_item.getAxis("bottom").labelText
    _train(qtbot, window)
    qtbot.waitUntil(lambda: not view.busy("grid"), timeout=5000)
    params = window.controller.latest.params
    assert np.array_equal(view.path[-1], params[:2].astype(np.float64))
    assert view.landscape.base[-1] == params[-1] and "b = " in view.note.text()
    # The map is the objective at the held bias: its value at the model's point is the model's loss.
    loss = view.landscape.loss(view.path[-1:])[0]
    assert loss == pytest.approx(window.controller.latest.latest.objective, rel=1e-5)


def test_mlp_gets_a_pca_slice_through_the_recorded_path(qtbot, window):
    config = DEFAULT_CONFIG.with_(model="mlp", hidden=(8,), activation="tanh", epochs=0, tol=0.0, lr=0.05)
    _stepped(qtbot, window, 6, config)
    view = window.landscape_view
    window.docks["landscape"].raise_()
    assert view.mode == "pca" and view.slice_button.isVisible() and not view.compare_button.isVisible()
    with qtbot.waitSignal(view.sliceReady, timeout=5000):
        view.slice_button.click()
    history = window.controller.recorded
    assert np.array_equal(view.pca.center, history.stack()[-1])
    assert np.array_equal(history[-1].params, window.controller.latest.params)
    assert np.isfinite(view.grid.loss).all() and view.grid.names == ("PC1", "PC2")
    assert np.allclose(view.pca.coords[-1], 0.0)  # the path ends at the newest weights


# ----------------------------------------------------------------- time travel
def _trained_default(qtbot, window, epochs=40):
    _use(window, DEFAULT_CONFIG.with_(epochs=epochs))
    _train(qtbot, window)


def test_scrubber_goes_back_to_an_earlier_epoch_and_live_returns(qtbot, window):
    _trained_default(qtbot, window)
    scrubber, boundary = window.history_scrubber, window.boundary_view
    live_image = boundary.last_image.copy()
    assert len(scrubber.history) >= 2 and scrubber.live and not scrubber.live_button.isEnabled()
    scrubber.slider.setValue(0)  # the initial weights
    assert not window.view_state.live and scrubber.shown_epoch == 0
    assert np.abs(boundary.last_image.astype(int) - live_image.astype(int)).max() > 10
    assert np.array_equal(boundary.shown_params, scrubber.history[0].params)
    assert "epoch 0" in window.metrics_view.caption_label.text()
    assert "Showing epoch 0" in scrubber.readout.text() and scrubber.live_button.isEnabled()
    scrubber.epoch_spin.setValue(20)  # nearest recorded epoch
    assert scrubber.shown_epoch == scrubber.history[scrubber.history.nearest(20)].epoch
    scrubber.live_button.click()
    assert scrubber.live and window.view_state.live
    assert np.array_equal(boundary.last_image, live_image)
    assert "epoch 40" in window.metrics_view.caption_label.text()


def test_a_recorded_epoch_stays_on_show_while_training_goes_on(qtbot, window):
    _stepped(qtbot, window, 3)
    scrubber, boundary = window.history_scrubber, window.boundary_view
    scrubber.show_index(0)
    pinned = boundary.last_image.copy()
    with qtbot.waitSignal(window.controller.progress, timeout=5000):
        window.controller.step()
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=3000)
    assert window.controller.latest.epoch == 4 and scrubber.history[-1].epoch == 4
    assert np.array_equal(boundary.last_image, pinned) and scrubber.shown_epoch == 0
    assert window.loss_view.shown_epoch == 0
    qtbot.waitUntil(lambda: "epoch 0" in window.metrics_view.caption_label.text(), timeout=3000)
    scrubber.go_live()
    assert np.array_equal(boundary.shown_params, window.controller.latest.params)


def test_onion_skin_draws_faint_earlier_boundaries(qtbot, window):
    _stepped(qtbot, window, 10)
    scrubber, boundary = window.history_scrubber, window.boundary_view
    assert scrubber.history.epochs().tolist() == list(range(11))
    scrubber.onion_check.setChecked(True)
    drawn = [
        it for it in boundary.onion_items if it.isVisible() and it.getData()[0] is not None and len(it.getData()[0])
    ]
    assert len(drawn) == ONION_SKINS
    alphas = [it.opts["pen"].color().alpha() for it in drawn]
    assert alphas == sorted(alphas) and alphas[-1] < 255  # oldest faintest, all faint
    scrubber.slider.setValue(2)  # two earlier entries: two skins
    assert sum(it.isVisible() for it in boundary.onion_items) == 2
    scrubber.onion_check.setChecked(False)
    assert not any(it.isVisible() for it in boundary.onion_items)


# ----------------------------------------------------------------- forensics
def test_hover_shows_logit_probability_loss_and_gradient(qtbot, window):
    _trained_default(qtbot, window)
    settle(qtbot, window)
    boundary = window.boundary_view
    info = window.controller.run_info
    i = 7
    x, y = info.dataset.X[i]

    def pointed_at() -> bool:
        # The pointer goes where the point is drawn now: the plot's key may still wrap to another
        # number of rows after the run (moving the plot), as a user's hand would follow it.
        QTest.mouseMove(boundary.plot_widget.viewport(), _viewport_pos(boundary.plot_item, boundary.plot_widget, x, y))
        return boundary.hover_info is not None

    qtbot.waitUntil(pointed_at, timeout=2000)
    got = boundary.hover_info
    assert got.index == i and boundary.hover_label.isVisible()
    model = info.model.copy()
    model.network.set_params(window.controller.latest.params)
    expected = model.predict_proba(info.dataset.X[i : i + 1])[0]
    np.testing.assert_allclose(got.proba, expected, rtol=1e-6, atol=1e-7)
    assert got.loss == pytest.approx(-np.log(expected[info.dataset.y[i]]), rel=1e-5)
    assert f"{expected[1]:.3f}" in boundary.hover_label.textItem.toHtml()
    # Moving away hides it (after pyqtgraph's mouse-move rate limit).
    (x0, x1), (y0, y1) = window.document.xlim, window.document.ylim
    qtbot.wait(40)
    far = _viewport_pos(boundary.plot_item, boundary.plot_widget, x0 + 0.02 * (x1 - x0), y1 - 0.02 * (y1 - y0))
    QTest.mouseMove(boundary.plot_widget.viewport(), far)
    qtbot.waitUntil(lambda: boundary.hover_info is None, timeout=2000)


def test_size_points_by_loss(qtbot, window):
    _trained_default(qtbot, window)
    boundary, scrubber = window.boundary_view, window.history_scrubber
    scrubber.size_check.setChecked(True)
    sizes = boundary.drawn_spots().size
    loss = boundary.point_losses()
    assert sizes.std() > 0 and sizes[np.argmax(loss)] == sizes.max() and sizes[np.argmin(loss)] == sizes.min()
    scrubber.size_check.setChecked(False)
    assert np.all(boundary.drawn_spots().size == boundary.drawn_spots().size[0])


@pytest.mark.parametrize("hidden, n_classes", [((), 2), ((), 3), ((5,), 2), ((4,), 3)])
def test_point_forensics_against_the_networks_own_gradient(hidden, n_classes):
    from engine.features import FeatureMap, Standardizer
    from engine.model import Model

    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 2))
    fmap = FeatureMap.from_spec("linear", 2)
    std = Standardizer().fit(X)
    net = Network(2, n_classes, hidden, "tanh", dtype="float64")
    net.init(rng)
    model = Model(tuple(range(n_classes)), fmap, std, net)
    params = net.params + rng.normal(scale=0.3, size=net.size)
    for i, label in ((0, 0), (5, n_classes - 1)):
        got = point_info(model, params, X[i], label, i)
        probe = net.copy()
        probe.set_params(params)
        loss, grad = probe.loss_and_grad(std.transform(X[i : i + 1]), np.array([label]))
        assert got.loss == pytest.approx(loss, rel=1e-12)
        assert got.grad_norm == pytest.approx(np.linalg.norm(grad), rel=1e-10)
        assert got.proba.sum() == pytest.approx(1.0) and got.loss == pytest.approx(-np.log(got.proba[label]))
    z = np.array([[800.0], [-3.0]])
    np.testing.assert_allclose(losses_from_logits(z, np.array([0, 1])), [800.0, np.log1p(np.exp(3.0))])


def test_param_history_thins_and_keeps_the_newest():
    h = ParamHistory(capacity=8)
    for epoch in range(100):
        h.append(epoch, np.full(3, float(epoch)))
        assert len(h) <= 8 and h[-1].epoch == epoch and h[0].epoch == 0
    epochs = h.epochs()
    assert np.all(np.diff(epochs) > 0) and len(h) >= 4
    h.append(99, np.zeros(3))  # the same epoch again (a paused snapshot) replaces it
    assert h[-1].epoch == 99 and not h[-1].params.any() and not h[-1].params.flags.writeable
    assert h.nearest(50) == int(np.argmin(np.abs(epochs - 50)))
