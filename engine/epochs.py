"""What one epoch did (:class:`EpochReport`), and a run's reports in fixed memory (:func:`report_history`).

A run "until stopped" makes millions of reports; kept as objects they fill the memory and make
every full garbage collection walk them. :func:`report_history` keeps them as rows of an
:class:`engine.history.History` instead and hands them back as reports when read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from operator import attrgetter

import numpy as np

from .history import History

__all__ = ["REPORT_COLUMNS", "EpochReport", "report_history", "saved_report_history"]


@dataclass(frozen=True)
class EpochReport:
    """What one epoch did. Losses are mean cross-entropy without the penalty; ``objective`` adds it."""

    epoch: int
    train_loss: float
    train_accuracy: float
    objective: float
    val_loss: float | None = None
    val_accuracy: float | None = None
    grad_norm: float = 0.0
    weight_norm: float = 0.0
    update_ratio: float = 0.0
    seconds: float = 0.0
    lr: float = 0.0
    samples: int = 0


#: The numbers of a report after its epoch, in field order: the columns of a report history.
REPORT_COLUMNS = tuple(f.name for f in fields(EpochReport))[1:]
_numbers = attrgetter(*REPORT_COLUMNS)


def report_history(reports=(), **sizes) -> History:
    """A :class:`~engine.history.History` of ``EpochReport`` s (empty, or holding ``reports``:
    an iterable of reports, or another report history, copied). ``sizes``: ``head``, ``recent``,
    ``buckets``."""
    if isinstance(reports, History):
        return reports.copy()
    options = {"make_row": _report, "row_values": _row, **sizes}
    reports = list(reports)
    if not reports:
        return History(REPORT_COLUMNS, **options)
    table = np.array([_numbers(r) for r in reports], dtype=np.float64)  # None becomes NaN
    return History.from_arrays(REPORT_COLUMNS, [r.epoch for r in reports], table, **options)


def saved_report_history(epochs, table, extremes: dict | None) -> History:
    """A report history from a session file: ``History.from_saved`` with report rows."""
    return History.from_saved(REPORT_COLUMNS, epochs, table, extremes, make_row=_report, row_values=_row)


def _row(report: EpochReport) -> tuple:
    return report.epoch, _numbers(report)


def _report(epoch: int, values: np.ndarray) -> EpochReport:
    row = dict(zip(REPORT_COLUMNS, values.tolist()))
    for name in ("val_loss", "val_accuracy"):
        if math.isnan(row[name]):
            row[name] = None
    row["samples"] = int(row["samples"]) if math.isfinite(row["samples"]) else 0
    return EpochReport(epoch, **row)
