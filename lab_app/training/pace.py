"""The pace: how fast training runs for the eye, in epochs per second. It never changes the numbers.

A pace is a view preference (the window keeps it in its settings), not part of the
:class:`~engine.training.TrainConfig`: the worker only waits between pieces of work, and the
trainer resumes an epoch exactly where it paused, so the same seed gives the same weights at the
same epoch at every pace. Slow paces run a few minibatches per frame, so every minibatch step
can be seen; from one epoch per frame up the pace is a whole number of epochs per frame at about
:data:`FRAME_RATE` frames a second ("as shown"); :data:`FLAT_OUT` runs as fast as the machine can.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "DEFAULT_PACE",
    "FLAT_OUT",
    "FRAME_RATE",
    "LADDER",
    "PREPARED_RUN_SECONDS",
    "PaceLadder",
    "check_pace",
    "pace_for_run",
    "pace_unit",
]

#: Frames a second the paced views aim at (the worker's snapshots are throttled to this anyway).
FRAME_RATE = 30.0
#: No waiting at all: snapshots at most FRAME_RATE a second, training in between.
FLAT_OUT = math.inf
#: A new user's pace: the opening demo converges in a few seconds and its boundary visibly
#: sweeps into place (measured in benchmarks/README.md).
DEFAULT_PACE = 20.0


def check_pace(pace: float) -> float:
    """``pace`` as a float; ValueError unless it is a positive number of epochs per second (or inf)."""
    pace = float(pace)
    if not pace > 0:  # also NaN
        raise ValueError(f"the pace is a positive number of epochs per second (inf: flat out), not {pace}")
    return pace


def pace_unit(pace: float, batches_per_epoch: int) -> tuple[str, int, float]:
    """What the worker runs per frame at ``pace``: ``("batches", m, seconds)`` below one epoch per
    frame (m minibatches, at least one), else ``("epochs", k, seconds)``; ``seconds`` is the time
    the unit should take. Never called for :data:`FLAT_OUT`."""
    per_frame = pace / FRAME_RATE
    if per_frame < 1.0:
        m = max(1, math.ceil(per_frame * batches_per_epoch - 1e-9))
        return "batches", m, m / (pace * batches_per_epoch)
    k = _epochs_per_frame(pace)
    return "epochs", k, k / pace


@dataclass(frozen=True)
class PaceLadder:
    """The paces a control offers, slowest first, with their words; one for the whole window."""

    stops: tuple[float, ...]

    def describe(self, pace: float) -> str:
        """The pace in words ("slow motion · 1 epoch/s", "2 epochs per frame", "flat out")."""
        if math.isinf(pace):
            return "flat out"
        if pace >= FRAME_RATE:
            k = _epochs_per_frame(pace)
            return f"{k} epoch{'s' if k != 1 else ''} per frame"
        text = f"{pace:g} epoch{'s' if pace != 1 else ''}/s"
        return f"slow motion · {text}" if pace <= self.stops[0] else text

    def index(self, pace: float) -> int:
        """The stop nearest to ``pace`` on a log scale (a pace set in code may lie between two)."""
        return min(range(len(self.stops)), key=lambda i: abs(_rank(self.stops[i]) - _rank(pace)))

    def step(self, pace: float, by: int) -> float:
        """The pace ``by`` stops faster (negative: slower) than ``pace``, kept on the ladder."""
        return self.stops[min(max(self.index(pace) + by, 0), len(self.stops) - 1)]


#: The paces the window offers: slow motion, then whole epochs per frame, then flat out.
LADDER = PaceLadder((1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 150.0, 300.0, 600.0, 1500.0, 3000.0, FLAT_OUT))


#: A run the lab prepared (a lesson step, a preset) should be over in about this many seconds.
PREPARED_RUN_SECONDS = 4.0


def pace_for_run(pace: float, epochs: int) -> float:
    """``pace``, or the slowest stop of the ladder that runs ``epochs`` in PREPARED_RUN_SECONDS:
    3000 epochs at the default 20 epochs/s would take 150 s. Never slower than ``pace``;
    ``epochs`` 0 (until stopped) keeps ``pace``."""
    wanted = epochs / PREPARED_RUN_SECONDS
    if pace >= wanted:
        return pace
    return next(stop for stop in LADDER.stops if stop >= wanted)


def _epochs_per_frame(pace: float) -> int:
    """Whole epochs per frame, rounded up: frames never come faster than FRAME_RATE."""
    return math.ceil(pace / FRAME_RATE - 1e-9)


def _rank(pace: float) -> float:
    """Paces compare on a log scale (1 to 2 is as far as 1500 to 3000); flat out beyond them all."""
    return math.log(pace) if math.isfinite(pace) else 1e9
