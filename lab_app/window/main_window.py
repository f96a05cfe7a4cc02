"""The lab window: docks around one document, one training controller and one view state.

Data flows one way (docs/design.md §1): user input → :class:`LabDocument` → snapshot on Train →
:class:`TrainingController` (worker thread) → snapshots → :class:`ViewState` (what is on show)
→ views. The window makes every part itself, in one place, and wires owners to the views that
follow them; panels never call each other, and the window computes nothing itself.

About 500 lines: the window makes every part and wires owners to followers in one place, so
the data flow reads top to bottom here; actions and menus are already in :mod:`.actions`.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtWidgets import QMainWindow, QMessageBox, QVBoxLayout, QWidget

from engine.training import TrainConfig
from lab_app.dialogs.sweep import SweepDialog
from lab_app.document import MAX_CLASSES, MIN_CLASSES, LabDocument
from lab_app.panels.boundary import BoundaryView
from lab_app.panels.designer import DataDesigner
from lab_app.panels.doctor import DoctorView
from lab_app.panels.evaluation import EvaluationView
from lab_app.panels.history import HistoryScrubber
from lab_app.panels.landscape import LandscapeView
from lab_app.panels.lessons import LessonsView
from lab_app.panels.loss import LossView
from lab_app.panels.metrics import MetricsView
from lab_app.panels.network import NetworkView
from lab_app.panels.pinned import PinnedRunsView
from lab_app.panels.reference import ReferenceView
from lab_app.panels.trainer import TrainerPanel
from lab_app.training.config import DEFAULT_CONFIG
from lab_app.training.controller import TrainingController
from lab_app.training.pinned import MAX_PINNED, PinnedRuns
from lab_app.training.probes import (
    GRID_PROBE,
    HESSIAN_PROBE,
    NETWORK_PROBE,
    POINTS_PROBE,
    SIGNALS_PROBE,
    PointProbe,
    hessian_probe,
    signals_probe,
)
from lab_app.view_state import ViewState
from lab_app.widgets.drawing.tools import DrawingTools
from lab_app.window.actions import ActionsMixin
from lab_app.window.data_menu import DatasetMenu
from lab_app.window.docks import add_dock, apply_default_sizes
from lab_app.window.files import FileActions
from lab_app.window.help import HOW_TO, about_text
from lab_app.window.lessons import LessonRunner
from lab_app.window.pace import restore_pace
from lab_app.window.projector_mode import install_projector_mode
from lab_app.window.status import StatusFields

APP_NAME = "Logit Lab"
ORGANIZATION = "Logit Lab"
LAYOUT_VERSION = 1

_LEFT, _RIGHT, _BOTTOM = (
    Qt.DockWidgetArea.LeftDockWidgetArea,
    Qt.DockWidgetArea.RightDockWidgetArea,
    Qt.DockWidgetArea.BottomDockWidgetArea,
)


class MainWindow(ActionsMixin, QMainWindow):
    """Logit Lab's main window.

    Owners: ``document`` (points, classes), ``controller`` (training configuration and run),
    ``view_state`` (the epoch on show, onion skins, threshold), ``pinned`` (runs kept to compare
    with). Everything else follows them.
    """

    def __init__(
        self,
        document: LabDocument | None = None,
        *,
        settings: QSettings | None = None,
        config: TrainConfig = DEFAULT_CONFIG,
    ):
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.setObjectName("MainWindow")
        self.settings = settings if settings is not None else QSettings(ORGANIZATION, APP_NAME)
        self.document = document or LabDocument(self)
        if document is None:
            self.document.load_default_example(undoable=False)
        self.controller = TrainingController(self.document, parent=self, config=config)
        restore_pace(self.settings, self.controller)
        self.view_state = ViewState(self.controller, parent=self)
        self.pinned = PinnedRuns(self)
        self.sweep_dialog: SweepDialog | None = None  # made on first use (Train ▸ Sweep…)
        self._closing = False

        self._build_panels()
        self._build_docks()
        self.files = FileActions(self)
        self.dataset_menu = DatasetMenu(self)
        self.lessons = LessonRunner(self, self.lessons_view)  # Help ▸ Lessons… (lab_app.window.lessons)
        self._build_actions()
        self._build_menus()
        self.status = StatusFields(self.statusBar())
        self.status_labels, self.progress_bar = self.status.labels, self.status.progress_bar
        self._connect()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._restore_layout()
        self._on_data_shape_changed()
        self.controller.reset()
        self.files.install(self)  # recent files, drag and drop, autosave (lab_app.window.files)
        install_projector_mode(self)  # View ▸ Projector mode (lab_app.window.projector_mode)

    # ---------------------------------------------------------------- building
    def _build_panels(self) -> None:
        c, d, v = self.controller, self.document, self.view_state
        # One tool, brush spread and selection for both canvases (the current class is the document's).
        self.drawing = DrawingTools(d, (MIN_CLASSES, MAX_CLASSES), self)
        self.designer = DataDesigner(d, tools=self.drawing)
        self.trainer_panel = TrainerPanel(c, d)
        self.loss_view = LossView()
        self.boundary_view = BoundaryView()
        self.boundary_view.set_hover_enabled(True)
        self.boundary_view.enable_drawing(self.drawing)  # draw into the heatmap, also while it trains
        self.history_scrubber = HistoryScrubber(c, v)
        self.metrics_view = MetricsView()
        self.evaluation_view = EvaluationView(v)
        self.pinned_view = PinnedRunsView()
        # follows the boundary's plane; a clicked weight or bias is plotted over the recorded epochs
        self.network_view = NetworkView(self.boundary_view.grid_probe, recorded=self.controller.recorded)
        self.doctor_view = DoctorView(c)
        self.reference_view = ReferenceView(c)
        self.landscape_view = LandscapeView(c.recorded, config_source=lambda: c.config)
        self.lessons_view = LessonsView()

    def _build_docks(self) -> None:
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        # No central widget: the docks share the whole window (a zero-size placeholder would pin
        # the middle row to its minimum height). The scrubber sits under the boundary it moves.
        # The boundary is the canvas, the biggest view; the designer (range boxes, column pair,
        # a plain view of the points) is a tab behind it.
        boundary = QWidget(objectName="boundaryPane")
        column = QVBoxLayout(boundary)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.boundary_view, 1)
        column.addWidget(self.history_scrubber)
        self.docks = {}
        scrolled = {"metrics", "evaluation", "network"}  # bigger than the bottom row of a small window
        for key, title, widget, area, tip, tab_with in (
            ("designer", "Data designer", self.designer, _LEFT, "Draw, move and erase points", None),
            (
                "boundary",
                "Decision boundary",
                boundary,
                _LEFT,
                "The model's probabilities over the plane; draw, move and erase points here too",
                "designer",
            ),
            ("trainer", "Trainer", self.trainer_panel, _RIGHT, "Model, features, optimizer and run", None),
            ("loss", "Loss", self.loss_view, _BOTTOM, "Training and test loss per epoch", None),
            ("metrics", "Metrics", self.metrics_view, _BOTTOM, "Accuracy, log-loss, confusion matrix", None),
            ("doctor", "Doctor", self.doctor_view, _BOTTOM, "Convergence doctor: signals and verdicts", "metrics"),
            (
                "evaluation",
                "Evaluation",
                self.evaluation_view,
                _BOTTOM,
                "ROC, precision–recall and reliability curves; scores at a decision threshold",
                "metrics",
            ),
            (
                "reference",
                "Reference optimum",
                self.reference_view,
                _BOTTOM,
                "The exact optimum of linear models, as R's glm would give it",
                "metrics",
            ),
            (
                "landscape",
                "Loss landscape",
                self.landscape_view,
                _BOTTOM,
                "The loss over a plane of parameters, with the optimizer's path",
                "loss",
            ),
            (
                "network",
                "Network",
                self.network_view,
                _BOTTOM,
                "The layers as columns of neurons: each one's activation over the plane, weights and biases",
                "loss",
            ),
            (
                "pinned",
                "Pinned runs",
                self.pinned_view,
                _BOTTOM,
                "Runs kept to compare with: settings and final numbers",
                "metrics",
            ),
        ):
            add_dock(self, self.docks, key, title, widget, area, tip=tip, tab_with=tab_with, scroll=key in scrolled)
            if key == "metrics":  # the Trainer runs the full height on the right; pictures on top
                self.setCorner(Qt.Corner.TopRightCorner, _RIGHT)
                self.setCorner(Qt.Corner.BottomRightCorner, _RIGHT)
                self.splitDockWidget(self.docks["loss"], self.docks["metrics"], Qt.Orientation.Horizontal)
        self.docks["boundary"].raise_()
        self.docks["loss"].raise_()
        self.docks["metrics"].raise_()
        # Help ▸ Lessons… shows it, right of the Trainer (whose settings the lessons change).
        tip = "A guided lesson: steps to try, Show me, and the lab's own numbers explained"
        add_dock(self, self.docks, "lessons", "Lessons", self.lessons_view, _RIGHT, tip=tip)
        self.splitDockWidget(self.docks["trainer"], self.docks["lessons"], Qt.Orientation.Horizontal)
        self.docks["lessons"].hide()
        self.resize(1440, 900)
        self._sized = self._layout_settled = False

    @property
    def layout_settled(self) -> bool:
        """True once the first show has given the docks their sizes (screenshots and tests wait for it)."""
        return self._layout_settled

    def showEvent(self, event):
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if self._restored:
                self._layout_settled = True
            else:  # after this show has laid the window out: Qt ignores sizes before
                QTimer.singleShot(0, self, self._settle_layout)

    def _settle_layout(self) -> None:
        apply_default_sizes(self, self.docks)
        self._layout_settled = True

    def _connect(self) -> None:
        c, d, v = self.controller, self.document, self.view_state
        # The model is evaluated on the boundary grid and on the points in the training thread,
        # once per snapshot; the GUI thread only draws (lab_app.training.probes, benchmarks/gui_bench.py).
        c.add_probe(GRID_PROBE, self.boundary_view.grid_probe)
        c.add_probe(POINTS_PROBE, PointProbe())
        c.add_probe(SIGNALS_PROBE, signals_probe())  # the doctor's signals
        c.add_probe(HESSIAN_PROBE, hessian_probe())  # the doctor's and the learning rate's bounds
        c.add_probe(NETWORK_PROBE, self.network_view.probe)  # every neuron on a coarse grid
        c.progress.connect(self._on_progress)
        c.finished.connect(self._on_finished)
        c.diverged.connect(self._on_diverged)
        c.error.connect(self._on_error)
        c.stateChanged.connect(self._on_state_changed)
        c.dataResnapshotted.connect(self._on_resnapshot)
        # What is on show: every view follows the view state, none follows another view.
        v.runChanged.connect(self._on_run_changed)
        v.frameChanged.connect(self._show_frame)
        v.skinsChanged.connect(self.boundary_view.set_onion_skins)
        v.sizeByLossChanged.connect(self.boundary_view.set_size_by_loss)
        v.showTestPointsChanged.connect(self.boundary_view.set_test_points_shown)
        v.showTestPointsChanged.connect(self.designer.set_test_points_shown)
        v.discretizeChanged.connect(self.boundary_view.set_discretized)
        v.discretizeChanged.connect(self._refresh_overlay)  # the designer's overlay is the boundary's image
        self.boundary_view.imageRendered.connect(self._refresh_overlay)  # new weights, or a new plane
        v.thresholdChanged.connect(self.boundary_view.set_threshold)  # the Evaluation dock's slider
        v.thresholdChanged.connect(self._on_threshold_changed)
        v.thresholdChanged.connect(self._refresh_overlay)  # discretized regions move with the threshold
        # The insight panels announce; the window hands their results to the views that draw them.
        r = self.reference_view
        r.resultReady.connect(lambda result: self.doctor_view.set_separation(result.run_id, result.separation))
        r.fixRequested.connect(c.apply_fix)
        r.optimumChanged.connect(self.boundary_view.set_reference_params)
        r.referenceLossChanged.connect(lambda L_star, floor: self.loss_view.set_reference_loss(L_star, floor=floor))
        self.doctor_view.showRequested.connect(self.raise_dock)
        self.doctor_view.verdictsChanged.connect(self._badge_doctor)
        c.runStarted.connect(self.landscape_view.set_run)
        # Pinned runs: drawn by the Loss view, the boundary and their list; named against the live run.
        p = self.pinned
        p.changed.connect(lambda: self.boundary_view.set_pinned(p.runs))
        p.changed.connect(self._show_pinned)
        c.runStarted.connect(self._show_pinned)
        c.cleared.connect(self._show_pinned)
        self.pinned_view.removeRequested.connect(p.remove)
        self.pinned_view.clearRequested.connect(p.clear)
        c.progress.connect(self.landscape_view.add_snapshot)
        c.dataResnapshotted.connect(lambda _epoch: self.landscape_view.data_changed(c.run_info))
        d.modifiedChanged.connect(self._update_title)
        d.classesChanged.connect(self._on_data_shape_changed)
        d.modeChanged.connect(self._on_data_shape_changed)
        d.featureNamesChanged.connect(self._on_data_shape_changed)  # also the number of columns
        d.viewColumnsChanged.connect(self._refresh_overlay)
        self._update_title()

    # ---------------------------------------------------------------- what is on show
    def _on_run_changed(self, info) -> None:
        """A new run (or none, after File → New): every view starts again from it."""
        self.loss_view.reset(info)
        if info is None:
            self.boundary_view.clear()
            self.metrics_view.clear()
            self.evaluation_view.clear()
            self.network_view.clear()
            self.designer.set_test_mask(None)
            self.designer.set_misclassified(None)
            self.designer.set_curve(None, None)
            self.designer.set_threshold(None)
            self.designer.set_overlay(None)
            self.status.clear()
            return
        self.boundary_view.set_run(
            info, self.document, first_frame_follows=True
        )  # the controller shows its first snapshot next
        self.designer.set_test_mask(_test_mask(info, self.document))
        self.status.start_run(info)

    def _show_frame(self, frame) -> None:
        """Draw the frame on show (the newest snapshot, or a recorded epoch) in every view."""
        info = self.controller.run_info
        if self._closing or info is None or frame.run_id != info.run_id:
            return
        running = frame.live and self.controller.state == "running"
        self.boundary_view.show_snapshot(frame, background=True)
        self.metrics_view.update_metrics(info, frame, self.document, throttle=running)
        self.evaluation_view.update_frame(info, frame, self.document, throttle=running)
        self.loss_view.show_frame(frame)
        self.network_view.show_frame(info, frame)
        self._refresh_one_d(info, frame)

    def _refresh_overlay(self, *_):
        if self.act_overlay.isChecked():
            image = self.boundary_view.overlay_rgba()
            if image is not None:
                self.designer.set_overlay(*image)
                return
        self.designer.set_overlay(None)

    def _refresh_one_d(self, info, frame) -> None:
        if self.document.mode != "1d" or info.model.n_inputs != 1:
            self.designer.set_curve(None, None)
            self.designer.set_threshold(None)
            return
        model = info.model_at(frame.params)  # a copy: info.model is the run's initial model
        xs = np.linspace(*self.document.xlim, 300)
        proba = model.predict_proba(xs[:, None])
        self.designer.set_curve(xs, proba[:, -1] if model.network.n_classes == 2 else proba)
        threshold = None
        if model.is_linear and model.network.n_classes == 2 and model.feature_map.is_identity:
            (w,), b = model.coef_intercept()
            t = self.view_state.threshold  # the x where P = t: logit(t) = w·x + b (x = −b/w at ½)
            logit = 0.0 if t == 0.5 else math.log(t / (1.0 - t))
            threshold = (logit - b[0]) / w[0] if w[0] else None
        self.designer.set_threshold(threshold)

    def _on_threshold_changed(self, _t: float) -> None:
        """The designer's 1-D threshold marks P = t, as the boundary view's contour does."""
        info, frame = self.controller.run_info, self.view_state.frame
        if info is not None and frame is not None and frame.run_id == info.run_id and not self._closing:
            self._refresh_one_d(info, frame)

    # ---------------------------------------------------------------- training reactions
    def _on_progress(self, snapshot) -> None:
        if snapshot.reports:
            self.loss_view.append(snapshot.reports, throttle=snapshot.state == "running")
        if snapshot.best_epoch is not None:
            self.loss_view.set_best_epoch(snapshot.best_epoch)
        self.status.show_snapshot(snapshot)

    def _on_finished(self, snapshot) -> None:
        why = {
            "epochs": "finished",
            "early_stopping": f"early stopping (best epoch {snapshot.best_epoch})",
            "converged": "converged",
        }
        text = why.get(snapshot.stopped_because, snapshot.stopped_because or "finished")
        readout = self.dataset_menu.readout(snapshot)  # true vs learned weights, for generated data
        if readout is not None:
            readout = readout if isinstance(readout, str) else readout.text()
            if snapshot.stopped_because == "converged":  # say why it stopped before the readout
                readout = f"Training converged at epoch {snapshot.epoch}. {readout}"
            self.statusBar().showMessage(readout, 30000)
        else:
            self.statusBar().showMessage(f"Training {text} at epoch {snapshot.epoch}.", 8000)

    def _on_diverged(self, _snapshot, message: str) -> None:
        self.status.set_state("diverged")
        self._message(QMessageBox.Icon.Warning, "Training diverged", message)

    def _on_error(self, message: str) -> None:
        self._message(QMessageBox.Icon.Critical, "Training stopped", message)

    def _on_state_changed(self, state: str) -> None:
        self.act_train.setText("&Pause" if state == "running" else "&Train")
        self.status.set_state(state)
        if state == "paused":
            readout = self.dataset_menu.readout()
            if readout is not None:
                self.statusBar().showMessage(readout if isinstance(readout, str) else readout.text(), 30000)

    def _on_resnapshot(self, epoch: int) -> None:
        # The run split the edited points afresh: the views mark its test points, not the old ones.
        info = self.controller.run_info
        self.boundary_view.set_split(info.dataset, info.test_idx)
        if info.dataset.n_samples == self.document.n_points and np.array_equal(info.dataset.X, self.document.X):
            self.designer.set_test_mask(_test_mask(info, self.document))
        self.statusBar().showMessage(f"Data changed: training continues on the edited points from epoch {epoch}.", 4000)

    def raise_dock(self, name: str) -> None:
        """Show dock ``name`` and bring its tab to the front (the doctor's buttons, lessons)."""
        dock = self.docks.get(name)
        if dock is not None:
            dock.show()
            dock.raise_()

    def _badge_doctor(self, verdicts) -> None:
        """The Doctor's title (its tab) counts the warnings, so they are seen behind another tab."""
        warnings = sum(v.severity == "warning" for v in verdicts)
        self.docks["doctor"].setWindowTitle(f"Doctor ({warnings})" if warnings else "Doctor")

    # ---------------------------------------------------------------- document reactions
    def _on_data_shape_changed(self, *_):
        self.act_one_d.setChecked(self.document.mode == "1d")

    def _toggle_mode(self, checked: bool):
        self.document.set_mode("1d" if checked else "2d")
        self.controller.reset()

    def _update_title(self, *_):
        self.setWindowModified(self.document.modified)
        name = self.files.display_name()
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")

    def open_path(self, path: str):
        """Open a session or a CSV file (the command line, drops and recent files use it)."""
        self.files.open_path(path)

    # ---------------------------------------------------------------- pinned runs
    def pin_run(self) -> None:
        """Train ▸ Pin this run: keep the current run to compare the next ones with."""
        full = len(self.pinned) >= MAX_PINNED
        run = self.pinned.pin(self.controller)
        if run is None:
            self.statusBar().showMessage("Nothing to pin yet: train for at least one epoch.", 5000)
            return
        dropped = f" (the oldest of {MAX_PINNED} was unpinned)" if full else ""
        self.statusBar().showMessage(f"Pinned this run{dropped}: change a setting and train again to compare.", 8000)

    def _show_pinned(self, *_) -> None:
        """The pinned runs' curves and list, each named by what differs from the live run."""
        info = self.controller.run_info
        labels = self.pinned.labels(info.config if info is not None else None)
        self.loss_view.set_pinned(self.pinned.runs, labels)
        self.pinned_view.set_runs(self.pinned.runs, labels)

    # ---------------------------------------------------------------- sweep
    def open_sweep(self) -> SweepDialog:
        """Show the Sweep dialog (made on first use); a clicked cell is loaded by :meth:`load_sweep_cell`."""
        if self.sweep_dialog is None:
            self.sweep_dialog = SweepDialog(self.controller, self.document, self)
            self.sweep_dialog.loadRequested.connect(self.load_sweep_cell)
        self.sweep_dialog.show()
        self.sweep_dialog.raise_()
        self.sweep_dialog.activateWindow()
        return self.sweep_dialog

    def load_sweep_cell(self, cell) -> None:
        """Make a sweep's run the window's: its configuration, and its final weights and loss curve
        on show (as a saved session is restored; Train then starts that configuration afresh)."""
        c = self.controller
        c.set_config(cell.config)
        if c.restore(
            cell.model,
            cell.history,
            best_epoch=cell.report["best_epoch"],
            stopped_because=cell.report["stopped_because"],
        ):
            settings = ", ".join(f"{k} {v}" for k, v in cell.settings.items())
            self.statusBar().showMessage(f"Loaded the sweep's run with {settings}.", 8000)

    # ---------------------------------------------------------------- layout & help
    def reset_layout(self):
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        apply_default_sizes(self, self.docks)

    def _restore_layout(self):
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        self._restored = False
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self._restored = self.restoreState(state, LAYOUT_VERSION)

    def _save_layout(self):
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def show_how_to(self):
        self._message(QMessageBox.Icon.Information, "How to use Logit Lab", HOW_TO)

    def show_about(self):
        QMessageBox.about(self, "About Logit Lab", about_text())

    def _message(self, icon, title: str, text: str) -> QMessageBox:
        """A non-blocking message box (the event loop and training keep running)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("messageBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_message = (title, text)
        return box

    # ---------------------------------------------------------------- closing
    def closeEvent(self, event):
        if not self.files.confirm_close():
            event.ignore()
            return
        self._closing = True
        self.projector.set_on(False)  # the application's own font and palette back; the setting stays
        self.controller.shutdown()
        self.reference_view.shutdown()  # waits for a running fit before the views go away
        self.landscape_view.shutdown()
        if self.sweep_dialog is not None:
            self.sweep_dialog.shutdown()
        self.files.transfer.close_animation_dialog()
        self._save_layout()
        super().closeEvent(event)


def _test_mask(info, document) -> np.ndarray:
    """(n_points,) bool: the run's test points, when the run trained on the document's points."""
    mask = np.zeros(document.n_points, dtype=bool)
    if len(info.test_idx) and info.dataset.n_samples == document.n_points:
        mask[info.test_idx] = True
    return mask
