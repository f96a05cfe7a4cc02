"""Probes: model evaluations the training thread does for the views, once per snapshot.

A probe is a callable ``fn(trainer)`` registered with
:meth:`lab_app.training.TrainingController.add_probe`; the worker calls it on the live trainer
whenever it takes a snapshot, so the live weights are the snapshot's ``params``, and the result
travels in ``Snapshot.extras[name]``. Doing these forward passes there keeps the GUI thread free
to paint (benchmarks/gui_bench.py: a (64, 64) network over a 200×200 grid costs ~10 ms, over
10,000 points ~2 ms, per snapshot, ~30 snapshots a second).

Each probe builds its evaluator once per trainer, data and grid and reuses its buffers; results
are copies. A view uses a result only when it fits what it shows (same grid, same data object),
and otherwise evaluates the weights itself, so paused, stepped and edited states stay exact.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from typing import NamedTuple

import numpy as np

from engine.activations import forward_layers, plane_points
from engine.model import GridEvaluator, PointEvaluator
from engine.signals import hessian_stats, model_signals

__all__ = [
    "GRID_PROBE",
    "HESSIAN_PROBE",
    "NETWORK_PROBE",
    "NETWORK_SHAPE",
    "POINTS_PROBE",
    "SIGNALS_PROBE",
    "ActivationProbe",
    "GridProbabilities",
    "GridProbe",
    "NetworkActivations",
    "PointPredictions",
    "PointProbe",
    "ThrottledProbe",
    "hessian_probe",
    "network_activations",
    "signals_probe",
]

#: ``Snapshot.extras`` key of the boundary grid (:class:`GridProbe`).
GRID_PROBE = "boundary_grid"
#: ``Snapshot.extras`` key of the per-point probabilities (:class:`PointProbe`).
POINTS_PROBE = "point_probabilities"
#: ``Snapshot.extras`` key of the convergence signals (:func:`engine.signals.model_signals`).
SIGNALS_PROBE = "signals"
#: ``Snapshot.extras`` key of the Hessian's bounds for linear models (:func:`engine.signals.hessian_stats`).
HESSIAN_PROBE = "hessian"
#: ``Snapshot.extras`` key of every neuron's activations on a coarse grid (:class:`ActivationProbe`).
NETWORK_PROBE = "network_activations"
#: The Network dock's grid (H, W): the boundary grid's extent, coarse.
NETWORK_SHAPE = (40, 40)
#: Seconds between the throttled probes' computations during a run (the last epoch is always fresh).
PROBE_INTERVAL = 0.1


class GridProbabilities(NamedTuple):
    """``P`` (H, W, n_classes) float32 ((W, n_classes) for 1-D models): the probabilities on the
    grid ``spec`` = (xlim, ylim, (H, W), columns, fixed) it was evaluated on."""

    spec: tuple
    P: np.ndarray


class PointPredictions(NamedTuple):
    """``proba`` (n_samples, n_classes) float32: the probabilities of every row of ``dataset`` (the
    engine Dataset the run trains on: compare it by identity); ``logits`` (n_samples, n_outputs) of
    the same forward pass, which losses are computed from."""

    dataset: object
    proba: np.ndarray
    logits: np.ndarray | None = None


class GridProbe:
    """The boundary view's grid, evaluated on the live model in the training thread.

    The view publishes the grid it shows in :attr:`spec` = (xlim, ylim, (H, W)) or
    (xlim, ylim, (H, W), columns, fixed) — :class:`~engine.model.GridEvaluator`'s arguments, ``fixed``
    a tuple or None; the attribute is replaced whole, so the worker reads either the old or the new
    grid, never a mixture.
    """

    def __init__(self):
        self.spec: tuple | None = None
        self._cached = None  # (trainer, standardizer, spec, GridEvaluator): worker thread only

    def __call__(self, trainer) -> GridProbabilities | None:
        spec = self.spec
        if spec is None:
            return None
        model = trainer.model
        cached = self._cached
        if cached is None or cached[0] is not trainer or cached[1] is not model.standardizer or cached[2] != spec:
            xlim, ylim, shape, *rest = spec
            columns, fixed = rest if rest else ((0, 1), None)
            n = model.n_inputs
            if n > 1 and (max(columns) >= n or (fixed is not None and len(fixed) != n)):
                return None  # the view's grid is for another run's inputs (a new run is starting)
            cached = self._cached = (
                trainer,
                model.standardizer,
                spec,
                GridEvaluator(model, xlim, ylim, shape=shape, fixed=fixed, columns=columns),
            )
        return GridProbabilities(spec, cached[3].evaluate().copy())


class PointProbe:
    """The probabilities of every training-data point (both splits) under the live weights: the
    boundary view's misclassified rings and the metrics panel share one forward pass."""

    def __init__(self):
        self._cached = None  # (trainer, dataset, standardizer, PointEvaluator): worker thread only

    def __call__(self, trainer) -> PointPredictions | None:
        dataset, model = trainer.dataset, trainer.model
        if not dataset.n_samples:
            return None
        cached = self._cached
        if (
            cached is None
            or cached[0] is not trainer
            or cached[1] is not dataset
            or cached[2] is not model.standardizer
        ):
            cached = self._cached = (trainer, dataset, model.standardizer, PointEvaluator(model, dataset.X))
        evaluator = cached[3]
        return PointPredictions(dataset, evaluator.evaluate().copy(), evaluator.logits.copy())


class ThrottledProbe:
    """Wrap a probe ``fn(trainer)`` so it runs at most every ``interval`` seconds of a run.

    In between it returns its last result for the same trainer. A new trainer, the first epoch,
    and a run that has ended (stopped, or its epochs reached) always get a fresh computation, so
    the final verdict is computed on the final weights.
    """

    def __init__(self, fn, interval: float = PROBE_INTERVAL):
        self.fn, self.interval = fn, interval
        self._lock = threading.Lock()  # reset() calls probes in the GUI thread
        self._trainer = lambda: None  # weak reference to the trainer of the cached result
        self._epoch = -1
        self._time = -math.inf
        self._result = None

    def __call__(self, trainer):
        epochs = trainer.config.epochs
        ended = trainer.stopped_because is not None or (epochs and trainer.epoch >= epochs)
        now = time.perf_counter()
        with self._lock:
            same = self._trainer() is trainer
            if same and trainer.epoch == self._epoch:
                return self._result
            if same and not ended and trainer.epoch > 1 and now - self._time < self.interval:
                return self._result
        result = self.fn(trainer)
        with self._lock:
            self._trainer, self._epoch = weakref.ref(trainer), trainer.epoch
            self._time, self._result = now, result
        return result


def signals_probe() -> ThrottledProbe:
    """The doctor's signals (gradient and weight norms, saturation, dead units, …), throttled."""
    return ThrottledProbe(model_signals)


def hessian_probe() -> ThrottledProbe:
    """The Hessian's λ_max, condition number and stable learning rate of linear models, throttled."""
    return ThrottledProbe(_linear_hessian)


def _linear_hessian(trainer):
    return hessian_stats(trainer) if trainer.model.is_linear else None


class NetworkActivations(NamedTuple):
    """Every layer's values on the coarse grid ``spec`` = (xlim, ylim, (H, W), columns, fixed):
    ``activations`` [(H·W, units)] (features, hidden f(z), logits) and the hidden ``pre``-activations
    (:func:`engine.activations.forward_layers`)."""

    spec: tuple
    activations: list
    pre: list


def coarse_spec(spec: tuple | None, shape=NETWORK_SHAPE) -> tuple | None:
    """The boundary grid ``spec`` with its (H, W) replaced by ``shape``."""
    if spec is None:
        return None
    xlim, ylim, _shape, *rest = spec
    columns, fixed = rest if rest else ((0, 1), None)
    return (xlim, ylim, tuple(shape), columns, fixed)


def network_activations(model, params, spec: tuple, raw: np.ndarray | None = None) -> NetworkActivations | None:
    """:class:`NetworkActivations` of ``model`` under ``params`` (None: its own) on grid ``spec``
    (:func:`coarse_spec`); None if the grid is for another run's inputs."""
    xlim, ylim, shape, columns, fixed = spec
    n = model.n_inputs
    if n > 1 and (max(columns) >= n or (fixed is not None and len(fixed) != n)):
        return None
    if raw is None:
        raw = plane_points(n, xlim, ylim, (1 if n == 1 else shape[0], shape[1]), columns, fixed)
    values = forward_layers(model, params, raw)
    return NetworkActivations(spec, values.activations, values.pre)


class ActivationProbe:
    """Every neuron's activation over the boundary view's plane, coarse (:data:`NETWORK_SHAPE`), on
    the live model in the training thread: the Network dock only paints.

    ``grid_probe`` is the boundary's :class:`GridProbe`, whose ``spec`` gives the extent followed.
    ``enabled`` (set by the GUI thread) skips the work while the dock is not on show.
    """

    def __init__(self, grid_probe: GridProbe, shape=NETWORK_SHAPE):
        self.grid_probe, self.shape = grid_probe, tuple(shape)
        self.enabled = True
        self._cached = None  # (trainer, standardizer, spec, raw points): worker thread only

    def spec(self) -> tuple | None:
        return coarse_spec(self.grid_probe.spec, self.shape)

    def __call__(self, trainer) -> NetworkActivations | None:
        spec = self.spec()
        if spec is None or not self.enabled:
            return None
        model = trainer.model
        cached = self._cached
        if cached is None or cached[0] is not trainer or cached[1] is not model.standardizer or cached[2] != spec:
            xlim, ylim, shape, columns, fixed = spec
            n = model.n_inputs
            if n > 1 and (max(columns) >= n or (fixed is not None and len(fixed) != n)):
                return None
            raw = plane_points(n, xlim, ylim, (1 if n == 1 else shape[0], shape[1]), columns, fixed)
            cached = self._cached = (trainer, model.standardizer, spec, raw)
        return network_activations(model, None, spec, cached[3])
