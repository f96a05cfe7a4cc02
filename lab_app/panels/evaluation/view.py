"""How good is the classifier beyond accuracy: ROC and precision–recall curves (with AUC and
average precision), a reliability diagram with the Brier score, and the confusion matrix,
precision, recall and F1 at a decision threshold the user chooses with a slider.

The numbers are :func:`engine.evaluation.evaluate`'s, of the run's points under the weights on
show (the view state's frame): the training thread's point probe when it fits, else a forward
pass (:mod:`lab_app.training.point_logits`; of big data in the background task that computes the
curves). Nothing is computed while the panel is hidden (it
catches up when shown, :class:`~lab_app.widgets.shown.CatchUpWhenShown`), and while training runs
at most :data:`LIVE_RATE` times a second. The threshold belongs to the view state: the slider
writes :meth:`ViewState.set_threshold`, and the panel (like the boundary view) follows
``thresholdChanged``; a new threshold recomputes only the scores, not the curves.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.evaluation import at_threshold, evaluate
from lab_app.panels.evaluation.curves import CurvePlots
from lab_app.tasks import Debouncer, TaskRunner
from lab_app.training.point_logits import PointLogits, probed_logits
from lab_app.widgets import palette
from lab_app.widgets.run_caption import offer_test_split, run_caption
from lab_app.widgets.shown import CatchUpWhenShown
from lab_app.widgets.tables import fit_height, number_table

__all__ = ["LIVE_RATE", "EvaluationView"]

#: Live computations per second, at most, while training runs.
LIVE_RATE = 5.0
#: The slider's steps: t = step / STEPS, from 0.01 to 0.99.
STEPS = 100
#: Up to this many points the logits and curves are computed at once (~3 ms per 10,000); more go
#: to a background task, so the GUI thread never evaluates or sorts a million (docs/design.md §8).
SYNC_POINTS = 20_000
#: Splits with fewer points get 5 reliability bins instead of 10 (scikit-learn's default is 5):
#: ten bins of a hundred points are mostly noise.
FEW_POINTS = 200
_SPLITS = ("train", "test")
_DASH = "\u2014"


class EvaluationView(CatchUpWhenShown, QWidget):
    """ROC, precision–recall and reliability curves of the run's training and test points, and the
    scores at the view state's threshold.

    Parameters
    ----------
    view_state : :class:`lab_app.view_state.ViewState`; its threshold is the slider's.

    Attributes
    ----------
    evaluations : {"train" | "test": :class:`engine.evaluation.Evaluation`} of the last computation
        (a split without points is absent).
    reports : {"train" | "test": ThresholdReport} at the current threshold (binary runs).
    threshold_slider, split_combo, confusion_table, scores_table, plots (:class:`CurvePlots`).
    """

    #: The curves and scores were computed again.
    computed = Signal()

    def __init__(self, view_state, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("evaluationView")
        self._view_state = view_state
        self._pending = None  # (run_info, frame, document) not yet computed
        self._points = PointLogits()  # small data, this thread
        self._background = PointLogits()  # big data: called by the runner's tasks only
        self._logits: dict[str, np.ndarray] = {}
        self._y: dict[str, np.ndarray] = {}
        self._names: list[str] = []
        self._colors: list = []
        self.evaluations: dict = {}
        self.reports: dict = {}
        self._catch_up = Debouncer(0, self._compute_pending, parent=self)
        self._live = Debouncer.throttle(int(1000 / LIVE_RATE), self._compute_pending, leading=True, parent=self)
        self._runner = TaskRunner(self, name="logit-lab-evaluation")  # a newer frame supersedes
        self._runner.resultReady.connect(self._show_evaluations)
        self._build()
        view_state.thresholdChanged.connect(self._on_threshold)

    # ------------------------------------------------------------ public API
    @property
    def threshold(self) -> float:
        return self._view_state.threshold

    def update_frame(self, run_info, frame, document=None, *, throttle: bool = False) -> None:
        """Evaluate ``frame.params`` on ``run_info``'s points (now, at most :data:`LIVE_RATE` times a
        second with ``throttle``, or once shown). The newest request wins."""
        self._pending = (run_info, frame, document)
        if not self.on_show():
            return
        if throttle:
            self._live.trigger()
        else:
            self._live.cancel()
            self._compute_pending()

    def clear(self) -> None:
        self._runner.cancel(quiet=True)
        self._pending = None
        self._logits, self._y, self.evaluations, self.reports = {}, {}, {}, {}
        self.plots.clear()
        self.confusion_table.setRowCount(0)
        self.scores_table.setRowCount(0)
        self.caption_label.setText("No model yet: press Train.")

    # ------------------------------------------------------------- building
    def _build(self) -> None:
        bold = QFont()
        bold.setBold(True)
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal, objectName="evaluationThreshold")
        self.threshold_slider.setRange(1, STEPS - 1)
        self.threshold_slider.setValue(round(self.threshold * STEPS))
        self.threshold_slider.setToolTip("Predict the positive (last) class where its probability exceeds t")
        self.threshold_slider.valueChanged.connect(lambda v: self._view_state.set_threshold(v / STEPS))
        self.threshold_label = QLabel(objectName="evaluationThresholdLabel")
        self.threshold_label.setFont(bold)
        self.threshold_label.setMinimumWidth(60)
        self.note_label = QLabel(objectName="evaluationNote", wordWrap=True)
        self.note_label.setStyleSheet("color: #555;")
        self.split_combo = QComboBox(objectName="evaluationSplit")
        self.split_combo.addItems(["training", "test"])
        self.split_combo.setToolTip("Which points the table (and softmax runs' curves) count")
        self.split_combo.currentIndexChanged.connect(lambda _: self._fill())
        head = QHBoxLayout()
        head.addWidget(QLabel("threshold"))
        head.addWidget(self.threshold_slider, 1)
        head.addWidget(self.threshold_label)
        head.addSpacing(12)
        head.addWidget(QLabel("points:"))
        head.addWidget(self.split_combo)

        self.plots = CurvePlots()
        plots = QHBoxLayout()
        plots.setSpacing(4)
        for widget in self.plots.widgets.values():
            plots.addWidget(widget, 1)

        self.caption_label = QLabel("No model yet: press Train.", objectName="evaluationCaption")
        self.caption_label.setStyleSheet("color: #555;")
        title = QLabel("Confusion matrix")
        title.setFont(bold)
        title.setToolTip("Rows: true class. Columns: predicted class.")
        self.confusion_table = _table("evaluationConfusion")
        self.scores_table = _table("evaluationScores")
        # The tables scroll rather than set the dock's least height (it shares a row with Loss).
        side_widget = QWidget()
        side = QVBoxLayout(side_widget)
        side.setContentsMargins(0, 0, 4, 0)
        side.addWidget(title)
        side.addWidget(self.confusion_table)
        side.addWidget(self.scores_table)
        side.addStretch(1)
        scroll = QScrollArea(objectName="evaluationTables", widgetResizable=True)
        scroll.setWidget(side_widget)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(150)
        body = QHBoxLayout()
        body.addLayout(plots, 3)
        body.addWidget(scroll, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.note_label)
        layout.addLayout(body, 1)
        layout.addWidget(self.caption_label)
        self._show_threshold(self.threshold)
        self.note_label.hide()

    # ------------------------------------------------------------ computing
    def _compute_pending(self) -> None:
        if self._pending is not None and self.on_show():
            self._compute()

    def _compute(self) -> None:
        run_info, frame, document = self._pending
        self._pending = None
        ds = run_info.dataset
        model = run_info.model
        binary = model.network.n_classes == 2
        self._names, self._colors = _classes(model.classes, document)
        splits = {
            split: np.asarray(idx, dtype=np.int64)
            for split, idx in (("train", run_info.train_idx), ("test", run_info.test_idx))
            if len(idx)
        }
        self.threshold_slider.setEnabled(binary)
        self.note_label.setVisible(not binary)
        if not binary:
            self.note_label.setText(
                "Softmax: each point is predicted as its most probable class, so there is no single "
                "threshold; the curves are one class against the rest."
            )
        offer_test_split(self.split_combo, "test" in splits)
        self.caption_label.setText(
            run_caption(
                getattr(run_info, "model_name", ""),
                getattr(frame, "epoch", None),
                len(run_info.train_idx),
                len(run_info.test_idx),
            )
        )
        logits = probed_logits(run_info, frame)
        if logits is None:
            logits = functools.partial(
                self._points if ds.n_samples <= SYNC_POINTS else self._background, model, ds.X, np.array(frame.params)
            )
        if ds.n_samples <= SYNC_POINTS:
            self._runner.cancel(quiet=True)  # an older background result must not come after this one
            self._show_evaluations(_evaluate_splits(splits, ds.y, logits, self.threshold))
        else:
            self._runner.start(_evaluate_splits, splits, ds.y, logits, self.threshold)

    def _show_evaluations(self, result: _Evaluated) -> None:
        self._logits, self._y, evaluations = result
        self.evaluations = evaluations
        t = self.threshold  # it may have moved while a background task computed
        self.reports = {
            s: (e.report if e.report.threshold == t else at_threshold(self._y[s], self._logits[s], t))
            for s, e in evaluations.items()
            if e.report is not None
        }
        self._fill()
        self.computed.emit()

    def _on_threshold(self, t: float) -> None:
        """The view state's threshold moved (this slider or anyone): new scores, same curves."""
        self._show_threshold(t)
        if not self.reports or self._runner.busy:  # a background result takes the new threshold
            return
        self.reports = {s: at_threshold(self._y[s], self._logits[s], t) for s in self.reports}
        self._fill()
        self.computed.emit()

    def _show_threshold(self, t: float) -> None:
        value = round(t * STEPS)
        if self.threshold_slider.value() != value:
            self.threshold_slider.blockSignals(True)  # the view state already has it
            self.threshold_slider.setValue(value)
            self.threshold_slider.blockSignals(False)
        self.threshold_label.setText(f"t = {t:.2f}")

    # ------------------------------------------------------------- drawing
    def _split(self) -> str:
        return _SPLITS[self.split_combo.currentIndex()]

    def _fill(self) -> None:
        if not self.evaluations:
            return
        split = self._split() if self._split() in self.evaluations else "train"
        e = self.evaluations.get(split)
        if e is None or e.n_classes != len(self._names):  # a new run's classes, its curves still computing
            return
        if e.n_classes == 2:
            self.plots.draw_binary(self.evaluations)
            self.plots.mark(self.reports)
            self.plots.set_reliability_title(f"Reliability of P({self._names[-1]})")
            report = self.reports[split]
            self._fill_confusion(report.confusion)
            rows = [
                ("precision", report.precision),
                ("recall", report.recall),
                ("F1", report.f1),
                ("false-positive rate", report.fpr),
            ]
            self._fill_scores([f"at t = {report.threshold:.2f}"], [name for name, _ in rows], [[v] for _, v in rows])
        else:
            self.plots.draw_classes(e, self._names, self._colors)
            self._fill_confusion(e.confusion)
            s = e.scores
            values = np.column_stack([s.precision, s.recall, s.f1, s.support]).tolist()
            self._fill_scores(["precision", "recall", "F1", "support"], self._names, values)

    def _fill_confusion(self, cm: np.ndarray) -> None:
        names, k = self._names, len(self._names)
        table = self.confusion_table
        table.setRowCount(k)
        table.setColumnCount(k)
        table.setVerticalHeaderLabels(names)
        table.setHorizontalHeaderLabels([f"→ {n}" for n in names])
        row_totals = np.maximum(cm.sum(axis=1), 1)
        for i in range(k):
            for j in range(k):
                item = _item(table, i, j)
                item.setText(str(int(cm[i, j])))
                base = (0, 158, 115) if i == j else (213, 94, 0)  # as the Metrics panel: green right, vermillion wrong
                item.setBackground(QColor(*base, int(round(150 * cm[i, j] / row_totals[i])) if cm[i, j] else 0))
        fit_height(table)

    def _fill_scores(self, columns: list, rows: list, values: list) -> None:
        table = self.scores_table
        table.setRowCount(len(rows))
        table.setColumnCount(len(columns))
        table.setHorizontalHeaderLabels(columns)
        table.setVerticalHeaderLabels(rows)
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                text = _DASH if not np.isfinite(v) else (str(int(v)) if columns[j] == "support" else f"{v:.3f}")
                _item(table, i, j).setText(text)
        fit_height(table)


class _Evaluated(NamedTuple):
    """{split: logits}, {split: y} and {split: Evaluation} of the splits with points."""

    logits: dict
    y: dict
    evaluations: dict


def _evaluate_splits(splits: dict, y: np.ndarray, logits, threshold: float, progress=None, cancelled=None):
    """:class:`_Evaluated` of the rows ``splits`` {split: (k,) indices} of labels ``y`` (n,) and
    ``logits`` (n, n_outputs), or a function computing them (a plain function: it may run in a
    :class:`~lab_app.tasks.TaskRunner`)."""
    logits = logits() if callable(logits) else logits
    out = _Evaluated({s: logits[idx] for s, idx in splits.items()}, {s: y[idx] for s, idx in splits.items()}, {})
    for split in splits:
        if progress is not None:
            progress(split)  # raises TaskCancelled once superseded
        n_bins = 5 if len(out.y[split]) < FEW_POINTS else 10
        out.evaluations[split] = evaluate(out.y[split], out.logits[split], threshold, n_bins=n_bins)
    return out


def _classes(classes, document) -> tuple[list[str], list]:
    """Names and colours of the model's ``classes``: the document's where it has the class."""
    names, colors = [], []
    for i, c in enumerate(classes):
        if document is not None:
            try:
                info = document.classes[document.class_index(c)]
                names.append(info.name)
                colors.append(QColor(info.color))
                continue
            except (KeyError, IndexError):
                pass
        names.append(str(int(c)) if isinstance(c, float) and c.is_integer() else str(c))
        colors.append(palette.qcolor(i))
    return names, colors


def _item(table: QTableWidget, i: int, j: int) -> QTableWidgetItem:
    item = table.item(i, j)
    if item is None:
        item = QTableWidgetItem()
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        table.setItem(i, j, item)
    return item


def _table(name: str) -> QTableWidget:
    table = number_table(name)
    fit_height(table)
    return table
