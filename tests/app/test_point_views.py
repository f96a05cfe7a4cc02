"""Point views of big data in the real window (issue 9): a bounded number of drawn points, the
misclassified and selected ones always among them, and picks, hovers and erases on the real
nearest point, drawn or not. 200,000 points go into the document directly."""

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from lab_app.widgets.point_sample import POINT_BUDGET, SAMPLE_SIZE

from window_helpers import drawn_xy, emissions, train, wait_run

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
N_BIG = 200_000
N_FLIPPED = 300
LONELY, HOLE = 123_457, (1.5, -1.5)


def _load(window, n, seed=0):
    """``n`` points of two classes split by x1 = 0, ``N_FLIPPED`` of them (of big data) labelled
    across it and row ``LONELY`` alone in a hole at ``HOLE``; the run is reset on them, as an import does."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    if n > POINT_BUDGET:
        d = X - HOLE
        r = np.hypot(d[:, 0], d[:, 1])[:, None]
        X = np.where(r < 0.4, HOLE + d / np.maximum(r, 1e-9) * 0.4, X)  # nothing within 0.4 (~8 px)
        X[LONELY] = HOLE
    y = (X[:, 0] > 0).astype(np.int64)
    if n > POINT_BUDGET:
        flipped = rng.choice(np.delete(np.arange(n), LONELY), N_FLIPPED, replace=False)
        y[flipped] = 1 - y[flipped]
    window.document.replace_data(X, y, ["A", "B"])
    window.controller.reset()
    return X, y


def _lonely(window) -> int:
    """Row ``LONELY``, checked to be drawn by neither view."""
    for view in (window.boundary_view, window.designer):
        assert LONELY not in view.drawn_rows
    return LONELY


def _viewport_pos(plot_item, plot_widget, x, y):
    scene = plot_item.getViewBox().mapViewToScene(QPointF(x, y))
    return plot_widget.viewportTransform().map(scene).toPoint()


@pytest.fixture
def big(make_window, qtbot):
    """A window with N_BIG points trained a little (few misclassified), its views settled."""
    window = make_window(epochs=2)
    _load(window, N_BIG)
    train(qtbot, window)
    return window


def test_big_data_draw_a_bounded_sample_keeping_misclassified_and_selected(big, qtbot):
    boundary, designer = big.boundary_view, big.designer
    for view in (boundary, designer):
        assert len(view.drawn_spots().x) == len(view.drawn_rows) <= POINT_BUDGET
    miss = np.flatnonzero(boundary.misclassified_mask)
    assert N_FLIPPED <= len(miss) <= SAMPLE_SIZE // 2
    # Every misclassified point is ringed where it lies, drawn or not.
    ringed = np.column_stack([boundary.miss_item.data["x"], boundary.miss_item.data["y"]])
    np.testing.assert_array_equal(ringed, big.document.X[miss])
    # Selected points are drawn, and haloed.
    selected = np.random.default_rng(1).choice(N_BIG, 500, replace=False)
    designer.set_selection(selected)
    assert np.isin(selected, designer.drawn_rows).all() and len(designer.drawn_rows) <= POINT_BUDGET
    # Misclassified marks given to the designer are drawn too.
    designer.set_misclassified(boundary.misclassified_mask)
    assert np.isin(miss, designer.drawn_rows).all() and len(designer.drawn_rows) <= POINT_BUDGET


def test_big_data_new_run_rings_misclassified_points_from_a_background_pass(make_window, qtbot):
    window = make_window()
    X, y = _load(window, N_BIG)
    wait_run(qtbot, window)  # the new run is built in the training thread
    boundary = window.boundary_view
    # The untrained model's verdict comes back from a task, not from the GUI thread.
    qtbot.waitUntil(lambda: boundary.misclassified_mask.any(), timeout=20000)
    info = window.controller.run_info
    model = info.model.copy()
    pred = np.argmax(model.predict_proba(X), axis=1)
    np.testing.assert_array_equal(boundary.misclassified_mask, pred != info.dataset.y)
    assert len(boundary.miss_item.data) == SAMPLE_SIZE


def test_click_selects_and_right_click_erases_the_real_nearest_point(big, qtbot):
    designer, doc = big.designer, big.document
    i = _lonely(big)
    x, y = doc.xy[i]
    viewport = designer.plot_widget.viewport()
    designer.set_tool("select")
    qtbot.mouseClick(viewport, LEFT, pos=designer.data_to_widget_pos(x, y))
    assert designer.selection().tolist() == [i]
    designer.clear_selection()
    before = doc.X
    qtbot.mouseClick(viewport, RIGHT, pos=designer.data_to_widget_pos(x, y))
    assert doc.n_points == N_BIG - 1
    np.testing.assert_array_equal(doc.X, np.delete(before, i, axis=0))
    doc.undo_stack.undo()
    np.testing.assert_array_equal(doc.X, before)


def test_hover_card_shows_the_real_nearest_point(big, qtbot):
    boundary = big.boundary_view
    boundary.set_hover_enabled(True)
    i = _lonely(big)
    x, y = big.controller.run_info.dataset.X[i]
    QTest.mouseMove(boundary.plot_widget.viewport(), _viewport_pos(boundary.plot_item, boundary.plot_widget, x, y))
    qtbot.waitUntil(lambda: boundary.hover_info is not None, timeout=3000)
    assert boundary.hover_info.index == i
    np.testing.assert_array_equal(boundary.hover_info.x, [x, y])


def test_size_by_loss_sizes_the_drawn_points_of_big_data(big, qtbot):
    boundary = big.boundary_view
    big.history_scrubber.size_check.setChecked(True)
    sizes = boundary.drawn_spots().size
    loss = boundary.point_losses()[boundary.drawn_rows]
    assert len(sizes) == len(loss) and sizes[np.argmax(loss)] == sizes.max()


@pytest.mark.parametrize("dock", ["metrics", "evaluation"])
def test_big_data_panels_evaluate_a_frame_without_probe_in_the_background(big, qtbot, dock):
    """A frame the training thread did not probe (a recorded epoch) is evaluated off the GUI thread."""
    view = {"metrics": big.metrics_view, "evaluation": big.evaluation_view}[dock]
    big.docks[dock].show()
    big.docks[dock].raise_()
    qtbot.waitUntil(view.isVisible)
    info, frame = big.controller.run_info, replace(big.controller.latest, extras={})
    computed = emissions(view.computed)
    if dock == "metrics":
        view.update_metrics(info, frame, big.document)
    else:
        view.update_frame(info, frame, big.document)
    assert computed == []  # nothing evaluated over 200,000 points in this call
    qtbot.waitUntil(lambda: len(computed) > 0, timeout=20000)
    model = info.model.copy()
    model.network.set_params(frame.params)
    test = np.asarray(info.test_idx)
    accuracy = np.mean(np.argmax(model.predict_proba(info.dataset.X[test]), axis=1) == info.dataset.y[test])
    if dock == "metrics":
        assert view.values["test_accuracy"] == pytest.approx(accuracy)
    else:
        confusion = view.reports["test"].confusion
        assert np.trace(confusion) / confusion.sum() == pytest.approx(accuracy)


def test_small_data_draw_every_point(make_window, qtbot):
    window = make_window(epochs=2)
    X, _y = _load(window, 500)
    train(qtbot, window)
    boundary, designer = window.boundary_view, window.designer
    for view in (boundary, designer):
        np.testing.assert_array_equal(view.drawn_rows, np.arange(500))
        xy = np.column_stack(drawn_xy(view))
        np.testing.assert_array_equal(xy, X)
    miss = np.flatnonzero(boundary.misclassified_mask)
    np.testing.assert_array_equal(boundary.miss_item.data["x"], X[miss, 0])


def test_a_click_on_big_data_adds_its_point_without_copying_the_others(big, qtbot):
    """Adding a point to 200,000 wrote the new row only: the document's arrays before and after
    the click share their memory, and what a caller kept before reads the same as before."""
    doc, designer = big.document, big.designer
    before_xy, before_labels = doc.xy, doc.labels
    kept_xy, kept_labels = before_xy.copy(), before_labels.copy()
    pos = designer.data_to_widget_pos(0.25, -0.5)
    qtbot.mouseClick(designer.plot_widget.viewport(), LEFT, pos=pos)
    assert doc.n_points == N_BIG + 1
    assert np.allclose(doc.xy[-1], (0.25, -0.5), atol=0.1)
    assert np.shares_memory(doc.xy, before_xy) and np.shares_memory(doc.labels, before_labels)
    assert np.array_equal(before_xy, kept_xy) and np.array_equal(before_labels, kept_labels)
    assert not doc.xy.flags.writeable and not doc.labels.flags.writeable
    doc.undo_stack.undo()  # and back: a shorter view, the kept arrays untouched
    assert doc.n_points == N_BIG and np.array_equal(doc.xy, kept_xy)
    qtbot.mouseClick(designer.plot_widget.viewport(), LEFT, pos=designer.data_to_widget_pos(-0.5, 0.5))
    assert doc.n_points == N_BIG + 1 and np.allclose(doc.xy[-1], (-0.5, 0.5), atol=0.1)
    assert np.array_equal(before_xy, kept_xy)  # the undone row's place was not written over


def test_big_data_changes_draw_the_canvas_once(big, qtbot, monkeypatch):
    """A click: the new point's rows changed the (empty) selection's length, and that alone is no
    second redraw of the canvas's sample (each costs tens of ms on the GUI thread); new data: the
    points, the test split and the rings each ask, and the canvas draws once."""
    designer = big.designer
    draws = []
    original = designer.points_item.set
    monkeypatch.setattr(designer.points_item, "set", lambda *a, **k: (draws.append(1), original(*a, **k)))
    qtbot.mouseClick(designer.plot_widget.viewport(), LEFT, pos=designer.data_to_widget_pos(0.25, -0.5))
    assert big.document.n_points == N_BIG + 1
    qtbot.waitUntil(lambda: len(draws) > 0)
    designer.drawn_rows  # noqa: B018 (reading them draws what is still pending)
    assert len(draws) == 1
    # New data with their run's marks forgotten (as Import and Open do): three asks, one redraw.
    draws.clear()
    _load(big, N_BIG, seed=1)
    big.files.forget_run_marks()
    qtbot.waitUntil(lambda: len(draws) > 0)
    designer.drawn_rows  # noqa: B018 (reading them draws what is still pending)
    assert len(draws) == 1


def test_a_new_run_on_big_data_places_its_points_by_views_not_copies(big):
    """Where the boundary view draws each of 200,000 points is a view of the run's inputs: a new
    run builds no (n, 2) array on the GUI thread."""
    layer = big.boundary_view._layer
    assert len(layer.xy) == N_BIG and np.shares_memory(layer.xy, layer.X)
    assert np.array_equal(layer.xy, big.controller.run_info.dataset.X[:, :2])


def test_an_edit_of_big_data_is_drawn_from_the_documents_own_rows(big, qtbot):
    """The boundary view draws an edit of 200,000 points from a Dataset that shares the
    document's rows: nothing the size of the data is copied on the GUI thread for it."""
    doc, layer = big.document, big.boundary_view._layer
    qtbot.mouseClick(big.designer.plot_widget.viewport(), LEFT, pos=big.designer.data_to_widget_pos(0.25, -0.5))
    qtbot.waitUntil(lambda: len(layer.y) == N_BIG + 1, timeout=10000)
    assert np.shares_memory(layer.X, doc.X) and np.array_equal(layer.X, doc.X)
    assert doc.dataset() is layer.dataset  # one Dataset for the document's state, shared by its views


def test_big_data_are_judged_off_the_gui_thread(big, qtbot, monkeypatch):
    """A new run's first snapshot and a new threshold: which of 200,000 points are misclassified
    is worked out in a background thread (predictions and comparison are O(n) too), then ringed."""
    import threading

    import lab_app.panels.boundary.points as points

    judged = []
    for name in ("predictions", "threshold_predictions"):
        original = getattr(points, name)

        def recording(*args, _original=original, **kwargs):
            out = _original(*args, **kwargs)
            judged.append((threading.current_thread(), len(out)))
            return out

        monkeypatch.setattr(points, name, recording)
    layer = big.boundary_view._layer
    big.act_reset.trigger()
    wait_run(qtbot, big)
    qtbot.waitUntil(lambda: any(n == N_BIG for _t, n in judged), timeout=20000)
    big.view_state.set_threshold(0.3)
    qtbot.waitUntil(lambda: sum(n == N_BIG for _t, n in judged) >= 2, timeout=20000)
    qtbot.waitUntil(lambda: layer.miss_mask.sum() > 0, timeout=20000)
    main = threading.main_thread()
    assert all(t is not main for t, n in judged if n == N_BIG), judged
    logits = layer._logits
    expected = (points.threshold_predictions(logits, 0.3) if logits.shape[1] == 1 else logits.argmax(axis=1)) != layer.y
    qtbot.waitUntil(lambda: np.array_equal(layer.miss_mask, expected), timeout=20000)


def test_long_epochs_of_big_data_are_all_recorded_for_the_scrubber(make_window, qtbot):
    """With 200,000 points an epoch spans many snapshots and none is due just at its end; every
    epoch's end is still recorded, so the history slider can show each one."""
    window = make_window(epochs=3)
    _load(window, N_BIG)
    final = train(qtbot, window)
    assert final.epoch == 3
    recorded = [e.epoch for e in window.controller.recorded.entries]
    assert recorded == [0, 1, 2, 3], recorded
    np.testing.assert_array_equal(window.controller.recorded.entries[-1].params, final.params)


def test_big_data_confusion_matrices_are_counted_off_the_gui_thread(big, qtbot, monkeypatch):
    """The Metrics dock's confusion matrix of 200,000 points is counted with the scores in the
    background (each split's), and switching the split shows it without counting again."""
    import threading

    import lab_app.panels.metrics as metrics

    counted = []
    original = metrics.confusion_matrix

    def recording(y_true, y_pred, k):
        counted.append((threading.current_thread(), len(y_true)))
        return original(y_true, y_pred, k)

    monkeypatch.setattr(metrics, "confusion_matrix", recording)
    view = big.metrics_view
    big.docks["metrics"].show()
    big.docks["metrics"].raise_()
    qtbot.waitUntil(view.isVisible)
    computed = emissions(view.computed)
    view.update_metrics(big.controller.run_info, big.controller.latest, big.document)
    qtbot.waitUntil(lambda: len(computed) > 0, timeout=20000)
    main = threading.main_thread()
    assert counted and all(t is not main for t, _n in counted), counted
    view.split_combo.setCurrentIndex(metrics.SPLITS.index("all"))
    assert all(t is not main for t, _n in counted)
    table = view.confusion_table
    total = sum(int(table.item(i, j).text().split()[0]) for i in range(2) for j in range(2))
    assert total == N_BIG
