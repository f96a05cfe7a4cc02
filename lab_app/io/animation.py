"""Animated export: the boundary (and the loss curves, the network) over a run, as a GIF or PNG sequence.

Frames come from the run's recorded weights, never from the screen. Three phases, each leaving the
window responsive: the heavy arrays (every frame's boundary grid and point probabilities) are
computed by a :class:`~lab_app.tasks.TaskRunner` task; each frame is then painted on the GUI thread,
one per turn of the event loop, by off-screen copies of the views through File ▸ Export PNG's own
renderer (:func:`lab_app.io.export.render_image`), the views side by side on one ``QImage``; last,
a task encodes the frames with Pillow and writes them atomically. Cancel at any point leaves no file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QPoint, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem

from lab_app.io.animation_frames import FORMATS, FrameArrays, check_budget, frame_arrays, write_frames
from lab_app.io.export import dispose, ensure_app, lay_out_offscreen, render_image, settle
from lab_app.tasks import TaskRunner

__all__ = ["VIEWS", "AnimationExport", "AnimationRequest", "FrameRenderer", "RunChanged"]

#: Views an animation can show, side by side in this order: key → what the dialog calls it.
VIEWS = {"boundary": "Decision boundary", "loss": "Loss curves", "network": "Network"}
# Shares of the progress bar: computing the arrays, painting, encoding and writing.
_COMPUTE, _PAINT = 40, 40


@dataclass(frozen=True)
class AnimationRequest:
    """What to export: ``views`` (keys of :data:`VIEWS`), each ``size`` = (width, height) pixels;
    ``fmt`` a key of ``FORMATS``; ``fps`` frames a second (GIF); ``caption`` writes the epoch on each frame."""

    path: str
    fmt: str = "gif"
    views: tuple[str, ...] = ("boundary",)
    size: tuple[int, int] = (480, 400)
    fps: float = 10.0
    caption: bool = True

    def __post_init__(self):
        if self.fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {self.fmt!r}")
        if not self.views or any(v not in VIEWS for v in self.views):
            raise ValueError(f"choose at least one view among {', '.join(VIEWS)}")
        if min(self.size) < 32:
            raise ValueError("a frame must be at least 32×32 pixels")


class RunChanged(RuntimeError):
    """The window shows another run than the one being exported (Reset, New, a new architecture)."""


class FrameRenderer:
    """Draws frames with the window's own boundary view and off-screen copies of its Loss and Network views.

    The boundary is the window's :class:`~lab_app.panels.boundary.BoundaryView` itself, so a frame is
    exactly what File ▸ Export PNG writes of that epoch (threshold, discretized output, hidden test
    points, pinned and optimum contours included): :meth:`render` shows the frame, draws the picture
    and puts the frame on show back (``current()``) before returning, in one turn of the event loop,
    so the screen never shows the exported epoch. The loss curves, which hold the whole run, are an
    off-screen :class:`~lab_app.panels.loss.LossView` of the window's one's size fed the reports up
    to each frame's epoch (frames come in increasing epoch order); the Network view is an off-screen
    :class:`~lab_app.panels.network.NetworkView` on the boundary's plane, shown each frame's
    activations (computed with the other arrays). Each picture is scaled to fit
    ``request.size`` and centred on white. GUI thread only; call :meth:`close` when done.

    Parameters
    ----------
    request : the :class:`AnimationRequest`.
    views : ``{key: widget}`` the window's views (``"boundary"``, ``"loss"``, ``"network"``); the
        boundary is always needed (its plane is the Network view's).
    current : ``fn() -> Frame | None``, the frame the window shows now (``ViewState.frame``).
    run_info : the run the frames belong to; reports : its ``EpochReport`` s.
    """

    def __init__(self, request: AnimationRequest, views, current, run_info, reports):
        from lab_app.panels.loss import LossView
        from lab_app.panels.network import NetworkView

        self.request = request
        self._app = ensure_app()
        self._current, self._run = current, run_info
        self._reports = list(reports)
        self.boundary = views["boundary"] if "boundary" in request.views else None
        self._laid_out = False
        self.loss = None
        if "loss" in request.views:
            self.loss = LossView()
            self.loss.reset(run_info)  # before the first paint: axes size to the labels they paint first
            lay_out_offscreen(self.loss, _size_of(views["loss"], request.size), self._app)
        self.network = None
        if "network" in request.views:
            self.network = NetworkView(views["boundary"].grid_probe)  # the boundary's plane, coarse
            self.network.big.parentWidget().hide()  # the hovered neuron's panel: nothing to hover in a picture
            lay_out_offscreen(self.network, _size_of(views["network"], request.size), self._app)

    @property
    def grid_spec(self) -> tuple | None:
        """The boundary's grid (``GridProbe.spec``) the frames' arrays are computed on."""
        return self.boundary.grid_probe.spec if self.boundary is not None else None

    @property
    def network_spec(self) -> tuple | None:
        """The Network view's coarse grid the frames' activations are computed on."""
        return self.network.probe.spec() if self.network is not None else None

    def render(self, frame) -> np.ndarray:
        """(H, W·n_views, 3) uint8: ``frame`` (a :class:`FrameArrays`) drawn by every view."""
        w, h = self.request.size
        pictures = []
        if self.boundary is not None:
            if self.boundary.run_info is not self._run:
                raise RunChanged("the window shows another run now; export again")
            self.boundary.show_snapshot(frame)
            try:
                pictures.append(self._picture(self.boundary.plot_item, lay_out=not self._laid_out))
                self._laid_out = True  # the view's range and size stay: one layout serves every frame
            finally:
                shown = self._current()
                if shown is not None:
                    self.boundary.show_snapshot(shown)
        if self.loss is not None:
            self.loss.append([r for r in self._reports if r.epoch <= frame.epoch])
            settle(self.loss, self._app)  # the axes resize to their new tick labels
            pictures.append(self._picture(self.loss.plot_item))
        if self.network is not None:
            self.network.show_frame(self._run, frame)
            settle(self.network, self._app)  # it paints on the next turn of the event loop
            pictures.append(self._picture(self.network))
        canvas = QImage(w * len(pictures), h, QImage.Format.Format_RGB888)
        canvas.fill(Qt.GlobalColor.white)
        painter = QPainter(canvas)
        try:
            for k, picture in enumerate(pictures):
                painter.drawImage(k * w + (w - picture.width()) // 2, (h - picture.height()) // 2, picture)
            if self.request.caption:
                _caption(painter, f"epoch {frame.epoch}")
        finally:
            painter.end()
        return _rgb_array(canvas)

    def close(self) -> None:
        for view in (self.loss, self.network):
            if view is not None:
                dispose(view)
        self.boundary = self.loss = self.network = None

    def _picture(self, item, lay_out: bool = True) -> QImage:
        """What File ▸ Export PNG draws of ``item`` (a plot item or a widget), at the scale that fits
        ``request.size`` (1× when it has that size already: a frame equals the static export)."""
        w, h = self.request.size
        rect = item.sceneBoundingRect() if isinstance(item, QGraphicsItem) else QRectF(item.rect())
        fits = (round(rect.width()), round(rect.height())) == (w, h)
        return render_image(item, 1.0 if fits else min(w / rect.width(), h / rect.height()), lay_out)


class AnimationExport(QObject):
    """Runs one animated export at a time: compute, paint, encode and write, with progress and cancel.

    Signals
    -------
    progress(int) : percent done.
    finished(list) : the paths written.
    failed(str) : what went wrong, for the user (the target and the reason).
    cancelled() : the export was cancelled; no file was left.
    """

    progress = Signal(int)
    finished = Signal(list)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._runner = TaskRunner(self, name="logit-lab-animation")
        self._runner.progress.connect(self._on_task_progress)
        self._runner.resultReady.connect(self._on_result)
        self._runner.failed.connect(self._on_failed)
        self._runner.cancelled.connect(self._on_cancelled)
        self._paint_timer = QTimer(self, singleShot=True, interval=0, timeout=self._paint_next)
        self._phase = None  # "compute" | "paint" | "write" while busy
        self._renderer: FrameRenderer | None = None
        self._request: AnimationRequest | None = None
        self._frames: list = []
        self._painted: list[np.ndarray] = []

    @property
    def busy(self) -> bool:
        return self._phase is not None

    def start(self, request: AnimationRequest, views, current, run_info, entries, reports=()) -> None:
        """Export ``entries`` ((epoch, params) of recorded weights, increasing epochs) of ``run_info``;
        ``views`` and ``current`` as :class:`FrameRenderer` takes them."""
        if self.busy:
            raise RuntimeError("an animation is being exported")
        if not entries:
            raise ValueError("no recorded epoch is chosen")
        check_budget(len(entries), request.size[0] * len(request.views), request.size[1])
        self._request = request
        self._renderer = FrameRenderer(request, views, current, run_info, reports)
        self._painted = []
        self._phase = "compute"
        self.progress.emit(0)
        grid, network = self._renderer.grid_spec, self._renderer.network_spec
        if grid is None and network is None:  # the loss curves only: nothing heavy to compute
            self._on_result([FrameArrays(run_info.run_id, int(e), p) for e, p in entries])
        else:
            self._runner.start(frame_arrays, run_info, list(entries), grid, network)

    def cancel(self) -> None:
        """Stop the export; ``cancelled`` follows once nothing of it can be written any more."""
        if self._phase == "write":
            self._runner.cancel()  # the writer removes what it wrote if the cancel came late
            return
        if self._phase is None:
            return
        self._runner.cancel(quiet=True)
        self._end()
        self.cancelled.emit()

    def shutdown(self) -> None:
        """Cancel and join (the window is closing)."""
        self._runner.shutdown()
        self._end()

    # ------------------------------------------------------------ phases
    def _on_task_progress(self, value) -> None:
        share, base = (_COMPUTE, 0) if self._phase == "compute" else (100 - _COMPUTE - _PAINT, _COMPUTE + _PAINT)
        self.progress.emit(base + int(share * float(value)))

    def _on_result(self, value) -> None:
        if self._phase == "compute":
            self._frames = list(value)
            self._phase = "paint"
            self._paint_timer.start()
        elif self._phase == "write":
            self._end()
            self.progress.emit(100)
            self.finished.emit([str(p) for p in value])

    def _paint_next(self) -> None:
        """Paint one frame per turn of the event loop, so the window (and Cancel) stay live."""
        if self._phase != "paint":
            return
        frame = self._frames.pop(0)
        try:
            self._painted.append(self._renderer.render(frame))
        except RunChanged as exc:
            self._end()
            self.failed.emit(str(exc))
            return
        if self._phase != "paint":  # cancelled while the views settled
            return
        done = len(self._painted)
        self.progress.emit(_COMPUTE + _PAINT * done // (done + len(self._frames)))
        if self._frames:
            self._paint_timer.start()
            return
        self._renderer.close()
        self._renderer = None
        self._phase = "write"
        r = self._request
        painted, self._painted = self._painted, []
        self._runner.start(write_frames, r.fmt, r.path, painted, r.fps)

    def _on_failed(self, message: str, exc) -> None:
        self._end()
        self.failed.emit(str(exc) if isinstance(exc, OSError) else message)

    def _on_cancelled(self) -> None:
        self._end()
        self.cancelled.emit()

    def _end(self) -> None:
        self._paint_timer.stop()
        self._phase = None
        self._frames, self._painted = [], []
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def _size_of(widget, fallback) -> tuple[int, int]:
    """The window's size of a view, or ``fallback`` for one never laid out (a dock behind a tab)."""
    return (widget.width(), widget.height()) if min(widget.width(), widget.height()) >= 100 else tuple(fallback)


def _caption(painter: QPainter, text: str) -> None:
    """``text`` in a small white box at the frame's top left (which epoch this is, for slides)."""
    font = QFont(painter.font())
    font.setPixelSize(14)
    painter.setFont(font)
    box = painter.fontMetrics().boundingRect(text).adjusted(-5, -3, 5, 3)
    box.moveTopLeft(QPoint(6, 6))
    painter.fillRect(box, QColor(255, 255, 255, 220))
    painter.setPen(QColor("#1A1A1A"))
    painter.drawText(QRectF(box), Qt.AlignmentFlag.AlignCenter, text)


def _rgb_array(image: QImage) -> np.ndarray:
    """(H, W, 3) uint8 copy of an RGB888 ``image`` (its rows may be padded to 4 bytes)."""
    w, h = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return rows.reshape(h, image.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()
