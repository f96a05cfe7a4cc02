"""How good is the current model: accuracy, log-loss, a confusion matrix, and the learned equation.

Metrics are computed from a snapshot's weights on the run's dataset with :mod:`engine.metrics`, at
most once per snapshot, and not at all while the panel is hidden (the newest request is kept and
computed when the panel is shown). While training runs, at most :data:`LIVE_RATE` times a second:
a table of numbers changing 30 times a second cannot be read anyway, and the GUI thread's time
goes to the pictures (benchmarks/gui_bench.py). Every point's logits come from the training
thread's point probe, else from one forward pass (:mod:`lab_app.training.point_logits`); for big
data that pass and the numbers are computed in a background task.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.equation import equation_text
from engine.losses import cross_entropy
from engine.metrics import accuracy, confusion_matrix, predictions
from lab_app.tasks import TaskRunner
from lab_app.training.point_logits import PointLogits, probed_logits
from lab_app.widgets.point_sample import POINT_BUDGET
from lab_app.widgets.run_caption import offer_test_split, run_caption
from lab_app.widgets.tables import fit_height, number_table

__all__ = ["LIVE_RATE", "MetricsView"]

SPLITS = ("training", "test", "all")
#: Live updates (``update_metrics(..., throttle=True)``) computed per second, at most.
LIVE_RATE = 5.0
_MINUS = "\u2212"
_DASH = "\u2014"


class MetricsView(QWidget):
    """Accuracy and log-loss (train/test), a confusion matrix (rows true, columns predicted) and,
    for models without hidden layers, the learned equation and coefficients in original units."""

    #: The numbers were computed again (for the weights of the newest request).
    computed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("metricsView")
        self._pending = None  # (run_info, snapshot, document) not yet computed
        self._model = None
        self._model_run = None
        self._points = PointLogits()  # small data, this thread
        self._background = PointLogits()  # big data: called by the runner's tasks only
        self._runner = TaskRunner(self, name="logit-lab-metrics")  # a newer request supersedes
        self._runner.resultReady.connect(self._on_scores)
        self._waiting = None  # (run_info, snapshot) whose numbers the runner computes
        self._last_compute = -math.inf
        self._live_timer = QTimer(self, singleShot=True, timeout=self._compute_pending)
        self.values: dict[str, float | None] = {}
        self._build()

    # ------------------------------------------------------------ public API
    def update_metrics(self, run_info, snapshot, document=None, *, throttle: bool = False) -> None:
        """Compute the metrics of ``snapshot.params`` on ``run_info.dataset`` (now, or when shown).

        ``throttle=True`` (live training): at most :data:`LIVE_RATE` computations a second; a
        request that comes sooner is kept and computed when its turn comes. Either way the newest
        request wins, so a later unthrottled one (an earlier epoch on show) replaces a kept one.
        """
        self._pending = (run_info, snapshot, document)
        if not self.isVisible():
            return
        wait = self._last_compute + 1.0 / LIVE_RATE - time.monotonic()
        if throttle and wait > 0:
            if not self._live_timer.isActive():
                self._live_timer.start(max(1, math.ceil(1000 * wait)))
            return
        self._compute()

    def clear(self) -> None:
        self._runner.cancel(quiet=True)
        self._pending = self._waiting = None
        self.values = {}
        for label in self._value_labels.values():
            label.setText(_DASH)
        self.confusion_table.setRowCount(0)
        self.confusion_table.setColumnCount(0)
        self.coef_table.setRowCount(0)
        self.equation_label.setText("")
        self.caption_label.setText("No model yet: press Train.")

    # ------------------------------------------------------------- building
    def _build(self) -> None:
        bold = QFont()
        bold.setBold(True)
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(4)
        for col, text in ((1, "training"), (2, "test")):
            head = QLabel(text)
            head.setFont(bold)
            head.setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(head, 0, col)
        self._value_labels: dict[str, QLabel] = {}
        for row, (key, text, tip) in enumerate(
            (
                ("accuracy", "accuracy", "share of points whose most probable class is their label"),
                ("log_loss", "log-loss", "mean cross-entropy −log P(true class); lower is better"),
            ),
            start=1,
        ):
            name = QLabel(text)
            name.setToolTip(tip)
            grid.addWidget(name, row, 0)
            for col, split in ((1, "train"), (2, "test")):
                label = QLabel(_DASH, objectName=f"metrics{split.title()}{''.join(w.title() for w in key.split('_'))}")
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                grid.addWidget(label, row, col)
                self._value_labels[f"{split}_{key}"] = label
        grid.setColumnStretch(3, 1)

        self.caption_label = QLabel("No model yet: press Train.", objectName="metricsCaption")
        self.caption_label.setStyleSheet("color: #555;")

        self.split_combo = QComboBox(objectName="metricsConfusionSplit")
        self.split_combo.addItems(SPLITS)
        self.split_combo.setToolTip("Which points the confusion matrix counts")
        self.split_combo.currentIndexChanged.connect(lambda _: self._fill_confusion())
        confusion_head = QHBoxLayout()
        title = QLabel("Confusion matrix")
        title.setToolTip("Rows: true class. Columns: predicted class.")
        title.setFont(bold)
        confusion_head.addWidget(title)
        hint = QLabel("rows true, columns predicted")
        hint.setStyleSheet("color: #555;")
        confusion_head.addWidget(hint)
        confusion_head.addStretch(1)
        confusion_head.addWidget(QLabel("points:"))
        confusion_head.addWidget(self.split_combo)
        self.confusion_table = number_table("metricsConfusion")
        self.confusion_table.setToolTip("Rows: true class. Columns: predicted class.")

        eq_title = QLabel("Learned equation (original units)")
        eq_title.setFont(bold)
        self._eq_title = eq_title
        self.equation_label = QLabel(objectName="metricsEquation", wordWrap=True)
        self.equation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._mono = QFont("monospace")
        self._mono.setStyleHint(QFont.StyleHint.Monospace)
        self.coef_table = number_table("metricsCoefficients")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(6)
        layout.addLayout(grid)
        layout.addWidget(self.caption_label)
        layout.addSpacing(4)
        layout.addLayout(confusion_head)
        layout.addWidget(self.confusion_table)
        layout.addSpacing(4)
        layout.addWidget(eq_title)
        layout.addWidget(self.equation_label)
        layout.addWidget(self.coef_table)
        layout.addStretch(1)

    # ------------------------------------------------------------ computing
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._pending is not None:
            self._compute()

    def _compute_pending(self) -> None:
        if self._pending is not None and self.isVisible():
            self._compute()

    def _compute(self) -> None:
        self._live_timer.stop()
        self._last_compute = time.monotonic()
        run_info, snapshot, document = self._pending
        self._pending = None
        if self._model_run is not run_info:
            self._model = run_info.model.copy()
            self._model_run = run_info
        self._names = _class_names(self._model.classes, document)  # classes may have been renamed
        self._model.network.params[...] = snapshot.params
        ds = run_info.dataset
        split = np.asarray(run_info.train_idx, dtype=np.int64), np.asarray(run_info.test_idx, dtype=np.int64)
        logits = probed_logits(run_info, snapshot)
        if ds.n_samples > POINT_BUDGET:  # big data: the logits (unless probed) and the numbers in the background
            if logits is None:
                logits = functools.partial(self._background, run_info.model, ds.X, np.array(snapshot.params))
            self._waiting = (run_info, snapshot)
            self._runner.start(_scores, logits, ds.y, *split, len(self._names))
            return
        self._runner.cancel(quiet=True)  # an older background result must not come after this one
        if logits is None:
            logits = self._points(run_info.model, ds.X, snapshot.params)
        self._show(run_info, snapshot, _scores(logits, ds.y, *split, len(self._names)))

    def _on_scores(self, scores: tuple) -> None:
        """The background computation over big data is done: show its numbers."""
        run_info, snapshot = self._waiting
        self._waiting = None
        self._show(run_info, snapshot, scores)

    def _show(self, run_info, snapshot, scores: tuple) -> None:
        """Fill the panel with ``scores`` (:func:`_scores`) of ``snapshot.params`` on ``run_info``'s points."""
        values, self._confusions = scores
        train_idx, test_idx = run_info.train_idx, run_info.test_idx
        self.values = values
        for key, label in self._value_labels.items():
            v = values[key]
            if v is None or not math.isfinite(v):
                label.setText(_DASH)
            elif key.endswith("accuracy"):
                label.setText(f"{100 * v:.1f} %")
            else:
                label.setText(f"{v:.4f}")
        self.caption_label.setText(
            run_caption(
                getattr(run_info, "model_name", ""), getattr(snapshot, "epoch", None), len(train_idx), len(test_idx)
            )
        )
        offer_test_split(self.split_combo, len(test_idx) > 0)
        self._fill_confusion()
        self._fill_equation()
        self.computed.emit()

    def _fill_confusion(self) -> None:
        if not hasattr(self, "_confusions"):
            return
        cm = self._confusions[SPLITS[self.split_combo.currentIndex()]]
        k = len(cm)
        table = self.confusion_table
        if table.rowCount() != k:
            table.setRowCount(k)
            table.setColumnCount(k)
        table.setVerticalHeaderLabels([f"{n}" for n in self._names])
        table.setHorizontalHeaderLabels([f"→ {n}" for n in self._names])
        row_totals = np.maximum(cm.sum(axis=1), 1)
        for i in range(k):
            for j in range(k):
                item = table.item(i, j)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                    table.setItem(i, j, item)
                item.setText(str(int(cm[i, j])))
                share = cm[i, j] / row_totals[i]
                base = (0, 158, 115) if i == j else (213, 94, 0)  # Okabe–Ito green right, vermillion wrong
                alpha = int(round(150 * share)) if cm[i, j] else 0
                item.setBackground(QColor(*base, alpha))
        fit_height(table)

    def _fill_equation(self) -> None:
        model = self._model
        linear = model.is_linear
        # Visibility and fonts only when they change: each change re-lays the panel out.
        for w, want in ((self._eq_title, True), (self.equation_label, True), (self.coef_table, linear)):
            if w.isHidden() == want:
                w.setVisible(want)
        font = self._mono if linear else self.font()
        if self.equation_label.font() != font:
            self.equation_label.setFont(font)
        if not linear:
            self._eq_title.setText("Learned equation")
            self.equation_label.setText("A network with hidden layers has no single equation; see the boundary view.")
            return
        self._eq_title.setText("Learned equation (original units)")
        self.equation_label.setText(equation_text(model, digits=4))
        coef, intercept = model.coef_intercept()
        names = ["intercept", *model.feature_names]
        cols = [f"logit P({self._names[-1]})"] if coef.shape[0] == 1 else [f"z[{n}]" for n in self._names]
        table = self.coef_table
        table.setRowCount(len(names))
        table.setColumnCount(len(cols))
        table.setVerticalHeaderLabels(names)
        table.setHorizontalHeaderLabels(cols)
        values = np.column_stack([intercept, coef]).T  # (1 + n_features, n_logits)
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                item = table.item(i, j)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                    table.setItem(i, j, item)
                item.setText(f"{values[i, j]:.4g}".replace("-", _MINUS))
        fit_height(table)


def _scores(
    logits, y: np.ndarray, train_idx: np.ndarray, test_idx: np.ndarray, n_classes: int, progress=None, cancelled=None
):
    """``(values, confusions)``: accuracy and log-loss of each split ({"train_accuracy": …}, None
    for an empty split) and the (k, k) confusion matrix of each of :data:`SPLITS`, from ``logits``
    (n, n_outputs) or a function computing them (a plain function: it may run in a
    :class:`~lab_app.tasks.TaskRunner`; every step is O(points), so big data never do it on the
    GUI thread)."""
    logits = logits() if callable(logits) else logits
    pred = predictions(logits)
    values: dict[str, float | None] = {}
    for split, idx in (("train", train_idx), ("test", test_idx)):
        if len(idx):
            values[f"{split}_accuracy"] = accuracy(y[idx], pred[idx])
            values[f"{split}_log_loss"] = cross_entropy(logits[idx], y[idx])
        else:
            values[f"{split}_accuracy"] = values[f"{split}_log_loss"] = None
    rows = {"training": train_idx, "test": test_idx, "all": slice(None)}
    confusions = {name: confusion_matrix(y[rows[name]], pred[rows[name]], n_classes) for name in SPLITS}
    return values, confusions


def _class_names(classes, document) -> list[str]:
    names = []
    for c in classes:
        if document is not None:
            try:
                names.append(document.classes[document.class_index(c)].name)
                continue
            except (KeyError, IndexError):
                pass
        names.append(str(int(c)) if isinstance(c, float) and c.is_integer() else str(c))
    return names
