"""One canvas: points are placed, erased, dragged, brushed and selected on the decision boundary
view of the real window, with the designer's tools, class and undo stack, also while it trains.

Mouse events go to the boundary plot's viewport at data coordinates mapped by the view itself
(``BoundaryView.data_to_widget_pos``), as in tests/app/test_designer.py.
"""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QToolBar, QToolButton

from window_helpers import drawn_xy, emissions, settle

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton


def viewport(w):
    return w.boundary_view.plot_widget.viewport()


def at(w, x, y) -> QPoint:
    return w.boundary_view.data_to_widget_pos(x, y)


def click(qtbot, w, x, y, button=LEFT):
    qtbot.mouseClick(viewport(w), button, pos=at(w, x, y))


def drag(qtbot, w, path, steps=8):
    pos = [at(w, x, y) for x, y in path]
    qtbot.mousePress(viewport(w), LEFT, pos=pos[0])
    for a, b in zip(pos, pos[1:]):
        for t in np.linspace(0, 1, steps + 1)[1:]:
            qtbot.mouseMove(viewport(w), QPoint(round(a.x() + t * (b.x() - a.x())), round(a.y() + t * (b.y() - a.y()))))
    qtbot.mouseRelease(viewport(w), LEFT, pos=pos[-1])


def choose_tool(qtbot, w, tool):
    """Press the tool's button on the boundary's own tool bar."""
    bar = w.boundary_view.findChild(QToolBar, "boundaryToolBar")
    qtbot.mouseClick(bar.widgetForAction(w.drawing.actions.tools[tool]), LEFT)
    assert w.drawing.tool == tool


def pixel(w):
    return w.boundary_view.view_box.viewPixelSize()


@pytest.fixture
def canvas(qtbot, window):
    """The default window, its boundary (the canvas) in front, with the default two classes drawn."""
    assert window.boundary_view.isVisible() and window.boundary_view.plot_widget.width() > 400
    return window


def test_a_click_on_the_boundary_places_a_point_of_the_current_class(qtbot, canvas):
    w, doc = canvas, canvas.document
    n = doc.n_points
    button = w.boundary_view.findChild(QToolButton, "boundaryClassButton1")
    qtbot.mouseClick(button, LEFT)  # the class row over the boundary picks the document's class
    assert doc.current_class == 1 and w.designer.class_bar.buttons[1].isChecked()
    click(qtbot, w, 2.8, -2.6)
    px, py = pixel(w)
    assert doc.n_points == n + 1 and doc.labels[-1] == 1
    assert abs(doc.xy[-1, 0] - 2.8) <= px and abs(doc.xy[-1, 1] + 2.6) <= py
    settle(qtbot, w)
    xs, ys = drawn_xy(w.boundary_view)
    assert len(xs) == n + 1 and (xs[-1], ys[-1]) == pytest.approx(tuple(doc.xy[-1]))  # drawn at once
    w.act_undo.trigger()
    assert doc.n_points == n


def test_erase_removes_the_nearest_point_and_undo_brings_it_back(qtbot, canvas):
    w, doc = canvas, canvas.document
    before = doc.xy.copy()
    choose_tool(qtbot, w, "erase")
    assert w.designer.tool == "erase" and w.designer.tool_actions["erase"].isChecked()  # one tool for both
    i = int(np.argmax(before[:, 0]))  # the rightmost point: no neighbour within reach
    px, _ = pixel(w)
    click(qtbot, w, before[i, 0] + 3 * px, before[i, 1])
    np.testing.assert_array_equal(doc.xy, np.delete(before, i, axis=0))
    w.act_undo.trigger()
    np.testing.assert_array_equal(doc.xy, before)


def test_drag_moves_a_point_in_one_undo_step(qtbot, canvas):
    w, doc = canvas, canvas.document
    before = doc.xy.copy()
    steps = doc.undo_stack.count()
    i = int(np.argmin(before[:, 1]))  # the lowest point
    start = tuple(before[i])
    end = (start[0] + 0.6, start[1] + 0.4)
    drag(qtbot, w, [start, end])
    px, py = pixel(w)
    assert doc.undo_stack.count() == steps + 1
    assert abs(doc.xy[i, 0] - end[0]) <= 2 * px and abs(doc.xy[i, 1] - end[1]) <= 2 * py
    np.testing.assert_array_equal(np.delete(doc.xy, i, axis=0), np.delete(before, i, axis=0))
    w.act_undo.trigger()
    np.testing.assert_array_equal(doc.xy, before)


def test_the_brush_sprays_several_points_in_one_step(qtbot, canvas):
    w, doc = canvas, canvas.document
    n, steps = doc.n_points, doc.undo_stack.count()
    w.boundary_view.plot_widget.setFocus()
    qtbot.waitUntil(w.boundary_view.plot_widget.hasFocus)
    qtbot.keyClick(w.boundary_view.plot_widget, Qt.Key.Key_B)  # the key works over the boundary too
    assert w.drawing.tool == "brush"
    w.boundary_view.spread_spin.setValue(0.2)
    assert w.designer.spread_spin.value() == 0.2  # one spread for both canvases
    start, end = at(w, 2.0, -2.5), at(w, 3.0, -2.5)
    qtbot.mousePress(viewport(w), LEFT, pos=start)
    qtbot.waitUntil(lambda: doc.n_points >= n + 5)
    qtbot.mouseMove(viewport(w), end)
    qtbot.mouseRelease(viewport(w), LEFT, pos=end)
    added = doc.n_points - n
    assert added >= 5 and doc.undo_stack.count() == steps + 1
    assert np.all(doc.labels[n:] == doc.current_class)
    w.act_undo.trigger()
    assert doc.n_points == n


def test_select_selects_the_rectangle_for_delete_and_undo(qtbot, canvas):
    w, doc = canvas, canvas.document
    before = doc.xy.copy()
    choose_tool(qtbot, w, "select")
    box = (0.0, 0.0, 1.5, 1.5)
    drag(qtbot, w, [(box[0], box[1]), (box[2], box[3])])
    inside = np.flatnonzero(
        (before[:, 0] >= box[0]) & (before[:, 0] <= box[2]) & (before[:, 1] >= box[1]) & (before[:, 1] <= box[3])
    )
    # Points on the band's edge may fall either way by a pixel; the band's inside must be selected.
    px, py = pixel(w)
    core = inside[
        (before[inside, 0] > box[0] + 2 * px)
        & (before[inside, 0] < box[2] - 2 * px)
        & (before[inside, 1] > box[1] + 2 * py)
        & (before[inside, 1] < box[3] - 2 * py)
    ]
    selected = w.drawing.selection()
    assert len(core) >= 3 and set(core) <= set(selected) <= set(inside)
    np.testing.assert_array_equal(w.designer.selection(), selected)  # one selection for both
    w.act_delete.trigger()
    assert doc.n_points == len(before) - len(selected)
    w.act_undo.trigger()
    np.testing.assert_array_equal(doc.xy, before)


def test_drawing_while_training_continues_the_run_on_the_edited_points(qtbot, canvas):
    w, doc, c = canvas, canvas.document, canvas.controller
    c.set_config(c.config.with_(epochs=0, tol=0.0))  # until stopped: the run is still on when we draw
    errors = emissions(c.error)
    w.act_train.trigger()
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.epoch >= 3, timeout=10000)
    run_id = c.run_info.run_id
    n = doc.n_points
    with qtbot.waitSignal(c.dataResnapshotted, timeout=10000):
        click(qtbot, w, 2.9, 2.9)
        choose_tool(qtbot, w, "brush")
        qtbot.mousePress(viewport(w), LEFT, pos=at(w, -2.5, 2.5))
        qtbot.waitUntil(lambda: doc.n_points >= n + 4)
        qtbot.mouseRelease(viewport(w), LEFT, pos=at(w, -2.5, 2.5))
    epoch = c.latest.epoch
    qtbot.waitUntil(lambda: c.latest.epoch > epoch + 2, timeout=10000)
    assert c.state == "running" and c.run_info.run_id == run_id  # the same run goes on
    qtbot.waitUntil(lambda: c.run_info.dataset.n_samples == doc.n_points, timeout=5000)
    assert not errors and getattr(w, "last_message", None) is None
    c.pause()
    qtbot.waitUntil(lambda: c.state == "paused", timeout=5000)
    settle(qtbot, w)
    assert len(drawn_xy(w.boundary_view)[0]) == doc.n_points
    w.act_undo.trigger()  # the brush stroke, then the click
    w.act_undo.trigger()
    assert doc.n_points == n


def test_one_d_mode_draws_on_the_line(qtbot, canvas):
    w, doc = canvas, canvas.document
    w.act_one_d.trigger()
    qtbot.waitUntil(lambda: w.boundary_view.probability_curve() is not None)  # a 1-D run on show
    settle(qtbot, w)
    n = doc.n_points
    doc.set_current_class(1)
    click(qtbot, w, 2.7, 1.0)  # class B's level
    px, _ = pixel(w)
    assert doc.n_points == n + 1 and doc.labels[-1] == 1 and abs(doc.xy[-1, 0] - 2.7) <= px
    w.act_undo.trigger()
    assert doc.n_points == n


def test_after_file_new_points_placed_on_the_boundary_are_drawn_there(qtbot, canvas):
    """File ▸ New leaves no run on show; the boundary is still the canvas: each click's point is
    drawn at once (before, nothing appeared until Train or Reset), in its class colour, and a
    third class drawn while a two-class model is on show appears too."""
    w, doc = canvas, canvas.document
    w.act_new.trigger()
    settle(qtbot, w)
    assert doc.n_points == 0 and w.controller.run_info is None
    click(qtbot, w, -1.0, 0.5)
    doc.set_current_class(1)
    click(qtbot, w, 1.0, -0.5)
    settle(qtbot, w)
    xs, ys = drawn_xy(w.boundary_view)
    np.testing.assert_allclose(sorted(zip(xs, ys)), sorted(map(tuple, doc.xy)))
    w.boundary_view.hover_point(1)  # the hover card names the point's class, no model needed
    assert "class" in w.boundary_view.hover_label.toPlainText()
    w.act_undo.trigger()
    settle(qtbot, w)
    assert len(drawn_xy(w.boundary_view)[0]) == 1


def test_a_point_of_a_new_class_placed_on_the_boundary_is_drawn_at_once(qtbot, canvas):
    """A third class drawn over a two-class model: its point appears (the model cannot show it yet)."""
    w, doc = canvas, canvas.document
    n = doc.n_points
    doc.add_class()
    doc.set_current_class(2)
    click(qtbot, w, 0.5, 2.5)
    settle(qtbot, w)
    assert doc.n_points == n + 1 and doc.labels[-1] == 2
    xs, ys = drawn_xy(w.boundary_view)
    assert len(xs) == n + 1
    assert min(np.hypot(xs - doc.xy[-1, 0], ys - doc.xy[-1, 1])) < 1e-9
    w.boundary_view.hover_point(n)  # its card needs no model
    assert "class" in w.boundary_view.hover_label.toPlainText()
    w.controller.step()  # a run of the three classes judges them all again
    qtbot.waitUntil(lambda: w.controller.latest is not None and w.controller.latest.epoch == 1)
    settle(qtbot, w)
    assert len(drawn_xy(w.boundary_view)[0]) == n + 1
    assert w.boundary_view.hover_point(n) is not None  # PointInfo of the new model
