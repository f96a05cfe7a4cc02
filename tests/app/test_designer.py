"""DataDesigner through real mouse and key events: every gesture edits the document as one undo step.

Events go to ``plot_widget.viewport()``, the widget Qt delivers mouse events to; positions come from
``data_to_widget_pos`` so a test says "click at data (1.5, -0.5)".
"""

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction

from lab_app.document import LabDocument
from lab_app.panels.designer import DataDesigner
from lab_app.widgets import palette

from window_helpers import drawn_xy

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton


@pytest.fixture
def designer(qtbot):
    doc = LabDocument()
    doc.set_ranges((-3, 3), (-3, 3))
    widget = DataDesigner(doc)
    qtbot.addWidget(widget)
    widget.resize(720, 560)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def viewport(w):
    return w.plot_widget.viewport()


def click(qtbot, w, x, y, button=LEFT):
    qtbot.mouseClick(viewport(w), button, pos=w.data_to_widget_pos(x, y))


def drag(qtbot, w, path, steps=6, button=LEFT):
    """Press at path[0], move through the points of ``path`` in small steps, release at the last."""
    pos = [w.data_to_widget_pos(x, y) for x, y in path]
    qtbot.mousePress(viewport(w), button, pos=pos[0])
    for a, b in zip(pos, pos[1:]):
        for t in np.linspace(0, 1, steps + 1)[1:]:
            qtbot.mouseMove(viewport(w), QPoint(round(a.x() + t * (b.x() - a.x())), round(a.y() + t * (b.y() - a.y()))))
    qtbot.mouseRelease(viewport(w), button, pos=pos[-1])


def press_key(qtbot, w, key, modifier=Qt.KeyboardModifier.NoModifier):
    w.activateWindow()
    w.plot_widget.setFocus()
    qtbot.waitUntil(w.plot_widget.hasFocus)
    qtbot.keyClick(w.plot_widget, key, modifier)


def pixel(w):
    return w.view_box.viewPixelSize()


def test_click_places_a_point_at_the_data_coordinate(qtbot, designer):
    doc = designer.document
    click(qtbot, designer, 1.5, -0.5)
    px, py = pixel(designer)
    assert doc.n_points == 1 and doc.labels.tolist() == [0]
    assert abs(doc.xy[0, 0] - 1.5) <= px and abs(doc.xy[0, 1] + 0.5) <= py
    # The view did not pan or zoom on the click.
    assert designer.view_box.viewRange()[0] == pytest.approx([-3, 3])


def test_undo_redo_restore_counts_and_coordinates(qtbot, designer):
    doc = designer.document
    click(qtbot, designer, -1.0, 1.0)
    click(qtbot, designer, 2.0, 2.0)
    placed = doc.xy
    doc.undo_stack.undo()
    assert doc.n_points == 1 and len(drawn_xy(designer)[0]) == 1
    doc.undo_stack.redo()
    np.testing.assert_array_equal(doc.xy, placed)


def test_number_keys_choose_the_class_of_the_next_point(qtbot, designer):
    doc = designer.document
    doc.add_class()
    press_key(qtbot, designer, Qt.Key.Key_3)
    assert doc.current_class == 2
    assert designer.findChild(type(designer._class_buttons[0]), "designerClassButton2").isChecked()
    click(qtbot, designer, 0.0, 0.0)
    press_key(qtbot, designer, Qt.Key.Key_9)  # no ninth class: nothing changes
    press_key(qtbot, designer, Qt.Key.Key_2)
    click(qtbot, designer, 1.0, 0.0)
    assert doc.labels.tolist() == [2, 1]


def test_dragging_a_point_moves_it_in_one_undo_step(qtbot, designer):
    doc = designer.document
    doc.add_points([[0.0, 0.0], [-2.0, -2.0]])
    steps = doc.undo_stack.count()
    drag(qtbot, designer, [(0.0, 0.0), (0.5, 1.0), (1.0, 1.5)])
    px, py = pixel(designer)
    assert doc.n_points == 2 and doc.undo_stack.count() == steps + 1
    assert abs(doc.xy[0, 0] - 1.0) <= 2 * px and abs(doc.xy[0, 1] - 1.5) <= 2 * py
    np.testing.assert_array_equal(doc.xy[1], [-2, -2])
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.xy, [[0, 0], [-2, -2]])


def test_right_click_erases_the_nearest_point_within_reach(qtbot, designer):
    doc = designer.document
    doc.add_points([[0.0, 0.0], [1.0, 1.0]])
    px, _ = pixel(designer)
    click(qtbot, designer, 1.0 + 3 * px, 1.0, RIGHT)  # three pixels off still hits
    np.testing.assert_array_equal(doc.xy, [[0, 0]])
    click(qtbot, designer, 2.0, -2.0, RIGHT)  # far from everything: nothing happens
    assert doc.n_points == 1


def test_eraser_drag_removes_points_in_one_step(qtbot, designer):
    doc = designer.document
    doc.add_points([[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    designer.set_tool("erase")
    drag(qtbot, designer, [(-1.0, 0.0), (1.0, 0.0)], steps=40)
    np.testing.assert_array_equal(doc.xy, [[0, 2]])
    doc.undo_stack.undo()
    assert doc.n_points == 4


def test_brush_sprays_points_in_one_undo_step(qtbot, designer):
    doc = designer.document
    press_key(qtbot, designer, Qt.Key.Key_B)
    assert designer.tool == "brush"
    designer.spread_spin.setValue(0.2)
    start, end = designer.data_to_widget_pos(-1, 0), designer.data_to_widget_pos(1, 0)
    qtbot.mousePress(viewport(designer), LEFT, pos=start)
    qtbot.wait(120)
    qtbot.mouseMove(viewport(designer), end)
    qtbot.wait(120)
    qtbot.mouseRelease(viewport(designer), LEFT, pos=end)
    assert doc.n_points >= 6 and doc.undo_stack.count() == 1
    assert set(doc.labels.tolist()) == {0}
    assert np.all(np.abs(doc.xy[:, 1]) < 1.5)  # near the stroke, not anywhere
    n = doc.n_points
    qtbot.wait(100)
    assert doc.n_points == n  # the spray stops with the button
    doc.undo_stack.undo()
    assert doc.n_points == 0


def test_switching_tool_or_hiding_mid_stroke_closes_the_gesture(qtbot, designer):
    doc = designer.document
    designer.set_tool("brush")
    qtbot.mousePress(viewport(designer), LEFT, pos=designer.data_to_widget_pos(0, 0))
    press_key(qtbot, designer, Qt.Key.Key_P)  # a tool key mid-stroke does not unbalance the gesture
    designer.hide()
    assert not doc.in_gesture and doc.undo_stack.count() == 1
    doc.add_points([[2.0, 2.0]])  # later edits are steps of their own, not swallowed by the stroke
    assert doc.undo_stack.count() == 2


def test_select_rectangle_then_delete_is_one_step(qtbot, designer):
    doc = designer.document
    doc.add_points([[-2.0, -2.0], [-1.0, -1.0], [1.0, 1.0], [2.0, 2.0]])
    press_key(qtbot, designer, Qt.Key.Key_S)
    drag(qtbot, designer, [(-2.5, -2.5), (0.0, 0.0)])
    assert designer.selection().tolist() == [0, 1]
    steps = doc.undo_stack.count()
    press_key(qtbot, designer, Qt.Key.Key_Delete)
    np.testing.assert_array_equal(doc.xy, [[1, 1], [2, 2]])
    assert doc.undo_stack.count() == steps + 1 and designer.selection().size == 0
    doc.undo_stack.undo()
    assert doc.n_points == 4


def test_select_all_and_relabel_to_current_class(qtbot, designer):
    doc = designer.document
    doc.add_points([[0.0, 0.0], [1.0, 0.0]], 0)
    press_key(qtbot, designer, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert designer.selection().tolist() == [0, 1]
    press_key(qtbot, designer, Qt.Key.Key_2)
    toolbar = designer.findChild(pg.QtWidgets.QToolBar, "designerToolBar")
    qtbot.mouseClick(toolbar.widgetForAction(designer.findChild(QAction, "designerRelabelSelected")), LEFT)
    assert doc.labels.tolist() == [1, 1] and doc.undo_stack.count() == 2


def test_clear_is_undoable_and_redrawn(qtbot, designer):
    doc = designer.document
    doc.load_default_example()
    doc.clear()
    assert len(drawn_xy(designer)[0]) == 0
    doc.undo_stack.undo()
    assert len(drawn_xy(designer)[0]) == 120


def test_minus_button_removes_the_current_class_and_undo_brings_it_back(qtbot, designer):
    doc = designer.document
    qtbot.mouseClick(designer.findChild(pg.QtWidgets.QToolButton, "designerAddClassButton"), LEFT)
    assert doc.n_classes == 3 and doc.current_class == 2
    click(qtbot, designer, 0.0, 0.0)
    click(qtbot, designer, 1.0, 1.0)
    doc.add_points([[-1.0, -1.0]], 0)
    qtbot.mouseClick(designer.findChild(pg.QtWidgets.QToolButton, "designerRemoveClassButton"), LEFT)
    assert doc.class_names == ("A", "B") and doc.n_points == 1
    assert len(designer._class_buttons) == 2
    doc.undo_stack.undo()
    assert doc.class_names == ("A", "B", "C") and doc.labels.tolist() == [2, 2, 0]
    assert designer.findChild(pg.QtWidgets.QToolButton, "designerRemoveClassButton").isEnabled()


def test_1d_mode_ignores_y_and_draws_points_at_class_levels(qtbot, designer):
    doc = designer.document
    doc.set_mode("1d")
    click(qtbot, designer, 1.5, 0.8)
    press_key(qtbot, designer, Qt.Key.Key_2)
    click(qtbot, designer, -0.5, 0.1)
    px, _ = pixel(designer)
    assert abs(doc.X[0, 0] - 1.5) <= px and doc.X.shape == (2, 1)
    assert doc.xy[:, 1].tolist() == [0.0, 0.0]
    assert drawn_xy(designer)[1].tolist() == [0.0, 1.0]  # A at 0, B at 1
    assert designer.view_box.viewRange()[1] == pytest.approx([-0.15, 1.15])
    designer.set_curve(np.linspace(-3, 3, 50), 1 / (1 + np.exp(-np.linspace(-3, 3, 50))))
    designer.set_threshold(0.0)
    assert designer.curve_items[0].isVisible() and designer.threshold_item.isVisible()
    drag(qtbot, designer, [(1.5, 0.0), (2.5, 0.9)])  # a drag moves along x only
    assert abs(doc.X[0, 0] - 2.5) <= 2 * px and doc.xy[0, 1] == 0.0


def test_masks_overlay_and_coordinates(qtbot, designer):
    doc = designer.document
    doc.add_points([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    designer.set_test_mask([False, True, False])
    designer.set_misclassified([True, False, False])
    assert len(designer._rings.getData()[0]) == 1
    with pytest.raises(ValueError):
        designer.set_test_mask([True])
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = 80
    designer.set_overlay(rgba, rect=(-3, -3, 6, 6))
    assert designer.overlay_item.isVisible() and designer.overlay_item.boundingRect().width() == 30
    designer.set_overlay(None)
    assert not designer.overlay_item.isVisible()
    doc.add_points([[0.5, 0.5]])  # the masks described other data: dropped, not misapplied
    assert len(designer._rings.getData()[0]) == 0
    qtbot.mouseMove(viewport(designer), designer.data_to_widget_pos(1.0, -0.5))
    assert designer.coords_label.text().startswith("x = 1.0") and "y = \u22120.5" in designer.coords_label.text()


def test_range_spin_boxes_and_fit_follow_the_document(qtbot, designer):
    doc = designer.document
    designer.findChild(pg.QtWidgets.QDoubleSpinBox, "designerXMax").setValue(5.0)
    assert doc.xlim == (-3.0, 5.0)
    assert designer.view_box.viewRange()[0] == pytest.approx([-3, 5])
    doc.add_points([[10.0, 10.0], [12.0, 14.0]])
    qtbot.mouseClick(designer.findChild(pg.QtWidgets.QToolButton, "designerFitButton"), LEFT)
    assert doc.xlim[0] < 10 < 12 < doc.xlim[1]
    assert designer.findChild(pg.QtWidgets.QDoubleSpinBox, "designerYMin").value() == doc.ylim[0]


def test_repeated_overlay_updates_then_png_export(qtbot, designer, tmp_path):
    """docs/design.md §6: PySide6 6.12.0 aborts here (none_dealloc); this keeps such an upgrade out."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        designer.set_overlay(rng.integers(0, 255, (40, 40, 4), dtype=np.uint8), rect=(-3, -3, 6, 6))
    path = tmp_path / "designer.png"
    pyqtgraph.exporters.ImageExporter(designer.plot_widget.getPlotItem()).export(str(path))
    assert path.stat().st_size > 1000


def test_designer_actions_can_serve_a_main_window_menu(qtbot):
    """The window's Edit menu reuses the designer's actions: a second Ctrl+A action would be ambiguous."""
    doc = LabDocument()
    doc.add_points([[0.0, 0.0], [1.0, 1.0]])
    window = pg.QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    designer = DataDesigner(doc)
    window.setCentralWidget(designer)
    window.menuBar().addMenu("&Edit").addActions([designer.select_all_action, designer.delete_action])
    window.show()
    qtbot.waitExposed(window)
    press_key(qtbot, designer, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert designer.selection().tolist() == [0, 1]
    designer.delete_action.trigger()
    assert doc.n_points == 0
    assert set(designer.tool_actions) == {"place", "brush", "erase", "select"}


def test_softmax_curves_take_one_colour_per_column(qtbot, designer):
    doc = designer.document
    doc.add_class()
    doc.set_mode("1d")
    xs = np.linspace(-3, 3, 30)
    ps = np.full((30, 3), 1 / 3)
    designer.set_curve(xs, ps, colors=doc.colors_for(["C", "B", "A"]))
    shown = [c for c in designer.curve_items if c.isVisible()]
    assert len(shown) == 3
    assert shown[0].opts["pen"].color().name() == palette.outline(doc.classes[2].color).name()
    designer.set_curve(None, None)
    assert not any(c.isVisible() for c in designer.curve_items)
