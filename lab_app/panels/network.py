"""The Network dock: the layers as columns of neurons, each a live thumbnail of its activation over
the boundary view's plane (coarse), edges by weight, biases as numbers.

The activations are computed in the training thread (:class:`~lab_app.training.probes.ActivationProbe`,
``Snapshot.extras[NETWORK_PROBE]``); this panel only paints them. Recorded frames carry no extras:
their activations are computed here when cheap (a few ms), else the newest probe result is shown
with a note. Nothing is painted while the dock is out of sight (it catches up when shown).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from lab_app.tasks import Debouncer
from lab_app.training.probes import NETWORK_PROBE, ActivationProbe, network_activations
from lab_app.widgets.palette import NEGATIVE, POSITIVE
from lab_app.widgets.plots import make_plot
from lab_app.widgets.shown import CatchUpWhenShown

__all__ = ["MAX_DRAWN", "NetworkCanvas", "NetworkView", "edge_widths"]

#: Neurons drawn per layer; wider layers get a "+N more" note.
MAX_DRAWN = 16
#: Widest edge (px); an edge's width is ∝ |w| / the largest |w| of the network.
MAX_EDGE_WIDTH = 4.0
#: Recorded frames are evaluated in the GUI thread when rows × parameters stays below this (~5 ms).
CHEAP_WORK = 3e7
SATURATION = 5.0
#: Repaints per second at most while a run's live snapshots arrive (the GUI budget, gui_bench.py).
LIVE_RATE = 8
_BIG = 180  # side of the hovered neuron's map (px)


def edge_widths(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Pen widths of every layer's weights (fan_in, fan_out): ∝ |w|, the largest |w| of the network
    drawn :data:`MAX_EDGE_WIDTH` px wide."""
    biggest = max((float(np.abs(W).max()) for W in weights if W.size), default=0.0)
    scale = MAX_EDGE_WIDTH / biggest if biggest > 0 else 0.0
    return [np.abs(W).astype(np.float64) * scale for W in weights]


def _rgba(values: np.ndarray, kind: str) -> np.ndarray:
    """(units, H, W) values → (units, H, W, 4) uint8: positive towards POSITIVE, negative towards
    NEGATIVE, white at 0 (0.5 for sigmoids); tanh and sigmoid on their fixed ranges, others per
    neuron by its largest |value|."""
    v = values.astype(np.float64)
    if kind == "sigmoid":
        t = (v - 0.5) * 2.0
    elif kind == "tanh":
        t = v
    else:
        big = np.abs(v).reshape(len(v), -1).max(axis=1)
        big[~(big > 0)] = 1.0
        t = v / big[:, None, None]
    t = np.clip(np.nan_to_num(t), -1.0, 1.0)[..., None]
    pos, neg = (np.array(QColor(c).getRgb()[:3], dtype=np.float64) for c in (POSITIVE, NEGATIVE))
    white = np.full(3, 255.0)
    rgb = np.where(t >= 0, white + (pos - white) * t, white + (neg - white) * (-t))
    out = np.empty((*v.shape, 4), dtype=np.uint8)
    out[..., :3] = np.round(rgb)
    out[..., 3] = 255
    return out


def _image(rgba: np.ndarray) -> QImage:
    """A QImage (copy) of an (H, W, 4) array with row 0 at the bottom (the plane's y up)."""
    data = np.ascontiguousarray(rgba[::-1])
    H, W = data.shape[:2]
    return QImage(data.data, W, H, 4 * W, QImage.Format.Format_RGBA8888).copy()


class NetworkCanvas(QWidget):
    """Paints the network: columns of thumbnails, edges, biases; ``hovered(layer, unit)`` (-1, -1 when
    the mouse leaves a neuron)."""

    hovered = Signal(int, int)
    clicked = Signal(int, int, int)  # (layer, unit, source): source -1 for the neuron itself (its bias)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("networkCanvas")
        self.setMouseTracking(True)
        self.setMinimumSize(240, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.sizes: list[int] = []
        self.names: list[str] = []
        self.weights: list[np.ndarray] = []  # per layer (fan_in, fan_out)
        self.biases: list[np.ndarray] = []
        self.widths: list[np.ndarray] = []
        self.images: list[list[QImage]] = []  # per layer, the first MAX_DRAWN neurons
        self._rects: list[tuple[QRectF, int, int]] = []
        self._hover = (-1, -1)

    def set_network(self, names, sizes, weights, biases, images) -> None:
        self.names, self.sizes = list(names), list(sizes)
        self.weights, self.biases = weights, biases
        self.widths = edge_widths(weights)
        self.images = images
        self.update()

    def clear(self) -> None:
        self.set_network([], [], [], [], [])

    # ------------------------------------------------------------ geometry
    def _layout(self):
        """Per layer: list of the drawn neurons' rects; and the thumbnail side."""
        L = len(self.sizes)
        if not L:
            return [], 0.0
        w, h = self.width(), self.height()
        top, bottom = 18.0, 18.0
        rows = max(min(n, MAX_DRAWN) for n in self.sizes)
        side = max(8.0, min(40.0, (h - top - bottom) / (rows * 1.35), (w - 20) / (L * 2.2)))
        xs = [10.0 + side / 2 + i * ((w - 20 - side * 1.8) / max(L - 1, 1)) for i in range(L)] if L > 1 else [w / 2]
        layout = []
        for x, n in zip(xs, self.sizes):
            shown = min(n, MAX_DRAWN)
            step = side * 1.35
            y0 = top + (h - top - bottom - step * shown) / 2
            layout.append([QRectF(x - side / 2, y0 + k * step, side, side) for k in range(shown)])
        return layout, side

    # ------------------------------------------------------------ painting
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.GlobalColor.white)
        layout, side = self._layout()
        self._rects = []
        if not layout:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No model yet")
            return
        # Edges without antialiasing: hundreds of wide antialiased lines cost milliseconds a paint.
        pos, neg = QColor(POSITIVE), QColor(NEGATIVE)
        for layer, (W, widths) in enumerate(zip(self.weights, self.widths)):
            src, dst = layout[layer], layout[layer + 1]
            for j, r_out in enumerate(dst):
                a = QPointF(r_out.left(), r_out.center().y())
                for i, r_in in enumerate(src):
                    width = widths[i, j]
                    if width < 0.05:
                        continue
                    colour = QColor(pos if W[i, j] > 0 else neg)
                    colour.setAlpha(200)
                    p.setPen(QPen(colour, width))
                    p.drawLine(QPointF(r_in.right(), r_in.center().y()), a)
        small = QFont(self.font())
        small.setPointSizeF(max(6.0, small.pointSizeF() * 0.75))
        p.setFont(small)
        for layer, rects in enumerate(layout):
            images = self.images[layer] if layer < len(self.images) else []
            for unit, r in enumerate(rects):
                if unit < len(images):
                    p.drawImage(r, images[unit])
                hovered = (layer, unit) == self._hover
                p.setPen(QPen(QColor("#1A1A1A" if hovered else "#888888"), 2.0 if hovered else 1.0))
                p.drawRect(r)
                if layer > 0:  # the bias: a number beside the neuron
                    b = float(self.biases[layer - 1][unit])
                    text = f"{b:+.2f}"
                    box = p.fontMetrics().boundingRect(text)
                    label = QRectF(r.right() + 2, r.center().y() - box.height() / 2, box.width() + 4, box.height())
                    p.fillRect(label, QColor(255, 255, 255, 220))  # readable over the edges
                    p.setPen(QColor(POSITIVE if b > 0 else NEGATIVE).darker(150))
                    p.drawText(label, Qt.AlignmentFlag.AlignCenter, text)
                self._rects.append((r, layer, unit))
            p.setPen(QColor("#1A1A1A"))
            x = rects[0].center().x() if rects else 0.0
            p.drawText(QRectF(x - 50, 0, 100, 16), Qt.AlignmentFlag.AlignCenter, self.names[layer])
            more = self.sizes[layer] - len(rects)
            if more > 0:
                p.drawText(QRectF(x - 50, self.height() - 16, 100, 16), Qt.AlignmentFlag.AlignCenter, f"+{more} more")

    # ------------------------------------------------------------ hover
    def neuron_at(self, pos) -> tuple[int, int]:
        for r, layer, unit in self._rects:
            if r.adjusted(-2, -2, 2, 2).contains(QPointF(pos)):
                return layer, unit
        return -1, -1

    def neuron_rect(self, layer: int, unit: int) -> QRectF | None:
        layout, _ = self._layout()
        return layout[layer][unit] if layer < len(layout) and unit < len(layout[layer]) else None

    def edge_at(self, pos, reach: float = 4.0) -> tuple[int, int, int]:
        """``(layer, unit, source)`` of the drawn edge within ``reach`` px of ``pos`` (into neuron
        ``unit`` of ``layer`` from neuron ``source`` of the layer before), else (-1, -1, -1)."""
        layout, _ = self._layout()
        p = np.array([pos.x(), pos.y()])
        best, hit = reach, (-1, -1, -1)
        for layer in range(1, len(layout)):
            for j, r_out in enumerate(layout[layer]):
                b = np.array([r_out.left(), r_out.center().y()])
                for i, r_in in enumerate(layout[layer - 1]):
                    a = np.array([r_in.right(), r_in.center().y()])
                    if not min(a[0], b[0]) <= p[0] <= max(a[0], b[0]):
                        continue
                    d = b - a
                    t = np.clip(np.dot(p - a, d) / max(np.dot(d, d), 1e-12), 0.0, 1.0)
                    dist = float(np.hypot(*(a + t * d - p)))
                    if dist < best:
                        best, hit = dist, (layer, j, i)
        return hit

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            layer, unit = self.neuron_at(event.position())
            hit = (layer, unit, -1) if layer > 0 else self.edge_at(event.position())
            if hit[0] > 0:
                self.clicked.emit(*hit)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        hit = self.neuron_at(event.position())
        if hit != self._hover:
            self._hover = hit
            self.update()
            self.hovered.emit(*hit)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:
        if self._hover != (-1, -1):
            self._hover = (-1, -1)
            self.update()
            self.hovered.emit(-1, -1)
        super().leaveEvent(event)


class NetworkView(CatchUpWhenShown, QWidget):
    """The Network dock. ``probe`` (register it with the controller under ``NETWORK_PROBE``) follows
    the boundary's grid (``grid_probe``); :meth:`show_frame` takes the frame on show."""

    def __init__(self, grid_probe, recorded=None, parent=None):
        super().__init__(parent)
        self.setObjectName("networkView")
        self._recorded = recorded  # the run's recorded weights (training.recorded.ParamHistory)
        self.followed: tuple[int, int, int] | None = None  # the clicked (layer, unit, source)
        self._epoch = 0  # of the frame on show
        self.probe = ActivationProbe(grid_probe)
        self._pending = None  # (run_info, frame) not yet painted
        self._newest = None  # the newest probe result (NetworkActivations)
        self.values = None  # NetworkActivations on show
        self.params = None
        self.info = None
        self._catch_up = Debouncer(0, self._paint_pending, parent=self)
        self._live = Debouncer.throttle(int(1000 / LIVE_RATE), self._paint_pending, leading=True, parent=self)
        self.canvas = NetworkCanvas(self)
        self.note = QLabel(objectName="networkNote")
        self.note.setWordWrap(True)
        self.big = QLabel(objectName="networkBigMap")
        self.big.setFixedSize(_BIG, _BIG)
        self.big.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = QLabel("Hover a neuron for its map, incoming weights and how often it is dead or saturated.")
        self.detail.setObjectName("networkDetail")
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.history_plot, self._history_item = make_plot("networkHistoryPlot", min_size=(_BIG, 90))
        self.history_plot.setMaximumHeight(130)
        self._history_curve = self._history_item.plot([], [], pen=pg.mkPen(POSITIVE, width=1.5))
        self._history_mark = self._history_item.plot([], [], pen=None, symbol="o", symbolSize=6)
        self._history_item.setLabel("bottom", "epoch")
        self.history_plot.setToolTip("Click a neuron (its bias) or an edge (its weight) to follow it over the run")
        self.history_plot.hide()
        side = QVBoxLayout()
        side.addWidget(self.big)
        side.addWidget(self.detail, 1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setFixedWidth(_BIG + 20)
        main = QVBoxLayout(self)
        main.setContentsMargins(2, 2, 2, 2)
        row = QHBoxLayout()
        picture = QVBoxLayout()  # the network, and under it the clicked weight's history
        picture.addWidget(self.canvas, 1)
        picture.addWidget(self.history_plot)
        row.addLayout(picture, 1)
        row.addWidget(side_widget)
        main.addLayout(row, 1)
        main.addWidget(self.note)
        self.canvas.hovered.connect(self._show_neuron)
        self.canvas.clicked.connect(self.follow)

    # ------------------------------------------------------------ public API
    def set_shown(self, shown: bool) -> None:
        self.probe.enabled = bool(shown) or self.on_show()
        super().set_shown(shown)

    def follow(self, layer: int, unit: int, source: int = -1) -> None:
        """Plot a value over the run's recorded epochs: neuron ``unit``'s bias of ``layer``
        (``source`` -1), or the weight into it from neuron ``source`` of the layer before."""
        if self.info is None or self._recorded is None:
            return
        self.followed = (layer, unit, source)
        self._draw_followed()
        self.history_plot.show()

    def followed_series(self) -> tuple[np.ndarray, np.ndarray]:
        """(epochs, values) of the followed weight or bias over the recorded epochs."""
        layer, unit, source = self.followed
        net = self.info.model.network
        fan_in_1, fan_out = net.shapes[layer - 1]
        row = fan_in_1 - 1 if source < 0 else source  # the last row of a layer's matrix holds its biases
        flat = net.offsets[layer - 1] + row * fan_out + unit
        recorded = self._recorded
        values = np.array([recorded[i].params[flat] for i in range(len(recorded))], dtype=np.float64)
        return np.asarray(recorded.epochs(), dtype=np.float64), values

    def _draw_followed(self) -> None:
        if self.followed is None or self.info is None:
            return
        layer, unit, source = self.followed
        net = self.info.model.network
        if layer > len(net.hidden) + 1 or unit >= net.shapes[layer - 1][1] or source >= net.shapes[layer - 1][0] - 1:
            self.followed = None  # a new run of another shape
            self.history_plot.hide()
            return
        epochs, values = self.followed_series()
        self._history_curve.setData(epochs, values)
        into = f"output {unit + 1}" if layer == len(net.hidden) + 1 else f"h{layer}.{unit + 1}"
        origin = "input" if layer == 1 else f"h{layer - 1}."
        title = f"bias of {into}" if source < 0 else f"weight {origin}{source + 1} → {into}"
        self._history_item.setTitle(f'<span style="font-size:8pt">{title}</span>')
        if self.params is not None and len(epochs):
            layer_mats = net.unflatten(np.asarray(self.params, dtype=net.dtype))
            now = layer_mats[layer - 1][-1 if source < 0 else source, unit]
            self._history_mark.setData([self._epoch], [float(now)])

    def clear(self) -> None:
        self.followed = None
        self.history_plot.hide()
        self._pending = self._newest = self.values = self.params = self.info = None
        self.canvas.clear()
        self.note.clear()
        self.big.clear()

    def show_frame(self, info, frame) -> None:
        """Follow the frame on show; painted now if on show, else when brought to the front."""
        result = frame.extras.get(NETWORK_PROBE) if frame.extras else None
        if result is not None:
            self._newest = result
        self._pending = (info, frame)
        if self.on_show():
            running = frame.live and getattr(frame.snapshot, "state", None) == "running"
            (self._live if running else self._catch_up).trigger()  # a run's last frame at once

    def thumbnail(self, layer: int, unit: int) -> np.ndarray:
        """(H, W) values of a neuron's thumbnail (row 0 = the plane's bottom)."""
        H, W = self.values.spec[2] if self.info.model.n_inputs > 1 else (1, self.values.spec[2][1])
        return self.values.activations[layer][:, unit].reshape(H, W)

    # ------------------------------------------------------------ internals
    def _paint_pending(self) -> None:
        if self._pending is None or not self.on_show():
            return
        info, frame = self._pending
        self._pending = None
        spec = self.probe.spec()
        result = frame.extras.get(NETWORK_PROBE) if frame.extras else None
        note = ""
        if result is None or result.spec != spec:
            net = info.model.network
            rows = spec[2][0] * spec[2][1] if spec else 0
            if spec is not None and rows * net.size <= CHEAP_WORK:
                result = network_activations(info.model, frame.params, spec)
            elif self._newest is not None:
                result = self._newest
                note = "Showing the newest training snapshot: this epoch's activations are too costly to compute here."
        if result is None:
            return
        self.info, self.values, self.params = info, result, frame.params
        net = info.model.network
        mats = net.unflatten(np.asarray(frame.params, dtype=net.dtype))
        weights = [m[:-1] for m in mats]
        biases = [m[-1] for m in mats]
        sizes = [net.n_inputs, *net.hidden, net.n_outputs]
        names = ["inputs", *[f"hidden {k + 1}" for k in range(len(net.hidden))], "output"]
        if net.n_outputs > 1:
            names[-1] = "softmax"
        images = []
        H, W = spec[2] if net.n_inputs > 1 else (1, spec[2][1])
        for layer, acts in enumerate(result.activations):
            shown = acts[:, :MAX_DRAWN].T.reshape(-1, H, W)
            kind = net.activation if 0 < layer < len(sizes) - 1 else "other"
            images.append([_image(rgba) for rgba in _rgba(shown, kind)])
        self._kinds = ["other", *[net.activation] * len(net.hidden), "other"]
        self.canvas.set_network(names, sizes, weights, biases, images)
        if not note and any(n > MAX_DRAWN for n in sizes):
            note = f"Layers wider than {MAX_DRAWN} neurons show their first {MAX_DRAWN}."
        self.note.setText(f"Epoch {frame.epoch}. {note}".strip())
        self._epoch = frame.epoch
        self._draw_followed()

    def neuron_summary(self, layer: int, unit: int) -> str:
        """The hovered neuron's text: its name, bias, incoming weights, dead / saturated fractions."""
        net = self.info.model.network
        last = len(net.hidden) + 1
        if layer == 0:
            names = self.info.model.feature_names if hasattr(self.info.model, "feature_names") else []
            name = names[unit] if unit < len(names) else f"input {unit + 1}"
            return f"<b>{name}</b> (standardized input)"
        title = f"output {unit + 1}" if layer == last else f"hidden {layer}, neuron {unit + 1}"
        W, b = self.canvas.weights[layer - 1], float(self.canvas.biases[layer - 1][unit])
        lines = [f"<b>{title}</b>", f"bias {b:+.3f}"]
        incoming = W[:, unit]
        order = np.argsort(-np.abs(incoming))[:8]
        source = "input" if layer == 1 else f"h{layer - 1}."
        lines.append("incoming weights: " + ", ".join(f"{source}{i + 1} {incoming[i]:+.2f}" for i in order))
        if len(incoming) > len(order):
            lines[-1] += f" (largest {len(order)} of {len(incoming)})"
        if layer < last:
            z = self.values.pre[layer - 1][:, unit]
            if net.activation == "relu":
                active = float(np.mean(z > 0))
                lines.append(
                    "dead on the plane (never active)" if active == 0 else f"active on {active:.0%} of the plane"
                )
            elif net.activation in ("tanh", "sigmoid"):
                lines.append(
                    f"saturated (|z| > {SATURATION:g}) on {float(np.mean(np.abs(z) > SATURATION)):.0%} of the plane"
                )
        return "<br>".join(lines)

    def _show_neuron(self, layer: int, unit: int) -> None:
        if layer < 0 or self.values is None:
            return
        kind = self._kinds[layer]
        image = _image(_rgba(self.thumbnail(layer, unit)[None], kind)[0])
        self.big.setPixmap(
            QPixmap.fromImage(image).scaled(
                _BIG, _BIG, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )
        self.detail.setText(self.neuron_summary(layer, unit))
