"""What crosses from the training thread to the views: a run's description and its snapshots.

Both are frozen and hold copies, so any view may keep them and no thread changes them after
they are made (docs/design.md §1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.data import Dataset
from engine.model import Model
from engine.training import EpochReport, TrainConfig

__all__ = ["RunInfo", "Snapshot", "frozen_copy"]


@dataclass(frozen=True, eq=False)  # eq=False: arrays inside; identity is what matters
class RunInfo:
    """What a run trains: views build their templates (feature map, network shape) from it."""

    run_id: int
    config: TrainConfig
    dataset: Dataset  # the snapshot trained on (replaced after a data edit mid-run)
    model: Model  # a copy with its own params: the initial model
    train_idx: np.ndarray
    test_idx: np.ndarray
    model_name: str

    def model_at(self, params: np.ndarray) -> Model:
        """A copy of the run's model holding ``params`` (a snapshot's weights). ``model`` itself is
        the run's initial model and is never written to: other threads and views read it."""
        model = self.model.copy()
        model.network.set_params(params)
        return model


@dataclass(frozen=True, eq=False)  # eq=False: arrays inside; identity is what matters
class Snapshot:
    """A frozen copy of a run's progress; safe to keep, never changed by the worker.

    ``reports`` holds every epoch since the previous snapshot of the run (none is dropped; the
    first snapshot of a restored run holds its whole report history, ``engine.epochs.report_history``);
    ``state`` is "running", "paused" or "finished" (reset()'s epoch-0 snapshot says "paused");
    ``params`` is a copy of the flat weights; ``stopped_because`` of a finished run is "epochs",
    "early_stopping", "stopped", "diverged" or "error"; ``data_version`` counts document edits.
    """

    run_id: int
    epoch: int
    params: np.ndarray
    reports: Sequence[EpochReport]
    latest: EpochReport | None
    state: str
    stopped_because: str | None
    best_epoch: int | None
    samples_per_second: float
    data_version: int
    #: Results of the controller's probes (``add_probe``), computed from the live trainer.
    extras: dict = field(default_factory=dict)
    #: (minibatches done, minibatches per epoch) when taken part-way through an epoch (slow paces,
    #: a minibatch step), None at an epoch's end: ``epoch`` counts whole epochs only.
    minibatch: tuple[int, int] | None = None
    #: The first snapshot of a restored run (a session, a sweep's cell): its reports were loaded, not trained.
    restored: bool = False
    #: ``(epoch, params, report)`` of the newest long epoch that ended since the last snapshot when
    #: this one is taken part-way through the next epoch (its end fell between two snapshots), so
    #: the scrubber records every long epoch: with a million points no snapshot is due at an end.
    epoch_end: tuple | None = None


def frozen_copy(a: np.ndarray) -> np.ndarray:
    """A read-only copy: every view receives the same snapshot, so none may change it."""
    a = a.copy()
    a.flags.writeable = False
    return a
