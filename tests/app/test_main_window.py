"""The real lab window, driven offscreen through its widgets and actions."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget

from lab_app.window.main_window import MainWindow

from window_helpers import emissions


def _click_data(qtbot, window, x, y, button=Qt.MouseButton.LeftButton):
    designer = window.designer
    pos = designer.data_to_widget_pos(x, y)
    QTest.mouseClick(designer.plot_widget.viewport(), button, Qt.KeyboardModifier.NoModifier, pos)


def test_opens_with_the_default_example_and_four_docks(window):
    assert window.document.n_points == 120 and not window.document.modified
    for name in ("designerDock", "trainerDock", "lossDock", "boundaryDock"):
        dock = window.findChild(QDockWidget, name)
        assert dock is not None and dock.isVisible()
        assert dock.features() & QDockWidget.DockWidgetFeature.DockWidgetFloatable
    assert window.controller.run_info is not None  # the initial model is on screen at once


def test_click_places_a_point_at_the_data_coordinates_and_undo_redo(qtbot, window):
    doc = window.document
    n = doc.n_points
    _click_data(qtbot, window, 1.25, -0.75)
    assert doc.n_points == n + 1
    x, y = doc.xy[-1]
    assert x == pytest.approx(1.25, abs=0.03) and y == pytest.approx(-0.75, abs=0.03)
    assert doc.labels[-1] == 0 and doc.modified and window.isWindowModified()
    window.act_undo.trigger()
    assert doc.n_points == n
    window.act_redo.trigger()
    assert doc.n_points == n + 1


def test_number_keys_switch_class(qtbot, window):
    window.designer.plot_widget.setFocus()
    QTest.keyClick(window.designer, Qt.Key.Key_2)
    assert window.document.current_class == 1
    _click_data(qtbot, window, 0.5, 0.5)
    assert window.document.labels[-1] == 1


def test_train_emits_progress_and_finished_and_the_boundary_changes(qtbot, window):
    window.trainer_panel.epochs_spin.setValue(40)
    before = window.boundary_view.last_image.copy()
    with qtbot.waitSignal(window.controller.finished, timeout=20000):
        window.act_train.trigger()
    after = window.boundary_view.last_image
    assert window.controller.latest.epoch == 40
    assert window.loss_view.n_epochs == 40
    assert np.abs(after.astype(int) - before.astype(int)).max() > 10
    assert "epoch 40" in window.status_labels["epoch"].text()


def test_boundary_updates_live_while_training(qtbot, window):
    window.trainer_panel.set_epoch_mode("stopped")  # the default run converges before the pause
    renders = emissions(window.boundary_view.imageRendered)
    window.act_train.trigger()
    qtbot.waitUntil(lambda: len(renders) >= 3, timeout=10000)
    assert window.controller.state == "running"
    window.act_train.trigger()  # Space's action again: pause
    qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=5000)


def test_pause_step_and_reset(qtbot, window):
    c = window.controller
    window.trainer_panel.set_epoch_mode("stopped")  # the default run converges before the pause
    window.act_train.trigger()
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.epoch >= 2, timeout=10000)
    window.act_train.trigger()
    qtbot.waitUntil(lambda: c.state == "paused", timeout=5000)
    epoch = c.latest.epoch
    qtbot.wait(150)
    assert c.latest.epoch == epoch
    with qtbot.waitSignal(c.progress, timeout=5000, check_params_cb=lambda s: s.epoch == epoch + 1):
        window.act_step.trigger()
    run = c.run_info.run_id
    window.act_reset.trigger()
    qtbot.waitUntil(lambda: c.run_info.run_id != run and c.latest is not None and c.latest.epoch == 0, timeout=5000)
    assert window.loss_view.n_epochs == 0


def test_learning_rate_change_applies_live(qtbot, window):
    c = window.controller
    window.trainer_panel.set_epoch_mode("stopped")  # the default run could converge before the change
    window.act_train.trigger()
    qtbot.waitUntil(lambda: c.latest is not None and c.latest.epoch >= 1, timeout=10000)
    window.trainer_panel.lr_spin.setValue(0.2)
    qtbot.waitUntil(lambda: c.latest.latest is not None and c.latest.latest.lr == 0.2, timeout=10000)
    assert not window.trainer_panel.restart_banner.isVisible()
    window.trainer_panel.model_combo.setCurrentIndex(2)  # MLP: needs a new run
    assert window.trainer_panel.restart_banner.isVisible()
    c.pause()


def test_divergence_is_explained_and_keeps_a_finite_model(qtbot, window):
    doc = window.document
    doc.replace_data(np.array([[1000.0, 0], [2000, 0], [3000, 0], [4000, 0]]), np.array([0, 1, 0, 1]), ["A", "B"])
    panel = window.trainer_panel
    panel.standardize_box.setChecked(False)
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    panel.lr_spin.setValue(50.0)
    panel.test_spin.setValue(0.0)
    window.controller.reset()
    with qtbot.waitSignal(window.controller.diverged, timeout=10000):
        window.act_train.trigger()
    title, text = window.last_message
    assert title == "Training diverged" and "learning rate" in text.lower()
    assert np.isfinite(window.controller.latest.params).all()
    assert window.status_labels["state"].text() == "diverged"


def test_closed_dock_comes_back_from_the_view_menu_and_reset_layout(qtbot, window):
    dock = window.docks["loss"]
    dock.close()
    assert not dock.isVisible()
    dock.toggleViewAction().trigger()
    assert dock.isVisible()
    dock.setFloating(True)
    window.act_reset_layout.trigger()
    assert not dock.isFloating() and dock.isVisible()


def test_layout_persists_across_runs(qtbot, settings):
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.show()
    first.docks["metrics"].close()
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    second.show()
    assert not second.docks["metrics"].isVisible()
    second.close()


def test_every_menu_action_has_a_shortcut(window):
    skip = {"actionResetLayout", "actionAbout"}
    for menu in window.menuBar().findChildren(type(window.menuBar().actions()[0].menu())):
        for action in menu.actions():
            if action.isSeparator() or action.menu() or action.objectName() in skip:
                continue
            if action in [d.toggleViewAction() for d in window.docks.values()]:
                continue
            assert not action.shortcut().isEmpty(), action.text()


@pytest.mark.slow  # end to end: a real process, or many windows
def test_closing_mid_training_exits_cleanly(tmp_path):
    script = textwrap.dedent(f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QSettings, QTimer
        from PySide6.QtWidgets import QApplication
        from lab_app.window.main_window import MainWindow
        from lab_app.training.config import DEFAULT_CONFIG
        app = QApplication([])
        w = MainWindow(settings=QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat),
                       config=DEFAULT_CONFIG.with_(hidden=(64, 64), model="mlp", epochs=0, tol=0.0))
        w.show()
        w.controller.progress.connect(lambda s: s.epoch >= 3 and w.close())
        w.act_train.trigger()
        QTimer.singleShot(20000, lambda: sys.exit(7))
        sys.exit(app.exec())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Destroyed while thread" not in done.stderr


@pytest.mark.slow  # end to end: a real process, or many windows
def test_the_window_modules_do_not_import_scikit_learn():
    """scikit-learn takes ~1 s to import; the window opens in ~0.7 s because nothing it imports
    needs it (the reference optimum and the generators import it, in the background, when they run)."""
    code = (
        "import sys\n"
        "import lab_app.window.main_window, lab_app.app\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] == 'sklearn']\n"
        "assert not loaded, loaded[:5]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


def test_an_unexpected_error_becomes_a_message_not_a_dead_window(window, capsys):
    from lab_app.app import unexpected_error_hook

    hook = unexpected_error_hook(window)
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        hook(type(exc), exc, exc.__traceback__)
    title, text = window.last_message
    assert title == "Something went wrong" and "RuntimeError: boom in a slot" in text
    assert "boom in a slot" in capsys.readouterr().err
    n = window.document.n_points
    window.document.add_points([[0.0, 0.0]])
    assert window.document.n_points == n + 1


def test_an_error_in_the_middle_of_a_drag_leaves_undo_working(window):
    from lab_app.app import unexpected_error_hook

    doc = window.document
    n = doc.n_points
    doc.begin_gesture("Brush")  # a stroke under way when a slot fails
    doc.add_points([[0.1, 0.1], [0.2, 0.2]])
    try:
        raise IndexError("index 119 is out of bounds")
    except IndexError as exc:
        unexpected_error_hook(window)(type(exc), exc, exc.__traceback__)
    assert not doc.in_gesture and window.act_undo.isEnabled()
    window.act_undo.trigger()
    assert doc.n_points == n
