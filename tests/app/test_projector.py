"""View ▸ Projector mode (issue 12): larger fonts, thicker lines, bigger points, black on white,
through the real window and its menu; remembered in the settings; off gives everything back."""

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from lab_app.widgets.projector import FONT_SCALE, LINE_SCALE, POINT_SCALE

from window_helpers import train


def looks(w):
    """What projector mode changes, read from the window's widgets and plot items."""
    b, loss = w.boundary_view, w.loss_view
    axis = b.plot_item.getAxis("bottom")
    train_curve = next(item for item in loss.plot_item.listDataItems() if item.opts["pen"] is not None)
    return {
        "font": QApplication.instance().font().pointSizeF(),
        "contour": b.contour_item.opts["pen"].widthF(),
        "loss curve": train_curve.opts["pen"].widthF(),
        "axis": axis.pen().widthF(),
        "axis text": axis.textPen().color().name(),
        "boundary points": b.drawn_spots().size[0],
        "legend": b.legend.items[0][1].opts["size"],
    }


def test_projector_mode_grows_fonts_lines_and_points_and_off_restores(qtbot, make_window):
    w = make_window(epochs=5)
    train(qtbot, w)
    before = looks(w)
    menu_actions = [a.objectName() for a in w.view_menu.actions()]
    assert "actionProjectorMode" in menu_actions and w.act_projector.isCheckable()
    w.act_projector.trigger()
    on = looks(w)
    assert on["font"] == pytest.approx(before["font"] * FONT_SCALE)
    assert on["contour"] == pytest.approx(before["contour"] * LINE_SCALE)
    assert on["loss curve"] == pytest.approx(before["loss curve"] * LINE_SCALE)
    assert on["axis"] > before["axis"] and on["axis text"] == "#000000" != before["axis text"]
    assert on["boundary points"] == pytest.approx(before["boundary points"] * POINT_SCALE)
    assert float(on["legend"].removesuffix("pt")) == pytest.approx(
        float(before["legend"].removesuffix("pt")) * FONT_SCALE
    )
    # A new run restyles its items; projector mode stays on them, and is never applied twice.
    train(qtbot, w)
    w.act_reset.trigger()
    qtbot.waitUntil(lambda: looks(w)["contour"] == on["contour"], timeout=3000)
    assert looks(w) == on
    w.act_projector.trigger()
    assert looks(w) == before


def test_projector_mode_is_remembered(qtbot, make_window, tmp_path):
    w = make_window()
    normal = QApplication.instance().font().pointSizeF()
    w.act_projector.trigger()
    assert QSettings(w.settings.fileName(), QSettings.Format.IniFormat).value("view/projector", type=bool)
    w.close()
    assert QApplication.instance().font().pointSizeF() == normal  # closing gave the application its font back
    w.settings.sync()
    from lab_app.window.main_window import MainWindow

    again = MainWindow(settings=QSettings(w.settings.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(again)
    assert again.act_projector.isChecked() and again.projector.on
    again.act_projector.trigger()
    assert not again.projector.on
