"""A canvas's mouse: place, drag, brush, erase and select gestures, each one document edit (one undo step).

One implementation for every canvas (the designer and the decision boundary view): a canvas
filters its plot's viewport and hands every event to :meth:`Gestures.handle`, which takes each
left/right button event before pyqtgraph sees it, so a click lands exactly where it was made and
never pans, zooms or opens a menu. The wheel (zoom) and the middle button (pan) still reach
pyqtgraph. The tool, the brush spread and the selection are the canvases' shared
:class:`~lab_app.widgets.drawing.tools.DrawingTools`.
"""

from __future__ import annotations

import weakref

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsRectItem

from lab_app.widgets import palette

__all__ = [
    "BRUSH_MS",
    "BRUSH_POINTS",
    "DRAG_PX",
    "HIT_PX",
    "Gestures",
    "display_xy",
    "view_to_viewport",
    "viewport_to_view",
]

HIT_PX = 10.0  # a press this close to a point grabs it; erase removes the nearest this close
DRAG_PX = 3.0  # movement below this is still a click (hands shake)
BRUSH_MS = 40  # spray tick: 25 per second, a couple of points each, whatever the mouse does
BRUSH_POINTS = 2
_MINUS = "\u2212"
_MOUSE_EVENTS = (
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseMove,
    QEvent.Type.MouseButtonRelease,
)


def display_xy(document) -> np.ndarray:
    """(n, 2) where ``document``'s points are drawn: its coordinates, or (x, class level) in 1-D mode."""
    if document.mode == "2d":
        return document.xy
    levels = document.labels / max(document.n_classes - 1, 1)
    return np.column_stack([document.xy[:, 0], levels])


def view_to_viewport(plot_widget, x: float, y: float) -> QPoint:
    """Pixel position of data (x, y) in ``plot_widget.viewport()`` (the widget that receives mouse events)."""
    scene = plot_widget.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    return plot_widget.viewportTransform().map(scene).toPoint()


def viewport_to_view(plot_widget, pos: QPoint | QPointF) -> tuple[float, float]:
    """Inverse of :func:`view_to_viewport` (viewport pixels to data coordinates)."""
    inverse, _ = plot_widget.viewportTransform().inverted()
    p = plot_widget.getPlotItem().getViewBox().mapSceneToView(inverse.map(QPointF(pos)))
    return p.x(), p.y()


class Gestures(QObject):
    """Turns the mouse on ``canvas``'s plot into edits of its document.

    ``canvas`` offers ``tools`` (the shared DrawingTools, whose ``document`` is edited),
    ``view_box``, ``plot_widget``, ``nearest_point(x, y, max_px)``
    (the shown point a press hits, picked with :func:`lab_app.widgets.point_sample.nearest_row`)
    and ``coords_label`` (a QLabel for the pointer's coordinates, or None).
    The tool is fixed for the whole gesture; a brush stroke, an erase drag and a move are each
    one undo step (``LabDocument.begin_gesture``). Also draws the selection band and the brush's circle.
    """

    def __init__(self, canvas, z: float):
        super().__init__(canvas)
        # A weak proxy: a reference cycle with the canvas would leave both, and the document the
        # canvas holds, to Python's cyclic collector; a LabDocument freed inside a collection takes
        # its undo stack's commands down with it mid-collection (a segfault seen in the test suite).
        self._canvas = weakref.proxy(canvas)
        self._tools = canvas.tools
        self._rng = np.random.default_rng(0)  # brush spray; seeded so a test run repeats exactly
        self._press: dict | None = None  # the gesture under way, see _on_press
        self._moving: np.ndarray | None = None  # indices being dragged
        self._pending_move: np.ndarray | None = None  # their newest position, not yet applied
        self._move_timer = QTimer(self, singleShot=True, interval=16, timeout=self._flush_move)
        self._brush_timer = QTimer(self, interval=BRUSH_MS, timeout=self._spray)
        self._band = QGraphicsRectItem()
        self._band.setPen(_cosmetic_pen("#0072B2", Qt.PenStyle.DashLine))
        self._band.setBrush(palette.qcolor("#0072B2", 30))
        self._brush_cursor = QGraphicsEllipseItem()
        self._brush_cursor.setPen(_cosmetic_pen("#555555", Qt.PenStyle.DotLine))
        for dz, it in enumerate((self._band, self._brush_cursor)):
            it.setZValue(z + dz)
            canvas.view_box.addItem(it, ignoreBounds=True)
            it.hide()
        # Bound methods, not lambdas: Qt drops these connections when this object goes away.
        self._tools.spreadChanged.connect(self._redraw_brush_cursor)
        self._tools.toolChanged.connect(self.hide_brush_cursor)
        self._doc.currentClassChanged.connect(self._redraw_brush_cursor)
        self._doc.classesChanged.connect(self._redraw_brush_cursor)

    @property
    def _doc(self):
        return self._tools.document

    def finish(self) -> None:
        """Close a gesture under way (the panel is hidden): an open undo macro would swallow every later edit."""
        if self._press is not None:
            self._on_release(self._press["pos"], self._press["data"], Qt.KeyboardModifier.NoModifier)

    def hide_brush_cursor(self, *_) -> None:
        self._brush_cursor.setVisible(False)

    def _redraw_brush_cursor(self, *_) -> None:
        self.update_brush_cursor()

    def update_brush_cursor(self, data=None) -> None:
        """Move the brush's circle to ``data`` (x, y), or redraw it where it is (spread or class changed)."""
        if self._tools.tool != "brush" or (data is None and not self._brush_cursor.isVisible()):
            return
        if data is None:
            r = self._brush_cursor.rect()
            data = (r.center().x(), r.center().y())
        s = self._tools.brush_spread
        self._brush_cursor.setRect(QRectF(data[0] - s, data[1] - s, 2 * s, 2 * s))
        self._brush_cursor.setPen(
            _cosmetic_pen(palette.outline(self._doc.classes[self._doc.current_class].color), Qt.PenStyle.DashLine)
        )
        self._brush_cursor.show()

    # ----------------------------------------------------------------- events
    def handle(self, event: QEvent) -> bool:
        """Act on ``event`` of the plot's viewport; True if it was taken (pyqtgraph must not see it)."""
        canvas = self._canvas
        kind = event.type()
        if kind == QEvent.Type.Leave:
            if canvas.coords_label is not None:
                canvas.coords_label.clear()
            self._brush_cursor.hide()
            return False
        if kind not in _MOUSE_EVENTS:
            return False
        data = viewport_to_view(canvas.plot_widget, event.position())
        if kind == QEvent.Type.MouseMove:
            self._show_coords(*data)
            self.update_brush_cursor(data)
            if self._press is None:
                return bool(event.buttons() & (Qt.MouseButton.LeftButton | Qt.MouseButton.RightButton))
            self._on_move(event.position(), data)
            return True
        if event.button() not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return False  # middle button pans: pyqtgraph's job
        if kind == QEvent.Type.MouseButtonRelease:
            if self._press is not None and event.button() == self._press["button"]:
                self._on_release(event.position(), data, event.modifiers())
            return True
        if self._press is None:  # a press (a double click counts as a second press)
            canvas.plot_widget.setFocus(Qt.FocusReason.MouseFocusReason)
            self._on_press(event.button(), event.position(), data)
        return True

    # --------------------------------------------------------------- gestures
    def _on_press(self, button, pos: QPointF, data) -> None:
        hit = self._nearest(data)
        # The tool is fixed for the whole gesture: a tool key pressed mid-drag must not unbalance it.
        tool = self._tools.tool
        self._press = {"button": button, "pos": QPointF(pos), "data": data, "hit": hit, "dragging": False, "tool": tool}
        if button == Qt.MouseButton.RightButton:
            if hit is not None:  # right-click erases with any tool
                self._doc.remove_points([hit])
        elif tool == "brush":
            self._doc.begin_gesture("Brush stroke")
            self._press["cursor"] = data
            self._spray(BRUSH_POINTS + 1)
            self._brush_timer.start()
        elif tool == "erase":
            self._doc.begin_gesture("Erase")
            if hit is not None:
                self._doc.remove_points([hit])

    def _on_move(self, pos: QPointF, data) -> None:
        press = self._press
        if press["button"] != Qt.MouseButton.LeftButton:
            return
        if not press["dragging"]:
            if (pos - press["pos"]).manhattanLength() < DRAG_PX:
                return
            press["dragging"] = True
            if press["tool"] == "place" and press["hit"] is not None:
                hit = press["hit"]
                selected = self._tools.selection()
                indices = selected if hit in selected else np.array([hit])
                press["start_xy"], self._moving = self._doc.xy[indices], indices
                self._doc.begin_gesture(f"Move {len(indices)} point{'s' * (len(indices) != 1)}")
        if press["tool"] == "brush":
            press["cursor"] = data
        elif press["tool"] == "erase":
            hit = self._nearest(data)
            if hit is not None:
                self._doc.remove_points([hit])
        elif press["tool"] == "select":
            self._band.setRect(QRectF(QPointF(*press["data"]), QPointF(*data)).normalized())
            self._band.show()
        elif self._moving is not None:
            self._pending_move = press["start_xy"] + np.subtract(data, press["data"])
            if not self._move_timer.isActive():  # throttle: at most one document edit per frame
                self._flush_move()
                self._move_timer.start()

    def _on_release(self, pos: QPointF, data, modifiers) -> None:
        press, self._press = self._press, None
        if press["button"] != Qt.MouseButton.LeftButton:
            return
        if press["tool"] == "brush":
            self._brush_timer.stop()
            self._doc.end_gesture()
        elif press["tool"] == "erase":
            self._doc.end_gesture()
        elif press["tool"] == "select":
            self._band.hide()
            self._select(press, data, bool(modifiers & Qt.KeyboardModifier.ShiftModifier))
        elif self._moving is not None:
            self._move_timer.stop()
            self._flush_move()
            self._moving = None
            self._doc.end_gesture()
        elif not press["dragging"]:
            self._doc.add_points([press["data"]], self._doc.current_class)

    def _flush_move(self) -> None:
        if self._pending_move is not None and self._moving is not None:
            self._doc.move_points(self._moving, self._pending_move)
        self._pending_move = None

    def _spray(self, count: int = BRUSH_POINTS) -> None:
        if self._press is None:
            return
        center = np.asarray(self._press["cursor"])
        xy = center + self._rng.normal(0.0, self._tools.brush_spread, size=(count, 2))
        self._doc.add_points(xy, self._doc.current_class)

    def _select(self, press: dict, data, add: bool) -> None:
        mask = np.zeros(self._doc.n_points, dtype=bool)
        if add:
            mask[self._tools.selection()] = True
        if press["dragging"]:
            (x0, y0), (x1, y1) = press["data"], data
            xy = display_xy(self._doc)
            mask |= (
                (xy[:, 0] >= min(x0, x1))
                & (xy[:, 0] <= max(x0, x1))
                & (xy[:, 1] >= min(y0, y1))
                & (xy[:, 1] <= max(y0, y1))
            )
        elif press["hit"] is not None:
            mask[press["hit"]] = not (add and mask[press["hit"]])
        self._tools.set_selection(np.flatnonzero(mask))

    # ---------------------------------------------------------------- helpers
    def _show_coords(self, x: float, y: float) -> None:
        if self._canvas.coords_label is None:
            return
        text = f"x = {x:.3f}" if self._doc.mode == "1d" else f"x = {x:.3f}, y = {y:.3f}"
        self._canvas.coords_label.setText(text.replace("-", _MINUS))

    def _nearest(self, data) -> int | None:
        """Index of the point nearest to ``data`` within HIT_PX screen pixels, else None (hidden
        test points cannot be hit, moved or erased)."""
        return self._canvas.nearest_point(data[0], data[1], HIT_PX)


def _cosmetic_pen(color, style=Qt.PenStyle.SolidLine) -> QPen:
    """A 1.5-pixel pen whatever the zoom (items in data coordinates would scale a normal pen)."""
    pen = QPen(QColor(color), 1.5, style)
    pen.setCosmetic(True)
    return pen
