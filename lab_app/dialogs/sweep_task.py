"""The lab's sweep as a background task: train the grid, then evaluate each cell's final model on a
coarse grid of the plane for its small boundary picture. Plain functions, no widgets: it runs in
:class:`lab_app.tasks.TaskRunner`'s thread (the dialog is :mod:`lab_app.dialogs.sweep`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from engine.data import Dataset
from engine.model import GridEvaluator
from engine.sweep import SweepAxis, SweepCell, iter_sweep
from engine.training import TrainConfig

__all__ = ["PICTURE_SHAPE", "SweepOutcome", "sweep_task"]

#: (H, W) of each cell's probability grid: coarse, the pictures are small.
PICTURE_SHAPE = (48, 48)


@dataclass(frozen=True, eq=False)  # eq=False: arrays inside; identity is what matters
class SweepOutcome:
    """A finished sweep: the cells in grid order and what the dialog draws of them.

    Attributes
    ----------
    axes : the swept :class:`~engine.sweep.SweepAxis` (one or two).
    cells : the :class:`~engine.sweep.SweepCell` s in grid order (row-major).
    probabilities : per cell, (H, W, n_classes) float32 probabilities over the picture's grid
        (row 0 = ``ylim[0]``; 1-D data: H = 1).
    dataset : the data every cell trained on.
    xlim, ylim, columns : the picture's extent and the two inputs it varies.
    seconds : wall time of the whole sweep, pictures included.
    """

    axes: tuple
    cells: tuple
    probabilities: tuple
    dataset: Dataset
    xlim: tuple
    ylim: tuple
    columns: tuple
    seconds: float

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the grid: one row for a one-setting sweep."""
        if len(self.axes) == 1:
            return 1, len(self.axes[0].values)
        return len(self.axes[0].values), len(self.axes[1].values)

    def place(self, cell: SweepCell) -> tuple[int, int]:
        """(row, column) of ``cell`` in :attr:`shape`."""
        return (0, cell.index[0]) if len(cell.index) == 1 else cell.index

    def loss_grid(self) -> np.ndarray:
        """(rows, columns) final training losses (NaN where there is none)."""
        grid = np.full(self.shape, np.nan)
        for cell in self.cells:
            grid[self.place(cell)] = cell.final_loss
        return grid


def sweep_task(
    dataset: Dataset,
    base_config: TrainConfig,
    axes,
    xlim,
    ylim,
    columns=(0, 1),
    fixed=None,
    shape=PICTURE_SHAPE,
    *,
    progress=None,
    cancelled=None,
) -> SweepOutcome | None:
    """Run the sweep (:func:`engine.sweep.iter_sweep`) and each cell's probability picture.

    Returns None if cancelled (the runner drops it anyway).
    """
    started = time.perf_counter()
    axes = tuple(a if isinstance(a, SweepAxis) else SweepAxis(*a) for a in axes)
    cells, pictures = [], []
    for cell in iter_sweep(dataset, base_config, axes, progress, cancelled):
        evaluator = GridEvaluator(cell.model, xlim, ylim, shape=shape, fixed=fixed, columns=columns)
        P = evaluator.evaluate(cell.params)
        pictures.append(P[None].copy() if P.ndim == 2 else P.copy())
        cells.append(cell)
    if cancelled is not None and cancelled():
        return None
    return SweepOutcome(
        axes,
        tuple(cells),
        tuple(pictures),
        dataset,
        tuple(xlim),
        tuple(ylim),
        tuple(columns),
        time.perf_counter() - started,
    )
