"""Pictures of plots and panels: PNG and SVG, written atomically; and the CLI's ``--png``/``--loss-png``.

* A pyqtgraph plot (``PlotItem``, any ``QGraphicsItem`` in a scene, or a ``PlotWidget``) is drawn by
  pyqtgraph's ``ImageExporter``/``SVGExporter`` at ``scale`` × its on-screen size.
* Any other ``QWidget`` (a panel, the main window) is rendered with Qt at ``scale`` × its device
  pixel ratio, so a scale of 2 gives a sharp picture for slides.

Files are written to a temporary file in the destination folder and moved over the target with
``os.replace``: a failed export never leaves a half-written or emptied file behind. Failures
raise :class:`ExportError` (an ``OSError``) naming the path.
"""

from __future__ import annotations

import errno
import math
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QEvent,
    QIODevice,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    qInstallMessageHandler,
)
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QGraphicsItem, QGraphicsWidget, QWidget

from engine.atomic import atomic_write

__all__ = [
    "ExportError",
    "dispose",
    "ensure_app",
    "export_fit_pngs",
    "export_png",
    "export_svg",
    "export_widget_png",
    "export_widget_svg",
    "lay_out_offscreen",
    "png_bytes",
    "render_image",
    "run_from_trainer",
    "settle",
    "snapshot_from_trainer",
    "write_atomic",
]

BOUNDARY_SIZE = (720, 640)  # logical pixels of the CLI's boundary picture
LOSS_SIZE = (720, 440)


class ExportError(OSError):
    """A picture could not be written; ``filename`` is the target path, ``strerror`` the reason."""

    def __str__(self) -> str:
        return f"cannot write {self.filename}: {self.strerror}"


def export_png(target, path, scale: float = 1.0) -> Path:
    """Write ``target`` (a pyqtgraph plot item/widget, or any QWidget) as a PNG at ``scale`` × size."""
    path = Path(path)
    write_atomic(path, png_bytes(render_image(target, scale), path))
    return path


def render_image(target, scale: float = 1.0, lay_out: bool = True) -> QImage:
    """The picture File ▸ Export PNG writes of ``target``, as a QImage (GUI thread: it paints widgets).
    ``lay_out=False`` skips laying a plot out first (a series of pictures whose first was laid out)."""
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, not {scale}")
    item = _plot_item(target)
    if item is None:
        return _render_widget(target, scale).toImage()
    if lay_out:
        _lay_out_item(item)
    exporter = pg.exporters.ImageExporter(item)
    width = max(1, int(round(exporter.getSourceRect().width() * scale)))
    exporter.parameters()["width"] = width  # the height follows the aspect ratio
    return exporter.export(toBytes=True)


def png_bytes(image: QImage, path) -> bytes:
    """``image`` encoded as PNG; ExportError naming ``path`` if Qt cannot encode it."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    ok = image.save(buffer, "PNG")
    buffer.close()
    if not ok:
        raise ExportError(errno.EIO, "Qt could not encode the image as PNG", str(path))
    return bytes(data.data())


def export_svg(target, path) -> Path:
    """Write ``target`` as SVG: pyqtgraph's SVGExporter for plots, Qt's QSvgGenerator for other widgets."""
    path = Path(path)
    item = _plot_item(target)
    if item is not None:
        try:
            data = pg.exporters.SVGExporter(item).export(toBytes=True)
        except ValueError:
            # pyqtgraph 0.14's SVGExporter cannot parse the closed paths ("... Z") that Qt 6.11's
            # generator writes for every ViewBox (pyqtgraph issue #3495, fixed after 0.14.0); Qt's
            # own SVG 1.1 output (with clip paths) is then the faithful picture.
            data = _item_svg(item)
    else:
        data = _widget_svg(target)
    write_atomic(path, data)
    return path


# The contract's names (lab_app/export.py in /work/notes/contract.md).
export_widget_png = export_png
export_widget_svg = export_svg


def export_fit_pngs(trainer, boundary_png=None, loss_png=None, scale: float = 1.0) -> list[Path]:
    """Save the decision-boundary view and/or the loss curves of a trained ``engine.Trainer``.

    Used by ``logit-lab fit --png P --loss-png P``. Creates a QApplication when there is none
    (offscreen when there is no display), builds the views without showing a window and writes
    each picture atomically. Returns the paths written.
    """
    if not boundary_png and not loss_png:
        return []
    app = ensure_app()
    run, snapshot = run_from_trainer(trainer), snapshot_from_trainer(trainer)
    written = []
    with _quiet_offscreen_plugin():
        if boundary_png:
            written.append(_fit_boundary_png(run, snapshot, boundary_png, scale, app))
        if loss_png:
            written.append(_fit_loss_png(trainer, run, loss_png, scale, app))
    return written


def run_from_trainer(trainer, run_id: int = 0):
    """A :class:`lab_app.training.RunInfo` of ``trainer`` (the model is a copy holding the current weights)."""
    from lab_app.training.runs import RunInfo

    return RunInfo(
        run_id=run_id,
        config=trainer.config,
        dataset=trainer.dataset,
        model=trainer.model.copy(),
        train_idx=np.asarray(trainer.train_idx).copy(),
        test_idx=np.asarray(trainer.test_idx).copy(),
        model_name=getattr(trainer, "model_name", ""),
    )


def snapshot_from_trainer(trainer, run_id: int = 0):
    """A finished :class:`lab_app.training.Snapshot`: the trainer's current weights and whole history."""
    from lab_app.training.runs import Snapshot

    history = tuple(trainer.history)
    return Snapshot(
        run_id=run_id,
        epoch=trainer.epoch,
        params=trainer.network.params.copy(),
        reports=history,
        latest=history[-1] if history else None,
        state="finished",
        stopped_because=trainer.stopped_because,
        best_epoch=trainer.best_epoch,
        samples_per_second=0.0,
        data_version=0,
    )


def ensure_app() -> QApplication:
    """The running QApplication, or a new one (offscreen on Linux when there is no display)."""
    app = QApplication.instance()
    if app is None:
        headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if headless and sys.platform not in ("win32", "darwin"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(sys.argv[:1])
        globals()["_APP"] = app  # keep the Python wrapper alive for the life of the process
    elif not isinstance(app, QApplication):
        raise RuntimeError("a QCoreApplication is running; widgets need a QApplication")
    return app


# --------------------------------------------------------------------- helpers
def _fit_boundary_png(run, snapshot, path, scale, app) -> Path:
    from lab_app.panels.boundary import BoundaryView

    view = BoundaryView()
    try:
        lay_out_offscreen(view, BOUNDARY_SIZE, app)
        view.set_run(run)
        view.show_snapshot(snapshot)
        settle(view, app)
        return export_png(view.plot_item, path, scale)
    finally:
        dispose(view)


def _fit_loss_png(trainer, run, path, scale, app) -> Path:
    from lab_app.panels.loss import LossView

    view = LossView()
    try:
        lay_out_offscreen(view, LOSS_SIZE, app)
        view.reset(run)
        view.append(trainer.history)
        if trainer.config.early_stopping:
            view.set_best_epoch(trainer.best_epoch)
        settle(view, app)
        return export_png(view.plot_item, path, scale)
    finally:
        dispose(view)


@contextmanager
def _quiet_offscreen_plugin():
    """Drop the offscreen plugin's "does not support propagateSizeHints()" line (it would reach the
    CLI's stderr); every other Qt message goes where it went before."""

    def handler(mode, context, message):
        if "propagateSizeHints" in message:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)


def _lay_out_item(item) -> None:
    """Paint ``item`` once and apply the layout that painting asks for: its axes size themselves to
    the labels they paint, and a part the screen never painted (scrolled or clipped away) would
    otherwise be exported with a stale layout (the colour bar's labels cut off)."""
    scratch = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(scratch)
    try:
        item.scene().render(painter, QRectF(0, 0, 8, 8), item.sceneBoundingRect())
    finally:
        painter.end()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    if isinstance(item, QGraphicsWidget):
        item.resize(item.size())  # grows to a minimum size the new labels raised
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


def _plot_item(target):
    """The graphics item pyqtgraph's exporters take, or None for a plain widget."""
    if isinstance(target, QGraphicsItem):
        if target.scene() is None:
            raise ValueError("the plot item is not in a scene; add it to a PlotWidget first")
        return target
    if isinstance(target, pg.PlotWidget):
        return target.getPlotItem()
    if isinstance(target, pg.GraphicsLayoutWidget):
        return target.ci
    if isinstance(target, QWidget):
        return None
    raise TypeError(f"cannot export a {type(target).__name__}; pass a pyqtgraph plot item or a QWidget")


def _render_widget(widget: QWidget, scale: float) -> QPixmap:
    if scale == 1.0:
        return widget.grab()
    ratio = widget.devicePixelRatioF() * scale
    size = widget.size()
    pixmap = QPixmap(QSize(math.ceil(size.width() * ratio), math.ceil(size.height() * ratio)))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.white)
    widget.render(pixmap)
    return pixmap


def _widget_svg(widget: QWidget) -> bytes:
    size = widget.size()
    return _svg(
        size.width(),
        size.height(),
        widget.windowTitle() or widget.objectName(),
        lambda painter: widget.render(painter, QPoint(0, 0)),
    )


def _item_svg(item) -> bytes:
    """A graphics item's scene region through Qt's SVG 1.1 generator, in pyqtgraph's export mode."""
    exporter = pg.exporters.Exporter(item)
    source = exporter.getSourceRect()
    w, h = max(1, math.ceil(source.width())), max(1, math.ceil(source.height()))
    background = item.scene().views()[0].backgroundBrush()

    def paint(painter):
        target = QRectF(0, 0, w, h)
        if background.style() != Qt.BrushStyle.NoBrush:
            painter.fillRect(target, background)
        exporter.setExportMode(
            True, {"antialias": True, "background": background.color(), "painter": painter, "resolutionScale": 1.0}
        )
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            exporter.getScene().render(painter, target, source)
        finally:
            exporter.setExportMode(False)

    return _svg(w, h, "Logit Lab plot", paint)


def _svg(width: int, height: int, title: str, paint) -> bytes:
    from PySide6.QtSvg import QSvgGenerator

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)  # 1.1 has clip paths (plots clip their curves)
    generator.setOutputDevice(buffer)
    generator.setResolution(96)  # the logical DPI widgets are laid out for; the default 72 rescales text
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRect(0, 0, width, height))
    generator.setTitle(title or "Logit Lab")
    painter = QPainter(generator)
    try:
        paint(painter)
    finally:
        painter.end()
        buffer.close()
    return bytes(data.data())


def write_atomic(path, data: bytes) -> None:
    """Write ``data`` over ``path`` atomically; failures become ExportError with the reason."""
    path = Path(path)
    try:
        atomic_write(path, data)
    except OSError as exc:
        folder = path.parent if str(path.parent) else Path(".")
        raise ExportError(exc.errno, _reason(exc, folder), str(path)) from exc


def _reason(exc: OSError, folder: Path) -> str:
    if isinstance(exc, FileNotFoundError) and not folder.exists():
        return f"the folder {folder} does not exist"
    return exc.strerror or str(exc)


def lay_out_offscreen(widget: QWidget, size, app) -> None:
    """Give ``widget`` a real layout and size without a window appearing on screen."""
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    widget.resize(*size)
    QWidget.show(widget)
    app.processEvents()


def settle(widget: QWidget, app) -> None:
    """Paint once and let the layout react: pyqtgraph sizes its axes to the tick labels it painted,
    and a widget that was never on screen has painted none."""
    widget.grab()
    app.processEvents()
    widget.grab()
    app.processEvents()


def dispose(widget: QWidget) -> None:
    widget.close()
    widget.deleteLater()
