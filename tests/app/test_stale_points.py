"""Per-point state never outlives the points it describes (issue 8, defect 1 and its siblings).

The hover card, the designer's selection and the test/misclassified marks all hold point indices or
per-point arrays. The pointer leaving, an erase, an undo or a load must re-check them against the
points there are now: a stale index once raised IndexError in every later redraw (22 error dialogs
in one run, a frozen Metrics panel), and a stale selection deleted points nobody had selected.
"""

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from engine.generators import two_gaussians

from window_helpers import train, wait_run

RIGHT = Qt.MouseButton.RightButton


def boundary_pos(boundary, x, y):
    """Viewport pixel of data point (x, y) in the Decision boundary (where Qt delivers the mouse)."""
    scene = boundary.plot_item.getViewBox().mapViewToScene(QPointF(x, y))
    return boundary.plot_widget.viewportTransform().map(scene).toPoint()


def hover(qtbot, window, i):
    """Put the pointer over point ``i`` of the Decision boundary and wait for its card. The docks
    settle their sizes after the window shows, so the pointer goes where the point is drawn now."""
    boundary = window.boundary_view

    def over_point():
        QTest.mouseMove(boundary.plot_widget.viewport(), boundary_pos(boundary, *window.document.xy[i]))
        return boundary.hover_info is not None and boundary.hover_info.index == i

    qtbot.waitUntil(over_point, timeout=3000)
    assert boundary.hover_label.isVisible()


def card_hidden(window) -> bool:
    boundary = window.boundary_view
    return boundary.hover_info is None and not boundary.hover_label.isVisible()


def hollow(designer) -> np.ndarray:
    """(n,) bool: the designer's points drawn hollow (white fill: the test split)."""
    return np.array([name == "#ffffff" for name in designer.drawn_spots().fill], dtype=bool)


# ------------------------------------------------------------------ the hover card
def test_hover_card_hides_when_the_pointer_leaves_the_plot(qtbot, window):
    hover(qtbot, window, 5)
    designer = window.designer
    # Straight out onto the designer: the boundary's scene sees no further move.
    QTest.mouseMove(designer.plot_widget.viewport(), designer.data_to_widget_pos(0.0, 0.0))
    qtbot.waitUntil(lambda: card_hidden(window), timeout=3000)


def test_erasing_a_hovered_point_keeps_the_window_working(qtbot, make_window):
    """The user's report: hover a point, leave quickly, erase it in the designer, train on."""
    w = make_window(epochs=5)
    doc, designer = w.document, w.designer
    last = doc.n_points - 1
    hover(qtbot, w, last)
    pos = designer.data_to_widget_pos(*doc.xy[last])
    QTest.mouseMove(designer.plot_widget.viewport(), pos)
    qtbot.mouseClick(designer.plot_widget.viewport(), RIGHT, pos=pos)  # right-click erases
    assert doc.n_points == last
    assert card_hidden(w)
    assert w.act_undo.isEnabled() and not doc.in_gesture
    train(qtbot, w)
    qtbot.waitUntil(lambda: "epoch 5" in w.metrics_view.caption_label.text(), timeout=5000)  # Metrics follow
    assert not getattr(w, "last_message", None)  # no error dialog
    w.act_undo.trigger()  # the erase is one undo step
    assert doc.n_points == last + 1


def test_removing_the_point_under_the_pointer_clears_its_card(qtbot, window):
    doc = window.document
    doc.add_points([[0.25, -0.4]], label=1)  # the newest point is the last row
    last = doc.n_points - 1
    hover(qtbot, window, last)
    window.act_undo.trigger()  # Edit ▸ Undo takes it away while the pointer rests on it
    assert doc.n_points == last
    assert card_hidden(window)


def test_a_card_follows_its_point_through_edits_of_other_points(qtbot, window):
    doc = window.document
    hover(qtbot, window, 10)
    x_before = window.boundary_view.hover_info.x.copy()
    doc.move_points([3], [[2.5, 2.5]])  # another point moves: the hovered row still holds the same point
    info = window.boundary_view.hover_info
    assert info is not None and info.index == 10 and np.array_equal(info.x, x_before)
    doc.remove_points([3])  # an earlier row goes: row 10 now holds another point
    assert card_hidden(window)


def test_loading_fewer_points_clears_the_card_of_a_point_that_is_gone(qtbot, make_window):
    w = make_window()
    hover(qtbot, w, w.document.n_points - 1)
    w.dataset_menu.load_generated(two_gaussians(40, seed=3))  # Data ▸ New dataset…, 40 points
    wait_run(qtbot, w)
    assert w.controller.run_info.dataset.n_samples == 40
    assert card_hidden(w)


# ------------------------------------------------------------------ siblings
def test_a_selection_does_not_outlive_the_points_it_selected(qtbot, make_window):
    w = make_window(epochs=2)
    doc, designer = w.document, w.designer
    n = doc.n_points
    designer.select_all_action.trigger()
    assert len(designer.selection()) == n and designer.delete_action.isEnabled()
    w.dataset_menu.load_generated(two_gaussians(n, seed=5))  # as many points, other ones
    assert len(designer.selection()) == 0 and not designer.delete_action.isEnabled()
    designer.delete_action.trigger()
    assert doc.n_points == n  # nothing nobody selected was deleted


def test_test_marks_do_not_survive_an_undo_to_other_points(qtbot, make_window):
    w = make_window(epochs=2)
    doc, designer = w.document, w.designer
    n = doc.n_points
    w.dataset_menu.load_generated(two_gaussians(n, seed=5))
    train(qtbot, w)
    assert hollow(designer).sum() == len(w.controller.run_info.test_idx) > 0
    w.act_undo.trigger()  # back to the earlier points: as many, but not the ones the run split
    assert doc.n_points == n and not hollow(designer).any()


def test_boundary_test_marks_never_land_on_shifted_rows(qtbot, make_window):
    w = make_window(epochs=2)
    train(qtbot, w)
    doc, designer, boundary = w.document, w.designer, w.boundary_view
    info = w.controller.run_info
    n = info.dataset.n_samples
    assert info.test_idx.max() < n - 1  # the run's split would still "fit" one row fewer
    first = designer.data_to_widget_pos(*doc.xy[0])
    qtbot.mouseClick(designer.plot_widget.viewport(), RIGHT, pos=first)  # erase row 0: every row shifts
    assert doc.n_points == n - 1
    doc.move_points([5], [doc.xy[5] + 0.2])  # any edit that keeps the rows
    assert not boundary.test_mask.any()
    np.testing.assert_array_equal(boundary.test_mask, hollow(designer))


def test_rows_kept_tells_drags_and_relabels_from_other_points():
    from lab_app.widgets.rows import rows_kept

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 2)) * 3 + 0.1, np.array([0, 1, 0, 1, 1, 0])
    dragged = X.copy()
    dragged[[1, 4]] += [0.3, -1.7]  # two points dragged together
    assert rows_kept(X, y, dragged, y)
    assert rows_kept(X, y, X, y[::-1])  # a relabel
    assert rows_kept(X, y, X[:, :1], y)  # 2-D → 1-D mode: the same rows, one column shown
    assert not rows_kept(X, y, X[1:], y[1:])  # a point erased
    assert not rows_kept(X, y, np.vstack([X, X[:1]]), np.append(y, 0))  # a point added
    other = X.copy()
    other[1] += [0.3, -1.7]
    other[4] += [0.3, -1.6]  # not one common offset: other points
    assert not rows_kept(X, y, other, y)
    assert not rows_kept(X, y, rng.normal(size=(6, 2)), y)  # a load with as many points and the same labels


def test_test_marks_follow_the_split_of_points_edited_while_training(qtbot, make_window):
    w = make_window(epochs=0, tol=0.0)  # until stopped
    doc, designer, boundary, controller = w.document, w.designer, w.boundary_view, w.controller
    w.act_train.trigger()
    qtbot.waitUntil(lambda: controller.state == "running", timeout=5000)
    before = controller.run_info.test_idx.copy()
    with qtbot.waitSignal(controller.dataResnapshotted, timeout=5000):
        doc.move_points([5], [doc.xy[5] + 0.2])  # the run trains on the edited points, split afresh
    info = controller.run_info
    assert not np.array_equal(info.test_idx, before)
    expected = np.zeros(doc.n_points, dtype=bool)
    expected[info.test_idx] = True
    np.testing.assert_array_equal(boundary.test_mask, expected)
    np.testing.assert_array_equal(hollow(designer), expected)
