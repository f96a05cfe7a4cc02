"""The Network dock through the real window: thumbnails are the engine's activations on the
boundary's plane (coarse), edges follow |w|, biases are shown, and 0-hidden-layer and softmax
models work."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QDockWidget

from engine.activations import layer_activations, plane_points
from engine.generators import blobs, moons, one_d_gaussians
from lab_app.panels.network import MAX_DRAWN, MAX_EDGE_WIDTH
from lab_app.training.probes import NETWORK_PROBE, NETWORK_SHAPE

from window_helpers import settle, train, wait_run


def _load(w, dataset):
    w.document.load_dataset(dataset)
    w.controller.reset()  # a new run on the new data


def _open(qtbot, w):
    dock = w.findChild(QDockWidget, "networkDock")
    assert dock is not None and dock in w.tabifiedDockWidgets(w.docks["loss"])
    dock.show()
    dock.raise_()
    settle(qtbot, w)
    return dock


def _engine_values(w, frame):
    view = w.network_view
    # The plane the thumbnails were computed on (the boundary's plane follows its plot's shape).
    xlim, ylim, shape, columns, fixed = view.values.spec
    info = w.controller.run_info
    raw = plane_points(info.model.n_inputs, xlim, ylim, shape, columns, fixed)
    return layer_activations(info.model, frame.params, raw)


def _check_thumbnails(w, frame):
    view = w.network_view
    expected = _engine_values(w, frame)
    H, W = NETWORK_SHAPE
    for layer, acts in enumerate(expected):
        for unit in range(min(acts.shape[1], MAX_DRAWN)):
            np.testing.assert_allclose(view.thumbnail(layer, unit), acts[:, unit].reshape(H, W), rtol=1e-5, atol=1e-6)
        assert len(view.canvas.images[layer]) == min(acts.shape[1], MAX_DRAWN)


def test_thumbnails_are_the_engines_activations_and_edges_follow_the_weights(qtbot, make_window):
    w = make_window(epochs=5, model="mlp", hidden=(16, 16), activation="tanh", lr=0.05, test_fraction=0.0, seed=1)
    _load(w, moons(200, noise=0.15))
    _open(qtbot, w)
    final = train(qtbot, w)
    assert final.extras.get(NETWORK_PROBE) is not None  # computed in the training thread
    qtbot.waitUntil(lambda: w.network_view.params is w.view_state.frame.params)
    frame = w.view_state.frame
    _check_thumbnails(w, frame)
    view = w.network_view
    np.testing.assert_array_equal(view.params, frame.params)
    mats = w.controller.run_info.model.network.unflatten(frame.params)
    weights = [m[:-1] for m in mats]
    biggest = max(np.abs(W).max() for W in weights)
    for W, widths in zip(weights, view.canvas.widths):
        np.testing.assert_allclose(widths, np.abs(W) / biggest * MAX_EDGE_WIDTH, rtol=1e-6)
    assert view.canvas.names == ["inputs", "hidden 1", "hidden 2", "output"]
    assert [len(b) for b in view.canvas.biases] == [16, 16, 1]  # the output's bias too
    # hover a hidden neuron: its map, incoming weights and saturation
    rect = view.canvas.neuron_rect(1, 0)
    qtbot.mouseMove(view.canvas, QPoint(int(rect.center().x()), int(rect.center().y())))
    qtbot.waitUntil(lambda: "hidden 1, neuron 1" in view.detail.text())
    assert "saturated" in view.detail.text() and "incoming weights: input" in view.detail.text()
    assert not view.big.pixmap().isNull()


def test_recorded_frames_are_computed_for_their_epoch(qtbot, make_window):
    w = make_window(epochs=6, model="mlp", hidden=(4,), activation="relu", test_fraction=0.0, seed=2)
    _load(w, moons(120, noise=0.2))
    _open(qtbot, w)
    train(qtbot, w)
    params = w.controller.run_info.model.network.params * 0.5  # any weights: a recorded epoch's
    w.view_state.show_recorded(2, params)
    settle(qtbot, w)
    frame = w.view_state.frame
    assert not frame.live and not frame.extras and frame.epoch == 2
    _check_thumbnails(w, frame)


@pytest.mark.parametrize(
    "config, data, sizes",
    [
        (dict(model="logistic"), moons(100), [2, 1]),
        (dict(model="mlp", hidden=(40,), activation="relu"), blobs(150, n_classes=3), [2, 40, 3]),
    ],
)
def test_zero_hidden_layers_and_softmax(qtbot, make_window, config, data, sizes):
    w = make_window(epochs=3, test_fraction=0.0, **config)
    _load(w, data)
    _open(qtbot, w)
    train(qtbot, w)
    qtbot.waitUntil(lambda: w.network_view.params is w.view_state.frame.params)
    view = w.network_view
    assert view.canvas.sizes == sizes
    _check_thumbnails(w, w.view_state.frame)
    if sizes[-1] > 1:
        assert view.canvas.names[-1] == "softmax" and len(view.canvas.images[-1]) == 3  # one map per class
    if max(sizes) > MAX_DRAWN:
        assert "first 16" in view.note.text()


def test_nothing_is_computed_while_the_dock_is_hidden(qtbot, make_window):
    w = make_window(epochs=3, model="mlp", hidden=(4,), test_fraction=0.0)
    w.docks["loss"].raise_()
    settle(qtbot, w)
    assert not w.network_view.on_show()
    final = train(qtbot, w)
    assert final.extras.get(NETWORK_PROBE) is None and w.network_view.params is None
    _open(qtbot, w)
    qtbot.waitUntil(lambda: w.network_view.params is w.view_state.frame.params)  # caught up when shown
    _check_thumbnails(w, w.view_state.frame)


def test_a_costly_recorded_frame_shows_the_newest_snapshot_with_a_note(qtbot, make_window, monkeypatch):
    import lab_app.panels.network as network

    w = make_window(epochs=4, model="mlp", hidden=(8,), activation="tanh", test_fraction=0.0)
    _load(w, moons(100))
    _open(qtbot, w)
    final = train(qtbot, w)
    newest = final.extras[NETWORK_PROBE]
    monkeypatch.setattr(network, "CHEAP_WORK", 0)  # as if the network were too big to evaluate here
    w.view_state.show_recorded(1, final.params * 0.5)
    qtbot.waitUntil(lambda: "newest training snapshot" in w.network_view.note.text())
    assert w.network_view.values is newest


def test_hovering_an_input_names_its_feature(qtbot, make_window):
    w = make_window(epochs=2, model="mlp", hidden=(3,), test_fraction=0.0)
    _load(w, moons(60))
    _open(qtbot, w)
    train(qtbot, w)
    view = w.network_view
    qtbot.waitUntil(lambda: view.params is w.view_state.frame.params)
    rect = view.canvas.neuron_rect(0, 1)
    qtbot.mouseMove(view.canvas, QPoint(int(rect.center().x()), int(rect.center().y())))
    qtbot.waitUntil(lambda: "standardized input" in view.detail.text())
    assert w.controller.run_info.model.feature_names[1] in view.detail.text()


def test_a_one_d_model_has_strip_thumbnails(qtbot, make_window):
    w = make_window(epochs=3, model="mlp", hidden=(5,), activation="relu", test_fraction=0.0)
    _open(qtbot, w)
    w.dataset_menu.load_generated(one_d_gaussians(80, seed=1))
    wait_run(qtbot, w)
    assert w.controller.run_info.model.n_inputs == 1
    train(qtbot, w)
    view = w.network_view
    qtbot.waitUntil(lambda: view.params is w.view_state.frame.params)
    assert view.canvas.sizes == [1, 5, 1]
    frame = w.view_state.frame
    xlim = view.probe.spec()[0]
    raw = plane_points(1, xlim, None, NETWORK_SHAPE)
    expected = layer_activations(w.controller.run_info.model, frame.params, raw)
    for layer, acts in enumerate(expected):
        np.testing.assert_allclose(view.thumbnail(layer, 0), acts[:, 0][None], rtol=1e-5, atol=1e-6)


def test_clicking_a_neuron_or_an_edge_plots_its_bias_or_weight_over_the_run(qtbot, make_window):
    """The issue asked for it ("click an edge or a neuron to see its value over the history");
    before, a click did nothing. The plotted values are the recorded weights, entry by entry."""
    from PySide6.QtCore import Qt

    w = make_window(epochs=6, model="mlp", hidden=(3,), activation="tanh", lr=0.1, test_fraction=0.0, seed=2)
    _load(w, moons(120, noise=0.15))
    _open(qtbot, w)
    train(qtbot, w)
    view, canvas = w.network_view, w.network_view.canvas
    qtbot.waitUntil(lambda: view.params is w.view_state.frame.params)
    recorded = w.controller.recorded
    net = w.controller.run_info.model.network
    stack = recorded.stack()
    assert len(recorded) >= 2
    # A neuron: hidden 1, unit 2 -> its bias over the recorded epochs.
    r = canvas.neuron_rect(1, 2)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=r.center().toPoint())
    assert view.followed == (1, 2, -1) and view.history_plot.isVisible()
    epochs, values = view._history_curve.getData()
    bias_index = net.offsets[0] + (net.shapes[0][0] - 1) * net.shapes[0][1] + 2
    np.testing.assert_array_equal(epochs, recorded.epochs())
    np.testing.assert_array_equal(values, stack[:, bias_index])
    # An edge: from hidden 1 unit 0 into the output, clicked at its middle.
    a, b = canvas.neuron_rect(1, 0), canvas.neuron_rect(2, 0)
    middle = (QPoint(round(a.right()), round(a.center().y())) + QPoint(round(b.left()), round(b.center().y()))) / 2
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=middle)
    assert view.followed == (2, 0, 0)
    _, values = view._history_curve.getData()
    np.testing.assert_array_equal(values, stack[:, net.offsets[1] + 0 * net.shapes[1][1] + 0])
    assert "weight h1.1" in view._history_item.titleLabel.text
