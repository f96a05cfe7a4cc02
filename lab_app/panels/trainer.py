"""The Trainer panel: every hyper-parameter of a run, and the Train / Step / Reset buttons.

The panel edits a :class:`engine.training.TrainConfig` and emits ``configChanged`` with the new
one; it never starts training itself (the window's actions do). Changes that a running
trainer cannot take (anything but the learning rate) show a banner offering a restart.

The input-feature terms (x₁, x₂, x₁², …) are for one or two inputs. Data with more columns are
used linearly, every input once (``features="linear"``): the term boxes are disabled meanwhile.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
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

#: What the lab starts with: fast, visibly moving, and correct for the default example.
DEFAULT_CONFIG = TrainConfig(
    model="logistic", features=("x1", "x2"), lr=0.03, batch_size=32, epochs=0, test_fraction=0.2, seed=0
)


class TrainerPanel(QWidget):
    """Form for a :class:`TrainConfig`. ``configChanged(TrainConfig)`` on every edit."""

    configChanged = Signal(object)
    restartRequested = Signal()

    def __init__(self, config: TrainConfig = DEFAULT_CONFIG, parent: QWidget | None = None):
        super().__init__(parent)
        self._updating = False
        self._n_inputs = 2
        self._build()
        self.set_config(config)

    # ---------------------------------------------------------------- public API
    def config(self) -> TrainConfig:
        model = self.model_combo.currentData()
        hidden = tuple(s.value() for s in self.unit_spins[: self.layers_spin.value()]) if model == "mlp" else ()
        terms = tuple(t for t, box in self.term_boxes.items() if box.isChecked() and box.isEnabled())
        features = "linear" if self._n_inputs > 2 else terms or ("x1",)
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
            l1=self.l1_spin.value(),
            l2=self.l2_spin.value(),
            test_fraction=self.test_spin.value(),
            seed=self.seed_spin.value(),
            early_stopping=self.patience_spin.value(),
        )

    def set_config(self, config: TrainConfig) -> None:
        self._updating = True
        try:
            model = config.model if config.model != "auto" else ("mlp" if config.hidden else "logistic")
            self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(model)))
            hidden = config.hidden_layers() if model == "mlp" else ()
            self.layers_spin.setValue(len(hidden) if model == "mlp" else 1)
            for spin, units in zip(self.unit_spins, hidden):
                spin.setValue(units)
            self.activation_combo.setCurrentText(config.activation)
            terms = config.features if not isinstance(config.features, str) else ("x1", "x2")
            for term, box in self.term_boxes.items():
                box.setChecked(term in terms)
            self.standardize_box.setChecked(config.standardize)
            self.optimizer_combo.setCurrentIndex(max(0, self.optimizer_combo.findData(config.optimizer)))
            self.nesterov_box.setChecked(config.nesterov)
            self.lr_spin.setValue(config.lr)
            self._sync_slider(config.lr)
            self.batch_spin.setValue(config.batch_size)
            self.epochs_spin.setValue(config.epochs)
            self.l1_spin.setValue(config.l1)
            self.l2_spin.setValue(config.l2)
            self.test_spin.setValue(config.test_fraction)
            self.seed_spin.setValue(config.seed)
            self.patience_spin.setValue(config.early_stopping)
        finally:
            self._updating = False
        self._update_enabled()

    def set_input_dims(self, n_dims: int) -> None:
        """Disable the x₂ terms for 1-D data, and every term for more than two inputs (the model is
        then linear in all of them; ``configChanged`` tells when that starts or stops)."""
        many, was_many = n_dims > 2, self._n_inputs > 2
        self._n_inputs = n_dims
        tip = f"Linear in all {n_dims} inputs for data with more than 2 columns" if many else ""
        for term, box in self.term_boxes.items():
            box.setEnabled(not many and (n_dims >= 2 or "x2" not in term))
            box.setToolTip(tip)
        self.features_note.setText(f"Linear in all {n_dims} inputs (the terms are for 2-column data).")
        self.features_note.setVisible(many)
        if many != was_many and not self._updating:
            self.configChanged.emit(self.config())

    def set_n_classes(self, n_classes: int) -> None:
        """Logistic regression is for two classes: offer softmax instead for more."""
        item = self.model_combo.model().item(0)
        item.setEnabled(n_classes == 2)
        if n_classes > 2 and self.model_combo.currentData() == "logistic":
            self.model_combo.setCurrentIndex(1)

    def show_restart_banner(self, visible: bool) -> None:
        self.restart_banner.setVisible(visible)

    def set_lr_bound(self, bound: float | None) -> None:
        """Mark the stable learning-rate bound (e.g. 2/λ_max for gradient descent) on the slider."""
        if bound is None or not math.isfinite(bound) or bound <= 0:
            self.lr_bound_label.setText("")
            self.lr_bound_label.hide()
            return
        self.lr_bound_label.setText(f"stable below ≈ {bound:.3g} (2/λmax)")
        self.lr_bound_label.show()

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

        self.buttons_row = QHBoxLayout()
        layout.addLayout(self.buttons_row)

        self.restart_banner = QWidget()
        self.restart_banner.setObjectName("restartBanner")
        self.restart_banner.setStyleSheet(
            "#restartBanner { background: #fff4d6; border: 1px solid #e0b84c; border-radius: 4px; }"
        )
        banner = QHBoxLayout(self.restart_banner)
        text = QLabel("These changes apply to a new run.")
        text.setWordWrap(True)
        restart = QPushButton("Restart now")
        restart.setObjectName("restartNow")
        restart.clicked.connect(self.restartRequested)
        banner.addWidget(text, 1)
        banner.addWidget(restart)
        self.restart_banner.hide()
        layout.addWidget(self.restart_banner)

        model_box = QGroupBox("Model")
        form = QFormLayout(model_box)
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
        self.epochs_spin = _spin(0, 10_000_000, "epochs", "0 = train until you press Pause")
        self.epochs_spin.setSpecialValueText("until stopped")
        form.addRow("Epochs", self.epochs_spin)
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
        self.test_spin = QDoubleSpinBox(objectName="testFraction")
        self.test_spin.setRange(0.0, 0.9)
        self.test_spin.setSingleStep(0.05)
        self.test_spin.setDecimals(2)
        form.addRow("Test fraction", self.test_spin)
        self.seed_spin = _spin(0, 2**31 - 1, "seed", "same seed, same numbers")
        form.addRow("Seed", self.seed_spin)
        layout.addWidget(split)
        layout.addStretch(1)

        for w in (self.model_combo, self.activation_combo, self.optimizer_combo):
            w.currentIndexChanged.connect(self._changed)
        for w in (
            self.layers_spin,
            *self.unit_spins,
            self.batch_spin,
            self.epochs_spin,
            self.patience_spin,
            self.seed_spin,
        ):
            w.valueChanged.connect(self._changed)
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
        return button

    # ---------------------------------------------------------------- reactions
    def _changed(self, *_):
        self._update_enabled()
        if not self._updating:
            self.configChanged.emit(self.config())

    def _update_enabled(self):
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
