"""The Trainer panel: every hyper-parameter of a run, the Train / Step / Reset buttons and the pace.

The configuration lives once, in the :class:`~lab_app.training.controller.TrainingController`:
the panel writes every edit there (``controller.set_config``) and shows whatever the controller
holds (``configChanged``), so presets, one-click fixes and opened sessions appear here without
anyone syncing by hand. It never starts training itself (the window's actions do). Changes that
a running trainer cannot take (anything but the learning rate) show a banner offering a restart;
the banner sits below the form, so showing it never moves a control under the pointer.

The input-feature terms (x₁, x₂, x₁², …) are for one or two inputs. The boxes keep the user's
choice whatever the data (x₂ stays ticked in 1-D mode); what a run uses is
:func:`lab_app.training.config.effective_config`. Data with more than two columns are used
linearly, every input once: the term boxes are disabled meanwhile.

Just over 500 lines: one form with one job (show and edit the controller's configuration);
its rows are many, not its responsibilities.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.features import TERMS
from engine.training import TrainConfig
from lab_app.training.config import DEFAULT_N_ITER_NO_CHANGE, DEFAULT_TOL
from lab_app.training.pace import LADDER
from lab_app.training.probes import HESSIAN_PROBE
from lab_app.widgets.pace import PaceControl

MODEL_CHOICES = (
    ("logistic", "Logistic regression"),
    ("softmax", "Softmax regression"),
    ("mlp", "Neural network (MLP)"),
)
OPTIMIZER_CHOICES = (("adam", "Adam"), ("sgd", "SGD"), ("momentum", "Momentum"))
ACTIVATION_CHOICES = ("relu", "tanh", "sigmoid", "linear")
TERM_LABELS = {
    "x1": "x₁",
    "x2": "x₂",
    "x1^2": "x₁²",
    "x2^2": "x₂²",
    "x1*x2": "x₁·x₂",
    "sin x1": "sin x₁",
    "sin x2": "sin x₂",
    "cos x1": "cos x₁",
    "cos x2": "cos x₂",
}
LR_MIN, LR_MAX, LR_STEPS = 1e-5, 10.0, 600
#: The Epochs row's modes: train until the objective stalls, until Pause, or a fixed count.
EPOCH_MODES = (("converged", "until converged"), ("stopped", "until stopped"), ("fixed", "fixed count"))
DEFAULT_FIXED_EPOCHS = 100
#: Pixels between the form's rows: the whole Trainer fits a 1024×700 window without scrolling.
_ROW_SPACING = 3
#: The boxes ticked for a feature preset (poly3's cubic terms have no box: its square terms show).
PRESET_TERMS = {
    "linear": ("x1", "x2"),
    "poly2": ("x1", "x2", "x1^2", "x2^2", "x1*x2"),
    "poly3": ("x1", "x2", "x1^2", "x2^2", "x1*x2"),
    "sincos": ("sin x1", "sin x2", "cos x1", "cos x2"),
}


class TrainerPanel(QWidget):
    """The form for the controller's :class:`TrainConfig`, and the Train / Step / Reset buttons.

    ``controller`` is the :class:`~lab_app.training.controller.TrainingController` (it owns the
    configuration and the run); ``document`` tells how many inputs and classes the data have.
    """

    def __init__(self, controller, document, parent: QWidget | None = None):
        super().__init__(parent)
        self._controller = controller
        self._document = document
        self._updating = False
        self._n_inputs = 2
        self._hessian = None  # the newest snapshot's Hessian bounds (linear models), for the lr mark
        self._preset = (None, ())  # (feature preset on show, the terms its boxes show)
        self._action_buttons: list[QToolButton] = []
        self._build()
        self._show_config(controller.config)
        controller.configChanged.connect(self._show_config)
        controller.progress.connect(self._follow_snapshot)
        controller.configNeedsRestart.connect(lambda: self.restart_banner.setVisible(True))
        controller.runStarted.connect(lambda _info: self.restart_banner.setVisible(False))
        self.restart_button.clicked.connect(controller.restart)
        for signal in (document.classesChanged, document.modeChanged, document.featureNamesChanged):
            signal.connect(self._follow_data)
        self._follow_data()

    # ---------------------------------------------------------------- public API
    def config(self) -> TrainConfig:
        """The configuration the form shows (equal to the controller's once an edit went through)."""
        model = self.model_combo.currentData()
        hidden = tuple(s.value() for s in self.unit_spins[: self.layers_spin.value()]) if model == "mlp" else ()
        terms = tuple(t for t, box in self.term_boxes.items() if box.isChecked())
        preset, preset_terms = self._preset
        features = preset if preset is not None and terms == preset_terms else terms or ("x1",)
        return TrainConfig(
            model=model,
            hidden=hidden,
            activation=self.activation_combo.currentText(),
            features=features,
            standardize=self.standardize_box.isChecked(),
            optimizer=self.optimizer_combo.currentData(),
            lr=self.lr_spin.value(),
            nesterov=self.nesterov_box.isChecked(),
            batch_size=self.batch_spin.value(),
            epochs=self.epochs_spin.value(),
            tol=self.tol_spin.value() if self.epoch_mode() == "converged" else 0.0,
            n_iter_no_change=self.no_change_spin.value(),
            l1=self.l1_spin.value(),
            l2=self.l2_spin.value(),
            test_fraction=self.test_spin.value(),
            seed=int(self.seed_spin.value()),
            early_stopping=self.patience_spin.value(),
        )

    def epoch_mode(self) -> str:
        """ "converged", "stopped" or "fixed": how the Epochs row ends a run."""
        return self.epochs_mode_combo.currentData()

    def set_epoch_mode(self, mode: str) -> None:
        """Choose how a run ends, as a click on the Epochs row's choice does."""
        self.epochs_mode_combo.setCurrentIndex(self.epochs_mode_combo.findData(mode))

    def _show_config(self, config: TrainConfig) -> None:
        """Show the controller's configuration (never echoed back as an edit)."""
        if config == self.config():  # the echo of an edit made here
            self._show_lr_bound()
            return
        self._updating = True
        try:
            model = config.model if config.model != "auto" else ("mlp" if config.hidden else "logistic")
            self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(model)))
            hidden = config.hidden_layers() if model == "mlp" else ()
            self.layers_spin.setValue(len(hidden) if model == "mlp" else 1)
            for spin, units in zip(self.unit_spins, hidden):
                _show_int(spin, units)
            self.activation_combo.setCurrentText(config.activation)
            terms = PRESET_TERMS.get(config.features, config.features)
            for term, box in self.term_boxes.items():
                box.setChecked(term in terms)
            # A preset (sessions, the CLI) stays itself until the boxes are changed.
            self._preset = (config.features, tuple(t for t in TERMS if t in terms))
            if not isinstance(config.features, str):
                self._preset = (None, ())
            self.standardize_box.setChecked(config.standardize)
            self.optimizer_combo.setCurrentIndex(max(0, self.optimizer_combo.findData(config.optimizer)))
            self.nesterov_box.setChecked(config.nesterov)
            self.lr_spin.setValue(config.lr)
            self._sync_slider(config.lr)
            _show_int(self.batch_spin, config.batch_size)
            _show_int(self.epochs_spin, config.epochs)
            mode = "converged" if config.tol > 0 else ("stopped" if config.epochs == 0 else "fixed")
            self.epochs_mode_combo.setCurrentIndex(self.epochs_mode_combo.findData(mode))
            if config.tol > 0:
                self.tol_spin.setValue(config.tol)
            _show_int(self.no_change_spin, config.n_iter_no_change)
            self.l1_spin.setValue(config.l1)
            self.l2_spin.setValue(config.l2)
            self.test_spin.setValue(config.test_fraction)
            _show_int(self.seed_spin, config.seed)
            _show_int(self.patience_spin, config.early_stopping)
        finally:
            self._updating = False
        self._update_enabled()
        self._show_lr_bound()

    def _follow_data(self, *_) -> None:
        """Disable the x₂ terms for 1-D data, every term for more than two inputs (the run is then
        linear in all of them), and logistic regression unless there are exactly two classes.
        Only what the boxes offer changes: the configuration keeps the user's choice."""
        n_dims = self._document.n_dims
        many = n_dims > 2
        self._n_inputs = n_dims
        tip = f"Linear in all {n_dims} inputs for data with more than 2 columns" if many else ""
        for term, box in self.term_boxes.items():
            box.setEnabled(not many and (n_dims >= 2 or "x2" not in term))
            box.setToolTip(tip)
        self.features_note.setText(f"Linear in all {n_dims} inputs (the terms are for 2-column data).")
        self.features_note.setVisible(many)
        self.model_combo.model().item(0).setEnabled(self._document.n_classes == 2)

    def _follow_snapshot(self, snapshot) -> None:
        hessian = snapshot.extras.get(HESSIAN_PROBE)
        if hessian is not self._hessian:
            self._hessian = hessian
            self._show_lr_bound()

    def _show_lr_bound(self) -> None:
        """Mark the chosen optimizer's stable learning rate at the newest weights (e.g. 2/λ_max for
        gradient descent on a linear model); the label changes only when its text does."""
        config, bound = self._controller.config, None
        if self._hessian is not None:
            bound = self._hessian.lr_bound(config.optimizer, config.momentum, config.nesterov)
        text = ""
        if bound is not None and math.isfinite(bound) and bound > 0:
            text = f"stable below ≈ {bound:.3g} (2/λmax)"
        if text != self.lr_bound_label.text():
            self.lr_bound_label.setText(text)
            self.lr_bound_label.setVisible(bool(text))

    # ---------------------------------------------------------------- building
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll)
        layout = QVBoxLayout(body)
        layout.setSpacing(_ROW_SPACING)

        self.buttons_row = QHBoxLayout()
        layout.addLayout(self.buttons_row)
        self.pace_control = PaceControl(self._controller, LADDER, "pace")  # a view preference, not the config
        pace_row = QHBoxLayout()
        pace_row.addWidget(QLabel("Pace"))
        pace_row.addWidget(self.pace_control, 1)
        layout.addLayout(pace_row)

        # Below the scrolling form, not above it: showing it must not move a control under the pointer.
        self.restart_banner = QWidget()
        self.restart_banner.setObjectName("restartBanner")
        self.restart_banner.setStyleSheet(
            "#restartBanner { background: #fff4d6; border: 1px solid #e0b84c; border-radius: 4px; }"
        )
        banner = QHBoxLayout(self.restart_banner)
        text = QLabel("These changes apply to a new run.")
        text.setWordWrap(True)
        self.restart_button = QPushButton("Restart now")
        self.restart_button.setObjectName("restartNow")
        banner.addWidget(text, 1)
        banner.addWidget(self.restart_button)
        self.restart_banner.hide()
        outer.addWidget(self.restart_banner)

        model_box = QGroupBox("Model")
        form = QFormLayout(model_box)
        form.setVerticalSpacing(_ROW_SPACING)
        self.model_combo = QComboBox(objectName="modelCombo")
        for key, text in MODEL_CHOICES:
            self.model_combo.addItem(text, key)
        form.addRow("Model", self.model_combo)
        self.layers_spin = _spin(1, 4, "hiddenLayers", "number of hidden layers")
        self.unit_spins = [_spin(1, 256, f"units{i + 1}", f"units in hidden layer {i + 1}") for i in range(4)]
        for s in self.unit_spins:
            s.setValue(8)
        units_row = QHBoxLayout()
        for s in self.unit_spins:
            units_row.addWidget(s)
        self.layers_label = QLabel("Hidden layers")
        self.units_label = QLabel("Units")
        form.addRow(self.layers_label, self.layers_spin)
        form.addRow(self.units_label, units_row)
        self.activation_combo = QComboBox(objectName="activationCombo")
        self.activation_combo.addItems(ACTIVATION_CHOICES)
        self.activation_label = QLabel("Activation")
        form.addRow(self.activation_label, self.activation_combo)
        layout.addWidget(model_box)

        features = QGroupBox("Input features")
        grid = QGridLayout(features)
        grid.setVerticalSpacing(_ROW_SPACING)
        self.term_boxes: dict[str, QCheckBox] = {}
        for i, term in enumerate(TERMS):
            box = QCheckBox(TERM_LABELS[term], objectName=f"term_{term}")
            self.term_boxes[term] = box
            grid.addWidget(box, i // 3, i % 3)
        self.features_note = QLabel(objectName="featuresNote")
        self.features_note.setWordWrap(True)
        self.features_note.setStyleSheet("color: #555;")
        self.features_note.hide()
        grid.addWidget(self.features_note, 3, 0, 1, 3)
        self.standardize_box = QCheckBox("Standardize inputs", objectName="standardize")
        self.standardize_box.setToolTip("Zero mean, unit variance, fitted on the training split")
        grid.addWidget(self.standardize_box, 4, 0, 1, 3)
        layout.addWidget(features)

        opt = QGroupBox("Optimizer")
        form = QFormLayout(opt)
        form.setVerticalSpacing(_ROW_SPACING)
        self.optimizer_combo = QComboBox(objectName="optimizerCombo")
        for key, text in OPTIMIZER_CHOICES:
            self.optimizer_combo.addItem(text, key)
        self.nesterov_box = QCheckBox("Nesterov", objectName="nesterov")
        row = QHBoxLayout()
        row.addWidget(self.optimizer_combo, 1)
        row.addWidget(self.nesterov_box)
        form.addRow("Optimizer", row)
        self.lr_slider = QSlider(Qt.Orientation.Horizontal, objectName="lrSlider")
        self.lr_slider.setRange(0, LR_STEPS)
        self.lr_slider.setToolTip("Learning rate, logarithmic from 1e-5 to 10")
        self.lr_spin = QDoubleSpinBox(objectName="lrSpin")
        self.lr_spin.setDecimals(6)
        self.lr_spin.setRange(1e-6, 100.0)
        self.lr_spin.setSingleStep(0.001)
        row = QHBoxLayout()
        row.addWidget(self.lr_slider, 1)
        row.addWidget(self.lr_spin)
        form.addRow("Learning rate", row)
        self.lr_bound_label = QLabel("", objectName="lrBound")
        self.lr_bound_label.setStyleSheet("color: #8a5a00;")
        self.lr_bound_label.hide()
        form.addRow(self.lr_bound_label)
        self.batch_spin = _spin(0, 1_000_000, "batchSize", "minibatch size; 0 = the whole training set")
        self.batch_spin.setSpecialValueText("full batch")
        form.addRow("Batch size", self.batch_spin)
        self.epochs_mode_combo = QComboBox(objectName="epochsMode")
        for mode, label in EPOCH_MODES:
            self.epochs_mode_combo.addItem(label, mode)
        self.epochs_mode_combo.setToolTip(
            "until converged: stop when the training objective has not improved by more than the "
            "tolerance (relative) for the given number of epochs; until stopped: until you press "
            "Pause; fixed count: this many epochs"
        )
        self.epochs_spin = _spin(0, 10_000_000, "epochs", "0 = train until you press Pause")
        self.epochs_spin.setSpecialValueText("until stopped")
        row = QHBoxLayout()
        row.addWidget(self.epochs_mode_combo, 1)
        row.addWidget(self.epochs_spin)
        form.addRow("Epochs", row)
        self.tol_spin = QDoubleSpinBox(objectName="tolSpin", decimals=6, keyboardTracking=False)
        self.tol_spin.setRange(1e-6, 0.5)
        self.tol_spin.setSingleStep(1e-4)
        self.tol_spin.setValue(DEFAULT_TOL)
        self.tol_spin.setToolTip("the relative improvement of the training objective that still counts")
        self.no_change_spin = _spin(1, 100_000, "nIterNoChange", "epochs in a row without that improvement")
        self.no_change_spin.setValue(DEFAULT_N_ITER_NO_CHANGE)
        self.no_change_spin.setSuffix(" epochs")
        self.tol_row = QWidget()
        row = QHBoxLayout(self.tol_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.tol_spin, 1)
        row.addWidget(QLabel("for"))
        row.addWidget(self.no_change_spin, 1)
        self.tol_label = QLabel("Tolerance")
        form.addRow(self.tol_label, self.tol_row)
        self.l1_spin = _penalty_spin("l1Spin")
        self.l2_spin = _penalty_spin("l2Spin")
        form.addRow("L1 strength", self.l1_spin)
        form.addRow("L2 strength", self.l2_spin)
        self.patience_spin = _spin(
            0, 100_000, "patience", "stop when the validation loss has not improved for this many epochs"
        )
        self.patience_spin.setSpecialValueText("off")
        form.addRow("Early stopping", self.patience_spin)
        layout.addWidget(opt)

        split = QGroupBox("Data split")
        form = QFormLayout(split)
        form.setVerticalSpacing(_ROW_SPACING)
        self.test_spin = QDoubleSpinBox(objectName="testFraction")
        self.test_spin.setRange(0.0, 0.9)
        self.test_spin.setSingleStep(0.05)
        self.test_spin.setDecimals(2)
        form.addRow("Test fraction", self.test_spin)
        # Seeds go beyond a QSpinBox's 32-bit range (the CLI takes any): a whole-number double box,
        # exact up to 2^53.
        self.seed_spin = QDoubleSpinBox(
            objectName="seed", decimals=0, minimum=0, maximum=2.0**53, keyboardTracking=False
        )
        self.seed_spin.setToolTip("same seed, same numbers")
        form.addRow("Seed", self.seed_spin)
        layout.addWidget(split)
        layout.addStretch(1)

        for w in (self.model_combo, self.activation_combo, self.optimizer_combo):
            w.currentIndexChanged.connect(self._changed)
        for w in (
            self.layers_spin,
            *self.unit_spins,
            self.batch_spin,
            self.patience_spin,
            self.seed_spin,
            self.no_change_spin,
        ):
            w.valueChanged.connect(self._changed)
        self.tol_spin.valueChanged.connect(self._changed)
        self.epochs_spin.valueChanged.connect(self._epochs_typed)
        self.epochs_mode_combo.currentIndexChanged.connect(self._epoch_mode_chosen)
        for w in (self.l1_spin, self.l2_spin, self.test_spin):
            w.valueChanged.connect(self._changed)
        for w in (*self.term_boxes.values(), self.standardize_box, self.nesterov_box):
            w.toggled.connect(self._changed)
        self.lr_spin.valueChanged.connect(self._lr_typed)
        self.lr_slider.valueChanged.connect(self._lr_slid)

    def add_action_button(self, action) -> QToolButton:
        """Put one of the window's actions (Train/Pause, Step, Reset) at the top of the panel."""
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setObjectName(f"button_{action.objectName()}")
        self.buttons_row.addWidget(button)
        self._action_buttons.append(button)
        self._chain_tab_order()
        return button

    def _chain_tab_order(self) -> None:
        """Tab walks the panel top to bottom: the buttons, then every control in the form's order,
        then the restart banner (Qt's default order follows creation, and the buttons come last)."""
        chain = [
            *self._action_buttons,
            self.pace_control.slider,
            self.model_combo,
            self.layers_spin,
            *self.unit_spins,
            self.activation_combo,
            *self.term_boxes.values(),
            self.standardize_box,
            self.optimizer_combo,
            self.nesterov_box,
            self.lr_slider,
            self.lr_spin,
            self.batch_spin,
            self.epochs_mode_combo,
            self.epochs_spin,
            self.tol_spin,
            self.no_change_spin,
            self.l1_spin,
            self.l2_spin,
            self.patience_spin,
            self.test_spin,
            self.seed_spin,
            self.restart_button,
        ]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    # ---------------------------------------------------------------- reactions
    def _changed(self, *_):
        self._update_enabled()
        if not self._updating:
            self._controller.set_config(self.config())

    def _epoch_mode_chosen(self, *_):
        """ "until stopped" is 0 epochs; a fixed count starts from a number if there was none."""
        if not self._updating:
            mode = self.epoch_mode()
            self._updating = True
            try:
                if mode == "stopped":
                    self.epochs_spin.setValue(0)
                elif mode == "fixed" and self.epochs_spin.value() == 0:
                    self.epochs_spin.setValue(DEFAULT_FIXED_EPOCHS)
            finally:
                self._updating = False
        self._changed()

    def _epochs_typed(self, value: int):
        """A count typed while not converging is a fixed count (0: until stopped)."""
        if not self._updating and self.epoch_mode() != "converged":
            self._updating = True
            try:
                self.set_epoch_mode("fixed" if value else "stopped")
            finally:
                self._updating = False
        self._changed()

    def _update_enabled(self):
        converged = self.epoch_mode() == "converged"
        self.tol_row.setVisible(converged)
        self.tol_label.setVisible(converged)
        self.epochs_spin.setSpecialValueText("no cap" if converged else "until stopped")
        self.epochs_spin.setToolTip(
            "the most epochs a run may take (0 = no cap)" if converged else "0 = train until you press Pause"
        )
        mlp = self.model_combo.currentData() == "mlp"
        n = self.layers_spin.value()
        for w in (self.layers_spin, self.layers_label, self.units_label, self.activation_combo, self.activation_label):
            w.setVisible(mlp)
        for i, s in enumerate(self.unit_spins):
            s.setVisible(mlp and i < n)
        self.nesterov_box.setEnabled(self.optimizer_combo.currentData() == "momentum")

    def _lr_typed(self, value: float):
        self._sync_slider(value)
        self._changed()

    def _lr_slid(self, position: int):
        if self._updating:
            return
        lr = float(f"{_slider_to_lr(position):.3g}")
        self._updating = True
        try:
            self.lr_spin.setValue(lr)
        finally:
            self._updating = False
        self._changed()

    def _sync_slider(self, lr: float):
        was = self.lr_slider.blockSignals(True)
        self.lr_slider.setValue(_lr_to_slider(lr))
        self.lr_slider.blockSignals(was)


def _spin(lo, hi, name, tip) -> QSpinBox:
    s = QSpinBox(objectName=name)
    s.setRange(lo, hi)
    s.setToolTip(tip)
    s.setKeyboardTracking(False)
    return s


def _penalty_spin(name) -> QDoubleSpinBox:
    s = QDoubleSpinBox(objectName=name)
    s.setDecimals(5)
    s.setRange(0.0, 10.0)
    s.setSingleStep(0.001)
    s.setKeyboardTracking(False)
    return s


def _lr_to_slider(lr: float) -> int:
    lr = min(max(lr, LR_MIN), LR_MAX)
    return round((math.log10(lr) - math.log10(LR_MIN)) / (math.log10(LR_MAX) - math.log10(LR_MIN)) * LR_STEPS)


def _slider_to_lr(position: int) -> float:
    span = math.log10(LR_MAX) - math.log10(LR_MIN)
    return 10 ** (math.log10(LR_MIN) + span * position / LR_STEPS)


def _show_int(spin, value: int) -> None:
    """Show ``value`` exactly: a configuration from a session or the command line may exceed the
    range the box offers by default, and a clamped box would write the clamped number back."""
    if value > spin.maximum():
        spin.setMaximum(value)
    spin.setValue(value)
