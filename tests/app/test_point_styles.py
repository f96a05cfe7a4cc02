"""Both point views draw their points one scatter item per style (class × filled or hollow), each
item with a single pen and brush: a pen and a brush per point cost pyqtgraph ~40 ms of Python per
10,000 points on every restyle, and 15,000 points stalled the window well over 100 ms."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QAction, QColor

from lab_app.widgets.styled_scatter import N_STYLES

from window_helpers import train

N = 15_000


def _load(qtbot, window, X, y):
    window.document.replace_data(X, y, ["A", "B", "C"])
    window.controller.reset()
    return train(qtbot, window)


@pytest.fixture
def many(make_window, qtbot):
    """A window trained a little on N points of three classes, a quarter held out for testing."""
    window = make_window(epochs=1, test_fraction=0.25)
    X = np.random.default_rng(0).normal(size=(N, 2))
    _load(qtbot, window, X, np.digitize(X[:, 0], [-0.5, 0.5]))
    return window


def test_a_restyle_of_15000_points_sets_each_style_whole_with_one_pen_and_brush(many, monkeypatch):
    views = (many.boundary_view, many.designer)
    calls = []
    original = pg.ScatterPlotItem.setData
    monkeypatch.setattr(
        pg.ScatterPlotItem, "setData", lambda item, *a, **k: (calls.append((item, k)), original(item, *a, **k))
    )
    toggle = many.findChild(QAction, "actionShowTestPoints")
    toggle.trigger()  # the test split hidden, then shown again: both views restyle their points
    toggle.trigger()
    assert all(len(view.drawn_spots().x) == N for view in views)
    per_point = [k for _, k in calls if isinstance(k.get("pen"), list) or isinstance(k.get("brush"), list)]
    assert not per_point
    points_items = {id(item) for view in views for item in view.points_item.items}
    assert sum(id(item) in points_items for item, _ in calls) <= 2 * len(views) * N_STYLES
    for view in views:
        for item in view.points_item.items:  # one pen and brush per item, none per point
            assert all(pen is None for pen in item.data["pen"]) and all(b is None for b in item.data["brush"])


def _pixel(image, pos, dx=0) -> np.ndarray:
    c = image.pixelColor(pos.x() + dx, pos.y())
    return np.array([c.red(), c.green(), c.blue()], dtype=float)


def _rgb(color: QColor) -> np.ndarray:
    return np.array([color.red(), color.green(), color.blue()], dtype=float)


@pytest.mark.parametrize("which", ["designer", "boundary"])
def test_test_points_are_drawn_hollow_and_training_points_in_their_class_colour(make_window, qtbot, which):
    window = make_window(epochs=1, test_fraction=0.25)
    g = np.linspace(-1.5, 1.5, 6)
    X = np.array([(a, b) for a in g for b in g])  # 36 points far apart (tens of pixels)
    _load(qtbot, window, X, np.digitize(X[:, 0], [-0.5, 0.5]))
    view = window.designer if which == "designer" else window.boundary_view
    test = np.zeros(len(X), dtype=bool)
    test[window.controller.run_info.test_idx] = True
    assert 0 < test.sum() < len(X)
    spots = view.drawn_spots()
    image = view.plot_widget.viewport().grab().toImage()
    vb = view.plot_item.getViewBox() if which == "boundary" else view.view_box
    colors = [c.qcolor() for c in window.document.classes] if which == "designer" else list(view._qcolors)
    for i in (int(np.flatnonzero(test)[0]), int(np.flatnonzero(~test)[0])):
        label = int(window.document.labels[i])
        pos = view.plot_widget.mapFromScene(vb.mapViewToScene(QPointF(spots.x[i], spots.y[i])))
        centre, edge = _pixel(image, pos), _pixel(image, pos, dx=4)
        if test[i]:  # hollow: white inside a thick outline of the class colour (darker in the boundary view)
            outline = _rgb(colors[label] if which == "designer" else colors[label].darker(125))
            assert np.abs(centre - 255).max() < 8
            assert np.abs(edge - outline).max() < 60
        else:
            assert np.abs(centre - _rgb(colors[label])).max() < 8
