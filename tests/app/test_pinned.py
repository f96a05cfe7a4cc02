"""Train ▸ Pin this run through the real window: the pinned run's curves stay in the Loss view
(dashed, named by what differs), its boundary stays in the boundary view, the Pinned runs list
shows its final numbers, at most five are kept, and sessions keep them."""

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu, QPushButton

from engine.comparison import MAX_PINNED
from lab_app.panels.boundary import GRID_SHAPE
from lab_app.panels.boundary.heatmap import decision_lines
from lab_app.widgets.palette import pin_color

from window_helpers import train, wait_run

COLUMNS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy")


def _pin(w):
    w.findChild(QAction, "actionPinRun").trigger()


def _column(reports, name):
    return np.array([np.nan if getattr(r, name) is None else getattr(r, name) for r in reports])


def _legend_texts(plot_item):
    return [label.text for _, label in plot_item.legend.items]


@pytest.fixture
def compared(qtbot, make_window):
    """A window that trained lr 0.03, pinned it, and trained lr 0.3: (window, pinned reports, pinned run info, final snapshot)."""
    w = make_window(epochs=8, test_fraction=0.25)
    first = train(qtbot, w)
    reports, info = w.controller.history, w.controller.run_info
    _pin(w)
    w.controller.set_config(w.controller.config.with_(lr=0.3))
    train(qtbot, w)
    assert w.controller.run_info.run_id != info.run_id and w.controller.run_info.config.lr == 0.3
    return w, reports, info, first


def test_pin_is_in_the_train_menu_with_a_shortcut_and_the_list_is_a_dock(make_window):
    w = make_window()
    action = w.findChild(QAction, "actionPinRun")
    assert action in w.findChild(QMenu, "menuTrain").actions() and not action.shortcut().isEmpty()
    toggle = w.findChild(QAction, "actionShowPinned")
    assert toggle in w.findChild(QMenu, "menuView").actions() and toggle.isCheckable() and toggle.isChecked()
    dock = w.findChild(QDockWidget, "pinnedDock")
    assert dock is not None and dock in w.tabifiedDockWidgets(w.docks["metrics"])


def test_nothing_is_pinned_before_an_epoch(make_window):
    w = make_window()
    _pin(w)  # the window's epoch-0 run has no reports yet
    assert len(w.pinned) == 0 and w.loss_view.pinned_items == []


def test_the_loss_view_overlays_the_pinned_curves_dashed_and_named(compared):
    w, reports, _, _ = compared
    loss = w.loss_view
    assert loss.pinned_labels == ["pinned: lr 0.03"]  # what differs from the live run (lr 0.3)
    assert "pinned: lr 0.03" in _legend_texts(loss.plot_item)
    assert "pinned: lr 0.03" in _legend_texts(loss.accuracy_plot_item)  # both tabs
    (items,) = loss.pinned_items
    color = pin_color(w.pinned.runs[0].slot)
    for item, name in zip(items, COLUMNS):
        np.testing.assert_array_equal(item.xData, [r.epoch for r in reports])
        np.testing.assert_array_equal(item.yData, _column(reports, name))
        pen = item.opts["pen"]
        assert pen.style() != Qt.PenStyle.SolidLine and pen.color().name().lower() == color.lower()
    assert loss.plot_item in (items[0].getViewBox().parentItem(), items[0].parentItem().parentItem())
    # the live curves are the new run's, not the pinned ones
    assert not np.array_equal(loss.data()["train_loss"], _column(reports, "train_loss"))


def test_the_boundary_draws_the_pinned_contour_and_the_view_menu_hides_it(compared):
    w, _, info, first = compared
    (item,) = w.boundary_view.pinned_items
    assert item.isVisible() and item.opts["pen"].style() == Qt.PenStyle.DashLine
    # The contour of the pinned weights, computed independently: the first run's model at its
    # final snapshot, evaluated in float64 point by point on the boundary's grid.
    model = info.model.copy()
    model.network.set_params(first.params)
    H, W = GRID_SHAPE
    ev = w.boundary_view.grid_evaluator  # the plane on show: the document's ranges at the plot's shape
    xs, ys = np.linspace(*ev.xlim, W), np.linspace(*ev.ylim, H)
    gx, gy = np.meshgrid(xs, ys)
    P = model.predict_proba(np.column_stack([gx.ravel(), gy.ravel()])).reshape(H, W, 2)
    expected = decision_lines(xs, ys, P)
    assert np.isfinite(expected).sum() > 40
    drawn = np.column_stack([item.xData, item.yData])
    assert drawn.shape == expected.shape
    np.testing.assert_allclose(drawn, expected, atol=1e-4, equal_nan=True)
    live = np.column_stack([w.boundary_view.contour_item.xData, w.boundary_view.contour_item.yData])
    assert live.shape != drawn.shape or not np.allclose(live, drawn, equal_nan=True)  # lr 0.3 ended elsewhere
    assert "pinned" in _legend_texts(w.boundary_view)
    w.findChild(QAction, "actionShowPinned").setChecked(False)
    assert not item.isVisible() and len(item.xData or []) == 0
    assert "pinned" not in _legend_texts(w.boundary_view)
    w.findChild(QAction, "actionShowPinned").setChecked(True)
    assert item.isVisible() and "pinned" in _legend_texts(w.boundary_view)
    np.testing.assert_allclose(np.column_stack([item.xData, item.yData]), expected, atol=1e-4, equal_nan=True)


def test_the_list_shows_the_pinned_runs_final_numbers(compared):
    w, reports, _, _ = compared
    last = reports[-1]
    run = w.pinned.runs[0]
    assert run.final() == {
        "train_loss": last.train_loss,
        "test_loss": last.val_loss,
        "train_accuracy": last.train_accuracy,
        "test_accuracy": last.val_accuracy,
    }
    (row,) = w.pinned_view.table_text()
    assert row["run"] == "lr 0.03" and row["epochs"] == str(len(reports))
    assert "lr 0.03" in row["settings"] and "8 epochs" in row["settings"]
    assert row["train loss"] == f"{last.train_loss:.4g}" and row["test loss"] == f"{last.val_loss:.4g}"
    assert row["train acc."] == f"{last.train_accuracy:.1%}" and row["test acc."] == f"{last.val_accuracy:.1%}"


def test_at_most_five_are_kept_and_remove_works(qtbot, compared):
    w, _, _, _ = compared
    for _ in range(MAX_PINNED - 1):
        _pin(w)  # the lr 0.3 run, four times
    runs = w.pinned.runs
    assert len(runs) == MAX_PINNED and sorted(r.slot for r in runs) == list(range(MAX_PINNED))
    _pin(w)  # a sixth: the oldest (lr 0.03) makes room
    assert len(w.pinned) == MAX_PINNED and w.pinned.runs[:-1] == runs[1:]
    assert w.pinned.runs[-1].slot == runs[0].slot  # the freed colour
    assert w.pinned_view.table.rowCount() == MAX_PINNED
    assert len(w.loss_view.pinned_items) == len(w.boundary_view.pinned_items) == MAX_PINNED
    assert w.loss_view.pinned_labels == ["pinned: same settings"] * MAX_PINNED
    before = w.pinned.runs
    qtbot.mouseClick(w.pinned_view.findChild(QPushButton, "pinnedRemove_1"), Qt.MouseButton.LeftButton)
    assert w.pinned.runs == (before[0], *before[2:])
    assert w.pinned_view.table.rowCount() == len(w.loss_view.pinned_items) == len(w.boundary_view.pinned_items) == 4
    legend = _legend_texts(w.loss_view.plot_item)
    assert legend.count("pinned: same settings") == 4
    qtbot.mouseClick(w.pinned_view.clear_button, Qt.MouseButton.LeftButton)
    assert len(w.pinned) == 0 and w.loss_view.pinned_items == [] and w.boundary_view.pinned_items == []
    assert _legend_texts(w.loss_view.plot_item) == ["training", "validation"]


def test_save_and_reopen_keeps_pinned_runs(qtbot, make_window, tmp_path, compared):
    w, reports, _, first = compared
    w.findChild(QAction, "actionShowPinned").setChecked(False)
    path = tmp_path / "pinned.logitlab.json"
    assert w.files.save_to(path)
    w2 = make_window(epochs=3)
    assert w2.files.open_path(path)
    wait_run(qtbot, w2)
    (run,) = w2.pinned.runs
    assert run.params.tobytes() == first.params.tobytes() and run.config == w.pinned.runs[0].config
    for name in ("epoch", *COLUMNS):
        np.testing.assert_array_equal(run.curves[name], w.pinned.runs[0].curves[name])
    assert w2.loss_view.pinned_labels == ["pinned: lr 0.03"]
    np.testing.assert_array_equal(w2.loss_view.pinned_items[0][0].yData, _column(reports, "train_loss"))
    assert w2.pinned_view.table_text() == w.pinned_view.table_text()
    assert not w2.findChild(QAction, "actionShowPinned").isChecked()
    assert not w2.boundary_view.pinned_items[0].isVisible()
    assert not w2.isWindowModified()
    # A pinned run whose model does not take the session's classes is left out, the rest opens.
    doc = json.loads(path.read_text())
    doc["pinned"].append(json.loads(json.dumps(doc["pinned"][0])))
    doc["pinned"][0]["model"]["classes"] = ["p", "q"]
    path.write_text(json.dumps(doc))
    w3 = make_window(epochs=3)
    assert w3.files.open_path(path)
    assert len(w3.pinned) == 1 and "left out" in w3.statusBar().currentMessage()
    # An older session, without pinned runs, opens with none.
    doc.pop("pinned")
    path.write_text(json.dumps(doc))
    assert w3.files.open_path(path) and len(w3.pinned) == 0 and w3.pinned_view.table.rowCount() == 0
