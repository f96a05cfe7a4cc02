"""Pinned runs: finished (or paused) runs kept beside the live one, to compare against.

:class:`PinnedRuns` owns them (the window makes one); the Loss view draws their curves dashed, the
boundary view their decision contours, the Pinned runs panel lists them, and sessions keep them
(:mod:`engine.comparison` gives their saved form and their labels).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine.comparison import MAX_PINNED, PINNED_COLUMNS, config_difference, pinned_to_dict
from engine.model import Model
from engine.training import TrainConfig

__all__ = ["MAX_PINNED", "PinnedRun", "PinnedRuns"]


@dataclass(frozen=True, eq=False)  # eq=False: arrays inside; identity is what matters
class PinnedRun:
    """One pinned run: what it trained and where it ended.

    Attributes
    ----------
    config : the run's ``TrainConfig`` (``RunInfo.config``).
    model : a copy of the run's model holding its final weights (never written to).
    curves : ``PINNED_COLUMNS`` → (n_epochs,) float64 read-only arrays (NaN: no test split).
    slot : its colour slot (``lab_app.widgets.palette.pin_color``), kept while it is pinned.
    """

    config: TrainConfig
    model: Model
    curves: dict
    slot: int

    @property
    def params(self) -> np.ndarray:
        """(n_params,) the final weights (a copy)."""
        return self.model.network.params.copy()

    @property
    def n_epochs(self) -> int:
        return len(self.curves["epoch"])

    def final(self) -> dict:
        """The last epoch's ``train_loss``, ``test_loss``, ``train_accuracy``, ``test_accuracy``
        (None where the run had no test split or no epoch)."""
        names = {"train_loss": "train_loss", "test_loss": "val_loss"}
        names |= {"train_accuracy": "train_accuracy", "test_accuracy": "val_accuracy"}
        out = {}
        for key, column in names.items():
            values = self.curves[column]
            out[key] = float(values[-1]) if len(values) and math.isfinite(values[-1]) else None
        return out


class PinnedRuns(QObject):
    """Up to :data:`MAX_PINNED` pinned runs, oldest first; ``changed`` after every change."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._runs: tuple[PinnedRun, ...] = ()

    @property
    def runs(self) -> tuple[PinnedRun, ...]:
        return self._runs

    def __len__(self) -> int:
        return len(self._runs)

    def pin(self, controller) -> PinnedRun | None:
        """Pin ``controller``'s current run (a ``TrainingController``) at its newest snapshot; the
        oldest pinned run makes room when :data:`MAX_PINNED` are pinned. None (nothing changes)
        if the run has no epoch yet."""
        info, latest, history = controller.run_info, controller.latest, controller.history
        if info is None or latest is None or latest.run_id != info.run_id or not history:
            return None
        curves = {k: _column(history, k) for k in PINNED_COLUMNS}
        return self.add(info.config, info.model_at(latest.params), curves)

    def add(self, config: TrainConfig, model: Model, curves: dict) -> PinnedRun:
        """Pin a run given by its parts (``curves``: ``PINNED_COLUMNS`` → (n_epochs,) arrays)."""
        runs = self._runs[-(MAX_PINNED - 1) :] if len(self._runs) >= MAX_PINNED else self._runs
        used = {r.slot for r in runs}
        slot = next(s for s in range(MAX_PINNED) if s not in used)
        frozen = {}
        for k in PINNED_COLUMNS:
            frozen[k] = np.array(curves[k], dtype=np.float64)
            frozen[k].flags.writeable = False
        run = PinnedRun(config, model, frozen, slot)
        self._runs = (*runs, run)
        self.changed.emit()
        return run

    def remove(self, index: int) -> None:
        """Unpin run ``index`` (oldest first)."""
        if 0 <= index < len(self._runs):
            self._runs = self._runs[:index] + self._runs[index + 1 :]
            self.changed.emit()

    def clear(self) -> None:
        if self._runs:
            self._runs = ()
            self.changed.emit()

    def labels(self, reference: TrainConfig | None) -> list[str]:
        """Each run named by what differs in its configuration from ``reference`` (the live run's)."""
        return [config_difference(r.config, reference) for r in self._runs]

    # ----------------------------------------------------------------- sessions
    def to_saved(self) -> list[dict]:
        """The session's ``"pinned"`` list (:func:`engine.comparison.pinned_to_dict` entries)."""
        return [pinned_to_dict(r.config, r.model, r.curves) for r in self._runs]

    def load_saved(self, entries, fits: Callable[[Model], bool]) -> int:
        """Replace the pinned runs with a loaded session's (``engine.serialize`` ``"pinned"``),
        skipping those whose model ``fits`` refuses; returns how many were skipped."""
        kept = [e for e in list(entries)[:MAX_PINNED] if fits(e["model"])]
        self._runs = ()
        blocker = self.blockSignals(True)
        try:
            for e in kept:
                self.add(e["config"], e["model"], e["curves"])
        finally:
            self.blockSignals(blocker)
        self.changed.emit()
        return len(list(entries)) - len(kept)


def _column(history, name: str) -> np.ndarray:
    """(k,) float64 of one report field over the epochs the report history keeps whole; NaN where
    there is no value (no test split)."""
    return history.arrays()[0].astype(np.float64) if name == "epoch" else history.column(name)
