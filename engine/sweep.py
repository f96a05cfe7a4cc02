"""A grid of training runs over one or two settings of a base configuration.

Each cell is an ordinary :class:`~engine.training.Trainer` run of the base configuration with the
cell's settings, seeded with the base's seed: a cell is reproducible on its own, bit for bit, by
``Trainer(dataset, cell.config).fit()``. The work is a plain function taking a progress callback
and an interruption check (Orange's recipe), so the lab runs it in the background and the command
line (``logit-lab sweep``) runs it in the foreground.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from .data import Dataset
from .model import Model
from .report import fit_report
from .training import EpochReport, FitResult, TrainConfig, Trainer

__all__ = [
    "SWEEPABLE",
    "SweepAxis",
    "SweepCell",
    "format_values",
    "iter_sweep",
    "log_grid",
    "parse_values",
    "run_sweep",
    "sweep_grid",
]

#: The settings a sweep may vary: TrainConfig field → what its values are.
SWEEPABLE = {
    "lr": "learning rate (positive)",
    "batch_size": "batch size (0 = full batch)",
    "l2": "L2 strength (≥ 0)",
    "hidden": "hidden layers (a tuple of sizes; () for none)",
    "optimizer": "optimizer (adam, sgd, momentum)",
}


@dataclass(frozen=True)
class SweepAxis:
    """One swept setting: a :data:`SWEEPABLE` field of TrainConfig and the values it takes, in order."""

    name: str
    values: tuple

    def __post_init__(self):
        if self.name not in SWEEPABLE:
            raise ValueError(f"cannot sweep {self.name!r}; choose from {', '.join(SWEEPABLE)}")
        values = tuple(tuple(int(h) for h in v) if self.name == "hidden" else v for v in self.values)
        if not values:
            raise ValueError(f"the sweep over {self.name} has no values")
        if len(set(values)) != len(values):
            raise ValueError(f"the sweep over {self.name} repeats a value")
        object.__setattr__(self, "values", values)

    def label(self, value) -> str:
        """A short text for one value (plot titles, axis ticks)."""
        if self.name == "hidden":
            return ",".join(map(str, value)) or "none"
        if self.name == "batch_size" and value == 0:
            return "full"
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)


@dataclass(frozen=True, eq=False)  # eq=False: arrays inside; identity is what matters
class SweepCell:
    """One finished run of a sweep.

    Attributes
    ----------
    index : (i,) or (i, j): the cell's place, one index per axis.
    settings : {axis name: value} of this cell.
    config : the full configuration it trained with (``Trainer(dataset, config).fit()`` repeats it).
    report : the ``fit --json`` report (:func:`engine.report.fit_report`).
    params : (n_params,) read-only copy of the final flat weights.
    model : a copy of the final model (weights and fitted standardizer).
    history : every epoch's report.
    """

    index: tuple
    settings: dict
    config: TrainConfig
    report: dict
    params: np.ndarray
    model: Model
    history: tuple[EpochReport, ...] = field(default_factory=tuple)

    @property
    def final_loss(self) -> float:
        """The final training loss (NaN if it does not exist)."""
        v = self.report["train_loss"]
        return math.nan if v is None else v


def log_grid(low: float, high: float, n: int) -> tuple[float, ...]:
    """``n`` values from ``low`` to ``high`` evenly spaced in log10, rounded to 3 significant digits
    (so 1e-3…1e-1 in 3 is exactly 0.001, 0.01, 0.1)."""
    if not (low > 0 and high > 0 and n >= 1):
        raise ValueError("a log grid needs positive ends and at least one point")
    if n == 1:
        return (float(low),)
    return tuple(float(f"{v:.3g}") for v in np.logspace(math.log10(low), math.log10(high), n))


def parse_values(name: str, text: str) -> tuple:
    """The values of setting ``name`` written as text, as the command line and the lab take them.

    Comma-separated lists (``1e-3,1e-2``; batch size 0 = full batch; optimizers by name); the
    learning rate also as ``LOW:HIGH:N``, N values on a log grid (:func:`log_grid`); hidden
    layers separated by ``;``, each a comma-separated list of sizes or ``none``
    (``none;8;16,16``). ValueError names what was expected.
    """
    text = text.strip()
    try:
        if name == "hidden":
            return tuple(_hidden(part) for part in text.split(";"))
        if name == "lr" and ":" in text:
            low, high, n = text.split(":")
            return log_grid(float(low), float(high), int(n))
        kind = {"lr": float, "batch_size": int, "l2": float, "optimizer": str}[name]
        values = tuple(kind(v.strip()) for v in text.split(",") if v.strip())
    except KeyError:
        raise ValueError(f"cannot sweep {name!r}; choose from {', '.join(SWEEPABLE)}") from None
    except ValueError:
        raise ValueError(f"expected {_EXAMPLES[name]}, not {text!r}") from None
    if not values:
        raise ValueError(f"expected {_EXAMPLES[name]}, not {text!r}")
    return values


def format_values(name: str, values) -> str:
    """The text :func:`parse_values` reads back as ``values``."""
    if name == "hidden":
        return ";".join(",".join(map(str, v)) or "none" for v in values)
    return ",".join(format(v, "g") if isinstance(v, float) else str(v) for v in values)


_EXAMPLES = {
    "lr": "learning rates such as 1e-3,1e-2,1e-1 or LOW:HIGH:N such as 1e-4:1:5",
    "batch_size": "batch sizes such as 16,64,0 (0 = full batch)",
    "l2": "L2 strengths such as 0,1e-3,1e-2",
    "hidden": "hidden layers such as none;8;16,16",
    "optimizer": "optimizers such as adam,sgd,momentum",
}


#: Seconds of training between two looks at ``cancelled()`` inside a long epoch.
CANCEL_CHECK_SECONDS = 0.05


def _fit(trainer: Trainer, on_epoch, cancelled) -> FitResult | None:
    """:meth:`Trainer.fit` (the same numbers: pausing at a minibatch boundary never changes them),
    looking at ``cancelled()`` at least every :data:`CANCEL_CHECK_SECONDS` even inside an epoch of a
    million rows. None once cancelled."""
    target = trainer.config.epochs
    while trainer.epoch < target:
        deadline = None if cancelled is None else time.perf_counter() + CANCEL_CHECK_SECONDS
        report = trainer.run_epoch(deadline)
        if cancelled is not None and cancelled():
            return None
        if report is None:
            if trainer.stopped_because == "stopped":  # paused at the deadline: resume
                continue
            break  # diverged
        on_epoch(report.epoch)
        if trainer.stopped_because in ("early_stopping", "converged"):
            break
    else:
        trainer.stopped_because = "epochs"
    return FitResult(
        trainer.stopped_because or "epochs",
        trainer.epoch,
        list(trainer.history),
        trainer.best_epoch,
        trainer.diverged_epoch,
    )


def _hidden(part: str) -> tuple:
    part = part.strip()
    if part.lower() in ("none", ""):
        return ()
    return tuple(int(h) for h in part.split(",") if h.strip())


def sweep_grid(base_config: TrainConfig, axes: Sequence[SweepAxis]) -> list[tuple[tuple, dict, TrainConfig]]:
    """The cells in grid order — row-major: the first axis changes slowest — as
    ``(index, settings, config)``. ValueError for no axis, more than two, or a bad value."""
    axes = tuple(axes)
    if not 1 <= len(axes) <= 2:
        raise ValueError("a sweep varies one or two settings")
    if len({a.name for a in axes}) != len(axes):
        raise ValueError("a sweep varies two different settings")
    if base_config.epochs <= 0:
        raise ValueError("a sweep needs a number of epochs (each run must end)")
    cells = []
    for index in product(*(range(len(a.values)) for a in axes)):
        settings = {a.name: a.values[i] for a, i in zip(axes, index)}
        config = base_config.with_(**settings)
        if "hidden" in settings and config.model in ("logistic", "softmax") and config.hidden:
            config = config.with_(model="mlp")  # hidden layers are swept: the model follows
        config.validate()
        cells.append((index, settings, config))
    return cells


def iter_sweep(
    dataset: Dataset,
    base_config: TrainConfig,
    axes: Sequence[SweepAxis],
    progress: Callable | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Iterator[SweepCell]:
    """Train every cell of the grid in order, yielding each :class:`SweepCell` when it ends.

    ``progress(percent)`` (an int 0–100) is called when the whole sweep's progress changes, at
    epoch granularity; it may raise to abort. ``cancelled()`` is looked at every
    :data:`CANCEL_CHECK_SECONDS` of training (at minibatch boundaries): once true, the run under
    way stops and nothing more is yielded. Configuration errors (a bad value,
    logistic regression on three classes) raise ValueError before any training.
    """
    grid = sweep_grid(base_config, axes)
    for _index, _settings, config in grid:
        config.validate(dataset.n_classes)
    epochs_total = sum(c.epochs for _, _, c in grid)
    done_before, last_percent = 0, -1

    def report_progress(epochs_done: int) -> None:
        nonlocal last_percent
        percent = int(100 * epochs_done / epochs_total)
        if progress is not None and percent != last_percent:
            last_percent = percent
            progress(percent)

    report_progress(0)
    for index, settings, config in grid:
        if cancelled is not None and cancelled():
            return
        trainer = Trainer(dataset, config)
        started = time.perf_counter()
        result = _fit(trainer, lambda epoch, before=done_before: report_progress(before + epoch), cancelled)
        seconds = time.perf_counter() - started
        if result is None:
            return
        done_before += config.epochs
        report_progress(done_before)
        params = trainer.network.params.copy()
        params.flags.writeable = False
        yield SweepCell(
            index,
            dict(settings),
            config,
            fit_report(trainer, result, seconds),
            params,
            trainer.model.copy(),
            tuple(trainer.history),
        )


def run_sweep(
    dataset: Dataset,
    base_config: TrainConfig,
    axes: Sequence[SweepAxis],
    progress: Callable | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[SweepCell]:
    """Every cell of the sweep in grid order (:func:`iter_sweep`); after a cancel, the cells
    finished before it."""
    return list(iter_sweep(dataset, base_config, axes, progress, cancelled))
