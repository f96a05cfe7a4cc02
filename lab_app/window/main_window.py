"""The lab window: docks around one document, one training controller, menus and a status bar.

Data flows one way (DESIGN.md §1): user input → :class:`LabDocument` → snapshot on Train →
:class:`TrainingController` (worker thread) → snapshots → views. The window only wires these
together and turns failures into messages; it computes nothing itself.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
)

from engine.training import TrainConfig
from lab_app.document import LabDocument
from lab_app.panels.boundary import BoundaryView
from lab_app.panels.designer import DataDesigner
from lab_app.panels.loss import LossView
from lab_app.panels.metrics import MetricsView
from lab_app.panels.trainer import TrainerPanel
from lab_app.training.config import DEFAULT_CONFIG
from lab_app.training.controller import TrainingController
from lab_app.training.probes import (
    GRID_PROBE,
    HESSIAN_PROBE,
    POINTS_PROBE,
    SIGNALS_PROBE,
    PointProbe,
    hessian_probe,
    signals_probe,
)
from lab_app.window.data_menu import install_dataset_menu
from lab_app.window.files import FileActions
from lab_app.window.insight_docks import install_insight_docks
from lab_app.window.insight_tools import install_insight_tools

APP_NAME = "Logit Lab"
ORGANIZATION = "Logit Lab"
LAYOUT_VERSION = 1

HOW_TO = """<h3>How to use Logit Lab</h3>
<ol>
<li><b>Draw data</b> in the Data designer: click to place a point of the current class
(choose it with the coloured buttons or the keys 1–9); right-click erases; drag moves;
B is a brush that sprays points; S selects (then Delete or relabel).</li>
<li><b>Pick a model</b> in the Trainer panel: logistic or softmax regression, or a neural network
with up to 4 hidden layers; choose input features, optimizer, learning rate, batch size.</li>
<li><b>Press Train</b> (Space). The Loss and Decision boundary views update live;
Space again pauses, Step (Ctrl+E) runs one epoch, Reset (Ctrl+R) draws new initial weights.</li>
<li>Test points (the test fraction) are hollow; misclassified points are ringed.</li>
</ol>
<p>If training diverges, the lab keeps the last good model and tells you why
(usually: learning rate too high, or inputs not standardized).</p>"""


class MainWindow(QMainWindow):
    """Logit Lab's main window."""

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
        self._closing = False
        self._boundary_pending = None

        self._build_views(config)
        self.files = FileActions(self)
        self._build_actions()
        self._build_menus()
        install_dataset_menu(self)
        install_insight_docks(self)
        install_insight_tools(self)
        self._build_status_bar()
        self._connect()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._restore_layout()
        self._on_data_shape_changed()
        self.controller.reset()
        self.files.install(self)  # recent files, drag and drop, autosave (lab_app.window.files)

    # ---------------------------------------------------------------- building
    def _build_views(self, config: TrainConfig) -> None:
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        # No central widget: the docks share the whole window (a zero-size placeholder would pin
        # the middle row to its minimum height).
        self.designer = DataDesigner(self.document)
        self.trainer_panel = TrainerPanel(self.controller, self.document)
        self.loss_view = LossView()
        self.boundary_view = BoundaryView()
        self.metrics_view = MetricsView()
        self.docks = {}
        for key, title, widget, area in (
            ("designer", "Data designer", self.designer, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("boundary", "Decision boundary", self.boundary_view, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("trainer", "Trainer", self.trainer_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            ("loss", "Loss", self.loss_view, Qt.DockWidgetArea.BottomDockWidgetArea),
            ("metrics", "Metrics", self.metrics_view, Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"{key}Dock")
            dock.setWidget(widget)
            dock.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                | QDockWidget.DockWidgetFeature.DockWidgetClosable
            )
            self.addDockWidget(area, dock)
            self.docks[key] = dock
        # The Trainer runs the full height on the right; pictures on top, curves and numbers below.
        self.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(self.docks["designer"], self.docks["boundary"], Qt.Orientation.Horizontal)
        self.splitDockWidget(self.docks["loss"], self.docks["metrics"], Qt.Orientation.Horizontal)
        self.resize(1440, 900)
        self._sized = False

    def _apply_default_sizes(self) -> None:
        """Dock proportions for a fresh layout; Qt honours them only once the window has its size."""
        self.resizeDocks(
            [self.docks["designer"], self.docks["boundary"], self.docks["trainer"]],
            [540, 540, 340],
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks([self.docks["loss"], self.docks["metrics"]], [640, 440], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["designer"], self.docks["loss"]], [560, 250], Qt.Orientation.Vertical)

    def showEvent(self, event):
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if not self._restored:
                QTimer.singleShot(0, self._apply_default_sizes)

    def _action(self, name, text, slot=None, shortcut=None, tip="", checkable=False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcuts(_key_sequences(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.setCheckable(checkable)
        if slot is not None:
            action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        S = QKeySequence.StandardKey
        a = self._action
        self.act_new = a("actionNew", "&New", self.new_document, S.New, "Start with an empty canvas")
        self.act_open = a("actionOpen", "&Open…", self.open_file, S.Open, "Open a session or a CSV file")
        self.act_save = a("actionSave", "&Save", self.save, S.Save, "Save the session")
        self.act_save_as = a("actionSaveAs", "Save &As…", self.save_as, S.SaveAs)
        self.act_import = a("actionImportCsv", "&Import CSV…", self.import_csv, "Ctrl+I")
        self.act_export_csv = a("actionExportCsv", "&Export points as CSV…", self.export_csv, "Ctrl+Shift+E")
        self.act_export_png = a("actionExportPng", "Export &PNG/SVG…", self.export_png, "Ctrl+Shift+P")
        self.act_quit = a("actionQuit", "&Quit", self.close, S.Quit)
        stack = self.document.undo_stack
        self.act_undo = stack.createUndoAction(self, "&Undo")
        self.act_undo.setObjectName("actionUndo")
        self.act_undo.setShortcuts(_key_sequences(S.Undo))
        self.act_redo = stack.createRedoAction(self, "&Redo")
        self.act_redo.setObjectName("actionRedo")
        self.act_redo.setShortcuts(_key_sequences(S.Redo))
        self.addActions([self.act_undo, self.act_redo])
        self.act_clear = a("actionClear", "C&lear all points", self.document.clear, "Ctrl+Shift+Del")
        # The designer owns these (their shortcuts act on its selection); the menu shows them.
        self.act_select_all = self.designer.select_all_action
        self.act_delete = self.designer.delete_action
        self.act_train = a("actionTrain", "&Train", self.controller.toggle, "Space", "Train / pause (Space)")
        self.act_step = a("actionStep", "&Step one epoch", self.controller.step, "Ctrl+E")
        self.act_reset = a(
            "actionReset", "&Reset weights", self.reset_weights, "Ctrl+R", "New initial weights from the seed"
        )
        self.act_reset_layout = a("actionResetLayout", "Reset &layout", self.reset_layout)
        self.act_overlay = a(
            "actionOverlay", "Boundary overlay in designer", self._refresh_overlay, "Ctrl+B", checkable=True
        )
        self.act_one_d = a("actionOneD", "&1-D mode (points on a line)", self._toggle_mode, "Ctrl+1", checkable=True)
        self.act_howto = a("actionHowTo", "&How to…", self.show_how_to, S.HelpContents)
        self.act_about = a("actionAbout", "&About Logit Lab", self.show_about)
        for action in (self.act_train, self.act_step, self.act_reset):
            self.trainer_panel.add_action_button(action)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.setObjectName("menuFile")
        for act in (
            self.act_new,
            self.act_open,
            self.act_save,
            self.act_save_as,
            None,
            self.act_import,
            self.act_export_csv,
            self.act_export_png,
            None,
            self.act_quit,
        ):
            m.addSeparator() if act is None else m.addAction(act)
        m = bar.addMenu("&Edit")
        m.setObjectName("menuEdit")
        for act in (self.act_undo, self.act_redo, None, self.act_select_all, self.act_delete, self.act_clear):
            m.addSeparator() if act is None else m.addAction(act)
        m = bar.addMenu("&View")
        m.setObjectName("menuView")
        for dock in self.docks.values():
            m.addAction(dock.toggleViewAction())
        m.addSeparator()
        m.addAction(self.act_overlay)
        m.addAction(self.act_one_d)
        m.addSeparator()
        m.addAction(self.act_reset_layout)
        self.view_menu = m
        m = bar.addMenu("T&rain")
        m.setObjectName("menuTrain")
        for act in (self.act_train, self.act_step, self.act_reset):
            m.addAction(act)
        m = bar.addMenu("&Help")
        m.setObjectName("menuHelp")
        m.addAction(self.act_howto)
        m.addAction(self.act_about)
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolBar")
        for act in (
            self.act_new,
            self.act_open,
            self.act_save,
            None,
            self.act_undo,
            self.act_redo,
            None,
            self.act_train,
            self.act_step,
            self.act_reset,
        ):
            tb.addSeparator() if act is None else tb.addAction(act)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_labels = {}
        for key in ("epoch", "loss", "accuracy", "speed", "state"):
            label = QLabel("")
            label.setObjectName(f"status_{key}")
            label.setMinimumWidth(90)
            bar.addPermanentWidget(label)
            self.status_labels[key] = label
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("epochProgress")
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.hide()
        bar.addPermanentWidget(self.progress_bar)
        self._set_state_text("idle")

    def _connect(self) -> None:
        c, d = self.controller, self.document
        # The model is evaluated on the boundary grid and on the points in the training thread,
        # once per snapshot; the GUI thread only draws (lab_app.training.probes, benchmarks/gui_bench.py).
        c.add_probe(GRID_PROBE, self.boundary_view.grid_probe)
        c.add_probe(POINTS_PROBE, PointProbe())
        c.add_probe(SIGNALS_PROBE, signals_probe())  # the doctor's signals
        c.add_probe(HESSIAN_PROBE, hessian_probe())  # the doctor's and the learning rate's bounds
        c.runStarted.connect(self._on_run_started)
        c.progress.connect(self._on_progress)
        c.finished.connect(self._on_finished)
        c.diverged.connect(self._on_diverged)
        c.error.connect(self._on_error)
        c.stateChanged.connect(self._on_state_changed)
        c.dataResnapshotted.connect(self._on_resnapshot)
        d.modifiedChanged.connect(self._update_title)
        d.classesChanged.connect(self._on_data_shape_changed)
        d.modeChanged.connect(self._on_data_shape_changed)
        d.featureNamesChanged.connect(self._on_data_shape_changed)  # also the number of columns
        # Queued: the boundary view redraws the new pair first (its own, direct connection).
        d.viewColumnsChanged.connect(self._refresh_overlay, Qt.ConnectionType.QueuedConnection)
        self._update_title()

    # ---------------------------------------------------------------- training reactions
    def _on_run_started(self, info) -> None:
        self.loss_view.reset(info)
        self.boundary_view.set_run(info, self.document)
        mask = np.zeros(self.document.n_points, dtype=bool)
        if len(info.test_idx) and len(info.test_idx) and info.dataset.n_samples == self.document.n_points:
            mask[info.test_idx] = True
        self.designer.set_test_mask(mask)
        epochs = info.config.epochs
        self.progress_bar.setVisible(epochs > 0)
        self.progress_bar.setRange(0, max(epochs, 1))
        self.progress_bar.setValue(0)

    def _on_progress(self, snapshot) -> None:
        if snapshot.reports:
            self.loss_view.append(snapshot.reports, throttle=snapshot.state == "running")
        if snapshot.best_epoch is not None:
            self.loss_view.set_best_epoch(snapshot.best_epoch)
        # Render only the newest snapshot once the event loop is idle ("latest wins").
        if self._boundary_pending is None:
            QTimer.singleShot(0, self._render_latest)
        self._boundary_pending = snapshot
        self._update_status(snapshot)

    def _render_latest(self) -> None:
        snapshot, self._boundary_pending = self._boundary_pending, None
        if snapshot is None or self._closing:
            return
        info = self.controller.run_info
        if info is None or snapshot.run_id != info.run_id:
            return
        self.boundary_view.show_snapshot(snapshot)
        self.metrics_view.update_metrics(info, snapshot, self.document, throttle=snapshot.state == "running")
        self._refresh_overlay()
        self._refresh_one_d(info, snapshot)

    def _refresh_overlay(self, *_):
        if self.act_overlay.isChecked():
            image = self.boundary_view.overlay_rgba()
            if image is not None:
                self.designer.set_overlay(*image)
                return
        self.designer.set_overlay(None)

    def _refresh_one_d(self, info, snapshot) -> None:
        if self.document.mode != "1d" or info.model.n_inputs != 1:
            self.designer.set_curve(None, None)
            self.designer.set_threshold(None)
            return
        model = info.model_at(snapshot.params)  # a copy: info.model is the run's initial model
        xs = np.linspace(*self.document.xlim, 300)
        proba = model.predict_proba(xs[:, None])
        self.designer.set_curve(xs, proba[:, -1] if model.network.n_classes == 2 else proba)
        threshold = None
        if model.is_linear and model.network.n_classes == 2 and model.feature_map.is_identity:
            (w,), b = model.coef_intercept()
            threshold = -b[0] / w[0] if w[0] else None
        self.designer.set_threshold(threshold)

    def _update_status(self, snapshot) -> None:
        r = snapshot.latest
        s = self.status_labels
        s["epoch"].setText(f"epoch {snapshot.epoch:,}")
        if r is not None:
            loss = f"loss {r.train_loss:.4f}" + (f" / {r.val_loss:.4f}" if r.val_loss is not None else "")
            acc = f"acc {r.train_accuracy:.1%}" + (f" / {r.val_accuracy:.1%}" if r.val_accuracy is not None else "")
            s["loss"].setText(loss)
            s["accuracy"].setText(acc)
        s["speed"].setText(f"{snapshot.samples_per_second:,.0f} samples/s" if snapshot.samples_per_second else "")
        if self.progress_bar.isVisible():
            self.progress_bar.setValue(min(snapshot.epoch, self.progress_bar.maximum()))

    def _on_finished(self, snapshot) -> None:
        self._on_progress(snapshot)
        why = {"epochs": "finished", "early_stopping": f"early stopping (best epoch {snapshot.best_epoch})"}
        text = why.get(snapshot.stopped_because, snapshot.stopped_because or "finished")
        self.statusBar().showMessage(f"Training {text} at epoch {snapshot.epoch}.", 8000)

    def _on_diverged(self, snapshot, message: str) -> None:
        self._on_progress(snapshot)
        self._set_state_text("diverged")
        self._message(QMessageBox.Icon.Warning, "Training diverged", message)

    def _on_error(self, message: str) -> None:
        self._message(QMessageBox.Icon.Critical, "Training stopped", message)

    def _on_state_changed(self, state: str) -> None:
        self.act_train.setText("&Pause" if state == "running" else "&Train")
        self._set_state_text(state)

    def _on_resnapshot(self, epoch: int) -> None:
        # The run split the edited points afresh: the views mark its test points, not the old ones.
        info = self.controller.run_info
        self.boundary_view.set_split(info.dataset, info.test_idx)
        if info.dataset.n_samples == self.document.n_points and np.array_equal(info.dataset.X, self.document.X):
            mask = np.zeros(self.document.n_points, dtype=bool)
            mask[info.test_idx] = True
            self.designer.set_test_mask(mask)
        self.statusBar().showMessage(f"Data changed: training continues on the edited points from epoch {epoch}.", 4000)

    def _set_state_text(self, state: str) -> None:
        self.status_labels["state"].setText(state)

    def reset_weights(self) -> None:
        self.controller.reset()

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

    # ---------------------------------------------------------------- files (lab_app.window.files does the work)
    def new_document(self):
        self.files.new_document()

    def open_file(self):
        self.files.open_file()

    def open_path(self, path: str):
        self.files.open_path(path)

    def save(self):
        self.files.save()

    def save_as(self):
        self.files.save_as()

    def import_csv(self):
        self.files.import_csv()

    def export_csv(self):
        self.files.export_csv()

    def export_png(self):
        self.files.export_png()

    # ---------------------------------------------------------------- layout & help
    def reset_layout(self):
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self._apply_default_sizes()

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
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("logit-lab")
        except PackageNotFoundError:
            v = "development"
        QMessageBox.about(
            self,
            "About Logit Lab",
            f"<b>Logit Lab</b> {v}<p>Draw data, train logistic, softmax and small neural "
            "networks, and watch them learn — with exact numbers beside the pictures.</p>",
        )

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
        self.controller.shutdown()
        self._save_layout()
        super().closeEvent(event)


# Used when the platform theme defines no binding for a standard key (e.g. offscreen, some desktops).
_FALLBACK_KEYS = {
    QKeySequence.StandardKey.Quit: "Ctrl+Q",
    QKeySequence.StandardKey.HelpContents: "F1",
    QKeySequence.StandardKey.Redo: "Ctrl+Shift+Z",
    QKeySequence.StandardKey.SaveAs: "Ctrl+Shift+S",
}


def _key_sequences(shortcut) -> list[QKeySequence]:
    """The platform's bindings for a standard key (with a conventional fallback), or one sequence."""
    if isinstance(shortcut, QKeySequence.StandardKey):
        keys = QKeySequence.keyBindings(shortcut)
        fallback = _FALLBACK_KEYS.get(shortcut)
        if fallback and QKeySequence(fallback) not in keys:
            keys = [*keys, QKeySequence(fallback)] if keys else [QKeySequence(fallback)]
        return keys
    return [QKeySequence(shortcut)]
