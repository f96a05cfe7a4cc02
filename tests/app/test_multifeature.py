"""Data with more than two feature columns: import, train on all of them, show one pair at a time."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris

from engine.data import Dataset
from engine.model import GridEvaluator
from engine.training import TrainConfig, Trainer
from lab_app.document import LabDocument

from window_helpers import drawn_xy, settle, train

IRIS_COLUMNS = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def write_iris(path):
    data = load_iris()
    names = np.array(data.target_names)[data.target]
    with open(path, "w", newline="") as fh:
        fh.write(",".join(IRIS_COLUMNS) + ",species\n")
        fh.writelines(",".join(repr(float(v)) for v in row) + f",{name}\n" for row, name in zip(data.data, names))
    return data.data, names


def import_all_four(qtbot, w, path, view=("petal_length", "petal_width")):
    assert w.files.open_path(path)
    dialog = w.files.import_dialog
    qtbot.waitUntil(lambda: dialog.dataset is not None, timeout=20000)
    assert dialog.feature_columns == IRIS_COLUMNS[:2] and not dialog.view_row.isVisibleTo(dialog)
    dialog.set_feature_columns(IRIS_COLUMNS)
    qtbot.waitUntil(lambda: dialog.dataset is not None and dialog.dataset.n_features == 4, timeout=20000)
    assert dialog.view_row.isVisibleTo(dialog) and not dialog.problems
    dialog.set_view_columns(*view)
    assert dialog.view_columns == (IRIS_COLUMNS.index(view[0]), IRIS_COLUMNS.index(view[1]))
    dialog.import_button.click()
    settle(qtbot, w)


def test_iris_imports_trains_on_four_inputs_and_shows_a_chosen_pair(qtbot, make_window, tmp_path):
    path = tmp_path / "iris.csv"
    X, _ = write_iris(path)
    w = make_window(epochs=5, test_fraction=0.0)
    doc = w.document
    import_all_four(qtbot, w, path)
    assert doc.n_dims == 4 and doc.feature_names == IRIS_COLUMNS and doc.X.tobytes() == X.tobytes()
    assert doc.view_columns == (2, 3) and doc.xy.tobytes() == np.ascontiguousarray(X[:, 2:]).tobytes()
    assert doc.xlim[0] < X[:, 2].min() and doc.ylim[1] > X[:, 3].max()
    # the designer offers the pair and names its axes; the trainer panel says "linear in all 4"
    designer, panel = w.designer, w.trainer_panel
    assert designer.view_pair_box.isVisible() and designer.view_x_combo.currentText() == "petal_length"
    assert designer.plot_widget.getPlotItem().getAxis("left").labelText == "petal_width"
    assert panel.features_note.isVisible() and not any(b.isEnabled() for b in panel.term_boxes.values())
    assert "4 inputs" in panel.term_boxes["x1"].toolTip()

    train(qtbot, w)
    info = w.controller.run_info
    assert info.model.n_inputs == 4 and info.config.features == "linear"
    assert info.model.feature_names == list(IRIS_COLUMNS)
    view = w.boundary_view
    first = view.last_image.copy()
    assert view.grid_evaluator.columns == (2, 3)
    np.testing.assert_allclose(view._fixed, X[info.train_idx].mean(axis=0))
    assert view.plot_item.getAxis("bottom").labelText == "petal_length"

    # another pair in the designer: the boundary view follows (the others held at the means)
    designer.view_x_combo.setCurrentIndex(0)
    designer.view_x_combo.activated.emit(0)
    designer.view_y_combo.setCurrentIndex(1)
    designer.view_y_combo.activated.emit(1)
    settle(qtbot, w, 60)
    assert doc.view_columns == (0, 1) and view.grid_evaluator.columns == (0, 1)
    assert view.plot_item.getAxis("left").labelText == "sepal_width"
    assert view.last_image is not None and not np.array_equal(view.last_image, first)
    drawn = np.column_stack(drawn_xy(view))  # where the points are drawn
    assert drawn.tobytes() == np.ascontiguousarray(X[:, :2]).tobytes()
    assert doc.undo_stack.count() == 1  # the pair is view state, only the import is undoable

    # choosing the other axis' column swaps the pair
    designer.view_x_combo.setCurrentIndex(1)
    designer.view_x_combo.activated.emit(1)
    assert doc.view_columns == (1, 0)
    assert (designer.view_x_combo.currentIndex(), designer.view_y_combo.currentIndex()) == (1, 0)


def test_a_session_keeps_all_four_columns_and_the_pair(qtbot, make_window, tmp_path):
    path = tmp_path / "iris.csv"
    X, _ = write_iris(path)
    w = make_window(epochs=3)
    import_all_four(qtbot, w, path, view=("sepal_width", "petal_width"))
    last = train(qtbot, w)
    session = tmp_path / "iris.logitlab.json"
    assert w.files.save_to(session)

    w2 = make_window(epochs=3)
    assert w2.files.open_path(session), w2.files.dialogs.errors
    settle(qtbot, w2, 60)
    d2 = w2.document
    assert d2.X.tobytes() == X.tobytes() and d2.feature_names == IRIS_COLUMNS
    assert d2.view_columns == (1, 3) and (d2.xlim, d2.ylim) == (w.document.xlim, w.document.ylim)
    assert w2.controller.run_info.model.n_inputs == 4
    assert w2.controller.latest.params.tobytes() == last.params.tobytes()
    assert np.array_equal(w2.boundary_view.last_image, w.boundary_view.last_image)


def test_designer_points_get_the_mean_of_the_hidden_columns(qtbot):
    doc = LabDocument()
    X = np.array([[0.0, 10.0, 1.0, 4.0], [2.0, 20.0, 3.0, 8.0]])
    doc.replace_data(X, [0, 1], ["a", "b"], ["p", "q", "r", "s"], view_columns=(2, 0))
    assert doc.xy.tolist() == [[1.0, 0.0], [3.0, 2.0]] and doc.view_names == ("r", "p")
    doc.add_points([[5.0, 7.0]], 1)
    np.testing.assert_array_equal(doc.X[-1], [7.0, 15.0, 5.0, 6.0])
    doc.move_points([0], [[9.0, 9.5]])  # a move changes only the pair's coordinates
    np.testing.assert_array_equal(doc.X[0], [9.5, 10.0, 9.0, 4.0])
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.X.tobytes() == X.tobytes()
    doc.clear()
    assert doc.X.shape == (0, 4)
    doc.add_points([[1.0, 2.0]])  # no points left: the hidden columns get 0
    np.testing.assert_array_equal(doc.X[0], [2.0, 0.0, 1.0, 0.0])
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    doc.undo_stack.undo()  # before the import: two columns, the pair resets
    assert doc.n_dims == 2 and doc.view_columns == (0, 1)
    with pytest.raises(ValueError, match="view columns"):
        doc.set_view_columns(0, 2)


def test_designer_click_adds_a_point_at_the_means(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from lab_app.panels.designer import DataDesigner

    doc = LabDocument()
    X = np.array([[0.0, 0.0, 1.0], [2.0, 2.0, 5.0]])
    doc.replace_data(X, [0, 1], ["a", "b"], ["u", "v", "w"], view_columns=(0, 2))
    designer = DataDesigner(doc)
    qtbot.addWidget(designer)
    designer.resize(500, 400)
    designer.show()
    qtbot.waitExposed(designer)
    assert designer.view_pair_box.isVisible()
    pos = designer.data_to_widget_pos(1.0, 3.0)
    QTest.mouseClick(designer.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert doc.n_points == 3
    x, hidden, y = doc.X[-1]
    assert hidden == 1.0 and x == pytest.approx(1.0, abs=0.05) and y == pytest.approx(3.0, abs=0.05)


def test_grid_evaluator_varies_the_chosen_pair_and_holds_the_rest():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] + X[:, 1] - X[:, 2] > 0).astype(int)
    model = Trainer(Dataset.from_labels(X, y), TrainConfig(features="linear", epochs=5)).model
    fixed = (0.5, -0.25, 2.0)
    ev = GridEvaluator(model, (-1, 1), (-2, 2), shape=(4, 5), fixed=fixed, columns=(2, 0))
    xs, ys = np.linspace(-1, 1, 5), np.linspace(-2, 2, 4)
    gx, gy = np.meshgrid(xs, ys)
    raw = np.column_stack([gy.ravel(), np.full(20, -0.25), gx.ravel()])
    expected = model.predict_proba(raw).reshape(4, 5, 2)
    np.testing.assert_allclose(ev.evaluate(), expected, atol=1e-5)
    # two inputs: the default pair with or without `fixed` is the old grid, bit for bit
    X2 = X[:, :2]
    m2 = Trainer(Dataset.from_labels(X2, y), TrainConfig(epochs=3)).model
    a = GridEvaluator(m2, (-1, 1), (-2, 2), shape=(6, 7)).evaluate().copy()
    b = GridEvaluator(m2, (-1, 1), (-2, 2), shape=(6, 7), fixed=(9.0, 9.0), columns=(0, 1)).evaluate()
    assert a.tobytes() == b.tobytes()
    with pytest.raises(ValueError, match="columns"):
        GridEvaluator(model, (-1, 1), (-2, 2), columns=(1, 1))
