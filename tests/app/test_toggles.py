"""Playground toggles through the real window: View ▸ Show test points hides exactly the test
split in the designer and the boundary view, View ▸ Discretize output paints hard class regions
that follow the decision threshold, sessions keep both, and the generator dialog's sliders
regenerate the preview with the same seed (the test ratio reaching the run's split)."""

import json

import numpy as np
import pytest
from PySide6.QtGui import QAction

from lab_app.panels.boundary.heatmap import tint

from window_helpers import train


def _drawn(item) -> int:
    """How many spots a view's points (or a ScatterPlotItem: hidden spots are kept, but not visible) show."""
    if hasattr(item, "drawn_spots"):
        return int(np.count_nonzero(item.drawn_spots().shown))
    data = item.data
    return int(np.count_nonzero(data["visible"])) if len(data) else 0


def _colours(image) -> set:
    return {tuple(int(v) for v in c) for c in np.unique(image.reshape(-1, 4), axis=0)}


def _legend(w) -> list:
    return [label.text for _, label in w.boundary_view.legend.items]


def _class_colours(w) -> list:
    rgb = [(c.red(), c.green(), c.blue()) for c in w.boundary_view._qcolors]
    return [(*(int(v) for v in np.rint(tint(c))), 255) for c in rgb]


@pytest.fixture
def trained(qtbot, make_window):
    """A window that trained the default (binary) example with a quarter held out for testing."""
    w = make_window(epochs=6, test_fraction=0.25)
    final = train(qtbot, w)
    qtbot.waitUntil(lambda: np.array_equal(w.boundary_view.shown_params, final.params), timeout=5000)
    return w


def test_the_view_menu_has_both_toggles_with_shortcuts(trained):
    w = trained
    texts = [a.objectName() for a in w.view_menu.actions()]
    for name in ("actionShowTestPoints", "actionDiscretize"):
        action = w.findChild(QAction, name)
        assert name in texts and action.isCheckable() and not action.shortcut().isEmpty()
    assert w.findChild(QAction, "actionShowTestPoints").isChecked()
    assert not w.findChild(QAction, "actionDiscretize").isChecked()


def test_hiding_test_points_hides_exactly_the_test_split_in_both_plots(trained):
    w = trained
    n = w.document.n_points
    test = np.zeros(n, dtype=bool)
    test[w.controller.run_info.test_idx] = True
    n_test = int(test.sum())
    assert 0 < n_test < n
    boundary, designer = w.boundary_view, w.designer
    assert _drawn(boundary) == n and _drawn(designer) == n
    assert "test" in _legend(w)
    w.findChild(QAction, "actionShowTestPoints").trigger()
    assert not w.view_state.show_test_points
    assert "test" not in _legend(w)  # the key does not name points that are not drawn
    assert _drawn(boundary) == n - n_test and _drawn(designer) == n - n_test
    np.testing.assert_array_equal(boundary.drawn_spots().shown, ~test)
    np.testing.assert_array_equal(designer.drawn_spots().shown, ~test)
    np.testing.assert_array_equal(w.boundary_view.visible_points_mask, ~test)
    # No ring is drawn around a hidden point.
    assert _drawn(w.boundary_view.miss_item) == int((w.boundary_view.misclassified_mask & ~test).sum())
    w.findChild(QAction, "actionShowTestPoints").trigger()
    assert _drawn(boundary) == n and _drawn(designer) == n and "test" in _legend(w)


def test_a_hidden_test_point_cannot_be_erased_in_the_designer(qtbot, trained):
    from PySide6.QtCore import Qt

    w = trained
    w.view_state.set_show_test_points(False)
    i = int(w.controller.run_info.test_idx[0])
    x, y = w.designer.display_xy()[i]
    X = w.document.X.copy()
    qtbot.mouseClick(
        w.designer.plot_widget.viewport(), Qt.MouseButton.RightButton, pos=w.designer.data_to_widget_pos(x, y)
    )
    assert np.any(np.all(X[i] == w.document.X, axis=1))  # still there (a visible neighbour may have gone)


def test_hidden_test_points_stay_hidden_for_the_next_run(qtbot, trained):
    w = trained
    w.view_state.set_show_test_points(False)
    w.controller.reset()  # a new run splits afresh: its own test points are the hidden ones
    info = w.controller.run_info
    assert _drawn(w.boundary_view) == w.document.n_points - len(info.test_idx)
    assert _drawn(w.designer) == w.document.n_points - len(info.test_idx)


def test_discretize_paints_only_the_class_colours_and_follows_the_threshold(trained):
    w = trained
    bv = w.boundary_view
    assert w.controller.run_info.model.network.n_classes == 2
    shaded = _colours(bv.last_image)
    assert len(shaded) > 2  # probabilities: many shades
    assert bv.color_bar.isVisible()
    w.findChild(QAction, "actionDiscretize").trigger()
    assert w.view_state.discretize and bv.discretized
    assert not bv.color_bar.isVisible()  # no probability scale over hard regions
    c0, c1 = _class_colours(w)
    assert _colours(bv.last_image) == {c0, c1}
    P1 = bv.grid_evaluator.evaluate(bv.shown_params)[..., 1]
    is_c1 = np.all(bv.last_image == np.array(c1, dtype=np.uint8), axis=-1)
    np.testing.assert_array_equal(is_c1, P1 >= 0.5)
    # The threshold moves the regions: class 1 wherever P(class 1) ≥ t.
    t = float(np.quantile(P1, 0.3))
    assert 0.0 < t < 1.0 and t != 0.5
    w.view_state.set_threshold(t)
    is_c1_t = np.all(bv.last_image == np.array(c1, dtype=np.uint8), axis=-1)
    np.testing.assert_array_equal(is_c1_t, np.greater_equal(P1, t))
    assert is_c1_t.sum() != is_c1.sum()
    # The designer's boundary overlay is the same picture.
    w.act_overlay.setChecked(True)
    np.testing.assert_array_equal(w.designer.overlay_item.image, bv.last_image)
    w.view_state.set_threshold(0.5)
    np.testing.assert_array_equal(w.designer.overlay_item.image, bv.last_image)
    assert _colours(w.designer.overlay_item.image) == {c0, c1}
    # Off again: the probability shading returns.
    w.findChild(QAction, "actionDiscretize").trigger()
    assert len(_colours(bv.last_image)) > 2 and bv.color_bar.isVisible()


def test_discretize_with_three_classes_uses_the_most_probable_class(qtbot, make_window):
    from engine.catalog import GENERATORS

    w = make_window(epochs=4)
    w.dataset_menu.load_generated(GENERATORS["blobs"].make(n=150, seed=1, n_classes=3))
    train(qtbot, w)
    bv = w.boundary_view
    assert w.controller.run_info.model.network.n_classes == 3
    w.view_state.set_discretize(True)
    colours = _class_colours(w)
    P = bv.grid_evaluator.evaluate(bv.shown_params)
    expected = np.array(colours, dtype=np.uint8)[np.argmax(P, axis=-1)]
    np.testing.assert_array_equal(bv.last_image, expected)
    assert _colours(bv.last_image) <= set(colours)


def test_sessions_keep_both_toggles(trained, make_window, tmp_path):
    w = trained
    w.findChild(QAction, "actionShowTestPoints").setChecked(False)
    w.findChild(QAction, "actionDiscretize").setChecked(True)
    path = tmp_path / "toggles.logitlab.json"
    assert w.files.save_to(path)
    view = json.loads(path.read_text())["view"]
    assert view["show_test_points"] is False and view["discretize"] is True
    w2 = make_window(epochs=3)
    assert w2.files.open_path(path)
    assert not w2.view_state.show_test_points and w2.view_state.discretize
    assert not w2.findChild(QAction, "actionShowTestPoints").isChecked()
    assert w2.findChild(QAction, "actionDiscretize").isChecked()
    assert w2.boundary_view.discretized
    n_test = len(w2.controller.run_info.test_idx)
    assert n_test and _drawn(w2.boundary_view) == w2.document.n_points - n_test
    # A session with a toggle that is not true or false is refused.
    doc = json.loads(path.read_text())
    doc["view"]["discretize"] = "yes"
    path.write_text(json.dumps(doc))
    w2.files.dialogs.answers = []
    assert not w2.files.open_path(path)


# ------------------------------------------------------------------ the generator dialog's sliders
@pytest.fixture
def generator(qtbot, make_window):
    """(window, the New dataset dialog on two Gaussians, seed 3) in a window testing on 20 %."""
    w = make_window(epochs=3, test_fraction=0.2)
    w.findChild(QAction, "actionNewDataset").trigger()
    d = w.dataset_menu.dialog
    qtbot.waitExposed(d)
    with qtbot.waitSignal(d.previewUpdated, timeout=3000):
        d.set_generator("two_gaussians")
        d.seed_spin.setValue(3)
    yield w, d
    if w.dataset_menu.dialog is not None:
        w.dataset_menu.dialog.reject()


def _slide(qtbot, dialog, slider, position):
    """Drag ``slider`` through positions up to ``position`` (a burst: one debounced preview)."""
    previews = []
    dialog.previewUpdated.connect(lambda: previews.append(1))
    with qtbot.waitSignal(dialog.previewUpdated, timeout=3000):
        start = slider.value()
        for pos in np.linspace(start, position, 6).round().astype(int)[1:]:
            slider.setValue(int(pos))
    assert slider.value() == position and len(previews) == 1
    return dialog.preview_points()


def _spread(dialog) -> float:
    """Mean distance of the previewed points from their class's centre."""
    X, y = dialog.dataset.X, dialog.dataset.y
    return float(np.mean([np.linalg.norm(X[y == c] - X[y == c].mean(axis=0), axis=1).mean() for c in np.unique(y)]))


def test_each_slider_sits_beside_a_spin_box_that_shows_its_exact_value(qtbot, generator):
    _, d = generator
    for slider, spin in ((d.n_slider, d.n_spin), (d.noise_slider, d.noise_spin), (d.test_slider, d.test_spin)):
        assert slider.parentWidget() is spin.parentWidget() and slider.isVisible() and spin.isVisible()
    assert d.test_spin.value() == pytest.approx(0.2)  # the window's test fraction
    assert d.n_slider.value() == 500  # 200 points, halfway on a log scale from 2 to 20,000
    _slide(qtbot, d, d.n_slider, 650)
    assert len(d.preview_points()) == d.n_spin.value() != 200
    with qtbot.waitSignal(d.previewUpdated, timeout=3000):
        d.noise_spin.setValue(1.25)  # typing moves the slider
    assert d.noise_slider.value() == 250


def test_the_noise_slider_regenerates_with_the_same_seed_and_changes_the_spread(qtbot, generator):
    from engine.catalog import GENERATORS

    _, d = generator
    low = _slide(qtbot, d, d.noise_slider, 60)
    low_spread, noise = _spread(d), d.noise_spin.value()
    spec = GENERATORS["two_gaussians"]
    expected = spec.make(n=d.n_spin.value(), noise=noise, seed=3, **spec.options)
    np.testing.assert_array_equal(d.dataset.X, expected.X)
    _slide(qtbot, d, d.noise_slider, 300)
    assert d.seed_spin.value() == 3 and _spread(d) > 2 * low_spread
    again = _slide(qtbot, d, d.noise_slider, 60)
    assert d.noise_spin.value() == noise
    np.testing.assert_array_equal(again, low)  # same seed, same noise: the same points


def test_the_test_ratio_reaches_the_runs_split(qtbot, generator):
    w, d = generator
    _slide(qtbot, d, d.test_slider, 444)  # 0.3996…: the spin box holds 0.40
    assert d.test_fraction == pytest.approx(0.4)
    held_out = np.flatnonzero(d.test_mask)
    assert len(held_out) == pytest.approx(0.4 * d.dataset.n_samples, abs=2)
    points = d.dataset.X.copy()
    with qtbot.waitSignal(w.controller.runStarted, timeout=3000):
        d.accept()
    assert w.controller.config.test_fraction == pytest.approx(0.4)
    info = w.controller.run_info
    np.testing.assert_array_equal(info.dataset.X, points)
    np.testing.assert_array_equal(np.sort(info.test_idx), held_out)  # the preview's hollow points
    train(qtbot, w)
    np.testing.assert_array_equal(np.sort(w.controller.run_info.test_idx), held_out)
    assert w.boundary_view.test_mask.sum() == len(held_out)
