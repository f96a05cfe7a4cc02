"""After 1-D data, a 2-D picture shows no p(x) curve and no "x = …" threshold (issue 8, defect 3).

Both ways a user leaves 1-D are covered — View ▸ 1-D mode off, and loading 2-D data — and the check
is made on the plot items and on the pictures File ▸ Export PNG writes of the Decision boundary
and of the Data designer: they must not change by a pixel when the 1-D items are taken out.
"""

import pytest
from PySide6.QtGui import QImage

from engine.generators import one_d_gaussians, two_gaussians
from lab_app.dialogs.file_dialogs import ExportChoice

from window_helpers import emissions, wait_run


def export(window, target, path) -> QImage:
    """File ▸ Export PNG/SVG… of ``target`` at 1×, answering its dialogs; returns the picture."""
    window.files.dialogs.export = ExportChoice(target, 1.0)
    window.files.dialogs.paths = [str(path)]
    window.act_export_png.trigger()
    image = QImage(str(path))
    assert not image.isNull()
    return image


def one_d_items(window):
    """The p(x) curves and threshold lines of the Decision boundary and of the designer."""
    b, d = window.boundary_view, window.designer
    return {"boundary": [*b.curve_items, b.threshold_line], "designer": [*d.curve_items, d.threshold_item]}


def shown(items):
    return [it for it in items if it.isVisible()]


def switch(qtbot, window, to_1d: bool, by: str) -> None:
    """Enter or leave 1-D mode the way a user does, and wait for the new run's pictures."""
    results = emissions(window.reference_view.resultReady)
    if by == "view_menu":
        window.act_one_d.trigger()  # View ▸ 1-D mode (points on a line)
    else:
        window.dataset_menu.load_generated(one_d_gaussians(120, seed=1) if to_1d else two_gaussians(120, seed=1))
    assert window.document.mode == ("1d" if to_1d else "2d")
    wait_run(qtbot, window)
    assert window.controller.run_info.model.n_inputs == (1 if to_1d else 2)
    # The new run's boundary and curves are drawn, and the reference optimum (drawn on the boundary) is in.
    qtbot.waitUntil(lambda: window.controller.latest is not None, timeout=5000)
    qtbot.waitUntil(lambda: len(results) > 0, timeout=10000)


@pytest.mark.parametrize("by", ["view_menu", "loading_data"])
def test_no_one_d_curve_or_threshold_after_switching_to_2d(qtbot, make_window, tmp_path, by):
    w = make_window()
    boundary = w.boundary_view
    switch(qtbot, w, to_1d=True, by=by)
    x = boundary.threshold
    assert x is not None and boundary.threshold_line.isVisible() and boundary.curve_items[0].isVisible()
    assert boundary.threshold_line.label.toPlainText() == f"x = {x:.3g}"
    qtbot.waitUntil(lambda: len(shown(one_d_items(w)["designer"])) == 2, timeout=5000)  # p(x) and threshold

    switch(qtbot, w, to_1d=False, by=by)
    assert shown(one_d_items(w)["boundary"]) == []
    assert shown(one_d_items(w)["designer"]) == []
    assert boundary.threshold is None
    for target, items in one_d_items(w).items():
        picture = export(w, target, tmp_path / f"{target}.png")
        for it in items:
            it.hide()
        assert picture == export(w, target, tmp_path / f"{target}-without-1d.png"), f"1-D leftovers in the {target}"
