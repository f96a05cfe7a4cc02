"""The Data menu: "New dataset…" (the generator dialog) and the failure-mode presets.

The window makes one :class:`DatasetMenu` and puts its ``menu`` before "Train". Loading generated
or preset data is one undo step (``LabDocument.load_dataset``); a preset's training settings are
not undoable (they are settings, not document edits). Data drawn from a known logistic model keep
their truth in :attr:`DatasetMenu.truth`, so that once a run has trained on them the window's
status message can show true against learned weights (:meth:`DatasetMenu.readout`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from engine.catalog import PRESETS
from engine.data import Dataset
from engine.training import TrainConfig
from lab_app.dialogs.generator import GeneratorDialog, TrueParameters
from lab_app.training.config import DEFAULT_CONFIG
from lab_app.training.pace import pace_for_run

__all__ = [
    "DatasetMenu",
    "TrueVsLearned",
    "compare_with_truth",
    "preset_config",
    "true_vs_learned",
]

NEW_DATASET_SHORTCUT = "Ctrl+Shift+N"
#: Presets are chords: Ctrl+D (for Data), then the preset's number in the menu.
PRESET_SHORTCUT = "Ctrl+D, {}"


def preset_config(key: str, n_dims: int = 2) -> TrainConfig:
    """The full :class:`TrainConfig` of preset ``key``: the lab's defaults with the preset's
    overrides; ``features="linear"`` becomes the explicit terms the trainer panel ticks. A
    preset's epochs are a fixed count, not a cap on "until converged": its failure (a plateau,
    a crawl) shows only over all of them."""
    config = DEFAULT_CONFIG.with_(tol=0.0, **PRESETS[key].config)
    if config.features == "linear":
        config = config.with_(features=("x1", "x2")[:n_dims])
    return config


@dataclass(frozen=True)
class TrueVsLearned:
    """True and learned weights of the same features, for a readout or a table."""

    features: tuple[str, ...]
    true_weights: np.ndarray  # (m,)
    learned_weights: np.ndarray  # (m,)
    true_bias: float
    learned_bias: float

    def text(self) -> str:
        def vec(a):
            return "(" + ", ".join(f"{v:.3g}" for v in a) + ")"

        return (
            f"True vs learned — w on {', '.join(self.features)}: {vec(self.true_weights)} vs "
            f"{vec(self.learned_weights)}; b: {self.true_bias:.3g} vs {self.learned_bias:.3g}"
        )


def compare_with_truth(truth: TrueParameters, model) -> TrueVsLearned | str:
    """Learned coefficients of a linear binary ``model`` (an ``engine.training.Model`` with its
    weights set) next to ``truth``; a one-line reason (str) when they cannot be compared."""
    if not model.is_linear or len(model.classes) != 2:
        return "True weights are for a linear model: choose logistic regression to compare."
    names = list(model.feature_names)
    missing = [f for f in truth.features if f not in names]
    if missing:
        return f"The true model uses {', '.join(truth.features)}: tick those input features to compare."
    coef, intercept = model.coef_intercept()
    learned = np.array([coef[0, names.index(f)] for f in truth.features])
    return TrueVsLearned(truth.features, truth.weights.copy(), learned, truth.bias, float(intercept[0]))


def true_vs_learned(truth, controller, snapshot=None) -> TrueVsLearned | str | None:
    """Compare ``truth`` (TrueParameters or None) with the newest (or ``snapshot``'s) weights of the
    controller's run; None when there is no truth or the run did not train on the generated points."""
    info = controller.run_info
    snapshot = snapshot if snapshot is not None else controller.latest
    if truth is None or info is None or snapshot is None or snapshot.run_id != info.run_id:
        return None
    if not _same_points(info.dataset, truth.dataset):
        return None
    return compare_with_truth(truth, info.model_at(snapshot.params))


class DatasetMenu(QObject):
    """Owns the Data menu's actions and the generator dialog of one window."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dialog: GeneratorDialog | None = None
        self._last_generator = "two_gaussians"
        self._last_seed = 0
        #: The truth of the last generated logistic-model data (None after other data).
        self.truth: TrueParameters | None = None

        self.act_new_dataset = QAction("&New dataset…", window)
        self.act_new_dataset.setObjectName("actionNewDataset")
        self.act_new_dataset.setShortcut(QKeySequence(NEW_DATASET_SHORTCUT))
        tip = "Generate seeded data: classics, a known logistic model, 1-D examples"
        self.act_new_dataset.setStatusTip(tip)
        self.act_new_dataset.setToolTip(tip)
        self.act_new_dataset.triggered.connect(self.open_dialog)
        window.addAction(self.act_new_dataset)

        self.menu = QMenu("&Data", window)
        self.menu.setObjectName("menuData")
        self.menu.addAction(self.act_new_dataset)
        self.presets_menu = self.menu.addMenu("Failure-mode &presets")
        self.presets_menu.setObjectName("menuPresets")
        self.preset_actions: dict[str, QAction] = {}
        for number, (key, preset) in enumerate(PRESETS.items(), start=1):
            action = QAction(preset.label, window)
            action.setObjectName(f"actionPreset_{key}")
            if number <= 9:
                action.setShortcut(QKeySequence(PRESET_SHORTCUT.format(number)))
            action.setStatusTip(preset.lesson)
            action.setToolTip(preset.lesson)
            action.triggered.connect(lambda _checked=False, key=key: self.apply_preset(key))
            self.presets_menu.addAction(action)
            window.addAction(action)  # shortcuts work with the menu closed
            self.preset_actions[key] = action
        self.presets_menu.setToolTipsVisible(True)

    # ---------------------------------------------------------------- public API
    def readout(self, snapshot=None) -> TrueVsLearned | str | None:
        """True against learned weights of the newest (or ``snapshot``'s) model, when the run
        trained on generated data with a known truth; else None."""
        result = true_vs_learned(self.truth, self.window.controller, snapshot)
        if result is not None:
            self.window.last_true_vs_learned = result
        return result

    def open_dialog(self) -> GeneratorDialog:
        """Show the generator dialog (window-modal, not blocking: training and tests go on)."""
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return self.dialog
        config = self.window.controller.config
        dialog = GeneratorDialog(
            self.window,
            generator=self._last_generator,
            seed=self._last_seed,
            test_fraction=config.test_fraction,
            split_seed=config.seed,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._finish(dialog))
        dialog.finished.connect(lambda _result: self._closed(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def load_generated(
        self, dataset: Dataset, truth: TrueParameters | None = None, message: str = "", *, reset: bool = True
    ) -> bool:
        """Replace the points by ``dataset`` (one undo step, ranges fitted) and, with ``reset``,
        show a fresh untrained run on them. False (and a message) if the document refused them."""
        w = self.window
        try:
            w.controller.stop()
            # The old run's test split and misclassified marks do not belong to the new points.
            w.designer.set_test_mask(None)
            w.designer.set_misclassified(None)
            w.document.load_dataset(dataset, fit_ranges=True)
        except ValueError as exc:
            w._message(QMessageBox.Icon.Warning, "Cannot load the dataset", f"{exc}\n\nYour data are unchanged.")
            return False
        self.truth = truth
        if reset:
            w.controller.reset()
        if message:
            w.statusBar().showMessage(message, 10000)
        return True

    def apply_preset(self, key: str, seed: int = 0) -> None:
        """Load preset ``key``'s data and training settings, and say what it teaches."""
        preset = PRESETS[key]
        w = self.window
        dataset = preset.dataset_factory(seed=seed)
        if not self.load_generated(dataset, reset=False):
            return
        config = preset_config(key, n_dims=dataset.n_features)
        w.controller.set_config(config)
        w.controller.set_pace(pace_for_run(w.controller.pace, config.epochs))
        w.controller.reset()  # the new settings' initial model, on the new data
        w.statusBar().showMessage(f"{preset.label}: {preset.lesson}")
        w._message(QMessageBox.Icon.Information, preset.label, preset.lesson)

    # ---------------------------------------------------------------- reactions
    def _finish(self, dialog: GeneratorDialog) -> None:
        self._last_generator = dialog.generator_key
        self._last_seed = dialog.seed_spin.value()
        label = dialog.list.currentItem().text().strip()
        data = dialog.dataset
        text = f"New dataset: {label}, {data.n_samples:,} points (seed {dialog.seed_spin.value()})."
        if dialog.truth is not None:
            text += f" True {dialog.truth.equation()} — train, then pause to compare."
        if not self.load_generated(data, dialog.truth, text, reset=False):
            return
        c = self.window.controller
        if dialog.test_fraction != c.config.test_fraction:  # the dialog's test ratio: the run's split
            c.set_config(c.config.with_(test_fraction=dialog.test_fraction))
        c.reset()

    def _closed(self, dialog: GeneratorDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None


def _same_points(a: Dataset, b: Dataset) -> bool:
    return a.X.shape == b.X.shape and np.array_equal(a.X, b.X)
