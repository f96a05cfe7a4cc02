"""Stop when done, through the real window: the Epochs row's "until converged", the finished
message, and the loss view's log-x axis (by hand and by itself)."""

import numpy as np
import pytest

from engine.training import EpochReport


def _report(epoch: int) -> EpochReport:
    return EpochReport(epoch=epoch, train_loss=1.0 / epoch, train_accuracy=0.9, objective=1.0 / epoch)


def test_the_epochs_row_offers_three_modes_and_writes_the_controllers_config(window):
    panel, controller = window.trainer_panel, window.controller
    modes = [panel.epochs_mode_combo.itemData(i) for i in range(panel.epochs_mode_combo.count())]
    assert modes == ["converged", "stopped", "fixed"]

    panel.set_epoch_mode("converged")
    assert controller.config.tol == pytest.approx(1e-4) and controller.config.n_iter_no_change == 10
    assert panel.tol_row.isVisible()
    panel.tol_spin.setValue(0.001)
    panel.no_change_spin.setValue(4)
    assert (controller.config.tol, controller.config.n_iter_no_change) == (pytest.approx(0.001), 4)

    panel.set_epoch_mode("fixed")
    assert controller.config.tol == 0 and controller.config.epochs > 0
    assert not panel.tol_row.isVisible()
    panel.set_epoch_mode("stopped")
    assert (controller.config.tol, controller.config.epochs) == (0, 0)
    panel.epochs_spin.setValue(30)  # a count typed is a fixed count
    assert panel.epoch_mode() == "fixed" and controller.config.epochs == 30

    # the controller's configuration (a session, a preset) shows in the row
    controller.set_config(controller.config.with_(tol=0.002, n_iter_no_change=7, epochs=0))
    assert panel.epoch_mode() == "converged"
    assert panel.tol_spin.value() == pytest.approx(0.002) and panel.no_change_spin.value() == 7


def test_until_converged_finishes_as_converged_and_the_status_bar_says_so(qtbot, window):
    panel, controller = window.trainer_panel, window.controller
    panel.set_epoch_mode("converged")
    panel.tol_spin.setValue(0.001)
    panel.no_change_spin.setValue(5)
    assert controller.config.epochs == 0  # no cap: only convergence ends this run
    with qtbot.waitSignal(controller.finished, timeout=60000) as finished:
        window.act_train.trigger()
    snapshot = finished.args[0]
    assert snapshot.stopped_because == "converged"
    assert controller.run_info.config.tol == pytest.approx(0.001)
    assert f"converged at epoch {snapshot.epoch}" in window.statusBar().currentMessage()
    # the objective really stalled: none of the last 5 epochs gained more than tol × |best so far|,
    # and the epoch before them did (or was the first): the run stopped at the first chance
    objectives = [r.objective for r in controller.history]
    assert len(objectives) == snapshot.epoch > 5

    def gained(i):
        return i == 0 or objectives[i] < min(objectives[:i]) * (1 - 0.001)

    assert not any(gained(i) for i in range(len(objectives) - 5, len(objectives)))
    assert gained(len(objectives) - 6)


def test_the_same_run_as_a_fixed_count_does_not_stop_early(qtbot, window):
    window.trainer_panel.set_epoch_mode("fixed")
    window.trainer_panel.epochs_spin.setValue(25)
    with qtbot.waitSignal(window.controller.finished, timeout=60000) as finished:
        window.act_train.trigger()
    assert (finished.args[0].stopped_because, finished.args[0].epoch) == ("epochs", 25)
    assert "converged" not in window.statusBar().currentMessage()


def test_log_x_box_sets_the_epoch_axes(window):
    view = window.loss_view
    assert view.log_x_check.text() == "log x" and not view.log_x
    view.log_x_check.click()
    assert view.log_x and view.plot_item.ctrl.logXCheck.isChecked()
    assert view.accuracy_plot_item.ctrl.logXCheck.isChecked()
    view.append([_report(e) for e in range(1, 51)])
    view.set_best_epoch(10)
    assert view._best_lines[0].value() == pytest.approx(1.0)  # log10(10) on the log axis
    view.log_x_check.click()
    assert not view.log_x and view._best_lines[0].value() == pytest.approx(10.0)


def test_log_x_switches_on_by_itself_after_three_decades_unless_turned_off(window):
    view = window.loss_view
    view.reset()
    view.append([_report(e) for e in range(1, 1000)])
    assert not view.log_x_check.isChecked()  # 999 epochs: under three decades
    view.append([_report(e) for e in range(1000, 1002)])
    assert view.log_x_check.isChecked() and view.log_x  # by itself
    shown_x, _ = view.train_curve.getData()  # the drawn coordinates: log10(epoch)
    assert 2.5 < shown_x.max() <= np.log10(1001) + 1e-9  # linear would be ~1000
    view.reset()  # a new run starts on a linear axis again
    assert not view.log_x

    view.log_x_check.click()
    view.log_x_check.click()  # the user turned it off
    view.append([_report(e) for e in np.arange(1, 5001, 10)])
    assert not view.log_x_check.isChecked()
