"""PNG/SVG export: pyqtgraph's exporters after many updates, whole widgets, atomic writes, the CLI's PNGs."""

import os
import stat

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
import pytest
from PySide6.QtGui import QImage

from engine.generators import blobs, moons
from engine.training import TrainConfig, Trainer
from lab_app.io import export
from lab_app.io.export import ExportError, export_fit_pngs, export_png, export_svg
from lab_app.panels.loss import LossView
from resources import example

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    image = QImage(str(path))
    assert not image.isNull()
    return image


@pytest.fixture
def plot(qtbot):
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    widget.resize(480, 320)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_png_export_after_200_plot_updates(plot, tmp_path):
    """docs/design.md §6: PySide6 6.12.0 aborted the process (none_dealloc) in ImageExporter after a few
    dozen plot updates. This must stay a plain pass; an upgrade that brings the bug back kills pytest."""
    curve = plot.getPlotItem().plot(pen="b")
    image = pg.ImageItem(axisOrder="row-major")
    plot.getPlotItem().addItem(image)
    rng = np.random.default_rng(0)
    buf = np.empty(400)
    for i in range(200):
        buf[: i + 2] = rng.standard_normal(i + 2).cumsum()
        curve.setData(buf[: i + 2])
        image.setImage(rng.random((20, 20)), levels=(0, 1))
        if i % 20 == 0:
            pg.QtWidgets.QApplication.processEvents()
    item = plot.getPlotItem()
    exporter = pg.exporters.ImageExporter(item)
    expected_width = exporter.parameters()["width"]
    expected_height = exporter.parameters()["height"]
    path = tmp_path / "after200.png"
    exporter.export(str(path))
    img = read_png(path)
    assert (img.width(), img.height()) == (expected_width, expected_height)
    # and through our wrapper, at twice the size
    out = export_png(item, tmp_path / "twice.png", scale=2.0)
    img2 = read_png(out)
    assert img2.width() == pytest.approx(2 * expected_width, abs=1)
    assert img2.height() == pytest.approx(2 * expected_height, abs=2)


def test_widget_png_uses_grab_and_scales(qtbot, tmp_path):
    view = LossView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    one = read_png(export_png(view, tmp_path / "view.png"))
    ratio = view.devicePixelRatioF()
    assert (one.width(), one.height()) == (round(400 * ratio), round(300 * ratio))
    two = read_png(export_png(view, tmp_path / "view2.png", scale=2))
    assert (two.width(), two.height()) == (round(800 * ratio), round(600 * ratio))


def test_svg_export(plot, tmp_path):
    plot.getPlotItem().plot([0, 1, 2], [1, 0, 2], pen="r", name="curve")
    plot.getPlotItem().setLabel("bottom", "epoch")
    path = export_svg(plot.getPlotItem(), tmp_path / "plot.svg")
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text and "epoch" in text
    view = LossView()
    qtbot_widget = export_svg(view, tmp_path / "widget.svg")  # a plain widget goes through QSvgGenerator
    assert "<svg" in qtbot_widget.read_text(encoding="utf-8")
    view.deleteLater()


@pytest.mark.parametrize(
    "data, config",
    [
        (
            moons(120, noise=0.2),
            TrainConfig(model="mlp", hidden=(8,), lr=0.02, epochs=30, test_fraction=0.2, early_stopping=5),
        ),
        (blobs(150), TrainConfig(lr=0.05, epochs=20, dtype="float64")),
    ],
)
def test_export_fit_pngs_from_an_engine_trainer(qtbot, tmp_path, data, config):
    trainer = Trainer(data, config)
    trainer.fit()
    written = export_fit_pngs(trainer, boundary_png=tmp_path / "b.png", loss_png=tmp_path / "l.png")
    assert written == [tmp_path / "b.png", tmp_path / "l.png"]
    boundary, loss = read_png(tmp_path / "b.png"), read_png(tmp_path / "l.png")
    assert boundary.width() >= 600 and boundary.height() >= 500
    assert loss.width() >= 600 and loss.height() >= 350
    # not a blank picture: the boundary image holds many colours
    ptr = boundary.convertToFormat(QImage.Format.Format_RGB32).constBits()
    pixels = np.frombuffer(ptr, dtype=np.uint32)
    assert len(np.unique(pixels)) > 100
    assert export_fit_pngs(trainer) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.png", "l.png"]  # no temp files left


def test_cli_fit_writes_both_pngs(tmp_path, capsys):
    from lab_app.cli import main

    csv = example("glm6.csv")
    boundary, loss = tmp_path / "boundary.png", tmp_path / "loss.png"
    assert (
        main(
            [
                "fit",
                str(csv),
                "--epochs",
                "50",
                "--lr",
                "0.05",
                "--batch-size",
                "0",
                "--png",
                str(boundary),
                "--loss-png",
                str(loss),
            ]
        )
        == 0
    )
    read_png(boundary), read_png(loss)
    assert "propagateSizeHints" not in capsys.readouterr().err


def test_new_files_get_the_usual_mode_and_replaced_files_keep_theirs(plot, tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    fresh = export_png(plot.getPlotItem(), tmp_path / "fresh.png")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    kept = tmp_path / "kept.png"
    kept.write_bytes(b"old")
    kept.chmod(0o640)
    export_png(plot.getPlotItem(), kept)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    read_png(kept)


def test_failed_replace_raises_a_clear_error_and_keeps_the_old_file(plot, tmp_path, monkeypatch):
    target = tmp_path / "keep.png"
    target.write_bytes(b"old picture")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(export.os, "replace", refuse)
    with pytest.raises(ExportError) as info:
        export_png(plot.getPlotItem(), target)
    assert str(target) in str(info.value) and "Permission denied" in str(info.value)
    assert isinstance(info.value, OSError) and info.value.filename == str(target)
    assert target.read_bytes() == b"old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]  # the temp file is gone
    with pytest.raises(ExportError):
        export_svg(plot.getPlotItem(), target)
    assert target.read_bytes() == b"old picture"


def test_missing_folder_is_named_in_the_error(plot, tmp_path):
    path = tmp_path / "no" / "such" / "folder" / "plot.png"
    with pytest.raises(ExportError) as info:
        export_png(plot.getPlotItem(), path)
    message = str(info.value)
    assert str(path) in message and "does not exist" in message
    assert not (tmp_path / "no").exists()


def test_bad_arguments(plot, tmp_path):
    with pytest.raises(ValueError, match="scale"):
        export_png(plot.getPlotItem(), tmp_path / "x.png", scale=0)
    with pytest.raises(TypeError, match="cannot export"):
        export_png(object(), tmp_path / "x.png")
    assert not os.listdir(tmp_path)
