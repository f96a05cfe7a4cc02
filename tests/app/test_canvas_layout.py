"""The default layout at the smallest and a large window size: the boundary is the biggest dock and
shows all its data, its key and its colour bar; the Trainer needs no scrolling."""

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QScrollArea

from window_helpers import drawn_xy, settle

SIZES = [(1024, 700), (1920, 1080)]


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def sized(request, qtbot, settings):
    from lab_app.window.main_window import MainWindow

    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.resize(*request.param)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.layout_settled, timeout=5000)
    settle(qtbot, w, 100)
    yield w, request.param
    w.controller.shutdown()
    w.landscape_view.shutdown()


def _in_widget(item, widget) -> bool:
    """True if graphics ``item``'s bounding rectangle lies inside ``widget`` (a pyqtgraph PlotWidget)."""
    rect = widget.mapFromScene(item.sceneBoundingRect()).boundingRect()
    return QRectF(widget.rect()).adjusted(-0.5, -0.5, 0.5, 0.5).contains(QRectF(rect))


def _data_inside(view, xy) -> bool:
    (x0, x1), (y0, y1) = view.plot_item.getViewBox().viewRange()
    return bool(np.all((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)))


def test_the_boundary_is_the_biggest_dock_and_shows_all_of_its_data(qtbot, sized):
    w, size = sized
    assert (w.width(), w.height()) == size  # the docks' minimum sizes fit the window
    visible = [d for d in w.docks.values() if d.isVisible() and not d.visibleRegion().isEmpty()]
    areas = {d.objectName(): d.width() * d.height() for d in visible}
    assert max(areas, key=areas.get) == "boundaryDock"
    view = w.boundary_view
    assert view.legend.isVisible() and view.color_bar is not None and view.color_bar.isVisible()
    # The key rewraps, and the plane follows the plot's shape, once the plot's layout has settled.
    qtbot.waitUntil(lambda: _in_widget(view.legend, view.plot_widget) and _in_widget(view.color_bar, view.plot_widget))
    qtbot.waitUntil(lambda: _one_scale(view))
    xs, ys = drawn_xy(view)
    assert len(xs) == w.document.n_points
    assert _data_inside(view, np.column_stack([xs, ys]))


def _one_scale(view) -> bool:
    """One scale on both axes (a circle of data stays a circle), and the heatmap covers the whole
    plot (no white margin beside it)."""
    vb = view.plot_item.getViewBox()
    pw, ph = vb.viewPixelSize()
    (x0, x1), (y0, y1) = vb.viewRange()
    ev = view.grid_evaluator
    return (
        pw == pytest.approx(ph, rel=0.02) and ev.xlim == pytest.approx((x0, x1)) and ev.ylim == pytest.approx((y0, y1))
    )


def test_the_trainer_needs_no_scrolling(sized):
    w, _ = sized
    scroll = w.trainer_panel.findChild(QScrollArea)
    assert scroll.verticalScrollBar().maximum() == 0 and scroll.horizontalScrollBar().maximum() == 0


def test_one_d_mode_fits_its_points_and_key(qtbot, sized):
    w, _ = sized
    w.act_one_d.trigger()
    settle(qtbot, w, 100)
    view = w.boundary_view
    xs, ys = drawn_xy(view)
    assert len(xs) == w.document.n_points and _data_inside(view, np.column_stack([xs, ys]))
    qtbot.waitUntil(lambda: _in_widget(view.legend, view.plot_widget), timeout=2000)  # the key rewraps
