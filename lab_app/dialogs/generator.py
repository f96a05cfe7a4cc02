"""The "New dataset" dialog: pick a seeded generator, set its knobs, watch a live preview.

The dialog only *makes* data: every change of a control re-generates (debounced, so a spin-box
drag is one regeneration) and redraws a small preview in the class colours. It never touches
the document; whoever opened it reads :attr:`GeneratorDialog.dataset` (and, for the logistic
model, :attr:`GeneratorDialog.truth`) after ``accepted`` (see :mod:`lab_app.window.data_menu`).
What it offers (groups, descriptions, option knobs) is listed in :mod:`lab_app.dialogs.generator_catalog`.

Just over 500 lines: one dialog (catalog, options, sliders, live preview); the catalog's
texts are already in :mod:`.generator_catalog`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.catalog import GENERATORS
from engine.data import Dataset
from engine.generators import logistic_model
from engine.training import stratified_split
from lab_app.dialogs.generator_catalog import (
    DEFAULT_COS_WEIGHTS,
    DESCRIPTIONS,
    DISTRIBUTIONS,
    GROUPS,
    LINEAR_TERMS,
    LOGISTIC_OPTIONS,
    OPTION_SPECS,
    SINCOS_TERMS,
    TERM_LABELS,
    float_spin,
    int_spin,
    linear_scale,
    linked_slider,
    log_scale,
    option_widget,
)
from lab_app.tasks import Debouncer
from lab_app.widgets import palette
from lab_app.widgets.plots import make_plot

__all__ = ["LINEAR_TERMS", "MAX_SAMPLES", "PREVIEW_DELAY_MS", "SINCOS_TERMS", "GeneratorDialog", "TrueParameters"]

#: Milliseconds of quiet after the last change before the preview is regenerated.
PREVIEW_DELAY_MS = 100
MAX_SAMPLES = 20_000
MAX_NOISE = 5.0
#: The largest test ratio the dialog offers (as the Trainer's test fraction).
MAX_TEST_FRACTION = 0.9


@dataclass(frozen=True, eq=False)
class TrueParameters:
    """The truth behind a logistic-model dataset, kept so a fit can be compared with it.

    Attributes
    ----------
    weights : np.ndarray
        Shape (m,): one weight per entry of ``features``.
    bias : float
        True intercept.
    features : tuple of str
        Names of the features the truth is linear in, as in ``engine.features.TERMS``:
        ``("x1", "x2")`` or ``("sin x1", "sin x2", "cos x1", "cos x2")``.
    distribution, rho, logit_noise
        How the inputs and the logit were drawn (``rho``: Toeplitz correlation).
    dataset : Dataset
        The generated data, so a run can tell whether it trains on them.
    """

    weights: np.ndarray
    bias: float
    features: tuple[str, ...]
    distribution: str
    rho: float
    logit_noise: float
    dataset: Dataset

    def equation(self) -> str:
        """``logit P(1) = 2·x1 − 1·x2 + 0.5`` (without the logit noise)."""
        terms = [f"{_num(self.weights[0])}·{self.features[0]}"]
        for w, name in zip(self.weights[1:], self.features[1:]):
            terms.append(f"{'−' if w < 0 else '+'} {_num(abs(w))}·{name}")
        b = self.bias
        return f"logit P(1) = {' '.join(terms)} {'−' if b < 0 else '+'} {_num(abs(b))}"


class GeneratorDialog(QDialog):
    """Choose a generator from :data:`engine.catalog.GENERATORS` and preview its data live.

    ``previewUpdated`` fires after each regeneration. After ``accepted``, :attr:`dataset` holds
    exactly the previewed data and :attr:`truth` the :class:`TrueParameters` (logistic model) or
    None; :attr:`test_fraction` the test ratio to train with.

    Points, noise and the test ratio each have a slider beside their spin box (which shows the
    exact value); moving one regenerates the preview with the same seed (debounced). The preview
    draws hollow the points a run with training seed ``split_seed`` and this test ratio holds out
    (``engine.training.stratified_split``, as ``engine.training.Trainer`` splits).
    """

    previewUpdated = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        generator: str = "two_gaussians",
        seed: int = 0,
        test_fraction: float = 0.0,
        split_seed: int = 0,
    ):
        super().__init__(parent)
        self.setObjectName("generatorDialog")
        self.setWindowTitle("New dataset")
        self.dataset: Dataset | None = None
        self.truth: TrueParameters | None = None
        self.error: str | None = None
        self.test_mask = np.zeros(0, dtype=bool)  # the preview's points a run would hold out
        self._split_seed = int(split_seed)
        self._slider_links: list = []  # (spin, slider, to_position): kept in step when spins are set quietly
        self._key = ""
        self._option_getters: dict[str, Callable[[], object]] = {}
        self.option_widgets: dict[str, QWidget] = {}
        self._preview_soon = Debouncer(PREVIEW_DELAY_MS, self.update_preview, parent=self)
        self._build()
        self.test_spin.setValue(min(max(float(test_fraction), 0.0), MAX_TEST_FRACTION))
        self.seed_spin.setValue(seed)
        self.set_generator(generator if generator in GENERATORS else next(iter(GENERATORS)))
        self.update_preview()

    # ---------------------------------------------------------------- public API
    @property
    def generator_key(self) -> str:
        return self._key

    @property
    def test_fraction(self) -> float:
        """The share of points held out for testing (the run's ``test_fraction`` once loaded)."""
        return float(self.test_spin.value())

    def set_generator(self, key: str) -> None:
        """Select generator ``key`` (as the list does): its default size, noise and options."""
        if key not in GENERATORS:
            raise KeyError(f"no generator {key!r}; choose one of {', '.join(GENERATORS)}")
        self._key = key
        item = self._items[key]
        if self.list.currentItem() is not item:
            self.list.setCurrentItem(item)  # comes back here through currentItemChanged
            return
        spec = GENERATORS[key]
        blocked = [w.blockSignals(True) for w in (self.n_spin, self.noise_spin)]
        self.n_spin.setValue(spec.n)
        self.noise_spin.setValue(spec.noise)
        for w, was in zip((self.n_spin, self.noise_spin), blocked):
            w.blockSignals(was)
        self._sync_sliders()
        for w in (self.n_spin, self.noise_spin, self.seed_spin, self.new_seed_button, self.n_slider, self.noise_slider):
            w.setEnabled(not spec.fixed)
        logistic = key == "logistic"
        self.noise_label.setText("Logit noise (sd)" if logistic else "Noise (sd)")
        self.noise_spin.setToolTip(
            "sd of Gaussian noise added to each logit: a model the fit cannot represent, it shrinks the learned weights"
            if logistic
            else "standard deviation of the noise, in data units"
        )
        self._build_options(spec.options if not logistic else {})
        self.truth_box.setVisible(logistic)
        if logistic:
            self._reset_truth_controls(spec.options)
        self.description.setText(DESCRIPTIONS.get(key, _first_line(spec.make.__doc__)))
        self.schedule_preview()

    def params(self) -> dict:
        """The current keyword arguments: ``n``, ``noise``, ``seed`` and the generator's options
        (for the logistic model ``weights``, ``bias``, ``distribution``, ``rho``, ``transform``)."""
        out = {"n": self.n_spin.value(), "noise": self.noise_spin.value(), "seed": self.seed_spin.value()}
        out.update({name: get() for name, get in self._option_getters.items()})
        if self._key == "logistic":
            sincos = self.sincos_box.isChecked()
            out.update(
                weights=tuple(s.value() for s in self.weight_spins[: 4 if sincos else 2]),
                bias=self.bias_spin.value(),
                distribution=self.distribution_combo.currentData(),
                rho=self.rho_spin.value(),
                transform="sincos" if sincos else None,
            )
        return out

    def generate(self) -> tuple[Dataset, TrueParameters | None]:
        """Make the data the controls describe (same controls, same arrays)."""
        p = self.params()
        if self._key != "logistic":
            return GENERATORS[self._key].make(**p), None
        made = logistic_model(
            p["n"],
            p["weights"],
            p["bias"],
            distribution=p["distribution"],
            rho=p["rho"],
            logit_noise=p["noise"],
            transform=p["transform"],
            seed=p["seed"],
        )
        features = SINCOS_TERMS if p["transform"] == "sincos" else LINEAR_TERMS
        truth = TrueParameters(
            made.weights.copy(), made.bias, features, p["distribution"], p["rho"], p["noise"], made.dataset
        )
        return made.dataset, truth

    def schedule_preview(self) -> None:
        """Regenerate after :data:`PREVIEW_DELAY_MS` of quiet (restarts on every change)."""
        self._preview_soon.trigger()

    def update_preview(self) -> None:
        """Regenerate now and redraw; a failure (e.g. fewer points than classes) is shown, not raised."""
        self._preview_soon.cancel()
        try:
            self.dataset, self.truth = self.generate()
            self.error = None
        except ValueError as exc:
            self.dataset, self.truth, self.error = None, None, str(exc)
        self.test_mask = self._split(self.dataset)
        self._draw()
        self.ok_button.setEnabled(self.dataset is not None)
        self.previewUpdated.emit()

    def preview_points(self) -> np.ndarray:
        """(k, 2) coordinates drawn in the preview (1-D data: x and the class level)."""
        x, y = self.scatter.getData()
        return np.column_stack([x, y]) if x is not None else np.empty((0, 2))

    def accept(self) -> None:
        self._preview_soon.flush()  # a change still waiting for its preview: OK takes it too
        if self.dataset is not None:
            super().accept()

    # ---------------------------------------------------------------- building
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        body = QHBoxLayout()
        layout.addLayout(body, 1)

        self.list = QListWidget(objectName="generatorList")
        self.list.setFixedWidth(230)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._items: dict[str, QListWidgetItem] = {}
        listed = {k for _, keys in GROUPS for k in keys}
        groups = [*GROUPS, ("More", tuple(k for k in GENERATORS if k not in listed))]
        for title, keys in groups:
            keys = [k for k in keys if k in GENERATORS]
            if not keys:
                continue
            header = QListWidgetItem(title)
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            header.setForeground(QColor("#555555"))  # a heading, not a greyed-out choice
            font = header.font()
            font.setBold(True)
            header.setFont(font)
            self.list.addItem(header)
            for key in keys:
                item = QListWidgetItem("    " + GENERATORS[key].label)
                item.setData(Qt.ItemDataRole.UserRole, key)
                self.list.addItem(item)
                self._items[key] = item
        self.list.currentItemChanged.connect(self._on_item_changed)
        body.addWidget(self.list)

        column_widget = QWidget()
        column_widget.setFixedWidth(300)  # the preview keeps its place when the form changes
        controls = QVBoxLayout(column_widget)
        controls.setContentsMargins(0, 0, 0, 0)
        body.addWidget(column_widget)
        sampling = QGroupBox("Sampling")
        form = QFormLayout(sampling)
        self.n_spin = int_spin(2, MAX_SAMPLES, "samplesSpin", "number of points")
        self.n_spin.setSingleStep(50)
        row, self.n_slider = self._slider(self.n_spin, "samplesSlider", log_scale(2, MAX_SAMPLES))
        form.addRow("Points", row)
        self.noise_spin = float_spin(0.0, MAX_NOISE, 0.05, "noiseSpin", decimals=3)
        self.noise_label = QLabel("Noise (sd)")
        row, self.noise_slider = self._slider(self.noise_spin, "noiseSlider", linear_scale(0.0, MAX_NOISE))
        form.addRow(self.noise_label, row)
        self.test_spin = float_spin(0.0, MAX_TEST_FRACTION, 0.05, "testRatioSpin", decimals=2)
        self.test_spin.setToolTip(
            "share of the points held out for testing (drawn hollow); the Trainer's test fraction"
        )
        row, self.test_slider = self._slider(self.test_spin, "testRatioSlider", linear_scale(0.0, MAX_TEST_FRACTION))
        form.addRow("Test ratio", row)
        self.seed_spin = int_spin(0, 2**31 - 1, "seedSpin", "same seed, same points")
        self.new_seed_button = QToolButton(objectName="newSeedButton", text="New seed")
        self.new_seed_button.setToolTip("draw a random seed")
        self.new_seed_button.clicked.connect(self._new_seed)
        row = QHBoxLayout()
        row.addWidget(self.seed_spin, 1)
        row.addWidget(self.new_seed_button)
        form.addRow("Seed", row)
        controls.addWidget(sampling)

        self.options_box = QGroupBox("Shape")
        self.options_form = QFormLayout(self.options_box)
        controls.addWidget(self.options_box)

        self.truth_box = QGroupBox("True model")
        self.truth_box.setObjectName("trueModelBox")
        form = QFormLayout(self.truth_box)
        self.sincos_box = QCheckBox("sin/cos transform of the inputs", objectName="sincosBox")
        self.sincos_box.setToolTip("the logit is linear in sin x₁, sin x₂, cos x₁, cos x₂ instead of x₁, x₂")
        self.sincos_box.toggled.connect(self._on_sincos_toggled)
        form.addRow(self.sincos_box)
        self.weight_spins, self.weight_labels = [], []
        for i in range(4):
            spin = float_spin(-20.0, 20.0, 0.5, f"weight{i}", decimals=2)
            label = QLabel(TERM_LABELS[LINEAR_TERMS[i]] if i < 2 else TERM_LABELS[SINCOS_TERMS[i]])
            form.addRow(label, spin)
            self.weight_spins.append(spin)
            self.weight_labels.append(label)
        self.bias_spin = float_spin(-20.0, 20.0, 0.25, "biasSpin", decimals=2)
        form.addRow("Bias b", self.bias_spin)
        self.distribution_combo = QComboBox(objectName="distributionCombo")
        for key, text in DISTRIBUTIONS:
            self.distribution_combo.addItem(text, key)
        form.addRow("Inputs", self.distribution_combo)
        self.rho_spin = float_spin(-0.95, 0.95, 0.1, "rhoSpin", decimals=2)
        self.rho_spin.setToolTip("correlation ρ^|i−j| between inputs (Toeplitz)")
        form.addRow("Correlation ρ", self.rho_spin)
        controls.addWidget(self.truth_box)
        controls.addStretch(1)

        preview = QGroupBox("Preview")
        column = QVBoxLayout(preview)
        self.plot, item = make_plot("previewPlot", (340, 320), grid=0.12)
        self.view_box = item.getViewBox()
        self.view_box.setMouseEnabled(x=False, y=False)
        # Created once; afterwards only their data change.
        self.scatter = pg.ScatterPlotItem(size=6, symbol="o")
        self.truth_line = pg.InfiniteLine(pen=pg.mkPen(palette.INK, width=1.5, style=Qt.PenStyle.DashLine))
        self.truth_line.setToolTip("true decision boundary w·x + b = 0")
        self.truth_line.hide()
        item.addItem(self.scatter)
        item.addItem(self.truth_line, ignoreBounds=True)
        self._brushes = [pg.mkBrush(palette.qcolor(i)) for i in range(palette.MAX_CLASSES)]
        self._pens = [pg.mkPen(palette.outline(i), width=1) for i in range(palette.MAX_CLASSES)]
        self._hollow = pg.mkBrush("w")  # test points: hollow, as the designer draws them
        self._test_pens = [pg.mkPen(palette.qcolor(i), width=1.8) for i in range(palette.MAX_CLASSES)]
        column.addWidget(self.plot, 1)
        self.summary = QLabel(objectName="summaryLabel")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        column.addWidget(self.summary)
        body.addWidget(preview, 1)

        self.description = QLabel(objectName="generatorDescription")
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: #444444;")
        layout.addWidget(self.description)
        self.button_box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.button_box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Load dataset")
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)
        layout.addWidget(self.button_box)

        spins = (self.n_spin, self.noise_spin, self.test_spin, self.seed_spin, *self.weight_spins)
        for spin in (*spins, self.bias_spin, self.rho_spin):
            spin.valueChanged.connect(self.schedule_preview)
        self.distribution_combo.currentIndexChanged.connect(self.schedule_preview)
        self.resize(920, 580)

    def _slider(self, spin, name: str, scale):
        row, slider = linked_slider(spin, name, scale)
        self._slider_links.append((spin, slider, scale[1]))
        return row, slider

    def _sync_sliders(self) -> None:
        """Move each slider to its spin box's value (after the spin boxes were set with signals blocked)."""
        for spin, slider, to_position in self._slider_links:
            was = slider.blockSignals(True)
            slider.setValue(to_position(spin.value()))
            slider.blockSignals(was)

    def _split(self, data: Dataset | None) -> np.ndarray:
        """(n,) bool: the points a run with the training seed would hold out at the test ratio."""
        if data is None:
            return np.zeros(0, dtype=bool)
        mask = np.zeros(data.n_samples, dtype=bool)
        _, test = stratified_split(data.y, self.test_fraction, np.random.default_rng(self._split_seed))
        mask[test] = True
        return mask

    def _build_options(self, options) -> None:
        """One row per option of the chosen generator (known ones get friendly labels and ranges)."""
        while self.options_form.rowCount():
            self.options_form.removeRow(0)  # deletes the row's widgets too
        self._option_getters.clear()
        self.option_widgets.clear()
        for name, default in options.items():
            if name in LOGISTIC_OPTIONS:
                continue
            widget, getter = option_widget(name, default)
            if widget is None:
                continue
            widget.setObjectName(f"option_{name}")
            signal = widget.valueChanged if hasattr(widget, "valueChanged") else widget.textChanged
            signal.connect(self.schedule_preview)
            label = OPTION_SPECS.get(name, (name.replace("_", " ").capitalize(),))[0]
            self.options_form.addRow(label, widget)
            self.option_widgets[name] = widget
            self._option_getters[name] = getter
        self.options_box.setVisible(bool(self.option_widgets))

    def _reset_truth_controls(self, defaults) -> None:
        weights = tuple(defaults.get("weights", (2.0, -1.0)))[:2]
        values = [*weights, *DEFAULT_COS_WEIGHTS]
        widgets = [*self.weight_spins, self.bias_spin, self.rho_spin, self.distribution_combo, self.sincos_box]
        blocked = [w.blockSignals(True) for w in widgets]
        for spin, value in zip(self.weight_spins, values):
            spin.setValue(float(value))
        self.bias_spin.setValue(float(defaults.get("bias", 0.0)))
        self.rho_spin.setValue(float(defaults.get("rho", 0.0)))
        index = self.distribution_combo.findData(defaults.get("distribution", "normal"))
        self.distribution_combo.setCurrentIndex(max(index, 0))
        self.sincos_box.setChecked(False)
        for w, was in zip(widgets, blocked):
            w.blockSignals(was)
        self._show_weight_rows(False)

    # ---------------------------------------------------------------- reactions
    def _on_item_changed(self, item: QListWidgetItem | None, _previous) -> None:
        key = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if key in GENERATORS:
            self.set_generator(key)

    def _on_sincos_toggled(self, checked: bool) -> None:
        self._show_weight_rows(checked)
        self.schedule_preview()

    def _show_weight_rows(self, sincos: bool) -> None:
        names = SINCOS_TERMS if sincos else LINEAR_TERMS
        for i, (spin, label) in enumerate(zip(self.weight_spins, self.weight_labels)):
            visible = i < len(names)
            spin.setVisible(visible)
            label.setVisible(visible)
            if visible:
                label.setText(TERM_LABELS[names[i]])

    def _new_seed(self) -> None:
        self.seed_spin.setValue(int(np.random.default_rng().integers(0, 100_000)))

    def _draw(self) -> None:
        data = self.dataset
        if data is None:
            self.scatter.setData(x=[], y=[])
            self.truth_line.hide()
            self.summary.setText(f"<span style='color:#b00020'>{html.escape(self.error or '')}</span>")
            return
        one_d = data.n_features == 1
        x = data.X[:, 0]
        # 1-D data are drawn as the designer draws them: x against the class level.
        y = data.y / max(data.n_classes - 1, 1) if one_d else data.X[:, 1]
        codes = data.y % palette.MAX_CLASSES
        brushes = [self._hollow if t else self._brushes[c] for c, t in zip(codes, self.test_mask)]
        pens = [self._test_pens[c] if t else self._pens[c] for c, t in zip(codes, self.test_mask)]
        self.scatter.setData(x=x, y=y, brush=brushes, pen=pens)
        self.view_box.setAspectLocked(not one_d)
        # 1-D: the vertical axis only separates the classes, so it names them.
        levels = [(i / max(data.n_classes - 1, 1), str(c)) for i, c in enumerate(data.classes)]
        self.plot.getPlotItem().getAxis("left").setTicks([levels] if one_d else None)
        self._draw_truth_line(one_d)
        self.view_box.autoRange(padding=0.06)
        if one_d:
            self.view_box.setYRange(-0.25, 1.25, padding=0)
        self.summary.setText(_summary_html(data, self.truth, int(self.test_mask.sum())))

    def _draw_truth_line(self, one_d: bool) -> None:
        t = self.truth
        if one_d or t is None or t.features != LINEAR_TERMS or not np.any(t.weights):
            self.truth_line.hide()
            return
        w = t.weights
        # w·p + b = 0 at the point p nearest the origin; the line runs along (w2, −w1).
        self.truth_line.setPos(pg.Point(*(-t.bias * w / (w @ w))))
        self.truth_line.setAngle(float(np.degrees(np.arctan2(-w[0], w[1]))))
        self.truth_line.show()


# ------------------------------------------------------------------ helpers
def _summary_html(data: Dataset, truth: TrueParameters | None, n_test: int = 0) -> str:
    counts = np.bincount(data.y, minlength=data.n_classes)
    parts = [
        f"<span style='color:{palette.hex_color(i)}'>●</span>&nbsp;{html.escape(str(c))}: {n:,}"
        for i, (c, n) in enumerate(zip(data.classes, counts))
    ]
    text = f"<b>{data.n_samples:,} points</b> &nbsp; " + " &nbsp; ".join(parts)
    if n_test:
        text += f"<br>{data.n_samples - n_test:,} to train, {n_test:,} held out to test (hollow)"
    if truth is not None:
        text += f"<br>{html.escape(truth.equation())}"
    return text


def _num(value: float) -> str:
    return f"{float(value):.4g}"


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if doc and doc.strip() else ""
