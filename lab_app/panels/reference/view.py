"""The Reference optimum dock's widget: the optimum beside the learned weights, live.

The fit runs as a :class:`lab_app.tasks.TaskRunner` task (:func:`compute_reference`); the
"learned" column follows training at most every :data:`REFRESH_MS` while the dock is on show.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.losses import cross_entropy, penalty
from engine.reference import Reference, separation_in_history
from lab_app.panels.reference.compute import ReferenceResult, compute_reference
from lab_app.panels.reference.format import DASH, fixed, make_table, p_value, sci
from lab_app.tasks import Debouncer, TaskRunner
from lab_app.widgets.shown import CatchUpWhenShown
from lab_app.widgets.splitter import AdaptiveSplitter

__all__ = ["REFRESH_MS", "SEPARATION_WINDOW", "ReferenceView"]

#: Epochs of 100 % training accuracy with a rising ‖w‖ that count as separation seen in training
#: (the doctor uses the same window).
SEPARATION_WINDOW = 20
#: Milliseconds between refreshes of the "learned" column while training runs.
REFRESH_MS = 200
SEPARATION_FIX = {"l2": 0.001}
_COLUMNS = ("Term", "Learned", "Optimum", "Difference", "Std. error", "z value", "Pr(>|z|)")
_STATS = ("Log-likelihood", "Deviance", "AIC", "Objective", "L \u2212 L*")


class ReferenceView(CatchUpWhenShown, QWidget):
    """The reference optimum of the current run beside the learned weights.

    Parameters
    ----------
    controller : :class:`lab_app.training.TrainingController` (runStarted, progress, history).

    Signals
    -------
    resultReady(ReferenceResult) : the current run's optimum arrived.
    fixRequested(dict) : the separation banner's button (``TrainConfig`` changes).
    optimumChanged(object) : the optimum's flat weights (for the dashed contour), or None.
    referenceLossChanged(object, float) : the optimum's objective L* (None: none) and the floor
        below which L − L* is rounding (for the loss plot's ``L − L*`` tab).
    """

    resultReady = Signal(object)
    fixRequested = Signal(object)
    optimumChanged = Signal(object)
    referenceLossChanged = Signal(object, float)

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("referenceView")
        self._controller = controller
        self._token = 0
        self._info = None
        self._result: ReferenceResult | None = None
        self._snapshot = None
        self._tail: deque = deque(maxlen=SEPARATION_WINDOW)  # (accuracy, ‖w‖) of the last epochs
        self._history_norms: tuple[float, float] | None = None  # ‖w‖ over the window, once separation shows
        self._fits = TaskRunner(self, name="logit-lab-reference")  # a newer request supersedes
        self._fits.resultReady.connect(self._show_result)
        self._refresh = Debouncer.throttle(REFRESH_MS, self._refresh_learned, parent=self)
        self._catch_up = Debouncer(0, self._fill, parent=self)
        self._build()
        controller.runStarted.connect(self._on_run_started)
        controller.progress.connect(self._on_progress)
        controller.dataResnapshotted.connect(self._on_data_resnapshotted)

    # ------------------------------------------------------------ public API
    @property
    def result(self) -> ReferenceResult | None:
        """The current run's optimum (None while it is being computed)."""
        return self._result

    @property
    def separation_shown(self) -> bool:
        return not self.banner.isHidden()

    def table_text(self) -> list[dict[str, str]]:
        """The coefficient table as ``[{column title: cell text}]`` (tests, export)."""
        rows = []
        for r in range(self.table.rowCount()):
            rows.append(
                {
                    _COLUMNS[c]: (self.table.item(r, c).text() if self.table.item(r, c) else "")
                    for c in range(len(_COLUMNS))
                }
            )
        return rows

    def stats_text(self) -> dict[str, tuple[str, str]]:
        """``{statistic: (learned text, optimum text)}`` of the statistics table."""
        return {_STATS[r]: tuple(self.stats.item(r, c).text() for c in range(2)) for r in range(self.stats.rowCount())}

    def recompute(self) -> None:
        """Fit the optimum of the controller's current run again (in the background)."""
        info = self._controller.run_info
        if info is not None:
            self._request(info)

    def shutdown(self) -> None:
        """Drop queued fits and wait for a running one (the window is closing)."""
        self._fits.shutdown()

    # ------------------------------------------------------------- building
    def _build(self) -> None:
        self.header = QLabel(objectName="referenceHeader", wordWrap=True)
        self.header.setStyleSheet("color: #555;")
        self.units_combo = QComboBox(objectName="referenceUnits")
        self.units_combo.addItems(["original units", "standardized units"])
        self.units_combo.setToolTip(
            "Coefficients on the mapped features as given, or on the "
            "standardized features the optimizer (and the penalty) sees"
        )
        self.units_combo.currentIndexChanged.connect(lambda _i: self._fill())
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.units_combo, 0, Qt.AlignmentFlag.AlignTop)

        self.banner = QWidget(objectName="separationBanner")
        self.banner.setStyleSheet(
            "#separationBanner { background: #fff4e0; border: 1px solid #e0a040; border-radius: 4px; }"
        )
        self.banner_label = QLabel(wordWrap=True, objectName="separationText")
        self.banner_button = QPushButton("Add L2 = 0.001", objectName="separationFix")
        self.banner_button.clicked.connect(lambda: self.fixRequested.emit(dict(SEPARATION_FIX)))
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(self.banner_label, 1)
        row.addWidget(self.banner_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.banner.hide()
        self.note = QLabel(objectName="referenceNote", wordWrap=True)
        self.note.setStyleSheet("color: #8a5a00;")
        self.note.hide()

        self.table = make_table("referenceTable", _COLUMNS)
        self.stats = make_table("referenceStats", ("Learned", "Optimum"))
        self.stats.setRowCount(len(_STATS))
        self.stats.setVerticalHeaderLabels(list(_STATS))
        self.stats.verticalHeader().setVisible(True)
        # Side by side they need about 760 px; narrower, the statistics go under the coefficients.
        self._split = split = AdaptiveSplitter(760, objectName="referenceSplitter")
        split.addWidget(self.table)
        split.addWidget(self.stats)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        self.header.setText("No run yet.")

    # ------------------------------------------------------------ reactions
    def _on_run_started(self, info) -> None:
        self._tail.clear()
        self._history_norms = None
        self._snapshot = None
        self._request(info)

    def _on_data_resnapshotted(self, _epoch: int) -> None:
        # The run now trains on edited points: its optimum moved.
        self.recompute()

    def _request(self, info) -> None:
        self._token += 1
        self._info = info
        self._result = None
        self._publish(None)
        self.banner.hide()
        self.table.setRowCount(0)
        if not info.model.is_linear:
            self._fits.cancel(quiet=True)  # a fit for an older run is not worth finishing
            self._show_result(compute_reference(info, self._token))  # instant: nothing to fit
            return
        self.header.setText("Computing the exact optimum…")
        self.note.hide()
        self._fits.start(_fit, info, self._token)

    def _show_result(self, result: ReferenceResult) -> None:
        self._result = result
        if result.status != "ok":
            self.header.setText(
                "No reference optimum." if result.status == "error" else "Reference optimum: not for neural networks."
            )
            self._set_note(result.message)
            self._publish(None)
            self._fill()
            self.resultReady.emit(result)
            return
        ref, info = result.reference, self._info
        what = "logistic" if info.model.network.n_classes == 2 else "softmax"
        penalty = f"L2 = {ref.l2:g}" if ref.l2 else "no penalty"
        self.header.setText(
            f"Exact optimum of {what} regression ({penalty}) on {result.n_rows:,} training rows: "
            f"scikit-learn newton-cg, {ref.n_iter} iterations, {result.seconds * 1000:.0f} ms. "
            "Dashed on the decision boundary; L \u2212 L* in the Loss dock."
        )
        self._set_note(result.message)
        self._publish(None if result.separable else result)
        self._update_banner()
        self._fill()
        self.resultReady.emit(result)

    def _on_progress(self, snapshot) -> None:
        info = self._info
        if info is None or snapshot.run_id != info.run_id:
            return
        self._snapshot = snapshot
        if self._history_norms is None and snapshot.reports:
            self._tail.extend((r.train_accuracy, r.weight_norm) for r in snapshot.reports)
            self._check_history()
        if snapshot.state != "running":
            self._refresh.fire()
        else:
            self._refresh.trigger()

    def _refresh_learned(self) -> None:
        if self.on_show() or (self._snapshot is not None and self._snapshot.state != "running"):
            self._fill()

    # ------------------------------------------------------------- helpers
    def _publish(self, result: ReferenceResult | None) -> None:
        """Announce the optimum (or None): the window hands it to the boundary and loss views."""
        self.optimumChanged.emit(None if result is None else result.params)
        if result is None:
            self.referenceLossChanged.emit(None, 0.0)
        else:
            floor = float(np.finfo(self._info.config.dtype).eps) * max(abs(result.reference.objective), 1e-6)
            self.referenceLossChanged.emit(result.reference.objective, floor)

    def _check_history(self) -> None:
        cfg = self._info.config
        if not self._info.model.is_linear or len(self._tail) < SEPARATION_WINDOW:
            return
        accuracy, norms = zip(*self._tail)
        if separation_in_history(accuracy, norms, l2=cfg.l2, l1=cfg.l1, window=SEPARATION_WINDOW):
            self._history_norms = (norms[0], norms[-1])
            self._update_banner()
            self._publish(None)  # the optimum shown so far does not exist
            self._fill()

    def _update_banner(self) -> None:
        result = self._result
        by_data = result is not None and result.separable
        by_history = self._history_norms is not None
        if not (by_data or by_history):
            self.banner.hide()
            return
        evidence = []
        if by_data:
            evidence.append(
                "a straight line in these features splits the training classes "
                f"perfectly (‖w‖ grows from {result.separation.weight_norms[0]:.3g} to "
                f"{result.separation.weight_norms[-1]:.3g} as the penalty shrinks)"
            )
        if by_history:
            a, b = self._history_norms
            evidence.append(f"training accuracy is 100 % and ‖w‖ keeps growing ({a:.3g} → {b:.3g})")
        evidence = "; ".join(evidence)
        self.banner_label.setText(
            "<b>The unpenalised optimum does not exist.</b> "
            + evidence[0].upper()
            + evidence[1:]
            + ". The loss keeps falling as the weights grow for ever, so the fitted probabilities "
            "become numerically 0 or 1 — R's glm warns \u201cfitted probabilities numerically 0 or "
            "1 occurred\u201d. Add a little L2, or use early stopping, for a finite answer."
        )
        self.banner.show()

    def _set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def _fill(self) -> None:
        """Rebuild both tables from the result and the newest snapshot's weights."""
        result, info = self._result, self._info
        if result is None or result.status != "ok" or info is None:
            self.table.setRowCount(0)
            for r in range(self.stats.rowCount()):
                for c in range(2):
                    self.stats.setItem(r, c, QTableWidgetItem(""))
            return
        standardized = self.units_combo.currentIndex() == 1
        self.units_combo.setEnabled(bool(info.config.standardize))
        ref = result.reference
        coef, icpt = (ref.coef_std, ref.intercept_std) if standardized else (ref.coef, ref.intercept)
        glm = result.glm_std if standardized else result.glm
        learned = self._learned(standardized)
        missing = result.separable or self._history_norms is not None
        names = info.model.feature_names
        classes = [str(c) for c in info.model.classes]
        rows = []
        for k in range(coef.shape[0]):
            prefix = "" if coef.shape[0] == 1 else f"{classes[k]}: "
            terms = [("(Intercept)", icpt[k], None if learned is None else learned[1][k])]
            terms += [(name, coef[k, j], None if learned is None else learned[0][k, j]) for j, name in enumerate(names)]
            for i, (name, opt, got) in enumerate(terms):
                se = z = p = None
                if glm is not None and not missing:
                    se, z, p = glm.std_errors[i], glm.z_values[i], glm.p_values[i]
                rows.append((prefix + name, got, None if missing else opt, se, z, p))
        self.table.setRowCount(len(rows))
        for r, (name, got, opt, se, z, p) in enumerate(rows):
            diff = None if got is None or opt is None else got - opt
            cells = (
                name,
                fixed(got, 6),
                fixed(opt, 6) if opt is not None else "does not exist",
                sci(diff),
                fixed(se, 5),
                fixed(z, 3),
                p_value(p),
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        show_glm = glm is not None and not missing
        for c in (4, 5, 6):
            self.table.setColumnHidden(c, not show_glm)
        self._fill_stats(ref, missing)
        self._split.fit_first()  # stacked in a narrow dock: the coefficients take only their rows

    def _fill_stats(self, ref: Reference, missing: bool) -> None:
        n, p = self._result.n_rows, ref.n_params
        learned = optimum = (None,) * len(_STATS)
        losses = self._learned_losses()
        if losses is not None:
            loss, objective = losses
            ll = -n * loss
            learned = (ll, -2 * ll, -2 * ll + 2 * p, objective, objective - ref.objective)
        if not missing:
            optimum = (ref.log_likelihood, ref.deviance, ref.aic, ref.objective, 0.0)
        # Below this the difference is rounding of the run's floats, not distance to the optimum.
        floor = float(np.finfo(self._info.config.dtype).eps) * max(abs(ref.objective), 1e-6)
        for r in range(len(_STATS)):
            for c, value in enumerate((learned[r], optimum[r])):
                if missing and (c == 1 or r == len(_STATS) - 1):
                    text = DASH
                elif r < len(_STATS) - 1:
                    text = fixed(value, 4)
                elif c == 0 and value is not None and abs(value) < floor:
                    text = f"< {sci(floor)} (precision)"
                else:
                    text = sci(value)
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.stats.setItem(r, c, item)

    def _learned_losses(self):
        """(mean cross-entropy, objective) of the newest weights on the training rows: from the
        epoch's report, or computed here for the initial weights (no report yet)."""
        snap, info = self._snapshot, self._info
        if snap is None:
            return None
        if snap.latest is not None:
            return snap.latest.train_loss, snap.latest.objective
        model = info.model_at(snap.params)
        idx = np.asarray(info.train_idx, dtype=np.int64)
        loss = cross_entropy(model.logits(info.dataset.X[idx]), info.dataset.y[idx])
        ((W, _b),) = model.network.layers
        return loss, loss + penalty(W, info.config.l1, info.config.l2)

    def _learned(self, standardized: bool):
        """(coef (n_logits, m), intercept (n_logits,)) of the newest snapshot, softmax centred."""
        snap, info = self._snapshot, self._info
        if snap is None:
            return None
        model = info.model_at(snap.params)
        if standardized:
            ((W, b),) = model.network.layers
            coef, icpt = W.T.astype(np.float64), b.astype(np.float64)
        else:
            coef, icpt = model.coef_intercept()
        if coef.shape[0] > 1:  # softmax: centre like the reference (same probabilities)
            coef, icpt = coef - coef.mean(axis=0), icpt - icpt.mean()
        return coef, icpt


def _fit(info, token: int, *, progress, cancelled) -> ReferenceResult:
    """The task (worker thread): scikit-learn's fit cannot stop midway; a superseded one is dropped."""
    return compute_reference(info, token)
