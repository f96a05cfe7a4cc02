"""The convergence doctor: live health signals of the current run and plain-language verdicts.

The numbers come from :mod:`engine.signals`, computed in the training thread by two probes of
the :class:`~lab_app.training.TrainingController` (``Snapshot.extras["signals"]`` and, for linear
models, ``["hessian"]``), at most every :data:`PROBE_INTERVAL` seconds so they never slow
training. The verdicts (:func:`engine.diagnostics.diagnose`) are computed here in the GUI thread,
a few times a second while the dock is on show. Each verdict is a card with a one-click fix that
changes the controller's configuration (the Trainer panel follows it) and, when the change needs
one, starts a new run. The probes are registered by the window (:mod:`lab_app.training.probes`).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.diagnostics import diagnose
from engine.signals import SATURATION_LOGIT
from lab_app.tasks import Debouncer
from lab_app.training.probes import HESSIAN_PROBE, SIGNALS_PROBE
from lab_app.widgets.shown import CatchUpWhenShown
from lab_app.widgets.splitter import AdaptiveSplitter

__all__ = ["TITLES", "DoctorView", "Sparkline"]

#: Milliseconds between verdict refreshes while training runs and the dock is on show.
REFRESH_MS = 250
#: Points kept for each sparkline.
SPARK_POINTS = 150
TITLES = {
    "lr_too_high": "Learning rate too high",
    "unscaled": "Inputs not standardized",
    "separable": "Perfectly separable classes",
    "imbalanced": "Imbalanced classes",
    "underfit_linear": "A line cannot fit this",
    "dead_relu": "Dead ReLUs",
    "saturated": "Saturated outputs",
    "converged": "Converged",
}
_SEVERITY_COLORS = {"warning": ("#fff4e0", "#e0a040"), "info": ("#e8f5ee", "#4caf7d")}
# key, label, tooltip (what healthy looks like), log-scale sparkline
_ROWS = (
    (
        "grad_norm",
        "Gradient norm (RMS)",
        "Root-mean-square gradient of the objective. Falls towards 0 as training converges; "
        "stuck high with a flat loss means steps are too small or the model is saturated.",
        True,
    ),
    (
        "weight_norm",
        "Weight norm \u2016w\u2016",
        "Size of the weights. Levels off at an optimum; rising for ever at 100 % accuracy means the "
        "classes are separable and the unpenalised optimum does not exist.",
        True,
    ),
    (
        "update_ratio",
        "Update / weight ratio",
        "How much one epoch changes the weights, relative to their size. About 10\u207b\u00b3 per step "
        "is the classic healthy pace; much larger jumps about, much smaller crawls.",
        True,
    ),
    (
        "saturated_share",
        f"Saturated logits (|z| > {SATURATION_LOGIT:g})",
        "Share of training points whose predicted probability is numerically 0 or 1.",
        False,
    ),
    (
        "dead_relu_share",
        "Dead ReLUs",
        "Share of ReLU hidden units that output 0 for every training point: they get no gradient and never recover.",
        False,
    ),
    (
        "oscillation",
        "Loss oscillation",
        "Rises of the training loss over the last epochs. Gradient descent below its stable step "
        "never raises the full-batch loss; repeated rises mean the learning rate is too high.",
        True,
    ),
    ("lambda_max", "Hessian \u03bb_max", "Largest curvature of the objective at these weights (linear models).", True),
    (
        "condition",
        "Condition number \u03ba",
        "\u03bb_max / \u03bb_min: plain gradient descent needs about \u03ba/2 epochs per e-fold "
        "along the flattest direction. Above 10\u00b3 standardize the inputs.",
        True,
    ),
    (
        "lr_bound",
        "Stable lr at these weights",
        "Near the current weights: 2/\u03bb_max for plain gradient descent (2(1+\u03bc)/\u03bb_max with momentum): a larger "
        "step overshoots along the steepest direction. Adam normalises its steps, so no bound.",
        False,
    ),
)
_LINEAR_ONLY = {"lambda_max", "condition", "lr_bound"}
_MINUS = "\u2212"


class DoctorView(CatchUpWhenShown, QWidget):
    """Signals and verdicts of the controller's current run.

    Parameters
    ----------
    controller : :class:`lab_app.training.TrainingController`, whose snapshots carry the
        ``signals`` and ``hessian`` probes' results.

    Signals
    -------
    verdictsChanged(list) : the verdict list changed (codes or messages).
    showRequested(str) : a verdict's button asks to show a view ("metrics" for the confusion matrix).
    """

    verdictsChanged = Signal(list)
    showRequested = Signal(str)

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("doctorView")
        self._controller = controller
        self._info = None
        self._snapshot = None
        self._separation = None  # (run_id, Separation) from the reference view
        self._verdicts: list = []
        self._cards: dict[str, _VerdictCard] = {}
        self._series = {key: deque(maxlen=SPARK_POINTS) for key, *_ in _ROWS}
        self._refresh = Debouncer.throttle(REFRESH_MS, self.refresh, parent=self)
        self._catch_up = Debouncer(0, self.refresh, parent=self)  # verdicts were not computed while hidden
        self._build()
        controller.runStarted.connect(self._on_run_started)
        controller.progress.connect(self._on_progress)

    # ------------------------------------------------------------ public API
    @property
    def verdicts(self) -> list:
        """The verdicts on show (:class:`engine.diagnostics.Verdict`), warnings first."""
        return list(self._verdicts)

    def card(self, code: str) -> QWidget | None:
        """The card of verdict ``code`` (objectName ``verdict_<code>``), or None."""
        return self._cards.get(code)

    def signal_text(self, key: str) -> str:
        """The value column of signal row ``key`` (see the module's rows)."""
        item = self.table.item(self._row_of[key], 1)
        return item.text() if item is not None else ""

    def set_separation(self, run_id: int, separation) -> None:
        """The reference view's verdict on the data (``detect_separation``) for run ``run_id``."""
        self._separation = (run_id, separation)
        self._schedule()

    def apply_fix(self, fix: dict) -> None:
        """Apply a verdict's fix (:meth:`TrainingController.apply_fix`)."""
        self._controller.apply_fix(fix)

    def refresh(self) -> None:
        """Recompute the verdicts and the table from the newest snapshot now."""
        self._refresh.cancel()
        snap, info = self._snapshot, self._info
        if snap is None or info is None or snap.run_id != info.run_id:
            return
        signals = snap.extras.get(SIGNALS_PROBE)
        hessian = snap.extras.get(HESSIAN_PROBE)
        self._fill_table(signals, hessian)
        if signals is None:
            return
        separation = None
        if self._separation is not None and self._separation[0] == info.run_id:
            separation = self._separation[1]
        verdicts = diagnose(self._controller.history, signals, info.config, hessian, separation)
        self._show_verdicts(verdicts, snap)

    # ------------------------------------------------------------- building
    def _build(self) -> None:
        self.cards_box = QWidget(objectName="verdictCards")
        self.cards_layout = QVBoxLayout(self.cards_box)
        self.cards_layout.setContentsMargins(2, 2, 2, 2)
        self.cards_layout.setSpacing(6)
        self.all_clear = QLabel(objectName="doctorAllClear", wordWrap=True)
        self.all_clear.setStyleSheet("color: #555;")
        self.cards_layout.addWidget(self.all_clear)
        self.cards_layout.addStretch(1)
        scroll = QScrollArea(objectName="verdictScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.cards_box)

        self.table = QTableWidget(len(_ROWS), 3, objectName="doctorSignals")
        self.table.setHorizontalHeaderLabels(["Signal", "Value", "Trend"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self._row_of, self._sparks = {}, {}
        for r, (key, label, tip, log) in enumerate(_ROWS):
            item = QTableWidgetItem(label)
            item.setToolTip(tip)
            self.table.setItem(r, 0, item)
            self.table.setItem(r, 1, QTableWidgetItem(""))
            spark = Sparkline(log=log)
            spark.setToolTip(tip)
            self.table.setCellWidget(r, 2, spark)
            self._row_of[key], self._sparks[key] = r, spark
        self.table.verticalHeader().setDefaultSectionSize(22)

        scroll.setMinimumWidth(240)
        # Side by side from 560 px (the table needs about 330 of them); narrower, the cards go on top.
        split = AdaptiveSplitter(560, objectName="doctorSplitter")
        split.addWidget(scroll)
        split.addWidget(self.table)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 700])  # the table first; the cards wrap their text
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)
        self._set_all_clear(None)

    # ------------------------------------------------------------ reactions
    def _on_run_started(self, info) -> None:
        self._info, self._snapshot = info, None
        for series in self._series.values():
            series.clear()
        for key in _LINEAR_ONLY:
            self.table.setRowHidden(self._row_of[key], not info.model.is_linear)
        self.table.setRowHidden(
            self._row_of["dead_relu_share"], info.model.is_linear or info.model.network.activation != "relu"
        )
        self._show_verdicts([], None)

    def _on_progress(self, snapshot) -> None:
        if self._info is None or snapshot.run_id != self._info.run_id:
            return
        self._snapshot = snapshot
        self._collect(snapshot)
        if snapshot.state != "running":
            self.refresh()  # a run that stopped gets its verdict at once
        else:
            self._schedule()

    def _schedule(self) -> None:
        if self.on_show():
            self._refresh.trigger()

    def _collect(self, snapshot) -> None:
        """Append this snapshot's numbers to the sparkline series (cheap: no history copies)."""
        s = self._series
        for r in snapshot.reports:
            s["grad_norm"].append(r.grad_norm)
            s["weight_norm"].append(r.weight_norm)
            s["update_ratio"].append(r.update_ratio)
            s["oscillation"].append(r.train_loss)
        signals = snapshot.extras.get(SIGNALS_PROBE) or {}
        hessian = snapshot.extras.get(HESSIAN_PROBE)
        if snapshot.reports or not s["saturated_share"]:
            s["saturated_share"].append(signals.get("saturated_share", math.nan))
            share = signals.get("dead_relu_share")
            s["dead_relu_share"].append(math.nan if share is None else share)
            if hessian is not None:
                s["lambda_max"].append(hessian.lambda_max)
                s["condition"].append(hessian.condition_number)
                s["lr_bound"].append(hessian.stable_lr_bound)

    # ------------------------------------------------------------- helpers
    def _fill_table(self, signals, hessian) -> None:
        s = signals or {}
        cfg = self._info.config
        values = {
            "grad_norm": _num(s.get("grad_norm")),
            "weight_norm": _num(s.get("weight_norm")),
            "update_ratio": _num(s.get("update_ratio")),
            "saturated_share": _pct(s.get("saturated_share")),
            "dead_relu_share": _pct(s.get("dead_relu_share")),
        }
        osc = s.get("loss_oscillation") or {}
        values["oscillation"] = f"{osc.get('rises', 0)} rises in {osc.get('window', 0)} epochs" + (
            f" (max +{osc['max_rise']:.0%})" if osc.get("rises") else ""
        )
        if hessian is not None:
            values["lambda_max"] = _num(hessian.lambda_max)
            values["condition"] = _num(hessian.condition_number)
            bound = hessian.lr_bound(cfg.optimizer, cfg.momentum, cfg.nesterov)
            lr = s.get("lr", cfg.lr)
            values["lr_bound"] = (
                "none for Adam"
                if bound is None
                else f"{_num(bound)} (lr {_num(lr)} is {'above' if lr > bound else 'below'})"
            )
        for key, text in values.items():
            self.table.item(self._row_of[key], 1).setText(text)
        for key, spark in self._sparks.items():
            spark.set_values(self._series[key])

    def _show_verdicts(self, verdicts, snapshot) -> None:
        old = [(v.code, v.message) for v in self._verdicts]
        self._verdicts = list(verdicts)
        codes = [v.code for v in verdicts]
        for code in [c for c in self._cards if c not in codes]:
            card = self._cards.pop(code)
            self.cards_layout.removeWidget(card)
            card.deleteLater()
        for i, v in enumerate(verdicts):
            card = self._cards.get(v.code)
            if card is None:
                card = self._cards[v.code] = _VerdictCard(v.code, self._on_fix_clicked)
            card.set_verdict(v)
            if self.cards_layout.indexOf(card) != i:
                self.cards_layout.insertWidget(i, card)
        self._set_all_clear(snapshot if not verdicts else False)
        if [(v.code, v.message) for v in verdicts] != old:
            self.verdictsChanged.emit(self.verdicts)

    def _set_all_clear(self, snapshot) -> None:
        if snapshot is False:
            self.all_clear.hide()
            return
        if snapshot is None or snapshot.epoch == 0:
            text = "Train a few epochs: the doctor reads the run as it goes and says what it sees."
        else:
            text = f"No problems found at epoch {snapshot.epoch}."
        self.all_clear.setText(text)
        self.all_clear.show()

    def _on_fix_clicked(self, code: str) -> None:
        verdict = next((v for v in self._verdicts if v.code == code), None)
        if verdict is None:
            return
        if verdict.fix:
            self.apply_fix(verdict.fix)
        elif verdict.code == "imbalanced":
            self.showRequested.emit("metrics")


class _VerdictCard(QFrame):
    """One verdict: a title, the message with its numbers, and the fix button."""

    def __init__(self, code: str, on_fix):
        super().__init__()
        self.code = code
        self.setObjectName(f"verdict_{code}")
        self.title = QLabel(TITLES.get(code, code), objectName="verdictTitle")
        self.title.setStyleSheet("font-weight: bold;")
        self.message = QLabel(objectName="verdictMessage", wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.button = QPushButton(objectName=f"fix_{code}")
        self.button.clicked.connect(lambda: on_fix(code))
        row = QHBoxLayout()
        row.addWidget(self.title, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(3)
        layout.addLayout(row)
        layout.addWidget(self.message)

    def set_verdict(self, verdict) -> None:
        fill, border = _SEVERITY_COLORS.get(verdict.severity, _SEVERITY_COLORS["warning"])
        self.setStyleSheet(
            f"#verdict_{self.code} {{ background: {fill}; border: 1px solid {border}; border-radius: 4px; }}"
        )
        if self.message.text() != verdict.message:
            self.message.setText(verdict.message)
        self.button.setText(verdict.fix_label or "")
        self.button.setVisible(bool(verdict.fix_label))
        self.button.setToolTip(", ".join(f"{k} = {v}" for k, v in (verdict.fix or {}).items()))


class Sparkline(QWidget):
    """A tiny line chart of the last values (NaN gaps skipped), optionally on a log scale."""

    def __init__(self, log: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.log = log
        self._values = np.empty(0)
        self.setMinimumSize(60, 16)

    def values(self) -> np.ndarray:
        return self._values.copy()

    def set_values(self, values) -> None:
        values = np.asarray(values, dtype=np.float64)
        if values.shape == self._values.shape and np.array_equal(values, self._values, equal_nan=True):
            return
        self._values = values
        self.update()

    def paintEvent(self, event) -> None:
        v = self._values
        if self.log:
            v = np.where(v > 0, v, np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.log10(v)
        finite = np.isfinite(v)
        if finite.sum() < 2:
            return
        lo, hi = float(v[finite].min()), float(v[finite].max())
        span = hi - lo if hi > lo else 1.0
        w, h = self.width() - 4, self.height() - 4
        xs = 2 + w * np.arange(len(v)) / max(len(v) - 1, 1)
        ys = 2 + h * (1.0 - (v - lo) / span)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#0072B2"), 1.4))
        painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y, ok in zip(xs, ys, finite) if ok]))
        last = np.flatnonzero(finite)[-1]
        painter.setBrush(QColor("#0072B2"))
        painter.drawEllipse(QPointF(xs[last], ys[last]), 2.0, 2.0)
        painter.end()


def _num(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "\u221e"
    text = f"{x:.3g}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"
    return text.replace("-", _MINUS)


def _pct(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{100.0 * x:.1f} %"
